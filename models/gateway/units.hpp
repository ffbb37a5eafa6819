#pragma once
/// Human units for scenario files: "250ms" and "4GiB" instead of 0.25 and
/// 4294967296. The model itself only ever sees seconds and bytes; these
/// functions exist so that people can write and read scenarios.

#include <string>
#include <string_view>

namespace gwsim::gateway {

/// Seconds from a duration such as "250ms", "5s", "1.5m", "2min", "1h",
/// "10us", "100ns" or a plain number (seconds). Whitespace between number and
/// unit is allowed; units are case-sensitive so that "m" (minute) and "ms"
/// cannot be confused. The result is the correctly rounded double of the
/// decimal written ("0.3ms" is exactly the double nearest 0.0003), so a
/// formatted value reads back unchanged. Negative values parse (validate()
/// rejects them where they make no sense); NaN and infinity do not.
/// Throws std::invalid_argument naming `field` and `text`.
double parse_duration_s(std::string_view text, std::string_view field);

/// Bytes from a size such as "4GiB", "512MiB", "64KiB" (binary, also the
/// Kubernetes forms "4Gi", "512Mi"), "1.5GB", "100kB" (decimal), "100B" or a
/// plain number (bytes). Bare "K", "M", "G" are rejected because tools
/// disagree on whether they are binary (nginx, the JVM) or decimal
/// (Kubernetes). Throws std::invalid_argument naming `field` and `text`.
double parse_size_bytes(std::string_view text, std::string_view field);

/// "250 ms", "5 s", "1.5 min", "2 h", "10 us": six significant digits in the
/// largest unit that keeps the number >= 1 (minutes and hours only for whole
/// multiples of them, so 100 s stays "100 s"). parse_duration_s() reads it.
std::string format_duration(double seconds);

/// "4 GiB", "512 MiB", "16 KiB", "100 B": binary units, six significant
/// digits. parse_size_bytes() reads it.
std::string format_size(double bytes);

/// Shortest text that reads back as exactly `value` ("0.004", "1e-09"); whole
/// numbers below 1e16 without exponent ("200", "1000000").
std::string format_number(double value);

}  // namespace gwsim::gateway
