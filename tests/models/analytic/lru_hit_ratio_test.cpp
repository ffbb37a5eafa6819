#include "models/analytic/lru_hit_ratio.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <list>
#include <random>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

namespace gwsim::analytic {
namespace {

/// A plain LRU cache driven by independent requests: the reference the
/// approximation is checked against. A share `one_time` of requests carries
/// a key never requested before.
double simulated_lru_hit_ratio(const std::vector<double>& p, std::size_t slots, std::uint64_t seed,
                               double one_time = 0.0) {
  std::mt19937_64 rng(seed);
  std::discrete_distribution<std::size_t> pick(p.begin(), p.end());
  std::bernoulli_distribution fresh(one_time);
  std::size_t next_fresh = p.size();
  std::list<std::size_t> order;
  std::unordered_map<std::size_t, std::list<std::size_t>::iterator> where;
  const int warmup = 50'000;
  const int measured = 400'000;
  int hits = 0;
  for (int k = 0; k < warmup + measured; ++k) {
    const std::size_t item = fresh(rng) ? next_fresh++ : pick(rng);
    auto it = where.find(item);
    if (it != where.end()) {
      if (k >= warmup) ++hits;
      order.splice(order.begin(), order, it->second);
      continue;
    }
    order.push_front(item);
    where[item] = order.begin();
    if (order.size() > slots) {
      where.erase(order.back());
      order.pop_back();
    }
  }
  return hits / static_cast<double>(measured);
}

TEST(LruHitRatio, UniformPopularityGivesSlotsOverItems) {
  const std::vector<double> p = zipf_popularity(1000, 0.0);
  EXPECT_NEAR(che_lru_hit_ratio(p, 250), 0.25, 1e-9);
}

TEST(LruHitRatio, EnoughSlotsHoldEverythingAndNoSlotsNothing) {
  const std::vector<double> p = zipf_popularity(100, 1.0);
  EXPECT_EQ(che_lru_hit_ratio(p, 100), 1.0);
  EXPECT_EQ(che_lru_hit_ratio(p, 5000), 1.0);
  EXPECT_EQ(che_lru_hit_ratio(p, 0), 0.0);
}

TEST(LruHitRatio, AgreesWithASimulatedLruUnderZipf) {
  for (const double s : {0.6, 1.0, 1.2}) {
    const std::vector<double> p = zipf_popularity(5000, s);
    for (const std::size_t slots : {50u, 500u}) {
      EXPECT_NEAR(che_lru_hit_ratio(p, static_cast<double>(slots)), simulated_lru_hit_ratio(p, slots, 7), 0.01)
          << "zipf " << s << ", " << slots << " slots";
    }
  }
}

TEST(LruHitRatio, OneTimeKeysNeverHitAndCrowdTheOthersOut) {
  for (const double s : {0.8, 1.0}) {
    const std::vector<double> p = zipf_popularity(5000, s);
    for (const std::size_t slots : {500u, 2000u}) {
      for (const double u : {0.3, 0.7}) {
        const double che = che_lru_hit_ratio(p, static_cast<double>(slots), u);
        EXPECT_NEAR(che, simulated_lru_hit_ratio(p, slots, 11, u), 0.01)
            << "zipf " << s << ", " << slots << " slots, one-time share " << u;
        // Below what the repeating share alone would see in the whole cache.
        EXPECT_LT(che, (1 - u) * che_lru_hit_ratio(p, static_cast<double>(slots)));
      }
    }
  }
  const std::vector<double> few = zipf_popularity(100, 1.0);
  EXPECT_LT(che_lru_hit_ratio(few, 5000, 0.5), 0.5);  // slots for every item, yet half the requests miss
  EXPECT_GT(che_lru_hit_ratio(few, 5000, 0.5), 0.49);
  EXPECT_EQ(che_lru_hit_ratio(few, 5000, 1.0), 0.0);
  EXPECT_EQ(che_lru_hit_ratio(few, 5000, 0.0), 1.0);
}

TEST(LruHitRatio, GrowsWithSlotsAndSkew) {
  const std::vector<double> flat = zipf_popularity(10'000, 0.8);
  const std::vector<double> steep = zipf_popularity(10'000, 1.2);
  EXPECT_LT(che_lru_hit_ratio(flat, 100), che_lru_hit_ratio(flat, 1000));
  EXPECT_LT(che_lru_hit_ratio(flat, 1000), che_lru_hit_ratio(steep, 1000));
}

TEST(LruHitRatio, BadArgumentsNameTheArgument) {
  EXPECT_THROW((void)zipf_popularity(0, 1.0), std::invalid_argument);
  EXPECT_THROW((void)zipf_popularity(10, -1.0), std::invalid_argument);
  const std::vector<double> p = zipf_popularity(10, 1.0);
  EXPECT_THROW((void)che_lru_hit_ratio(p, -1.0), std::invalid_argument);
  EXPECT_THROW((void)che_lru_hit_ratio(p, 5.0, -0.1), std::invalid_argument);
  EXPECT_THROW((void)che_lru_hit_ratio(p, 5.0, 1.5), std::invalid_argument);
  try {
    (void)che_lru_hit_ratio(p, 5.0, std::nan(""));
    ADD_FAILURE();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("one_time_share"), std::string::npos) << e.what();
  }
  const std::vector<double> not_normalised{0.5, 0.2};
  try {
    (void)che_lru_hit_ratio(not_normalised, 1.0);
    ADD_FAILURE();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("sum(popularity)"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace gwsim::analytic
