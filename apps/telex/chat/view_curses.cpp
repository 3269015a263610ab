// ncursesw drawing and key reading for `telex chat`.
#include "apps/telex/chat/view_curses.hpp"

#include <langinfo.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <clocale>
#include <cstring>
#include <ctime>
#include <cwchar>
#include <stdexcept>

#include "apps/telex/chat/commands.hpp"
#include "apps/telex/chat/text.hpp"

// Last: curses defines short macros (clear, erase, timeout...) that must not meet other headers.
#define NCURSES_WIDECHAR 1
#define NCURSES_NOMACROS 1
#include <curses.h>

namespace telex::chat {

namespace {

enum Pair : short { kTitle = 1, kOnline, kAway, kBusy, kOffline, kSystem, kError, kOwn, kHeader };

int columnsOfString(const std::u32string& s) {
  int n = 0;
  for (char32_t c : s) n += columnsOf(c);
  return n;
}

std::string clockOf(std::time_t t) {
  std::tm local{};
  localtime_r(&t, &local);
  char buf[16];
  std::strftime(buf, sizeof buf, "%H:%M", &local);
  return buf;
}

class Painter {
 public:
  Painter(bool utf8, bool colors) : utf8_(utf8), colors_(colors) {}

  // Draws `text` at (y, x) in at most maxCols columns; returns the columns used.
  int put(int y, int x, int maxCols, const std::u32string& text, attr_t attr = A_NORMAL,
          short pair = 0) const {
    if (maxCols <= 0 || y < 0 || y >= LINES || x >= COLS) return 0;
    std::wstring out;
    int used = 0;
    for (char32_t c : text) {
      char32_t shown = c;
      if (!utf8_ && c >= 0x80) shown = '?';
      int w = columnsOf(shown);
      if (w < 0 || (shown < 0x20) || (shown >= 0x7f && shown < 0xa0)) {
        shown = utf8_ ? 0xFFFD : '?';
        w = 1;
      }
      if (used + w > maxCols) break;
      out.push_back(static_cast<wchar_t>(shown));
      used += w;
    }
    const attr_t a = attr | (colors_ && pair != 0 ? COLOR_PAIR(pair) : A_NORMAL);
    wattrset(stdscr, static_cast<int>(a));
    mvwaddnwstr(stdscr, y, x, out.c_str(), static_cast<int>(out.size()));
    wattrset(stdscr, A_NORMAL);
    return used;
  }
  int put(int y, int x, int maxCols, const std::string& utf8, attr_t attr = A_NORMAL,
          short pair = 0) const {
    return put(y, x, maxCols, decodeUtf8(safeLine(utf8)), attr, pair);
  }
  void fill(int y, int x, int cols, attr_t attr, short pair) const {
    if (cols <= 0) return;
    put(y, x, cols, std::u32string(static_cast<std::size_t>(cols), U' '), attr, pair);
  }
  std::u32string glyph(const char32_t* fancy, const char32_t* plain) const {
    return utf8_ ? std::u32string(fancy) : std::u32string(plain);
  }

 private:
  bool utf8_;
  bool colors_;
};

short pairOf(Availability a) {
  switch (a) {
    case Availability::Online: return kOnline;
    case Availability::Away: return kAway;
    case Availability::Busy: return kBusy;
    case Availability::Offline: return kOffline;
  }
  return kOffline;
}

std::u32string markerOf(const Painter& p, Availability a) {
  switch (a) {
    case Availability::Online: return p.glyph(U"●", U"+");
    case Availability::Away: return p.glyph(U"◐", U"~");
    case Availability::Busy: return p.glyph(U"⊘", U"x");
    case Availability::Offline: return p.glyph(U"○", U"-");
  }
  return U"-";
}

Availability availabilityOfStatus(Status s) {
  switch (s) {
    case Status::Online: return Availability::Online;
    case Status::Away: return Availability::Away;
    case Status::Busy: return Availability::Busy;
    case Status::Offline: return Availability::Offline;
  }
  return Availability::Online;
}

struct Line {
  std::u32string text;
  attr_t attr = A_NORMAL;
  short pair = 0;
};

// The conversation as wrapped screen lines.
std::vector<Line> layoutEntries(const Conversation& c, int width, bool emoticons,
                                const Emoticons& table) {
  std::vector<Line> lines;
  for (const auto& e : c.entries) {
    std::string prefix = "[" + clockOf(e.when) + "] ";
    if (e.delayed) prefix = "[earlier] ";
    attr_t attr = A_NORMAL;
    short pair = 0;
    std::string text = e.text;
    if (emoticons && (e.kind == Entry::Kind::Incoming || e.kind == Entry::Kind::Outgoing)) {
      text = table.apply(text);
    }
    switch (e.kind) {
      case Entry::Kind::Incoming: prefix += safeLine(e.who) + ": "; break;
      case Entry::Kind::Outgoing:
        prefix += safeLine(e.who) + ": ";
        pair = kOwn;
        break;
      case Entry::Kind::System:
        prefix += "*** ";
        pair = kSystem;
        break;
      case Entry::Kind::Error:
        prefix += "!!! ";
        pair = kError;
        break;
    }
    const auto parts = safeLines(text);
    for (std::size_t i = 0; i < parts.size(); ++i) {
      const std::u32string full =
          decodeUtf8(i == 0 ? prefix + parts[i] : std::string(8, ' ') + parts[i]);
      for (auto& wrapped : wrapColumns(full, width)) lines.push_back({wrapped, attr, pair});
    }
  }
  return lines;
}

}  // namespace

int columnsOf(char32_t c) {
  const int w = ::wcwidth(static_cast<wchar_t>(c));
  return w < 0 ? 1 : w;
}

std::vector<std::u32string> wrapColumns(const std::u32string& text, int width) {
  std::vector<std::u32string> out;
  width = std::max(width, 1);
  const int indent = width > 8 ? 2 : 0;  // continuation lines, when there is room for it
  std::size_t pos = 0;
  bool first = true;
  while (true) {
    std::u32string line = first ? std::u32string() : std::u32string(indent, U' ');
    int cols = first ? 0 : indent;
    std::size_t end = pos;
    while (end < text.size() && cols + columnsOf(text[end]) <= width) {
      cols += columnsOf(text[end]);
      ++end;
    }
    if (end >= text.size()) {
      out.push_back(line + text.substr(pos));
      return out;
    }
    if (end == pos) end = pos + 1;  // a character wider than the line: show it anyway
    std::size_t cut = end;
    // Break at the last space when it keeps at least half of the line.
    const std::size_t space = text.rfind(U' ', end);
    if (space != std::u32string::npos && space > pos && space - pos >= (end - pos) / 2) {
      cut = space;
    }
    out.push_back(line + text.substr(pos, cut - pos));
    pos = cut;
    while (pos < text.size() && text[pos] == U' ') ++pos;
    if (pos >= text.size()) return out;
    first = false;
  }
}

CursesView::CursesView() {
  std::setlocale(LC_ALL, "");
  utf8_ = std::strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
  // Alt-<digit> arrives as ESC + digit; a short delay keeps a lone Esc responsive.
  set_escdelay(50);
  if (initscr() == nullptr) throw std::runtime_error("cannot initialize the terminal");
  cbreak();
  noecho();
  nonl();
  keypad(stdscr, TRUE);
  nodelay(stdscr, TRUE);
  if (has_colors()) {
    start_color();
    use_default_colors();
    colors_ = true;
    init_pair(kTitle, COLOR_WHITE, COLOR_BLUE);
    init_pair(kOnline, COLOR_GREEN, -1);
    init_pair(kAway, COLOR_YELLOW, -1);
    init_pair(kBusy, COLOR_RED, -1);
    init_pair(kOffline, -1, -1);
    init_pair(kSystem, COLOR_MAGENTA, -1);
    init_pair(kError, COLOR_RED, -1);
    init_pair(kOwn, COLOR_CYAN, -1);
    init_pair(kHeader, COLOR_BLUE, -1);
  }
}

CursesView::~CursesView() { endwin(); }

void CursesView::resize() {
  // SIGWINCH is ours (Asio's signal_set), so tell curses the new size ourselves.
  winsize size{};
  if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_row > 0 && size.ws_col > 0) {
    resizeterm(size.ws_row, size.ws_col);
  }
  clearok(curscr, TRUE);
}

void CursesView::bell() { beep(); }

void CursesView::forceRepaint() { clearok(curscr, TRUE); }

std::optional<Key> CursesView::readKey() {
  wint_t ch = 0;
  const int r = wget_wch(stdscr, &ch);
  if (r == ERR) return std::nullopt;
  return Key{r == KEY_CODE_YES, static_cast<unsigned>(ch)};
}

int CursesView::conversationLines() const { return std::max(1, LINES - 5); }

void CursesView::draw(const ChatModel& model, const ViewState& state, const Emoticons& emoticons) {
  const Painter p(utf8_, colors_);
  werase(stdscr);
  const int rows = LINES;
  const int cols = COLS;
  if (rows < 8 || cols < 40) {
    p.put(0, 0, cols, std::string("telex chat: the terminal is too small (40x8 at least)"));
    wrefresh(stdscr);
    return;
  }

  // Title bar: who we are, our status, the connection, unread count.
  p.fill(0, 0, cols, A_BOLD, kTitle);
  int x = p.put(0, 0, cols, std::string(" Telex Messenger  "), A_BOLD, kTitle);
  x += p.put(0, x, cols - x, state.account + "  ", A_BOLD, kTitle);
  const Availability mine = availabilityOfStatus(state.status);
  x += p.put(0, x, cols - x, markerOf(p, mine) + U" ", A_BOLD, kTitle);
  std::string label(statusLabel(state.status));
  if (state.autoAway) label += " (idle)";
  if (!state.statusText.empty()) label += " — " + state.statusText;
  x += p.put(0, x, cols - x, label + "  ", A_BOLD, kTitle);
  x += p.put(0, x, cols - x, "[" + state.connection + "]", A_NORMAL, kTitle);
  if (const int unread = model.totalUnread(); unread > 0) {
    const std::string u = " " + std::to_string(unread) + " unread ";
    p.put(0, std::max(x + 1, cols - static_cast<int>(u.size())), cols, u, A_BOLD | A_REVERSE,
          kTitle);
  }

  // Tab bar.
  x = 0;
  const auto& convs = model.conversations();
  if (convs.empty()) {
    p.put(1, 0, cols, std::string(" (no conversations: select a contact and press Enter)"), A_DIM);
  }
  for (std::size_t i = 0; i < convs.size() && x < cols; ++i) {
    const auto& c = convs[i];
    std::string tab = " " + std::to_string(i + 1) + ":" +
                      (c.kind == Conversation::Kind::Room ? "#" : "") + c.title;
    if (c.unread > 0) tab += " (" + std::to_string(c.unread) + ")";
    tab += " ";
    const bool active = model.active() == i;
    attr_t a = active ? (A_REVERSE | A_BOLD) : (c.unread > 0 ? A_BOLD : A_NORMAL);
    x += p.put(1, x, cols - x, tab, a, c.unread > 0 && !active ? kAway : 0);
    x += p.put(1, x, cols - x, std::u32string(U"│"));
  }

  // Contact list on the left.
  const int top = 2;
  const int bottom = rows - 3;  // last body row
  const int bodyRows = bottom - top + 1;
  const int left = std::clamp(cols / 4, 24, 36);
  for (int y = top; y <= bottom; ++y) p.put(y, left, 1, p.glyph(U"│", U"|"));
  const auto rowsList = model.contactRows();
  const int selected = model.selectedRow();
  int first = 0;
  if (selected >= bodyRows) first = selected - bodyRows + 1;
  for (int i = first; i < static_cast<int>(rowsList.size()) && top + i - first <= bottom; ++i) {
    const int y = top + i - first;
    const auto& row = rowsList[static_cast<std::size_t>(i)];
    const attr_t sel = i == selected ? A_REVERSE : A_NORMAL;
    if (row.kind == ContactRow::Kind::Header) {
      p.put(y, 0, left, row.text, A_BOLD, kHeader);
      continue;
    }
    if (i == selected) p.fill(y, 0, left, A_REVERSE, 0);
    int cx = 1;
    if (row.kind == ContactRow::Kind::Request) {
      cx += p.put(y, cx, left - cx, std::u32string(U"? "), sel | A_BOLD, kAway);
      p.put(y, cx, left - cx, row.jid.bareString() + " wants to add you", sel);
      continue;
    }
    const Contact& c = *row.contact;
    const Availability a = c.availability();
    cx += p.put(y, cx, left - cx, markerOf(p, a) + U" ", sel, pairOf(a));
    int unread = 0;
    if (auto tab = model.find(c.jid)) unread = convs[*tab].unread;
    cx += p.put(y, cx, left - cx, c.displayName(), sel | (unread > 0 ? A_BOLD : A_NORMAL));
    if (unread > 0) {
      cx += p.put(y, cx, left - cx, " (" + std::to_string(unread) + ")", sel | A_BOLD, kAway);
    }
    std::string extra;
    if (a == Availability::Away || a == Availability::Busy) {
      extra = std::string(availabilityLabel(a));
    }
    if (!c.statusText().empty()) extra += (extra.empty() ? "" : ": ") + c.statusText();
    if (!c.online() && c.askSubscribe) extra = "waiting for approval";
    if (!extra.empty()) p.put(y, cx, left - cx, " — " + extra, sel | A_DIM);
  }

  // The open conversation on the right.
  const int px = left + 1;
  int pw = cols - px;
  const Conversation* conv = model.activeConversation();
  if (state.help) {
    int y = top;
    p.put(y++, px + 1, pw - 1, std::string("Help (any key closes)"), A_BOLD, kHeader);
    for (const auto& line : helpLines()) {
      if (y > bottom) break;
      for (auto& wrapped : wrapColumns(decodeUtf8(line), pw - 1)) {
        if (y > bottom) break;
        p.put(y++, px + 1, pw - 1, wrapped);
      }
    }
  } else if (conv == nullptr) {
    p.put(top + 1, px + 2, pw - 2, std::string("Welcome to Telex Messenger."), A_BOLD);
    p.put(top + 3, px + 2, pw - 2,
          std::string("Select a contact with Up/Down and press Enter to start a conversation."));
    p.put(top + 4, px + 2, pw - 2,
          std::string(
              "/join room@conference.domain for a group conversation; F1 or /help for help."));
  } else {
    // A room shows its occupants in a column on the right.
    if (conv->kind == Conversation::Kind::Room) {
      const int ow = std::clamp(pw / 4, 12, 24);
      const int ox = cols - ow;
      for (int y = top; y <= bottom; ++y) p.put(y, ox - 1, 1, p.glyph(U"│", U"|"));
      p.put(top, ox, ow, "Occupants (" + std::to_string(conv->occupants.size()) + ")", A_BOLD,
            kHeader);
      int y = top + 1;
      for (const auto& [nick, o] : conv->occupants) {
        if (y > bottom) break;
        int ox2 = ox + p.put(y, ox, ow, markerOf(p, o.availability) + U" ", A_NORMAL,
                             pairOf(o.availability));
        p.put(y++, ox2, cols - ox2, nick, nick == conv->nick ? A_BOLD : A_NORMAL);
      }
      pw = ox - 1 - px;
    }
    std::string header;
    attr_t headerAttr = A_BOLD;
    if (conv->kind == Conversation::Kind::Room) {
      header =
          conv->jid.bareString() + (conv->joined ? " — you are " + conv->nick : " — not joined");
    } else {
      header = conv->title;
      if (conv->title != conv->jid.bareString()) header += " <" + conv->jid.bareString() + ">";
      const Contact* c = model.contact(conv->jid);
      const Availability a = c != nullptr ? c->availability() : Availability::Offline;
      header += " — " + std::string(availabilityLabel(a));
      if (c != nullptr && !c->statusText().empty()) header += ": " + c->statusText();
      if (conv->peerComposing) header += "  (typing…)";
    }
    p.put(top, px + 1, pw - 1, header, headerAttr);
    const auto lines = layoutEntries(*conv, pw - 1, state.emoticons, emoticons);
    const int visible = bodyRows - 1;
    const int total = static_cast<int>(lines.size());
    const int scroll = std::clamp(state.scroll, 0, std::max(0, total - visible));
    const int end = total - scroll;
    const int start = std::max(0, end - visible);
    int y = top + 1;
    for (int i = start; i < end; ++i) {
      const auto& l = lines[static_cast<std::size_t>(i)];
      p.put(y++, px + 1, pw - 1, l.text, l.attr, l.pair);
    }
    if (scroll > 0) {
      p.put(bottom, cols - 14 > px ? px + pw - 13 : px, 13, std::string(" (more below) "),
            A_REVERSE);
    }
  }

  // Status / help line.
  const int statusY = rows - 1;
  if (!state.notice.empty()) {
    p.put(statusY, 0, cols, state.notice, A_BOLD, state.noticeIsError ? kError : kSystem);
  } else {
    p.put(statusY, 0, cols,
          std::string("F1 help  Tab/^N/^P/Alt-n tabs  Up/Down+Enter open  PgUp/PgDn scroll  "
                      "/status /add /approve /join /send /close /quit"),
          A_DIM);
  }

  // Input line with horizontal scrolling that keeps the cursor visible.
  const int inputY = rows - 2;
  const std::u32string promptText = U"> ";
  p.put(inputY, 0, 2, promptText, A_BOLD);
  const int iw = cols - 3;
  std::size_t startChar = 0;
  int cursorCols = columnsOfString(state.input.substr(0, state.cursor));
  while (cursorCols > iw && startChar < state.cursor) {
    cursorCols -= columnsOf(state.input[startChar]);
    ++startChar;
  }
  p.put(inputY, 2, iw, state.input.substr(startChar));
  curs_set(state.help ? 0 : 1);
  wmove(stdscr, inputY, 2 + cursorCols);
  wrefresh(stdscr);
}

}  // namespace telex::chat
