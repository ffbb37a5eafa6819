// Route files: the samples in scenarios/routes import with the expected
// fields, malformed documents fail with FILE:LINE:COLUMN and a reason, and the
// imported sets select the routes Kong's precedence rules select.

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "models/router/import_kong.hpp"
#include "models/router/import_openapi.hpp"
#include "models/router/import_routes.hpp"
#include "models/router/radix_router.hpp"
#include "models/router/reference_matcher.hpp"
#include "models/router/traditional_router.hpp"

namespace gr = gwsim::router;
namespace fs = std::filesystem;

namespace {

std::string sample(const std::string& name) {
  const fs::path root = fs::path(__FILE__).parent_path().parent_path().parent_path().parent_path();
  return (root / "scenarios" / "routes" / name).string();
}

/// The message of the std::invalid_argument `f` throws ("" when none).
std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

std::string kong_error(const std::string& text) {
  return error_of([&] { (void)gr::import_kong_text(text, "t.yaml"); });
}

std::string openapi_error(const std::string& text) {
  return error_of([&] { (void)gr::import_openapi_text(text, "t.yaml"); });
}

std::size_t index_of(const gr::imported_routes& set, const std::string& name) {
  const auto it = std::find(set.route_names.begin(), set.route_names.end(), name);
  EXPECT_NE(it, set.route_names.end()) << name;
  return static_cast<std::size_t>(it - set.route_names.begin());
}

gr::request make_request(std::string method, std::string host, std::string path,
                         std::vector<std::pair<std::string, std::string>> headers = {}, std::string sni = {},
                         std::string scheme = "http") {
  gr::request r;
  r.method = std::move(method);
  r.host = std::move(host);
  r.path = std::move(path);
  r.headers = std::move(headers);
  r.sni = std::move(sni);
  r.scheme = std::move(scheme);
  return r;
}

/// The name of the route each of the three routers selects; fails the test
/// when they disagree. "" means no route.
std::string selected(const gr::imported_routes& set, const gr::request& req) {
  const gr::reference_matcher reference(set.routes);
  gr::traditional_router traditional(set.routes);
  const gr::radix_router radix(set.routes);
  const auto name = [&set](const gr::route* r) -> std::string {
    if (r == nullptr) {
      return "";
    }
    for (std::size_t i = 0; i < set.routes.size(); ++i) {
      if (set.routes[i].id == r->id) {
        return set.route_names[i];
      }
    }
    return "?";
  };
  const std::string a = name(reference.match(req));
  EXPECT_EQ(name(traditional.match(req)), a) << req.method << " " << req.host << req.path;
  EXPECT_EQ(name(radix.match(req)), a) << req.method << " " << req.host << req.path;
  return a;
}

}  // namespace

// ---------------------------------------------------------------------------
// Kong samples

TEST(ImportKong, ShopSampleFields) {
  const gr::imported_routes set = gr::import_kong(sample("shop.kong.yaml"));
  EXPECT_EQ(set.format, "kong 2.1");
  ASSERT_EQ(set.routes.size(), 19U);
  ASSERT_EQ(set.route_names.size(), 19U);
  ASSERT_EQ(set.services.size(), 6U);
  EXPECT_EQ(set.plugins, 3U);
  EXPECT_TRUE(set.warnings.empty()) << set.warnings.front();
  for (std::size_t i = 0; i < set.routes.size(); ++i) {
    EXPECT_EQ(set.routes[i].id, i + 1) << "ids follow document order";
  }
  EXPECT_EQ(set.route_names.front(), "catalog-products");
  EXPECT_EQ(set.route_names.back(), "ops-metrics");
  EXPECT_EQ(set.services[0].name, "catalog");
  EXPECT_EQ(set.services[0].key, "5b1f2c4e-0c1a-4d57-9a0e-3f6b7d1c2a01");
  EXPECT_EQ(set.services[5].id, 6U);

  const gr::route& detail = set.routes[index_of(set, "catalog-product-detail")];
  EXPECT_EQ(detail.paths, std::vector<std::string>{"/products/\\d+$"});
  EXPECT_TRUE(gr::is_regex_path(detail.paths[0]));
  EXPECT_EQ(detail.service, 1U);

  const gr::route& cart_v2 = set.routes[index_of(set, "cart-v2")];
  ASSERT_EQ(cart_v2.headers.size(), 1U);
  EXPECT_EQ(cart_v2.headers[0].first, "x-api-version");
  EXPECT_EQ(cart_v2.headers[0].second, std::vector<std::string>{"2"});

  const gr::route& cart = set.routes[index_of(set, "cart")];
  EXPECT_EQ(cart.methods, (std::vector<std::string>{"GET", "POST", "DELETE"}));
  EXPECT_EQ(set.routes[index_of(set, "accounts-session")].regex_priority, 10);
  EXPECT_EQ(set.routes[index_of(set, "accounts-page")].created_at, 1700000000);
  EXPECT_EQ(set.routes[index_of(set, "static-tls")].snis, std::vector<std::string>{"secure.example.com"});
  EXPECT_EQ(set.routes[index_of(set, "static-assets")].paths, (std::vector<std::string>{"/assets", "/img"}));
  EXPECT_EQ(set.routes[index_of(set, "health")].service, 6U);
  EXPECT_EQ(set.routes[index_of(set, "ops-metrics")].service, 6U);
}

TEST(ImportKong, ShopSampleFollowsKongPrecedence) {
  const gr::imported_routes set = gr::import_kong(sample("shop.kong.yaml"));
  using headers = std::vector<std::pair<std::string, std::string>>;
  // Plain host + regex path outranks plain host + prefix (submatch weight).
  EXPECT_EQ(selected(set, make_request("GET", "shop.example.com", "/products/42")), "catalog-product-detail");
  EXPECT_EQ(selected(set, make_request("GET", "shop.example.com", "/products/abc")), "catalog-products");
  // Three rules (host + path + method) outrank two.
  EXPECT_EQ(selected(set, make_request("GET", "shop.example.com", "/products/search")), "catalog-search");
  // Without a host rule hit only the path-only route is left.
  EXPECT_EQ(selected(set, make_request("GET", "api.other.org", "/products/1")), "catalog-any-host");
  // Equal rule counts: the header bit (0x20) outranks the method bit (0x08).
  EXPECT_EQ(selected(set, make_request("GET", "shop.example.com", "/cart", headers{{"X-API-Version", "2"}})),
            "cart-v2");
  EXPECT_EQ(selected(set, make_request("DELETE", "shop.example.com", "/cart")), "cart");
  // No method hit: host + path routes remain; only the trailing wildcard's `/` fits.
  EXPECT_EQ(selected(set, make_request("PATCH", "shop.example.com", "/cart")), "legacy-wildcard-suffix");
  // A plain host outranks a wildcard host.
  EXPECT_EQ(selected(set, make_request("GET", "eu.shop.example.com", "/account/settings")), "accounts-eu");
  EXPECT_EQ(selected(set, make_request("GET", "us.shop.example.com", "/account/settings")), "accounts-wildcard");
  // regex_priority before length among regex paths.
  EXPECT_EQ(selected(set, make_request("GET", "other.org", "/account/login")), "accounts-session");
  EXPECT_EQ(selected(set, make_request("GET", "other.org", "/account/profile")), "accounts-page");
  // Header bit outranks the path bit at one rule each.
  EXPECT_EQ(selected(set, make_request("GET", "other.org", "/account/login", headers{{"x-legacy", "TRUE"}})),
            "legacy-header");
  // Two rules (host + header) outrank host only; header names are case-insensitive.
  EXPECT_EQ(selected(set, make_request("GET", "legacy.example.com", "/x", headers{{"x-beta", "1"}})), "legacy-beta");
  EXPECT_EQ(selected(set, make_request("GET", "legacy.example.com", "/x")), "legacy-host");
  // Longest prefix wins.
  EXPECT_EQ(selected(set, make_request("GET", "cdn.example.com", "/assets/images/logo.png")), "static-images");
  EXPECT_EQ(selected(set, make_request("GET", "cdn.example.com", "/assets/app.js")), "static-assets");
  EXPECT_EQ(selected(set, make_request("GET", "cdn.example.com", "/img/a.png")), "static-assets");
  EXPECT_EQ(selected(set, make_request("GET", "x.org", "/secure/a", {}, "secure.example.com", "https")), "static-tls");
  EXPECT_EQ(selected(set, make_request("GET", "x.org", "/secure/a")), "");
  EXPECT_EQ(selected(set, make_request("HEAD", "x.org", "/healthz")), "health");
  EXPECT_EQ(selected(set, make_request("POST", "x.org", "/healthz")), "");
  EXPECT_EQ(selected(set, make_request("GET", "ops.example.com", "/metrics")), "ops-metrics");
}

TEST(ImportKong, Version3RegexMarker) {
  const gr::imported_routes set = gr::import_kong_text(R"(_format_version: "3.0"
routes:
  - name: users
    paths: ['~/users/\d+$', '~/plain', /files/a+b]
)");
  EXPECT_EQ(set.format, "kong 3.0");
  ASSERT_EQ(set.routes.size(), 1U);
  EXPECT_EQ(set.routes[0].paths, (std::vector<std::string>{"/users/\\d+$", "/plain", "/files/a\\+b"}));
  ASSERT_EQ(set.warnings.size(), 2U);
  EXPECT_EQ(set.warnings[0].rfind("<text>:4:29: routes[0].paths[1]: ", 0), 0U) << set.warnings[0];
  EXPECT_EQ(set.warnings[1].rfind("<text>:4:40: routes[0].paths[2]: ", 0), 0U) << set.warnings[1];
  // In 3.0 `/files/a+b` is the literal prefix.
  EXPECT_EQ(selected(set, make_request("GET", "h", "/files/a+b/c")), "users");
  EXPECT_EQ(selected(set, make_request("GET", "h", "/files/aab")), "");
}

TEST(ImportKong, IdsAndServiceReferences) {
  const gr::imported_routes set = gr::import_kong_text(R"(_format_version: "1.1"
services:
  - name: a
    id: "2"
  - name: b
routes:
  - {name: r1, paths: [/a], service: {name: a}}
  - {name: r2, id: 1, paths: [/b], service: b}
  - {name: r3, paths: [/c], service: "2"}
  - {name: r4, paths: [/d], future_field: 1}
)");
  ASSERT_EQ(set.services.size(), 2U);
  EXPECT_EQ(set.services[0].id, 2U);
  EXPECT_EQ(set.services[1].id, 1U);
  ASSERT_EQ(set.routes.size(), 4U);
  EXPECT_EQ(set.routes[0].id, 2U);
  EXPECT_EQ(set.routes[1].id, 1U);
  EXPECT_EQ(set.routes[2].id, 3U);
  EXPECT_EQ(set.routes[3].id, 4U);
  EXPECT_EQ(set.routes[0].service, 2U);
  EXPECT_EQ(set.routes[1].service, 1U);
  EXPECT_EQ(set.routes[2].service, 2U);
  EXPECT_EQ(set.routes[3].service, 0U);
  ASSERT_EQ(set.warnings.size(), 1U);
  EXPECT_EQ(set.warnings[0], "<text>:10:29: routes[3].future_field: unknown route field ignored");
}

// ---------------------------------------------------------------------------
// Kong errors

TEST(ImportKongErrors, MissingFormatVersion) {
  EXPECT_EQ(kong_error("routes:\n  - paths: [/a]\n"),
            "t.yaml:1:1: missing _format_version (accepted: \"1.1\", \"2.1\", \"3.0\")");
}

TEST(ImportKongErrors, UnsupportedFormatVersion) {
  EXPECT_EQ(kong_error("_format_version: \"2.0\"\n"),
            "t.yaml:1:18: _format_version: unsupported version \"2.0\" (accepted: \"1.1\", \"2.1\", \"3.0\")");
}

TEST(ImportKongErrors, WrongTypes) {
  EXPECT_EQ(kong_error("_format_version: \"2.1\"\nroutes:\n  - paths: /a\n"),
            "t.yaml:3:12: routes[0].paths: must be a list");
  EXPECT_EQ(kong_error("_format_version: \"2.1\"\nroutes:\n  - paths: [/a]\n  - paths: [/b, {x: 1}]\n"),
            "t.yaml:4:17: routes[1].paths[1]: must be a string");
  EXPECT_EQ(kong_error("_format_version: \"2.1\"\nservices:\n  - name: s\n    routes:\n      - hosts: [a]\n"
                       "        regex_priority: high\n"),
            "t.yaml:6:25: services[0].routes[0].regex_priority: must be an integer");
  EXPECT_EQ(kong_error("_format_version: \"2.1\"\nroutes:\n  - headers: {x-a: b}\n"),
            "t.yaml:3:20: routes[0].headers.x-a: must be a list");
  EXPECT_EQ(kong_error("- a\n- b\n"), "t.yaml:1:1: a Kong declarative configuration must be a mapping");
}

TEST(ImportKongErrors, BadYamlSyntax) {
  const std::string e = kong_error("_format_version: \"2.1\"\nroutes:\n  - paths: [/a\n  - name: x\n");
  EXPECT_EQ(e.rfind("t.yaml:", 0), 0U) << e;
  EXPECT_NE(e.find("YAML syntax error: "), std::string::npos) << e;
  const std::string e2 = kong_error("_format_version: \"2.1\"\nroutes: [\n");
  EXPECT_NE(e2.find("YAML syntax error"), std::string::npos) << e2;
}

TEST(ImportKongErrors, UnknownServiceReference) {
  EXPECT_EQ(kong_error("_format_version: \"2.1\"\nservices:\n  - name: s\nroutes:\n  - paths: [/a]\n"
                       "    service: nope\n"),
            "t.yaml:6:14: routes[0].service: unknown service \"nope\"");
  EXPECT_EQ(kong_error("_format_version: \"2.1\"\nroutes:\n  - paths: [/a]\n    service: {id: 42}\n"),
            "t.yaml:4:14: routes[0].service: unknown service \"42\"");
}

TEST(ImportKongErrors, SemanticErrors) {
  EXPECT_EQ(kong_error("_format_version: \"2.1\"\nroutes:\n  - name: x\n    strip_path: true\n"),
            "t.yaml:3:5: routes[0]: a route must set at least one of hosts, paths, methods, headers, snis");
  EXPECT_EQ(kong_error("_format_version: \"2.1\"\nroutes:\n  - {name: x, paths: [/a]}\n  - {name: x, paths: [/b]}\n"),
            "t.yaml:4:12: routes[1].name: duplicate route name \"x\"");
  EXPECT_EQ(kong_error("_format_version: \"2.1\"\nroutes:\n  - paths: [a]\n"),
            "t.yaml:3:13: routes[0].paths[0]: must start with /");
  EXPECT_EQ(kong_error("_format_version: \"2.1\"\nroutes:\n  - paths: ['~/a']\n"),
            "t.yaml:3:13: routes[0].paths[0]: must start with / (the ~ regex marker needs _format_version \"3.0\")");
  const std::string re = kong_error("_format_version: \"2.1\"\nroutes:\n  - paths: ['/a/(b']\n");
  EXPECT_EQ(re.rfind("t.yaml:3:13: routes[0].paths[0]: invalid regex: ", 0), 0U) << re;
}

TEST(ImportKongErrors, MissingFile) {
  const std::string e = error_of([] { (void)gr::import_kong("/nonexistent/kong.yml"); });
  EXPECT_EQ(e, "/nonexistent/kong.yml: cannot read file");
}

// ---------------------------------------------------------------------------
// OpenAPI

TEST(ImportOpenapi, RoutePathTranslation) {
  int n = 0;
  EXPECT_EQ(gr::openapi_route_path("/pets", gr::openapi_path_mode::regex, n), "/pets$");
  EXPECT_EQ(n, 0);
  EXPECT_EQ(gr::openapi_route_path("/pets/{petId}", gr::openapi_path_mode::regex, n), "/pets/(?<petId>[^/]+)$");
  EXPECT_EQ(n, 1);
  EXPECT_EQ(gr::openapi_route_path("/a/{x-y}/{1st}.json", gr::openapi_path_mode::regex, n),
            "/a/(?<x_y>[^/]+)/(?<_1st>[^/]+)\\.json$");
  EXPECT_EQ(n, 2);
  EXPECT_EQ(gr::openapi_route_path("/{id}/{id}", gr::openapi_path_mode::regex, n), "/(?<id>[^/]+)/([^/]+)$");
  EXPECT_EQ(gr::openapi_route_path("/pets/{petId}/toys", gr::openapi_path_mode::prefix, n), "/pets/");
  EXPECT_EQ(n, 1);
  EXPECT_EQ(gr::openapi_route_path("/pets", gr::openapi_path_mode::prefix, n), "/pets");
  EXPECT_THROW((void)gr::openapi_route_path("/a/{b", gr::openapi_path_mode::regex, n), std::invalid_argument);
  EXPECT_THROW((void)gr::openapi_route_path("/a/b}", gr::openapi_path_mode::prefix, n), std::invalid_argument);
}

TEST(ImportOpenapi, PetstoreSample) {
  const gr::imported_routes set = gr::import_openapi(sample("petstore.openapi.yaml"));
  EXPECT_EQ(set.format, "openapi 3.0.3");
  ASSERT_EQ(set.routes.size(), 6U);
  EXPECT_EQ(set.route_names, (std::vector<std::string>{"listPets", "createPet", "listMyPets", "showPetById",
                                                       "deletePet", "GET /stores/{storeId}/pets/{petId}"}));
  ASSERT_EQ(set.services.size(), 1U);
  EXPECT_EQ(set.services[0].name, "petstore");
  const gr::route& show = set.routes[3];
  EXPECT_EQ(show.id, 4U);
  EXPECT_EQ(show.hosts, std::vector<std::string>{"petstore.example.com"});
  EXPECT_EQ(show.paths, std::vector<std::string>{"/v1/pets/(?<petId>[^/]+)$"});
  EXPECT_EQ(show.methods, std::vector<std::string>{"GET"});
  EXPECT_EQ(show.regex_priority, -1);
  EXPECT_EQ(set.routes[5].regex_priority, -2);
  ASSERT_EQ(set.warnings.size(), 1U);
  EXPECT_EQ(set.warnings[0].rfind(sample("petstore.openapi.yaml") + ":9:5: servers[1]: only servers[0] is used", 0), 0U)
      << set.warnings[0];

  const std::string h = "petstore.example.com";
  EXPECT_EQ(selected(set, make_request("GET", h, "/v1/pets")), "listPets");
  EXPECT_EQ(selected(set, make_request("POST", h, "/v1/pets")), "createPet");
  EXPECT_EQ(selected(set, make_request("PUT", h, "/v1/pets")), "");
  EXPECT_EQ(selected(set, make_request("GET", h, "/v1/pets/42")), "showPetById");
  EXPECT_EQ(selected(set, make_request("DELETE", h, "/v1/pets/42")), "deletePet");
  EXPECT_EQ(selected(set, make_request("GET", h, "/v1/pets/mine")), "listMyPets");
  EXPECT_EQ(selected(set, make_request("GET", h, "/v1/pets/42/toys")), "");
  EXPECT_EQ(selected(set, make_request("GET", h, "/v1/stores/7/pets/42")), "GET /stores/{storeId}/pets/{petId}");
  EXPECT_EQ(selected(set, make_request("GET", "other.example.com", "/v1/pets")), "");
}

TEST(ImportOpenapi, PetstorePrefixMode) {
  const gr::imported_routes set = gr::import_openapi(sample("petstore.openapi.yaml"), gr::openapi_path_mode::prefix);
  EXPECT_EQ(set.routes[3].paths, std::vector<std::string>{"/v1/pets/"});
  EXPECT_EQ(set.routes[3].regex_priority, 0);
  const std::string h = "petstore.example.com";
  EXPECT_EQ(selected(set, make_request("GET", h, "/v1/pets/42/toys")), "showPetById");
  EXPECT_EQ(selected(set, make_request("GET", h, "/v1/pets/mine")), "listMyPets");
  EXPECT_EQ(selected(set, make_request("GET", h, "/v1/stores/7/pets/42")), "GET /stores/{storeId}/pets/{petId}");
}

TEST(ImportOpenapi, JsonSample) {
  const gr::imported_routes set = gr::import_openapi(sample("inventory.openapi.json"));
  EXPECT_EQ(set.format, "openapi 3.1.0");
  ASSERT_EQ(set.routes.size(), 7U);
  EXPECT_TRUE(set.warnings.empty());
  EXPECT_EQ(set.routes[0].hosts, std::vector<std::string>{"eu.inventory.example.com"});
  EXPECT_EQ(set.routes[0].paths, std::vector<std::string>{"/api/items$"});
  EXPECT_EQ(set.routes[5].paths, std::vector<std::string>{"/api/items/(?<sku>[^/]+)/stock\\.json$"});
  EXPECT_EQ(set.route_names[6], "GET /health");
  const std::string h = "eu.inventory.example.com";
  EXPECT_EQ(selected(set, make_request("PUT", h, "/api/items/A-1")), "replaceItem");
  EXPECT_EQ(selected(set, make_request("GET", h, "/api/items/A-1/stock.json")), "getStock");
  EXPECT_EQ(selected(set, make_request("GET", h, "/api/items/A-1/stockxjson")), "");
}

TEST(ImportOpenapiErrors, Version) {
  EXPECT_EQ(openapi_error("openapi: 2.0\npaths: {}\n"),
            "t.yaml:1:10: openapi: unsupported version \"2.0\" (3.x required)");
  EXPECT_EQ(openapi_error("info: {title: x}\npaths: {}\n"), "t.yaml:1:1: missing openapi (the OpenAPI version, 3.x)");
  EXPECT_EQ(openapi_error("swagger: \"2.0\"\n"),
            "t.yaml:1:1: Swagger 2.0 documents are not supported (openapi: 3.x required)");
}

TEST(ImportOpenapiErrors, Content) {
  EXPECT_EQ(openapi_error("openapi: 3.0.0\npaths:\n  /a/{b:\n    get: {}\n"),
            "t.yaml:3:3: paths./a/{b: unterminated { in path \"/a/{b\"");
  EXPECT_EQ(openapi_error("openapi: 3.0.0\npaths:\n  a:\n    get: {}\n"), "t.yaml:3:3: paths.a: must start with /");
  EXPECT_EQ(openapi_error("openapi: 3.0.0\npaths:\n  /a:\n    get: [1]\n"),
            "t.yaml:4:10: paths./a.get: must be a mapping");
  EXPECT_EQ(openapi_error("openapi: 3.0.0\nservers:\n  - url: 'https://{r}.x.com'\npaths: {}\n"),
            "t.yaml:3:10: servers[0].url: server variable {r} has no default");
  EXPECT_EQ(openapi_error("openapi: 3.0.0\npaths:\n  /a: {get: {operationId: x}}\n  /b: {get: {operationId: x}}\n"),
            "t.yaml:4:27: paths./b.get.operationId: duplicate operationId \"x\"");
}

// ---------------------------------------------------------------------------
// Format detection

TEST(ImportRouteFile, DetectsTheFormat) {
  EXPECT_EQ(gr::import_route_file(sample("shop.kong.yaml")).format, "kong 2.1");
  EXPECT_EQ(gr::import_route_file(sample("petstore.openapi.yaml")).format, "openapi 3.0.3");
  EXPECT_EQ(gr::import_route_file(sample("inventory.openapi.json")).format, "openapi 3.1.0");
  gr::import_options prefix;
  prefix.openapi_paths = gr::openapi_path_mode::prefix;
  EXPECT_EQ(gr::import_route_file(sample("petstore.openapi.yaml"), prefix).routes[0].paths[0], "/v1/pets");
  EXPECT_EQ(error_of([] { (void)gr::import_route_text("a: 1\n", "t.yaml"); }),
            "t.yaml:1:1: unknown route file format: expected a mapping with `_format_version` (Kong declarative "
            "configuration) or `openapi` (OpenAPI 3.x)");
  EXPECT_EQ(error_of([] {
              (void)gr::import_route_text("services: []\n", "t.yaml");
            }).rfind("t.yaml:1:1: missing _format_version", 0),
            0U);
  gr::import_options kong;
  kong.format = gr::route_file_format::kong;
  EXPECT_EQ(error_of([&] {
              (void)gr::import_route_text("openapi: 3.0.0\n", "t.yaml", kong);
            }).rfind("t.yaml:1:1: missing _format_version", 0),
            0U);
  EXPECT_EQ(gr::parse_route_file_format("openapi"), gr::route_file_format::openapi);
  EXPECT_THROW((void)gr::parse_route_file_format("swagger"), std::invalid_argument);
  EXPECT_EQ(gr::parse_openapi_path_mode("prefix"), gr::openapi_path_mode::prefix);
  EXPECT_THROW((void)gr::parse_openapi_path_mode("exact"), std::invalid_argument);
}

// ---------------------------------------------------------------------------
// Round trip: any route set written as a Kong file imports unchanged

namespace {

std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
    }
    out.push_back(c);
  }
  return out + "\"";
}

std::string flow_list(const std::vector<std::string>& items) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) {
    out += (i == 0 ? "" : ", ") + quoted(items[i]);
  }
  return out + "]";
}

std::string to_kong_yaml(const std::vector<gr::route>& routes) {
  std::ostringstream y;
  y << "_format_version: \"2.1\"\nroutes:\n";
  for (std::size_t i = 0; i < routes.size(); ++i) {
    const gr::route& r = routes[i];
    y << "  - name: r" << i << "\n";
    y << "    hosts: " << flow_list(r.hosts) << "\n";
    y << "    paths: " << flow_list(r.paths) << "\n";
    y << "    methods: " << flow_list(r.methods) << "\n";
    y << "    snis: " << flow_list(r.snis) << "\n";
    y << "    regex_priority: " << r.regex_priority << "\n";
    y << "    created_at: " << r.created_at << "\n";
    y << "    headers:" << (r.headers.empty() ? " {}" : "") << "\n";
    for (const auto& [name, values] : r.headers) {
      y << "      " << quoted(name) << ": " << flow_list(values) << "\n";
    }
  }
  return y.str();
}

}  // namespace

RC_GTEST_PROP(ImportKongProperty, WrittenRouteSetsImportUnchanged, ()) {
  const auto pick = [](std::vector<std::string> pool) {
    return rc::gen::container<std::vector<std::string>>(rc::gen::elementOf(std::move(pool)));
  };
  const auto n = *rc::gen::inRange<std::size_t>(0, 12);
  std::vector<gr::route> routes;
  for (std::size_t i = 0; i < n; ++i) {
    gr::route r;
    r.id = static_cast<std::uint32_t>(i + 1);
    r.hosts = *pick({"a.com", "*.b.org", "c.*", "d.net:8080", "e\"x.com"});
    r.paths = *pick({"/", "/x", "/x/y", "/v1/\\d+$", "/a b", "/(x|y)/z"});
    r.methods = *pick({"GET", "POST", "DELETE"});
    r.snis = *pick({"s.com", "t.org"});
    const auto header_names =
        *rc::gen::unique<std::vector<std::string>>(rc::gen::elementOf(std::vector<std::string>{"x-a", "X-B", "x-c"}));
    for (const std::string& h : header_names) {
      r.headers.emplace_back(h, *rc::gen::nonEmpty(pick({"1", "yes", "a: b", "#x"})));
    }
    r.regex_priority = *rc::gen::inRange(-5, 6);
    r.created_at = *rc::gen::inRange<std::int64_t>(0, 2000000000);
    if (r.hosts.empty() && r.paths.empty() && r.methods.empty() && r.snis.empty() && r.headers.empty()) {
      r.paths.push_back("/");
    }
    routes.push_back(std::move(r));
  }
  const std::string text = to_kong_yaml(routes);
  const gr::imported_routes set = gr::import_kong_text(text);
  RC_ASSERT(set.routes.size() == routes.size());
  RC_ASSERT(set.warnings.empty());
  for (std::size_t i = 0; i < routes.size(); ++i) {
    const gr::route& a = routes[i];
    const gr::route& b = set.routes[i];
    RC_ASSERT(b.id == a.id);
    RC_ASSERT(b.hosts == a.hosts);
    RC_ASSERT(b.paths == a.paths);
    RC_ASSERT(b.methods == a.methods);
    RC_ASSERT(b.snis == a.snis);
    RC_ASSERT(b.headers == a.headers);
    RC_ASSERT(b.regex_priority == a.regex_priority);
    RC_ASSERT(b.created_at == a.created_at);
    RC_ASSERT(b.service == 0U);
    RC_ASSERT(set.route_names[i] == "r" + std::to_string(i));
  }
}
