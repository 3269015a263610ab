// The input line: plain text is said to the open conversation, "/command args" does the rest.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "apps/telex/chat/idle.hpp"
#include "jid/jid.hpp"
#include "util/expected.hpp"

namespace telex::chat {

enum class CommandKind {
  Say,        // text for the open conversation ("//x" says "/x")
  Add,        // /add jid [name]
  Remove,     // /remove jid
  Approve,    // /approve jid
  Deny,       // /deny jid
  SetStatus,  // /status online|away|busy|offline [text]
  Join,       // /join room@service [nick]
  Part,       // /part
  SendFile,   // /send path
  Open,       // /msg jid [text]: open a conversation (and say text)
  Close,      // /close
  Quit,       // /quit
  Help,       // /help
};

struct Command {
  CommandKind kind = CommandKind::Say;
  std::optional<Jid> jid;          // Add/Remove/Approve/Deny/Join/Open: a bare JID
  std::string text;                // Say/Open: the text; Add: the name; SetStatus: the status text;
                                   // Join: the nick; SendFile: the path
  Status status = Status::Online;  // SetStatus
};

// Parses one input line. Errors are one line for the status bar, with the usage.
Expected<Command, std::string> parseCommand(std::string_view line);

// The help screen: one command or key per line.
const std::vector<std::string>& helpLines();

}  // namespace telex::chat
