#pragma once
/// A router's bytes() against what the heap actually handed out while the
/// router was built (glibc's mallinfo2), on 5,000 synthetic routes over 20
/// hosts. bytes() counts requested sizes (no allocator overhead, no PCRE2
/// code), so it may sit somewhat below the heap's figure, never far from it.

#include <gtest/gtest.h>

#include <vector>

#include "models/router/route.hpp"
#include "models/router/synthetic_routes.hpp"

#if defined(__GLIBC__)
#include <malloc.h>

namespace gwsim::router::testing {

/// `make(routes)` returns the router built from `routes`.
template <class Router, class Make>
void expect_bytes_track_the_heap(Make make) {
  route_set_config c;
  c.routes = 5'000;
  c.distinct_hosts = 20;
  const std::vector<route> routes = generate_routes(c);
  auto in_use = [] {
    const struct mallinfo2 m = mallinfo2();
    return static_cast<double>(m.uordblks + m.hblkhd);
  };
  const double before = in_use();
  const Router router = make(routes);
  const double held = in_use() - before + static_cast<double>(sizeof(Router));
  const auto estimate = static_cast<double>(router.bytes());
  EXPECT_GT(estimate, 0.6 * held);
  EXPECT_LT(estimate, 1.2 * held);
}

}  // namespace gwsim::router::testing
#endif
