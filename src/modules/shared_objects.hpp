// The registry of objects several modules work on together, one of each type per server (the
// offline-message index, the roster store that sign-in reads are shared through). Whichever
// module asks first makes it; the registry keeps it for the server's lifetime.
#pragma once

#include <memory>
#include <mutex>
#include <typeindex>
#include <unordered_map>

namespace telex::modules {

class SharedObjects {
 public:
  // The server's one T, made by `make()` (returning std::shared_ptr<T>) on first use.
  template <class T, class Make>
  std::shared_ptr<T> get(Make make) {
    std::lock_guard lock(mutex_);
    auto& slot = objects_[std::type_index(typeid(T))];
    if (!slot) slot = std::shared_ptr<T>(make());
    return std::static_pointer_cast<T>(slot);
  }
  template <class T>
  std::shared_ptr<T> get() {
    return get<T>([] { return std::make_shared<T>(); });
  }

 private:
  std::mutex mutex_;
  std::unordered_map<std::type_index, std::shared_ptr<void>> objects_;
};

}  // namespace telex::modules
