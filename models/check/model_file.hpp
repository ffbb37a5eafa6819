#pragma once
/// Model files: TOML with one [model] table (see scenarios/check/README.md).
///
/// Missing keys keep the defaults of check::model; unknown keys and tables,
/// wrong types and out-of-range values are model_errors naming the field and
/// what it may be, so that a typo never silently checks a different model.
/// Every load ends with validate().

#include <string>
#include <string_view>

#include "models/check/model.hpp"

namespace gwsim::check {

/// Parses TOML text. `origin` names the source in messages (a path or
/// "<string>").
model parse_model(std::string_view toml_text, std::string_view origin = "<string>");

/// Reads and parses a file; a missing or unreadable file is a model_error too.
model load_model(const std::string& path);

}  // namespace gwsim::check
