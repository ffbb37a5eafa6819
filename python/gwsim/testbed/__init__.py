"""The real testbed: nginx + LuaJIT running a Kong-2.x-style router, for calibrating and validating gwsim.

:mod:`gwsim.testbed.gateway` starts and stops the real gateway (Debian's
nginx with its Lua module, the Lua code in ``testbed/lua``) on loopback;
:mod:`gwsim.testbed.cgroup` gives it a pod memory limit the kernel enforces.
"""

from .cgroup import MemoryCgroup, probe
from .gateway import Gateway, GatewaySettings, GatewayUnavailable, find_nginx

__all__ = ["Gateway", "GatewaySettings", "MemoryCgroup", "GatewayUnavailable", "find_nginx", "probe"]
