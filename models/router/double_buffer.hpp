#pragma once
/// Two router slots, active and standby, switched by an explicit commit
/// (HAProxy's `prepare map` / `add map @<ver>` / `commit map @<ver>`).
///
/// Mechanism:
///  - prepare(changes) builds the next version into the standby slot from the
///    ACTIVE route set plus the changes. The active version keeps serving and
///    is not touched; readers never see a prepared version.
///  - commit() swaps standby into active under an exclusive lock and frees
///    the old active version before returning, so at most two tables ever
///    exist (one outside a prepare/commit window). The price is that commit
///    waits for in-flight lookups, and lookups wait for the pointer swap.
///  - abort() discards the prepared version.
///  - Every lookup runs against the active version under a shared lock and
///    returns a copy (match()) or runs a caller's function inside the lock
///    (read()): no reference into a version can outlive the commit that
///    frees it, which is what makes freeing at commit safe. Contrast with
///    rcu_table, where a reader's snapshot keeps a whole old table alive.
///
/// Version numbers: the initial version is 1; every prepare() takes the next
/// number, and a number given to an aborted version is never reused (as
/// HAProxy's map generations), so committed numbers can have gaps.
///
/// Errors (std::logic_error: the calls came in the wrong order): commit()
/// with nothing prepared; prepare() while a prepared version is pending
/// (it throws rather than replacing it: a pending version must be committed
/// or aborted explicitly, so two admin sessions cannot silently overwrite
/// each other's work). Bad changes throw std::invalid_argument as
/// apply_changes() does and leave both slots unchanged.

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "models/router/radix_router.hpp"
#include "models/router/route.hpp"
#include "models/router/route_change.hpp"

namespace gwsim::router {

/// The prepare/commit table: see the file comment for the mechanism.
template <class R = radix_router>
  requires std::constructible_from<R, std::vector<route>> && requires(const R& r, const request& q) {
    { r.match(q) } -> std::convertible_to<const route*>;
    { r.bytes() } -> std::convertible_to<std::size_t>;
  }
class double_buffer {
 public:
  /// Builds version 1 from `initial` (may be empty) into the active slot.
  /// Throws std::invalid_argument on duplicate ids or routes R rejects.
  explicit double_buffer(std::vector<route> initial = {}) : active_(build(1, make_route_set(std::move(initial)))) {}

  double_buffer(const double_buffer&) = delete;
  double_buffer& operator=(const double_buffer&) = delete;

  /// The route the active version selects for `req` (a copy), or nullopt.
  [[nodiscard]] std::optional<route> match(const request& req) const {
    const std::shared_lock lock(active_mutex_);
    const route* r = active_->router.match(req);
    return r == nullptr ? std::nullopt : std::optional<route>(*r);
  }

  /// Runs `f(router, version_number)` on the active version under the shared
  /// lock and returns its result; references obtained inside must not escape.
  template <class F>
  decltype(auto) read(F&& f) const {
    const std::shared_lock lock(active_mutex_);
    return std::forward<F>(f)(static_cast<const R&>(active_->router), active_->number);
  }

  /// Builds the next version from the active set plus `changes` into the
  /// standby slot and returns its number. Throws std::logic_error if a
  /// prepared version is pending, std::invalid_argument on bad changes (then
  /// nothing changes and no number is used up).
  std::uint64_t prepare(std::span<const route_change> changes) {
    const std::lock_guard lock(writer_);
    if (standby_) {
      throw std::logic_error("double_buffer::prepare: version " + std::to_string(standby_->number) +
                             " is already prepared; commit() or abort() it first");
    }
    auto next = build(last_number_ + 1, apply_changes(active_->routes, changes));
    ++last_number_;
    standby_ = std::move(next);
    return last_number_;
  }

  /// Makes the prepared version active and frees the old active version
  /// before returning; returns the new active number. Throws
  /// std::logic_error when nothing is prepared.
  std::uint64_t commit() {
    const std::lock_guard lock(writer_);
    if (!standby_) throw std::logic_error("double_buffer::commit: no prepared version; call prepare() first");
    {
      const std::unique_lock swap_lock(active_mutex_);
      std::swap(active_, standby_);
    }
    standby_.reset();  /// the old active version: no reader can still be using it
    return active_->number;
  }

  /// Discards the prepared version; returns false when there was none.
  bool abort() {
    const std::lock_guard lock(writer_);
    const bool had = static_cast<bool>(standby_);
    standby_.reset();
    return had;
  }

  /// The number of the version lookups use.
  [[nodiscard]] std::uint64_t active_version() const {
    const std::lock_guard lock(writer_);
    return active_->number;
  }

  /// The number of the pending prepared version, or 0 when there is none.
  [[nodiscard]] std::uint64_t prepared_version() const {
    const std::lock_guard lock(writer_);
    return standby_ ? standby_->number : 0;
  }

  /// Router bytes() of both slots (the standby slot counts only while a
  /// version is prepared). The route sets kept beside them are not counted.
  [[nodiscard]] std::size_t bytes_held() const {
    const std::lock_guard lock(writer_);
    return active_->router.bytes() + (standby_ ? standby_->router.bytes() : 0);
  }

  /// The active route set, in id order.
  [[nodiscard]] std::vector<route> routes() const {
    const std::lock_guard lock(writer_);
    return routes_of(active_->routes);
  }

 private:
  struct slot {
    slot(std::uint64_t version_number, route_set set)
        : number(version_number), router(routes_of(set)), routes(std::move(set)) {}
    std::uint64_t number;
    R router;
    route_set routes;
  };

  static std::unique_ptr<slot> build(std::uint64_t number, route_set set) {
    return std::make_unique<slot>(number, std::move(set));
  }

  /// Guards the standby slot and the numbering; serialises writers. active_
  /// only changes while it is held, so writers may read active_ under it.
  mutable std::mutex writer_;
  /// Readers hold it shared while they use active_; commit holds it
  /// exclusively for the pointer swap.
  mutable std::shared_mutex active_mutex_;
  std::unique_ptr<slot> active_;
  std::unique_ptr<slot> standby_;
  std::uint64_t last_number_ = 1;
};

extern template class double_buffer<radix_router>;

}  // namespace gwsim::router
