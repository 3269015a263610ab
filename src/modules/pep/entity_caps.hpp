// XEP-0115 Entity Capabilities: the verification string of a disco#info answer and its hash.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "xml/element.hpp"

namespace telex::modules::pep {

inline constexpr std::string_view kCapsNs = "http://jabber.org/protocol/caps";
inline constexpr std::string_view kDiscoInfoNs = "http://jabber.org/protocol/disco#info";

struct CapsIdentity {
  std::string category;
  std::string type;
  std::string lang;
  std::string name;
  friend bool operator==(const CapsIdentity&, const CapsIdentity&) = default;
  friend auto operator<=>(const CapsIdentity&, const CapsIdentity&) = default;
};

struct CapsFormField {
  std::string var;
  std::vector<std::string> values;
};

// An extended service discovery form (XEP-0128), reduced to what the hash covers.
struct CapsForm {
  std::string formType;
  std::vector<CapsFormField> fields;  // without FORM_TYPE
};

// A disco#info answer as the hash sees it.
struct DiscoInfo {
  std::vector<CapsIdentity> identities;
  std::vector<std::string> features;
  std::vector<CapsForm> forms;
};

// The <c/> element of a presence: only the XEP-0115 v1.5 form (with 'hash'); the legacy form
// without 'hash' cannot be verified and is ignored.
struct CapsAdvert {
  std::string hash;  // e.g. "sha-1"
  std::string node;
  std::string ver;
};
std::optional<CapsAdvert> capsOfPresence(const xml::Element& presence);

// Reads a disco#info <query/>. nullopt when it breaks the rules of XEP-0115 §5.4 step 3
// (duplicate identities or features, two forms with one FORM_TYPE, a FORM_TYPE with several
// values), which make any hash over it meaningless. Forms without a hidden FORM_TYPE are left
// out, as §5.4 says.
std::optional<DiscoInfo> parseDiscoInfo(const xml::Element& query);

// The string S of XEP-0115 §5.1 (steps 1-7).
std::string verificationString(const DiscoInfo& info);

// base64(hash(S)) for the IANA hash name in the caps element ("sha-1", "sha-224", "sha-256",
// "sha-384", "sha-512"); nullopt for a hash function this server does not know.
std::optional<std::string> capsHash(std::string_view hashName, std::string_view verificationString);

}  // namespace telex::modules::pep
