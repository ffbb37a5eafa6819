#include "sim/stats_checks.hpp"

#include <charconv>
#include <stdexcept>
#include <string>

namespace gwsim::sim::detail {

namespace {

/// std::to_chars gives the shortest text that round-trips, so the message
/// shows 0.7 rather than 0.69999999999999996, yet distinguishes 1 from
/// 1.0000000000000002 (a stream with fixed precision cannot do both).
template <typename T>
[[noreturn]] void throw_formatted(std::string_view what, T value, std::string_view allowed) {
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  std::string msg(what);
  msg += " = ";
  msg.append(buffer, result.ptr);
  msg += " is invalid: must be ";
  msg += allowed;
  throw std::invalid_argument(msg);
}

}  // namespace

std::string format_number(double value) {
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

void throw_invalid_argument(std::string_view what, double value, std::string_view allowed) {
  throw_formatted(what, value, allowed);
}

void throw_invalid_argument(std::string_view what, std::int64_t value, std::string_view allowed) {
  throw_formatted(what, value, allowed);
}

void throw_invalid_argument(std::string_view what, std::uint64_t value, std::string_view allowed) {
  throw_formatted(what, value, allowed);
}

}  // namespace gwsim::sim::detail
