// PEP node options: data forms, publish-options preconditions (XEP-0060 §7.1.5), request parsing
// and the node store.
#include <gtest/gtest.h>

#include "modules/pep/node_config.hpp"
#include "modules/pep/pep_store.hpp"
#include "modules/pep/pubsub_request.hpp"
#include "modules/private_xml/stored_xml.hpp"
#include "storage/memory/memory_driver.hpp"

namespace telex::modules::pep {
namespace {

xml::Element parse(std::string_view text) {
  auto e = private_xml::fromStoredXml(text);
  EXPECT_TRUE(e) << text;
  return e ? *e : xml::Element();
}

SubmittedForm form(std::string_view formType, std::vector<std::pair<std::string, std::string>> fields) {
  SubmittedForm f{std::string(formType), {}};
  for (auto& [var, value] : fields) f.fields.push_back({var, {value}});
  return f;
}

// The publish-options XEP-0402 §3 asks for.
SubmittedForm bookmarkOptions() {
  return form(kPublishOptionsFormType, {{"pubsub#persist_items", "true"},
                                        {"pubsub#max_items", "max"},
                                        {"pubsub#send_last_published_item", "never"},
                                        {"pubsub#access_model", "whitelist"}});
}

TEST(PepNodeConfigTest, DefaultsArePresenceAndOneItem) {
  NodeConfig c;
  EXPECT_EQ(c.accessModel, AccessModel::Presence);
  EXPECT_EQ(c.maxItems, 1);
  EXPECT_TRUE(c.persistItems);
  EXPECT_EQ(c.sendLastPublished, SendLastPublished::OnSubAndPresence);
}

TEST(PepNodeConfigTest, BookmarkOptionsApply) {
  auto c = applyForm(NodeConfig{}, bookmarkOptions(), kPublishOptionsFormType);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->accessModel, AccessModel::Whitelist);
  EXPECT_EQ(c->maxItems, kMaxItemsLimit);
  EXPECT_TRUE(c->persistItems);
  EXPECT_EQ(c->sendLastPublished, SendLastPublished::Never);
}

TEST(PepNodeConfigTest, BadValuesAndUnknownOptionsAreRefused) {
  for (auto [var, value] : std::vector<std::pair<std::string, std::string>>{
           {"pubsub#access_model", "roster"},
           {"pubsub#access_model", "authorize"},
           {"pubsub#max_items", "0"},
           {"pubsub#max_items", "-1"},
           {"pubsub#max_items", "257"},
           {"pubsub#max_items", "12x"},
           {"pubsub#persist_items", "yes"},
           {"pubsub#send_last_published_item", "sometimes"},
           {"pubsub#deliver_payloads", "false"},
           {"pubsub#publish_model", "open"},
           {"pubsub#title", "Bookmarks"}}) {
    auto c = applyForm(NodeConfig{}, form(kNodeConfigFormType, {{var, value}}), kNodeConfigFormType);
    EXPECT_FALSE(c) << var << "=" << value;
    if (!c) {
      EXPECT_EQ(c.error().field, var);
    }
  }
  // A field with two values where one is expected.
  SubmittedForm twoValues{std::string(kNodeConfigFormType), {{"pubsub#access_model", {"open", "presence"}}}};
  EXPECT_FALSE(applyForm(NodeConfig{}, twoValues, kNodeConfigFormType));
  // The wrong kind of form.
  EXPECT_FALSE(applyForm(NodeConfig{}, form(kPublishOptionsFormType, {}), kNodeConfigFormType));
  // No FORM_TYPE at all is tolerated.
  EXPECT_TRUE(applyForm(NodeConfig{}, form("", {{"pubsub#max_items", "10"}}), kNodeConfigFormType));
}

TEST(PepNodeConfigTest, PreconditionsCompareWithTheNode) {
  NodeConfig bookmarks = *applyForm(NodeConfig{}, bookmarkOptions(), kPublishOptionsFormType);
  EXPECT_TRUE(preconditionsMet(bookmarks, bookmarkOptions()));
  // "1" and "true" are the same boolean; "max" is the limit as a number.
  EXPECT_TRUE(preconditionsMet(bookmarks, form(kPublishOptionsFormType, {{"pubsub#persist_items", "1"},
                                                                          {"pubsub#max_items", "256"}})));
  EXPECT_TRUE(preconditionsMet(bookmarks, form(kPublishOptionsFormType, {})));
  EXPECT_FALSE(preconditionsMet(bookmarks, form(kPublishOptionsFormType, {{"pubsub#access_model", "open"}})));
  EXPECT_FALSE(preconditionsMet(NodeConfig{}, bookmarkOptions()));
  EXPECT_FALSE(preconditionsMet(NodeConfig{}, form(kPublishOptionsFormType, {{"pubsub#max_items", "2"}})));
  // Options Telex does not have can never be met, and neither can fixed ones with another value.
  EXPECT_FALSE(preconditionsMet(NodeConfig{}, form(kPublishOptionsFormType, {{"pubsub#type", "urn:x"}})));
  EXPECT_TRUE(preconditionsMet(NodeConfig{}, form(kPublishOptionsFormType, {{"pubsub#deliver_payloads", "1"}})));
  EXPECT_FALSE(preconditionsMet(NodeConfig{}, form(kPublishOptionsFormType, {{"pubsub#deliver_payloads", "0"}})));
}

TEST(PepNodeConfigTest, ConfigFormRoundTrips) {
  NodeConfig c;
  c.accessModel = AccessModel::Open;
  c.maxItems = 7;
  c.persistItems = false;
  c.notifyRetract = false;
  auto x = configForm(c);
  auto submitted = parseSubmittedForm(x);
  ASSERT_TRUE(submitted);
  EXPECT_EQ(submitted->formType, kNodeConfigFormType);
  auto back = applyForm(NodeConfig{}, *submitted, kNodeConfigFormType);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, c);
}

// --- requests ---

Expected<PubsubRequest, PubsubError> request(std::string_view xml, bool isSet) {
  return parsePubsubRequest(parse(xml), isSet);
}

std::string_view conditionOf(const Expected<PubsubRequest, PubsubError>& r) {
  return r ? std::string_view("(none)") : r.error().condition;
}

TEST(PepPubsubRequestTest, PublishWithOptions) {
  auto r = request(
      "<pubsub xmlns='http://jabber.org/protocol/pubsub'>"
      "<publish node='urn:xmpp:bookmarks:1'><item id='theplay@conference.shakespeare.lit' publisher='forged'>"
      "<conference xmlns='urn:xmpp:bookmarks:1' name='The Play&apos;s the Thing' autojoin='true'>"
      "<nick>JC</nick></conference></item></publish>"
      "<publish-options><x xmlns='jabber:x:data' type='submit'>"
      "<field var='FORM_TYPE' type='hidden'><value>http://jabber.org/protocol/pubsub#publish-options</value></field>"
      "<field var='pubsub#access_model'><value>whitelist</value></field></x></publish-options></pubsub>",
      true);
  ASSERT_TRUE(r);
  auto& p = std::get<PublishRequest>(*r);
  EXPECT_EQ(p.node, "urn:xmpp:bookmarks:1");
  EXPECT_EQ(p.item.attrOr("id", ""), "theplay@conference.shakespeare.lit");
  EXPECT_FALSE(p.item.attr("publisher"));  // the service's to set, never the publisher's
  ASSERT_TRUE(p.item.firstElement());
  EXPECT_EQ(p.item.firstElement()->xmlns(), "urn:xmpp:bookmarks:1");
  ASSERT_TRUE(p.options);
  EXPECT_EQ(p.options->formType, kPublishOptionsFormType);
  ASSERT_EQ(p.options->fields.size(), 1u);
}

TEST(PepPubsubRequestTest, PublishErrors) {
  EXPECT_EQ(conditionOf(request("<pubsub xmlns='http://jabber.org/protocol/pubsub'><publish>"
                                "<item><x xmlns='urn:x'/></item></publish></pubsub>", true)),
            "nodeid-required");
  EXPECT_EQ(conditionOf(request("<pubsub xmlns='http://jabber.org/protocol/pubsub'><publish node='n'/></pubsub>",
                                true)),
            "item-required");
  EXPECT_EQ(conditionOf(request("<pubsub xmlns='http://jabber.org/protocol/pubsub'><publish node='n'>"
                                "<item id='a'/></publish></pubsub>", true)),
            "payload-required");
  EXPECT_EQ(conditionOf(request("<pubsub xmlns='http://jabber.org/protocol/pubsub'><publish node='n'>"
                                "<item><x xmlns='urn:x'/><y xmlns='urn:x'/></item></publish></pubsub>", true)),
            "invalid-payload");
  EXPECT_EQ(conditionOf(request("<pubsub xmlns='http://jabber.org/protocol/pubsub'><publish node='n'>"
                                "<item><x xmlns='urn:x'/></item><item><x xmlns='urn:x'/></item></publish></pubsub>",
                                true)),
            "invalid-payload");
  EXPECT_EQ(conditionOf(request("<pubsub xmlns='http://jabber.org/protocol/pubsub'><publish node='n'>"
                                "<item><x xmlns='urn:x'/></item></publish><publish-options/></pubsub>", true)),
            "invalid-options");
  // Publishing is a set.
  EXPECT_FALSE(request("<pubsub xmlns='http://jabber.org/protocol/pubsub'><publish node='n'>"
                       "<item><x xmlns='urn:x'/></item></publish></pubsub>", false));
}

TEST(PepPubsubRequestTest, ItemsRetractAndOwnerRequests) {
  auto items =
      request("<pubsub xmlns='http://jabber.org/protocol/pubsub'><items node='n' max_items='2'/></pubsub>", false);
  ASSERT_TRUE(items);
  EXPECT_EQ(std::get<ItemsRequest>(*items).maxItems, 2);
  auto byId = request("<pubsub xmlns='http://jabber.org/protocol/pubsub'><items node='n'><item id='a'/><item id='b'/>"
                      "</items></pubsub>", false);
  ASSERT_TRUE(byId);
  EXPECT_EQ(std::get<ItemsRequest>(*byId).itemIds, (std::vector<std::string>{"a", "b"}));
  EXPECT_FALSE(
      request("<pubsub xmlns='http://jabber.org/protocol/pubsub'><items node='n' max_items='0'/></pubsub>", false));

  auto retract = request("<pubsub xmlns='http://jabber.org/protocol/pubsub'><retract node='n' notify='true'>"
                         "<item id='a'/></retract></pubsub>", true);
  ASSERT_TRUE(retract);
  EXPECT_TRUE(std::get<RetractRequest>(*retract).notify);
  EXPECT_EQ(conditionOf(request("<pubsub xmlns='http://jabber.org/protocol/pubsub'><retract node='n'/></pubsub>",
                                true)),
            "item-required");

  EXPECT_TRUE(std::holds_alternative<DeleteRequest>(
      *request("<pubsub xmlns='http://jabber.org/protocol/pubsub#owner'><delete node='n'/></pubsub>", true)));
  EXPECT_TRUE(std::holds_alternative<ConfigureGetRequest>(
      *request("<pubsub xmlns='http://jabber.org/protocol/pubsub#owner'><configure node='n'/></pubsub>", false)));
  auto cancel = request("<pubsub xmlns='http://jabber.org/protocol/pubsub#owner'><configure node='n'>"
                        "<x xmlns='jabber:x:data' type='cancel'/></configure></pubsub>", true);
  ASSERT_TRUE(cancel);
  EXPECT_FALSE(std::get<ConfigureSetRequest>(*cancel).form);
  EXPECT_EQ(conditionOf(request("<pubsub xmlns='http://jabber.org/protocol/pubsub'><subscribe node='n' jid='a@b'/>"
                                "</pubsub>", true)),
            "unsupported");
  EXPECT_EQ(request("<pubsub xmlns='http://jabber.org/protocol/pubsub'><subscribe node='n' jid='a@b'/></pubsub>", true)
                .error()
                .feature,
            "subscribe");
}

// --- the store ---

class PepStoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<storage::StorageDriver> driver_ = storage::makeMemoryDriver();
  PepStore store_{*driver_};

  static xml::Element item(std::string_view id, std::string_view text) {
    xml::Element i("item", std::string(kPubsubNs));
    if (!id.empty()) i.setAttr("id", id);
    i.addChild(xml::Element("mood", "http://jabber.org/protocol/mood")).addText(text);
    return i;
  }
};

TEST_F(PepStoreTest, FirstPublishCreatesWithOptionsThenChecksThem) {
  auto first = store_.publish("juliet", "urn:xmpp:bookmarks:1", item("room@muc", "a"), bookmarkOptions());
  ASSERT_TRUE(first);
  EXPECT_TRUE(first->created);
  EXPECT_EQ(first->node.config.accessModel, AccessModel::Whitelist);
  auto second = store_.publish("juliet", "urn:xmpp:bookmarks:1", item("other@muc", "b"), bookmarkOptions());
  ASSERT_TRUE(second);
  EXPECT_FALSE(second->created);
  EXPECT_EQ(second->node.itemIds, (std::vector<std::string>{"room@muc", "other@muc"}));
  auto mismatch = store_.publish("juliet", "urn:xmpp:bookmarks:1", item("x@muc", "c"),
                                 form(kPublishOptionsFormType, {{"pubsub#access_model", "open"}}));
  ASSERT_FALSE(mismatch);
  EXPECT_EQ(mismatch.error().failure, PepFailure::PreconditionNotMet);
  // Options that cannot be met refuse the creation too.
  auto unsupported = store_.publish("juliet", "n2", item("", "c"), form(kPublishOptionsFormType, {{"pubsub#x", "1"}}));
  ASSERT_FALSE(unsupported);
  EXPECT_EQ(unsupported.error().failure, PepFailure::PreconditionNotMet);
  EXPECT_FALSE(store_.node("juliet", "n2"));
}

TEST_F(PepStoreTest, MaxItemsKeepsTheNewestAndRepublishMovesToTheEnd) {
  ASSERT_TRUE(store_.publish("romeo", "mood", item("a", "1"), std::nullopt));
  ASSERT_TRUE(store_.publish("romeo", "mood", item("b", "2"), std::nullopt));
  auto node = store_.node("romeo", "mood");
  ASSERT_TRUE(node);
  EXPECT_EQ(node->itemIds, (std::vector<std::string>{"b"}));  // max_items 1 by default
  EXPECT_TRUE(store_.items("romeo", "mood", {"a"}).empty());   // and the old item is gone from storage
  ASSERT_TRUE(store_.configure("romeo", "mood", form(kNodeConfigFormType, {{"pubsub#max_items", "3"}})));
  ASSERT_TRUE(store_.publish("romeo", "mood", item("c", "3"), std::nullopt));
  ASSERT_TRUE(store_.publish("romeo", "mood", item("b", "2'"), std::nullopt));
  node = store_.node("romeo", "mood");
  EXPECT_EQ(node->itemIds, (std::vector<std::string>{"c", "b"}));
  auto items = store_.items("romeo", "mood", node->itemIds);
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[1].firstElement()->textContent(), "2'");
  // Lowering max_items drops the oldest.
  ASSERT_TRUE(store_.configure("romeo", "mood", form(kNodeConfigFormType, {{"pubsub#max_items", "1"}})));
  EXPECT_EQ(store_.node("romeo", "mood")->itemIds, (std::vector<std::string>{"b"}));
}

TEST_F(PepStoreTest, GeneratedIdsAndEscapingSurviveStorage) {
  auto p = store_.publish("romeo", "n\nwith <&'\"> odd", item("", "<&'\">"), std::nullopt);
  ASSERT_TRUE(p);
  EXPECT_FALSE(p->itemId.empty());
  auto items = store_.items("romeo", "n\nwith <&'\"> odd", {p->itemId});
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].attrOr("id", ""), p->itemId);
  EXPECT_EQ(items[0].firstElement()->textContent(), "<&'\">");
  auto nodes = store_.nodes("romeo");
  ASSERT_EQ(nodes.size(), 1u);
  EXPECT_EQ(nodes[0].name, "n\nwith <&'\"> odd");
}

TEST_F(PepStoreTest, RetractPurgeDelete) {
  ASSERT_TRUE(store_.configure("romeo", "n", SubmittedForm{}).error().failure == PepFailure::NodeNotFound);
  ASSERT_TRUE(store_.create("romeo", "n", form(kNodeConfigFormType, {{"pubsub#max_items", "5"}})));
  EXPECT_EQ(store_.create("romeo", "n", std::nullopt).error().failure, PepFailure::NodeExists);
  for (auto id : {"a", "b", "c"}) ASSERT_TRUE(store_.publish("romeo", "n", item(id, id), std::nullopt));
  EXPECT_EQ(store_.retract("romeo", "n", "zzz").error().failure, PepFailure::ItemNotFound);
  EXPECT_EQ(store_.retract("romeo", "nope", "a").error().failure, PepFailure::NodeNotFound);
  ASSERT_TRUE(store_.retract("romeo", "n", "b"));
  EXPECT_EQ(store_.node("romeo", "n")->itemIds, (std::vector<std::string>{"a", "c"}));
  auto purged = store_.purge("romeo", "n");
  ASSERT_TRUE(purged);
  EXPECT_EQ(purged->itemIds, (std::vector<std::string>{"a", "c"}));
  EXPECT_TRUE(store_.node("romeo", "n")->itemIds.empty());
  EXPECT_TRUE(store_.items("romeo", "n", {"a", "c"}).empty());
  ASSERT_TRUE(store_.publish("romeo", "n", item("d", "d"), std::nullopt));
  ASSERT_TRUE(store_.deleteNode("romeo", "n"));
  EXPECT_FALSE(store_.node("romeo", "n"));
  EXPECT_TRUE(store_.items("romeo", "n", {"d"}).empty());
  EXPECT_EQ(store_.deleteNode("romeo", "n").error().failure, PepFailure::NodeNotFound);
}

TEST_F(PepStoreTest, NonPersistentNodesKeepNoItems) {
  auto p = store_.publish("romeo", "n", item("a", "a"),
                          form(kPublishOptionsFormType, {{"pubsub#persist_items", "false"}}));
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->node.itemIds.empty());
  EXPECT_TRUE(store_.items("romeo", "n", {"a"}).empty());
}

TEST_F(PepStoreTest, NodeCountIsBounded) {
  for (std::size_t i = 0; i < kMaxNodesPerUser; ++i) {
    ASSERT_TRUE(store_.publish("romeo", "n" + std::to_string(i), item("a", "a"), std::nullopt));
  }
  auto over = store_.publish("romeo", "one-more", item("a", "a"), std::nullopt);
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().failure, PepFailure::TooManyNodes);
  // Existing nodes still take items; other users are not affected.
  EXPECT_TRUE(store_.publish("romeo", "n0", item("b", "b"), std::nullopt));
  EXPECT_TRUE(store_.publish("juliet", "one-more", item("a", "a"), std::nullopt));
}

TEST(PepStoreEncodingTest, ItemKeysAreUnambiguous) {
  EXPECT_NE(itemKey("a\nb", "c"), itemKey("a", "b\nc"));
  EXPECT_NE(itemKey("ab", "c"), itemKey("a", "bc"));
  EXPECT_EQ(itemKey("n", "i"), itemKey("n", "i"));
}

TEST(PepStoreEncodingTest, NodeRecordRoundTrips) {
  StoredNode n{"urn:xmpp:bookmarks:1", *applyForm(NodeConfig{}, bookmarkOptions(), kPublishOptionsFormType),
               {"a", "b <&'\">"}};
  auto back = decodeNode(n.name, encodeNode(n));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->config, n.config);
  EXPECT_EQ(back->itemIds, n.itemIds);
  EXPECT_FALSE(decodeNode("x", "garbage"));
}

}  // namespace
}  // namespace telex::modules::pep
