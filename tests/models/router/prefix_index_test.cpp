// prefix_index against the plain definition: for any key set and any
// subject, for_each_prefix_of reports exactly the keys that are prefixes of
// the subject, shortest first, each with its values in the order given.

#include "models/router/prefix_index.hpp"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gwsim::router {
namespace {

using reported = std::vector<std::pair<std::size_t, std::vector<std::uint32_t>>>;

reported walk(const prefix_index& index, std::string_view s) {
  reported out;
  index.for_each_prefix_of(s, [&out](std::span<const std::uint32_t> values, std::size_t length) {
    out.emplace_back(length, std::vector<std::uint32_t>(values.begin(), values.end()));
  });
  return out;
}

reported expected(const std::vector<std::pair<std::string, std::uint32_t>>& items, std::string_view s) {
  std::map<std::size_t, std::vector<std::uint32_t>> by_length;
  for (const auto& [key, value] : items) {
    if (s.starts_with(key)) {
      by_length[key.size()].push_back(value);
    }
  }
  return {by_length.begin(), by_length.end()};
}

prefix_index build(const std::vector<std::pair<std::string, std::uint32_t>>& items) {
  std::vector<std::pair<std::string_view, std::uint32_t>> views(items.begin(), items.end());
  return prefix_index(views);
}

/// Strings over a small alphabet, so keys share prefixes and nodes fan out,
/// plus a wide alphabet for nodes with more than eight children.
rc::Gen<std::string> key_gen() {
  return rc::gen::oneOf(
      rc::gen::container<std::string>(rc::gen::elementOf(std::string("/ab"))),
      rc::gen::container<std::string>(rc::gen::elementOf(std::string("/abcdefghijklmnopqrstuvwxyz0123456789-\xff"))));
}

TEST(PrefixIndex, EmptyIndexReportsNothing) {
  const prefix_index index;
  EXPECT_TRUE(walk(index, "/anything").empty());
  EXPECT_EQ(index.node_count(), 0U);
}

TEST(PrefixIndex, ReportsEveryKeyOnThePathShortestFirst) {
  const std::vector<std::pair<std::string, std::uint32_t>> items = {
      {"/v1", 1}, {"/v1/users", 2}, {"/v1/users", 3}, {"/v1/usersettings", 4}, {"", 5}, {"/v2", 6}};
  const prefix_index index = build(items);
  EXPECT_EQ(walk(index, "/v1/users/42"), (reported{{0, {5}}, {3, {1}}, {9, {2, 3}}}));
  EXPECT_EQ(walk(index, "/v1/use"), (reported{{0, {5}}, {3, {1}}}));
  EXPECT_EQ(walk(index, "/v1/usersettings"), (reported{{0, {5}}, {3, {1}}, {9, {2, 3}}, {16, {4}}}));
}

TEST(PrefixIndex, WideFanOutAndLongLabels) {
  /// 40 children under one node (binary search, then an eight-byte run) and
  /// labels longer than eight bytes ending at every offset of a subject.
  std::vector<std::pair<std::string, std::uint32_t>> items;
  for (std::uint32_t c = 0; c < 40; ++c) {
    items.emplace_back("/api/" + std::string(1, static_cast<char>('0' + c)) + "/resource-with-a-long-name", c);
  }
  const prefix_index index = build(items);
  for (std::uint32_t c = 0; c < 40; ++c) {
    const std::string hit = items[c].first + "/x";
    EXPECT_EQ(walk(index, hit), expected(items, hit)) << hit;
    const std::string miss = items[c].first.substr(0, items[c].first.size() - 1) + "!";
    EXPECT_TRUE(walk(index, miss).empty()) << miss;
  }
}

TEST(PrefixIndex, LabelsLongerThanOneNodeHoldsBecomeChains) {
  /// A node's label is at most 65,535 bytes: keys sharing 200,000 bytes walk
  /// through a chain of nodes, with keys ending inside the chain.
  const std::string base(200'000, 'x');
  const std::vector<std::pair<std::string, std::uint32_t>> items = {
      {base + "/a", 1}, {base + "/b", 2}, {base.substr(0, 131'070), 3}, {base.substr(0, 70'000), 4}, {"x", 5}};
  const prefix_index index = build(items);
  EXPECT_GE(index.node_count(), 5U);
  for (const std::string& s : {base + "/a/more", base + "/b", base, base.substr(0, 131'069), base + "/c", std::string("y")}) {
    EXPECT_EQ(walk(index, s), expected(items, s)) << s.size();
  }
}

RC_GTEST_PROP(PrefixIndex, AgreesWithThePlainDefinition, ()) {
  const auto keys = *rc::gen::container<std::vector<std::string>>(key_gen());
  std::vector<std::pair<std::string, std::uint32_t>> items;
  for (std::uint32_t i = 0; i < keys.size(); ++i) {
    items.emplace_back(keys[i], i);
  }
  const prefix_index index = build(items);
  /// Subjects: every key, every key extended or cut short, and random ones.
  std::vector<std::string> subjects = *rc::gen::container<std::vector<std::string>>(key_gen());
  for (const auto& k : keys) {
    subjects.push_back(k);
    subjects.push_back(k + *key_gen());
    if (!k.empty()) {
      subjects.push_back(k.substr(0, k.size() - 1));
    }
  }
  for (const auto& s : subjects) {
    RC_ASSERT(walk(index, s) == expected(items, s));
  }
}

}  // namespace
}  // namespace gwsim::router
