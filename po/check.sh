#!/usr/bin/env bash
# po/check.sh (the test po_catalog_complete): every sentence pos-client/*.c marks for
# translation is translated in each po/LANG.po — none missing, none "fuzzy" (changed since it
# was translated) — and each catalog passes msgfmt --check (the format directives of every
# translation match its English sentence). Fails with the list of what is missing: run
# po/update.sh and translate them.
set -euo pipefail
cd "$(dirname "$0")/.."
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
xgettext --language=C --from-code=UTF-8 -k --keyword=_ --keyword=N_ --keyword=P_:1,2 \
  --add-comments=TRANSLATORS: --package-name=pos-client --msgid-bugs-address=coupond \
  -o "$t/pos-client.pot" pos-client/*.c
failed=0
for po in po/*.po; do
  lang=$(basename "$po" .po)
  msgmerge --quiet --no-fuzzy-matching -o "$t/$lang.po" "$po" "$t/pos-client.pot"
  msgfmt --check --strict -o /dev/null "$t/$lang.po" || { echo "po/$lang.po: msgfmt --check fails"; failed=1; }
  missing=$(msgattrib --untranslated --no-obsolete "$t/$lang.po" | grep -c '^msgid ' || true)
  fuzzy=$(msgattrib --only-fuzzy --no-obsolete "$t/$lang.po" | grep -c '^msgid ' || true)
  # msgattrib prints the header entry (msgid "") along with any it found.
  missing=$((missing > 0 ? missing - 1 : 0)) fuzzy=$((fuzzy > 0 ? fuzzy - 1 : 0))
  if [ "$missing" -ne 0 ] || [ "$fuzzy" -ne 0 ]; then
    echo "po/$lang.po: $missing sentences untranslated, $fuzzy fuzzy (run po/update.sh and translate):"
    msgattrib --untranslated --no-obsolete "$t/$lang.po" | grep '^msgid ' | grep -vx 'msgid ""' | head -40
    msgattrib --only-fuzzy --no-obsolete "$t/$lang.po" | grep '^msgid ' | grep -vx 'msgid ""' | head -40
    failed=1
  fi
  echo "po/$lang.po: $(msgfmt --statistics -o /dev/null "$t/$lang.po" 2>&1)"
done
exit "$failed"
