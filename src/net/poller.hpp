// Readiness for a worker's connections from one epoll set of its own, registered once per socket,
// edge-triggered, for reading and writing. Asio's reactor re-arms a socket with EPOLL_CTL_MOD
// on every wait; here a socket costs no epoll_ctl after its registration, and the worker's loop
// waits on the whole set as one descriptor (one re-arm per batch of ready sockets).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <cstdint>
#include <memory>
#include <vector>

namespace telex::net {

class PollClient {
 public:
  virtual ~PollClient() = default;
  // `events` are epoll bits (EPOLLIN, EPOLLOUT, EPOLLRDHUP, EPOLLHUP, EPOLLERR). Edge-triggered:
  // the client remembers readiness until a read or write says EAGAIN.
  virtual void onPollEvents(std::uint32_t events) = 0;
};

class Poller {
 public:
  explicit Poller(boost::asio::io_context& context);
  ~Poller();
  Poller(const Poller&) = delete;
  Poller& operator=(const Poller&) = delete;

  // On the worker's thread. `client` hears about `fd` until remove(); `owner`, the object that
  // holds the client, is kept alive until then, as a pending wait would keep it. Returns the
  // token for remove(), or 0 if epoll refused the descriptor.
  std::uint64_t add(int fd, PollClient& client, std::shared_ptr<void> owner);
  // On the worker's thread, before the descriptor is closed: no event reaches the client after.
  // The owner is let go on a later pass, never inside the caller (often one of its members).
  void remove(std::uint64_t token);
  std::size_t size() const { return clients_; }

 private:
  struct Slot {
    PollClient* client = nullptr;
    std::shared_ptr<void> owner;
    std::uint32_t generation = 1;
  };
  void arm();
  void dispatch();

  boost::asio::io_context& context_;
  boost::asio::posix::stream_descriptor set_;  // the epoll descriptor, watched by Asio
  std::vector<Slot> slots_;
  std::vector<std::uint32_t> free_;
  std::vector<std::shared_ptr<void>> retired_;  // owners of removed clients, let go next pass
  bool releasePosted_ = false;
  std::size_t clients_ = 0;
  bool armed_ = false;
};

}  // namespace telex::net
