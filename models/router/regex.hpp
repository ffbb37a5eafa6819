#pragma once
/// A compiled PCRE2 pattern with the matching discipline Kong's router uses
/// through `ngx.re.find(subject, pattern, "ajo")`: anchored at the start of
/// the subject (`a`), JIT-compiled when the library supports it (`j`),
/// compiled once and reused (`o`). Construction parses the pattern (so a bad
/// one is refused at once); the JIT compilation, which costs about ten times
/// as much, waits for the first match, as Kong's `ngx.re.find` compiles a
/// route's pattern when a request first needs it and its Router.new
/// compiles none: a router build pays only the parse. The end is not anchored, so a path regex
/// such as `/users/\d+` also matches `/users/42/profile`, exactly as Kong's
/// traditional router treats regex paths as regex *prefixes*.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace gwsim::router {

class regex {
public:
  enum class jit_mode { automatic, disabled };

  /// Throws std::invalid_argument naming the pattern, the offset and PCRE2's
  /// message when the pattern does not compile.
  explicit regex(std::string_view pattern, jit_mode jit = jit_mode::automatic);

  /// True when the pattern matches at the start of `subject`. Uses one
  /// match-data block per thread (only the success of the match is needed,
  /// never the captures), so matching allocates nothing once warm.
  [[nodiscard]] bool matches_prefix(std::string_view subject) const;

  [[nodiscard]] const std::string& pattern() const noexcept { return pattern_; }
  /// Whether matches run JIT code: false until the first match (and always
  /// with jit_mode::disabled or a library without JIT).
  [[nodiscard]] bool jit_compiled() const noexcept { return jit_state_.load(std::memory_order_acquire) == jit_on; }

  /// One pattern trying `patterns` in order as alternatives, so one anchored
  /// match tells which of them is the first to match a subject (what Kong
  /// asks when it scans its regex paths in order) instead of one call per
  /// pattern. Null when a pattern uses anything whose meaning could change
  /// inside a larger pattern (back references, `\Q`, verbs, recursion,
  /// conditionals) or the combination does not compile; the caller then
  /// matches the patterns one by one.
  [[nodiscard]] static std::unique_ptr<regex> alternation(const std::vector<std::string_view>& patterns);

  /// For an alternation(): the index of the first alternative matching at
  /// the start of `subject`, -1 when none does, -2 when PCRE2 gave up (a
  /// resource limit) and the alternatives must be tried one by one.
  [[nodiscard]] int first_alternative(std::string_view subject) const;

private:
  struct alternation_tag {};
  regex(std::string pattern, alternation_tag);

  struct code_deleter {
    void operator()(void* code) const noexcept;
  };

  /// Whether matches run JIT code. The first match of a pattern that
  /// wants JIT compiles it (once, whichever thread gets there first; the
  /// others wait); later ones read one atomic.
  [[nodiscard]] bool use_jit() const {
    const std::uint8_t state = jit_state_.load(std::memory_order_acquire);
    return state == jit_untried ? compile_jit() : state == jit_on;
  }
  bool compile_jit() const;

  static constexpr std::uint8_t jit_untried = 0;
  static constexpr std::uint8_t jit_on = 1;
  static constexpr std::uint8_t jit_off = 2;

  std::string pattern_;
  std::unique_ptr<void, code_deleter> code_;
  mutable std::once_flag jit_once_;
  mutable std::atomic<std::uint8_t> jit_state_{jit_off};
};

/// Literal strings of which every subject the anchored `pattern` matches
/// starts with at least one: a prefilter telling which patterns need not be
/// tried on a subject. The pattern is read from its start while it is plain
/// literal text (other characters than `\^$.[]|()?*+{}`, or a backslash
/// before punctuation), simple character classes (`[a-f0-9_]`, no negation or
/// escapes) and non-capturing, capturing or named groups whose alternatives
/// are all literal text; classes and groups multiply the set, up to
/// `max_prefixes` strings. Reading stops before anything else (escapes such
/// as `\d`, `.`, anchors, other `(?` constructs, including option settings)
/// and before an atom followed by `?`, `*` or `{`; an atom followed by `+`
/// still counts once, as it does before an atom whose expansion would exceed
/// `max_prefixes` strings. A pattern with a top-level `|` gives {""}: the
/// empty prefix passes every subject, so an early stop is always safe, only
/// less selective.
[[nodiscard]] std::vector<std::string> regex_literal_prefixes(std::string_view pattern,
                                                              std::size_t max_prefixes = 32);

/// Whether every character of the wildcard host `value` is one that
/// wildcard_host_regex() leaves literal (letters, digits, `.-_:`) or `*`,
/// the hosts wildcard_host_may_match() can prefilter.
[[nodiscard]] bool wildcard_host_is_literal(std::string_view value) noexcept;

/// For such a host: a necessary condition, checked without PCRE2, for its
/// wildcard regex to match `subject` (the request's host with port): the
/// `*`-separated pieces of `value` appear in order, the first at the start,
/// with at least one character in place of each `*`.
[[nodiscard]] bool wildcard_host_may_match(std::string_view value, std::string_view subject) noexcept;

} // namespace gwsim::router
