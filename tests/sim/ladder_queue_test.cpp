#include "sim/ladder_queue.hpp"

#include "tests/sim/event_queue_conformance.hpp"

namespace gwsim::sim::testing {

INSTANTIATE_TYPED_TEST_SUITE_P(Ladder, event_queue_conformance, ladder_queue);

// Random interleavings of pushes (at or after the current time, including
// ties and far-future outliers) and pops always pop the reference's order.
RC_GTEST_PROP(LadderQueue, PopsTheSameSequenceAsASortedReference,
              (const std::vector<std::pair<std::uint8_t, std::uint32_t>>& ops)) {
  ladder_queue q;
  reference_queue ref;
  std::uint64_t seq = 1;
  time_ns now = 0;
  for (auto [kind, value] : ops) {
    if (kind % 4 == 0 && !ref.v.empty()) {
      event a = q.pop();
      event b = ref.pop();
      RC_ASSERT(a.seq == b.seq);
      now = a.time;
    } else {
      time_ns delta = kind % 4 == 1 ? 0 : kind % 4 == 2 ? value % 16 : value;
      if (kind == 255) delta = time_max - now;
      event e = make_event(now + delta, seq++);
      q.push(e);
      ref.push(e);
    }
    RC_ASSERT(q.size() == ref.v.size());
  }
  while (!ref.v.empty()) RC_ASSERT(q.pop().seq == ref.pop().seq);
}

TEST(LadderQueue, ClearEmptiesAndStaysUsable) {
  ladder_queue q;
  for (std::uint64_t s = 1; s <= 1'000; ++s) q.push(make_event(static_cast<time_ns>(s * 7 % 1'000), s));
  q.pop();
  q.clear();
  EXPECT_TRUE(q.empty());
  q.push(make_event(5, 1'001));
  q.push(make_event(1, 1'002));
  EXPECT_EQ(q.pop().seq, 1'002u);
  EXPECT_EQ(q.pop().seq, 1'001u);
}

}  // namespace gwsim::sim::testing
