#pragma once
// Small models for the checker's tests.

#include "models/check/model.hpp"

namespace gwsim::check::testing {

/// A model of `workers` workers, `versions` configuration versions and a pod
/// limit of `limit` units under strategy `s`, every other field at its default.
inline model make(strategy s, int workers, int versions, int limit) {
  model m;
  m.strategy = s;
  m.workers = workers;
  m.versions = versions;
  m.limit = limit;
  return m;
}

}  // namespace gwsim::check::testing
