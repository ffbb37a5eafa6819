// Duration and size parsing: every accepted form, the edge cases, and that
// formatted values read back.

#include "models/gateway/units.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cmath>
#include <stdexcept>
#include <string>

namespace gwsim::gateway {
namespace {

std::string error_of(auto&& f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(ParseDuration, EveryUnit) {
  EXPECT_EQ(parse_duration_s("250ms", "f"), 0.25);
  EXPECT_EQ(parse_duration_s("5s", "f"), 5.0);
  EXPECT_EQ(parse_duration_s("1.5m", "f"), 90.0);
  EXPECT_EQ(parse_duration_s("2min", "f"), 120.0);
  EXPECT_EQ(parse_duration_s("1h", "f"), 3600.0);
  EXPECT_EQ(parse_duration_s("10us", "f"), 10e-6);
  EXPECT_EQ(parse_duration_s("10\u00b5s", "f"), 10e-6);
  EXPECT_EQ(parse_duration_s("100ns", "f"), 100e-9);
  EXPECT_EQ(parse_duration_s("7", "f"), 7.0);
  EXPECT_EQ(parse_duration_s("0.004", "f"), 0.004);
}

TEST(ParseDuration, DecimalUnitsRoundOnceLikeTheLiteral) {
  // 0.3 * 0.001 != 0.0003 in doubles; the parser must give the literal.
  EXPECT_EQ(parse_duration_s("0.3ms", "f"), 0.0003);
  EXPECT_EQ(parse_duration_s("4ms", "f"), 0.004);
  EXPECT_EQ(parse_duration_s("2us", "f"), 0.000002);
  EXPECT_EQ(parse_duration_s("1e3ms", "f"), 1.0);
  EXPECT_EQ(parse_duration_s("1.5e-3s", "f"), 0.0015);
  EXPECT_EQ(parse_duration_s("2E+2ms", "f"), 0.2);
}

TEST(ParseDuration, WhitespaceSignsAndForms) {
  EXPECT_EQ(parse_duration_s("  250 ms ", "f"), 0.25);
  EXPECT_EQ(parse_duration_s("+5s", "f"), 5.0);
  EXPECT_EQ(parse_duration_s("-5s", "f"), -5.0);  // validate() rejects it where it matters
  EXPECT_EQ(parse_duration_s(".5s", "f"), 0.5);
  EXPECT_EQ(parse_duration_s("0", "f"), 0.0);
  EXPECT_EQ(parse_duration_s("5.", "f"), 5.0);
}

TEST(ParseDuration, RejectsWithFieldAndText) {
  const std::string e = error_of([] { parse_duration_s("5 sec", "traffic.on_s"); });
  EXPECT_NE(e.find("traffic.on_s"), std::string::npos) << e;
  EXPECT_NE(e.find("\"5 sec\""), std::string::npos) << e;
  EXPECT_NE(e.find("unknown unit \"sec\""), std::string::npos) << e;

  for (const char* bad : {"",   "   ", "s",   "ms",  "abc",  "5 s s", "5ss",    "1e",    "--5s", "+-5s",  "5MS",
                          "5M", "1d",  "nan", "inf", "infs", "-inf",  "1e400s", "0x10s", "5,0s", "5_000s"}) {
    EXPECT_THROW(parse_duration_s(bad, "x"), std::invalid_argument) << bad;
  }
  EXPECT_NE(error_of([] { parse_duration_s("nan", "x"); }).find("finite"), std::string::npos);
}

TEST(ParseSize, EveryUnit) {
  EXPECT_EQ(parse_size_bytes("4GiB", "f"), 4.0 * (1 << 30));
  EXPECT_EQ(parse_size_bytes("512MiB", "f"), 512.0 * (1 << 20));
  EXPECT_EQ(parse_size_bytes("64KiB", "f"), 64.0 * 1024);
  EXPECT_EQ(parse_size_bytes("2TiB", "f"), 2.0 * 1024 * 1024 * 1024 * 1024);
  EXPECT_EQ(parse_size_bytes("4Gi", "f"), 4.0 * (1 << 30));
  EXPECT_EQ(parse_size_bytes("128Mi", "f"), 128.0 * (1 << 20));
  EXPECT_EQ(parse_size_bytes("1.5GB", "f"), 1.5e9);
  EXPECT_EQ(parse_size_bytes("100kB", "f"), 100e3);
  EXPECT_EQ(parse_size_bytes("100KB", "f"), 100e3);
  EXPECT_EQ(parse_size_bytes("3MB", "f"), 3e6);
  EXPECT_EQ(parse_size_bytes("1TB", "f"), 1e12);
  EXPECT_EQ(parse_size_bytes("100B", "f"), 100.0);
  EXPECT_EQ(parse_size_bytes("100", "f"), 100.0);
  EXPECT_EQ(parse_size_bytes("0.5 KiB", "f"), 512.0);
  EXPECT_EQ(parse_size_bytes("1.1MB", "f"), 1.1e6);
}

TEST(ParseSize, RejectsAmbiguousAndUnknownUnits) {
  for (const char* bad :
       {"4G", "4M", "4K", "4k", "4gb", "4mb", "4 gib", "4b", "4 bytes", "GiB", "", "1e999GiB", "nanGiB"}) {
    EXPECT_THROW(parse_size_bytes(bad, "x"), std::invalid_argument) << bad;
  }
  const std::string e = error_of([] { parse_size_bytes("4G", "cluster.pod_memory_limit_bytes"); });
  EXPECT_NE(e.find("cluster.pod_memory_limit_bytes"), std::string::npos) << e;
  EXPECT_NE(e.find("\"4G\""), std::string::npos) << e;
  EXPECT_NE(e.find("GiB"), std::string::npos) << e;  // lists what is accepted
}

TEST(FormatDuration, PicksAReadableUnit) {
  EXPECT_EQ(format_duration(0.25), "250 ms");
  EXPECT_EQ(format_duration(5.0), "5 s");
  EXPECT_EQ(format_duration(0.0), "0 s");
  EXPECT_EQ(format_duration(-0.0), "0 s");
  EXPECT_EQ(format_duration(0.004), "4 ms");
  EXPECT_EQ(format_duration(2e-6), "2 us");
  EXPECT_EQ(format_duration(100e-9), "100 ns");
  EXPECT_EQ(format_duration(90.0), "90 s");
  EXPECT_EQ(format_duration(100.0), "100 s");
  EXPECT_EQ(format_duration(300.0), "5 min");
  EXPECT_EQ(format_duration(7200.0), "2 h");
  EXPECT_EQ(format_duration(0.0015), "1.5 ms");
  EXPECT_EQ(format_duration(-0.25), "-250 ms");
}

TEST(FormatSize, BinaryUnits) {
  EXPECT_EQ(format_size(4.0 * (1 << 30)), "4 GiB");
  EXPECT_EQ(format_size(512.0 * (1 << 20)), "512 MiB");
  EXPECT_EQ(format_size(16.0 * 1024), "16 KiB");
  EXPECT_EQ(format_size(100.0), "100 B");
  EXPECT_EQ(format_size(0.0), "0 B");
  EXPECT_EQ(format_size(1536.0), "1.5 KiB");
  EXPECT_EQ(format_size(1024.0), "1 KiB");
  EXPECT_EQ(format_size(3.0 * 1024 * 1024 * 1024 * 1024), "3 TiB");
}

TEST(FormatNumber, ShortestRoundTrip) {
  EXPECT_EQ(format_number(-1.0), "-1");
  EXPECT_EQ(format_number(0.004), "0.004");
  EXPECT_EQ(format_number(200.0), "200");
  EXPECT_EQ(format_number(1e6), "1000000");
  EXPECT_EQ(format_number(-0.0), "-0");
  EXPECT_EQ(format_number(1e20), "1e+20");
  EXPECT_EQ(std::stod(format_number(0.1 + 0.2)), 0.1 + 0.2);
}

RC_GTEST_PROP(Units, FormattedDurationsReadBackWithinSixDigits, ()) {
  const double s = *rc::gen::map(rc::gen::inRange(-1'000'000'000, 1'000'000'000), [](int i) { return i * 1e-6; });
  const double back = parse_duration_s(format_duration(s), "x");
  RC_ASSERT(std::fabs(back - s) <= 1e-5 * std::fabs(s) + 1e-300);
}

RC_GTEST_PROP(Units, FormattedSizesReadBackWithinSixDigits, ()) {
  const double b = *rc::gen::map(rc::gen::inRange(0, 1'000'000'000), [](int i) { return i * 37.0; });
  const double back = parse_size_bytes(format_size(b), "x");
  RC_ASSERT(std::fabs(back - b) <= 1e-5 * b);
}

RC_GTEST_PROP(Units, PlainNumbersAreSeconds, (int milli)) {
  const double s = milli / 1000.0;
  RC_ASSERT(parse_duration_s(format_number(s), "x") == s);
  RC_ASSERT(parse_size_bytes(format_number(s), "x") == s);
}

}  // namespace
}  // namespace gwsim::gateway
