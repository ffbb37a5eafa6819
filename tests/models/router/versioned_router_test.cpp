/// Versioned router tables: rcu_table (snapshots, reclamation by reference
/// count) and double_buffer (prepare / commit / abort), unit tests and a
/// property against a fresh reference_matcher after any change sequence.

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <atomic>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "models/router/double_buffer.hpp"
#include "models/router/radix_router.hpp"
#include "models/router/rcu_table.hpp"
#include "models/router/reference_matcher.hpp"
#include "models/router/route_change.hpp"
#include "tests/models/router/route_generators.hpp"

namespace {

using gwsim::router::double_buffer;
using gwsim::router::radix_router;
using gwsim::router::rcu_table;
using gwsim::router::reference_matcher;
using gwsim::router::request;
using gwsim::router::route;
using gwsim::router::route_change;
using gwsim::router::route_set;
using gwsim::router::testgen::id_of;

route path_route(std::uint32_t id, std::string path) {
  route r;
  r.id = id;
  r.paths = {std::move(path)};
  return r;
}

request get(std::string path) {
  request q;
  q.host = "a.com";
  q.path = std::move(path);
  q.method = "GET";
  return q;
}

// ---------------------------------------------------------------- route_change

TEST(RouteChange, AppliesInOrderAndLaterChangesSeeEarlierOnes) {
  const route_set start = gwsim::router::make_route_set({path_route(1, "/a"), path_route(2, "/b")});
  const std::vector<route_change> batch{route_change::add(path_route(3, "/c")),
                                        route_change::update(path_route(3, "/d")), route_change::remove(1)};
  const route_set next = gwsim::router::apply_changes(start, batch);
  ASSERT_EQ(next.size(), 2U);
  EXPECT_EQ(next.at(3).paths, std::vector<std::string>{"/d"});
  EXPECT_FALSE(next.contains(1));
  EXPECT_EQ(start.size(), 2U);  // the input is untouched
}

TEST(RouteChange, RejectsEachInvalidChangeNamingIt) {
  const route_set start = gwsim::router::make_route_set({path_route(1, "/a")});
  auto reject = [&](route_change c, const std::string& fragment) {
    try {
      (void)gwsim::router::apply_changes(start, std::vector<route_change>{c});
      ADD_FAILURE() << "no exception for " << fragment;
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    }
  };
  reject(route_change::add(path_route(1, "/x")), "add of route id 1");
  reject(route_change::remove(9), "remove of route id 9");
  reject(route_change::update(path_route(9, "/x")), "update of route id 9");
  route_change mismatched = route_change::update(path_route(1, "/x"));
  mismatched.id = 5;
  reject(mismatched, "r.id is 1");
  EXPECT_THROW((void)gwsim::router::make_route_set({path_route(4, "/a"), path_route(4, "/b")}), std::invalid_argument);
}

// ---------------------------------------------------------------- rcu_table

TEST(RcuTable, SnapshotKeepsItsVersionAfterPublish) {
  rcu_table<> table({path_route(1, "/a")});
  EXPECT_EQ(table.version(), 1U);
  const auto v1 = table.snapshot();
  EXPECT_EQ(table.publish({path_route(2, "/a")}), 2U);

  EXPECT_EQ(v1->number, 1U);
  EXPECT_EQ(id_of(v1->match(get("/a/x"))), 1U);  // the reader still sees version 1's routes
  const auto v2 = table.snapshot();
  EXPECT_EQ(v2->number, 2U);
  EXPECT_EQ(id_of(v2->match(get("/a/x"))), 2U);
  EXPECT_EQ(table.version(), 2U);
}

TEST(RcuTable, RetiredVersionLivesExactlyAsLongAsItsLastReader) {
  const std::vector<route> small{path_route(1, "/a")};
  const std::vector<route> big{path_route(1, "/a"), path_route(2, "/b"), path_route(3, "/c/d"), path_route(4, "/e")};
  rcu_table<> table(small);
  const std::size_t small_bytes = radix_router(small).bytes();
  const std::size_t big_bytes = radix_router(big).bytes();
  EXPECT_EQ(table.bytes_held(), small_bytes);

  auto reader_a = table.snapshot();
  auto reader_b = table.snapshot();
  table.publish(big);
  EXPECT_EQ(table.versions_alive(), 2U);
  EXPECT_EQ(table.bytes_held(), small_bytes + big_bytes);
  EXPECT_EQ(table.retired_versions(), std::vector<std::uint64_t>{1});

  reader_a.reset();
  EXPECT_EQ(table.versions_alive(), 2U);  // reader_b still holds version 1
  reader_b.reset();
  EXPECT_EQ(table.versions_alive(), 1U);
  EXPECT_EQ(table.bytes_held(), big_bytes);

  // An unheld version is freed at the swap itself.
  table.publish(small);
  EXPECT_EQ(table.versions_alive(), 1U);
  EXPECT_EQ(table.bytes_held(), small_bytes);
}

TEST(RcuTable, LongReadersPinEveryVersionTheySpan) {
  rcu_table<> table({path_route(1, "/a")});
  std::vector<rcu_table<>::snapshot_type> long_requests;
  for (std::uint32_t v = 2; v <= 5; ++v) {
    long_requests.push_back(table.snapshot());
    table.publish({path_route(v, "/a")});
  }
  EXPECT_EQ(table.versions_alive(), 5U);
  EXPECT_EQ(table.retired_versions(), (std::vector<std::uint64_t>{1, 2, 3, 4}));
  long_requests.erase(long_requests.begin() + 1);  // the request on version 2 ends
  EXPECT_EQ(table.retired_versions(), (std::vector<std::uint64_t>{1, 3, 4}));
}

TEST(RcuTable, ApplyBuildsFromCurrentSetPlusChanges) {
  rcu_table<> table({path_route(1, "/a"), path_route(2, "/b")});
  const std::vector<route_change> batch{route_change::update(path_route(1, "/x")), route_change::remove(2),
                                        route_change::add(path_route(3, "/b"))};
  EXPECT_EQ(table.apply(batch), 2U);
  const auto snap = table.snapshot();
  EXPECT_EQ(id_of(snap->match(get("/a"))), 0U);
  EXPECT_EQ(id_of(snap->match(get("/x"))), 1U);
  EXPECT_EQ(id_of(snap->match(get("/b"))), 3U);
  ASSERT_EQ(table.routes().size(), 2U);
  EXPECT_EQ(table.routes()[1].id, 3U);
}

TEST(RcuTable, FailedWriteChangesNothing) {
  rcu_table<> table({path_route(1, "/a")});
  const auto before = table.snapshot();
  // Second change is invalid: the whole batch is rejected.
  const std::vector<route_change> batch{route_change::add(path_route(2, "/b")), route_change::remove(7)};
  EXPECT_THROW(table.apply(batch), std::invalid_argument);
  // A path regex that does not compile is rejected by the router build.
  EXPECT_THROW(table.apply(std::vector<route_change>{route_change::add(path_route(3, "/(unclosed"))}),
               std::invalid_argument);
  EXPECT_THROW(table.publish({path_route(4, "/a"), path_route(4, "/b")}), std::invalid_argument);
  EXPECT_EQ(table.version(), 1U);
  EXPECT_EQ(table.snapshot(), before);
  EXPECT_EQ(table.routes().size(), 1U);
  // The next successful write takes the next number.
  EXPECT_EQ(table.apply(std::vector<route_change>{route_change::add(path_route(2, "/b"))}), 2U);
}

TEST(RcuTable, ConcurrentReadersAlwaysSeeOneWholeVersion) {
  // Version v holds exactly one route, id v, on "/": a snapshot whose match
  // is not its own number would be a torn or mixed table.
  rcu_table<> table({path_route(1, "/")});
  constexpr std::uint32_t versions = 200;
  std::atomic<bool> done{false};
  std::atomic<std::uint64_t> bad{0};
  auto reader = [&] {
    const request q = get("/x");
    while (!done.load(std::memory_order_acquire)) {
      const auto snap = table.snapshot();
      if (id_of(snap->match(q)) != snap->number) bad.fetch_add(1);
    }
  };
  std::thread r1(reader);
  for (std::uint32_t v = 2; v <= versions; ++v) table.publish({path_route(v, "/")});
  done.store(true, std::memory_order_release);
  r1.join();
  EXPECT_EQ(bad.load(), 0U);
  EXPECT_EQ(table.version(), versions);
  EXPECT_EQ(table.versions_alive(), 1U);
}

// ---------------------------------------------------------------- double_buffer

TEST(DoubleBuffer, PreparedVersionIsInvisibleUntilCommit) {
  double_buffer<> table({path_route(1, "/a")});
  EXPECT_EQ(table.active_version(), 1U);
  EXPECT_EQ(table.prepared_version(), 0U);
  EXPECT_EQ(table.prepare(std::vector<route_change>{route_change::update(path_route(1, "/b"))}), 2U);
  EXPECT_EQ(table.prepared_version(), 2U);
  EXPECT_EQ(table.active_version(), 1U);
  ASSERT_TRUE(table.match(get("/a")).has_value());
  EXPECT_EQ(table.match(get("/a"))->id, 1U);
  EXPECT_FALSE(table.match(get("/b")).has_value());

  EXPECT_EQ(table.commit(), 2U);
  EXPECT_EQ(table.active_version(), 2U);
  EXPECT_EQ(table.prepared_version(), 0U);
  EXPECT_FALSE(table.match(get("/a")).has_value());
  EXPECT_EQ(table.match(get("/b"))->id, 1U);
  EXPECT_EQ(table.read([](const radix_router& r, std::uint64_t v) { return id_of(r.match(get("/b"))) * 10 + v; }),
            12U);
}

TEST(DoubleBuffer, HoldsBothSlotsWhilePreparedAndFreesTheOldAtCommit) {
  const std::vector<route> small{path_route(1, "/a")};
  const std::vector<route> big{path_route(1, "/a"), path_route(2, "/b"), path_route(3, "/c/d")};
  const std::size_t small_bytes = radix_router(small).bytes();
  const std::size_t big_bytes = radix_router(big).bytes();
  double_buffer<> table(small);
  EXPECT_EQ(table.bytes_held(), small_bytes);
  table.prepare(std::vector<route_change>{route_change::add(big[1]), route_change::add(big[2])});
  EXPECT_EQ(table.bytes_held(), small_bytes + big_bytes);
  table.commit();
  EXPECT_EQ(table.bytes_held(), big_bytes);
  EXPECT_EQ(table.routes().size(), 3U);
}

TEST(DoubleBuffer, AbortDiscardsAndNumbersAreNotReused) {
  double_buffer<> table({path_route(1, "/a")});
  const std::size_t bytes = table.bytes_held();
  EXPECT_FALSE(table.abort());  // nothing to discard
  EXPECT_EQ(table.prepare(std::vector<route_change>{route_change::remove(1)}), 2U);
  EXPECT_TRUE(table.abort());
  EXPECT_EQ(table.prepared_version(), 0U);
  EXPECT_EQ(table.bytes_held(), bytes);
  EXPECT_EQ(table.match(get("/a"))->id, 1U);
  EXPECT_EQ(table.prepare(std::vector<route_change>{route_change::add(path_route(2, "/b"))}), 3U);
  EXPECT_EQ(table.commit(), 3U);
  EXPECT_EQ(table.routes().size(), 2U);  // built from version 1's set, not the aborted one
}

TEST(DoubleBuffer, OutOfOrderCallsAndBadChangesThrowAndChangeNothing) {
  double_buffer<> table({path_route(1, "/a")});
  EXPECT_THROW(table.commit(), std::logic_error);
  EXPECT_THROW(table.prepare(std::vector<route_change>{route_change::remove(5)}), std::invalid_argument);
  EXPECT_EQ(table.prepared_version(), 0U);
  EXPECT_EQ(table.prepare(std::vector<route_change>{route_change::remove(1)}), 2U);
  try {
    table.prepare(std::vector<route_change>{});
    ADD_FAILURE() << "prepare while version 2 is pending must throw";
  } catch (const std::logic_error& e) {
    EXPECT_NE(std::string(e.what()).find("version 2 is already prepared"), std::string::npos) << e.what();
  }
  EXPECT_EQ(table.prepared_version(), 2U);  // the pending version is kept, not replaced
  EXPECT_EQ(table.commit(), 2U);
  EXPECT_THROW(table.commit(), std::logic_error);
  EXPECT_FALSE(table.match(get("/a")).has_value());
}

// ---------------------------------------------------------------- property

/// A batch of valid changes against `set` (updated as it goes), with fresh
/// ids taken from `next_id`.
std::vector<route_change> gen_batch(route_set& set, std::uint32_t& next_id) {
  namespace tg = gwsim::router::testgen;
  std::vector<route_change> batch;
  const auto n = *rc::gen::inRange<std::size_t>(1, 5);
  for (std::size_t i = 0; i < n; ++i) {
    const int kind = set.empty() ? 0 : *rc::gen::inRange(0, 3);
    if (kind == 0) {
      route r = *tg::gen_route();
      r.id = next_id++;
      set.emplace(r.id, r);
      batch.push_back(route_change::add(std::move(r)));
      continue;
    }
    auto it = set.begin();
    std::advance(it, static_cast<std::ptrdiff_t>(*rc::gen::inRange<std::size_t>(0, set.size())));
    const std::uint32_t id = it->first;
    if (kind == 1) {
      set.erase(it);
      batch.push_back(route_change::remove(id));
    } else {
      route r = *tg::gen_route();
      r.id = id;
      it->second = r;
      batch.push_back(route_change::update(std::move(r)));
    }
  }
  return batch;
}

/// Matches of `version` and of a fresh reference_matcher over `expected` agree
/// on requests aimed at the expected routes.
template <class MatchId>
void check_against_reference(const route_set& expected, MatchId&& match_id, const char* what) {
  const auto routes = gwsim::router::routes_of(expected);
  const reference_matcher ref(routes);
  const auto requests = *rc::gen::container<std::vector<request>>(*rc::gen::inRange<std::size_t>(1, 20),
                                                                  gwsim::router::testgen::gen_request(routes));
  for (const auto& q : requests) {
    const std::uint32_t got = match_id(q);
    const std::uint32_t want = id_of(ref.match(q));
    if (got != want) {
      RC_FAIL(std::string(what) + ": route " + std::to_string(got) + ", reference says " + std::to_string(want) +
              " for path " + q.path + " host " + q.host);
    }
  }
}

}  // namespace

RC_GTEST_PROP(VersionedRouters, MatchLikeFreshReferenceAfterAnyChangeBatches, ()) {
  const auto initial = *gwsim::router::testgen::gen_routes();
  route_set rcu_model = gwsim::router::make_route_set(initial);
  route_set db_model = rcu_model;
  std::uint32_t next_id = static_cast<std::uint32_t>(initial.size()) + 1;
  rcu_table<> rcu(initial);
  double_buffer<> db(initial);
  std::uint64_t rcu_version = 1;
  std::uint64_t db_numbers = 1;

  const auto steps = *rc::gen::inRange(1, 7);
  for (int step = 0; step < steps; ++step) {
    // RCU: the snapshot taken before the write keeps answering as before it.
    const auto held = rcu.snapshot();
    const route_set before = rcu_model;
    const auto rcu_batch = gen_batch(rcu_model, next_id);
    RC_ASSERT(rcu.apply(rcu_batch) == ++rcu_version);
    RC_ASSERT(rcu.versions_alive() == 2U);
    check_against_reference(rcu_model, [&](const request& q) { return id_of(rcu.snapshot()->match(q)); }, "rcu");
    check_against_reference(before, [&](const request& q) { return id_of(held->match(q)); }, "held snapshot");

    // Double buffer: the active version answers as before until commit; a
    // random abort leaves it in place.
    route_set prepared = db_model;
    const auto db_batch = gen_batch(prepared, next_id);
    RC_ASSERT(db.prepare(db_batch) == ++db_numbers);
    check_against_reference(db_model, [&](const request& q) { return db.match(q) ? db.match(q)->id : 0U; },
                            "double buffer before commit");
    if (*rc::gen::weightedElement<bool>({{1, true}, {3, false}})) {
      RC_ASSERT(db.abort());
    } else {
      RC_ASSERT(db.commit() == db_numbers);
      db_model = std::move(prepared);
    }
    RC_ASSERT(db.active_version() <= db_numbers);
    check_against_reference(db_model, [&](const request& q) { return db.match(q) ? db.match(q)->id : 0U; },
                            "double buffer");
  }
  RC_ASSERT(rcu.routes().size() == rcu_model.size());
  RC_ASSERT(db.routes().size() == db_model.size());
}
