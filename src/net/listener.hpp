// A listening socket: accepts on one worker and hands each connection to the next worker in turn.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <memory>
#include <string>

#include "net/accepted_socket.hpp"
#include "net/worker.hpp"
#include "util/expected.hpp"

namespace telex::net {

class Listener final : private PollClient {
 public:
  // Called on the worker that will own the connection.
  using AcceptFn = std::function<void(AcceptedSocket socket, Worker& worker)>;

  // Binds now (so a taken port is reported before the server starts) and accepts once started.
  static Expected<std::unique_ptr<Listener>, std::string> open(WorkerPool& pool,
                                                               const std::string& address,
                                                               std::uint16_t port, AcceptFn onAccept);
  ~Listener() override;
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  void start();
  void stop();
  std::uint16_t port() const { return port_; }
  const std::string& address() const { return address_; }

 private:
  Listener(WorkerPool& pool, int fd, std::string address, std::uint16_t port, AcceptFn onAccept);
  void onPollEvents(std::uint32_t events) override;
  // Accepts what is queued (a bounded batch per pass); readiness is edge-triggered, so a pass
  // that stops early schedules the next one itself.
  void acceptReady();

  WorkerPool& pool_;
  int fd_;  // the listening socket, watched by worker 0's poller once started
  std::uint64_t pollToken_ = 0;
  bool passPosted_ = false;
  std::string address_;
  std::uint16_t port_;
  AcceptFn onAccept_;
  // After a failed accept (EMFILE, ENFILE, ENOBUFS): wait before the next try instead of
  // spinning on a queue the process cannot take from; one log line per episode.
  asio::steady_timer retry_;
  bool failing_ = false;
};

}  // namespace telex::net
