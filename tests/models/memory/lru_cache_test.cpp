#include "models/memory/lru_cache.hpp"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <cmath>
#include <cstdint>
#include <list>
#include <random>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

namespace gwsim::memory {
namespace {

/// The textbook LRU: a recency list and a map into it.
class reference_lru {
 public:
  explicit reference_lru(std::size_t capacity) : capacity_(capacity) {}

  bool access(std::uint32_t key) {
    if (const auto it = where_.find(key); it != where_.end()) {
      order_.splice(order_.begin(), order_, it->second);
      return true;
    }
    if (order_.size() == capacity_) {
      where_.erase(order_.back());
      order_.pop_back();
      ++evictions;
    }
    order_.push_front(key);
    where_[key] = order_.begin();
    return false;
  }
  bool contains(std::uint32_t key) const { return where_.count(key) != 0; }
  std::size_t size() const { return order_.size(); }
  const std::list<std::uint32_t>& order() const { return order_; }
  void flush() {
    order_.clear();
    where_.clear();
  }
  std::uint64_t evictions = 0;

 private:
  std::size_t capacity_;
  std::list<std::uint32_t> order_;
  std::unordered_map<std::uint32_t, std::list<std::uint32_t>::iterator> where_;
};

TEST(LruCache, RejectsZeroAndHugeSlotCounts) {
  try {
    lru_cache cache(0);
    ADD_FAILURE();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("lru_cache slots = 0 is invalid: must be in [1, 1073741824]"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(lru_cache((std::size_t{1} << 30) + 1), std::invalid_argument);
}

TEST(LruCache, EvictsTheLeastRecentlyUsed) {
  lru_cache cache(3);
  EXPECT_FALSE(cache.access(1));
  EXPECT_FALSE(cache.access(2));
  EXPECT_FALSE(cache.access(3));
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_EQ(cache.least_recent(), 1u);
  EXPECT_TRUE(cache.access(1));  // 2 is now the least recently used
  EXPECT_EQ(cache.least_recent(), 2u);
  EXPECT_EQ(cache.most_recent(), 1u);
  EXPECT_FALSE(cache.access(4));
  EXPECT_FALSE(cache.contains(2));
  EXPECT_TRUE(cache.contains(1));
  EXPECT_TRUE(cache.contains(3));
  EXPECT_TRUE(cache.contains(4));
  EXPECT_FALSE(cache.access(2));  // evicts 3
  EXPECT_FALSE(cache.contains(3));
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_EQ(cache.hits(), 1u);
  EXPECT_EQ(cache.misses(), 5u);
  EXPECT_EQ(cache.evictions(), 2u);
}

TEST(LruCache, ContainsDoesNotTouchRecency) {
  lru_cache cache(2);
  cache.access(10);
  cache.access(20);
  EXPECT_TRUE(cache.contains(10));
  cache.access(30);  // 10 is still the least recently used
  EXPECT_FALSE(cache.contains(10));
  EXPECT_EQ(cache.hits(), 0u);
}

TEST(LruCache, SingleSlot) {
  lru_cache cache(1);
  EXPECT_FALSE(cache.access(7));
  EXPECT_TRUE(cache.access(7));
  EXPECT_FALSE(cache.access(8));
  EXPECT_FALSE(cache.contains(7));
  EXPECT_EQ(cache.evictions(), 1u);
  EXPECT_EQ(cache.most_recent(), 8u);
  EXPECT_EQ(cache.least_recent(), 8u);
}

TEST(LruCache, FlushEmptiesButKeepsCapacityAndStatistics) {
  lru_cache cache(4);
  for (std::uint32_t k = 0; k < 6; ++k) cache.access(k);
  cache.access(5);
  cache.flush();
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(cache.capacity(), 4u);
  EXPECT_EQ(cache.hits(), 1u);
  EXPECT_EQ(cache.misses(), 6u);
  for (std::uint32_t k = 0; k < 6; ++k) EXPECT_FALSE(cache.contains(k));
  EXPECT_FALSE(cache.access(5));
  EXPECT_TRUE(cache.access(5));
  EXPECT_EQ(cache.size(), 1u);
}

/// Keys that share a home position in the index exercise the probe runs and
/// the backward-shift deletion.
TEST(LruCache, CollidingKeysSurviveEvictionInAnyOrder) {
  const std::size_t slots = 4;
  std::vector<std::uint32_t> keys;
  // Table of 8 positions, 3 hash bits: find keys hashing to the same home.
  const auto home = [](std::uint32_t k) { return (std::uint64_t{k} * 0x9E3779B97F4A7C15ull) >> 61; };
  for (std::uint32_t k = 0; keys.size() < 12; ++k) {
    if (home(k) == home(0) || home(k) == (home(0) + 1) % 8) keys.push_back(k);
  }
  lru_cache cache(slots);
  reference_lru ref(slots);
  std::mt19937 gen(7);
  for (int i = 0; i < 5000; ++i) {
    const std::uint32_t k = keys[gen() % keys.size()];
    ASSERT_EQ(cache.access(k), ref.access(k)) << "step " << i;
    for (const std::uint32_t q : keys) ASSERT_EQ(cache.contains(q), ref.contains(q)) << "step " << i;
  }
}

TEST(LruCache, MatchesTheReferenceOnALargeSkewedWorkload) {
  const std::size_t slots = 5000;
  lru_cache cache(slots);
  reference_lru ref(slots);
  std::mt19937_64 gen(42);
  // Route popularity is skewed: a few routes take most of the traffic over
  // a universe of a million route ids.
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::uint64_t agreed_hits = 0;
  for (int i = 0; i < 200000; ++i) {
    const auto key = static_cast<std::uint32_t>(std::pow(u(gen), 4.0) * 1e6);
    const bool hit = cache.access(key);
    ASSERT_EQ(hit, ref.access(key));
    agreed_hits += hit ? 1 : 0;
  }
  EXPECT_EQ(cache.hits(), agreed_hits);
  EXPECT_EQ(cache.evictions(), ref.evictions);
  EXPECT_EQ(cache.size(), ref.size());
  EXPECT_GT(cache.hits(), 0u);
  EXPECT_GT(cache.evictions(), 0u);
}

RC_GTEST_PROP(LruCache, BehavesLikeTheReference, ()) {
  const auto slots = *rc::gen::inRange<std::size_t>(1, 17);
  // Small universe for hits, plus keys at the top of the range.
  const auto key_gen = rc::gen::oneOf(
      rc::gen::inRange<std::uint32_t>(0, 40),
      rc::gen::map(rc::gen::inRange<std::uint32_t>(0, 8), [](std::uint32_t k) { return UINT32_MAX - k; }));
  const auto keys = *rc::gen::container<std::vector<std::uint32_t>>(key_gen);
  const auto flush_at = *rc::gen::inRange<std::size_t>(0, 200);

  lru_cache cache(slots);
  reference_lru ref(slots);
  std::uint64_t hits = 0;
  std::uint64_t misses = 0;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (i == flush_at) {
      cache.flush();
      ref.flush();
    }
    const bool hit = ref.access(keys[i]);
    RC_ASSERT(cache.access(keys[i]) == hit);
    (hit ? hits : misses) += 1;
    RC_ASSERT(cache.size() == ref.size());
    RC_ASSERT(cache.most_recent() == ref.order().front());
    RC_ASSERT(cache.least_recent() == ref.order().back());
  }
  RC_ASSERT(cache.hits() == hits);
  RC_ASSERT(cache.misses() == misses);
  RC_ASSERT(cache.evictions() == ref.evictions);
  for (const std::uint32_t k : keys) RC_ASSERT(cache.contains(k) == ref.contains(k));
  for (std::uint32_t k = 0; k < 40; ++k) RC_ASSERT(cache.contains(k) == ref.contains(k));
}

}  // namespace
}  // namespace gwsim::memory
