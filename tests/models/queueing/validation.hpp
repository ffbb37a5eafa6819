#pragma once
// Shared checks of simulated measures against closed forms.

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "models/queueing/experiment.hpp"

namespace gwsim::queueing::testing {

/// Replications for every validation experiment (the minimum).
inline constexpr std::size_t replications = 30;
/// Confidence level of the intervals the exact values must fall in.
inline constexpr double level = 0.99;

/// The exact value lies in the 99% interval AND the point estimate is within
/// `rel_tol` of it. Both matter: a wide interval would pass the first alone.
inline void expect_matches(const experiment_result& r, const std::string& measure, double exact, double rel_tol) {
  ASSERT_TRUE(r.measures.contains(measure)) << measure;
  const sim::confidence_interval& ci = r.measures.at(measure);
  const double rel = std::abs(ci.mean - exact) / std::abs(exact);
  EXPECT_TRUE(ci.contains(exact)) << measure << ": exact " << exact << " outside 99% CI [" << ci.lower << ", "
                                  << ci.upper << "] (mean " << ci.mean << ")";
  EXPECT_LE(rel, rel_tol) << measure << ": simulated " << ci.mean << " vs exact " << exact << ", relative error "
                          << rel << " > " << rel_tol << " (CI half-width " << ci.half_width << ")";
  // Keep the run lengths honest: the interval must be tight enough that the
  // relative-error bound is a real test, not luck.
  EXPECT_LE(ci.half_width / std::abs(exact), rel_tol) << measure << ": CI too wide to validate at " << rel_tol;
}

/// Little's law holds in every replication, for every station.
inline void expect_little(const experiment_result& r, std::size_t stations) {
  for (const replication_result& rep : r.replications) {
    for (std::size_t i = 0; i < stations; ++i) {
      const std::string key = "s" + std::to_string(i) + ".little_relative_error";
      ASSERT_LE(rep.measures.at(key), 2e-3) << key;
    }
  }
}

}  // namespace gwsim::queueing::testing
