// One room message fanned out to 500 occupants, the way Room::broadcast does it, into sessions
// that queue what they get the way a connection does (a vector of shared buffers, emptied by
// the next flush). Two variants:
//   PerRecipientCopy — each occupant gets its own joined copy (the fan-out before shared pieces);
//   SharedPieces     — each occupant gets the two shared buffers around its own 'to' piece.
// Run: build/<dir>/telex_micro_bench [--benchmark_filter=MucFanout]
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

#include "modules/muc/fanout.hpp"
#include "router/session_manager.hpp"

namespace {

using namespace telex;

// Queues like net::Connection: pieces are kept as they are, joined copies are one entry.
class QueueingSession : public router::Session {
 public:
  QueueingSession(net::Worker& worker, Jid jid) : worker_(worker), jid_(std::move(jid)) {}
  const Jid& jid() const override { return jid_; }
  net::Worker& worker() override { return worker_; }
  void deliver(const net::SharedBytes& stanza) override { out_.push_back(stanza); }
  void deliverPieces(const net::StanzaBytes& stanza) override {
    for (const auto& piece : stanza.pieces()) out_.push_back(piece);
  }
  void closeWithError(stream::StreamErrorCondition, std::string_view) override {}
  void flush() { out_.clear(); }

 private:
  net::Worker& worker_;
  Jid jid_;
  std::vector<net::SharedBytes> out_;
};

struct Occupant {
  std::shared_ptr<QueueingSession> session;
  Jid jid;
  net::SharedBytes to;  // cached at join, as the room does
};

xml::Element roomMessage(std::size_t bodyBytes) {
  xml::Element m("message", "jabber:client");
  m.setAttr("from", "lobby@conference.example.org/Speaker");
  m.setAttr("type", "groupchat");
  m.setAttr("id", "8c1e2f0a-4b7d-4e21-9a43-0d6f1c2b3a4e");
  m.addChild(xml::Element("body", "jabber:client")).addText(std::string(bodyBytes, 'x'));
  m.addChild(xml::Element("active", "http://jabber.org/protocol/chatstates"));
  return m;
}

template <bool kShared>
void fanOut(benchmark::State& state) {
  const auto occupants = static_cast<std::size_t>(state.range(0));
  const auto bodyBytes = static_cast<std::size_t>(state.range(1));
  net::Worker worker(0);
  std::vector<Occupant> room;
  for (std::size_t i = 0; i < occupants; ++i) {
    auto jid = *Jid::parse("user" + std::to_string(i) + "@example.org/device");
    room.push_back({std::make_shared<QueueingSession>(worker, jid), jid, modules::muc::FanoutStanza::toAttribute(jid)});
  }
  const xml::Element message = roomMessage(bodyBytes);
  std::size_t stanzaBytes = 0;
  for (auto _ : state) {
    // Inside the worker's loop, as a room is: delivery to a local session is a direct call.
    boost::asio::post(worker.context(), [&] {
      modules::muc::FanoutStanza shared(message);
      stanzaBytes = shared.size();
      for (const auto& o : room) {
        if constexpr (kShared) {
          router::SessionManager::deliverTo(o.session, shared.piecesFor(o.to));
        } else {
          router::SessionManager::deliverTo(o.session, shared.forRecipient(o.jid));
        }
      }
    });
    worker.context().poll();
    worker.context().restart();
    // The connection lets go of what it wrote: freeing the copies is part of their cost.
    for (auto& o : room) o.session->flush();
  }
  state.counters["stanza_bytes"] = static_cast<double>(stanzaBytes);
  // Payload bytes allocated and copied per fan-out (the 'to' pieces aside).
  state.counters["copied_bytes"] = kShared ? 0.0 : static_cast<double>(stanzaBytes * occupants);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * occupants));
}

void BM_MucFanout_PerRecipientCopy(benchmark::State& state) { fanOut<false>(state); }
void BM_MucFanout_SharedPieces(benchmark::State& state) { fanOut<true>(state); }

BENCHMARK(BM_MucFanout_PerRecipientCopy)->Args({500, 100})->Args({500, 1000})->Args({500, 10000});
BENCHMARK(BM_MucFanout_SharedPieces)->Args({500, 100})->Args({500, 1000})->Args({500, 10000});

}  // namespace
