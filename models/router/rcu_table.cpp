#include "models/router/rcu_table.hpp"

namespace gwsim::router {

/// The radix router is the node-wide table; instantiated once here.
template class rcu_table<radix_router>;

}  // namespace gwsim::router
