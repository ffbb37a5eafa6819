"""Type stubs for the compiled module gwsim._core (python/core.cpp)."""

from typing import Any, Callable, Iterable, Optional

__version__: str

def run(scenario_json: str, progress: Optional[Callable[[float], None]] = None) -> dict[str, dict[str, Any]]: ...
def load_scenario(path: str) -> str: ...
def apply_overrides(scenario_json: str, assignments: list[str]) -> str: ...
def default_scenario() -> str: ...
def strategy_names() -> list[str]: ...
def analyze(scenario_json: str) -> dict[str, dict[str, Any]]: ...

class RouteSet:
    """A route file imported by the C++ importers (python/core_routes.cpp)."""

    def __init__(self, path: str, format: str = "auto", openapi_paths: str = "regex") -> None: ...
    @property
    def format(self) -> str: ...
    @property
    def warnings(self) -> list[str]: ...
    def stats(self) -> dict[str, Any]: ...
    def routes(self) -> list[dict[str, Any]]: ...
    @staticmethod
    def from_routes(routes: Iterable[dict[str, Any]]) -> RouteSet:
        """A set made of route dicts (routes() / synthetic_routes() format;
        headers may also be a dict name -> values). Raises ValueError."""
        ...
    def match_ids(self, router: str, requests: Iterable[dict[str, Any]]) -> list[Optional[int]]:
        """The selected route id per request dict (synthetic_requests() format), None for no match."""
        ...
    def match(
        self,
        router: str,
        method: str = "GET",
        host: str = "",
        path: str = "/",
        headers: list[tuple[str, str]] = ...,
        sni: str = "",
        scheme: str = "http",
    ) -> Optional[dict[str, Any]]: ...

def route_routers() -> list[str]: ...
def synthetic_routes(
    routes: int,
    seed: int = 1,
    regex_fraction: float = 0.05,
    host_fraction: float = 0.6,
    wildcard_host_fraction: float = 0.1,
    distinct_hosts: int = 200,
    header_fraction: float = 0.02,
    method_fraction: float = 0.3,
) -> list[dict[str, Any]]:
    """models/router/synthetic_routes.hpp's generate_routes as RouteSet.routes()
    dicts (``service`` is the numeric service id). ValueError names a bad field."""
    ...
def synthetic_requests(
    routes: int,
    n: int,
    seed: int = 2,
    route_seed: int = 1,
    regex_fraction: float = 0.05,
    host_fraction: float = 0.6,
    wildcard_host_fraction: float = 0.1,
    distinct_hosts: int = 200,
    header_fraction: float = 0.02,
    method_fraction: float = 0.3,
    zipf_s: float = 1.0,
    miss_fraction: float = 0.05,
) -> list[dict[str, Any]]:
    """generate_requests(seed) on synthetic_routes(routes, seed=route_seed, ...):
    dicts with method, host, path, headers (list of (name, value)), sni, scheme."""
    ...

class GcHeap:
    """The collector model (models/memory/gc_heap.hpp): one LuaJIT worker heap (python/core_memory.cpp)."""

    def __init__(self, baseline_bytes: float = 0.0, pause: float = 200.0, stepmul: float = 200.0,
                 mean_object_bytes: float = 64.0) -> None: ...
    def allocate(self, bytes: float) -> int: ...
    def allocate_garbage(self, bytes: float) -> None: ...
    def release(self, handle: int) -> None: ...
    def full_collect(self) -> None: ...
    @property
    def total_bytes(self) -> float: ...
    @property
    def live_bytes(self) -> float: ...
    @property
    def garbage_bytes(self) -> float: ...
    @property
    def threshold_bytes(self) -> float: ...
    @property
    def estimate_bytes(self) -> float: ...
    @property
    def cycles_completed(self) -> int: ...
    @property
    def phase(self) -> str: ...
