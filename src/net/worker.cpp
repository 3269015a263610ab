// The worker pool: start, round-robin assignment, orderly stop.
#include "net/worker.hpp"

#include <spdlog/spdlog.h>

namespace telex::net {

WorkerPool::WorkerPool(std::size_t count) {
  if (count == 0) count = 1;
  for (std::size_t i = 0; i < count; ++i) workers_.push_back(std::make_unique<Worker>(i));
}

WorkerPool::~WorkerPool() {
  stop();
  join();
}

Worker& WorkerPool::next() {
  Worker& w = *workers_[next_];
  next_ = (next_ + 1) % workers_.size();
  return w;
}

void WorkerPool::start() {
  for (auto& w : workers_) guards_.emplace_back(w->context().get_executor());
  for (auto& w : workers_) {
    threads_.emplace_back([worker = w.get()] {
      Worker::CurrentScope scope(*worker);
      for (;;) {
        try {
          worker->context().run();
          return;
        } catch (const std::exception& e) {
          // A handler that throws must not take the loop (and every session on it) down.
          spdlog::error("worker {}: unhandled exception: {}", worker->index(), e.what());
        }
      }
    });
  }
}

void WorkerPool::stop() { guards_.clear(); }

void WorkerPool::join() {
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

}  // namespace telex::net
