// Runs blocking work off the event loops and hands the result back to the worker that asked.
//
// Two lanes. Storage work runs on one thread: the SQLite driver serializes every statement on
// its one connection anyway, and a second thread only added hand-offs and lock contention
// (+10 % SCRAM sign-ins per CPU-second with one). Slow work that is not a quick read or write
// (key derivation, fdatasync) has a lane of its own, so sign-ins never queue behind it.
#pragma once

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <exception>
#include <string>
#include <type_traits>

#include "net/worker.hpp"
#include "util/expected.hpp"

namespace telex::storage {

class StoragePool {
 public:
  StoragePool() = default;
  ~StoragePool() { stop(); }

  // `work()` runs on the storage thread; `done(Expected<R, std::string>)` then runs on `worker`.
  // An exception from `work` arrives as the error string.
  template <class Work, class Done>
  void run(net::Worker& worker, Work work, Done done) {
    submit(storage_, worker, std::move(work), std::move(done));
  }
  // The same on the slow lane: for work that takes milliseconds (PBKDF2, fdatasync).
  template <class Work, class Done>
  void runSlow(net::Worker& worker, Work work, Done done) {
    submit(slow_, worker, std::move(work), std::move(done));
  }

  void stop() {
    storage_.join();
    slow_.join();
  }

 private:
  template <class Work, class Done>
  static void submit(boost::asio::thread_pool& lane, net::Worker& worker, Work work, Done done) {
    boost::asio::post(lane, [&worker, work = std::move(work), done = std::move(done)]() mutable {
      using R = std::invoke_result_t<Work&>;
      if constexpr (std::is_void_v<R>) {
        std::string error;
        try {
          work();
        } catch (const std::exception& e) {
          error = e.what();
        }
        worker.post([done = std::move(done), error = std::move(error)]() mutable {
          done(error.empty() ? Expected<bool, std::string>(true)
                             : Expected<bool, std::string>(unexpected(error)));
        });
      } else {
        try {
          R value = work();
          worker.post([done = std::move(done), value = std::move(value)]() mutable {
            done(Expected<R, std::string>(std::move(value)));
          });
        } catch (const std::exception& e) {
          worker.post([done = std::move(done), error = std::string(e.what())]() mutable {
            done(Expected<R, std::string>(unexpected(error)));
          });
        }
      }
    });
  }

  boost::asio::thread_pool storage_{1};
  boost::asio::thread_pool slow_{1};
};

}  // namespace telex::storage
