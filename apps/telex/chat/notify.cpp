// notify-send, spawned directly (no shell: the text comes from other people).
#include "apps/telex/chat/notify.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <string_view>

#include "apps/telex/chat/text.hpp"

extern char** environ;

namespace telex::chat {

namespace {

std::string findOnPath(std::string_view name) {
  const char* path = std::getenv("PATH");
  if (path == nullptr) return {};
  std::string_view rest(path);
  while (true) {
    const std::size_t colon = rest.find(':');
    std::string dir(rest.substr(0, colon));
    if (!dir.empty()) {
      std::string candidate = dir + "/" + std::string(name);
      if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    }
    if (colon == std::string_view::npos) return {};
    rest.remove_prefix(colon + 1);
  }
}

std::string shorten(const std::string& text, std::size_t max) {
  std::u32string decoded = decodeUtf8(safeLine(text));
  if (decoded.size() > max) {
    decoded.resize(max);
    decoded += U"…";
  }
  return encodeUtf8(decoded);
}

}  // namespace

Notifier::Notifier(bool enabled) {
  if (enabled) program_ = findOnPath("notify-send");
}

Notifier::~Notifier() { reap(); }

void Notifier::notify(const std::string& title, const std::string& body) {
  if (program_.empty()) return;
  reap();
  if (children_.size() >= 8) return;  // a flood of messages must not become a flood of processes
  std::string t = shorten(title, 80);
  std::string b = shorten(body, 200);
  std::string app = "--app-name=Telex";
  std::string end = "--";  // title and body are never taken for options
  std::vector<char*> argv = {program_.data(), app.data(), end.data(), t.data(), b.data(), nullptr};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  // Its output must not land on our curses screen.
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  if (posix_spawn(&pid, program_.c_str(), &actions, nullptr, argv.data(), environ) == 0) {
    children_.push_back(pid);
  }
  posix_spawn_file_actions_destroy(&actions);
}

void Notifier::reap() {
  std::erase_if(children_, [](pid_t pid) {
    int status = 0;
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    return r == pid || r < 0;
  });
}

}  // namespace telex::chat
