// The worker's own epoll set (see poller.hpp).
#include "net/poller.hpp"

#include <sys/epoll.h>

#include <array>
#include <boost/asio/post.hpp>
#include <cerrno>
#include <stdexcept>
#include <system_error>

namespace telex::net {
namespace {
constexpr int kBatch = 256;  // events taken per pass; more waiting means another pass, not a wait

// Token = slot index (high half) and that slot's generation (low half), so an event fetched for a
// connection that has gone since is recognised even when its slot was reused meanwhile.
std::uint64_t makeToken(std::size_t index, std::uint32_t generation) {
  return (static_cast<std::uint64_t>(index) << 32) | generation;
}
}  // namespace

Poller::Poller(boost::asio::io_context& context) : context_(context), set_(context) {
  int fd = ::epoll_create1(EPOLL_CLOEXEC);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "epoll_create1");
  set_.assign(fd);
}

Poller::~Poller() {
  // Owners may remove themselves while they go: let them find an empty table.
  auto slots = std::move(slots_);
  slots_.clear();
  auto retired = std::move(retired_);
  retired_.clear();
}

std::uint64_t Poller::add(int fd, PollClient& client, std::shared_ptr<void> owner) {
  std::size_t index;
  if (!free_.empty()) {
    index = free_.back();
    free_.pop_back();
  } else {
    index = slots_.size();
    slots_.emplace_back();
  }
  Slot& slot = slots_[index];
  const std::uint64_t token = makeToken(index, slot.generation);
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  ev.data.u64 = token;
  if (::epoll_ctl(set_.native_handle(), EPOLL_CTL_ADD, fd, &ev) != 0) {
    free_.push_back(static_cast<std::uint32_t>(index));
    return 0;
  }
  slot.client = &client;
  slot.owner = std::move(owner);
  ++clients_;
  arm();
  return token;
}

void Poller::remove(std::uint64_t token) {
  const std::size_t index = token >> 32;
  if (token == 0 || index >= slots_.size()) return;
  Slot& slot = slots_[index];
  if (slot.generation != static_cast<std::uint32_t>(token) || slot.client == nullptr) return;
  // The caller closes the descriptor next, which takes it out of the epoll set; events already
  // fetched for it fail the generation check.
  slot.client = nullptr;
  retired_.push_back(std::move(slot.owner));
  if (++slot.generation == 0) slot.generation = 1;  // 0 is never a live token
  free_.push_back(static_cast<std::uint32_t>(index));
  --clients_;
  if (!releasePosted_) {
    releasePosted_ = true;
    boost::asio::post(context_, [this] {
      releasePosted_ = false;
      auto retired = std::move(retired_);
      retired_.clear();
    });
  }
}

void Poller::arm() {
  if (armed_) return;
  armed_ = true;
  set_.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                  [this](const boost::system::error_code& ec) {
                    armed_ = false;
                    if (!ec) dispatch();
                  });
}

void Poller::dispatch() {
  std::array<epoll_event, kBatch> events;
  int n = ::epoll_wait(set_.native_handle(), events.data(), kBatch, 0);
  for (int i = 0; i < n; ++i) {
    const std::uint64_t token = events[i].data.u64;
    const std::size_t index = token >> 32;
    if (index >= slots_.size()) continue;
    Slot& slot = slots_[index];
    if (slot.client == nullptr || slot.generation != static_cast<std::uint32_t>(token)) continue;
    // A client that removes itself here stays alive: remove() only retires its owner.
    slot.client->onPollEvents(events[i].events);
  }
  if (n == kBatch) {
    // Possibly more ready: take them on the next pass, after what else is queued on the loop.
    boost::asio::post(context_, [this] { dispatch(); });
  } else if (clients_ > 0) {
    arm();
  }
}

}  // namespace telex::net
