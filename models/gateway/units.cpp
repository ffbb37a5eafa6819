#include "models/gateway/units.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <stdexcept>
#include <system_error>

namespace gwsim::gateway {
namespace {

/// A unit suffix: either a power of ten (scaled in decimal, so that "0.3ms"
/// rounds once, exactly like the literal 0.0003) or an exact binary/sexagesimal
/// factor.
struct unit_scale {
  std::string_view suffix;
  int exp10 = 0;
  double factor = 1.0;
};

constexpr std::array duration_units{
    unit_scale{"", 0, 1.0},     unit_scale{"s", 0, 1.0},        unit_scale{"ms", -3, 1.0},
    unit_scale{"us", -6, 1.0},  unit_scale{"\u00b5s", -6, 1.0}, unit_scale{"\u03bcs", -6, 1.0},
    unit_scale{"ns", -9, 1.0},  unit_scale{"m", 0, 60.0},       unit_scale{"min", 0, 60.0},
    unit_scale{"h", 0, 3600.0},
};
constexpr std::string_view duration_unit_list = "ns, us, ms, s, m or min, h";

constexpr double kib = 1024.0;
constexpr std::array size_units{
    unit_scale{"", 0, 1.0},
    unit_scale{"B", 0, 1.0},
    unit_scale{"kB", 3, 1.0},
    unit_scale{"KB", 3, 1.0},
    unit_scale{"MB", 6, 1.0},
    unit_scale{"GB", 9, 1.0},
    unit_scale{"TB", 12, 1.0},
    unit_scale{"PB", 15, 1.0},
    unit_scale{"KiB", 0, kib},
    unit_scale{"Ki", 0, kib},
    unit_scale{"MiB", 0, kib* kib},
    unit_scale{"Mi", 0, kib* kib},
    unit_scale{"GiB", 0, kib* kib* kib},
    unit_scale{"Gi", 0, kib* kib* kib},
    unit_scale{"TiB", 0, kib* kib* kib* kib},
    unit_scale{"Ti", 0, kib* kib* kib* kib},
    unit_scale{"PiB", 0, kib* kib* kib* kib* kib},
    unit_scale{"Pi", 0, kib* kib* kib* kib* kib},
};
constexpr std::string_view size_unit_list = "B, KiB, MiB, GiB, TiB (or Ki, Mi, Gi, Ti), kB, MB, GB, TB";

std::string_view trim(std::string_view s) {
  const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

[[noreturn]] void fail(std::string_view field, std::string_view text, std::string_view what, std::string_view reason) {
  std::string msg;
  if (!field.empty()) {
    msg.append(field).append(": ");
  }
  msg.append("cannot read \"").append(text).append("\" as ").append(what).append(": ").append(reason);
  throw std::invalid_argument(msg);
}

/// Parses decimal text exactly once (no intermediate rounding).
bool read_double(std::string_view text, double& out) {
  const char* const end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, out, std::chars_format::general);
  return ec == std::errc{} && ptr == end;
}

/// Shifts the decimal exponent of `number` (digits, point and an optional
/// exponent, no sign) by `exp10` in the text, then parses.
bool read_scaled(std::string_view number, int exp10, double& out) {
  if (exp10 == 0) return read_double(number, out);
  std::string_view mantissa = number;
  long exponent = 0;
  if (const auto e = number.find_first_of("eE"); e != std::string_view::npos) {
    mantissa = number.substr(0, e);
    std::string_view exp_text = number.substr(e + 1);
    if (!exp_text.empty() && exp_text.front() == '+') exp_text.remove_prefix(1);
    const auto [ptr, ec] = std::from_chars(exp_text.data(), exp_text.data() + exp_text.size(), exponent);
    if (ec != std::errc{} || ptr != exp_text.data() + exp_text.size()) return false;
  }
  std::string shifted(mantissa);
  shifted.append("e").append(std::to_string(exponent + exp10));
  return read_double(shifted, out);
}

template <std::size_t N>
double parse_with_units(std::string_view text, std::string_view field, std::string_view what,
                        const std::array<unit_scale, N>& units, std::string_view unit_list) {
  std::string_view rest = trim(text);
  if (rest.empty()) fail(field, text, what, "expected a number with an optional unit");
  bool negative = false;
  if (rest.front() == '+' || rest.front() == '-') {
    negative = rest.front() == '-';
    rest.remove_prefix(1);
  }
  if (rest.empty() || rest.front() == '+' || rest.front() == '-') {
    fail(field, text, what, "expected a number with an optional unit");
  }
  double magnitude = 0.0;
  const char* const end = rest.data() + rest.size();
  const auto [ptr, ec] = std::from_chars(rest.data(), end, magnitude, std::chars_format::general);
  if (ptr == rest.data() || (ec != std::errc{} && ec != std::errc::result_out_of_range)) {
    fail(field, text, what, "expected a number with an optional unit");
  }
  if (ec == std::errc::result_out_of_range || !std::isfinite(magnitude)) {
    fail(field, text, what, "not a finite number");
  }
  const std::string_view number = rest.substr(0, static_cast<std::size_t>(ptr - rest.data()));
  const std::string_view suffix = trim(rest.substr(number.size()));
  for (const unit_scale& u : units) {
    if (u.suffix != suffix) continue;
    double value = 0.0;
    if (!read_scaled(number, u.exp10, value) || !std::isfinite(value * u.factor)) {
      fail(field, text, what, "not a finite number");
    }
    value *= u.factor;
    return negative ? -value : value;
  }
  std::string reason = "unknown unit \"";
  reason.append(suffix).append("\" (use ").append(unit_list).append(")");
  fail(field, text, what, reason);
}

std::string with_unit(double value, std::string_view unit) {
  std::array<char, 64> buf{};
  const auto [ptr, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), value, std::chars_format::general, 6);
  std::string out(buf.data(), ec == std::errc{} ? ptr : buf.data());
  out.append(" ").append(unit);
  return out;
}

}  // namespace

double parse_duration_s(std::string_view text, std::string_view field) {
  return parse_with_units(text, field, "a duration", duration_units, duration_unit_list);
}

double parse_size_bytes(std::string_view text, std::string_view field) {
  return parse_with_units(text, field, "a size", size_units, size_unit_list);
}

std::string format_duration(double seconds) {
  const double a = std::fabs(seconds);
  if (!std::isfinite(seconds) || a == 0.0) return with_unit(seconds == 0.0 ? 0.0 : seconds, "s");
  if (a < 1e-6) return with_unit(seconds * 1e9, "ns");
  if (a < 1e-3) return with_unit(seconds * 1e6, "us");
  if (a < 1.0) return with_unit(seconds * 1e3, "ms");
  if (a >= 3600.0 && std::fmod(a, 3600.0) == 0.0) return with_unit(seconds / 3600.0, "h");
  if (a >= 60.0 && std::fmod(a, 60.0) == 0.0) return with_unit(seconds / 60.0, "min");
  return with_unit(seconds, "s");
}

std::string format_size(double bytes) {
  const double a = std::fabs(bytes);
  if (!std::isfinite(bytes) || a < kib) return with_unit(bytes == 0.0 ? 0.0 : bytes, "B");
  constexpr std::array<std::string_view, 5> names{"KiB", "MiB", "GiB", "TiB", "PiB"};
  double scale = kib;
  std::size_t i = 0;
  while (i + 1 < names.size() && a >= scale * kib) {
    scale *= kib;
    ++i;
  }
  return with_unit(bytes / scale, names[i]);
}

std::string format_number(double value) {
  std::array<char, 64> buf{};
  // Whole numbers as integers ("1000000", not "1e+06"): ranges and counts read better.
  const bool whole = std::isfinite(value) && std::trunc(value) == value && std::fabs(value) < 1e16;
  const auto [ptr, ec] = whole ? std::to_chars(buf.data(), buf.data() + buf.size(), value, std::chars_format::fixed)
                               : std::to_chars(buf.data(), buf.data() + buf.size(), value);
  return {buf.data(), ec == std::errc{} ? ptr : buf.data()};
}

}  // namespace gwsim::gateway
