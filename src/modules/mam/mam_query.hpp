// XEP-0313 archive queries: the data form and XEP-0059 RSM request parsed into one MamQuery,
// run against an ArchiveStore, and the answer's pieces (<result/> messages, <fin/>, the form).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "jid/jid.hpp"
#include "router/stanza_error.hpp"
#include "storage/store.hpp"
#include "util/expected.hpp"
#include "xml/element.hpp"

namespace telex::modules::mam {

inline constexpr std::string_view kMamNs = "urn:xmpp:mam:2";
inline constexpr std::string_view kRsmNs = "http://jabber.org/protocol/rsm";
inline constexpr std::string_view kDataNs = "jabber:x:data";

struct MamQuery {
  std::string queryId;                           // echoed in every <result/>; may be empty
  std::optional<std::string> with;               // bare JID (a full JID is narrowed to its bare JID)
  std::optional<std::int64_t> start, end;        // unix ms, inclusive
  std::optional<std::string> afterId, beforeId;  // form fields 'after-id' / 'before-id': filters
  std::optional<std::size_t> max;                // RSM <max>
  std::optional<std::string> after;              // RSM <after>
  std::optional<std::string> before;             // RSM <before>; empty asks for the last page
  bool flipPage = false;                         // send the page newest first

  // RSM <before/> pages backwards from the end (or from an id); before-id alone does not.
  bool backward() const { return before.has_value(); }
};

// Reads <query xmlns='urn:xmpp:mam:2'>. Unknown form fields are feature-not-implemented
// (XEP-0313 §4.1.5); malformed values are bad-request.
Expected<MamQuery, router::StanzaError> parseQuery(const xml::Element& query);

// XEP-0082 DateTime (CCYY-MM-DDThh:mm:ss[.sss](Z|+hh:mm|-hh:mm)) as unix milliseconds.
std::optional<std::int64_t> parseDateTime(std::string_view text);

// Items per page: the client's <max> (or `fallback`), never more than `cap`.
std::size_t pageLimit(const MamQuery& query, std::size_t cap, std::size_t fallback = 50);

// Runs the query on `user`'s archive, oldest item first. Throws storage::ItemNotFoundError when
// an after/before id is not in the archive.
storage::ArchivePage runQuery(storage::ArchiveStore& store, std::string_view user, const MamQuery& query,
                              std::size_t limit);

// RSM <first index=''>: the page's position in the whole result set, where it is known without
// counting (the store counts the whole set, not the items before an id).
std::optional<std::size_t> firstIndex(const MamQuery& query, const storage::ArchivePage& page);

// <fin xmlns='urn:xmpp:mam:2' complete=''><set xmlns=rsm>first, last, count</set></fin>.
xml::Element makeFin(const MamQuery& query, const storage::ArchivePage& page);

// The serialized <message from=archive to=requester><result><forwarded><delay/>stored</...>
// for one archived item; `item.value` is the stanza as stored by the mam module.
std::string resultMessage(const Jid& archive, const Jid& requester, std::string_view queryId,
                          const storage::ArchiveItem& item, std::string_view messageId);

// The search form a client may ask for (iq get <query/>).
xml::Element queryForm();

}  // namespace telex::modules::mam
