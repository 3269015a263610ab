// Poller: edge-triggered readiness per registered socket, no events after remove(), owners kept
// alive until a pass after their removal.
#include <gtest/gtest.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <functional>
#include <memory>
#include <vector>

#include "net/poller.hpp"

namespace telex::net {
namespace {

struct Pair {
  int a = -1, b = -1;
  Pair() {
    int fds[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds), 0);
    a = fds[0];
    b = fds[1];
  }
  ~Pair() {
    if (a >= 0) ::close(a);
    if (b >= 0) ::close(b);
  }
};

struct Recorder : PollClient {
  std::vector<std::uint32_t> events;
  std::function<void()> onEvent;
  void onPollEvents(std::uint32_t e) override {
    events.push_back(e);
    if (onEvent) onEvent();
  }
  int reads() const {
    int n = 0;
    for (auto e : events) n += (e & EPOLLIN) ? 1 : 0;
    return n;
  }
};

void runPending(boost::asio::io_context& context) {
  context.restart();
  context.poll();
}

// One byte arrives on the peer `fd` of a watched socket; the loop then runs what is ready.
void arrive(int fd, boost::asio::io_context& context) {
  ASSERT_EQ(::write(fd, "x", 1), 1);
  runPending(context);
}

TEST(Poller, ReportsWritableAtOnceAndEachArrivalOfData) {
  boost::asio::io_context context;
  Poller poller(context);
  Pair pair;
  auto client = std::make_shared<Recorder>();
  const auto token = poller.add(pair.a, *client, client);
  ASSERT_NE(token, 0u);
  EXPECT_EQ(poller.size(), 1u);
  runPending(context);
  ASSERT_EQ(client->events.size(), 1u);
  EXPECT_TRUE(client->events[0] & EPOLLOUT);
  EXPECT_FALSE(client->events[0] & EPOLLIN);

  arrive(pair.b, context);
  EXPECT_EQ(client->reads(), 1);
  // Edge-triggered: unread data raises no new event by itself, new data does.
  runPending(context);
  EXPECT_EQ(client->reads(), 1);
  arrive(pair.b, context);
  EXPECT_EQ(client->reads(), 2);
}

TEST(Poller, NothingAfterRemoveAndTheOwnerGoesOnALaterPass) {
  boost::asio::io_context context;
  Poller poller(context);
  Pair pair;
  auto client = std::make_shared<Recorder>();
  std::weak_ptr<Recorder> watch = client;
  const auto token = poller.add(pair.a, *client, client);
  Recorder* raw = client.get();
  client.reset();  // the poller holds the owner now
  runPending(context);
  ASSERT_FALSE(watch.expired());

  // Removed from inside its own callback: it must survive the callback.
  raw->onEvent = [&] {
    poller.remove(token);
    EXPECT_FALSE(watch.expired());
  };
  ASSERT_EQ(::write(pair.b, "x", 1), 1);
  context.restart();
  context.run_one();  // the readiness pass, which removes
  EXPECT_EQ(poller.size(), 0u);
  EXPECT_FALSE(watch.expired());
  runPending(context);  // the release pass
  EXPECT_TRUE(watch.expired());

  // A stale token changes nothing, and a reused slot is not confused with the old one.
  poller.remove(token);
  auto other = std::make_shared<Recorder>();
  Pair second;
  const auto token2 = poller.add(second.a, *other, other);
  EXPECT_NE(token2, token);
  poller.remove(token);
  EXPECT_EQ(poller.size(), 1u);
  arrive(second.b, context);
  EXPECT_EQ(other->reads(), 1);
}

TEST(Poller, ManyReadySocketsAreAllServed) {
  boost::asio::io_context context;
  Poller poller(context);
  constexpr int kSockets = 600;  // more than one batch of events
  std::vector<std::unique_ptr<Pair>> pairs;
  std::vector<std::shared_ptr<Recorder>> clients;
  for (int i = 0; i < kSockets; ++i) {
    pairs.push_back(std::make_unique<Pair>());
    clients.push_back(std::make_shared<Recorder>());
    ASSERT_NE(poller.add(pairs.back()->a, *clients.back(), clients.back()), 0u);
  }
  runPending(context);
  for (auto& p : pairs) ASSERT_EQ(::write(p->b, "x", 1), 1);
  for (int pass = 0; pass < 10; ++pass) runPending(context);
  for (const auto& c : clients) EXPECT_EQ(c->reads(), 1);
}

TEST(Poller, RefusesADescriptorEpollCannotWatch) {
  boost::asio::io_context context;
  Poller poller(context);
  auto client = std::make_shared<Recorder>();
  EXPECT_EQ(poller.add(-1, *client, client), 0u);
  EXPECT_EQ(poller.size(), 0u);
}

}  // namespace
}  // namespace telex::net
