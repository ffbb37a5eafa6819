// Classic HOLD model on the ns-3 simulator core.
//
// N events are pending at all times: the handler of each event schedules one
// new event at now + Exp(mean 1.0 s), so popping and pushing alternate on a
// queue of constant size N. The handler is a plain free function, so the only
// per-event allocation is the EventImpl that ns-3 itself creates inside
// Simulator::Schedule.
//
// Increments come from a small inline xoshiro256+ generator and -log(1-u),
// not from ns3::ExponentialRandomVariable, so that the measurement is about
// the event scheduler rather than about the random-number stream machinery.
// Pass "ns3rng" as the fifth argument to use ns3::ExponentialRandomVariable
// instead.
//
// Usage: ns3_hold SCHEDULER N [SECONDS] [WARMUP_EVENTS] [ns3rng]
//   SCHEDULER  map | heap | calendar | list | priority_queue
//              (or a full ns-3 TypeId name such as ns3::MapScheduler)
//   N          number of pending events
//   SECONDS    minimum wall time of the timed window (default 1.0)
//   WARMUP     untimed events processed first (default max(N, 200000))
//
// Output: one JSON object on stdout, e.g.
//   {"scheduler":"ns3::MapScheduler","n":1000,"events":2000000,
//    "seconds":1.02,"events_per_second":1.96e6,"cpu_seconds":1.02,...}
// "seconds" is wall time (steady_clock); "cpu_seconds" is process CPU time
// over the same window.

#include "ns3/core-module.h"

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <time.h>

namespace
{

// xoshiro256+ seeded through splitmix64.
struct FastRng
{
    uint64_t s[4];

    explicit FastRng(uint64_t seed)
    {
        for (auto& w : s)
        {
            seed += 0x9e3779b97f4a7c15ULL;
            uint64_t z = seed;
            z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
            z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
            w = z ^ (z >> 31);
        }
    }

    static uint64_t Rotl(uint64_t x, int k)
    {
        return (x << k) | (x >> (64 - k));
    }

    uint64_t Next()
    {
        const uint64_t result = s[0] + s[3];
        const uint64_t t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = Rotl(s[3], 45);
        return result;
    }

    // Exp(mean 1.0)
    double Exp1()
    {
        const double u = static_cast<double>(Next() >> 11) * 0x1.0p-53; // [0,1)
        return -std::log1p(-u);
    }
};

FastRng g_rng(12345);
ns3::Ptr<ns3::ExponentialRandomVariable> g_ns3Rng;
bool g_useNs3Rng = false;

uint64_t g_processed = 0;
uint64_t g_stopAt = 0;

// Ticks per second at ns-3's default time resolution (nanoseconds).
constexpr double kTicksPerSecond = 1e9;

inline ns3::Time
NextDelay()
{
    const double x = g_useNs3Rng ? g_ns3Rng->GetValue() : g_rng.Exp1();
    return ns3::TimeStep(static_cast<uint64_t>(x * kTicksPerSecond));
}

void
Hold()
{
    if (++g_processed == g_stopAt)
    {
        ns3::Simulator::Stop();
    }
    ns3::Simulator::Schedule(NextDelay(), &Hold);
}

// Process exactly `count` events.
void
RunEvents(uint64_t count)
{
    g_stopAt = g_processed + count;
    ns3::Simulator::Run();
}

std::string
SchedulerTypeId(const std::string& name)
{
    static const std::map<std::string, std::string> names = {
        {"map", "ns3::MapScheduler"},
        {"heap", "ns3::HeapScheduler"},
        {"calendar", "ns3::CalendarScheduler"},
        {"list", "ns3::ListScheduler"},
        {"priority_queue", "ns3::PriorityQueueScheduler"},
    };
    auto it = names.find(name);
    return it == names.end() ? name : it->second;
}

double
ProcessCpuSeconds()
{
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

} // namespace

int
main(int argc, char** argv)
{
    if (argc < 3)
    {
        std::fprintf(stderr,
                     "usage: %s SCHEDULER N [SECONDS] [WARMUP_EVENTS] [ns3rng]\n",
                     argv[0]);
        return 2;
    }
    const std::string scheduler = SchedulerTypeId(argv[1]);
    const uint64_t n = std::strtoull(argv[2], nullptr, 10);
    const double minSeconds = argc > 3 ? std::atof(argv[3]) : 1.0;
    uint64_t warmup = argc > 4 ? std::strtoull(argv[4], nullptr, 10) : 0;
    if (warmup < n)
    {
        warmup = n < 200000 ? 200000 : n;
    }
    g_useNs3Rng = argc > 5 && std::string(argv[5]) == "ns3rng";
    if (n == 0)
    {
        std::fprintf(stderr, "N must be positive\n");
        return 2;
    }

    ns3::ObjectFactory factory;
    factory.SetTypeId(scheduler);
    ns3::Simulator::SetScheduler(factory);

    if (g_useNs3Rng)
    {
        g_ns3Rng = ns3::CreateObject<ns3::ExponentialRandomVariable>();
        g_ns3Rng->SetAttribute("Mean", ns3::DoubleValue(1.0));
        g_ns3Rng->SetAttribute("Bound", ns3::DoubleValue(0.0));
    }

    using Clock = std::chrono::steady_clock;

    const auto setupStart = Clock::now();
    for (uint64_t i = 0; i < n; ++i)
    {
        ns3::Simulator::Schedule(NextDelay(), &Hold);
    }
    const double setupSeconds =
        std::chrono::duration<double>(Clock::now() - setupStart).count();

    // Untimed warm-up: every initial event has been replaced at least once
    // (on average), and caches, allocator and scheduler structures are settled.
    RunEvents(warmup);

    // Timed window: process chunks until at least minSeconds have elapsed.
    // Chunks are ~10 ms of work, so checking the clock costs nothing measurable.
    uint64_t chunk = 20000;
    const uint64_t before = g_processed;
    const auto start = Clock::now();
    const double cpuStart = ProcessCpuSeconds();
    double elapsed = 0.0;
    do
    {
        RunEvents(chunk);
        elapsed = std::chrono::duration<double>(Clock::now() - start).count();
        if (elapsed < 0.05 && chunk < (uint64_t{1} << 24))
        {
            chunk *= 2;
        }
    } while (elapsed < minSeconds);
    const uint64_t events = g_processed - before;
    const double cpuSeconds = ProcessCpuSeconds() - cpuStart;

    std::printf("{\"scheduler\":\"%s\",\"n\":%llu,\"events\":%llu,\"seconds\":%.6f,"
                "\"events_per_second\":%.6g,\"cpu_seconds\":%.6f,\"warmup_events\":%llu,"
                "\"setup_seconds\":%.6f,\"rng\":\"%s\"}\n",
                scheduler.c_str(),
                static_cast<unsigned long long>(n),
                static_cast<unsigned long long>(events),
                elapsed,
                static_cast<double>(events) / elapsed,
                cpuSeconds,
                static_cast<unsigned long long>(warmup),
                setupSeconds,
                g_useNs3Rng ? "ns3::ExponentialRandomVariable" : "inline xoshiro256+");
    std::fflush(stdout);

    // Tearing down a million pending events takes a while and is not part of
    // the measurement; skip Simulator::Destroy() and leave directly.
    std::_Exit(0);
}
