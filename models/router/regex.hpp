#pragma once
/// A compiled PCRE2 pattern with the matching discipline Kong's router uses
/// through `ngx.re.find(subject, pattern, "ajo")`: anchored at the start of
/// the subject (`a`), JIT-compiled when the library supports it (`j`),
/// compiled once and reused (`o`). The end is not anchored, so a path regex
/// such as `/users/\d+` also matches `/users/42/profile`, exactly as Kong's
/// traditional router treats regex paths as regex *prefixes*.

#include <memory>
#include <string>
#include <string_view>

namespace gwsim::router {

class regex {
public:
  enum class jit_mode { automatic, disabled };

  /// Throws std::invalid_argument naming the pattern, the offset and PCRE2's
  /// message when the pattern does not compile.
  explicit regex(std::string_view pattern, jit_mode jit = jit_mode::automatic);

  /// True when the pattern matches at the start of `subject`.
  [[nodiscard]] bool matches_prefix(std::string_view subject) const;

  [[nodiscard]] const std::string& pattern() const noexcept { return pattern_; }
  [[nodiscard]] bool jit_compiled() const noexcept { return jit_; }

private:
  struct code_deleter {
    void operator()(void* code) const noexcept;
  };

  std::string pattern_;
  std::unique_ptr<void, code_deleter> code_;
  bool jit_ = false;
};

} // namespace gwsim::router
