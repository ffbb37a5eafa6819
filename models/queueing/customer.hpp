#pragma once
/// Customers of the queueing models and the interface of whatever receives
/// them (a station, the network's exit).

#include "sim/time.hpp"

namespace gwsim::queueing {

struct customer {
  sim::time_ns entered_network = 0;
  sim::time_ns entered_station = 0;
};

class customer_sink {
 public:
  virtual ~customer_sink() = default;
  virtual void accept(customer c) = 0;
};

}  // namespace gwsim::queueing
