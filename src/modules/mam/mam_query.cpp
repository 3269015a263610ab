// Parsing and answering XEP-0313 queries, independent of sessions and threads.
#include "modules/mam/mam_query.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>

#include "modules/carbons/forward.hpp"
#include "modules/time/time.hpp"

namespace telex::modules::mam {
namespace {

using router::StanzaError;

constexpr std::string_view kDelayNs = "urn:xmpp:delay";

// Exactly `n` decimal digits at `pos`.
std::optional<int> digits(std::string_view s, std::size_t pos, std::size_t n) {
  if (pos + n > s.size()) return std::nullopt;
  int value = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
    value = value * 10 + (s[i] - '0');
  }
  return value;
}

std::vector<std::string> fieldValues(const xml::Element& field) {
  std::vector<std::string> out;
  for (const auto& c : field.children()) {
    if (!c.isText() && c.name() == "value") out.push_back(c.textContent());
  }
  return out;
}

Expected<std::monostate, StanzaError> readForm(const xml::Element& form, MamQuery& q) {
  std::string_view type = form.attrOr("type", "submit");
  if (type != "submit") return unexpected(StanzaError::badRequest("the query form must be of type submit"));
  for (const auto& field : form.children()) {
    if (field.isText() || field.name() != "field" || field.xmlns() != kDataNs) continue;
    std::string var(field.attrOr("var", ""));
    auto values = fieldValues(field);
    // An empty field is the same as no field: some clients send the whole form back.
    std::string value = values.empty() ? std::string() : values.front();
    if (var == "FORM_TYPE") {
      if (value != kMamNs) return unexpected(StanzaError::badRequest("FORM_TYPE must be urn:xmpp:mam:2"));
    } else if (var == "with") {
      if (value.empty()) continue;
      auto jid = Jid::parse(value);
      if (!jid) return unexpected(StanzaError::jidMalformed("'with' is not a valid JID"));
      q.with = jid->bareString();
    } else if (var == "start" || var == "end") {
      if (value.empty()) continue;
      auto when = parseDateTime(value);
      if (!when) return unexpected(StanzaError::badRequest("'" + var + "' is not an XEP-0082 date-time"));
      (var == "start" ? q.start : q.end) = *when;
    } else if (var == "after-id" || var == "before-id") {
      if (value.empty()) continue;
      (var == "after-id" ? q.afterId : q.beforeId) = value;
    } else {
      return unexpected(StanzaError::featureNotImplemented("unsupported field '" + var + "'"));
    }
  }
  return std::monostate{};
}

Expected<std::monostate, StanzaError> readRsm(const xml::Element& set, MamQuery& q) {
  for (const auto& c : set.children()) {
    if (c.isText() || c.xmlns() != kRsmNs) continue;
    std::string text = c.textContent();
    if (c.name() == "max") {
      std::size_t max = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), max);
      if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
        return unexpected(StanzaError::badRequest("<max/> must be a non-negative integer"));
      }
      q.max = max;
    } else if (c.name() == "after") {
      if (text.empty()) return unexpected(StanzaError::badRequest("<after/> needs an id"));
      q.after = text;
    } else if (c.name() == "before") {
      q.before = text;
    } else if (c.name() == "index") {
      return unexpected(StanzaError::featureNotImplemented("paging by index is not supported"));
    }
  }
  return std::monostate{};
}

}  // namespace

std::optional<std::int64_t> parseDateTime(std::string_view s) {
  auto year = digits(s, 0, 4), month = digits(s, 5, 2), day = digits(s, 8, 2);
  auto hour = digits(s, 11, 2), minute = digits(s, 14, 2), second = digits(s, 17, 2);
  if (!year || !month || !day || !hour || !minute || !second) return std::nullopt;
  if (s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':') return std::nullopt;
  if (*hour > 23 || *minute > 59 || *second > 60) return std::nullopt;
  std::chrono::year_month_day date{std::chrono::year(*year), std::chrono::month(static_cast<unsigned>(*month)),
                                   std::chrono::day(static_cast<unsigned>(*day))};
  if (!date.ok()) return std::nullopt;

  std::size_t pos = 19;
  std::int64_t millis = 0;
  if (pos < s.size() && s[pos] == '.') {
    std::size_t first = ++pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      // Only milliseconds are kept; further digits are read and dropped.
      if (pos - first < 3) millis = millis * 10 + (s[pos] - '0');
      ++pos;
    }
    if (pos == first) return std::nullopt;
    for (std::size_t n = pos - first; n < 3; ++n) millis *= 10;
  }
  std::int64_t offsetMinutes = 0;
  if (pos < s.size() && s[pos] == 'Z') {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    auto oh = digits(s, pos + 1, 2), om = digits(s, pos + 4, 2);
    if (!oh || !om || pos + 3 >= s.size() || s[pos + 3] != ':' || *oh > 23 || *om > 59) return std::nullopt;
    offsetMinutes = (*oh * 60 + *om) * (s[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return std::nullopt;  // XEP-0082 DateTime requires a time zone
  }
  if (pos != s.size()) return std::nullopt;

  std::int64_t days = std::chrono::sys_days(date).time_since_epoch().count();
  std::int64_t seconds = ((days * 24 + *hour) * 60 + *minute - offsetMinutes) * 60 + *second;
  return seconds * 1000 + millis;
}

Expected<MamQuery, StanzaError> parseQuery(const xml::Element& query) {
  MamQuery q;
  q.queryId = std::string(query.attrOr("queryid", ""));
  // 'node' addresses pubsub archives (XEP-0442); a user archive has none.
  if (query.attr("node")) return unexpected(StanzaError::itemNotFound("no such archive node"));
  for (const auto& c : query.children()) {
    if (c.isText()) continue;
    if (c.name() == "x" && c.xmlns() == kDataNs) {
      if (auto ok = readForm(c, q); !ok) return unexpected(ok.error());
    } else if (c.name() == "set" && c.xmlns() == kRsmNs) {
      if (auto ok = readRsm(c, q); !ok) return unexpected(ok.error());
    } else if (c.name() == "flip-page" && c.xmlns() == kMamNs) {
      q.flipPage = true;
    }
  }
  return q;
}

std::size_t pageLimit(const MamQuery& query, std::size_t cap, std::size_t fallback) {
  return std::min(query.max.value_or(fallback), cap);
}

storage::ArchivePage runQuery(storage::ArchiveStore& store, std::string_view user, const MamQuery& q,
                              std::size_t limit) {
  storage::ArchiveQuery a;
  a.with = q.with;
  a.start = q.start;
  a.end = q.end;
  a.limit = limit;
  // An RSM cursor comes from an earlier page of the same result set, so it lies inside the
  // after-id/before-id range and is the tighter bound.
  a.afterId = q.after ? q.after : q.afterId;
  if (q.backward()) {
    a.reverse = true;
    a.beforeId = q.before->empty() ? q.beforeId : q.before;
    return store.query(user, a);
  }
  a.beforeId = q.beforeId;
  if (!a.beforeId) return store.query(user, a);
  // A forward page with an upper bound: the store reads backwards from a beforeId. If the whole
  // range fits in one page that is also the forward page; otherwise the first `limit` items
  // after the lower bound all lie below the upper bound.
  storage::ArchivePage tail = store.query(user, a);
  if (tail.complete) return tail;
  a.beforeId.reset();
  storage::ArchivePage head = store.query(user, a);
  head.complete = false;
  return head;
}

std::optional<std::size_t> firstIndex(const MamQuery& q, const storage::ArchivePage& page) {
  if (page.items.empty() || q.afterId || q.beforeId || page.items.size() > page.total) return std::nullopt;
  std::size_t n = page.items.size();
  if (!q.backward()) {
    if (!q.after) return 0;
    // The page runs to the end of the result set.
    if (page.complete) return page.total - n;
    return std::nullopt;
  }
  if (q.after) return std::nullopt;
  if (q.before->empty()) return page.total - n;
  if (page.complete) return 0;
  return std::nullopt;
}

xml::Element makeFin(const MamQuery& q, const storage::ArchivePage& page) {
  xml::Element fin("fin", std::string(kMamNs));
  fin.setAttr("complete", page.complete ? "true" : "false");
  auto& set = fin.addChild(xml::Element("set", std::string(kRsmNs)));
  if (!page.items.empty()) {
    auto& first = set.addChild(xml::Element("first", std::string(kRsmNs)));
    if (auto index = firstIndex(q, page)) first.setAttr("index", std::to_string(*index));
    first.addText(page.items.front().id);
    set.addChild(xml::Element("last", std::string(kRsmNs))).addText(page.items.back().id);
  }
  set.addChild(xml::Element("count", std::string(kRsmNs))).addText(std::to_string(page.total));
  return fin;
}

std::string resultMessage(const Jid& archive, const Jid& requester, std::string_view queryId,
                          const storage::ArchiveItem& item, std::string_view messageId) {
  xml::Element forwarded("forwarded", std::string(forward::kForwardNs));
  auto& delay = forwarded.addChild(xml::Element("delay", std::string(kDelayNs)));
  std::chrono::system_clock::time_point when{std::chrono::milliseconds(item.when)};
  delay.setAttr("stamp", time::utcTimestamp(when));
  xml::Element result("result", std::string(kMamNs));
  if (!queryId.empty()) result.setAttr("queryid", queryId);
  result.setAttr("id", item.id);
  xml::Element message("message", std::string(router::kClientNs));
  message.setAttr("from", archive.bareString());
  message.setAttr("to", requester.full());
  message.setAttr("id", messageId);
  return forward::serializeAround(
      message, router::kClientNs,
      forward::serializeAround(result, router::kClientNs, forward::serializeAround(forwarded, kMamNs, item.value)));
}

xml::Element queryForm() {
  xml::Element query("query", std::string(kMamNs));
  auto& form = query.addChild(xml::Element("x", std::string(kDataNs)));
  form.setAttr("type", "form");
  auto field = [&form](std::string_view var, std::string_view type) -> xml::Element& {
    auto& f = form.addChild(xml::Element("field", std::string(kDataNs)));
    f.setAttr("type", type);
    f.setAttr("var", var);
    return f;
  };
  field("FORM_TYPE", "hidden").addChild(xml::Element("value", std::string(kDataNs))).addText(kMamNs);
  field("with", "jid-single");
  field("start", "text-single");
  field("end", "text-single");
  field("after-id", "text-single");
  field("before-id", "text-single");
  return query;
}

}  // namespace telex::modules::mam
