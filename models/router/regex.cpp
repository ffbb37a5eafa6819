#include "models/router/regex.hpp"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>
#include <optional>

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
    jit_state_.store(jit_untried, std::memory_order_relaxed);
  }
}

bool regex::compile_jit() const {
  std::call_once(jit_once_, [this] {
    const bool ok = pcre2_jit_compile(as_code(code_.get()), PCRE2_JIT_COMPLETE) == 0;
    jit_state_.store(ok ? jit_on : jit_off, std::memory_order_release);
  });
  return jit_state_.load(std::memory_order_acquire) == jit_on;
}

namespace {

/// Whether `p` can stand unchanged as one alternative `(?:p)` of a larger
/// pattern: no construct whose meaning depends on group numbers or on the
/// rest of the pattern.
bool self_contained(std::string_view p) noexcept {
  for (std::size_t i = 0; i < p.size(); ++i) {
    const char c = p[i];
    if (c == '\\') {
      if (i + 1 >= p.size()) {
        return false;
      }
      const char x = p[i + 1];
      if ((x >= '0' && x <= '9') || x == 'g' || x == 'k' || x == 'Q' || x == 'E' || x == 'K' || x == 'c' ||
          x == 'x' || x == 'o' || x == 'N' || x == 'p' || x == 'P') {
        return false;
      }
      ++i;
    } else if (c == '(' && i + 1 < p.size() && p[i + 1] == '*') {
      return false;  /// verbs and start-of-pattern options
    } else if (c == '(' && i + 2 < p.size() && p[i + 1] == '?') {
      const char x = p[i + 2];
      /// Non-capturing and named groups, look-arounds and atomic groups
      /// are fine; recursion, conditionals, branch resets, callouts and
      /// option settings (which could reach past the alternative) are not.
      const bool named = x == '<' && i + 3 < p.size() && p[i + 3] != '=' && p[i + 3] != '!';
      const bool ok = x == ':' || x == '=' || x == '!' || x == '>' || named ||
                      (x == '<' && i + 3 < p.size() && (p[i + 3] == '=' || p[i + 3] == '!')) ||
                      (x == 'P' && i + 3 < p.size() && p[i + 3] == '<');
      if (!ok) {
        return false;
      }
    }
  }
  return true;
}

}  // namespace

regex::regex(std::string pattern, alternation_tag) : pattern_(std::move(pattern)) {
  int error_code = 0;
  PCRE2_SIZE error_offset = 0;
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern_.data()), pattern_.size(),
                                   PCRE2_ANCHORED | PCRE2_DUPNAMES, &error_code, &error_offset, nullptr);
  if (code == nullptr) {
    return;
  }
  code_.reset(code);
  jit_state_.store(jit_untried, std::memory_order_relaxed);
}

std::unique_ptr<regex> regex::alternation(const std::vector<std::string_view>& patterns) {
  std::string combined;
  for (std::size_t k = 0; k < patterns.size(); ++k) {
    if (!self_contained(patterns[k])) {
      return nullptr;
    }
    if (k != 0) {
      combined += '|';
    }
    /// The mark is reached only once the alternative has matched, so the
    /// match's last mark names the alternative that succeeded.
    combined += "(?:";
    combined += patterns[k];
    combined += ")(*MARK:";
    combined += std::to_string(k);
    combined += ')';
  }
  std::unique_ptr<regex> re(new regex(std::move(combined), alternation_tag{}));
  if (!re->code_) {
    return nullptr;
  }
  return re;
}

namespace {

/// The match data block of this thread: one ovector pair is enough (a match
/// whose captures do not fit returns 0, which still counts as a match). It is
/// reused by every pattern the thread matches (PCRE2 also keeps its
/// backtracking frames in it).
pcre2_match_data* thread_match_data() {
  thread_local const std::unique_ptr<pcre2_match_data, decltype(&pcre2_match_data_free)> data(
      pcre2_match_data_create(1, nullptr), &pcre2_match_data_free);
  if (!data) {
    throw std::bad_alloc();
  }
  return data.get();
}

/// One match of `code` against `subject` from its start; PCRE2's return code.
int match_once(pcre2_code* code, bool jit, std::string_view subject, pcre2_match_data* data) {
  const auto* text = reinterpret_cast<PCRE2_SPTR>(subject.data());
  return jit ? pcre2_jit_match(code, text, subject.size(), 0, 0, data, nullptr)
             : pcre2_match(code, text, subject.size(), 0, PCRE2_NO_JIT, data, nullptr);
}

}  // namespace

int regex::first_alternative(std::string_view subject) const {
  const bool jit = use_jit();
  pcre2_match_data* data = thread_match_data();
  const int rc = match_once(as_code(code_.get()), jit, subject, data);
  if (rc == PCRE2_ERROR_NOMATCH) {
    return -1;
  }
  if (rc < 0) {
    return -2;
  }
  const PCRE2_SPTR mark = pcre2_get_mark(data);
  if (mark == nullptr) {
    return -2;
  }
  int k = 0;
  for (const auto* m = mark; *m != 0; ++m) {
    k = k * 10 + (*m - '0');
  }
  return k;
}

bool regex::matches_prefix(std::string_view subject) const {
  const int rc = match_once(as_code(code_.get()), use_jit(), subject, thread_match_data());
  /// Any failure other than a match (no match, or a resource limit hit by a
  /// degenerate pattern) counts as "does not match".
  return rc >= 0;
}

namespace {

bool is_meta(char c) noexcept {
  switch (c) {
    case '\\':
    case '^':
    case '$':
    case '.':
    case '[':
    case ']':
    case '|':
    case '(':
    case ')':
    case '?':
    case '*':
    case '+':
    case '{':
    case '}':
      return true;
    default:
      return false;
  }
}

bool is_alnum(char c) noexcept { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

/// Whether `p` has a `|` outside every group and class.
bool has_top_level_alternation(std::string_view p) noexcept {
  int depth = 0;
  bool in_class = false;
  for (std::size_t i = 0; i < p.size(); ++i) {
    const char c = p[i];
    if (c == '\\') {
      ++i;
    } else if (in_class) {
      in_class = c != ']';
    } else if (c == '[') {
      in_class = true;
      /// A `]` right after `[` or `[^` is a literal member.
      if (i + 1 < p.size() && p[i + 1] == '^') ++i;
      if (i + 1 < p.size() && p[i + 1] == ']') ++i;
    } else if (c == '(') {
      ++depth;
    } else if (c == ')') {
      --depth;
    } else if (c == '|' && depth == 0) {
      return true;
    }
  }
  return false;
}

/// One literal character at `i` (plain, or a backslash before punctuation);
/// advances `i` past it.
std::optional<char> literal_at(std::string_view p, std::size_t& i) noexcept {
  if (i >= p.size()) return std::nullopt;
  const char c = p[i];
  if (c == '\\') {
    if (i + 1 < p.size() && !is_alnum(p[i + 1]) && static_cast<unsigned char>(p[i + 1]) < 0x80 && p[i + 1] > ' ') {
      i += 2;
      return p[i - 1];
    }
    return std::nullopt;
  }
  if (is_meta(c)) return std::nullopt;
  ++i;
  return c;
}

/// The members of a simple class starting at `p[i] == '['`; advances `i`
/// past its `]`.
std::optional<std::string> class_at(std::string_view p, std::size_t& i) {
  std::size_t k = i + 1;
  if (k >= p.size() || p[k] == '^' || p[k] == ']') return std::nullopt;
  std::string members;
  while (k < p.size() && p[k] != ']') {
    const char c = p[k];
    if (c == '\\' || c == '[') return std::nullopt;
    if (k + 2 < p.size() && p[k + 1] == '-' && p[k + 2] != ']') {
      const char hi = p[k + 2];
      const bool same_kind = (std::isdigit(static_cast<unsigned char>(c)) != 0 && std::isdigit(static_cast<unsigned char>(hi)) != 0) ||
                             (std::islower(static_cast<unsigned char>(c)) != 0 && std::islower(static_cast<unsigned char>(hi)) != 0) ||
                             (std::isupper(static_cast<unsigned char>(c)) != 0 && std::isupper(static_cast<unsigned char>(hi)) != 0);
      if (!same_kind || hi < c) return std::nullopt;
      for (char x = c; x <= hi; ++x) members += x;
      k += 3;
    } else {
      members += c;
      ++k;
    }
  }
  if (k >= p.size()) return std::nullopt;
  i = k + 1;
  return members;
}

/// The alternatives of a group at `p[i] == '('` when each is literal text;
/// advances `i` past its `)`.
std::optional<std::vector<std::string>> group_at(std::string_view p, std::size_t& i) {
  std::size_t k = i + 1;
  if (k < p.size() && p[k] == '?') {
    if (k + 1 < p.size() && p[k + 1] == ':') {
      k += 2;
    } else {
      /// Named groups: (?<name>...), (?'name'...), (?P<name>...).
      std::size_t n = k + 1;
      if (n < p.size() && p[n] == 'P') ++n;
      if (n >= p.size() || (p[n] != '<' && p[n] != '\'')) return std::nullopt;
      const char close = p[n] == '<' ? '>' : '\'';
      ++n;
      if (n >= p.size() || !(std::isalpha(static_cast<unsigned char>(p[n])) != 0 || p[n] == '_')) return std::nullopt;
      while (n < p.size() && (is_alnum(p[n]) || p[n] == '_')) ++n;
      if (n >= p.size() || p[n] != close) return std::nullopt;
      k = n + 1;
    }
  } else if (k < p.size() && p[k] == '*') {
    return std::nullopt;
  }
  std::vector<std::string> alternatives(1);
  while (k < p.size() && p[k] != ')') {
    if (p[k] == '|') {
      alternatives.emplace_back();
      ++k;
      continue;
    }
    const auto c = literal_at(p, k);
    if (!c) return std::nullopt;
    alternatives.back() += *c;
  }
  if (k >= p.size()) return std::nullopt;
  i = k + 1;
  return alternatives;
}

}  // namespace

std::vector<std::string> regex_literal_prefixes(std::string_view pattern, std::size_t max_prefixes) {
  std::vector<std::string> prefixes(1);
  if (has_top_level_alternation(pattern)) {
    return prefixes;
  }
  std::size_t i = 0;
  while (i < pattern.size()) {
    std::size_t next = i;
    if (const auto c = literal_at(pattern, next)) {
      /// One character: every prefix grows by it in place (the common case;
      /// building a list of one choice per character made a build of 5e4
      /// routes allocate half its objects here).
      const char q = next < pattern.size() ? pattern[next] : '\0';
      if (q == '?' || q == '*' || q == '{') break;
      for (auto& p : prefixes) p.push_back(*c);
      if (q == '+') break;
      i = next;
      continue;
    }
    std::vector<std::string> choices;
    if (pattern[i] == '[') {
      const auto members = class_at(pattern, next);
      if (!members) break;
      for (const char m : *members) choices.emplace_back(1, m);
    } else if (pattern[i] == '(') {
      auto alternatives = group_at(pattern, next);
      if (!alternatives) break;
      choices = std::move(*alternatives);
    } else {
      break;
    }
    /// A quantifier that allows zero repetitions ends the literal part; `+`
    /// keeps one copy and ends it after.
    const char q = next < pattern.size() ? pattern[next] : '\0';
    if (q == '?' || q == '*' || q == '{') break;
    if (prefixes.size() * choices.size() > max_prefixes) {
      break;
    }
    std::vector<std::string> grown;
    grown.reserve(prefixes.size() * choices.size());
    for (const auto& p : prefixes) {
      for (const auto& c : choices) grown.push_back(p + c);
    }
    prefixes = std::move(grown);
    if (q == '+') break;
    i = next;
  }
  return prefixes;
}

namespace {

bool literal_host_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_' ||
         c == ':' || c == '*';
}

}  // namespace

bool wildcard_host_is_literal(std::string_view value) noexcept {
  return std::all_of(value.begin(), value.end(), literal_host_char);
}

bool wildcard_host_may_match(std::string_view value, std::string_view subject) noexcept {
  std::size_t star = value.find('*');
  const std::string_view head = value.substr(0, star);
  if (!subject.starts_with(head)) {
    return false;
  }
  std::size_t pos = head.size();
  while (star != std::string_view::npos) {
    pos += 1;  /// `.+` takes at least one character
    const std::size_t next = value.find('*', star + 1);
    const std::string_view piece = value.substr(star + 1, next == std::string_view::npos ? next : next - star - 1);
    if (pos > subject.size()) {
      return false;
    }
    const std::size_t at = subject.find(piece, pos);
    if (at == std::string_view::npos) {
      return false;
    }
    pos = at + piece.size();
    star = next;
  }
  return true;
}

} // namespace gwsim::router
