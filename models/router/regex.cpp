#include "models/router/regex.hpp"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <stdexcept>

namespace gwsim::router {

namespace {

pcre2_code* as_code(void* p) noexcept { return static_cast<pcre2_code*>(p); }

std::string error_message(int code) {
  PCRE2_UCHAR buffer[256];
  const int n = pcre2_get_error_message(code, buffer, sizeof buffer);
  if (n < 0) {
    return "unknown PCRE2 error " + std::to_string(code);
  }
  return std::string(reinterpret_cast<const char*>(buffer), static_cast<std::size_t>(n));
}

} // namespace

void regex::code_deleter::operator()(void* code) const noexcept { pcre2_code_free(as_code(code)); }

regex::regex(std::string_view pattern, jit_mode jit) : pattern_(pattern) {
  int error_code = 0;
  PCRE2_SIZE error_offset = 0;
  /// Anchoring is a compile option rather than a match option: PCRE2's JIT
  /// does not support PCRE2_ANCHORED at match time and would silently fall
  /// back to the interpreter.
  pcre2_code* code =
      pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern_.data()), pattern_.size(), PCRE2_ANCHORED,
                    &error_code, &error_offset, nullptr);
  if (code == nullptr) {
    throw std::invalid_argument("invalid regex '" + pattern_ + "' at offset " +
                                std::to_string(error_offset) + ": " + error_message(error_code));
  }
  code_.reset(code);
  /// JIT is an optimisation only: when the library was built without it the
  /// interpreter gives the same answers, as ngx.re does without `j`.
  if (jit == jit_mode::automatic) {
    jit_ = pcre2_jit_compile(code, PCRE2_JIT_COMPLETE) == 0;
  }
}

bool regex::matches_prefix(std::string_view subject) const {
  pcre2_code* code = as_code(code_.get());
  std::unique_ptr<pcre2_match_data, decltype(&pcre2_match_data_free)> data(
      pcre2_match_data_create_from_pattern(code, nullptr), &pcre2_match_data_free);
  if (!data) {
    throw std::bad_alloc();
  }
  const std::uint32_t options = jit_ ? 0U : PCRE2_NO_JIT;
  const int rc = pcre2_match(code, reinterpret_cast<PCRE2_SPTR>(subject.data()), subject.size(), 0,
                             options, data.get(), nullptr);
  /// Any failure other than a match (no match, or a resource limit hit by a
  /// degenerate pattern) counts as "does not match".
  return rc >= 0;
}

} // namespace gwsim::router
