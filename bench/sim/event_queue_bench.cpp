// The classic hold model (pop the earliest event, push one at now + Exp),
// on the simulator (dispatch included) and on the bare pending-event sets.
//
//   BM_Hold/<pending>             the default simulator (ladder queue)
//   BM_HoldOn<Queue>/<pending>    the simulator over another pending-event set
//   BM_QueueHold<Queue>/<pending> the bare queue: push/pop only, no dispatch
//   BM_MM1/<load %>               an M/M/1 queue, the smallest real model

#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <deque>

#include <pcg_random.hpp>

#include "sim/dary_heap.hpp"
#include "sim/ladder_queue.hpp"
#include "sim/simulator.hpp"

namespace gwsim::sim {
namespace {

/// Mean hold increment: 1 ms in integer nanoseconds, so ties are rare but
/// possible, as in real models.
constexpr double mean_increment_ns = 1e6;

/// Exponential increments from a fast generator, identical for every queue.
struct increments {
  pcg32 rng{42};
  time_ns next() {
    const double u = (static_cast<double>(rng() >> 8) + 0.5) * 0x1.0p-24;
    return static_cast<time_ns>(-std::log(u) * mean_increment_ns);
  }
};

template <class Queue>
struct hold_model {
  basic_simulator<Queue>& sim;
  increments inc;
  void on_event() { sim.schedule_in(inc.next(), [this] { on_event(); }); }
};

template <class Queue>
void hold_on(benchmark::State& state) {
  basic_simulator<Queue> sim;
  hold_model<Queue> model{sim, {}};
  const auto pending = static_cast<std::size_t>(state.range(0));
  for (std::size_t i = 0; i < pending; ++i) sim.schedule_in(model.inc.next(), [m = &model] { m->on_event(); });
  // Warm up: a full turnover of the pending set, so the structure is in its
  // steady state (and its storage grown) before timing.
  for (std::size_t i = 0; i < 2 * pending; ++i) sim.step();
  constexpr int batch = 1024;
  for (auto _ : state) {
    for (int i = 0; i < batch; ++i) sim.step();
  }
  state.SetItemsProcessed(state.iterations() * batch);
}

template <class Queue>
void queue_hold(benchmark::State& state) {
  Queue q;
  increments inc;
  std::uint64_t seq = 1;
  const auto pending = static_cast<std::size_t>(state.range(0));
  for (std::size_t i = 0; i < pending; ++i) q.push(event{inc.next(), seq++, nullptr, nullptr});
  for (std::size_t i = 0; i < 2 * pending; ++i) {
    event e = q.pop();
    q.push(event{e.time + inc.next(), seq++, nullptr, nullptr});
  }
  constexpr int batch = 1024;
  for (auto _ : state) {
    for (int i = 0; i < batch; ++i) {
      event e = q.pop();
      q.push(event{e.time + inc.next(), seq++, nullptr, nullptr});
    }
  }
  state.SetItemsProcessed(state.iterations() * batch);
}

void BM_Hold(benchmark::State& state) { hold_on<ladder_queue>(state); }
void BM_HoldOnHeap2(benchmark::State& state) { hold_on<dary_heap<2>>(state); }
void BM_HoldOnHeap4(benchmark::State& state) { hold_on<dary_heap<4>>(state); }
void BM_HoldOnHeap8(benchmark::State& state) { hold_on<dary_heap<8>>(state); }
void BM_QueueHoldLadder(benchmark::State& state) { queue_hold<ladder_queue>(state); }
void BM_QueueHoldHeap4(benchmark::State& state) { queue_hold<dary_heap<4>>(state); }

#define GWSIM_HOLD_SIZES ->Arg(1'000)->Arg(100'000)->Arg(1'000'000)->Unit(benchmark::kMillisecond)
BENCHMARK(BM_Hold) GWSIM_HOLD_SIZES;
BENCHMARK(BM_HoldOnHeap2) GWSIM_HOLD_SIZES;
BENCHMARK(BM_HoldOnHeap4) GWSIM_HOLD_SIZES;
BENCHMARK(BM_HoldOnHeap8) GWSIM_HOLD_SIZES;
BENCHMARK(BM_QueueHoldLadder) GWSIM_HOLD_SIZES;
BENCHMARK(BM_QueueHoldHeap4) GWSIM_HOLD_SIZES;

/// M/M/1: Poisson arrivals, exponential service, FIFO. Events are arrivals
/// and departures; the queue holds arrival times only.
struct mm1_model {
  simulator& sim;
  double arrival_mean_ns;
  double service_mean_ns;
  pcg32 arrivals{1};
  pcg32 services{2};
  std::deque<time_ns> waiting;
  bool busy = false;
  double sojourn_sum = 0;

  static time_ns draw(pcg32& rng, double mean) {
    const double u = (static_cast<double>(rng() >> 8) + 0.5) * 0x1.0p-24;
    return static_cast<time_ns>(-std::log(u) * mean);
  }
  void arrive() {
    sim.schedule_in(draw(arrivals, arrival_mean_ns), [this] { arrive(); });
    waiting.push_back(sim.now());
    if (!busy) start();
  }
  void start() {
    busy = true;
    sim.schedule_in(draw(services, service_mean_ns), [this] { depart(); });
  }
  void depart() {
    sojourn_sum += static_cast<double>(sim.now() - waiting.front());
    waiting.pop_front();
    busy = false;
    if (!waiting.empty()) start();
  }
};

void BM_MM1(benchmark::State& state) {
  simulator sim;
  const double load = static_cast<double>(state.range(0)) / 100.0;
  mm1_model m{sim, 1e6, 1e6 * load, pcg32{1}, pcg32{2}, {}, false, 0.0};
  sim.schedule_in(0, [p = &m] { p->arrive(); });
  for (int i = 0; i < 100'000; ++i) sim.step();
  constexpr int batch = 1024;
  for (auto _ : state) {
    for (int i = 0; i < batch; ++i) sim.step();
  }
  benchmark::DoNotOptimize(m.sojourn_sum);
  state.SetItemsProcessed(state.iterations() * batch);
}
BENCHMARK(BM_MM1)->Arg(50)->Arg(90)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace gwsim::sim
