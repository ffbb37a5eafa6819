#include "models/gateway/strategy.hpp"

#include <stdexcept>

namespace gwsim::gateway {
namespace {

struct entry {
  const char* name;
  std::unique_ptr<rebuild_strategy> (*make)();
};

/// The registry: one line per design.
constexpr entry registry[] = {
    {"full_rebuild", &make_full_rebuild},
    {"lazy", &make_lazy},
    {"incremental", &make_incremental},
    {"shared_rcu", &make_shared_rcu},
    {"double_buffer", &make_double_buffer},
    {"reload", &make_reload},
    {"sharded", &make_sharded},
};

}  // namespace

std::vector<std::string> strategy_names() {
  std::vector<std::string> out;
  for (const entry& e : registry) out.emplace_back(e.name);
  return out;
}

std::unique_ptr<rebuild_strategy> make_strategy(std::string_view name) {
  for (const entry& e : registry) {
    if (name == e.name) return e.make();
  }
  std::string known;
  for (const entry& e : registry) known += std::string(known.empty() ? "" : ", ") + e.name;
  throw std::invalid_argument("strategy = \"" + std::string(name) + "\" is invalid: must be one of " + known);
}

}  // namespace gwsim::gateway
