#pragma once
// Replaces the global operator new/delete of the test executable that
// includes this header (include it from exactly one file per executable) and
// counts allocations, for tests that check a steady state allocates nothing.

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <new>

namespace gwsim::testing {
inline std::atomic<std::size_t> allocation_count{0};
/// Calls to the global operator new so far.
inline std::size_t allocations() { return allocation_count.load(std::memory_order_relaxed); }
}  // namespace gwsim::testing

void* operator new(std::size_t size) {
  gwsim::testing::allocation_count.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
