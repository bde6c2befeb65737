#!/usr/bin/env bash
# The one command that installs everything and runs the whole suite (fresh Debian, root or sudo).
# Usage: scripts/test.sh [pytest arguments...]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Debian packages the suite needs. Adding one is adding a word here (and, if the package's
# command is not named after it, a line in installed()).
OS_PACKAGES=(postgresql chromium npm redis-server)

installed() {
  case "$1" in
    # The server binaries are what matter, whichever versioned package brought them.
    postgresql) compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null && return 0 ;;
    # Debian's chromium drives the browser tests (Playwright never downloads a browser).
    chromium) command -v chromium >/dev/null 2>&1 && return 0 ;;
    *) command -v "$1" >/dev/null 2>&1 && return 0 ;;
  esac
  [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    echo "scripts/test.sh: need root or sudo to run: $*" >&2
    exit 1
  fi
}

missing=()
for package in "${OS_PACKAGES[@]}"; do
  installed "$package" || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "--- apt-get install ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

scripts/pip-install.sh test

# axe-core for the accessibility tests (tests/browser/test_accessibility.py), into a folder
# git ignores; npm skips the download when the pinned version is there already. Pinned
# exactly: a newer axe-core can bring new rules, and a run must not fail on what it fetched.
echo "--- npm install axe-core"
npm install --no-save --no-audit --no-fund --silent --prefix .cache/node axe-core@4.14.1

echo "--- ruff"
python3 -m ruff check .
python3 -m ruff format --check .

echo "--- lint-imports (the layers in setup.cfg)"
lint-imports

echo "--- pytest"
status=0
python3 -m pytest -n 2 --dist loadfile "$@" || status=$?
if [ "$status" -eq 5 ]; then
  echo "scripts/test.sh: pytest collected no tests; a test run that tests nothing is a failure." >&2
fi
exit "$status"
