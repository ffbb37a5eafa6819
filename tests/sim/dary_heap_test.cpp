#include "sim/dary_heap.hpp"

#include "tests/sim/event_queue_conformance.hpp"

namespace gwsim::sim::testing {

using binary_heap = dary_heap<2>;
using quaternary_heap = dary_heap<4>;
using octal_heap = dary_heap<8>;
INSTANTIATE_TYPED_TEST_SUITE_P(Binary, event_queue_conformance, binary_heap);
INSTANTIATE_TYPED_TEST_SUITE_P(Quaternary, event_queue_conformance, quaternary_heap);
INSTANTIATE_TYPED_TEST_SUITE_P(Octal, event_queue_conformance, octal_heap);

}  // namespace gwsim::sim::testing
