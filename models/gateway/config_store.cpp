#include "models/gateway/config_store.hpp"

#include <algorithm>
#include <utility>

namespace gwsim::gateway {

config_store::config_store(sim::simulator& sim, const database_config& db, const routes_config& routes, int shards)
    : sim_(sim),
      entities_(routes.routes, routes.services, shards),
      paths_per_route_(routes.paths_per_route),
      connections_(db.connections),
      page_size_(db.page_size),
      page_latency_s_(db.page_latency_s),
      page_cpu_s_(db.page_cpu_s),
      poll_query_s_(db.poll_query_s) {}

void config_store::apply(admin_kind kind, sim::rng& rng) {
  const config_entities::change changed = entities_.apply(kind, rng);
  // Every write bumps router:version, whether or not a route changed: the
  // workers of Kong 2.x cannot tell and rebuild all the same.
  ++version_;
  written_at_.push_back(sim_.now());
  changes_at_.push_back(changed);
}

int config_store::changes_between(std::uint64_t from, std::uint64_t to) const {
  int n = 0;
  for (std::uint64_t v = from + 1; v <= to && v < changes_at_.size(); ++v) n += changes_at_[v].routes;
  return n;
}

config_store::shard_delta config_store::shards_changed_between(std::uint64_t from, std::uint64_t to) const {
  std::vector<int> touched;
  for (std::uint64_t v = from + 1; v <= to && v < changes_at_.size(); ++v) {
    if (changes_at_[v].routes > 0) touched.push_back(changes_at_[v].shard);
  }
  std::sort(touched.begin(), touched.end());
  touched.erase(std::unique(touched.begin(), touched.end()), touched.end());
  shard_delta d;
  d.shards = static_cast<int>(touched.size());
  for (int shard : touched) d.routes += entities_.shard_routes(shard);
  return d;
}

void config_store::query(double latency_s, double cpu_s, std::function<void()> done) {
  ++queries_;
  cpu_busy_s_ += cpu_s;
  pending p{latency_s, std::move(done)};
  if (busy_ < connections_) {
    start(std::move(p));
  } else {
    waiting_.push_back(std::move(p));
  }
}

namespace {
/// A query in service. Queries are rare next to requests (pages of a
/// rebuild, polls), so one small allocation each is fine.
struct in_service {
  config_store* store;
  std::function<void()> done;
};
}  // namespace

void config_store::start(pending p) {
  ++busy_;
  busy_s_ += p.latency_s;
  auto* job = new in_service{this, std::move(p.done)};
  sim_.schedule_in(sim::from_seconds(p.latency_s, "database.page_latency_s"), [job] {
    std::function<void()> f = std::move(job->done);
    config_store* store = job->store;
    delete job;
    store->finish(std::move(f));
  });
}

void config_store::finish(std::function<void()> done) {
  --busy_;
  if (!waiting_.empty()) start(waiting_.pop_front());
  done();
}

}  // namespace gwsim::gateway
