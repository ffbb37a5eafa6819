#include "sim/seq_set.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <set>

namespace gwsim::sim {
namespace {

RC_GTEST_PROP(SeqSet, BehavesLikeStdSet, (const std::vector<std::pair<bool, std::uint16_t>>& ops)) {
  seq_set s;
  std::set<std::uint64_t> ref;
  for (auto [insert, raw] : ops) {
    std::uint64_t v = raw % 512 + 1;
    if (insert) {
      s.insert(v);
      ref.insert(v);
    } else {
      RC_ASSERT(s.erase(v) == (ref.erase(v) == 1));
    }
    RC_ASSERT(s.size() == ref.size());
  }
  for (std::uint64_t v = 1; v <= 512; ++v) RC_ASSERT(s.contains(v) == (ref.count(v) == 1));
}

TEST(SeqSet, ClearKeepsItUsable) {
  seq_set s;
  for (std::uint64_t v = 1; v < 1'000; ++v) s.insert(v);
  s.clear();
  EXPECT_TRUE(s.empty());
  EXPECT_FALSE(s.contains(5));
  s.insert(5);
  EXPECT_TRUE(s.contains(5));
}

}  // namespace
}  // namespace gwsim::sim
