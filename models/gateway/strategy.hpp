#pragma once
/// Rebuild strategies: how a worker brings a stale router up to date, and
/// what that costs in database pages, CPU and memory. A new router design is
/// one new file implementing `rebuild_strategy` plus one line in the
/// registry (strategy.cpp); the worker model does not change.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "models/gateway/config_store.hpp"
#include "models/gateway/cost_model.hpp"
#include "models/gateway/scenario.hpp"

namespace gwsim::gateway {

/// What happens to the router's match cache when a build completes.
enum class cache_policy {
  new_per_build,  ///< a fresh cache (slot array and values) per build; the old one is garbage (Kong < 2.8)
  flush,          ///< the same cache emptied: its values become garbage, the slot array stays
  reuse,          ///< kept as it is
};

/// The work of one build.
struct build_plan {
  int db_pages = 0;             ///< page queries to read the routes
  double page_routes = 0;       ///< routes per page, for the per-page CPU and memory
  double finish_cpu_s = 0;      ///< CPU after the last page (sort, categorise, index)
  bool replace_router = true;   ///< a new router replaces the old (released when done)
  double router_bytes = 0;      ///< live router bytes after the build
  double garbage_bytes = 0;     ///< transient garbage allocated over the build
  cache_policy cache = cache_policy::new_per_build;
};

/// A worker's view when it plans a build.
struct worker_router_state {
  bool built = false;             ///< has any router at all
  std::uint64_t version = 0;      ///< the version its router was built from
};

class rebuild_strategy {
 public:
  virtual ~rebuild_strategy() = default;
  virtual std::string_view name() const noexcept = 0;
  virtual build_plan plan(const worker_router_state& worker, const config_store& store, const scenario& s,
                          const cost_model& cost) const = 0;
};

/// Registered strategy names, in the order they are documented.
std::vector<std::string> strategy_names();
/// Throws std::invalid_argument naming the unknown strategy and the known ones.
std::unique_ptr<rebuild_strategy> make_strategy(std::string_view name);

/// Kong 2.x: every stale worker rebuilds the whole router from every route.
std::unique_ptr<rebuild_strategy> make_full_rebuild();
/// Only the changed routes are applied to the live router; the cache is
/// flushed, not reallocated (Kong 3.x-style).
std::unique_ptr<rebuild_strategy> make_incremental();

}  // namespace gwsim::gateway
