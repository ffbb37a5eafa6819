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
# The Python module is built for Debian's interpreter (the one .venv runs),
# never for another python3 that happens to come first on PATH.
options=(-DPython3_EXECUTABLE=/usr/bin/python3 -DGWSIM_BUILD_PYTHON=ON -DGWSIM_WARNINGS_AS_ERRORS=$werror)
if [ ! -f build/CMakeCache.txt ]; then
  cmake -S . -B build -DCMAKE_BUILD_TYPE=Release "${options[@]}" >&2
else
  cmake -S . -B build "${options[@]}" >/dev/null
fi
cmake --build build -j"$(nproc)" >&2

# The gwsim Python package, importable from .venv with no install step: a .pth
# file puts python/ on the path (gwsim finds its compiled _core in
# build/python/gwsim), and .venv/bin/gwsim runs the command line. Both hold
# this checkout's absolute path, so they are rewritten on every run and a
# moved checkout repairs itself.
site=$(.venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
mkdir -p "$site"
printf '%s\n' "$root/python" >"$site/gwsim.pth"
printf '%s\n' "#!$root/.venv/bin/python" "import sys" "" "from gwsim.cli import main" "" "sys.exit(main())" \
  >.venv/bin/gwsim.tmp
chmod +x .venv/bin/gwsim.tmp
mv -f .venv/bin/gwsim.tmp .venv/bin/gwsim

# A Jupyter kernel for notebooks, when ipykernel is there (optional).
kernel=.venv/share/jupyter/kernels/gwsim/kernel.json
if ! grep -qF "\"$root/.venv/bin/python\"" "$kernel" 2>/dev/null &&
  .venv/bin/python -c 'import ipykernel' >/dev/null 2>&1; then
  .venv/bin/python -m ipykernel install --sys-prefix --name gwsim --display-name "Python (gwsim)" >/dev/null 2>&1 ||
    echo "setup: could not register the Jupyter kernel (skipped)" >&2
fi
