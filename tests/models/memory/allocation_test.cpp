// The memory models do not allocate per operation in steady state: a worker
// model calls them for every request and every rebuild. Checked by counting
// calls to the global operator new once buffers have reached working size.

#include <gtest/gtest.h>

#include "tests/support/count_allocations.hpp"

#include <vector>

#include "models/memory/gc_heap.hpp"
#include "models/memory/lru_cache.hpp"
#include "models/memory/resident_memory.hpp"
#include "sim/time.hpp"

namespace gwsim::memory {
namespace {

TEST(MemoryAllocation, SteadyStateOperationsDoNotAllocate) {
  gc_heap heap(gc_params{}, 8e6);
  lru_cache cache(1000);
  resident_memory rss(1e6, sim::milliseconds(50));
  std::vector<object_id> routers(4);

  sim::time_ns now = 0;
  const auto run = [&](int rounds) {
    for (int r = 0; r < rounds; ++r) {
      // A rebuild: the new router replaces the oldest, requests make garbage.
      heap.release(routers[static_cast<std::size_t>(r) % routers.size()]);
      routers[static_cast<std::size_t>(r) % routers.size()] = heap.allocate(2e6);
      for (int q = 0; q < 200; ++q) {
        heap.allocate_garbage(4096);
        cache.access(static_cast<std::uint32_t>((q * 7919 + r) % 3000));
        now += sim::microseconds(50);
        rss.on_freed(heap.take_freed_bytes(), heap.total_bytes(), now);
        heap.take_gc_cpu_s();
        (void)rss.resident_bytes(heap.total_bytes(), now);
      }
      if (r % 50 == 49) heap.full_collect();
    }
  };
  for (auto& id : routers) id = heap.allocate(2e6);
  run(200);  // warm-up: buffers reach working size
  const std::size_t before = gwsim::testing::allocations();
  run(500);
  EXPECT_EQ(gwsim::testing::allocations() - before, 0u);
  EXPECT_GT(heap.cycles_completed(), 10u);
}

}  // namespace
}  // namespace gwsim::memory
