// Runs blocking work (SQL, password hashing) off the event loops and hands the result back to
// the worker that asked for it.
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
  explicit StoragePool(std::size_t threads) : pool_(threads) {}
  ~StoragePool() { pool_.join(); }

  // `work()` runs on a pool thread; `done(Expected<R, std::string>)` then runs on `worker`.
  // An exception from `work` arrives as the error string.
  template <class Work, class Done>
  void run(net::Worker& worker, Work work, Done done) {
    boost::asio::post(pool_, [&worker, work = std::move(work), done = std::move(done)]() mutable {
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

  void stop() { pool_.join(); }

 private:
  boost::asio::thread_pool pool_;
};

}  // namespace telex::storage
