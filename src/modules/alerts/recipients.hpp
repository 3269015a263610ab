// Who an alert names, resolved against the accounts, groups and persistent rooms: "alice" or
// "alice@domain" (a user: all of their online resources), "alice@domain/desk" (one machine),
// "group:NAME" (a server-side group), "room:NAME" or "NAME@conference.domain" (the members, admins
// and owners of a persistent room), "everyone" (every account).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "storage/store.hpp"

namespace telex::modules::alerts {

struct Target {
  std::string jid;  // bare or full JID of a local account
  std::string via;  // the spec that named it
};

struct Resolution {
  std::vector<Target> targets;       // in request order, without duplicates
  std::vector<std::string> unknown;  // specs naming nobody that exists
};

// Blocking: run it on the storage pool.
class RecipientResolver {
 public:
  RecipientResolver(storage::StorageDriver& storage, std::string domain, std::string mucDomain);
  Resolution resolve(const std::vector<std::string>& specs);

 private:
  void add(Resolution& out, std::string jid, const std::string& via);
  bool account(const std::string& user);

  std::shared_ptr<storage::KeyValStore> accounts_;
  std::shared_ptr<storage::KeyValStore> groups_;
  std::shared_ptr<storage::MapStore> rooms_;
  std::string domain_;
  std::string mucDomain_;
  std::vector<std::string> seen_;
  storage::StorageDriver& storage_;
};

}  // namespace telex::modules::alerts
