// XEP-0313 queries: date-times, the data form and RSM, paging over a real archive store, <fin/>.
#include "modules/mam/mam_query.hpp"

#include <gtest/gtest.h>

#include "storage/memory/memory_driver.hpp"
#include "stream/xml_stream_parser.hpp"

namespace telex::modules::mam {
namespace {

// Parses one stanza the way a client stream would deliver it.
class OneStanza : public stream::StreamParserHandler {
 public:
  void onStreamOpen(const xml::Element&, std::string_view) override {}
  void onStanza(xml::Element stanza) override { stanzas.push_back(std::move(stanza)); }
  void onStreamClose() override {}
  void onStreamError(stream::StreamError) override { failed = true; }
  std::vector<xml::Element> stanzas;
  bool failed = false;
};

xml::Element parse(std::string_view text) {
  OneStanza handler;
  stream::XmlStreamParser parser(handler, {1024 * 1024, 48});
  parser.feed("<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>");
  parser.feed(text);
  EXPECT_FALSE(handler.failed) << text;
  EXPECT_EQ(handler.stanzas.size(), 1u) << text;
  return handler.stanzas.empty() ? xml::Element() : handler.stanzas.front();
}

// The <query/> of an IQ written as XML.
Expected<MamQuery, router::StanzaError> parseIq(std::string_view payload) {
  xml::Element iq = parse("<iq type='set' id='q'>" + std::string(payload) + "</iq>");
  return parseQuery(*iq.firstElement());
}

std::string form(std::string_view fields) {
  return "<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'>"
         "<value>urn:xmpp:mam:2</value></field>" +
         std::string(fields) + "</x>";
}

std::string field(std::string_view var, std::string_view value) {
  return "<field var='" + std::string(var) + "'><value>" + std::string(value) + "</value></field>";
}

TEST(MamDateTime, ParsesXep0082Forms) {
  EXPECT_EQ(parseDateTime("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(parseDateTime("2010-06-07T00:00:00Z"), 1275868800000);
  EXPECT_EQ(parseDateTime("2010-06-07T00:00:00.5Z"), 1275868800500);
  EXPECT_EQ(parseDateTime("2010-06-07T00:00:00.123456Z"), 1275868800123);
  EXPECT_EQ(parseDateTime("2010-06-07T02:30:00+02:30"), 1275868800000);
  EXPECT_EQ(parseDateTime("2010-06-06T22:00:00-02:00"), 1275868800000);
  EXPECT_EQ(parseDateTime("2024-02-29T12:00:00Z"), 1709208000000);
}

TEST(MamDateTime, RefusesMalformed) {
  for (std::string_view bad : {"", "2010-06-07", "2010-06-07T00:00:00", "2010-06-07 00:00:00Z",
                               "2010-13-07T00:00:00Z", "2023-02-29T00:00:00Z", "2010-06-07T24:00:00Z",
                               "2010-06-07T00:00:00.Z", "2010-06-07T00:00:00Zjunk", "2010-06-07T00:00:00+0200",
                               "2010-06-07T00:00:00+02:00x", "20x0-06-07T00:00:00Z"}) {
    EXPECT_EQ(parseDateTime(bad), std::nullopt) << bad;
  }
}

TEST(MamQueryParse, EmptyQueryMatchesEverything) {
  auto q = parseIq("<query xmlns='urn:xmpp:mam:2' queryid='f27'/>");
  ASSERT_TRUE(q);
  EXPECT_EQ(q->queryId, "f27");
  EXPECT_FALSE(q->with || q->start || q->end || q->max || q->after || q->before || q->afterId || q->beforeId);
  EXPECT_FALSE(q->backward());
  EXPECT_EQ(pageLimit(*q, 250), 50u);
}

TEST(MamQueryParse, FormAndRsm) {
  auto q = parseIq("<query xmlns='urn:xmpp:mam:2'>" +
                   form(field("with", "Juliet@Capulet.lit/balcony") + field("start", "2010-06-07T00:00:00Z") +
                        field("end", "2010-07-07T13:23:54Z") + field("after-id", "a1") + field("before-id", "b2")) +
                   "<set xmlns='http://jabber.org/protocol/rsm'><max>10</max><after>x9</after></set>"
                   "<flip-page/></query>");
  ASSERT_TRUE(q) << q.error().condition;
  EXPECT_EQ(q->with, "juliet@capulet.lit");  // the store keeps bare JIDs
  EXPECT_EQ(q->start, 1275868800000);
  EXPECT_EQ(q->end, 1278509034000);
  EXPECT_EQ(q->afterId, "a1");
  EXPECT_EQ(q->beforeId, "b2");
  EXPECT_EQ(q->max, 10u);
  EXPECT_EQ(q->after, "x9");
  EXPECT_TRUE(q->flipPage);
  EXPECT_FALSE(q->backward());
}

TEST(MamQueryParse, EmptyBeforeAsksForTheLastPage) {
  auto q = parseIq("<query xmlns='urn:xmpp:mam:2'><set xmlns='http://jabber.org/protocol/rsm'>"
                   "<max>5</max><before/></set></query>");
  ASSERT_TRUE(q);
  EXPECT_TRUE(q->backward());
  EXPECT_EQ(q->before, "");
}

TEST(MamQueryParse, MaxIsCapped) {
  auto q = parseIq("<query xmlns='urn:xmpp:mam:2'><set xmlns='http://jabber.org/protocol/rsm'>"
                   "<max>100000</max></set></query>");
  ASSERT_TRUE(q);
  EXPECT_EQ(pageLimit(*q, 250), 250u);
}

TEST(MamQueryParse, EmptyFieldsAreIgnored) {
  auto q = parseIq("<query xmlns='urn:xmpp:mam:2'>" + form("<field var='with'/><field var='start'><value/></field>") +
                   "</query>");
  ASSERT_TRUE(q);
  EXPECT_FALSE(q->with || q->start);
}

TEST(MamQueryParse, Errors) {
  auto condition = [](std::string_view payload) {
    auto q = parseIq(payload);
    return q ? std::string("ok") : std::string(q.error().condition);
  };
  const std::string open = "<query xmlns='urn:xmpp:mam:2'>";
  EXPECT_EQ(condition(open + form(field("start", "yesterday")) + "</query>"), "bad-request");
  EXPECT_EQ(condition(open + form(field("with", "@@")) + "</query>"), "jid-malformed");
  EXPECT_EQ(condition(open + form(field("ids", "a")) + "</query>"), "feature-not-implemented");
  EXPECT_EQ(condition(open + form(field("{urn:example}fulltext", "a")) + "</query>"), "feature-not-implemented");
  EXPECT_EQ(condition(open +
                      "<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>urn:xmpp:mam:1</value>"
                      "</field></x></query>"),
            "bad-request");
  EXPECT_EQ(condition(open + "<x xmlns='jabber:x:data' type='form'/></query>"), "bad-request");
  EXPECT_EQ(condition(open + "<set xmlns='http://jabber.org/protocol/rsm'><max>-1</max></set></query>"),
            "bad-request");
  EXPECT_EQ(condition(open + "<set xmlns='http://jabber.org/protocol/rsm'><max>ten</max></set></query>"),
            "bad-request");
  EXPECT_EQ(condition(open + "<set xmlns='http://jabber.org/protocol/rsm'><after/></set></query>"), "bad-request");
  EXPECT_EQ(condition(open + "<set xmlns='http://jabber.org/protocol/rsm'><index>3</index></set></query>"),
            "feature-not-implemented");
  EXPECT_EQ(condition("<query xmlns='urn:xmpp:mam:2' node='urn:xmpp:mucsub:nodes:messages'/>"), "item-not-found");
}

// 30 items alternating between two contacts, one second apart.
class MamPaging : public ::testing::Test {
 protected:
  void SetUp() override {
    driver_ = storage::makeMemoryDriver();
    store_ = driver_->archive("mam");
    store_->append("other", 0, "x@localhost", "<message xmlns='jabber:client'/>");
    for (int i = 0; i < 30; ++i) {
      ids_.push_back(store_->append("alice", kT0 + i * 1000, i % 2 ? "carol@localhost" : "bob@localhost",
                                    "<message xmlns='jabber:client'><body>" + std::to_string(i) + "</body></message>"));
    }
  }
  std::vector<std::string> idsOf(const storage::ArchivePage& page) {
    std::vector<std::string> out;
    for (const auto& item : page.items) out.push_back(item.id);
    return out;
  }
  std::vector<std::string> slice(std::size_t from, std::size_t to) {
    return {ids_.begin() + static_cast<std::ptrdiff_t>(from), ids_.begin() + static_cast<std::ptrdiff_t>(to)};
  }

  static constexpr std::int64_t kT0 = 1700000000000;
  std::unique_ptr<storage::StorageDriver> driver_;
  std::shared_ptr<storage::ArchiveStore> store_;
  std::vector<std::string> ids_;
};

TEST_F(MamPaging, ForwardPages) {
  MamQuery q;
  q.max = 10;
  auto page = runQuery(*store_, "alice", q, 10);
  EXPECT_EQ(idsOf(page), slice(0, 10));
  EXPECT_EQ(page.total, 30u);
  EXPECT_FALSE(page.complete);
  EXPECT_EQ(firstIndex(q, page), 0u);

  q.after = ids_[9];
  page = runQuery(*store_, "alice", q, 10);
  EXPECT_EQ(idsOf(page), slice(10, 20));
  EXPECT_FALSE(page.complete);
  EXPECT_EQ(firstIndex(q, page), std::nullopt);  // not known without counting

  q.after = ids_[19];
  page = runQuery(*store_, "alice", q, 10);
  EXPECT_EQ(idsOf(page), slice(20, 30));
  EXPECT_TRUE(page.complete);
  EXPECT_EQ(firstIndex(q, page), 20u);
}

TEST_F(MamPaging, BackwardPages) {
  MamQuery q;
  q.before = "";
  auto page = runQuery(*store_, "alice", q, 10);
  EXPECT_EQ(idsOf(page), slice(20, 30));
  EXPECT_FALSE(page.complete);
  EXPECT_EQ(firstIndex(q, page), 20u);

  q.before = ids_[10];
  page = runQuery(*store_, "alice", q, 10);
  EXPECT_EQ(idsOf(page), slice(0, 10));
  EXPECT_TRUE(page.complete);
  EXPECT_EQ(firstIndex(q, page), 0u);
}

TEST_F(MamPaging, FiltersByWithAndTime) {
  MamQuery q;
  q.with = "bob@localhost";
  auto page = runQuery(*store_, "alice", q, 50);
  EXPECT_EQ(page.total, 15u);
  EXPECT_TRUE(page.complete);
  for (const auto& item : page.items) EXPECT_EQ(item.with, "bob@localhost");

  MamQuery window;
  window.start = kT0 + 5000;
  window.end = kT0 + 14000;
  page = runQuery(*store_, "alice", window, 50);
  EXPECT_EQ(idsOf(page), slice(5, 15));
  EXPECT_EQ(page.total, 10u);
}

TEST_F(MamPaging, BeforeIdBoundsAForwardPage) {
  MamQuery q;
  q.afterId = ids_[2];
  q.beforeId = ids_[25];
  auto page = runQuery(*store_, "alice", q, 5);
  EXPECT_EQ(idsOf(page), slice(3, 8));  // oldest first, not the newest below the bound
  EXPECT_FALSE(page.complete);

  q.after = ids_[19];
  page = runQuery(*store_, "alice", q, 10);
  EXPECT_EQ(idsOf(page), slice(20, 25));
  EXPECT_TRUE(page.complete);
}

TEST_F(MamPaging, UnknownIdIsItemNotFound) {
  MamQuery q;
  q.after = "nope";
  EXPECT_THROW(runQuery(*store_, "alice", q, 10), storage::ItemNotFoundError);
  // Another user's ids are unknown in this archive.
  q.after = ids_[0];
  EXPECT_THROW(runQuery(*store_, "other", q, 10), storage::ItemNotFoundError);
}

TEST_F(MamPaging, FinCarriesRsmSet) {
  MamQuery q;
  auto page = runQuery(*store_, "alice", q, 10);
  EXPECT_EQ(xml::serialize(makeFin(q, page)),
            "<fin xmlns='urn:xmpp:mam:2' complete='false'><set xmlns='http://jabber.org/protocol/rsm'>"
            "<first index='0'>" + ids_[0] + "</first><last>" + ids_[9] + "</last><count>30</count></set></fin>");
  q.with = "nobody@localhost";
  page = runQuery(*store_, "alice", q, 10);
  EXPECT_EQ(xml::serialize(makeFin(q, page)),
            "<fin xmlns='urn:xmpp:mam:2' complete='true'><set xmlns='http://jabber.org/protocol/rsm'>"
            "<count>0</count></set></fin>");
}

TEST(MamResult, ResultMessageWrapsTheStoredStanza) {
  storage::ArchiveItem item{"abc123", 1275868800123, "bob@localhost",
                            "<message xmlns='jabber:client' from='bob@localhost/x' type='chat'>"
                            "<body>&lt;&amp;'\"&gt;</body></message>"};
  std::string bytes = resultMessage(*Jid::parse("alice@localhost"), *Jid::parse("alice@localhost/phone"),
                                    "q'1", item, "m1");
  xml::Element message = parse(bytes);
  EXPECT_EQ(message.xmlns(), "jabber:client");
  EXPECT_EQ(message.attrOr("from", ""), "alice@localhost");
  EXPECT_EQ(message.attrOr("to", ""), "alice@localhost/phone");
  const xml::Element* result = message.child("result", kMamNs);
  ASSERT_NE(result, nullptr);
  EXPECT_EQ(result->attrOr("queryid", ""), "q'1");
  EXPECT_EQ(result->attrOr("id", ""), "abc123");
  const xml::Element* forwarded = result->child("forwarded", "urn:xmpp:forward:0");
  ASSERT_NE(forwarded, nullptr);
  ASSERT_NE(forwarded->child("delay", "urn:xmpp:delay"), nullptr);
  EXPECT_EQ(forwarded->child("delay")->attrOr("stamp", ""), "2010-06-07T00:00:00.123Z");
  const xml::Element* original = forwarded->child("message", "jabber:client");
  ASSERT_NE(original, nullptr);
  EXPECT_EQ(original->childText("body", "jabber:client"), "<&'\">");
  EXPECT_EQ(original->attrOr("from", ""), "bob@localhost/x");
}

TEST(MamResult, QueryFormListsTheFields) {
  xml::Element query = queryForm();
  std::vector<std::string> vars;
  for (const auto& f : query.child("x", kDataNs)->children()) vars.emplace_back(f.attrOr("var", ""));
  EXPECT_EQ(vars, (std::vector<std::string>{"FORM_TYPE", "with", "start", "end", "after-id", "before-id"}));
}

}  // namespace
}  // namespace telex::modules::mam
