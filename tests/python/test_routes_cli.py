"""``gwsim routes``: stats of the sample route files, the routes Kong's
precedence selects (all routers agreeing), and error handling.

The expected routes follow Kong 2.x's rules as models/router/*.hpp state
them: more matching rules first; at equal counts host > header > uri > method
> sni; inside a category plain hosts and regex paths first (submatch weight),
then more header rules, then regex_priority (regex paths), then the longer
path, then created_at.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

import pytest

from conftest import REPO

ROUTES = REPO / "scenarios" / "routes"
SHOP = ROUTES / "shop.kong.yaml"
PETSTORE = ROUTES / "petstore.openapi.yaml"
INVENTORY = ROUTES / "inventory.openapi.json"
ROUTERS = ["reference", "traditional", "radix", "incremental", "sharded"]


def stats_json(gwsim_cli: Any, path: Path, *args: object) -> dict[str, Any]:
    """``gwsim routes stats PATH --json`` as a dict."""
    proc = gwsim_cli("routes", "stats", path, "--json", *args, check=True)
    return json.loads(proc.stdout)


# ---------------------------------------------------------------------------
# stats


def test_stats_shop(gwsim_cli: Any) -> None:
    s = stats_json(gwsim_cli, SHOP)
    assert s["format"] == "kong 2.1"
    assert (s["routes"], s["services"], s["plugins"], s["routes_without_service"]) == (19, 6, 3, 0)
    assert (s["paths"], s["regex_paths"], s["prefix_paths"]) == (17, 3, 14)
    assert (s["hosts"], s["plain_hosts"], s["wildcard_hosts"]) == (13, 11, 2)
    assert s["methods"] == {"GET": 3, "POST": 1, "DELETE": 1, "HEAD": 1}
    assert (s["header_rules"], s["snis"]) == (3, 1)
    assert s["warnings"] == []


def test_stats_petstore(gwsim_cli: Any) -> None:
    s = stats_json(gwsim_cli, PETSTORE)
    assert s["format"] == "openapi 3.0.3"
    assert (s["routes"], s["services"], s["paths"], s["regex_paths"]) == (6, 1, 6, 6)
    assert (s["hosts"], s["wildcard_hosts"]) == (6, 0)
    assert s["methods"] == {"GET": 4, "POST": 1, "DELETE": 1}
    assert len(s["warnings"]) == 1 and "servers[1]: only servers[0] is used" in s["warnings"][0]
    prefix = stats_json(gwsim_cli, PETSTORE, "--openapi-paths", "prefix")
    assert (prefix["regex_paths"], prefix["prefix_paths"]) == (0, 6)


def test_stats_inventory_json(gwsim_cli: Any) -> None:
    s = stats_json(gwsim_cli, INVENTORY)
    assert s["format"] == "openapi 3.1.0"
    assert (s["routes"], s["regex_paths"], s["hosts"]) == (7, 7, 7)
    assert s["methods"] == {"GET": 4, "POST": 1, "PUT": 1, "DELETE": 1}
    assert s["warnings"] == []


def test_stats_text(gwsim_cli: Any) -> None:
    out = gwsim_cli("routes", "stats", SHOP, check=True).stdout
    assert out.startswith(f"{SHOP}: kong 2.1\n")
    assert "19 (0 without a service)" in out
    assert "(3 regex, 14 prefix)" in out
    assert "(11 plain, 2 wildcard)" in out
    assert "DELETE 1, GET 3, HEAD 1, POST 1" in out


# ---------------------------------------------------------------------------
# match: (method, host, path, headers, sni, scheme) -> expected route name

Case = tuple[str, str, str, list[tuple[str, str]], str, str, Optional[str]]

SHOP_CASES: list[Case] = [
    # plain host + regex path outranks plain host + prefix (submatch weight)
    ("GET", "shop.example.com", "/products/42", [], "", "http", "catalog-product-detail"),
    ("GET", "shop.example.com", "/products/abc", [], "", "http", "catalog-products"),
    # host + path + method (three rules) outranks two rules
    ("GET", "shop.example.com", "/products/search", [], "", "http", "catalog-search"),
    ("GET", "api.other.org", "/products/1", [], "", "http", "catalog-any-host"),
    # equal rule counts: the header bit outranks the method bit
    ("GET", "shop.example.com", "/cart", [("X-API-Version", "2")], "", "http", "cart-v2"),
    ("DELETE", "shop.example.com", "/cart", [], "", "http", "cart"),
    ("PATCH", "shop.example.com", "/cart", [], "", "http", "legacy-wildcard-suffix"),
    # a plain host beats a wildcard host
    ("GET", "eu.shop.example.com", "/account/settings", [], "", "http", "accounts-eu"),
    ("GET", "us.shop.example.com", "/account/settings", [], "", "http", "accounts-wildcard"),
    # regex_priority decides before path length
    ("GET", "other.org", "/account/login", [], "", "http", "accounts-session"),
    ("GET", "other.org", "/account/profile", [], "", "http", "accounts-page"),
    # one rule each: header outranks path
    ("GET", "other.org", "/account/login", [("x-legacy", "TRUE")], "", "http", "legacy-header"),
    # host + header outranks host only
    ("GET", "legacy.example.com", "/x", [("x-beta", "1")], "", "http", "legacy-beta"),
    ("GET", "legacy.example.com", "/x", [], "", "http", "legacy-host"),
    # the longer prefix wins
    ("GET", "cdn.example.com", "/assets/images/logo.png", [], "", "http", "static-images"),
    ("GET", "cdn.example.com", "/assets/app.js", [], "", "http", "static-assets"),
    ("GET", "x.org", "/secure/a", [], "secure.example.com", "https", "static-tls"),
    ("GET", "x.org", "/secure/a", [], "", "http", None),
    ("HEAD", "x.org", "/healthz", [], "", "http", "health"),
    ("POST", "x.org", "/healthz", [], "", "http", None),
]

PETSTORE_CASES: list[Case] = [
    ("GET", "petstore.example.com", "/v1/pets", [], "", "https", "listPets"),
    ("POST", "petstore.example.com", "/v1/pets", [], "", "https", "createPet"),
    # a concrete path beats a templated one (regex_priority -templates)
    ("GET", "petstore.example.com", "/v1/pets/mine", [], "", "https", "listMyPets"),
    ("GET", "petstore.example.com", "/v1/pets/42", [], "", "https", "showPetById"),
    ("DELETE", "petstore.example.com", "/v1/pets/42", [], "", "https", "deletePet"),
    # anchored at the end: no prefix match
    ("GET", "petstore.example.com", "/v1/pets/42/toys", [], "", "https", None),
    ("GET", "other.example.com", "/v1/pets", [], "", "https", None),
]


@pytest.mark.parametrize("router", ROUTERS)
@pytest.mark.parametrize(("path", "cases"), [(SHOP, SHOP_CASES), (PETSTORE, PETSTORE_CASES)], ids=["shop", "petstore"])
def test_routers_follow_kong_precedence(router: str, path: Path, cases: list[Case]) -> None:
    from gwsim import _core

    routes = _core.RouteSet(str(path))
    for method, host, req_path, headers, sni, scheme, expected in cases:
        found = routes.match(router, method=method, host=host, path=req_path, headers=headers, sni=sni,
                             scheme=scheme)
        name = None if found is None else found["name"]
        assert name == expected, (router, method, host, req_path, headers)


def test_routers_are_listed() -> None:
    from gwsim import _core

    assert set(ROUTERS) <= set(_core.route_routers())


@pytest.mark.parametrize("router", ROUTERS)
def test_match_json(gwsim_cli: Any, router: str) -> None:
    proc = gwsim_cli("routes", "match", SHOP, "--router", router, "--host", "shop.example.com",
                     "--path", "/cart", "--header", "X-API-Version: 2", "--json", check=True)
    assert json.loads(proc.stdout) == {"route": {"name": "cart-v2", "id": 6, "service": "cart"}}
    proc = gwsim_cli("routes", "match", SHOP, "--router", router, "--method", "POST", "--path", "/healthz",
                     "--json", check=True)
    assert json.loads(proc.stdout) == {"route": None}


def test_match_text(gwsim_cli: Any) -> None:
    proc = gwsim_cli("routes", "match", SHOP, "--router", "traditional", "--host", "eu.shop.example.com",
                     "--path", "/account/x", check=True)
    expected = "GET http://eu.shop.example.com/account/x -> accounts-eu (id 8, service accounts; traditional)\n"
    assert proc.stdout == expected
    proc = gwsim_cli("routes", "match", PETSTORE, "--scheme", "https", "--host", "petstore.example.com",
                     "--path", "/v2/pets", check=True)
    assert proc.stdout == "GET https://petstore.example.com/v2/pets -> no route (reference)\n"


def test_match_sni_and_prefix_mode(gwsim_cli: Any) -> None:
    proc = gwsim_cli("routes", "match", SHOP, "--router", "radix", "--scheme", "https", "--sni",
                     "secure.example.com", "--path", "/secure/x", "--json", check=True)
    assert json.loads(proc.stdout)["route"]["name"] == "static-tls"
    proc = gwsim_cli("routes", "match", PETSTORE, "--openapi-paths", "prefix", "--host", "petstore.example.com",
                     "--path", "/v1/pets/42/toys", "--json", check=True)
    assert json.loads(proc.stdout)["route"]["name"] == "showPetById"


# ---------------------------------------------------------------------------
# errors: status 2, a message naming the argument or position, no traceback


def expect_usage_error(proc: Any, *needles: str) -> None:
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    for needle in needles:
        assert needle in proc.stderr, (needle, proc.stderr)


def test_missing_file(gwsim_cli: Any, tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    expect_usage_error(gwsim_cli("routes", "stats", missing), "gwsim: error: argument FILE", str(missing))


def test_bad_header(gwsim_cli: Any) -> None:
    expect_usage_error(gwsim_cli("routes", "match", SHOP, "--header", "no-colon"), "--header", "NAME:VALUE")


def test_unknown_router(gwsim_cli: Any) -> None:
    expect_usage_error(gwsim_cli("routes", "match", SHOP, "--router", "magic"), "--router", "magic")


def test_bad_scheme(gwsim_cli: Any) -> None:
    expect_usage_error(gwsim_cli("routes", "match", SHOP, "--scheme", "ftp"), "--scheme")


def test_malformed_files(gwsim_cli: Any, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("routes:\n  - paths: [/a]\n")
    expect_usage_error(gwsim_cli("routes", "stats", bad), f"{bad}:1:1: missing _format_version")
    bad.write_text('_format_version: "2.1"\nroutes:\n  - paths: [/a]\n    service: nope\n')
    expect_usage_error(gwsim_cli("routes", "stats", bad), f'{bad}:4:14: routes[0].service: unknown service "nope"')
    bad.write_text("openapi: 2.0\npaths: {}\n")
    expect_usage_error(gwsim_cli("routes", "stats", bad), f'{bad}:1:10: openapi: unsupported version "2.0"')
    bad.write_text('_format_version: "2.1"\nroutes: [\n')
    expect_usage_error(gwsim_cli("routes", "stats", bad), f"{bad}:", "YAML syntax error")
    bad.write_text("title: nothing\n")
    expect_usage_error(gwsim_cli("routes", "stats", bad), "unknown route file format")
    expect_usage_error(gwsim_cli("routes", "stats", SHOP, "--format", "openapi"), "missing openapi")
