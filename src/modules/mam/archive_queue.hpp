// Storage work of the archive, run on the storage pool one job at a time in the order it was
// queued: messages are appended in the order they were routed, and a query or a preference
// change sees every message routed before it. (Plain runBlocking jobs may overtake each other
// on the pool's threads.)
#pragma once

#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <type_traits>

#include "modules/module.hpp"

namespace telex::modules::mam {

class ArchiveQueue : public std::enable_shared_from_this<ArchiveQueue> {
 public:
  explicit ArchiveQueue(ModuleContext& context) : ctx_(context) {}

  // Queues `work`; a failure is logged. Must be called from a worker thread.
  void post(std::function<void()> work);

  // Queues `work`, then runs `done(Expected<result, std::string>)` on the calling worker.
  template <class Work, class Done>
  void run(Work work, Done done) {
    net::Worker* worker = net::Worker::current();
    post([worker, work = std::move(work), done = std::move(done)]() mutable {
      using R = std::invoke_result_t<Work&>;
      try {
        R value = work();
        worker->post([done, value = std::move(value)]() mutable { done(Expected<R, std::string>(std::move(value))); });
      } catch (const std::exception& e) {
        worker->post([done, error = std::string(e.what())]() mutable {
          done(Expected<R, std::string>(unexpected(error)));
        });
      }
    });
  }

 private:
  void drain();

  ModuleContext& ctx_;
  std::mutex mutex_;
  std::deque<std::function<void()>> jobs_;
  bool draining_ = false;  // a pool job is working through jobs_
};

}  // namespace telex::modules::mam
