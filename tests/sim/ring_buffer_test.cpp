#include "sim/ring_buffer.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <random>

namespace gwsim::sim {
namespace {

TEST(RingBuffer, PushFrontGoesAheadOfTheQueue) {
  ring_buffer<int> q;
  q.push_back(1);
  q.push_back(2);
  q.push_front(0);
  ASSERT_EQ(q.size(), 3u);
  EXPECT_EQ(q.pop_front(), 0);
  EXPECT_EQ(q.pop_front(), 1);
  EXPECT_EQ(q.pop_front(), 2);
  EXPECT_TRUE(q.empty());
  q.push_front(7);  // into an empty buffer that has never grown past 16
  EXPECT_EQ(q.front(), 7);
}

TEST(RingBuffer, BehavesAsADequeUnderRandomPushesAndPops) {
  // Across growths and wrap-arounds at both ends.
  std::mt19937 g(12);
  ring_buffer<int> q;
  std::deque<int> ref;
  for (int i = 0; i < 20'000; ++i) {
    const auto op = g() % 5;
    if (op < 2) {
      q.push_back(i);
      ref.push_back(i);
    } else if (op < 3) {
      q.push_front(i);
      ref.push_front(i);
    } else if (!ref.empty()) {
      ASSERT_EQ(q.front(), ref.front()) << "step " << i;
      ASSERT_EQ(q.pop_front(), ref.front()) << "step " << i;
      ref.pop_front();
    }
    ASSERT_EQ(q.size(), ref.size()) << "step " << i;
  }
  while (!ref.empty()) {
    ASSERT_EQ(q.pop_front(), ref.front());
    ref.pop_front();
  }
  EXPECT_TRUE(q.empty());
}

}  // namespace
}  // namespace gwsim::sim
