#include "models/router/regex.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <stdexcept>
#include <string>

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

RC_GTEST_PROP(Regex, JitAndInterpreterAgree, (const std::string& subject)) {
  for (const char* pattern : {R"(/v\d+/.*)", "[a-z]+", "(ab|a)c", "/x?y*z"}) {
    const regex jit(pattern);
    const regex interp(pattern, regex::jit_mode::disabled);
    RC_ASSERT(jit.matches_prefix(subject) == interp.matches_prefix(subject));
  }
}
