# Shared by scripts/run and scripts/test: a local virtual environment, bun, quiet Reflex.
# Usage: source scripts/lib.sh; pmo_setup runtime|test
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

export REFLEX_TELEMETRY_ENABLED=false
export REFLEX_CHECK_LATEST_VERSION=false
export NPM_CONFIG_REGISTRY="${NPM_CONFIG_REGISTRY:-https://registry.npmjs.org}"
export PIP_DISABLE_PIP_VERSION_CHECK=1
export PATH="$ROOT/tools/node_modules/.bin:$ROOT/.venv/bin:$PATH"

pmo_python() {
  for candidate in python3.13 python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)'; then
      echo "$candidate"
      return
    fi
  done
  echo "pmo_saas needs Python 3.11 or newer (python3 --version)." >&2
  exit 1
}

pmo_setup() {
  local extra="$1"
  if [ ! -x .venv/bin/python ]; then
    echo "==> creating .venv"
    "$(pmo_python)" -m venv .venv
  fi
  local stamp=".venv/.pmo-installed-$extra"
  local want
  want="$(sha256sum pyproject.toml | cut -c1-16)"
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "==> installing Python packages ($extra)"
    .venv/bin/python -m pip install -q --upgrade pip
    if [ "$extra" = "test" ]; then
      .venv/bin/python -m pip install -q -e ".[test]"
    else
      .venv/bin/python -m pip install -q -e .
    fi
    echo "$want" > "$stamp"
  fi
  if [ ! -x tools/node_modules/.bin/bun ]; then
    command -v npm >/dev/null 2>&1 || { echo "pmo_saas needs Node.js and npm (for bun)." >&2; exit 1; }
    echo "==> installing bun from the npm registry"
    npm ci --prefix tools --no-audit --no-fund --loglevel=error
  fi
}
