// Event-loop threads: each Worker runs one io_context; a session lives on exactly one worker.
#pragma once

#include <array>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <cstddef>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "net/poller.hpp"

namespace telex::net {

namespace asio = boost::asio;

class Worker {
 public:
  explicit Worker(std::size_t index) : index_(index), context_(1), poller_(context_) {}
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  std::size_t index() const { return index_; }
  asio::io_context& context() { return context_; }
  // Readiness of this worker's connections (net::Connection registers there).
  Poller& poller() { return poller_; }
  bool isCurrentThread() { return context_.get_executor().running_in_this_thread(); }
  // The worker whose loop runs on this thread, or null (storage threads, main thread).
  static Worker* current() { return current_; }
  // Marks this thread as running `worker` for the scope's lifetime (worker threads, tests).
  class CurrentScope {
   public:
    explicit CurrentScope(Worker& worker) : previous_(current_) { current_ = &worker; }
    ~CurrentScope() { current_ = previous_; }
    CurrentScope(const CurrentScope&) = delete;
    CurrentScope& operator=(const CurrentScope&) = delete;

   private:
    Worker* previous_;
  };

  // Runs fn on this worker's thread (later, even when called from it).
  template <class Fn>
  void post(Fn&& fn) {
    asio::post(context_, std::forward<Fn>(fn));
  }

  // Scratch space shared by every connection of this worker: reads are consumed before the
  // next read, so idle connections hold no buffer of their own.
  std::array<char, 16384>& readBuffer() { return readBuffer_; }
  std::string& writeScratch() { return writeScratch_; }

 private:
  static inline thread_local Worker* current_ = nullptr;
  std::size_t index_;
  asio::io_context context_;
  Poller poller_;
  std::array<char, 16384> readBuffer_{};
  std::string writeScratch_;
};

class WorkerPool {
 public:
  explicit WorkerPool(std::size_t count);
  ~WorkerPool();

  std::size_t size() const { return workers_.size(); }
  Worker& at(std::size_t i) { return *workers_[i]; }
  Worker& next();  // round-robin choice for a new connection

  void start();  // one thread per worker
  void stop();   // let the loops finish their queued work, then join
  void join();

 private:
  using Guard = asio::executor_work_guard<asio::io_context::executor_type>;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<Guard> guards_;
  std::vector<std::thread> threads_;
  std::size_t next_ = 0;
};

}  // namespace telex::net
