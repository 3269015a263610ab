// The archive's ordered job queue: at most one pool thread works through it at a time.
#include "modules/mam/archive_queue.hpp"

#include <spdlog/spdlog.h>

namespace telex::modules::mam {

void ArchiveQueue::post(std::function<void()> work) {
  {
    std::lock_guard lock(mutex_);
    jobs_.push_back(std::move(work));
    if (draining_) return;
    draining_ = true;
  }
  ctx_.runBlocking([self = shared_from_this()] { self->drain(); }, [](auto) {});
}

void ArchiveQueue::drain() {
  for (;;) {
    std::function<void()> job;
    {
      std::lock_guard lock(mutex_);
      if (jobs_.empty()) {
        draining_ = false;
        return;
      }
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    try {
      job();
    } catch (const std::exception& e) {
      spdlog::warn("mam: archive storage failed: {}", e.what());
    }
  }
}

}  // namespace telex::modules::mam
