#pragma once
/// One immutable router per node, swapped as a whole (Envoy's RDS, Traefik's
/// dynamic configuration): the read-copy-update alternative to Kong 2.x
/// rebuilding its router in every worker on every admin write.
///
/// Mechanism: the current version is a `std::shared_ptr<const
/// table_version<R>>` held in a `std::atomic<std::shared_ptr<...>>`. A
/// reader (a worker serving a request) calls snapshot() once and keeps the
/// pointer for the whole request, so every lookup of that request sees one
/// consistent table and never blocks on writers. A writer (publish(),
/// apply()) builds the next version off to the side from the kept route set
/// (plus the changes), then swaps it in with one atomic exchange. Writers are
/// serialised by a mutex; readers never take it.
///
/// Reclamation is by reference count: the old version is freed when its last
/// holder drops it, i.e. at the swap when no reader holds it, otherwise when
/// the last request that took it finishes. Memory consequence: a reader
/// holding an old snapshot (a long request, a streaming response, a stuck
/// upstream call) keeps that WHOLE table alive, not just the route it
/// matched; with W writes during one such request, up to W + 1 full tables
/// are resident at once. versions_alive() and bytes_held() expose this.
/// Retired versions are tracked through weak_ptrs, which never extend a
/// version's life (the control block is a separate allocation, so an
/// expired version's memory is really returned).

#include <atomic>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <utility>
#include <vector>

#include "models/router/radix_router.hpp"
#include "models/router/route.hpp"
#include "models/router/route_change.hpp"

namespace gwsim::router {

/// What the versioned tables need from a router: built from a route vector
/// (throwing std::invalid_argument on bad routes), matched without mutation,
/// and able to report its estimated bytes.
template <class R>
concept versionable_router = std::constructible_from<R, std::vector<route>> && requires(const R& r, const request& q) {
  { r.match(q) } -> std::convertible_to<const route*>;
  { r.bytes() } -> std::convertible_to<std::size_t>;
};

/// One immutable published version: its number (1 for the first) and the
/// router built from that version's route set.
template <versionable_router R>
struct table_version {
  /// Builds the router for `routes`; throws whatever R's constructor throws.
  table_version(std::uint64_t version_number, std::vector<route> routes)
      : number(version_number), router(std::move(routes)) {}

  std::uint64_t number;
  R router;

  /// The route this version selects for `req`, or nullptr. The pointer stays
  /// valid as long as the snapshot holding this version is kept.
  [[nodiscard]] const route* match(const request& req) const { return router.match(req); }
};

/// The RCU table: see the file comment for the mechanism and its memory cost.
template <versionable_router R = radix_router>
class rcu_table {
 public:
  using version_type = table_version<R>;
  using snapshot_type = std::shared_ptr<const version_type>;

  /// Publishes version 1 built from `initial` (which may be empty). Throws
  /// std::invalid_argument on duplicate ids or routes R rejects.
  explicit rcu_table(std::vector<route> initial = {}) {
    route_set set = make_route_set(std::move(initial));
    auto first = build(1, set);
    routes_ = std::move(set);
    current_.store(std::move(first), std::memory_order_release);
    last_number_ = 1;
  }

  rcu_table(const rcu_table&) = delete;
  rcu_table& operator=(const rcu_table&) = delete;

  /// The current version, to be kept for the duration of one request. Never
  /// blocks on writers; never null.
  [[nodiscard]] snapshot_type snapshot() const noexcept { return current_.load(std::memory_order_acquire); }

  /// Replaces the whole route set and publishes the next version; returns its
  /// number. On error (duplicate ids, a route R rejects) throws
  /// std::invalid_argument and nothing changes.
  std::uint64_t publish(std::vector<route> routes) {
    route_set next = make_route_set(std::move(routes));
    const std::lock_guard lock(writer_);
    return install(std::move(next));
  }

  /// Builds the next version from the current route set plus `changes`
  /// (apply_changes: in order, all or nothing) and publishes it; returns its
  /// number. On error throws std::invalid_argument and nothing changes.
  std::uint64_t apply(std::span<const route_change> changes) {
    const std::lock_guard lock(writer_);
    return install(apply_changes(routes_, changes));
  }

  /// The number of the current version.
  [[nodiscard]] std::uint64_t version() const noexcept { return snapshot()->number; }

  /// The current version plus every retired version some reader still holds.
  [[nodiscard]] std::size_t versions_alive() const {
    const std::lock_guard lock(writer_);
    prune();
    return 1 + retired_.size();
  }

  /// Sum of router bytes() over the alive versions (see versions_alive()).
  /// The writer's copy of the route set is not counted.
  [[nodiscard]] std::size_t bytes_held() const {
    const std::lock_guard lock(writer_);
    std::size_t total = snapshot()->router.bytes();
    for (const auto& weak : retired_) {
      if (const auto held = weak.lock()) total += held->router.bytes();
    }
    return total;
  }

  /// The numbers of the retired versions still held by readers, oldest first.
  [[nodiscard]] std::vector<std::uint64_t> retired_versions() const {
    const std::lock_guard lock(writer_);
    std::vector<std::uint64_t> numbers;
    for (const auto& weak : retired_) {
      if (const auto held = weak.lock()) numbers.push_back(held->number);
    }
    return numbers;
  }

  /// The current route set, in id order.
  [[nodiscard]] std::vector<route> routes() const {
    const std::lock_guard lock(writer_);
    return routes_of(routes_);
  }

 private:
  /// A version built from `set`, in its own allocation (not make_shared) so
  /// that weak_ptrs to a dropped version pin only the control block.
  static snapshot_type build(std::uint64_t number, const route_set& set) {
    return snapshot_type(new version_type(number, routes_of(set)));
  }

  /// Builds and swaps in the next version; the caller holds writer_.
  std::uint64_t install(route_set next) {
    auto fresh = build(last_number_ + 1, next);  /// may throw: nothing changed yet
    snapshot_type old = current_.exchange(std::move(fresh), std::memory_order_acq_rel);
    ++last_number_;
    routes_ = std::move(next);
    retired_.emplace_back(old);
    old.reset();  /// freed right here unless a reader still holds it
    prune();
    return last_number_;
  }

  /// Forgets retired versions no reader holds any more; the caller holds writer_.
  void prune() const {
    std::erase_if(retired_, [](const std::weak_ptr<const version_type>& w) { return w.expired(); });
  }

  mutable std::mutex writer_;
  route_set routes_;
  std::uint64_t last_number_ = 0;
  std::atomic<snapshot_type> current_;
  mutable std::vector<std::weak_ptr<const version_type>> retired_;
};

extern template class rcu_table<radix_router>;

}  // namespace gwsim::router
