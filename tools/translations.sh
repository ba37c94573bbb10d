#!/usr/bin/env bash
# Refresh the translation catalogs after changing user-facing strings:
#   tools/translations.sh          extract, merge new strings into every .po, compile
# Then translate the empty msgstr entries in kiosk/translations/*/LC_MESSAGES/messages.po and run it again.
# tests/test_translations.py fails while a Chinese string is missing or a .mo is stale.
set -euo pipefail
cd "$(dirname "$0")/.."
KEYWORDS=(-k _ -k gettext -k ngettext:1,2 -k lazy_gettext -k DomainError:2 -k NotFound:2 -k Forbidden:2 -k Conflict:2)
pybabel extract -F babel.cfg "${KEYWORDS[@]}" --no-location --sort-output --project simkiosk -o kiosk/messages.pot .
pybabel update -i kiosk/messages.pot -d kiosk/translations -D messages --no-fuzzy-matching \
  --width 120 --ignore-obsolete
# pybabel update can leave the header marked fuzzy, which would make compile skip the catalog.
sed -i '0,/^#, fuzzy$/{/^#, fuzzy$/d}' kiosk/translations/*/LC_MESSAGES/messages.po
pybabel compile -d kiosk/translations -D messages --statistics
