// The bytes telex-bench sends, built as plain strings (no Element tree: the driver must stay
// cheaper than the servers it measures), the timestamp carried in each message, and a SCRAM-SHA-1
// client that caches SaltedPassword so thousands of logins don't cost the driver a PBKDF2 each.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace telex::bench {

std::string streamHeader(std::string_view domain);
std::string authPlain(std::string_view user, std::string_view password);
std::string authScramSha1(std::string_view clientFirst);
std::string saslResponse(std::string_view message);
std::string bindIq(std::string_view id, std::string_view resource);
std::string rosterGetIq(std::string_view id);
std::string pingIq(std::string_view id, std::string_view domain);

// A chat message whose id is "<kind><sender>-<seq>" and whose body starts with "t=<sentNs> " and
// is padded with 'x' so the whole stanza is about `targetBytes` long (never shorter than needed).
std::string chatMessage(std::string_view to, std::string_view type, char kind, std::uint32_t sender,
                        std::uint64_t seq, std::uint64_t sentNs, std::size_t targetBytes);

// The send time from a body built by chatMessage; nullopt when the body isn't one of ours.
std::optional<std::uint64_t> parseSentNs(std::string_view body);
struct MessageId {
  char kind = 0;
  std::uint32_t sender = 0;
  std::uint64_t seq = 0;
};
// Parses "<kind><sender>-<seq>"; nullopt for anything else.
std::optional<MessageId> parseMessageId(std::string_view id);
// Whether a message of this id kind and type is a delivery the driver counts: 'c' ids come back
// as chat, 'g' ids as groupchat (anything else, e.g. an error bounce, is not a delivery).
bool isDelivery(char kind, std::string_view type);

// SCRAM-SHA-1 (RFC 5802), client side, without channel binding.
class ScramSha1Client {
 public:
  // Cache shared by all sessions of one driver: (password, salt, iterations) → ClientKey and
  // ServerKey. Bulk-created accounts usually share the salt, so PBKDF2 runs once.
  class KeyCache {
   public:
    std::pair<std::string, std::string> keys(std::string_view password, std::string_view salt,
                                             std::uint32_t iterations);
    std::size_t derivations() const { return derivations_; }

   private:
    std::map<std::string, std::pair<std::string, std::string>> keys_;
    std::size_t derivations_ = 0;
  };

  ScramSha1Client(std::string user, std::string password, std::string nonce);
  std::string clientFirst() const;  // "n,,n=user,r=nonce"
  // server-first → client-final; nullopt when the message is malformed or the nonce is not ours.
  std::optional<std::string> clientFinal(std::string_view serverFirst, KeyCache& cache);
  // True when server-final carries the expected v=ServerSignature.
  bool verifyServerFinal(std::string_view serverFinal) const;

 private:
  std::string user_;
  std::string password_;
  std::string nonce_;
  std::string expectedSignature_;  // base64
};

}  // namespace telex::bench
