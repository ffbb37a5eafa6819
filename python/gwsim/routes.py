"""``gwsim routes``: import real route sets and ask the routers about them.

::

    gwsim routes stats FILE [--format auto|kong|openapi] [--openapi-paths regex|prefix] [--json]
    gwsim routes match FILE [--router NAME] [--method M] [--host H] [--path P]
                            [--header NAME:VALUE ...] [--sni S] [--scheme http|https] [--json]

FILE is a Kong declarative configuration (``_format_version``) or an OpenAPI
3.x document (``openapi``), YAML or JSON; the format is detected unless
``--format`` names it. ``stats`` prints what was imported; ``match`` prints
the route the named router (``reference``, ``traditional``, ``radix``, ...)
selects for one request, with Kong 2.x's precedence. Invalid input exits with
status 2 and a message naming the argument or the file position.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Optional

__all__ = ["add_parser", "run"]

EXIT_USAGE = 2


class _UsageError(Exception):
    """Bad input from the user: printed without a traceback, exit status 2."""


def _header(text: str) -> tuple[str, str]:
    """Parse a ``NAME:VALUE`` request header (argparse type)."""
    name, sep, value = text.partition(":")
    name = name.strip()
    if not sep or not name or any(c.isspace() for c in name):
        raise argparse.ArgumentTypeError(f"expected NAME:VALUE, got {text!r}")
    return name, value.strip()


def _router_names() -> list[str]:
    """The routers the compiled module offers."""
    from . import _core

    return list(_core.route_routers())


def add_parser(commands: Any) -> argparse.ArgumentParser:
    """Add the ``routes`` command (and its subcommands) to ``commands``.

    Parameters
    ----------
    commands : argparse subparsers action
        The ``add_subparsers()`` result of the main parser.

    Returns
    -------
    argparse.ArgumentParser
        The ``routes`` parser.
    """
    routes = commands.add_parser(
        "routes",
        help="import a Kong or OpenAPI route file; print stats or match a request",
        description="Import a Kong declarative configuration or an OpenAPI 3.x document and "
                    "summarise it or match one request with a router.",
    )
    sub = routes.add_subparsers(dest="routes_command", metavar="SUBCOMMAND", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("file", metavar="FILE", help="route file (YAML or JSON)")
        p.add_argument("--format", choices=["auto", "kong", "openapi"], default="auto",
                       help="file format (default: detected from _format_version / openapi)")
        p.add_argument("--openapi-paths", choices=["regex", "prefix"], default="regex",
                       help="OpenAPI paths as anchored regexes (default) or as prefixes cut at the first template")
        p.add_argument("--json", action="store_true", help="print one JSON object")

    stats = sub.add_parser("stats", help="print what a route file contains",
                           description="Print the routes, services, paths, hosts, methods, header rules "
                                       "and warnings imported from a route file.")
    common(stats)

    match = sub.add_parser("match", help="print the route a router selects for one request",
                           description="Print the route the named router selects for one request "
                                       "(Kong 2.x precedence).")
    common(match)
    match.add_argument("--router", default="reference", choices=_router_names(),
                       help="router to ask (default: reference)")
    match.add_argument("--method", default="GET", help="request method (default: GET)")
    match.add_argument("--host", default="", help="Host header, optionally with :port")
    match.add_argument("--path", default="/", help="request path; a query string is cut off (default: /)")
    match.add_argument("--header", dest="headers", action="append", type=_header, default=[],
                       metavar="NAME:VALUE", help="request header (repeatable)")
    match.add_argument("--sni", default="", help="TLS server name")
    match.add_argument("--scheme", choices=["http", "https"], default="http",
                       help="request scheme; picks the default port for wildcard hosts (default: http)")
    return routes


def _load(args: argparse.Namespace) -> Any:
    """Import the file named on the command line."""
    from . import _core

    path = Path(args.file)
    if not path.is_file():
        raise _UsageError(f"argument FILE: no such file: {args.file}")
    try:
        return _core.RouteSet(str(path), format=args.format, openapi_paths=args.openapi_paths)
    except ValueError as error:
        raise _UsageError(str(error)) from None


def format_stats(name: str, stats: dict[str, Any]) -> str:
    """The text form of ``RouteSet.stats()`` for the file ``name``."""
    methods = ", ".join(f"{m} {n}" for m, n in sorted(stats["methods"].items())) or "-"
    lines = [
        f"{name}: {stats['format']}",
        f"  routes        {stats['routes']:>6} ({stats['routes_without_service']} without a service)",
        f"  services      {stats['services']:>6}",
        f"  plugins       {stats['plugins']:>6}",
        f"  paths         {stats['paths']:>6} ({stats['regex_paths']} regex, {stats['prefix_paths']} prefix)",
        f"  hosts         {stats['hosts']:>6} ({stats['plain_hosts']} plain, {stats['wildcard_hosts']} wildcard)",
        f"  header rules  {stats['header_rules']:>6}",
        f"  snis          {stats['snis']:>6}",
        f"  methods       {methods}",
        f"  warnings      {len(stats['warnings']):>6}",
    ]
    lines += [f"  warning: {w}" for w in stats["warnings"]]
    return "\n".join(lines) + "\n"


def _stats(args: argparse.Namespace) -> int:
    stats = _load(args).stats()
    if args.json:
        print(json.dumps(stats))
    else:
        sys.stdout.write(format_stats(args.file, stats))
    return 0


def _match(args: argparse.Namespace) -> int:
    routes = _load(args)
    try:
        found: Optional[dict[str, Any]] = routes.match(
            args.router, method=args.method, host=args.host, path=args.path, headers=args.headers,
            sni=args.sni, scheme=args.scheme)
    except ValueError as error:
        raise _UsageError(f"argument --router: {error}") from None
    if args.json:
        print(json.dumps({"route": found}))
        return 0
    request = f"{args.method.upper()} {args.scheme}://{args.host}{args.path}"
    if found is None:
        print(f"{request} -> no route ({args.router})")
    else:
        label = found["name"] if found["name"] is not None else f"route {found['id']}"
        service = f", service {found['service']}" if found["service"] is not None else ""
        print(f"{request} -> {label} (id {found['id']}{service}; {args.router})")
    return 0


def run(args: argparse.Namespace) -> int:
    """Run ``gwsim routes SUBCOMMAND`` for parsed arguments.

    Parameters
    ----------
    args : argparse.Namespace
        Arguments parsed by the parser :func:`add_parser` added.

    Returns
    -------
    int
        The exit status: 0 success, 2 invalid input.
    """
    try:
        if args.routes_command == "stats":
            return _stats(args)
        return _match(args)
    except _UsageError as error:
        print(f"gwsim: error: {error}", file=sys.stderr)
        return EXIT_USAGE
