// Model files: defaults, every field, and bad input that must name the field
// and its allowed values instead of crashing or checking another model.

#include "models/check/model_file.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

namespace {

using gwsim::check::fault;
using gwsim::check::model;
using gwsim::check::model_error;
using gwsim::check::parse_model;
using gwsim::check::strategy;

/// The message of the model_error that parsing `text` throws (fails the test
/// when nothing is thrown).
std::string error_of(const std::string& text, std::string* field = nullptr) {
  try {
    parse_model(text, "m.toml");
  } catch (const model_error& e) {
    if (field != nullptr) *field = e.field();
    return e.what();
  }
  ADD_FAILURE() << "no error for:\n" << text;
  return {};
}

TEST(ModelFile, EmptyModelTableKeepsDefaults) {
  const model m = parse_model("[model]\n");
  const model d;
  EXPECT_EQ(m.strategy, d.strategy);
  EXPECT_EQ(m.workers, d.workers);
  EXPECT_EQ(m.versions, d.versions);
  EXPECT_EQ(m.limit, d.limit);
  EXPECT_EQ(m.fault, fault::none);
  EXPECT_TRUE(m.symmetry);
}

TEST(ModelFile, ReadsEveryField) {
  const model m = parse_model(R"(
[model]
strategy = "double_buffer"
workers = 3
versions = 2
limit = 40
base = 2
router = 3
cache = 0
delta = 2
gc_pause = 150
fault = "respawn_at_version_zero"
symmetry = false
max_states = 1000
)");
  EXPECT_EQ(m.strategy, strategy::double_buffer);
  EXPECT_EQ(m.workers, 3);
  EXPECT_EQ(m.versions, 2);
  EXPECT_EQ(m.limit, 40);
  EXPECT_EQ(m.base, 2);
  EXPECT_EQ(m.router, 3);
  EXPECT_EQ(m.cache, 0);
  EXPECT_EQ(m.delta, 2);
  EXPECT_EQ(m.gc_pause, 150);
  EXPECT_EQ(m.fault, fault::respawn_at_version_zero);
  EXPECT_FALSE(m.symmetry);
  EXPECT_EQ(m.max_states, 1000);
}

TEST(ModelFile, OutOfRangeIntegerNamesFieldAndRange) {
  std::string field;
  const std::string msg = error_of("[model]\nworkers = 5\n", &field);
  EXPECT_EQ(field, "model.workers");
  EXPECT_NE(msg.find("model.workers = 5 is invalid: must be an integer in [1, 3]"), std::string::npos) << msg;
  EXPECT_NE(msg.find("m.toml:2:"), std::string::npos) << "the position is given: " << msg;
  EXPECT_NE(error_of("[model]\nversions = 0\n").find("model.versions = 0 is invalid: must be an integer in [1, 3]"),
            std::string::npos);
  EXPECT_NE(error_of("[model]\nlimit = 256\n").find("model.limit = 256 is invalid: must be an integer in [1, 255]"),
            std::string::npos);
  EXPECT_NE(error_of("[model]\nrouter = 0\n").find("model.router = 0 is invalid: must be an integer in [1, 8]"),
            std::string::npos);
  EXPECT_NE(error_of("[model]\ngc_pause = 50\n").find("must be an integer in [100, 1000]"), std::string::npos);
  EXPECT_NE(error_of("[model]\nworkers = 99999999999999\n").find("model.workers = 99999999999999 is invalid"),
            std::string::npos);
}

TEST(ModelFile, WrongTypesNameTheField) {
  EXPECT_NE(error_of("[model]\nworkers = \"two\"\n").find("model.workers = \"two\" is invalid: must be an integer"),
            std::string::npos);
  EXPECT_NE(error_of("[model]\nworkers = 2.0\n").find("model.workers = 2.0 is invalid: must be an integer"),
            std::string::npos);
  EXPECT_NE(error_of("[model]\nsymmetry = 1\n").find("model.symmetry = 1 is invalid: must be true or false"),
            std::string::npos);
  EXPECT_NE(error_of("[model]\nstrategy = 3\n").find("model.strategy = 3 is invalid: must be one of: full_rebuild"),
            std::string::npos);
}

TEST(ModelFile, UnknownStrategyListsChoicesAndSuggests) {
  std::string field;
  const std::string msg = error_of("[model]\nstrategy = \"ful_rebuild\"\n", &field);
  EXPECT_EQ(field, "model.strategy");
  EXPECT_NE(msg.find("model.strategy = \"ful_rebuild\" is invalid: must be one of: full_rebuild, incremental, "
                     "shared_rcu, double_buffer"),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find("did you mean full_rebuild?"), std::string::npos) << msg;
  /// Simulator strategies that the checker does not model are rejected too.
  EXPECT_NE(error_of("[model]\nstrategy = \"lazy\"\n").find("must be one of"), std::string::npos);
  EXPECT_NE(error_of("[model]\nfault = \"sometimes\"\n").find("model.fault = \"sometimes\" is invalid"),
            std::string::npos);
}

TEST(ModelFile, UnknownKeysAndTablesAreErrors) {
  std::string field;
  const std::string msg = error_of("[model]\nwokers = 2\n", &field);
  EXPECT_EQ(field, "model.wokers");
  EXPECT_NE(msg.find("model.wokers is not a known field"), std::string::npos) << msg;
  EXPECT_NE(msg.find("did you mean model.workers?"), std::string::npos) << msg;
  EXPECT_NE(error_of("[model]\n[traffic]\nrate = 1\n").find("unknown key or table 'traffic'"), std::string::npos);
  EXPECT_NE(error_of("workers = 2\n").find("unknown key or table 'workers'"), std::string::npos);
  EXPECT_NE(error_of("model = 3\n").find("model must be a table"), std::string::npos);
  EXPECT_NE(error_of("# nothing\n").find("no [model] table"), std::string::npos);
}

TEST(ModelFile, SyntaxErrorsGivePosition) {
  const std::string msg = error_of("[model]\nworkers = = 2\n");
  EXPECT_NE(msg.find("m.toml:2:"), std::string::npos) << msg;
}

TEST(ModelFile, MissingFileIsAModelError) {
  EXPECT_THROW(gwsim::check::load_model("/nonexistent/model.toml"), model_error);
}

TEST(ModelFile, ValidateRejectsBadModelsBuiltInCode) {
  model m;
  m.workers = 0;
  EXPECT_THROW(gwsim::check::validate(m), model_error);
  m = model{};
  m.strategy = static_cast<strategy>(9);
  EXPECT_THROW(gwsim::check::validate(m), model_error);
}

}  // namespace
