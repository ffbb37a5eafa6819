/// gwsim._core's route-file bindings: import a Kong declarative configuration
/// or an OpenAPI document (or take a list of route dicts), summarise it, and
/// ask one of the C++ routers which route a request selects; generate the
/// synthetic route sets and request streams the C++ benchmarks use. The
/// command line on top is python/gwsim/routes.py; the nginx testbed's tests
/// (tests/python/test_testbed_router.py) use the synthetic sets and
/// RouteSet.from_routes.

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
#include "models/router/synthetic_routes.hpp"
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

/// A route as the dict RouteSet.routes() gives (headers as a list of
/// (name, values) pairs); `service` is whatever the caller identifies the
/// route's service by (a name, None, or for synthetic sets the numeric id).
py::dict route_dict(const gr::route& r, py::object name, py::object key, py::object service) {
  py::dict d;
  d["id"] = r.id;
  d["name"] = std::move(name);
  d["key"] = std::move(key);
  d["service"] = std::move(service);
  d["hosts"] = r.hosts;
  d["paths"] = r.paths;
  d["methods"] = r.methods;
  d["headers"] = r.headers;
  d["snis"] = r.snis;
  d["regex_priority"] = r.regex_priority;
  d["created_at"] = r.created_at;
  return d;
}

/// A request as a dict: the keys RouteSet.match takes.
py::dict request_dict(const gr::request& req) {
  py::dict d;
  d["method"] = req.method;
  d["host"] = req.host;
  d["path"] = req.path;
  d["headers"] = req.headers;
  d["sni"] = req.sni;
  d["scheme"] = req.scheme;
  return d;
}

/// `obj[key]` as T, or `fallback` when the key is missing or None.
template <class T>
T get_or(const py::dict& obj, const char* key, T fallback) {
  if (!obj.contains(key) || obj[key].is_none()) {
    return fallback;
  }
  try {
    return obj[key].cast<T>();
  } catch (const py::cast_error&) {
    throw std::invalid_argument(std::string("field \"") + key + "\" has the wrong type");
  }
}

/// Header values: one string or a list of strings.
std::vector<std::string> header_values(const py::handle& v) {
  if (py::isinstance<py::str>(v)) {
    return {v.cast<std::string>()};
  }
  return v.cast<std::vector<std::string>>();
}

/// Headers given as a dict {name: values} or as a list of (name, values)
/// pairs, values being one string or a list of strings.
template <class Value>
std::vector<std::pair<std::string, Value>> headers_from(const py::handle& h, Value (*convert)(const py::handle&)) {
  std::vector<std::pair<std::string, Value>> out;
  if (h.is_none()) {
    return out;
  }
  if (py::isinstance<py::dict>(h)) {
    for (const auto& [name, values] : h.cast<py::dict>()) {
      out.emplace_back(py::cast<std::string>(name), convert(values));
    }
    return out;
  }
  for (const py::handle item : h) {
    const auto pair = item.cast<py::sequence>();
    if (pair.size() != 2) {
      throw std::invalid_argument("a header must be a (name, value) pair");
    }
    out.emplace_back(pair[0].cast<std::string>(), convert(pair[1]));
  }
  return out;
}

std::string header_value(const py::handle& v) { return v.cast<std::string>(); }

/// The inverse of route_dict (also accepting headers as a dict): `id` is
/// required; missing lists are empty; `service` counts only when it is an
/// int (names are ignored: the matchers never look at services).
gr::route route_from_dict(const py::handle& item) {
  const auto d = item.cast<py::dict>();
  if (!d.contains("id")) {
    throw std::invalid_argument("a route needs an \"id\"");
  }
  gr::route r;
  r.id = get_or<std::uint32_t>(d, "id", 0);
  const std::string where = "route " + std::to_string(r.id) + ": ";
  try {
    r.hosts = get_or<std::vector<std::string>>(d, "hosts", {});
    r.paths = get_or<std::vector<std::string>>(d, "paths", {});
    r.methods = get_or<std::vector<std::string>>(d, "methods", {});
    r.snis = get_or<std::vector<std::string>>(d, "snis", {});
    if (d.contains("headers")) {
      r.headers = headers_from<std::vector<std::string>>(d["headers"], &header_values);
    }
    r.regex_priority = get_or<int>(d, "regex_priority", 0);
    r.created_at = get_or<std::int64_t>(d, "created_at", 0);
    if (d.contains("service") && py::isinstance<py::int_>(d["service"])) {
      r.service = d["service"].cast<std::uint32_t>();
    }
  } catch (const py::cast_error& err) {
    throw std::invalid_argument(where + err.what());
  } catch (const std::invalid_argument& err) {
    throw std::invalid_argument(where + err.what());
  }
  return r;
}

gr::route_set_config synthetic_config(std::size_t routes, std::uint64_t seed, double regex_fraction,
                                      double host_fraction, double wildcard_host_fraction,
                                      std::size_t distinct_hosts, double header_fraction, double method_fraction) {
  gr::route_set_config c;
  c.routes = routes;
  c.seed = seed;
  c.regex_fraction = regex_fraction;
  c.host_fraction = host_fraction;
  c.wildcard_host_fraction = wildcard_host_fraction;
  c.distinct_hosts = distinct_hosts;
  c.header_fraction = header_fraction;
  c.method_fraction = method_fraction;
  gr::validate(c);
  return c;
}

py::list synthetic_routes(std::size_t routes, std::uint64_t seed, double regex_fraction, double host_fraction,
                          double wildcard_host_fraction, std::size_t distinct_hosts, double header_fraction,
                          double method_fraction) {
  const auto set = gr::generate_routes(synthetic_config(routes, seed, regex_fraction, host_fraction,
                                                        wildcard_host_fraction, distinct_hosts, header_fraction,
                                                        method_fraction));
  py::list out;
  for (const gr::route& r : set) {
    out.append(route_dict(r, py::none(), py::none(), py::int_(r.service)));
  }
  return out;
}

py::list synthetic_requests(std::size_t routes, std::size_t n, std::uint64_t seed, std::uint64_t route_seed,
                            double regex_fraction, double host_fraction, double wildcard_host_fraction,
                            std::size_t distinct_hosts, double header_fraction, double method_fraction,
                            double zipf_s, double miss_fraction) {
  const auto set = gr::generate_routes(synthetic_config(routes, route_seed, regex_fraction, host_fraction,
                                                        wildcard_host_fraction, distinct_hosts, header_fraction,
                                                        method_fraction));
  py::list out;
  for (const gr::request& req : gr::generate_requests(set, n, seed, zipf_s, miss_fraction)) {
    out.append(request_dict(req));
  }
  return out;
}

/// An imported route file plus the routers built for it so far.
class route_set {
 public:
  route_set(const std::string& path, const std::string& format, const std::string& openapi_paths) {
    gr::import_options options;
    options.format = gr::parse_route_file_format(format);
    options.openapi_paths = gr::parse_openapi_path_mode(openapi_paths);
    set_ = gr::import_route_file(path, options);
    index_routes();
  }

  /// A set made of route dicts (see route_from_dict); names and keys empty.
  static route_set from_routes(const py::iterable& routes) {
    route_set out;
    out.set_.format = "routes";
    for (const py::handle item : routes) {
      out.set_.routes.push_back(route_from_dict(item));
      out.set_.route_names.emplace_back();
      out.set_.route_keys.emplace_back();
    }
    out.index_routes();
    if (out.index_by_id_.size() != out.set_.routes.size()) {
      throw std::invalid_argument("route ids must be unique");
    }
    return out;
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
      out.append(route_dict(r, name_or_none(set_.route_names[i]), name_or_none(set_.route_keys[i]),
                            name_or_none(service_name(r.service))));
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
    return result(router_for(router)(req));
  }

  /// The id of the route the named router selects for each request dict
  /// (keys as RouteSet.match takes them, all optional; headers as a list of
  /// (name, value) pairs or a dict), None where nothing matches.
  [[nodiscard]] py::list match_ids(const std::string& router, const py::iterable& requests) {
    matcher& m = router_for(router);
    py::list out;
    for (const py::handle item : requests) {
      const auto d = item.cast<py::dict>();
      gr::request req;
      req.method = get_or<std::string>(d, "method", "GET");
      req.host = get_or<std::string>(d, "host", "");
      req.path = get_or<std::string>(d, "path", "/");
      if (d.contains("headers")) {
        req.headers = headers_from<std::string>(d["headers"], &header_value);
      }
      req.sni = get_or<std::string>(d, "sni", "");
      req.scheme = get_or<std::string>(d, "scheme", "http");
      const gr::route* r = m(req);
      out.append(r == nullptr ? py::object(py::none()) : py::object(py::int_(r->id)));
    }
    return out;
  }

 private:
  route_set() = default;

  void index_routes() {
    for (std::size_t i = 0; i < set_.routes.size(); ++i) {
      index_by_id_.emplace(set_.routes[i].id, i);
    }
  }

  [[nodiscard]] py::object result(const gr::route* r) const {
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
      .def_static("from_routes", &route_set::from_routes, py::arg("routes"),
                  R"(A route set made of route dicts, e.g. from routes() or synthetic_routes().

Keys: ``id`` (required, unique), ``hosts``, ``paths``, ``methods``, ``snis``
(lists, missing = empty), ``headers`` (a dict name -> values or a list of
(name, values) pairs; values one string or a list), ``regex_priority``,
``created_at``, ``service`` (used only when an int). Raises ValueError.)")
      .def("match_ids", &route_set::match_ids, py::arg("router"), py::arg("requests"),
           "For each request dict (keys as match() takes them, e.g. from synthetic_requests()), the id of the "
           "route the named router selects, or None.")
      .def("match", &route_set::match, py::arg("router"), py::arg("method") = "GET", py::arg("host") = "",
           py::arg("path") = "/", py::arg("headers") = std::vector<std::pair<std::string, std::string>>{},
           py::arg("sni") = "", py::arg("scheme") = "http",
           "The route the named router selects, as {name, id, service}, or None. "
           "Raises ValueError for an unknown router.");
  m.def("route_routers", &router_names, "Names of the routers RouteSet.match accepts.");
  m.def("synthetic_routes", &synthetic_routes, py::arg("routes"), py::arg("seed") = 1, py::arg("regex_fraction") = 0.05,
        py::arg("host_fraction") = 0.6, py::arg("wildcard_host_fraction") = 0.1, py::arg("distinct_hosts") = 200,
        py::arg("header_fraction") = 0.02, py::arg("method_fraction") = 0.3,
        "The synthetic route set the C++ benchmarks use (models/router/synthetic_routes.hpp), as route dicts in "
        "RouteSet.routes()'s format, except that ``service`` is the numeric service id. Raises ValueError naming "
        "an out-of-range field.");
  m.def("synthetic_requests", &synthetic_requests, py::arg("routes"), py::arg("n"), py::arg("seed") = 2,
        py::arg("route_seed") = 1, py::arg("regex_fraction") = 0.05, py::arg("host_fraction") = 0.6,
        py::arg("wildcard_host_fraction") = 0.1, py::arg("distinct_hosts") = 200, py::arg("header_fraction") = 0.02,
        py::arg("method_fraction") = 0.3, py::arg("zipf_s") = 1.0, py::arg("miss_fraction") = 0.05,
        "``n`` requests (dicts: method, host, path, headers as (name, value) pairs, sni, scheme) aimed at the "
        "set synthetic_routes(routes, seed=route_seed, ...) gives, drawn with seed ``seed``. Raises ValueError.");
}
