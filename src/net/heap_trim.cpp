#include "net/heap_trim.hpp"

#include <malloc.h>

#include <boost/asio/steady_timer.hpp>
#include <memory>

namespace telex::net {

void HeapTrim::released() {
  if (releases_.fetch_add(1, std::memory_order_relaxed) + 1 < threshold_) return;
  if (pending_.exchange(true, std::memory_order_acq_rel)) return;
  worker_.post([this] { trimLater(); });
}

void HeapTrim::trimLater() {
  // The timer travels with its handler: a server stopping meanwhile just drops both.
  auto timer = std::make_shared<boost::asio::steady_timer>(worker_.context(), delay_);
  timer->async_wait([this, timer](const boost::system::error_code& ec) {
    if (ec) return;
    releases_.store(0, std::memory_order_relaxed);
    malloc_trim(0);
    trims_.fetch_add(1, std::memory_order_relaxed);
    pending_.store(false, std::memory_order_release);
  });
}

}  // namespace telex::net
