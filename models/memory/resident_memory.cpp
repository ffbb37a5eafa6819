#include "models/memory/resident_memory.hpp"

#include <algorithm>
#include <cmath>

#include "sim/stats_checks.hpp"

namespace gwsim::memory {

namespace {
constexpr sim::time_ns buckets_per_delay = 64;
}  // namespace

resident_memory::resident_memory(double non_heap_bytes, sim::time_ns release_delay)
    : non_heap_bytes_(non_heap_bytes), release_delay_(release_delay) {
  if (!(std::isfinite(non_heap_bytes) && non_heap_bytes >= 0.0)) {
    sim::detail::throw_invalid_argument("resident_memory non_heap_bytes", non_heap_bytes, "finite and >= 0 (bytes)");
  }
  if (release_delay < 0 || release_delay > sim::time_max) {
    sim::detail::throw_invalid_argument("resident_memory release_delay (ns)", std::int64_t{release_delay},
                                        "in [0, time_max]");
  }
  bucket_width_ = std::max<sim::time_ns>(1, (release_delay_ + buckets_per_delay - 1) / buckets_per_delay);
}

void resident_memory::advance(sim::time_ns now) {
  if (now < last_now_ || now > sim::time_max) {
    sim::detail::throw_invalid_argument("resident_memory time (ns)", std::int64_t{now},
                                        "at or after the previous call and at most time_max");
  }
  last_now_ = now;
  while (!buckets_.empty() && buckets_.front().release_at <= now) retained_ -= buckets_.pop_front().bytes;
  if (open_.bytes > 0.0 && open_.release_at <= now) {
    retained_ -= open_.bytes;
    open_ = bucket{};
  }
  if (buckets_.empty() && open_.bytes == 0.0) retained_ = 0;  // no rounding residue once nothing is held
}

void resident_memory::reuse(double heap_total_bytes) {
  double growth = heap_total_bytes - heap_seen_;
  heap_seen_ = heap_total_bytes;
  if (growth <= 0.0) return;
  grown_ += std::max(0.0, growth - retained_);
  if (retained_ <= 0.0) return;
  growth = std::min(growth, retained_);
  retained_ -= growth;
  while (growth > 0.0 && !buckets_.empty()) {
    bucket& oldest = buckets_.front();
    const double taken = std::min(growth, oldest.bytes);
    oldest.bytes -= taken;
    growth -= taken;
    if (oldest.bytes <= 0.0) (void)buckets_.pop_front();
  }
  if (growth > 0.0) open_.bytes = std::max(0.0, open_.bytes - growth);
  if (buckets_.empty() && open_.bytes <= 0.0) {
    open_ = bucket{};
    retained_ = 0;  // no rounding residue once nothing is held
  }
}

void resident_memory::on_freed(double bytes, double heap_total_bytes, sim::time_ns now) {
  if (!(std::isfinite(bytes) && bytes >= 0.0)) {
    sim::detail::throw_invalid_argument("resident_memory freed bytes", bytes, "finite and >= 0 (bytes)");
  }
  if (!(std::isfinite(heap_total_bytes) && heap_total_bytes >= 0.0)) {
    sim::detail::throw_invalid_argument("resident_memory heap_total_bytes", heap_total_bytes,
                                        "finite and >= 0 (bytes)");
  }
  advance(now);
  reuse(heap_total_bytes + bytes);  // the heap before this free
  heap_seen_ = heap_total_bytes;
  if (release_delay_ == 0 || bytes == 0.0) return;
  /// Rounding the release time up to a bucket boundary lets every free in
  /// one bucket width share an entry. Times never go backwards, so only the
  /// newest bucket can take the bytes; it is held outside the ring buffer
  /// until a later one opens.
  const sim::time_ns due = now + release_delay_;
  const sim::time_ns release_at = (due + bucket_width_ - 1) / bucket_width_ * bucket_width_;
  if (open_.bytes > 0.0 && open_.release_at == release_at) {
    open_.bytes += bytes;
  } else {
    if (open_.bytes > 0.0) buckets_.push_back(open_);
    open_ = bucket{release_at, bytes};
  }
  retained_ += bytes;
}

double resident_memory::retained_bytes(sim::time_ns now) {
  advance(now);
  return retained_;
}

double resident_memory::resident_bytes(double heap_total_bytes, sim::time_ns now) {
  if (!(std::isfinite(heap_total_bytes) && heap_total_bytes >= 0.0)) {
    sim::detail::throw_invalid_argument("resident_memory heap_total_bytes", heap_total_bytes,
                                        "finite and >= 0 (bytes)");
  }
  // Without a release delay nothing is ever retained: only growth is seen.
  if (release_delay_ == 0) {
    reuse(heap_total_bytes);
    return heap_total_bytes + non_heap_bytes_;
  }
  advance(now);
  reuse(heap_total_bytes);
  return heap_total_bytes + non_heap_bytes_ + retained_;
}

void resident_memory::reset() noexcept {
  buckets_.clear();
  open_ = bucket{};
  retained_ = 0;
  heap_seen_ = 0;
  grown_ = 0;
  last_now_ = 0;
}

}  // namespace gwsim::memory
