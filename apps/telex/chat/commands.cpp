// Command-line parsing for the chat input line.
#include "apps/telex/chat/commands.hpp"

#include <array>

namespace telex::chat {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Splits off the first word; `rest` gets the trimmed remainder.
std::string_view firstWord(std::string_view s, std::string_view& rest) {
  s = trim(s);
  const std::size_t space = s.find_first_of(" \t");
  if (space == std::string_view::npos) {
    rest = {};
    return s;
  }
  rest = trim(s.substr(space));
  return s.substr(0, space);
}

Expected<Jid, std::string> bareUserJid(std::string_view text, std::string_view usage) {
  if (text.empty()) return unexpected("usage: " + std::string(usage));
  auto jid = Jid::parse(text);
  if (!jid || !jid->hasLocal() || jid->hasResource()) {
    return unexpected("\"" + std::string(text) +
                      "\" is not an address like user@domain (usage: " + std::string(usage) + ")");
  }
  return *jid;
}

struct Spec {
  std::string_view name;
  CommandKind kind;
  std::string_view usage;
};

constexpr std::array kSpecs = {
    Spec{"add", CommandKind::Add, "/add user@domain [name]"},
    Spec{"remove", CommandKind::Remove, "/remove user@domain"},
    Spec{"approve", CommandKind::Approve, "/approve user@domain"},
    Spec{"deny", CommandKind::Deny, "/deny user@domain"},
    Spec{"status", CommandKind::SetStatus, "/status online|away|busy|offline [text]"},
    Spec{"join", CommandKind::Join, "/join room@conference.domain [nick]"},
    Spec{"part", CommandKind::Part, "/part"},
    Spec{"send", CommandKind::SendFile, "/send path"},
    Spec{"msg", CommandKind::Open, "/msg user@domain [text]"},
    Spec{"close", CommandKind::Close, "/close"},
    Spec{"quit", CommandKind::Quit, "/quit"},
    Spec{"help", CommandKind::Help, "/help"},
};

}  // namespace

Expected<Command, std::string> parseCommand(std::string_view line) {
  Command cmd;
  if (!line.starts_with('/') || line.starts_with("//")) {
    cmd.kind = CommandKind::Say;
    cmd.text = std::string(line.starts_with("//") ? line.substr(1) : line);
    return cmd;
  }
  std::string_view rest;
  std::string_view name = firstWord(line.substr(1), rest);
  const Spec* spec = nullptr;
  for (const auto& s : kSpecs) {
    if (s.name == name) spec = &s;
  }
  if (name == "quit" || name == "exit" || name == "q") spec = &kSpecs[10];
  if (name == "leave") spec = &kSpecs[6];
  if (name == "?" || name == "h") spec = &kSpecs[11];
  if (spec == nullptr) {
    return unexpected("unknown command /" + std::string(name) + " (type /help)");
  }
  cmd.kind = spec->kind;
  switch (spec->kind) {
    case CommandKind::Add: {
      std::string_view nameText;
      auto jid = bareUserJid(firstWord(rest, nameText), spec->usage);
      if (!jid) return unexpected(jid.error());
      cmd.jid = *jid;
      cmd.text = std::string(nameText);
      break;
    }
    case CommandKind::Remove:
    case CommandKind::Approve:
    case CommandKind::Deny: {
      std::string_view extra;
      auto jid = bareUserJid(firstWord(rest, extra), spec->usage);
      if (!jid) return unexpected(jid.error());
      if (!extra.empty()) return unexpected("usage: " + std::string(spec->usage));
      cmd.jid = *jid;
      break;
    }
    case CommandKind::Open: {
      std::string_view text;
      auto jid = bareUserJid(firstWord(rest, text), spec->usage);
      if (!jid) return unexpected(jid.error());
      cmd.jid = *jid;
      cmd.text = std::string(text);
      break;
    }
    case CommandKind::SetStatus: {
      std::string_view text;
      const std::string_view word = firstWord(rest, text);
      auto status = statusFromName(word);
      if (!status) return unexpected("usage: " + std::string(spec->usage));
      cmd.status = *status;
      cmd.text = std::string(text);
      break;
    }
    case CommandKind::Join: {
      std::string_view nick;
      auto jid = bareUserJid(firstWord(rest, nick), spec->usage);
      if (!jid) return unexpected(jid.error());
      if (nick.find_first_of(" \t") != std::string_view::npos) {
        return unexpected("a nickname is one word (usage: " + std::string(spec->usage) + ")");
      }
      cmd.jid = *jid;
      cmd.text = std::string(nick);
      break;
    }
    case CommandKind::SendFile:
      if (rest.empty()) return unexpected("usage: " + std::string(spec->usage));
      cmd.text = std::string(rest);  // the whole rest: paths may contain spaces
      break;
    case CommandKind::Part:
    case CommandKind::Close:
    case CommandKind::Quit:
    case CommandKind::Help:
      if (!rest.empty()) return unexpected("usage: " + std::string(spec->usage));
      break;
    case CommandKind::Say: break;
  }
  return cmd;
}

const std::vector<std::string>& helpLines() {
  static const std::vector<std::string> lines = {
      "Keys",
      "  Up/Down, Enter     select a contact; Enter on an empty line opens the conversation",
      "  Tab, Ctrl-N/P      next / previous tab (Shift-Tab too); Alt-1..Alt-9 go to a tab",
      "  PgUp/PgDn          scroll the conversation",
      "  F1                 this help (any key closes it)",
      "  Ctrl-C, /quit      sign out and quit",
      "",
      "Commands",
      "  /msg user@domain [text]         open a conversation (and say text)",
      "  /add user@domain [name]         add a contact (asks to see their status)",
      "  /remove user@domain             remove a contact",
      "  /approve user@domain            let someone who asked see your status",
      "  /deny user@domain               refuse such a request",
      "  /status online|away|busy|offline [text]",
      "                                  set your status (offline: appear offline)",
      "  /join room@conference.domain [nick]",
      "                                  join a group conversation",
      "  /part                           leave the group conversation of this tab",
      "  /send path                      send a file to this conversation",
      "  /close                          close this tab",
      "  //text                          say a line that starts with /",
  };
  return lines;
}

}  // namespace telex::chat
