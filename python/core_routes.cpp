/// gwsim._core's route-file bindings: import a Kong declarative configuration
/// or an OpenAPI document, summarise it, and ask one of the C++ routers which
/// route a request selects. The command line on top is python/gwsim/routes.py.

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "models/router/import_routes.hpp"
#include "models/router/incremental_router.hpp"
#include "models/router/radix_router.hpp"
#include "models/router/reference_matcher.hpp"
#include "models/router/route.hpp"
#include "models/router/sharded_router.hpp"
#include "models/router/traditional_router.hpp"

namespace py = pybind11;
namespace gr = gwsim::router;

namespace {

/// A built router, reduced to its match function (it owns the router).
using matcher = std::function<const gr::route*(const gr::request&)>;

template <class Router>
matcher make_matcher(std::vector<gr::route> routes) {
  auto router = std::make_shared<Router>(std::move(routes));
  return [router](const gr::request& req) { return router->match(req); };
}

/// The routers `match` can use, by name: one line per router.
struct router_kind {
  const char* name;
  matcher (*build)(std::vector<gr::route>);
};
const router_kind router_table[] = {
    {"reference", &make_matcher<gr::reference_matcher>},
    {"traditional", &make_matcher<gr::traditional_router>},
    {"radix", &make_matcher<gr::radix_router>},
    {"incremental", &make_matcher<gr::incremental_router>},
    {"sharded", &make_matcher<gr::sharded_router>},
};

std::vector<std::string> router_names() {
  std::vector<std::string> names;
  for (const router_kind& k : router_table) {
    names.emplace_back(k.name);
  }
  return names;
}

py::object name_or_none(const std::string& s) {
  return s.empty() ? py::object(py::none()) : py::object(py::str(s));
}

/// An imported route file plus the routers built for it so far.
class route_set {
 public:
  route_set(const std::string& path, const std::string& format, const std::string& openapi_paths) {
    gr::import_options options;
    options.format = gr::parse_route_file_format(format);
    options.openapi_paths = gr::parse_openapi_path_mode(openapi_paths);
    set_ = gr::import_route_file(path, options);
    for (std::size_t i = 0; i < set_.routes.size(); ++i) {
      index_by_id_.emplace(set_.routes[i].id, i);
    }
  }

  [[nodiscard]] const std::string& format() const { return set_.format; }
  [[nodiscard]] const std::vector<std::string>& warnings() const { return set_.warnings; }

  [[nodiscard]] std::string service_name(std::uint32_t id) const {
    for (const gr::imported_service& s : set_.services) {
      if (s.id == id) {
        return s.name.empty() ? s.key : s.name;
      }
    }
    return {};
  }

  [[nodiscard]] py::dict stats() const {
    std::size_t paths = 0;
    std::size_t regex_paths = 0;
    std::size_t hosts = 0;
    std::size_t wildcard_hosts = 0;
    std::size_t header_rules = 0;
    std::size_t snis = 0;
    std::size_t without_service = 0;
    std::map<std::string, std::size_t> methods;
    for (const gr::route& r : set_.routes) {
      paths += r.paths.size();
      for (const std::string& p : r.paths) {
        regex_paths += gr::is_regex_path(p) ? 1U : 0U;
      }
      hosts += r.hosts.size();
      for (const std::string& h : r.hosts) {
        wildcard_hosts += h.find('*') != std::string::npos ? 1U : 0U;
      }
      header_rules += r.headers.size();
      snis += r.snis.size();
      without_service += r.service == 0 ? 1U : 0U;
      std::set<std::string> seen;
      for (const std::string& m : r.methods) {
        if (seen.insert(gr::ascii_upper(m)).second) {
          ++methods[gr::ascii_upper(m)];
        }
      }
    }
    py::dict out;
    out["format"] = set_.format;
    out["routes"] = set_.routes.size();
    out["services"] = set_.services.size();
    out["routes_without_service"] = without_service;
    out["plugins"] = set_.plugins;
    out["paths"] = paths;
    out["regex_paths"] = regex_paths;
    out["prefix_paths"] = paths - regex_paths;
    out["hosts"] = hosts;
    out["plain_hosts"] = hosts - wildcard_hosts;
    out["wildcard_hosts"] = wildcard_hosts;
    out["methods"] = methods;
    out["header_rules"] = header_rules;
    out["snis"] = snis;
    out["warnings"] = set_.warnings;
    return out;
  }

  [[nodiscard]] py::list routes() const {
    py::list out;
    for (std::size_t i = 0; i < set_.routes.size(); ++i) {
      const gr::route& r = set_.routes[i];
      py::dict d;
      d["id"] = r.id;
      d["name"] = name_or_none(set_.route_names[i]);
      d["key"] = name_or_none(set_.route_keys[i]);
      d["service"] = name_or_none(service_name(r.service));
      d["hosts"] = r.hosts;
      d["paths"] = r.paths;
      d["methods"] = r.methods;
      d["headers"] = r.headers;
      d["snis"] = r.snis;
      d["regex_priority"] = r.regex_priority;
      d["created_at"] = r.created_at;
      out.append(std::move(d));
    }
    return out;
  }

  [[nodiscard]] py::object match(const std::string& router, const std::string& method, const std::string& host,
                                 const std::string& path,
                                 const std::vector<std::pair<std::string, std::string>>& headers,
                                 const std::string& sni, const std::string& scheme) {
    gr::request req;
    req.method = method;
    req.host = host;
    req.path = path;
    req.headers = headers;
    req.sni = sni;
    req.scheme = scheme;
    const gr::route* r = router_for(router)(req);
    if (r == nullptr) {
      return py::none();
    }
    const std::size_t i = index_by_id_.at(r->id);
    py::dict d;
    d["name"] = name_or_none(set_.route_names[i]);
    d["id"] = r->id;
    d["service"] = name_or_none(service_name(r->service));
    return d;
  }

 private:
  matcher& router_for(const std::string& name) {
    if (const auto it = routers_.find(name); it != routers_.end()) {
      return it->second;
    }
    for (const router_kind& k : router_table) {
      if (name == k.name) {
        return routers_.emplace(name, k.build(set_.routes)).first->second;
      }
    }
    std::string known;
    for (const std::string& n : router_names()) {
      known += (known.empty() ? "" : ", ") + n;
    }
    throw std::invalid_argument("unknown router \"" + name + "\" (known: " + known + ")");
  }

  gr::imported_routes set_;
  std::unordered_map<std::uint32_t, std::size_t> index_by_id_;
  std::map<std::string, matcher> routers_;
};

}  // namespace

/// Adds RouteSet and route_routers() to the module.
void bind_routes(py::module_& m) {
  py::class_<route_set>(m, "RouteSet", "A route file imported by the C++ importers, with routers built on demand.")
      .def(py::init<const std::string&, const std::string&, const std::string&>(), py::arg("path"),
           py::arg("format") = "auto", py::arg("openapi_paths") = "regex",
           R"(Import a route file.

``format`` is "auto" (Kong when the document has ``_format_version``, OpenAPI
when it has ``openapi``), "kong" or "openapi"; ``openapi_paths`` is "regex"
or "prefix". Raises ValueError with ``FILE:LINE:COLUMN: reason``.)")
      .def_property_readonly("format", &route_set::format, "The detected format, e.g. \"kong 2.1\".")
      .def_property_readonly("warnings", &route_set::warnings, "Import warnings, each FILE:LINE:COLUMN: text.")
      .def("stats", &route_set::stats, "Counts of what was imported (routes, paths, hosts, methods, ...).")
      .def("routes", &route_set::routes, "Every route as a dict, in document order.")
      .def("match", &route_set::match, py::arg("router"), py::arg("method") = "GET", py::arg("host") = "",
           py::arg("path") = "/", py::arg("headers") = std::vector<std::pair<std::string, std::string>>{},
           py::arg("sni") = "", py::arg("scheme") = "http",
           "The route the named router selects, as {name, id, service}, or None. "
           "Raises ValueError for an unknown router.");
  m.def("route_routers", &router_names, "Names of the routers RouteSet.match accepts.");
}
