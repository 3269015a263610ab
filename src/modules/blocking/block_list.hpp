// Block lists (XEP-0191): the JID matching rules and the in-memory registry of every user's list.
#pragma once

#include <atomic>
#include <cstddef>
#include <map>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "jid/jid.hpp"

namespace telex::modules::blocking {

// A user's blocked JIDs, each in normalized string form (Jid::full()).
using BlockSet = std::set<std::string, std::less<>>;

// Whether one block-list item covers `address` (XEP-0191 §3 uses the XEP-0016 rules):
// user@domain/resource covers only that resource, user@domain covers every resource of the
// account, domain/resource covers only that resource of the domain itself, and domain covers the
// domain and everyone and everything at it.
bool itemMatches(const Jid& item, const Jid& address);

// The three strings a normalized address can be blocked under: itself, its bare form and its
// domain. `items` covers the address when it holds any of them (same rules as itemMatches).
struct AddressForms {
  std::string_view full;
  std::string_view bare;
  std::string_view local;  // empty for a domain or domain/resource
  std::string_view domain;
};
// `address` must already be normalized (the server stamps and normalizes every address it routes),
// so this only splits, without stringprep.
AddressForms addressForms(std::string_view address);
bool blockSetCovers(const BlockSet& items, std::string_view address);

// Storage form: one JID per line, sorted. Normalized JIDs never contain a line break (stringprep
// prohibits control characters); lines that do not parse are skipped on reading.
std::string encodeBlockList(const BlockSet& items);
BlockSet decodeBlockList(std::string_view text);

// Every local user's block list, by localpart; thread-safe. All lists live in memory for the
// server's lifetime (see blocking.cpp for why), so every check is a synchronous lookup.
class BlockListRegistry {
 public:
  // Replaces `user`'s list (start-up loading).
  void load(std::string_view user, BlockSet items);

  // Whether `user` blocks `address` (normalized). Cheap when `user` has no list.
  bool blocks(std::string_view user, std::string_view address) const;
  bool blocks(std::string_view user, const Jid& address) const;
  BlockSet items(std::string_view user) const;

  // Adds `jids`; returns the ones that were not there yet, or nullopt (nothing changed) when the
  // list would then exceed `maxItems`.
  std::optional<std::vector<std::string>> add(std::string_view user, const std::vector<std::string>& jids,
                                              std::size_t maxItems);
  // Removes `jids`; returns the ones that were there.
  std::vector<std::string> remove(std::string_view user, const std::vector<std::string>& jids);
  // Empties the list; returns what it held.
  std::vector<std::string> clear(std::string_view user);

  std::size_t userCount() const;  // users with a non-empty list

 private:
  mutable std::shared_mutex mutex_;
  std::map<std::string, BlockSet, std::less<>> lists_;  // only non-empty lists
  // Lets the hot path (every routed stanza) skip the lock while nobody blocks anybody.
  std::atomic<std::size_t> nonEmpty_{0};
};

}  // namespace telex::modules::blocking
