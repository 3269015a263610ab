// The curses (ncursesw) window of `telex chat`: title bar, tab bar, contact list on the left,
// the open conversation (with its occupants for a room) on the right, the input line and a
// status/help line. It only draws the model and reads keys; the app decides what they do.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "apps/telex/chat/chat_model.hpp"
#include "apps/telex/chat/emoticons.hpp"
#include "apps/telex/chat/idle.hpp"

namespace telex::chat {

// What the view shows besides the model.
struct ViewState {
  std::string account;  // our bare JID
  Status status = Status::Online;
  std::string statusText;
  bool autoAway = false;
  std::string connection;  // "connecting", "online", "reconnecting in 4 s: ..."
  std::u32string input;
  std::size_t cursor = 0;  // in input, code points
  std::string notice;      // transient line in the status bar
  bool noticeIsError = false;
  bool help = false;
  int scroll = 0;  // conversation lines scrolled up from the bottom
  bool emoticons = true;
};

struct Key {
  bool function = false;  // a KEY_* code (arrows, F1, resize...)
  unsigned code = 0;      // the KEY_* code or the character
};

class CursesView {
 public:
  CursesView();   // takes over the terminal (initscr); throws when it cannot
  ~CursesView();  // gives it back (endwin)
  CursesView(const CursesView&) = delete;
  CursesView& operator=(const CursesView&) = delete;

  void draw(const ChatModel& model, const ViewState& state, const Emoticons& emoticons);
  void resize();                  // the terminal changed size (SIGWINCH)
  void bell();                    // terminal bell
  void forceRepaint();            // Ctrl-L
  std::optional<Key> readKey();   // never blocks; nullopt when no key is waiting
  int conversationLines() const;  // for PgUp/PgDn
  bool utf8() const { return utf8_; }

 private:
  bool utf8_ = false;
  bool colors_ = false;
};

// Wraps text to `width` terminal columns, at spaces where possible (pure; for the view).
std::vector<std::u32string> wrapColumns(const std::u32string& text, int width);
int columnsOf(char32_t c);  // wcwidth, with unprintables counted as 1 (drawn as U+FFFD)

}  // namespace telex::chat
