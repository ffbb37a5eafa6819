// Scenario <-> TOML / JSON / overrides: the field table covers every member,
// every format round-trips exactly, every field can be overridden, input
// errors name the field (and the file position), and scenarios/README.md
// documents every field with the table's current defaults.

#include "models/gateway/scenario_io.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "models/gateway/units.hpp"

namespace gwsim::gateway {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

// ---------------------------------------------------------------------------
// Helpers

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(no error)";
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

/// Leaves of a JSON document by dotted path; array elements as [i] (or as []
/// with `generic`, the spelling the README uses).
void flatten(const json& j, const std::string& prefix, bool generic, std::map<std::string, json>& out) {
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it) {
      flatten(it.value(), prefix.empty() ? it.key() : prefix + "." + it.key(), generic, out);
    }
  } else if (j.is_array() && !j.empty()) {
    for (std::size_t i = 0; i < j.size(); ++i) {
      flatten(j[i], prefix + "[" + (generic ? std::string{} : std::to_string(i)) + "]", generic, out);
    }
  } else {
    out[prefix] = j;
  }
}

std::map<std::string, json> leaves(const scenario& s) {
  std::map<std::string, json> out;
  flatten(scenario_to_json(s), "", false, out);
  return out;
}

/// Equality of scenarios through their JSON form: exact for doubles, and
/// complete because MemberCounts proves that the table covers every member
/// and EveryMemberUnderItsOwnName that each key reads its own member.
void expect_same(const scenario& a, const scenario& b) {
  const json ja = scenario_to_json(a);
  const json jb = scenario_to_json(b);
  EXPECT_EQ(ja, jb) << ja.dump(1) << "\n---\n" << jb.dump(1);
}

fs::path source_root() {
#ifdef GWSIM_SOURCE_DIR
  return fs::path(GWSIM_SOURCE_DIR);
#else
  return fs::path(__FILE__).parent_path().parent_path().parent_path().parent_path();
#endif
}

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// ---------------------------------------------------------------------------
// The table covers every member

/// Converts to anything; counting how many of them an aggregate accepts
/// counts its members (each member, nested structs included, takes one).
struct any_member {
  template <class T>
  operator T() const;  // NOLINT: implicit on purpose; never defined
};

template <class T, class... A>
constexpr std::size_t member_count() {
  if constexpr (requires { T{A{}..., any_member{}}; }) {
    return member_count<T, A..., any_member>();
  } else {
    return sizeof...(A);
  }
}

std::size_t fields_in(std::string_view section) {
  const auto& t = scenario_fields();
  return static_cast<std::size_t>(
      std::count_if(t.begin(), t.end(), [&](const auto& f) { return f.section == section; }));
}

TEST(FieldTable, MemberCounts) {
  // A member added to a config struct without a table entry fails here.
  EXPECT_EQ(member_count<scenario>(), fields_in("") + scenario_sections().size() - 1);
  EXPECT_EQ(member_count<cluster_config>(), fields_in("cluster"));
  EXPECT_EQ(member_count<database_config>(), fields_in("database"));
  EXPECT_EQ(member_count<routes_config>(), fields_in("routes"));
  EXPECT_EQ(member_count<traffic_config>(), fields_in("traffic"));
  EXPECT_EQ(member_count<kong_config>(), fields_in("kong"));
  EXPECT_EQ(member_count<memory_config>(), fields_in("memory"));
  EXPECT_EQ(member_count<cost_config>(), fields_in("cost"));
  EXPECT_EQ(member_count<admin_config>(), fields_in("admin"));
  EXPECT_EQ(member_count<run_config>(), fields_in("run"));
  EXPECT_EQ(member_count<admin_op>(), admin_op_fields().size());
  EXPECT_EQ(member_count<admin_loop>(), admin_loop_fields().size());
  std::size_t total = 0;
  for (const auto& sec : scenario_sections()) total += fields_in(sec.name);
  EXPECT_EQ(total, scenario_fields().size());
}

TEST(FieldTable, NamesAreUniqueAndFollowTheUnitConvention) {
  std::map<std::string, int> seen;
  for (const auto& f : scenario_fields()) {
    EXPECT_EQ(++seen[f.dotted()], 1) << f.dotted();
    EXPECT_FALSE(f.doc.empty()) << f.dotted();
    EXPECT_EQ(find_field(f.dotted()), &f);
    const std::string key(f.key);
    // Durations end in _s and sizes have _bytes in their name; zipf_s is the Zipf exponent.
    if (f.kind == field_kind::duration) {
      EXPECT_TRUE(key.ends_with("_s")) << key;
    }
    if (f.kind == field_kind::size) {
      EXPECT_TRUE(contains(key, "_bytes")) << key;
    }
    if (contains(key, "_bytes")) {
      EXPECT_EQ(f.kind, field_kind::size) << key;
    }
    if (key.ends_with("_s") && !key.ends_with("_per_s") && key != "zipf_s") {
      EXPECT_EQ(f.kind, field_kind::duration) << key;
    }
  }
  EXPECT_EQ(find_field("traffic.rate"), nullptr);
}

/// A valid scenario whose every member differs from its default, assigned
/// member by member; MEMBER records the expected JSON under the member's own
/// spelling, which is the dotted field name.
struct distinct {
  scenario s;
  std::map<std::string, json> want;
};

distinct distinct_scenario() {
  distinct d;
  scenario& s = d.s;
#define MEMBER(path, value) \
  s.path = value;           \
  d.want[#path] = value
#define ENUM_MEMBER(path, value, name) \
  s.path = value;                      \
  d.want[#path] = name
  MEMBER(name, std::string("incident \"2.2\" \\ 50k routes"));
  MEMBER(strategy, std::string("incremental"));
  MEMBER(cluster.nodes, 3);
  MEMBER(cluster.workers_per_node, 8);
  MEMBER(cluster.pod_memory_limit_bytes, 8.0 * (1 << 30));
  MEMBER(cluster.master_memory_bytes, 70e6);
  MEMBER(cluster.mem_cache_dicts, 4);
  MEMBER(cluster.mem_cache_size_bytes, 100.5e6);
  MEMBER(cluster.fixed_zones_bytes, 17.0 * (1 << 20));
  MEMBER(cluster.respawn_delay_s, 0.75);
  MEMBER(cluster.cpu_cores, 1.5);
  MEMBER(cluster.build_contention, 0.25);
  ENUM_MEMBER(cluster.respawn, respawn_policy::build_before_serving, "build_before_serving");
  ENUM_MEMBER(cluster.start_heap, initial_heap::just_built, "just_built");
  MEMBER(cost.read_ns_per_route, 1234.5);
  MEMBER(database.connections, 16);
  MEMBER(database.page_size, 500);
  MEMBER(database.page_latency_s, 0.0031);
  MEMBER(database.page_cpu_s, 0.0017);
  MEMBER(database.poll_query_s, 0.0003);
  MEMBER(routes.routes, 12345);
  MEMBER(routes.services, 2345);
  MEMBER(routes.paths_per_route, 1.7);
  MEMBER(routes.regex_paths, 321);
  MEMBER(traffic.rate_per_s, 321.5);
  ENUM_MEMBER(traffic.mode, arrival_mode::on_off, "on_off");
  MEMBER(traffic.on_s, 11.5);
  MEMBER(traffic.off_s, 12.5);
  MEMBER(traffic.off_rate_per_s, 3.25);
  MEMBER(traffic.zipf_s, 0.9);
  MEMBER(traffic.unique_key_fraction, 0.4);
  MEMBER(traffic.no_route_fraction, 0.07);
  MEMBER(traffic.client_timeout_s, 9.5);
  MEMBER(traffic.upstream_latency_s, 0.0125);
  MEMBER(traffic.upstream_on_workers, true);
  MEMBER(traffic.upstream_cpu_s, 0.000031);
  MEMBER(traffic.plugin_cpu_s, 0.00021);
  MEMBER(traffic.match_hit_cpu_s, 0.0000021);
  MEMBER(traffic.match_miss_cpu_s, 0.000051);
  MEMBER(traffic.match_no_route_cpu_s, 0.00052);
  MEMBER(traffic.regex_compile_cpu_s, 0.000071);
  MEMBER(traffic.regex_compile_ns_per_native_mib, 55.5);
  MEMBER(traffic.request_garbage_bytes, 17000.0);
  ENUM_MEMBER(traffic.balance, balancing::connections, "connections");
  MEMBER(traffic.client_connections, 12);
  ENUM_MEMBER(kong.worker_consistency, consistency::eventual, "eventual");
  MEMBER(kong.worker_state_update_frequency_s, 1.5);
  MEMBER(kong.db_update_frequency_s, 2.5);
  MEMBER(kong.worker_event_delay_s, 0.3);
  MEMBER(kong.build_yield_every, 1000);
  MEMBER(kong.yield_delay_s, 0.001);
  MEMBER(kong.rebuild_timeout_s, 4.5);
  MEMBER(kong.regex_cache_entries, 2048);
  MEMBER(memory.gc_pause, 150.0);
  MEMBER(memory.gc_stepmul, 300.0);
  MEMBER(memory.gc_mark_ns_per_byte, 0.55);
  MEMBER(memory.gc_sweep_ns_per_byte, 0.15);
  MEMBER(memory.gc_free_ns_per_byte, 0.75);
  MEMBER(memory.gc_mean_object_bytes, 96.0);
  MEMBER(memory.baseline_heap_bytes, 61.0 * (1 << 20));
  MEMBER(memory.router_bytes_per_route, 6100.0);
  MEMBER(memory.build_garbage_per_route_bytes, 4100.0);
  MEMBER(memory.build_held_per_route_bytes, 1700.0);
  MEMBER(memory.entity_cache_bytes_per_route, 2100.0);
  MEMBER(memory.lru_slots, 100'000);
  MEMBER(memory.lru_slot_bytes, 33.0);
  MEMBER(memory.lru_value_bytes, 1000.0);
  MEMBER(memory.non_heap_bytes, 41e6);
  MEMBER(memory.release_delay_s, 2.5);
  MEMBER(memory.first_touch_ns_per_byte, 1.25);
  MEMBER(memory.regex_object_bytes, 80.0);
  MEMBER(memory.regex_native_bytes, 1500.0);
  MEMBER(cost.build_ns_per_path, 21'000.0);
  MEMBER(cost.build_ns_per_path_log, 510.0);
  MEMBER(cost.prefix_sort_ns_per_path_log, 120.0);
  MEMBER(cost.incremental_ns_per_change, 51'000.0);
  MEMBER(cost.calibration, std::string("measured.toml"));
  MEMBER(design.shards, 7);
  MEMBER(design.debounce_s, 0.125);
  MEMBER(design.debounce_max_s, 9.5);
  MEMBER(design.min_interval_s, 1.25);
  MEMBER(design.long_connection_s, 33.0);
  MEMBER(design.long_streams_per_worker, 2.5);
  MEMBER(design.worker_shutdown_timeout_s, 44.0);
  MEMBER(admin.poisson_rate_per_s, 0.2);
  MEMBER(run.duration_s, 600.0);
  MEMBER(run.seed, std::uint64_t{18'446'744'073'709'551'557u});
  MEMBER(run.sample_interval_s, 0.5);
#undef MEMBER
#undef ENUM_MEMBER
  s.admin.script = {
      {30.0, admin_kind::create_route, 1}, {30.0, admin_kind::delete_service, 3}, {90.25, admin_kind::update_route, 2}};
  s.admin.loops = {{60.0, 120.0, 0.5}, {0.0, 0.0, 2.0}};
  const std::vector<std::string> kinds{"create_route", "delete_service", "update_route"};
  for (std::size_t i = 0; i < s.admin.script.size(); ++i) {
    const std::string p = "admin.script[" + std::to_string(i) + "].";
    d.want[p + "at_s"] = s.admin.script[i].at_s;
    d.want[p + "kind"] = kinds[i];
    d.want[p + "count"] = s.admin.script[i].count;
  }
  for (std::size_t i = 0; i < s.admin.loops.size(); ++i) {
    const std::string p = "admin.loops[" + std::to_string(i) + "].";
    d.want[p + "start_s"] = s.admin.loops[i].start_s;
    d.want[p + "stop_s"] = s.admin.loops[i].stop_s;
    d.want[p + "interval_s"] = s.admin.loops[i].interval_s;
  }
  return d;
}

TEST(ScenarioJson, EveryMemberUnderItsOwnName) {
  const distinct d = distinct_scenario();
  validate(d.s);
  EXPECT_EQ(leaves(d.s), d.want);
  // ...and none of those values is a default (else a swapped pair could hide).
  const auto defaults = leaves(scenario{});
  for (const auto& [path, value] : defaults) {
    if (d.want.count(path) != 0) {
      EXPECT_NE(value, d.want.at(path)) << path;
    }
  }
}

TEST(ScenarioJson, EnumsAsNamesSizesAndTimesAsPlainNumbers) {
  const json j = scenario_to_json(scenario{});
  EXPECT_EQ(j["kong"]["worker_consistency"], "strict");
  EXPECT_EQ(j["cluster"]["respawn"], "serve_errors_until_built");
  EXPECT_EQ(j["cluster"]["pod_memory_limit_bytes"], 4294967296.0);
  EXPECT_EQ(j["database"]["page_latency_s"], 0.004);
  EXPECT_TRUE(j["run"]["seed"].is_number_unsigned());
  EXPECT_TRUE(j["cluster"]["nodes"].is_number_integer());
  EXPECT_TRUE(j["admin"]["script"].is_array());
  EXPECT_EQ(j["name"], "unnamed");
}

// ---------------------------------------------------------------------------
// Round trips

TEST(RoundTrip, JsonAndTomlOfADistinctScenario) {
  const scenario s = distinct_scenario().s;
  expect_same(scenario_from_json(scenario_to_json(s)), s);
  expect_same(scenario_from_json(json::parse(scenario_to_json(s).dump())), s);
  expect_same(scenario_from_toml(scenario_to_toml(s)), s);
  expect_same(scenario_from_toml(scenario_to_toml(scenario{})), scenario{});
  expect_same(scenario_from_json(scenario_to_json(scenario{})), scenario{});
}

TEST(RoundTrip, TomlToScenarioToJsonToScenario) {
  const std::string text = R"(
name = "bursts"
strategy = "full_rebuild"

[cluster]
nodes = 2
pod_memory_limit_bytes = "6GiB"
respawn_delay_s = "500ms"

[traffic]
mode = "on_off"
rate_per_s = 1e3
on_s = "1.5m"

[routes]
routes = 50_000

[[admin.script]]
at = "2min"
kind = "delete_route"

[[admin.script]]
at_s = 30
kind = "create_route"
count = 5

[[admin.loops]]
start = "1min"
interval = "250ms"
)";
  const scenario s = scenario_from_toml(text, "bursts.toml");
  EXPECT_EQ(s.cluster.pod_memory_limit_bytes, 6.0 * (1 << 30));
  EXPECT_EQ(s.cluster.respawn_delay_s, 0.5);
  EXPECT_EQ(s.traffic.mode, arrival_mode::on_off);
  EXPECT_EQ(s.traffic.rate_per_s, 1000.0);
  EXPECT_EQ(s.traffic.on_s, 90.0);
  EXPECT_EQ(s.routes.routes, 50'000);
  EXPECT_EQ(s.cluster.workers_per_node, 4);  // missing keys keep defaults
  ASSERT_EQ(s.admin.script.size(), 2u);      // sorted by time
  EXPECT_EQ(s.admin.script[0].at_s, 30.0);
  EXPECT_EQ(s.admin.script[0].count, 5);
  EXPECT_EQ(s.admin.script[1].at_s, 120.0);
  EXPECT_EQ(s.admin.script[1].kind, admin_kind::delete_route);
  ASSERT_EQ(s.admin.loops.size(), 1u);
  EXPECT_EQ(s.admin.loops[0].start_s, 60.0);
  EXPECT_EQ(s.admin.loops[0].interval_s, 0.25);

  const scenario again = scenario_from_json(scenario_to_json(s));
  expect_same(again, s);
  expect_same(scenario_from_toml(scenario_to_toml(again)), s);
}

TEST(RoundTrip, TomlWritesHumanUnitsOnlyWhereExact) {
  scenario s;
  s.database.page_cpu_s = 0.1 + 0.2;  // no short exact form: written as a number
  const std::string t = scenario_to_toml(s);
  EXPECT_TRUE(contains(t, "pod_memory_limit_bytes = \"4 GiB\"\n")) << t;
  EXPECT_TRUE(contains(t, "page_latency_s = \"4 ms\"\n")) << t;
  EXPECT_TRUE(contains(t, "duration_s = \"5 min\"\n")) << t;
  EXPECT_TRUE(contains(t, "page_cpu_s = 0.30000000000000004\n")) << t;
  EXPECT_TRUE(contains(t, "respawn_delay_s = 1.0\n")) << t;
  EXPECT_TRUE(contains(t, "lru_slot_bytes = 32.0\n")) << t;
  EXPECT_TRUE(contains(t, "[admin]\nscript = []\n")) << t;
  EXPECT_TRUE(contains(t, "worker_consistency = \"strict\"\n")) << t;
}

TEST(RoundTrip, ExtremeSeedsAndStrings) {
  scenario s;
  for (const std::uint64_t seed : {std::uint64_t{0}, std::uint64_t{9'223'372'036'854'775'807u},
                                   std::uint64_t{9'223'372'036'854'775'808u}, UINT64_MAX}) {
    s.run.seed = seed;
    s.name = "space here \"quoted\" back\\slash \u00e9\u4e2d";
    expect_same(scenario_from_toml(scenario_to_toml(s)), s);
    expect_same(scenario_from_json(scenario_to_json(s)), s);
  }
}

/// A value within `r`: bounds, whole numbers and arbitrary doubles.
double draw_in(const numeric_range& r) {
  const double frac = static_cast<double>(*rc::gen::arbitrary<std::uint32_t>()) / 4294967296.0;
  const int shape = *rc::gen::inRange(0, 4);
  const double lo = std::isfinite(r.min) ? r.min : -1e6;
  if (!std::isfinite(r.max)) {
    const double step = std::ldexp(1.0 + frac, *rc::gen::inRange(-30, 30));
    if (shape == 0 && !r.min_open) return lo;
    if (shape == 1) return lo + std::round(step) + 1;
    return lo + step;
  }
  const double span = r.max - lo;
  if (shape == 0 && !r.min_open) return lo;
  if (shape == 1 && !r.max_open) return r.max;
  const double v = lo + span * frac;
  return v > lo || !r.min_open ? v : (lo + r.max) / 2;
}

template <class Owner>
void randomise(Owner& o, const std::vector<field<Owner>>& fields) {
  for (const auto& f : fields) {
    switch (f.kind) {
      case field_kind::integer:
        f.set(o, static_cast<std::int64_t>(
                     *rc::gen::inRange(static_cast<int>(f.range.min), static_cast<int>(f.range.max) + 1)));
        break;
      case field_kind::seed:
        f.set(o, *rc::gen::arbitrary<std::uint64_t>());
        break;
      case field_kind::real:
      case field_kind::duration:
      case field_kind::size:
        f.set(o, draw_in(f.range));
        break;
      case field_kind::choice:
      case field_kind::text:
        if (!f.choices.empty()) {
          f.set(o, *rc::gen::elementOf(f.choices));
        } else {
          const std::string text = *rc::gen::nonEmpty(rc::gen::container<std::string>(
              rc::gen::oneOf(rc::gen::inRange(' ', '~'), rc::gen::element('"', '\\', '#', '='))));
          f.set(o, text);
        }
        break;
      case field_kind::boolean:
        f.set(o, *rc::gen::arbitrary<bool>());
        break;
      case field_kind::table_array:
        break;
    }
  }
}

scenario random_valid_scenario() {
  scenario s;
  randomise(s, scenario_fields());
  // The cross-field rules.
  const double d = s.run.duration_s;
  s.run.sample_interval_s = d * (*rc::gen::inRange(1, 1000)) / 1000.0;
  const auto& c = s.cluster;
  s.cluster.pod_memory_limit_bytes =
      c.master_memory_bytes + c.mem_cache_dicts * c.mem_cache_size_bytes + c.fixed_zones_bytes + 1e9;
  s.memory.build_held_per_route_bytes =
      s.memory.build_garbage_per_route_bytes * (*rc::gen::inRange(0, 1001)) / 1000.0;
  s.routes.regex_paths = static_cast<int>(std::floor(std::min(1e7, s.routes.routes * s.routes.paths_per_route) *
                                                     (*rc::gen::inRange(0, 1001)) / 1000.0));
  const auto ops = *rc::gen::inRange(0, 4);
  for (int i = 0; i < ops; ++i) {
    admin_op op;
    randomise(op, admin_op_fields());
    op.at_s = d * (*rc::gen::inRange(0, 1001)) / 1000.0;
    s.admin.script.push_back(op);
  }
  std::stable_sort(s.admin.script.begin(), s.admin.script.end(),
                   [](const admin_op& a, const admin_op& b) { return a.at_s < b.at_s; });
  const auto loops = *rc::gen::inRange(0, 3);
  for (int i = 0; i < loops; ++i) {
    admin_loop loop;
    randomise(loop, admin_loop_fields());
    loop.start_s = d * (*rc::gen::inRange(0, 500)) / 1000.0;
    loop.stop_s = *rc::gen::arbitrary<bool>() ? 0.0 : d;
    s.admin.loops.push_back(loop);
  }
  return s;
}

RC_GTEST_PROP(RoundTrip, RandomScenariosSurviveEveryFormatExactly, ()) {
  const scenario s = random_valid_scenario();
  validate(s);
  const json j = scenario_to_json(s);
  RC_ASSERT(scenario_to_json(scenario_from_json(j)) == j);
  RC_ASSERT(scenario_to_json(scenario_from_json(json::parse(j.dump()))) == j);
  RC_ASSERT(scenario_to_json(scenario_from_toml(scenario_to_toml(s))) == j);
}

/// Applies scenario_to_toml(s) line by line as overrides ("section.key=value",
/// whole arrays included) to a default scenario.
scenario rebuild_from_overrides(const scenario& s) {
  scenario out;
  std::istringstream lines(scenario_to_toml(s));
  std::string line;
  std::string section;
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    if (line.front() == '[') {
      section = line.substr(1, line.size() - 2);
      continue;
    }
    const auto eq = line.find(" = ");
    std::string key = line.substr(0, eq);
    std::string value = line.substr(eq + 3);
    if (value == "[") {  // a multi-line array, up to its closing bracket
      while (std::getline(lines, line) && line != "]") value += "\n" + line;
      value += "\n]";
    }
    apply_override(out, (section.empty() ? key : section + "." + key) + "=" + value);
  }
  return out;
}

RC_GTEST_PROP(Override, EveryFieldTakesTheTextTomlWritesForIt, ()) {
  const scenario s = random_valid_scenario();
  RC_ASSERT(scenario_to_json(rebuild_from_overrides(s)) == scenario_to_json(s));
}

// ---------------------------------------------------------------------------
// Overrides

/// For each field, text for a value different from the default, in the form
/// a command line would use, and the value expected.
TEST(Override, EveryScalarFieldWithBareText) {
  const scenario defaults;
  for (const auto& f : scenario_fields()) {
    std::string text;
    field_value want;
    switch (f.kind) {
      case field_kind::integer: {
        const auto v = static_cast<std::int64_t>(std::isfinite(f.range.max) ? f.range.max : f.range.min + 7);
        text = std::to_string(v);
        want = v;
        break;
      }
      case field_kind::seed:
        text = "18446744073709551615";
        want = UINT64_MAX;
        break;
      case field_kind::real:
        text = "1.25e2";
        want = 125.0;
        if (f.range.max < 125.0) {
          text = "1.5";
          want = 1.5;
        }
        break;
      case field_kind::duration:
        text = "250ms";
        want = 0.25;
        break;
      case field_kind::size:
        text = "3 MiB";
        want = 3.0 * (1 << 20);
        break;
      case field_kind::choice:
      case field_kind::text: {
        const std::string current = std::get<std::string>(f.get(defaults));
        text = "my run";
        for (const std::string& c : f.choices) {
          if (c != current) text = c;
        }
        want = text;
        break;
      }
      case field_kind::boolean:
        text = std::get<bool>(f.get(defaults)) ? "false" : "true";
        want = text == "true";
        break;
      case field_kind::table_array:
        continue;
    }
    scenario s;
    ASSERT_NE(f.get(s), want) << f.dotted();
    apply_override(s, f.dotted() + "=" + text);
    EXPECT_EQ(f.get(s), want) << f.dotted() << " = " << text;
    scenario spaced;
    apply_override(spaced, "  " + f.dotted() + " =  " + text + " ");
    EXPECT_EQ(f.get(spaced), want) << f.dotted();
  }
}

TEST(Override, ValueSyntax) {
  scenario s;
  apply_override(s, "traffic.rate_per_s=1_000");
  EXPECT_EQ(s.traffic.rate_per_s, 1000.0);
  apply_override(s, "routes.routes=1e5");  // a whole float is an integer
  EXPECT_EQ(s.routes.routes, 100'000);
  apply_override(s, "run.duration_s=\"5 min\"");
  EXPECT_EQ(s.run.duration_s, 300.0);
  apply_override(s, "run.duration_s=5min");
  EXPECT_EQ(s.run.duration_s, 300.0);
  apply_override(s, "run.duration_s=90");
  EXPECT_EQ(s.run.duration_s, 90.0);
  apply_override(s, "name=\"a = b\"");
  EXPECT_EQ(s.name, "a = b");
  apply_override(s, "name=a = b");  // the first '=' splits
  EXPECT_EQ(s.name, "a = b");
  apply_override(s, "name=2024");  // a number is text for a text field
  EXPECT_EQ(s.name, "2024");
  apply_override(s, "kong.worker_consistency=\"eventual\"");
  EXPECT_EQ(s.kong.worker_consistency, consistency::eventual);
  apply_override(s, "cluster.pod_memory_limit_bytes=8589934592");
  EXPECT_EQ(s.cluster.pod_memory_limit_bytes, 8.0 * (1 << 30));
  validate(s);
}

TEST(Override, ArraysWholeAndByElement) {
  scenario s;
  apply_override(s, R"(admin.script=[{at = "2min", kind = "noop"}, {at_s = 30, kind = "create_route", count = 2}])");
  ASSERT_EQ(s.admin.script.size(), 2u);
  EXPECT_EQ(s.admin.script[0].at_s, 30.0);  // sorted
  EXPECT_EQ(s.admin.script[0].count, 2);
  EXPECT_EQ(s.admin.script[1].at_s, 120.0);

  apply_override(s, "admin.script[1].count=4");
  EXPECT_EQ(s.admin.script[1].count, 4);
  apply_override(s, "admin.script[2].at=200s");  // index == size appends
  apply_override(s, "admin.script[2].kind=delete_service");
  ASSERT_EQ(s.admin.script.size(), 3u);
  EXPECT_EQ(s.admin.script[2].at_s, 200.0);
  EXPECT_EQ(s.admin.script[2].kind, admin_kind::delete_service);
  apply_override(s, "admin.loops[0].interval_s=0.5");
  ASSERT_EQ(s.admin.loops.size(), 1u);
  EXPECT_EQ(s.admin.loops[0].interval_s, 0.5);
  validate(s);

  apply_override(s, "admin.script=[]");
  EXPECT_TRUE(s.admin.script.empty());

  EXPECT_TRUE(
      contains(error_of([&] { apply_override(s, "admin.loops[5].stop_s=1"); }), "admin.loops[5]: no such element"));
  EXPECT_TRUE(contains(error_of([&] { apply_override(s, "admin.loops[0].stpo_s=1"); }),
                       "unknown key admin.loops[0].stpo_s: did you mean admin.loops[0].stop_s?"));
  EXPECT_TRUE(contains(error_of([&] { apply_override(s, "admin.loops[x].stop_s=1"); }), "expected admin.script[N]"));
  EXPECT_TRUE(contains(error_of([&] { apply_override(s, "traffic[0].on_s=1"); }), "expected admin.script[N]"));
  EXPECT_TRUE(
      contains(error_of([&] { apply_override(s, "admin.script=5s"); }), "admin.script: expected an array of tables"));
}

TEST(Override, Errors) {
  scenario s;
  EXPECT_TRUE(contains(error_of([&] { apply_override(s, "traffic.rate_per_s"); }), "is not section.key=value"));
  EXPECT_TRUE(contains(error_of([&] { apply_override(s, "=5"); }), "is not section.key=value"));
  EXPECT_EQ(error_of([&] { apply_override(s, "traffic.rate=5"); }),
            "unknown key traffic.rate: did you mean traffic.rate_per_s?");
  EXPECT_EQ(error_of([&] { apply_override(s, "trafic.rate_per_s=5"); }),
            "unknown key trafic.rate_per_s: did you mean traffic.rate_per_s?");
  EXPECT_EQ(error_of([&] { apply_override(s, "nodes=5"); }), "unknown key nodes: did you mean cluster.nodes?");
  EXPECT_EQ(error_of([&] { apply_override(s, "traffic.rate_per_s=fast"); }),
            "traffic.rate_per_s: expected a number (per second), got string \"fast\"");
  EXPECT_EQ(error_of([&] { apply_override(s, "cluster.nodes=2.5"); }),
            "cluster.nodes: expected an integer (pods), got number 2.5");
  EXPECT_EQ(error_of([&] { apply_override(s, "cluster.nodes=99999999999"); }),
            "cluster.nodes = 99999999999 is invalid: must be an integer in [1, 1000] (pods)");
  EXPECT_EQ(error_of([&] { apply_override(s, "kong.worker_consistency=eventually"); }),
            "kong.worker_consistency = \"eventually\" is invalid: must be one of: strict, eventual; did you mean "
            "eventual?");
  EXPECT_TRUE(contains(error_of([&] { apply_override(s, "run.duration_s=5 lightyears"); }),
                       "run.duration_s: cannot read \"5 lightyears\" as a duration"));
  EXPECT_TRUE(contains(error_of([&] { apply_override(s, "run.seed=-1"); }),
                       "run.seed = -1 is invalid: must be an integer in [0, 18446744073709551615]"));
  EXPECT_TRUE(
      contains(error_of([&] { apply_override(s, "run.seed=abc"); }), "run.seed: expected a non-negative integer"));
  // Overrides do not validate; validate() after the last one does.
  apply_override(s, "traffic.rate_per_s=-1");
  EXPECT_THROW(validate(s), std::invalid_argument);
}

// ---------------------------------------------------------------------------
// Input errors

TEST(TomlInput, UnknownKeysAtEveryLevelWithSuggestions) {
  EXPECT_EQ(error_of([] { scenario_from_toml("[traffic]\nrate = 5\n", "x.toml"); }),
            "x.toml:2:1: unknown key traffic.rate: did you mean traffic.rate_per_s?");
  EXPECT_EQ(error_of([] { scenario_from_toml("[trafic]\nrate_per_s = 5\n", "x.toml"); }),
            "x.toml:1:2: unknown key trafic: did you mean traffic?");
  EXPECT_EQ(error_of([] { scenario_from_toml("nodes = 5\n", "x.toml"); }),
            "x.toml:1:1: unknown key nodes: did you mean cluster.nodes?");
  EXPECT_EQ(error_of([] { scenario_from_toml("[traffic]\nworkers_per_node = 5\n", "x.toml"); }),
            "x.toml:2:1: unknown key traffic.workers_per_node: did you mean cluster.workers_per_node?");
  EXPECT_EQ(error_of([] { scenario_from_toml("[run]\nduration = 5\n", "x.toml"); }),
            "x.toml:2:1: unknown key run.duration: did you mean run.duration_s?");
  EXPECT_EQ(error_of([] { scenario_from_toml("[memory]\ngc_stepmull = 5\n", "x.toml"); }),
            "x.toml:2:1: unknown key memory.gc_stepmull: did you mean memory.gc_stepmul?");
  EXPECT_EQ(error_of([] { scenario_from_toml("[[admin.script]]\nat = 1\nknd = \"noop\"\n", "x.toml"); }),
            "x.toml:3:1: unknown key admin.script[0].knd: did you mean admin.script[0].kind?");
  EXPECT_EQ(error_of([] { scenario_from_toml("[admin]\nscripts = []\n", "x.toml"); }),
            "x.toml:2:1: unknown key admin.scripts: did you mean admin.script?");

  // Nothing close: the table and its keys.
  const std::string e = error_of([] { scenario_from_toml("[cost]\nzzz = 1\n", "x.toml"); });
  EXPECT_EQ(e,
            "x.toml:2:1: unknown key cost.zzz in [cost] (known keys: read_ns_per_route, build_ns_per_path, "
            "build_ns_per_path_log, prefix_sort_ns_per_path_log, incremental_ns_per_change, calibration)");
  EXPECT_TRUE(contains(error_of([] { scenario_from_toml("qqqqqqqq = 1\n"); }),
                       "<string>:1:1: unknown key qqqqqqqq in the top level (known keys: name, strategy, cluster"));
  EXPECT_TRUE(contains(error_of([] { scenario_from_toml("[[admin.loops]]\nqqqqqq = 1\n"); }),
                       "unknown key admin.loops[0].qqqqqq in admin.loops[0] (known keys: start_s (or start), "
                       "stop_s (or stop), interval_s (or interval))"));
}

TEST(TomlInput, TypeErrorsNameFieldAndExpectedType) {
  const auto err = [](const std::string& text) { return error_of([&] { scenario_from_toml(text, "t.toml"); }); };
  EXPECT_EQ(err("[cluster]\nnodes = \"4\"\n"),
            "t.toml:2:9: cluster.nodes: expected an integer (pods), got string \"4\"");
  EXPECT_EQ(err("[cluster]\nnodes = 2.5\n"), "t.toml:2:9: cluster.nodes: expected an integer (pods), got number 2.5");
  EXPECT_EQ(err("[traffic]\nmode = 1\n"),
            "t.toml:2:8: traffic.mode: expected a string, one of: poisson, on_off, periodic, got integer 1");
  EXPECT_EQ(err("[traffic]\non_s = true\n"),
            "t.toml:2:8: traffic.on_s: expected a duration (a number of seconds or a string such as \"250ms\"), got "
            "boolean true");
  EXPECT_EQ(err("[cluster]\npod_memory_limit_bytes = [1]\n"),
            "t.toml:2:26: cluster.pod_memory_limit_bytes: expected a size (a number of bytes or a string such as "
            "\"4GiB\"), got an array");
  EXPECT_EQ(err("[run]\nduration_s = 1979-05-27\n"),
            "t.toml:2:14: run.duration_s: expected a duration (a number of seconds or a string such as \"250ms\"), "
            "got a date");
  EXPECT_EQ(err("name = 5\n"), "t.toml:1:8: name: expected a string, got integer 5");
  EXPECT_EQ(err("traffic = 5\n"), "t.toml:1:11: traffic: expected a table, got integer 5");
  EXPECT_EQ(err("[admin]\nscript = 5\n"), "t.toml:2:10: admin.script: expected an array of tables, got integer 5");
  EXPECT_EQ(err("[admin]\nscript = [5]\n"), "t.toml:2:11: admin.script[0]: expected a table, got integer 5");
  EXPECT_EQ(err("[[admin.script]]\nat = \"5 parsecs\"\n"),
            "t.toml:2:6: admin.script[0].at_s: cannot read \"5 parsecs\" as a duration: unknown unit \"parsecs\" "
            "(use ns, us, ms, s, m or min, h)");
  EXPECT_EQ(err("[[admin.script]]\nat = 1\nat_s = 2\n"),
            "t.toml:3:1: admin.script[0].at_s is given twice (as at and as at_s)");
  EXPECT_EQ(err("[[admin.script]]\nkind = \"create\"\n"),
            "t.toml:2:8: admin.script[0].kind = \"create\" is invalid: must be one of: create_route, delete_route, "
            "update_route, create_service, update_service, delete_service, noop; did you mean create_route?");
}

TEST(TomlInput, ParseErrorsNameFileLineAndColumn) {
  const std::string e = error_of([] { scenario_from_toml("[cluster]\nnodes = = 4\n", "bad.toml"); });
  EXPECT_TRUE(e.starts_with("bad.toml:2:")) << e;
  const std::string d = error_of([] { scenario_from_toml("[cluster]\nnodes = 1\nnodes = 2\n", "dup.toml"); });
  EXPECT_TRUE(d.starts_with("dup.toml:3:")) << d;
  EXPECT_TRUE(error_of([] { scenario_from_toml("[x\n"); }).starts_with("<string>:1:"))
      << error_of([] { scenario_from_toml("[x\n"); });
}

TEST(TomlInput, ValidationErrorsPointAtTheValue) {
  EXPECT_EQ(error_of([] { scenario_from_toml("[traffic]\nrate_per_s = -1\n", "v.toml"); }),
            "v.toml:2:14: traffic.rate_per_s = -1 is invalid: must be finite and >= 0 (per second)");
  // After sorting, positions still follow their elements.
  EXPECT_EQ(error_of([] {
              scenario_from_toml("[[admin.script]]\nat = 20\n[[admin.script]]\nat = 10\ncount = 0\n", "v.toml");
            }),
            "v.toml:5:9: admin.script[0].count = 0 is invalid: must be an integer in [1, 1000000] (operations)");
  // A rule about a field the file does not set has no position.
  EXPECT_EQ(error_of([] { scenario_from_toml("[run]\nduration_s = 0.5\n", "v.toml"); }),
            "run.sample_interval_s = 1 is invalid: must be <= run.duration_s = 0.5 (seconds)");
  EXPECT_TRUE(error_of([] {
                scenario_from_toml("strategy = \"magic\"\n", "v.toml");
              }).starts_with("v.toml:1:12: strategy = \"magic\" is invalid: must be one of: full_rebuild"));
}

TEST(JsonInput, SameRulesAsToml) {
  EXPECT_EQ(error_of([] { scenario_from_json(json::parse(R"({"traffic": {"rate": 5}})")); }),
            "unknown key traffic.rate: did you mean traffic.rate_per_s?");
  EXPECT_EQ(error_of([] { scenario_from_json(json::parse(R"({"cluster": {"nodes": null}})")); }),
            "cluster.nodes: expected an integer (pods), got null");
  EXPECT_EQ(error_of([] { scenario_from_json(json::parse(R"([1, 2])")); }),
            "a scenario must be a table of sections, got an array");
  EXPECT_EQ(error_of([] { scenario_from_json(json::parse(R"({"cluster": {"nodes": 0}})")); }),
            "cluster.nodes = 0 is invalid: must be an integer in [1, 1000] (pods)");
  const scenario s = scenario_from_json(json::parse(
      R"({"run": {"duration_s": "10min", "seed": 18446744073709551615},
          "cluster": {"nodes": 2.0, "pod_memory_limit_bytes": "2GiB"},
          "admin": {"script": [{"at": "1min", "kind": "noop"}]}})"));
  EXPECT_EQ(s.run.duration_s, 600.0);
  EXPECT_EQ(s.run.seed, UINT64_MAX);
  EXPECT_EQ(s.cluster.nodes, 2);
  EXPECT_EQ(s.cluster.pod_memory_limit_bytes, 2.0 * (1 << 30));
  ASSERT_EQ(s.admin.script.size(), 1u);
  EXPECT_EQ(s.admin.script[0].at_s, 60.0);
}

// ---------------------------------------------------------------------------
// Files

class ScenarioFiles : public ::testing::Test {
 protected:
  fs::path write(const std::string& name, const std::string& text) {
    const fs::path p = dir_ / name;
    std::ofstream(p, std::ios::binary) << text;
    return p;
  }
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("gwsim_scenario_io_test_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(ScenarioFiles, LoadsTomlAndJsonByExtension) {
  const scenario s = distinct_scenario().s;
  expect_same(load_scenario(write("a.toml", scenario_to_toml(s)).string()), s);
  expect_same(load_scenario(write("a.json", scenario_to_json(s).dump(2)).string()), s);
  expect_same(load_scenario(write("UPPER.JSON", scenario_to_json(s).dump()).string()), s);
}

TEST_F(ScenarioFiles, ErrorsNameTheFile) {
  const std::string toml_path = write("bad.toml", "[cluster]\nnodes = 0\n").string();
  EXPECT_EQ(error_of([&] { load_scenario(toml_path); }),
            toml_path + ":2:9: cluster.nodes = 0 is invalid: must be an integer in [1, 1000] (pods)");
  const std::string json_path = write("bad.json", "{\"cluster\": {\"nodes\": 0}}").string();
  EXPECT_EQ(error_of([&] { load_scenario(json_path); }),
            json_path + ": cluster.nodes = 0 is invalid: must be an integer in [1, 1000] (pods)");
  const std::string broken = write("broken.json", "{\n  \"cluster\": {\n    \"nodes\": 1,,\n  }\n}\n").string();
  const std::string e = error_of([&] { load_scenario(broken); });
  EXPECT_TRUE(e.starts_with(broken + ":3:")) << e;
  EXPECT_FALSE(contains(e, "json.exception")) << e;
  const std::string yaml = write("a.yaml", "x: 1").string();
  EXPECT_EQ(error_of([&] { load_scenario(yaml); }),
            yaml + ": unknown scenario file type \".yaml\": expected .toml or .json");
  EXPECT_THROW(load_scenario((dir_ / "missing.toml").string()), std::runtime_error);
}

// ---------------------------------------------------------------------------
// The field reference cannot fall behind

constexpr std::string_view begin_marker = "<!-- field-reference:begin -->\n";
constexpr std::string_view end_marker = "<!-- field-reference:end -->";

TEST(FieldReference, ReadmeNamesEveryField) {
  const std::string readme = read_text(source_root() / "scenarios" / "README.md");
  ASSERT_FALSE(readme.empty()) << "scenarios/README.md not found under " << source_root();
  scenario with_arrays;
  with_arrays.admin.script.emplace_back();
  with_arrays.admin.loops.emplace_back();
  for (const scenario& s : {scenario{}, with_arrays}) {
    std::map<std::string, json> names;
    flatten(scenario_to_json(s), "", true, names);
    for (const auto& [name, value] : names) {
      EXPECT_TRUE(contains(readme, "`" + name + "`")) << name << " is not documented in scenarios/README.md";
    }
  }
}

TEST(FieldReference, ReadmeEmbedsTheCurrentTable) {
  // Run with GWSIM_UPDATE_DOCS=1 to rewrite the block after changing the table.
  const fs::path path = source_root() / "scenarios" / "README.md";
  std::string readme = read_text(path);
  const auto begin = readme.find(begin_marker);
  const auto end = readme.find(end_marker);
  ASSERT_NE(begin, std::string::npos);
  ASSERT_NE(end, std::string::npos);
  const std::size_t from = begin + begin_marker.size();
  const std::string generated = field_reference_markdown() + "\n";
  if (readme.compare(from, end - from, generated) != 0 && std::getenv("GWSIM_UPDATE_DOCS") != nullptr) {
    readme.replace(from, end - from, generated);
    std::ofstream(path, std::ios::binary) << readme;
  }
  EXPECT_EQ(readme.substr(from, end - from), generated)
      << "scenarios/README.md is out of date; rerun this test with GWSIM_UPDATE_DOCS=1";
}

TEST(FieldReference, ReadmeExamplesLoad) {
  const std::string readme = read_text(source_root() / "scenarios" / "README.md");
  std::size_t examples = 0;
  for (auto at = readme.find("```toml\n"); at != std::string::npos; at = readme.find("```toml\n", at)) {
    at += 8;
    const auto stop = readme.find("```", at);
    ASSERT_NE(stop, std::string::npos);
    const std::string block = readme.substr(at, stop - at);
    EXPECT_NO_THROW(scenario_from_toml(block, "README example")) << block;
    ++examples;
  }
  EXPECT_GE(examples, 1u);
}

TEST(FieldReference, ScenarioFilesLoadAndAreListed) {
  const std::string readme = read_text(source_root() / "scenarios" / "README.md");
  for (const auto& entry : fs::directory_iterator(source_root() / "scenarios")) {
    const std::string ext = entry.path().extension().string();
    if (ext != ".toml" && ext != ".json") continue;
    EXPECT_NO_THROW(load_scenario(entry.path().string())) << entry.path();
    const std::string name = entry.path().filename().string();
    EXPECT_TRUE(contains(readme, "| `" + name + "` |")) << name << " is not listed in scenarios/README.md";
  }
}

}  // namespace
}  // namespace gwsim::gateway
