#!/usr/bin/env bash
# The one command that installs the portal and serves it with demo data on http://127.0.0.1:8000.
# SQLite and files under ./instance; set PORTAL_DATA_DIR or DATABASE_URL to put them elsewhere.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/pip-install.sh
export PORTAL_DEMO=1
bind="${PORTAL_BIND:-127.0.0.1:8000}"
# Links in feeds, catalogues and hreflang alternates name the address the demo answers on.
export PORTAL_BASE_URL="${PORTAL_BASE_URL:-http://$bind}"
exec python3 -m portal demo --serve --bind "$bind"
