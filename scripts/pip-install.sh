#!/usr/bin/env bash
# Installs the portal (editable) with pip; shared by scripts/demo.sh and scripts/test.sh.
# Usage: scripts/pip-install.sh [EXTRAS]   e.g. scripts/pip-install.sh test
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
target="."
[ -n "${1:-}" ] && target=".[$1]"
echo "--- pip install -e $target"
# Debian's own python3 refuses pip installs (PEP 668) unless told this machine is disposable.
if python3 -c 'import os, sys, sysconfig
sys.exit(not os.path.exists(os.path.join(sysconfig.get_path("stdlib"), "EXTERNALLY-MANAGED")))'
then
  export PIP_BREAK_SYSTEM_PACKAGES=1
fi
PIP_ROOT_USER_ACTION=ignore PIP_DISABLE_PIP_VERSION_CHECK=1 \
  python3 -m pip install --quiet --editable "$target"
