// Every model file in scenarios/check is checked here and its verdicts
// compared with the "# expect:" line at its top ("holds", or "violated"
// followed by the properties that must fail, and only those); the README
// lists every file. The checker's strategy names are the simulator's.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "models/check/checker.hpp"
#include "models/check/model.hpp"
#include "models/check/model_file.hpp"
#include "models/check/report_format.hpp"

namespace {

namespace fs = std::filesystem;

fs::path source_root() {
  return fs::path(__FILE__).parent_path() / "../../..";
}

std::string read(const fs::path& p) {
  std::ifstream in(p);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::vector<fs::path> example_files() {
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(source_root() / "scenarios/check")) {
    if (e.path().extension() == ".toml") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

/// The properties an example expects to fail, from "# expect: violated a b".
std::set<std::string> expected_failures(const std::string& text, bool* found) {
  std::istringstream in(text);
  std::string line;
  std::set<std::string> out;
  *found = false;
  while (std::getline(in, line)) {
    if (line.rfind("# expect:", 0) != 0) continue;
    *found = true;
    std::istringstream words(line.substr(9));
    std::string verdict;
    words >> verdict;
    for (std::string w; words >> w;) out.insert(w);
    if (verdict == "holds") {
      EXPECT_TRUE(out.empty()) << line;
    } else {
      EXPECT_EQ(verdict, "violated") << line;
    }
    break;
  }
  return out;
}

TEST(Examples, ThereAreExamples) {
  EXPECT_GE(example_files().size(), 4u);
}

TEST(Examples, VerdictsMatchTheirExpectLine) {
  for (const fs::path& f : example_files()) {
    SCOPED_TRACE(f.filename().string());
    bool found = false;
    const std::set<std::string> expected = expected_failures(read(f), &found);
    ASSERT_TRUE(found) << "no '# expect:' line";
    const gwsim::check::report r = gwsim::check::run_check(gwsim::check::load_model(f.string()));
    std::set<std::string> failed;
    for (const auto& p : r.properties) {
      if (!p.holds) {
        failed.insert(p.name);
        EXPECT_GE(p.trace.size(), 1u) << p.name << " fails without a trace";
      }
    }
    EXPECT_EQ(failed, expected);
    EXPECT_LT(r.seconds, 5.0);
  }
}

TEST(Examples, FullRebuildOomPrintsTheShortTrace) {
  const auto r = gwsim::check::run_check(
      gwsim::check::load_model((source_root() / "scenarios/check/full-rebuild-oom.toml").string()));
  const std::string text = gwsim::check::report_text(r);
  EXPECT_NE(text.find("VIOLATED  memory"), std::string::npos) << text;
  EXPECT_NE(text.find("shortest trace (3 steps)"), std::string::npos) << text;
  EXPECT_NE(text.find("t1: admin write: store at v1 (pod 8/12 units)"), std::string::npos) << text;
  EXPECT_NE(text.find("t2: worker 0 starts rebuild to v1 (pod 11/12 units)"), std::string::npos) << text;
  EXPECT_NE(text.find("t3: worker 1 starts rebuild to v1 (pod 14/12 units)"), std::string::npos) << text;
  EXPECT_NE(text.find("HOLDS     convergence"), std::string::npos) << text;
  EXPECT_NE(text.find("states: 12"), std::string::npos) << text;

  const nlohmann::json j = gwsim::check::report_json(r);
  EXPECT_EQ(j["states"], 12);
  EXPECT_EQ(j["max_pod_memory"], 14);
  EXPECT_FALSE(j["all_hold"].get<bool>());
  EXPECT_EQ(j["properties"][0]["name"], "memory");
  EXPECT_EQ(j["properties"][0]["trace"].size(), 4u);
  EXPECT_EQ(j["model"]["strategy"], "full_rebuild");
}

TEST(Examples, ReadmeListsEveryExample) {
  const std::string readme = read(source_root() / "scenarios/check/README.md");
  ASSERT_FALSE(readme.empty());
  for (const fs::path& f : example_files()) {
    EXPECT_NE(readme.find(f.filename().string()), std::string::npos) << f.filename() << " is not in the README";
  }
  for (const auto name : gwsim::check::strategy_names) {
    EXPECT_NE(readme.find("`" + std::string(name) + "`"), std::string::npos) << name;
  }
}

TEST(Examples, StrategyNamesAreTheSimulators) {
  /// The simulator's registry (models/gateway/strategy.cpp) is read as text:
  /// the checker does not link the simulator.
  const std::string registry = read(source_root() / "models/gateway/strategy.cpp");
  ASSERT_FALSE(registry.empty());
  for (const auto name : gwsim::check::strategy_names) {
    EXPECT_NE(registry.find("{\"" + std::string(name) + "\","), std::string::npos)
        << name << " is not a simulator strategy";
  }
}

}  // namespace
