#include "models/router/regex.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

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
