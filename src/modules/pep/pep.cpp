// XEP-0163 PEP: each account is a pubsub service. The owner publishes, retracts, configures and
// deletes; contacts read according to the node's access model; notifications and, at sign-in,
// the last published items go to the resources whose entity capabilities say +notify.
#include "modules/pep/pep.hpp"

#include <algorithm>
#include <cstdlib>
#include <spdlog/spdlog.h>
#include <variant>

#include "modules/pep/avatar_conversion.hpp"
#include "modules/pep/caps_cache.hpp"
#include "modules/pep/entity_caps.hpp"
#include "modules/pep/pep_store.hpp"
#include "modules/pep/pubsub_error.hpp"
#include "modules/pep/pubsub_request.hpp"
#include "modules/roster/roster_store.hpp"
#include "modules/vcard/vcard.hpp"
#include "util/crypto.hpp"

namespace telex::modules::pep {
namespace {

using router::HookResult;
using router::StanzaError;

constexpr std::string_view kDiscoItemsNs = "http://jabber.org/protocol/disco#items";
constexpr std::string_view kMamNs = "urn:xmpp:mam:2";
constexpr std::string_view kStanzaIdNs = "urn:xmpp:sid:0";
using avatar::kVcardNs;
constexpr std::string_view kCapsQueryPrefix = "pep-caps-";
// A client that has not answered our disco#info by then never will.
constexpr std::chrono::seconds kCapsQueryTimeout{60};

// The PEP features as the module record lists them, so the account's disco#info and the server's
// never disagree.
std::vector<std::string_view> pepFeatures() {
  for (const auto& spec : allModules()) {
    if (spec.name == "pep") return spec.features;
  }
  return {};
}

PubsubError toPubsubError(const PepError& error) {
  switch (error.failure) {
    case PepFailure::NodeNotFound:
    case PepFailure::ItemNotFound:
      return PubsubError::plain(StanzaError::itemNotFound());
    case PepFailure::NodeExists:
      return PubsubError::plain(StanzaError::conflict("node exists"));
    case PepFailure::PreconditionNotMet:
      return PubsubError::preconditionNotMet(error.text);
    case PepFailure::TooManyNodes:
      return PubsubError::maxNodesExceeded();
    case PepFailure::BadConfig:
      return PubsubError::plain(StanzaError{"modify", "not-acceptable", error.text});
  }
  return PubsubError::plain(StanzaError::internalServerError());
}

PubsubReply storageFailed() { return unexpected(PubsubError::plain(StanzaError::internalServerError())); }

PubsubReply emptyResult() { return std::optional<xml::Element>(); }

PubsubReply notFound() { return unexpected(PubsubError::plain(StanzaError::itemNotFound())); }

PubsubReply pubsubResult(xml::Element child, std::string_view ns = kPubsubNs) {
  xml::Element pubsub("pubsub", std::string(ns));
  pubsub.addChild(std::move(child));
  return std::optional<xml::Element>(std::move(pubsub));
}

xml::Element withNode(std::string_view name, std::string_view ns, std::string_view node) {
  xml::Element e{std::string(name), std::string(ns)};
  e.setAttr("node", node);
  return e;
}

// <items node=...><item .../></items> of a notification; `item` is the stored <item/>.
xml::Element itemsEvent(std::string_view node, xml::Element item) {
  xml::Element items = withNode("items", kPubsubEventNs, node);
  item.setXmlns(std::string(kPubsubEventNs));
  items.addChild(std::move(item));
  return items;
}

// What a storage job hands back for notifications: the node as it was, the owner's contacts
// who may see it (bare JIDs; none for a whitelist node) and the result of the job itself.
template <class T>
struct WithAudience {
  T value;
  std::vector<std::string> contacts;
};

// A publish and what it changed: the avatar id now in force when it was a metadata publish that
// reached the vCard (XEP-0398).
struct PublishOutcome {
  WithAudience<Published> done;
  std::optional<std::string> avatarId;
};

struct LastItem {
  std::string owner;  // localpart
  std::string node;
  xml::Element item;
};

class PepModule : public std::enable_shared_from_this<PepModule> {
 public:
  explicit PepModule(ModuleContext& ctx)
      : ctx_(ctx),
        domain_(ctx.router().domain()),
        store_(ctx.storage()),
        roster_(ctx.storage()),
        accounts_(ctx.storage().keyval("accounts")),
        vcards_(ctx.storage().keyval(vcard::kStoreName)),
        queries_(kCapsQueryTimeout) {
    avatarHashes_.loadOwners(store_.usersWithNode(avatar::kMetadataNode));
  }

  // --- the owner's requests (iq to one's own bare JID) ---

  HookResult onOwnPubsub(router::StanzaEvent& e) {
    IqRequest request{e.stanza, e.from, e.to};
    auto parsed = parsePubsubRequest(request.payload(), e.stanza.attrOr("type", "") == "set");
    if (!parsed) {
      reply(request, unexpected(parsed.error()));
    } else {
      std::visit([&](auto& r) { handleOwn(request, std::move(r)); }, *parsed);
    }
    return HookResult::Handled;
  }

  // --- requests to someone else's bare JID (after the blocking module's "iq/bare" filter) ---

  HookResult onOtherAccountIq(router::StanzaEvent& e) {
    std::string_view type = e.stanza.attrOr("type", "");
    if ((type != "get" && type != "set") || e.from.bare() == e.to) return HookResult::Pass;
    const xml::Element* payload = e.stanza.firstElement();
    if (!payload) return HookResult::Pass;
    IqRequest request{e.stanza, e.from, e.to};
    bool isPubsub =
        payload->name() == "pubsub" && (payload->xmlns() == kPubsubNs || payload->xmlns() == kPubsubOwnerNs);
    if (isPubsub) {
      auto parsed = parsePubsubRequest(*payload, type == "set");
      if (!parsed) {
        reply(request, unexpected(parsed.error()));
      } else if (auto* items = std::get_if<ItemsRequest>(&*parsed)) {
        retrieveItems(request, std::move(*items), false);
      } else {
        // Only the owner publishes to or manages a PEP service.
        reply(request, unexpected(PubsubError::plain(StanzaError::forbidden())));
      }
      return HookResult::Handled;
    }
    if (type == "get" && payload->name() == "query" && payload->xmlns() == kDiscoInfoNs) {
      otherDiscoInfo(request);
      return HookResult::Handled;
    }
    if (type == "get" && payload->name() == "query" && payload->xmlns() == kDiscoItemsNs) {
      discoItems(request, false);
      return HookResult::Handled;
    }
    return HookResult::Pass;
  }

  // --- service discovery on the owner's own account ---

  HookResult onOwnDiscoInfo(router::StanzaEvent& e) {
    IqRequest request{e.stanza, e.from, e.to};
    if (request.payload().attr("node")) {
      reply(request, notFound());
    } else {
      reply(request, std::optional<xml::Element>(accountInfo(true)));
    }
    return HookResult::Handled;
  }

  HookResult onOwnDiscoItems(router::StanzaEvent& e) {
    discoItems(IqRequest{e.stanza, e.from, e.to}, true);
    return HookResult::Handled;
  }

  // --- entity capabilities ---

  // The user's broadcast presence: learn what the resource is interested in from its caps.
  // A run-along hook: presence distribution is the presence module's.
  HookResult onBroadcastPresence(router::StanzaEvent& e) {
    if (!e.origin) return HookResult::Pass;
    std::string full = e.from.full();
    if (e.stanza.attrOr("type", "") == "unavailable") {
      forgetResource(full);
      return HookResult::Pass;
    }
    auto caps = capsOfPresence(e.stanza);
    // No caps (or legacy ones): keep what an earlier presence of this session said.
    if (!caps) return HookResult::Pass;
    std::string key = caps->hash + " " + caps->ver;
    if (!interests_.advertise(full, key)) return HookResult::Pass;
    if (auto known = CapsCache::processWide().find(caps->hash, caps->ver)) {
      if (interests_.learn(full, key, known)) sendLastItems(e.from, known);
      return HookResult::Pass;
    }
    auto session = ctx_.router().sessions().find(e.from);
    if (!session) return HookResult::Pass;
    std::string id = queries_.add({full, caps->hash, caps->node, caps->ver, {}});
    xml::Element iq("iq", std::string(router::kClientNs));
    iq.setAttr("type", "get");
    iq.setAttr("id", id);
    iq.setAttr("from", domain_);
    iq.setAttr("to", full);
    iq.addChild(withNode("query", kDiscoInfoNs, caps->node + "#" + caps->ver));
    ctx_.router().deliver(session, iq);
    return HookResult::Pass;
  }

  // A client's answer to our disco#info (to the server, or to its own account when it left out
  // 'to').
  HookResult onIqResponse(router::StanzaEvent& e) {
    std::string_view type = e.stanza.attrOr("type", "");
    std::string_view id = e.stanza.attrOr("id", "");
    if ((type != "result" && type != "error") || !id.starts_with(kCapsQueryPrefix)) return HookResult::Pass;
    auto query = queries_.take(id, e.from.full());
    if (!query) return HookResult::Pass;
    const xml::Element* result = e.stanza.child("query", kDiscoInfoNs);
    if (type == "error" || !result) return HookResult::Handled;
    auto features = featuresOfAnswer(*query, *result);
    if (interests_.learn(query->fullJid, query->hash + " " + query->ver, features)) sendLastItems(e.from, features);
    return HookResult::Handled;
  }

  void onSessionClosed(router::SessionEvent& e) {
    // A resumed or replacing session under the same JID keeps its entry (it has its own caps).
    if (!ctx_.router().sessions().find(e.session.jid())) forgetResource(e.session.jid().full());
    if (ctx_.router().sessions().resourceCount(e.session.jid().bare()) == 0) avatarHashes_.forget(e.session.jid().local());
  }

  // --- XEP-0398: vCard photos to PEP avatars, avatar hashes in presence ---

  // A client sets its vCard (the vcard module stores it): a photo in it becomes the PEP avatar.
  // A run-along hook, above the vcard module's handler.
  HookResult onOwnVcardSet(router::StanzaEvent& e) {
    const xml::Element* vcard = e.stanza.firstElement();
    if (!vcard || !vcardEnabled()) return HookResult::Pass;
    auto image = avatar::avatarOfVcard(*vcard);
    // A vCard without a photo leaves the PEP avatar alone: clients that publish their avatar
    // with PEP often store vCards without one.
    if (!image || !vcard::vcardForStorage(*vcard)) return HookResult::Pass;
    auto self = shared_from_this();
    Jid owner = e.from.bare();
    ctx_.runBlocking(
        [self, user = owner.local(), image = *image] {
          std::vector<std::pair<avatar::Publication, std::vector<std::string>>> out;
          for (auto& p : avatar::vcardToPep(self->store_, user, image)) {
            auto contacts = self->audience(user, p.published.node.config);
            out.emplace_back(std::move(p), std::move(contacts));
          }
          return out;
        },
        [self, owner, id = image->id](auto result) {
          if (!result) {
            spdlog::warn("pep: vCard avatar of {}: {}", owner.bareString(), result.error());
            return;
          }
          if (result->empty()) return;
          self->avatarHashes_.set(owner.local(), id);
          for (auto& [p, contacts] : *result) {
            p.item.setAttr("id", p.published.itemId);
            self->notify(owner, p.published.node.name, contacts, itemsEvent(p.published.node.name, std::move(p.item)));
          }
        });
    return HookResult::Pass;
  }

  // XEP-0398 §4 (XEP-0153 §3.2): the user's available presence carries the avatar hash. Also
  // kept as the session's presence, which probes are answered with. Runs before the presence and
  // MUC modules read the stanza.
  HookResult onPresenceStamp(router::StanzaEvent& e) {
    if (!e.origin || !e.stanza.attrOr("type", "").empty()) return HookResult::Pass;
    auto hash = avatarHashes_.get(e.from.local());
    if (!hash || hash->empty() || !avatar::stampPresence(e.stanza, *hash)) return HookResult::Pass;
    int priority = 0;
    std::string p = e.stanza.childText("priority", router::kClientNs);
    if (!p.empty()) priority = std::clamp(std::atoi(p.c_str()), -128, 127);
    ctx_.router().sessions().setPresence(*e.origin, true, priority, std::make_shared<const xml::Element>(e.stanza));
    return HookResult::Pass;
  }

  // Learns the user's avatar hash before the session's first presence, if it is not known yet.
  void onSessionBound(router::SessionEvent& e) {
    std::string user = e.session.jid().local();
    if (avatarHashes_.get(user) || !avatarHashes_.mayHaveAvatar(user)) return;
    auto self = shared_from_this();
    ctx_.runBlocking([self, user] { return avatar::currentAvatarId(self->store_, user); },
                     [self, user](auto id) {
                       if (id) self->avatarHashes_.setIfUnknown(user, *id);
                     });
  }

 private:
  bool vcardEnabled() const {
    const auto& server = ctx_.disco().features;
    return std::find(server.begin(), server.end(), kVcardNs) != server.end();
  }

  void reply(const IqRequest& request, const PubsubReply& r) {
    replyToPubsubIq(ctx_.router(), request.stanza, request.from, r);
  }

  // Runs `work` (returning Expected<T, PubsubError>) on the storage pool, then `then(T&)` on
  // this worker; storage failures and refusals become the IQ's error.
  template <class Work, class Then>
  void run(const IqRequest& request, Work work, Then then) {
    auto done = [self = shared_from_this(), request, then = std::move(then)](auto result) mutable {
      if (!result) {
        spdlog::warn("pep: storage failed: {}", result.error());
        return self->reply(request, storageFailed());
      }
      if (!*result) return self->reply(request, unexpected((*result).error()));
      then(request, **result);
    };
    ctx_.runBlocking(std::move(work), std::move(done));
  }

  // The owner's contacts allowed to see a node with this configuration (storage pool only).
  std::vector<std::string> audience(std::string_view owner, const NodeConfig& config) {
    std::vector<std::string> out;
    if (config.accessModel == AccessModel::Whitelist) return out;
    for (const auto& item : roster_.items(owner)) {
      if (item.hasFrom()) out.push_back(item.jid);
    }
    return out;
  }

  // --- owner requests ---

  void handleOwn(IqRequest& request, PublishRequest r) {
    auto self = shared_from_this();
    Jid owner = request.from.bare();
    bool convert = r.node == avatar::kMetadataNode && vcardEnabled();
    run(request,
        [self, user = owner.local(), r, convert]() -> Expected<PublishOutcome, PubsubError> {
          auto published = self->store_.publish(user, r.node, r.item, r.options);
          if (!published) return unexpected(toPubsubError(published.error()));
          auto contacts = self->audience(user, published->node.config);
          PublishOutcome out{{std::move(*published), std::move(contacts)}, std::nullopt};
          const xml::Element* metadata = r.item.child("metadata", avatar::kMetadataNode);
          if (convert && metadata) out.avatarId = avatar::pepToVcard(self->store_, *self->vcards_, user, *metadata);
          return out;
        },
        [self, owner, item = r.item](const IqRequest& request, PublishOutcome& outcome) mutable {
          auto& done = outcome.done;
          xml::Element publish = withNode("publish", kPubsubNs, done.value.node.name);
          publish.addChild(xml::Element("item", std::string(kPubsubNs))).setAttr("id", done.value.itemId);
          self->reply(request, pubsubResult(std::move(publish)));
          if (outcome.avatarId) self->avatarHashes_.set(owner.local(), *outcome.avatarId);
          item.setAttr("id", done.value.itemId);
          self->notify(owner, done.value.node.name, done.contacts, itemsEvent(done.value.node.name, std::move(item)));
        });
  }

  void handleOwn(IqRequest& request, RetractRequest r) {
    auto self = shared_from_this();
    Jid owner = request.from.bare();
    run(request,
        [self, user = owner.local(), r]() -> Expected<WithAudience<Removed>, PubsubError> {
          auto removed = self->store_.retract(user, r.node, r.itemId);
          if (!removed) return unexpected(toPubsubError(removed.error()));
          auto contacts = self->audience(user, removed->node.config);
          return WithAudience<Removed>{std::move(*removed), std::move(contacts)};
        },
        [self, owner, r](const IqRequest& request, WithAudience<Removed>& done) {
          self->reply(request, emptyResult());
          if (r.node == avatar::kMetadataNode) self->avatarHashes_.set(owner.local(), "");
          if (!done.value.node.config.notifyRetract && !r.notify) return;
          xml::Element items = withNode("items", kPubsubEventNs, r.node);
          items.addChild(xml::Element("retract", std::string(kPubsubEventNs))).setAttr("id", r.itemId);
          self->notify(owner, r.node, done.contacts, std::move(items));
        });
  }

  void handleOwn(IqRequest& request, ItemsRequest r) { retrieveItems(request, std::move(r), true); }

  void handleOwn(IqRequest& request, CreateRequest r) {
    auto self = shared_from_this();
    run(request,
        [self, user = request.from.local(), r]() -> Expected<StoredNode, PubsubError> {
          auto created = self->store_.create(user, r.node, r.config);
          if (!created) return unexpected(toPubsubError(created.error()));
          return std::move(*created);
        },
        [self](const IqRequest& request, StoredNode&) { self->reply(request, emptyResult()); });
  }

  void handleOwn(IqRequest& request, ConfigureGetRequest r) {
    auto self = shared_from_this();
    run(request,
        [self, user = request.from.local(), r]() -> Expected<StoredNode, PubsubError> {
          auto node = self->store_.node(user, r.node);
          if (!node) return unexpected(PubsubError::plain(StanzaError::itemNotFound()));
          return std::move(*node);
        },
        [self](const IqRequest& request, StoredNode& node) {
          xml::Element configure = withNode("configure", kPubsubOwnerNs, node.name);
          configure.addChild(configForm(node.config));
          self->reply(request, pubsubResult(std::move(configure), kPubsubOwnerNs));
        });
  }

  void handleOwn(IqRequest& request, ConfigureSetRequest r) {
    auto self = shared_from_this();
    if (!r.form) return reply(request, emptyResult());  // cancelled: nothing changes
    run(request,
        [self, user = request.from.local(), r]() -> Expected<StoredNode, PubsubError> {
          auto node = self->store_.configure(user, r.node, *r.form);
          if (!node) return unexpected(toPubsubError(node.error()));
          return std::move(*node);
        },
        [self](const IqRequest& request, StoredNode&) { self->reply(request, emptyResult()); });
  }

  void handleOwn(IqRequest& request, DeleteRequest r) { removeAll(request, std::move(r.node), true); }

  void handleOwn(IqRequest& request, PurgeRequest r) { removeAll(request, std::move(r.node), false); }

  void handleOwn(IqRequest& request, DefaultConfigRequest) {
    xml::Element defaults("default", std::string(kPubsubOwnerNs));
    defaults.addChild(configForm(NodeConfig{}));
    reply(request, pubsubResult(std::move(defaults), kPubsubOwnerNs));
  }

  // Delete (the node goes) or purge (its items go); subscribers hear which.
  void removeAll(const IqRequest& request, std::string node, bool deleteNode) {
    auto self = shared_from_this();
    Jid owner = request.from.bare();
    run(request,
        [self, user = owner.local(), node, deleteNode]() -> Expected<WithAudience<Removed>, PubsubError> {
          auto removed = deleteNode ? self->store_.deleteNode(user, node) : self->store_.purge(user, node);
          if (!removed) return unexpected(toPubsubError(removed.error()));
          auto contacts = self->audience(user, removed->node.config);
          return WithAudience<Removed>{std::move(*removed), std::move(contacts)};
        },
        [self, owner, node, deleteNode](const IqRequest& request, WithAudience<Removed>& done) {
          self->reply(request, emptyResult());
          if (node == avatar::kMetadataNode) self->avatarHashes_.set(owner.local(), "");
          self->notify(owner, node, done.contacts, withNode(deleteNode ? "delete" : "purge", kPubsubEventNs, node));
        });
  }

  // --- reading items (owner and others) ---

  // Why `requester` may not read `node` of `owner`, if they may not (storage pool only).
  std::optional<PubsubError> accessDenied(std::string_view owner, const StoredNode& node, std::string_view requester) {
    switch (node.config.accessModel) {
      case AccessModel::Open:
        return std::nullopt;
      case AccessModel::Presence: {
        auto item = roster_.get(owner, requester);
        if (item && item->hasFrom()) return std::nullopt;
        return PubsubError::presenceSubscriptionRequired();
      }
      case AccessModel::Whitelist:
        return PubsubError::closedNode();
    }
    return PubsubError::closedNode();
  }

  void retrieveItems(const IqRequest& request, ItemsRequest r, bool own) {
    auto self = shared_from_this();
    run(request,
        [self, owner = request.to.local(), requester = request.from.bareString(), r,
         own]() -> Expected<std::vector<xml::Element>, PubsubError> {
          auto node = self->store_.node(owner, r.node);
          if (!node) return unexpected(PubsubError::plain(StanzaError::itemNotFound()));
          if (!own) {
            if (auto denied = self->accessDenied(owner, *node, requester)) return unexpected(*denied);
          }
          std::vector<std::string> ids;
          if (!r.itemIds.empty()) {
            for (const auto& id : r.itemIds) {
              if (std::find(node->itemIds.begin(), node->itemIds.end(), id) != node->itemIds.end()) ids.push_back(id);
            }
          } else {
            ids = node->itemIds;
            // The newest ones (XEP-0060 §6.5.7), still oldest first.
            if (r.maxItems && ids.size() > static_cast<std::size_t>(*r.maxItems)) {
              ids.erase(ids.begin(), ids.end() - *r.maxItems);
            }
          }
          return self->store_.items(owner, r.node, ids);
        },
        [self, node = r.node](const IqRequest& request, std::vector<xml::Element>& items) {
          xml::Element out = withNode("items", kPubsubNs, node);
          for (auto& item : items) out.addChild(std::move(item));
          self->reply(request, pubsubResult(std::move(out)));
        });
  }

  // --- service discovery ---

  xml::Element accountInfo(bool own) const {
    xml::Element query("query", std::string(kDiscoInfoNs));
    auto identity = [&](std::string_view category, std::string_view type) {
      auto& id = query.addChild(xml::Element("identity", std::string(kDiscoInfoNs)));
      id.setAttr("category", category);
      id.setAttr("type", type);
    };
    identity("account", "registered");
    identity("pubsub", "pep");
    std::vector<std::string_view> features = pepFeatures();
    features.push_back(kDiscoInfoNs);
    // COMPAT: one module answers the owner's disco#info on the account; the message archive's
    // feature is on the same JID (XEP-0313 §7), so it is repeated here while MAM is enabled.
    const auto& server = ctx_.disco().features;
    if (own && std::find(server.begin(), server.end(), kMamNs) != server.end()) features.push_back(kMamNs);
    if (own && std::find(server.begin(), server.end(), kStanzaIdNs) != server.end()) features.push_back(kStanzaIdNs);
    // XEP-0398 §2: the account says the server converts between PEP avatars and vCard photos.
    if (own && vcardEnabled()) features.push_back(avatar::kConversionFeature);
    std::sort(features.begin(), features.end());
    for (auto f : features) query.addChild(xml::Element("feature", std::string(kDiscoInfoNs))).setAttr("var", f);
    return query;
  }

  void otherDiscoInfo(const IqRequest& request) {
    if (request.payload().attr("node")) return reply(request, notFound());
    auto self = shared_from_this();
    run(request,
        [self, owner = request.to.local()]() -> Expected<bool, PubsubError> {
          // RFC 6121 §8.5.1: an account that does not exist answers nothing.
          if (!self->accounts_->get(owner)) return unexpected(PubsubError::plain(StanzaError::serviceUnavailable()));
          return true;
        },
        [self](const IqRequest& request, bool) {
          self->reply(request, std::optional<xml::Element>(self->accountInfo(false)));
        });
  }

  // The nodes of the account the requester may read (XEP-0163 §7, XEP-0030 items with 'node').
  void discoItems(const IqRequest& request, bool own) {
    if (request.payload().attr("node")) return reply(request, notFound());
    auto self = shared_from_this();
    run(request,
        [self, owner = request.to.local(), requester = request.from.bareString(),
         own]() -> Expected<std::vector<std::string>, PubsubError> {
          if (!own && !self->accounts_->get(owner)) {
            return unexpected(PubsubError::plain(StanzaError::serviceUnavailable()));
          }
          std::vector<std::string> names;
          for (const auto& node : self->store_.nodes(owner)) {
            if (own || !self->accessDenied(owner, node, requester)) names.push_back(node.name);
          }
          return names;
        },
        [self](const IqRequest& request, std::vector<std::string>& names) {
          xml::Element query("query", std::string(kDiscoItemsNs));
          for (const auto& name : names) {
            auto& item = query.addChild(withNode("item", kDiscoItemsNs, name));
            item.setAttr("jid", request.to.bareString());
          }
          self->reply(request, std::optional<xml::Element>(std::move(query)));
        });
  }

  // --- notifications ---

  // Available resources of the owner and of `contacts` that asked for `node` notifications.
  std::vector<Jid> recipients(const Jid& owner, std::string_view node, const std::vector<std::string>& contacts) {
    std::vector<Jid> out;
    auto add = [&](const Jid& bare) {
      for (const auto& r : ctx_.router().sessions().resourcesOf(bare)) {
        if (!r.available) continue;
        auto features = interests_.features(r.jid.full());
        if (features && features->wantsNotify(node)) out.push_back(r.jid);
      }
    };
    add(owner);
    for (const auto& c : contacts) {
      auto jid = Jid::parse(c);
      if (jid && jid->hasLocal() && jid->domain() == domain_ && *jid != owner) add(*jid);
    }
    return out;
  }

  void sendEvent(const Jid& owner, const Jid& to, xml::Element payload) {
    xml::Element message("message", std::string(router::kClientNs));
    message.setAttr("from", owner.bareString());
    message.setAttr("to", to.full());
    message.setAttr("type", "headline");
    message.setAttr("id", util::randomHex(8));
    message.addChild(xml::Element("event", std::string(kPubsubEventNs))).addChild(std::move(payload));
    // Through the router rather than straight to the session, so privacy rules (blocking) apply.
    ctx_.router().route(std::move(message));
  }

  void notify(const Jid& owner, std::string_view node, const std::vector<std::string>& contacts,
              const xml::Element& payload) {
    for (const Jid& to : recipients(owner, node, contacts)) sendEvent(owner, to, payload);
  }

  // --- caps ---

  void forgetResource(const std::string& full) {
    interests_.forget(full);
    queries_.forgetResource(full);
  }

  // The features in a client's disco#info answer. Cached process-wide only when they hash to the
  // advertised ver (XEP-0115 §5.4); otherwise they still serve this one resource, which can only
  // mislead itself.
  static std::shared_ptr<const CapsFeatures> featuresOfAnswer(const CapsQueries::Query& query,
                                                              const xml::Element& result) {
    auto info = parseDiscoInfo(result);
    if (info) {
      auto features = CapsFeatures::make(info->features);
      if (capsHash(query.hash, verificationString(*info)) == query.ver) {
        spdlog::debug("pep: caps {} {} verified ({} +notify)", query.hash, query.ver, features->notifyNodes.size());
        CapsCache::processWide().add(query.hash, query.ver, features);
      } else {
        spdlog::debug("pep: caps of {} do not hash to {}", query.fullJid, query.ver);
      }
      return features;
    }
    std::vector<std::string> raw;
    for (const auto& c : result.children()) {
      if (!c.isText() && c.name() == "feature" && c.xmlns() == kDiscoInfoNs) raw.emplace_back(c.attrOr("var", ""));
    }
    return CapsFeatures::make(std::move(raw));
  }

  // The last item of every node the viewer now wants notifications for, from its own account and
  // from every contact whose presence it sees (XEP-0163 §4.3.3: this is how a client learns
  // the current state at sign-in).
  void sendLastItems(const Jid& viewer, std::shared_ptr<const CapsFeatures> features) {
    if (features->notifyNodes.empty()) return;
    auto self = shared_from_this();
    ctx_.runBlocking([self, viewer, features] { return self->lastItemsFor(viewer, *features); },
                     [self, viewer](auto result) {
                       if (!result) {
                         spdlog::warn("pep: last items for {}: {}", viewer.full(), result.error());
                         return;
                       }
                       for (auto& last : *result) {
                         auto owner = Jid::make(last.owner, self->domain_);
                         if (owner) self->sendEvent(*owner, viewer, itemsEvent(last.node, std::move(last.item)));
                       }
                     });
  }

  // Storage pool only.
  std::vector<LastItem> lastItemsFor(const Jid& viewer, const CapsFeatures& features) {
    std::vector<std::string> owners{viewer.local()};
    for (const auto& item : roster_.items(viewer.local())) {
      if (!item.hasTo()) continue;
      auto contact = Jid::parse(item.jid);
      if (contact && contact->hasLocal() && contact->domain() == domain_ && contact->local() != viewer.local()) {
        owners.push_back(contact->local());
      }
    }
    std::vector<LastItem> out;
    std::string viewerBare = viewer.bareString();
    for (const auto& owner : owners) {
      for (const auto& node : store_.nodes(owner)) {
        if (node.itemIds.empty() || node.config.sendLastPublished == SendLastPublished::Never ||
            !features.wantsNotify(node.name)) {
          continue;
        }
        if (owner != viewer.local() && accessDenied(owner, node, viewerBare)) continue;
        auto items = store_.items(owner, node.name, {node.itemIds.back()});
        if (!items.empty()) out.push_back({owner, node.name, std::move(items.front())});
      }
    }
    return out;
  }

  ModuleContext& ctx_;
  std::string domain_;
  PepStore store_;              // thread-safe: its own lock over the driver's stores
  roster::RosterStore roster_;  // thread-safe: a thin layer over the driver's stores
  std::shared_ptr<storage::KeyValStore> accounts_;
  std::shared_ptr<storage::KeyValStore> vcards_;  // the vcard module's store, for XEP-0398
  avatar::AvatarHashes avatarHashes_;
  ResourceInterests interests_;
  CapsQueries queries_;
};

}  // namespace

void setup(ModuleContext& ctx) {
  auto m = std::make_shared<PepModule>(ctx);
  auto own = [m](router::StanzaEvent& e) { return m->onOwnPubsub(e); };
  for (std::string_view type : {"get", "set"}) {
    for (std::string_view ns : {kPubsubNs, kPubsubOwnerNs}) {
      ctx.hooks().onStanza("iq-" + std::string(type) + "/self/" + std::string(ns) + ":pubsub", 0, "pep", own);
    }
  }
  // Above the message archive's answer (-10), which this one includes.
  ctx.hooks().onStanza("iq-get/self/" + std::string(kDiscoInfoNs) + ":query", 0, "pep",
                       [m](router::StanzaEvent& e) { return m->onOwnDiscoInfo(e); });
  ctx.hooks().onStanza("iq-get/self/" + std::string(kDiscoItemsNs) + ":query", 0, "pep",
                       [m](router::StanzaEvent& e) { return m->onOwnDiscoItems(e); });
  // Other people's requests come through the general "iq/bare" event rather than
  // "iq-get/bare/...": the blocking module filters that event first (priority 100), so someone
  // a user blocks cannot read the user's PEP data either.
  ctx.hooks().onStanza("iq/bare", 0, "pep", [m](router::StanzaEvent& e) { return m->onOtherAccountIq(e); });
  for (std::string_view target : {"iq/host", "iq/self"}) {
    ctx.hooks().onStanza(target, 0, "pep", [m](router::StanzaEvent& e) { return m->onIqResponse(e); });
  }
  ctx.hooks().onStanza("presence/broadcast", 0, "pep",
                       [m](router::StanzaEvent& e) { return m->onBroadcastPresence(e); });
  // XEP-0398. Above the vcard module's handler (0), which still stores the vCard.
  ctx.hooks().onStanza("iq-set/self/" + std::string(kVcardNs) + ":vCard", 10, "pep",
                       [m](router::StanzaEvent& e) { return m->onOwnVcardSet(e); });
  // Above the MUC (20) and presence (10) modules, which pass the presence on.
  ctx.hooks().onStanza("presence/broadcast", 30, "pep", [m](router::StanzaEvent& e) { return m->onPresenceStamp(e); });
  ctx.hooks().sessionBound.add(0, "pep", [m](router::SessionEvent& e) {
    m->onSessionBound(e);
    return HookResult::Pass;
  });
  ctx.hooks().sessionClosed.add(0, "pep", [m](router::SessionEvent& e) {
    m->onSessionClosed(e);
    return HookResult::Pass;
  });
}

}  // namespace telex::modules::pep
