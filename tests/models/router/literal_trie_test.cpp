/// literal_trie: keys that are prefixes of a string, found in one walk, and
/// a trie that only holds live keys after removals.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "models/router/literal_trie.hpp"

namespace {

using gwsim::router::literal_trie;

std::vector<int> prefixes_of(const literal_trie<int>& t, std::string_view s) {
  std::vector<int> out;
  t.for_each_prefix_of(s, [&out](int v) { out.push_back(v); });
  return out;
}

TEST(LiteralTrie, ReportsEveryKeyThatStartsTheStringShortestFirst) {
  literal_trie<int> t;
  t.at("") = 0;
  t.at("/v1/") = 4;
  t.at("/v1/users/") = 10;
  t.at("/v2/") = 5;
  t.at("/v1/u") = 6;
  EXPECT_EQ(prefixes_of(t, "/v1/users/42"), (std::vector<int>{0, 4, 6, 10}));
  EXPECT_EQ(prefixes_of(t, "/v1/x"), (std::vector<int>{0, 4}));
  EXPECT_EQ(prefixes_of(t, "/v"), (std::vector<int>{0}));
  EXPECT_EQ(t.size(), 5U);
  ASSERT_NE(t.find("/v1/u"), nullptr);
  EXPECT_EQ(*t.find("/v1/u"), 6);
  EXPECT_EQ(t.find("/v1/us"), nullptr);
}

TEST(LiteralTrie, PruningKeepsOnlyLiveKeysAndFoldsPassThroughNodes) {
  literal_trie<int> t;
  t.at("/abc") = 1;
  t.at("/abd") = 2;
  t.at("/ab") = 3;
  const std::size_t nodes = t.node_count();
  t.prune("/ab", [](int) { return false; });  /// not empty: kept
  EXPECT_EQ(t.size(), 3U);
  t.prune("/ab", [](int) { return true; });
  t.prune("/abd", [](int) { return true; });
  EXPECT_EQ(t.size(), 1U);
  EXPECT_LT(t.node_count(), nodes);
  EXPECT_EQ(t.node_count(), 2U);  /// the root and "/abc"
  EXPECT_EQ(prefixes_of(t, "/abcd"), (std::vector<int>{1}));
  EXPECT_EQ(prefixes_of(t, "/abd"), (std::vector<int>{}));
  t.prune("/abc", [](int) { return true; });
  EXPECT_EQ(t.size(), 0U);
  EXPECT_EQ(t.node_count(), 1U);
}

}  // namespace
