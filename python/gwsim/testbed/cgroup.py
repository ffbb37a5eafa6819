"""A memory cgroup for the testbed gateway: the pod memory limit, enforced by the kernel.

The harness starts nginx inside a fresh memory cgroup below its own, with
``memory.max`` (cgroup v2) or ``memory.limit_in_bytes`` (v1) set to the
limit, so that the kernel's OOM killer kills a worker when the gateway
outgrows it and nginx's master respawns it, as in a Kubernetes pod. Where no
cgroup can be created (no permission, no memory controller), :func:`probe`
says why and the harness runs without a limit.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

__all__ = ["MemoryCgroup", "probe"]

_ROOT = Path("/sys/fs/cgroup")


def _own_path(controller: str) -> Optional[str]:
    """This process's cgroup path for `controller` ("" = the v2 unified line)."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        if controller == "" and parts[0] == "0" and parts[1] == "":
            return parts[2]
        if controller and controller in parts[1].split(","):
            return parts[2]
    return None


def _parent() -> tuple[Optional[Path], str, str]:
    """(directory new cgroups go below, version "v1"/"v2", reason when None)."""
    v1 = _ROOT / "memory"
    if (v1 / "memory.limit_in_bytes").exists():
        own = _own_path("memory")
        if own is not None and (v1 / own.lstrip("/")).is_dir():
            return v1 / own.lstrip("/"), "v1", ""
        return v1, "v1", ""
    if (_ROOT / "cgroup.controllers").exists():
        own = _own_path("")
        base = _ROOT / (own or "/").lstrip("/")
        try:
            controllers = (base / "cgroup.subtree_control").read_text().split()
        except OSError as e:
            return None, "v2", f"cannot read {base}/cgroup.subtree_control: {e}"
        if "memory" not in controllers:
            try:
                (base / "cgroup.subtree_control").write_text("+memory")
            except OSError as e:
                return None, "v2", (f"the memory controller is not enabled below {base} and cannot be "
                                    f"({e}); run as root or in a cgroup with memory delegated")
        return base, "v2", ""
    return None, "", "no cgroup filesystem with a memory controller under /sys/fs/cgroup"


def probe() -> tuple[bool, str]:
    """Whether a memory cgroup can be made here, and why not."""
    parent, _, reason = _parent()
    if parent is None:
        return False, reason
    if not os.access(parent, os.W_OK):
        return False, f"no permission to create a cgroup under {parent} (run as root)"
    return True, ""


class MemoryCgroup:
    """A memory cgroup with a limit; processes join it with :meth:`join` (e.g. as ``preexec_fn``).

    Parameters
    ----------
    limit_bytes : int
        The limit (>= 4 MiB). Swap is limited to the same amount where the
        kernel accounts it, so that the OOM killer acts instead of swapping.
    name : str
        Directory name of the cgroup (made unique with the process id).

    Raises
    ------
    ValueError
        If `limit_bytes` is out of range.
    RuntimeError
        If no cgroup can be made here (the message says why).
    """

    def __init__(self, limit_bytes: int, name: str = "gwsim-testbed") -> None:
        if isinstance(limit_bytes, bool) or not isinstance(limit_bytes, int) or limit_bytes < 4 << 20:
            raise ValueError(f"memory_limit_bytes must be an integer >= {4 << 20} (4 MiB), got {limit_bytes!r}")
        parent, version, reason = _parent()
        if parent is None:
            raise RuntimeError(f"cannot make a memory cgroup: {reason}")
        self.version = version
        self.limit_bytes = limit_bytes
        self.path = parent / f"{name}-{os.getpid()}-{id(self) & 0xFFFF:x}"
        try:
            self.path.mkdir()
        except OSError as e:
            raise RuntimeError(f"cannot make a memory cgroup at {self.path}: {e}") from e
        try:
            if version == "v1":
                (self.path / "memory.limit_in_bytes").write_text(str(limit_bytes))
                memsw = self.path / "memory.memsw.limit_in_bytes"
                if memsw.exists():
                    memsw.write_text(str(limit_bytes))
            else:
                (self.path / "memory.max").write_text(str(limit_bytes))
                swap = self.path / "memory.swap.max"
                if swap.exists():
                    swap.write_text("0")
        except OSError as e:
            self.remove()
            raise RuntimeError(f"cannot set the memory limit of {self.path}: {e}") from e

    def join(self) -> None:
        """Move the calling process into the cgroup (its children follow)."""
        (self.path / "cgroup.procs").write_text(str(os.getpid()))

    def oom_kills(self) -> int:
        """Processes the kernel's OOM killer has killed in this cgroup so far."""
        name = "memory.oom_control" if self.version == "v1" else "memory.events"
        try:
            for line in (self.path / name).read_text().splitlines():
                key, _, value = line.partition(" ")
                if key == "oom_kill":
                    return int(value)
        except OSError:
            pass
        return 0

    def usage_bytes(self) -> int:
        """Memory charged to the cgroup now."""
        name = "memory.usage_in_bytes" if self.version == "v1" else "memory.current"
        try:
            return int((self.path / name).read_text())
        except (OSError, ValueError):
            return 0

    def pids(self) -> list[int]:
        """Processes in the cgroup."""
        try:
            return [int(p) for p in (self.path / "cgroup.procs").read_text().split()]
        except OSError:
            return []

    def remove(self) -> None:
        """Remove the cgroup (its processes must have exited)."""
        try:
            self.path.rmdir()
        except OSError:
            pass
