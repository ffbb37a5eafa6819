#pragma once
/// A check report as text (for people) and JSON (for scripts and notebooks:
/// flat scalars plus one record per property with its trace).

#include <nlohmann/json.hpp>
#include <string>

#include "models/check/report.hpp"

namespace gwsim::check {

std::string report_text(const report& r);

nlohmann::json report_json(const report& r);

}  // namespace gwsim::check
