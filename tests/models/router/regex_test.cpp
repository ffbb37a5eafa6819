#include "models/router/regex.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using gwsim::router::regex;

TEST(Regex, MatchesAnchoredAtStartOnly) {
  const regex re(R"(/users/\d+)");
  EXPECT_TRUE(re.matches_prefix("/users/42"));
  EXPECT_TRUE(re.matches_prefix("/users/42/profile")); // end is not anchored
  EXPECT_FALSE(re.matches_prefix("/api/users/42"));    // start is anchored
  EXPECT_FALSE(re.matches_prefix("/users/x"));
}

TEST(Regex, ExplicitEndAnchorIsHonoured) {
  const regex re("/exact$");
  EXPECT_TRUE(re.matches_prefix("/exact"));
  EXPECT_FALSE(re.matches_prefix("/exact/more"));
}

TEST(Regex, InvalidPatternThrowsNamingPattern) {
  try {
    const regex re("/broken(");
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("/broken("), std::string::npos);
  }
}

TEST(Regex, JitDisabledReportsNoJit) {
  const regex re("/a", regex::jit_mode::disabled);
  EXPECT_FALSE(re.jit_compiled());
  EXPECT_TRUE(re.matches_prefix("/abc"));
}

/// Kong's Router.new compiles no route pattern; ngx.re compiles one when a
/// match first needs it. A router build here only parses its patterns.
TEST(Regex, JitCompilesAtTheFirstMatchNotAtConstruction) {
  std::uint32_t jit_available = 0;
  ASSERT_EQ(pcre2_config(PCRE2_CONFIG_JIT, &jit_available), 0);
  const regex re(R"(/users/\d+)");
  EXPECT_FALSE(re.jit_compiled());
  EXPECT_TRUE(re.matches_prefix("/users/7"));
  EXPECT_EQ(re.jit_compiled(), jit_available == 1);
  EXPECT_FALSE(re.matches_prefix("/users/x"));

  const auto alt = regex::alternation({"/a/\\d+", "/b"});
  ASSERT_NE(alt, nullptr);
  EXPECT_FALSE(alt->jit_compiled());
  EXPECT_EQ(alt->first_alternative("/b/1"), 1);
  EXPECT_EQ(alt->jit_compiled(), jit_available == 1);
}

/// Threads meeting a pattern's first match together compile it once and
/// all get the right answers.
TEST(Regex, FirstMatchesFromSeveralThreadsAgree) {
  const regex re(R"(/v\d+/items/[0-9a-f]{4}$)");
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&re, &wrong] {
      for (int i = 0; i < 2000; ++i) {
        const bool good = re.matches_prefix("/v" + std::to_string(i) + "/items/beef");
        const bool bad = re.matches_prefix("/v" + std::to_string(i) + "/items/beefy");
        if (!good || bad) {
          ++wrong;
        }
      }
    });
  }
  for (auto& th : threads) {
    th.join();
  }
  EXPECT_EQ(wrong.load(), 0);
}

RC_GTEST_PROP(Regex, JitAndInterpreterAgree, (const std::string& subject)) {
  for (const char* pattern : {R"(/v\d+/.*)", "[a-z]+", "(ab|a)c", "/x?y*z"}) {
    const regex jit(pattern);
    const regex interp(pattern, regex::jit_mode::disabled);
    RC_ASSERT(jit.matches_prefix(subject) == interp.matches_prefix(subject));
  }
}

namespace gwsim::router {
namespace {

using prefixes = std::vector<std::string>;

TEST(RegexLiteralPrefixes, LiteralTextClassesAndGroupsUpToTheFirstOpenAtom) {
  EXPECT_EQ(regex_literal_prefixes(R"(/users/\d+)"), prefixes{"/users/"});
  EXPECT_EQ(regex_literal_prefixes(R"(/a\.b/c)"), prefixes{"/a.b/c"});
  EXPECT_EQ(regex_literal_prefixes("/v1/(a|b)/x"), (prefixes{"/v1/a/x", "/v1/b/x"}));
  EXPECT_EQ(regex_literal_prefixes("/v1/(?:ab|c)d"), (prefixes{"/v1/abd", "/v1/cd"}));
  EXPECT_EQ(regex_literal_prefixes("/a[bc]d"), (prefixes{"/abd", "/acd"}));
  // An atom that may be absent ends the literal part before it; `+` keeps one copy.
  EXPECT_EQ(regex_literal_prefixes("/ab?c"), prefixes{"/a"});
  EXPECT_EQ(regex_literal_prefixes("/ab*c"), prefixes{"/a"});
  EXPECT_EQ(regex_literal_prefixes("/ab{2}c"), prefixes{"/a"});
  EXPECT_EQ(regex_literal_prefixes("/ab+c"), prefixes{"/ab"});
  EXPECT_EQ(regex_literal_prefixes("/(a|b)+c"), (prefixes{"/a", "/b"}));
  // Anything else stops it; a top-level alternation leaves only the empty prefix.
  EXPECT_EQ(regex_literal_prefixes("/a.c"), prefixes{"/a"});
  EXPECT_EQ(regex_literal_prefixes("/x|/y"), prefixes{""});
  EXPECT_EQ(regex_literal_prefixes(""), prefixes{""});
  // The set stops growing before it would pass max_prefixes.
  EXPECT_EQ(regex_literal_prefixes("/(a|b)(c|d)(e|f)g", 4), (prefixes{"/ac", "/ad", "/bc", "/bd"}));
  EXPECT_EQ(regex_literal_prefixes("/(a|b)x(c|d)", 32), (prefixes{"/axc", "/axd", "/bxc", "/bxd"}));
}

RC_GTEST_PROP(RegexLiteralPrefixes, EveryMatchStartsWithAPrefix, ()) {
  // Patterns of literal runs, classes, groups and quantifiers; subjects built
  // to match them. Whatever the pattern matches starts with a prefix.
  const auto pieces = *rc::gen::container<std::vector<int>>(rc::gen::inRange(0, 7));
  std::string pattern = "/";
  std::string subject = "/";
  for (const int p : pieces) {
    switch (p) {
      case 0: pattern += "ab"; subject += "ab"; break;
      case 1: pattern += "[xy]"; subject += *rc::gen::element(std::string("x"), std::string("y")); break;
      case 2: pattern += "(c|de)"; subject += *rc::gen::element(std::string("c"), std::string("de")); break;
      case 3: pattern += "f?"; subject += *rc::gen::element(std::string(""), std::string("f")); break;
      case 4: pattern += "g+"; subject += std::string(*rc::gen::inRange<std::size_t>(1, 4), 'g'); break;
      case 5: pattern += R"(\d+)"; subject += "42"; break;
      default: pattern += R"(\.)"; subject += "."; break;
    }
  }
  const regex re(pattern);
  RC_ASSERT(re.matches_prefix(subject));
  const auto found = regex_literal_prefixes(pattern, *rc::gen::inRange<std::size_t>(1, 40));
  RC_ASSERT(!found.empty());
  RC_ASSERT(std::any_of(found.begin(), found.end(), [&](const std::string& f) { return subject.starts_with(f); }));
}

}  // namespace
}  // namespace gwsim::router
