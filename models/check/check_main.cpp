// gwsim_check: exhaustive small-scope check of the router-rebuild protocol.
//
//   gwsim_check MODEL.toml [--json]
//
// Exit status: 0 when every property holds, 1 when one is violated (its
// shortest trace is printed), 2 on bad input (the message names the field).

#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "models/check/checker.hpp"
#include "models/check/model_file.hpp"
#include "models/check/report_format.hpp"

namespace {

void usage(std::ostream& o) {
  o << "usage: gwsim_check MODEL.toml [--json]\n"
       "  explores every interleaving of the model in MODEL.toml (see scenarios/check/README.md)\n"
       "  and checks memory, no_write_lost, monotone and convergence.\n"
       "  --json   print the report as JSON instead of text\n"
       "exit status: 0 all properties hold, 1 a property is violated, 2 bad input\n";
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  std::string path;
  bool json = false;
  for (const std::string& a : args) {
    if (a == "-h" || a == "--help") {
      usage(std::cout);
      return 0;
    }
    if (a == "--json") {
      json = true;
    } else if (!a.empty() && a[0] == '-') {
      std::cerr << "gwsim_check: unknown option " << a << "\n";
      usage(std::cerr);
      return 2;
    } else if (path.empty()) {
      path = a;
    } else {
      std::cerr << "gwsim_check: one model file only (got " << path << " and " << a << ")\n";
      return 2;
    }
  }
  if (path.empty()) {
    usage(std::cerr);
    return 2;
  }
  try {
    const gwsim::check::model m = gwsim::check::load_model(path);
    const gwsim::check::report r = gwsim::check::run_check(m);
    if (json) {
      std::cout << gwsim::check::report_json(r).dump(2) << "\n";
    } else {
      std::cout << gwsim::check::report_text(r);
    }
    return r.all_hold() ? 0 : 1;
  } catch (const gwsim::check::model_error& e) {
    std::cerr << "gwsim_check: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "gwsim_check: " << e.what() << "\n";
    return 2;
  }
}
