#!/usr/bin/env bash
# Sets up a gwsim checkout: installs the Debian packages listed in
# scripts/debian-packages.txt that are missing, makes the Python environment
# .venv (Debian's interpreter, with its packages), then configures and builds
# into build/. Quick when everything is already there.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

mapfile -t packages < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' scripts/debian-packages.txt | grep -v '^$')
installed=$(dpkg-query -W -f='${Package} ${db:Status-Status}\n' "${packages[@]}" 2>/dev/null | awk '$2 == "installed" {print $1}' || true)
missing=()
for p in "${packages[@]}"; do
  grep -qx "$p" <<<"$installed" || missing+=("$p")
done
if ((${#missing[@]} > 0)); then
  sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "setup: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
    sudo=(sudo)
  fi
  echo "setup: installing Debian packages: ${missing[*]}" >&2
  "${sudo[@]}" apt-get update -q
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# Python environment: Debian's interpreter, seeing Debian's numpy, pandas,
# matplotlib and dask (there is no other package index to install from).
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv" >&2
  /usr/bin/python3 -m venv --system-site-packages .venv
fi

werror=OFF
[ "${CI:-}" = "true" ] && werror=ON
if [ ! -f build/CMakeCache.txt ]; then
  cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DPython3_EXECUTABLE=/usr/bin/python3 \
    -DGWSIM_WARNINGS_AS_ERRORS=$werror >&2
else
  cmake -S . -B build -DGWSIM_WARNINGS_AS_ERRORS=$werror >/dev/null
fi
cmake --build build -j"$(nproc)" >&2
