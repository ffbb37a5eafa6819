#include "models/gateway/config_entities.hpp"

#include <algorithm>
#include <cstddef>
#include <utility>

namespace gwsim::gateway {

// ---- weighted_counts ------------------------------------------------------

config_entities::weighted_counts::weighted_counts(std::vector<int> counts) : counts_(std::move(counts)) {
  rebuild();
}

void config_entities::weighted_counts::rebuild() {
  std::size_t capacity = 1;
  while (capacity < counts_.size()) capacity *= 2;
  tree_.assign(capacity + 1, 0);
  for (std::size_t i = 0; i < counts_.size(); ++i) tree_[i + 1] = counts_[i];
  for (std::size_t i = 1; i <= capacity; ++i) {
    const std::size_t parent = i + (i & (~i + 1));
    if (parent <= capacity) tree_[parent] += tree_[i];
  }
}

void config_entities::weighted_counts::add(std::size_t i, int delta) {
  counts_.at(i) += delta;
  for (std::size_t k = i + 1; k < tree_.size(); k += k & (~k + 1)) tree_[k] += delta;
}

void config_entities::weighted_counts::push_back() {
  counts_.push_back(0);
  if (counts_.size() >= tree_.size()) rebuild();  // doubles the capacity
}

void config_entities::weighted_counts::pop_back() {
  add(counts_.size() - 1, -counts_.back());
  counts_.pop_back();
}

std::size_t config_entities::weighted_counts::find(std::int64_t rank) const {
  // Binary lifting: the largest prefix whose sum is <= rank.
  std::size_t pos = 0;
  for (std::size_t step = (tree_.size() - 1); step > 0; step /= 2) {
    if (pos + step < tree_.size() && tree_[pos + step] <= rank) {
      pos += step;
      rank -= tree_[pos];
    }
  }
  return pos;  // 0-based index of the element holding the unit
}

// ---- config_entities ------------------------------------------------------

namespace {

std::vector<int> spread(int total, int parts) {
  std::vector<int> out(static_cast<std::size_t>(parts), 0);
  if (parts == 0) return out;
  for (int k = 0; k < parts; ++k) out[static_cast<std::size_t>(k)] = total / parts + (k < total % parts ? 1 : 0);
  return out;
}

}  // namespace

config_entities::config_entities(int routes, int services, int shards)
    : routes_(routes),
      unattached_(services > 0 ? 0 : routes),
      service_routes_(spread(services > 0 ? routes : 0, services)),
      unattached_by_shard_(spread(services > 0 ? 0 : routes, std::max(1, shards))),
      shard_routes_(static_cast<std::size_t>(std::max(1, shards)), 0) {
  for (std::size_t k = 0; k < service_routes_.size(); ++k) {
    shard_routes_[k % shard_routes_.size()] += service_routes_.at(k);
  }
  for (std::size_t k = 0; k < unattached_by_shard_.size(); ++k) shard_routes_[k] += unattached_by_shard_.at(k);
}

int config_entities::shard_of(owner o) const noexcept {
  if (o < 0) return -1 - o;
  return o % static_cast<int>(shard_routes_.size());
}

void config_entities::add_routes(owner o, int delta) {
  routes_ += delta;
  shard_routes_[static_cast<std::size_t>(shard_of(o))] += delta;
  if (o >= 0) {
    service_routes_.add(static_cast<std::size_t>(o), delta);
  } else {
    unattached_ += delta;
    unattached_by_shard_.add(static_cast<std::size_t>(-1 - o), delta);
  }
}

config_entities::owner config_entities::random_route(sim::rng& rng) const {
  const auto rank = static_cast<std::int64_t>(sim::uniform_index(rng, static_cast<std::uint64_t>(routes_)));
  if (rank < unattached_) return -1 - static_cast<int>(unattached_by_shard_.find(rank));
  return static_cast<int>(service_routes_.find(rank - unattached_));
}

config_entities::change config_entities::apply(admin_kind kind, sim::rng& rng) {
  change c;
  switch (kind) {
    case admin_kind::create_route: {
      // To the newest service; with none, an unattached route on a random shard.
      const owner o = services() > 0
                          ? services() - 1
                          : -1 - static_cast<int>(sim::uniform_index(rng, static_cast<std::uint64_t>(shards())));
      add_routes(o, 1);
      created_.push_back(o);
      c = {1, shard_of(o), std::max(o, -1)};
      break;
    }
    case admin_kind::delete_route: {
      if (routes_ == 0) break;
      owner o = 0;
      if (!created_.empty()) {
        o = created_.back();
        created_.pop_back();
      } else {
        o = random_route(rng);
      }
      add_routes(o, -1);
      c = {1, shard_of(o), std::max(o, -1)};
      break;
    }
    case admin_kind::update_route: {
      if (routes_ == 0) break;
      const owner o = random_route(rng);
      c = {1, shard_of(o), std::max(o, -1)};
      break;
    }
    case admin_kind::update_service: {
      if (services() == 0) break;
      const auto s = static_cast<owner>(sim::uniform_index(rng, static_cast<std::uint64_t>(services())));
      const int n = service_routes_.at(static_cast<std::size_t>(s));
      c = {n, n > 0 ? shard_of(s) : -1, s};
      break;
    }
    case admin_kind::create_service:
      service_routes_.push_back();
      break;
    case admin_kind::delete_service: {
      if (services() == 0) break;
      const owner s = services() - 1;
      const int n = service_routes_.at(static_cast<std::size_t>(s));
      if (n > 0) add_routes(s, -n);  // cascade: its routes go with it
      c = {n, n > 0 ? shard_of(s) : -1, s};
      std::erase(created_, s);
      service_routes_.pop_back();
      break;
    }
    case admin_kind::noop:
      break;
  }
  return c;
}

}  // namespace gwsim::gateway
