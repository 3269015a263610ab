// Desktop notifications through `notify-send` when it is installed: started without a shell and
// without waiting (posix_spawn), its children reaped later so none is left a zombie.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace telex::chat {

class Notifier {
 public:
  // Looks for notify-send on PATH (nothing is shown when it is missing or enabled is false).
  explicit Notifier(bool enabled);
  ~Notifier();
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;

  bool available() const { return !program_.empty(); }
  void notify(const std::string& title, const std::string& body);
  void reap();  // collects finished notify-send processes; call now and then

 private:
  std::string program_;
  std::vector<pid_t> children_;
};

}  // namespace telex::chat
