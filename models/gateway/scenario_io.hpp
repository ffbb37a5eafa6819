#pragma once
/// Scenario <-> TOML, JSON and "section.key=value" overrides.
///
/// Everything here is driven by one field table (scenario_fields()): each
/// entry names a field ("traffic.rate_per_s"), its kind, unit, allowed range,
/// documentation and how to read and write it. The TOML and JSON readers and
/// writers, the override parser, validate() and the field reference in
/// scenarios/README.md all walk that table, so a field cannot be parsed but
/// not written, or documented with a stale default. Adding a member to a
/// config struct means adding one line to the table (a test counts members).
///
/// Input rules, for every format: missing keys keep their defaults; unknown
/// keys at any level are errors that name the key and suggest the nearest
/// real one; durations (kind duration) accept "250ms"-style strings and sizes
/// (kind size) accept "4GiB"-style strings as well as plain numbers in
/// seconds and bytes; every load ends with validate().

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <nlohmann/json.hpp>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "models/gateway/scenario.hpp"
#include "models/gateway/strategy_names.hpp"

namespace gwsim::gateway {

// ---------------------------------------------------------------------------
// Errors

/// Every error about a scenario's content. A std::invalid_argument whose
/// what() is the whole message; field() is the dotted path it is about (empty
/// for file-level errors) so that loaders can add the file position.
class scenario_error : public std::invalid_argument {
 public:
  scenario_error(std::string field, const std::string& message)
      : std::invalid_argument(message), field_(std::move(field)) {}
  const std::string& field() const noexcept { return field_; }

 private:
  std::string field_;
};

// ---------------------------------------------------------------------------
// Enum names: the spelling in files, JSON and Python, indexed by value.

template <class Enum>
struct enum_traits;

template <>
struct enum_traits<consistency> {
  static constexpr std::array<std::string_view, 2> names{"strict", "eventual"};
};
template <>
struct enum_traits<respawn_policy> {
  static constexpr std::array<std::string_view, 2> names{"build_before_serving", "serve_errors_until_built"};
};
template <>
struct enum_traits<initial_heap> {
  static constexpr std::array<std::string_view, 2> names{"collected", "just_built"};
};
template <>
struct enum_traits<arrival_mode> {
  static constexpr std::array<std::string_view, 3> names{"poisson", "on_off", "periodic"};
};
template <>
struct enum_traits<balancing> {
  static constexpr std::array<std::string_view, 3> names{"random", "round_robin", "connections"};
};
template <>
struct enum_traits<admin_kind> {
  static constexpr std::array<std::string_view, 7> names{"create_route",   "delete_route",   "update_route",
                                                         "create_service", "update_service", "delete_service",
                                                         "noop"};
};

template <class Enum>
concept named_enum = requires {
  enum_traits<Enum>::names;
};

/// The name of `value`; "?" for a value outside the enumeration (which
/// validate() reports).
template <named_enum Enum>
constexpr std::string_view to_string(Enum value) {
  const auto i = static_cast<std::size_t>(value);
  return i < enum_traits<Enum>::names.size() ? enum_traits<Enum>::names[i] : std::string_view{"?"};
}

/// Index of `text` in `names`; throws scenario_error naming `field`, the
/// text, the accepted names and the closest one.
std::size_t choice_index(std::span<const std::string_view> names, std::string_view text, std::string_view field);

template <named_enum Enum>
Enum enum_from_string(std::string_view text, std::string_view field) {
  return static_cast<Enum>(choice_index(enum_traits<Enum>::names, text, field));
}

// ---------------------------------------------------------------------------
// The field table

/// How a field is read and written. Durations and sizes are stored as
/// seconds and bytes; the kind only widens what the readers accept.
enum class field_kind {
  integer,      ///< an int with a documented range
  seed,         ///< an unsigned 64-bit integer
  real,         ///< a finite double
  duration,     ///< seconds; also "250ms"
  size,         ///< bytes; also "4GiB"
  choice,       ///< an enum, written as its name
  text,         ///< a string
  boolean,      ///< true or false
  table_array,  ///< an array of tables with its own field table (admin.script, admin.loops)
};

/// One field's value in its canonical type: integer -> int64, seed -> uint64,
/// real/duration/size -> double, choice/text -> string, boolean -> bool.
using field_value = std::variant<bool, std::int64_t, std::uint64_t, double, std::string>;

/// An interval of allowed values; infinite ends are unbounded. Numbers must
/// also be finite.
struct numeric_range {
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
  bool min_open = false;  ///< (min, ...: min itself is not allowed
  bool max_open = false;
  bool contains(double v) const noexcept { return (min_open ? v > min : v >= min) && (max_open ? v < max : v <= max); }
};

struct field_info {
  std::string_view section;  ///< "traffic"; "" at the top level; "admin.script" for its elements
  std::string_view key;      ///< "rate_per_s"; always the C++ member's name
  field_kind kind = field_kind::real;
  std::string_view unit;  ///< "seconds", "bytes", "per second", "pods"... empty when dimensionless
  numeric_range range;    ///< numeric kinds only
  std::string_view doc;
  std::vector<std::string> choices;  ///< choice: the enum's names; text: the allowed values, if restricted
  std::string_view constraint;       ///< a cross-field rule validate() enforces, for the docs
  std::string_view alias;            ///< a second accepted key ("at" for "at_s"); never written
  bool may_be_empty = false;         ///< text: "" is a valid value (meaning "none")

  /// "traffic.rate_per_s", or "name" at the top level.
  std::string dotted() const;
};

template <class Owner>
struct field : field_info {
  std::function<field_value(const Owner&)> get;         ///< null for table_array
  std::function<void(Owner&, const field_value&)> set;  ///< value must be of the kind's type
};

/// Every field of a scenario in documentation order, including the two
/// table_array entries admin.script and admin.loops.
const std::vector<field<scenario>>& scenario_fields();
/// The keys of one admin.script element, section "admin.script".
const std::vector<field<admin_op>>& admin_op_fields();
/// The keys of one admin.loops element, section "admin.loops".
const std::vector<field<admin_loop>>& admin_loop_fields();
/// The field called `dotted` ("traffic.rate_per_s"), or nullptr.
const field<scenario>* find_field(std::string_view dotted);

struct section_info {
  std::string_view name;  ///< "" for the top level
  std::string_view doc;
};
/// The tables of a scenario file, in documentation order.
std::span<const section_info> scenario_sections();

/// What a field accepts, as validate() says it: "must be an integer in
/// [1, 1000] (pods)", "must be finite and >= 0 (per second)".
std::string requirement(const field_info& f);
/// `value` as an error message shows it: -1, 0.004, "strict".
std::string format_field_value(const field_info& f, const field_value& value);
/// `value` if it breaks the field's own rule (range, finiteness, choices),
/// as the message "traffic.rate_per_s = -1 is invalid: must be ...", else "".
std::string check_field(const field_info& f, const field_value& value, std::string_view path);

// ---------------------------------------------------------------------------
// Reading and writing

/// Parses a TOML scenario and validates it. Errors name `source_name`, the
/// line and column ("big.toml:12:3: unknown key traffic.rate: did you mean
/// traffic.rate_per_s?").
scenario scenario_from_toml(std::string_view text, std::string_view source_name = "<string>");

/// Loads a .toml or .json file (by extension) and validates it. Throws
/// std::runtime_error if the file cannot be read, std::invalid_argument
/// (scenario_error) for its content, prefixed by the path.
scenario load_scenario(const std::string& path);

/// Reads the form scenario_to_json() writes and validates it. Keys are the
/// same as in TOML; durations and sizes may be numbers or strings.
scenario scenario_from_json(const nlohmann::json& j);

/// Every field: enums as names, durations in seconds, sizes in bytes, the
/// seed as an unsigned integer. scenario_from_json() reads it back exactly.
nlohmann::json scenario_to_json(const scenario& s);

/// A complete TOML document, one table per section; durations and sizes are
/// written as "4 ms" / "4 GiB" where that reads back exactly, else as
/// numbers. scenario_from_toml() reads it back exactly.
std::string scenario_to_toml(const scenario& s);

/// Applies "section.key=value" (spaces around '=' allowed). The value is
/// TOML value syntax (5, 1.5e3, true, "text", [..]) or a bare word/number
/// ("5s", "eventual", "my run"). Works for every scalar field, for whole
/// arrays (admin.script=[{at="30s", kind="noop"}]) and for one element's key
/// (admin.script[0].count=5; index == size appends an element). Does not
/// validate, because a series of overrides may pass through invalid states;
/// call validate() after the last one. The script is kept sorted by time.
void apply_override(scenario& s, std::string_view assignment);

/// The field reference (Markdown tables per section) that
/// scenarios/README.md embeds between its "field-reference" markers.
std::string field_reference_markdown();

}  // namespace gwsim::gateway
