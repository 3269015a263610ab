// Archiving preferences (XEP-0441, in the urn:xmpp:mam:2 namespace): which conversations a
// user's archive keeps, their <prefs/> element, and how they are stored.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "jid/jid.hpp"
#include "router/stanza_error.hpp"
#include "util/expected.hpp"
#include "xml/element.hpp"

namespace telex::modules::mam {

// What happens to messages with JIDs on neither list.
enum class DefaultPolicy { Always, Roster, Never };
std::optional<DefaultPolicy> parsePolicy(std::string_view name);
std::string_view policyName(DefaultPolicy policy);

struct Prefs {
  DefaultPolicy byDefault = DefaultPolicy::Always;
  std::vector<std::string> always;  // normalized JIDs, bare or full, sorted and unique
  std::vector<std::string> never;
  friend bool operator==(const Prefs&, const Prefs&) = default;
};

// Reads <prefs default=''><always><jid/>…</always><never>…</never></prefs>.
Expected<Prefs, router::StanzaError> parsePrefs(const xml::Element& prefs);
xml::Element prefsElement(const Prefs& prefs);

// One line for the default policy, then "+jid" (always) and "-jid" (never) lines.
std::string encodePrefs(const Prefs& prefs);
std::optional<Prefs> decodePrefs(std::string_view text);

enum class Decision { Archive, Skip, IfInRoster };
// A listed bare JID covers all its resources; a listed full JID only itself. 'never' wins
// over 'always' for a JID on both lists.
Decision decide(const Prefs& prefs, const Jid& other);

}  // namespace telex::modules::mam
