#!/usr/bin/env bash
# The gettext catalogues (portal/translations): after changing a translatable string,
#   bash scripts/translations.sh        extract every string, update each .po, compile the .mo
# then translate the new entries of portal/translations/<lang>/LC_MESSAGES/messages.po and run
# it again to compile. tests/test_languages.py fails while a .po and the code disagree.
set -euo pipefail
cd "$(dirname "$0")/.."
pot=$(mktemp --suffix=.pot)
trap 'rm -f "$pot"' EXIT
pybabel extract -F babel.cfg -k _ -k gettext -k ngettext:1,2 -k lazy_gettext -k N_ \
  --no-location --sort-output --project=portal -o "$pot" . >/dev/null
pybabel update -i "$pot" -d portal/translations --no-fuzzy-matching --ignore-obsolete
pybabel compile -d portal/translations --statistics
