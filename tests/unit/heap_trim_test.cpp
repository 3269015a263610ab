// HeapTrim: a trim only after enough releases, and at most one per delay.
#include <gtest/gtest.h>

#include "net/heap_trim.hpp"

namespace telex::net {
namespace {

using namespace std::chrono_literals;

TEST(HeapTrim, TrimsOnceAfterEnoughReleases) {
  Worker worker(0);
  HeapTrim trim(worker, 3, 20ms);
  trim.released();
  trim.released();
  worker.context().run();  // returns once nothing is scheduled
  EXPECT_EQ(trim.trims(), 0u);  // below the threshold: nothing scheduled

  worker.context().restart();
  trim.released();  // the third
  for (int i = 0; i < 10; ++i) trim.released();  // more during the delay: still one trim
  worker.context().run();
  EXPECT_EQ(trim.trims(), 1u);

  worker.context().restart();
  trim.released();  // the count started again after the trim
  worker.context().run();  // returns once nothing is scheduled
  EXPECT_EQ(trim.trims(), 1u);
  worker.context().restart();
  trim.released();
  trim.released();
  worker.context().run();
  EXPECT_EQ(trim.trims(), 2u);
}

}  // namespace
}  // namespace telex::net
