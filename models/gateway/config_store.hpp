#pragma once
/// The configuration database (Postgres behind Kong): the routes, services
/// and router version that admin writes change, and a queueing resource that
/// serves the queries of rebuilds and polls. Concurrent rebuilds from every
/// worker of every node contend for its connections, which is how "one write"
/// turns into a database CPU spike.

#include <cstdint>
#include <functional>
#include <vector>

#include "models/gateway/config_entities.hpp"
#include "models/gateway/scenario.hpp"
#include "sim/ring_buffer.hpp"
#include "sim/simulator.hpp"

namespace gwsim::gateway {

class config_store {
 public:
  /// `shards`: host shards the routes are grouped into (design.shards; only
  /// the sharded design reads them).
  config_store(sim::simulator& sim, const database_config& db, const routes_config& routes, int shards = 16);

  config_store(const config_store&) = delete;
  config_store& operator=(const config_store&) = delete;

  // ---- configuration -------------------------------------------------
  std::uint64_t version() const noexcept { return version_; }
  int routes() const noexcept { return entities_.routes(); }
  int services() const noexcept { return entities_.services(); }
  double paths() const noexcept { return routes() * paths_per_route_; }
  const config_entities& entities() const noexcept { return entities_; }
  /// Applies one admin write (random choices of which route or service it
  /// touches draw from `rng`) and bumps the router version.
  void apply(admin_kind kind, sim::rng& rng);
  /// When version `v` was written (0 for the initial configuration).
  sim::time_ns written_at(std::uint64_t v) const { return written_at_.at(v); }
  /// Routes changed between two versions (the incremental strategy's delta;
  /// a route changed by two writes counts twice, as it is applied twice).
  int changes_between(std::uint64_t from, std::uint64_t to) const;
  /// The host shards holding routes changed between two versions, and the
  /// routes those shards hold now (the sharded strategy's delta).
  struct shard_delta {
    int shards = 0;
    int routes = 0;
  };
  shard_delta shards_changed_between(std::uint64_t from, std::uint64_t to) const;

  // ---- queries ---------------------------------------------------------
  /// A query that holds a connection for `latency_s` and uses `cpu_s` of
  /// database CPU; `done` runs when it returns. Queries queue FIFO for a
  /// free connection.
  void query(double latency_s, double cpu_s, std::function<void()> done);
  int page_size() const noexcept { return page_size_; }
  double page_latency_s() const noexcept { return page_latency_s_; }
  double page_cpu_s() const noexcept { return page_cpu_s_; }
  double poll_query_s() const noexcept { return poll_query_s_; }
  /// Pages a full read of the routes takes.
  int pages() const noexcept { return routes() == 0 ? 1 : (routes() + page_size_ - 1) / page_size_; }

  std::uint64_t queries() const noexcept { return queries_; }
  /// Database CPU seconds used so far.
  double cpu_busy_s() const noexcept { return cpu_busy_s_; }
  /// Connection-seconds spent serving queries (utilisation numerator).
  double busy_s() const noexcept { return busy_s_; }
  /// Called when a query returns; public for the in-service record.
  void finish(std::function<void()> done);
  int connections() const noexcept { return connections_; }
  std::size_t waiting() const noexcept { return waiting_.size(); }

 private:
  struct pending {
    double latency_s;
    std::function<void()> done;
  };
  void start(pending p);

  sim::simulator& sim_;
  config_entities entities_;
  double paths_per_route_;
  std::uint64_t version_ = 0;
  std::vector<sim::time_ns> written_at_{0};
  std::vector<config_entities::change> changes_at_{config_entities::change{}};  ///< by each version

  int connections_;
  int page_size_;
  double page_latency_s_;
  double page_cpu_s_;
  double poll_query_s_;
  int busy_ = 0;
  sim::ring_buffer<pending> waiting_;
  std::uint64_t queries_ = 0;
  double cpu_busy_s_ = 0;
  double busy_s_ = 0;
};

}  // namespace gwsim::gateway
