#include "models/router/double_buffer.hpp"

namespace gwsim::router {

/// The radix router is the node-wide table; instantiated once here.
template class double_buffer<radix_router>;

}  // namespace gwsim::router
