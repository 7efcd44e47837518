#!/usr/bin/env bash
# po/update.sh: remakes po/pos-client.pot from pos-client/*.c with xgettext (the keywords of
# pos-client/pos/i18n.h: _, N_, P_) and merges it into each po/LANG.po with msgmerge, so that a
# translator sees the new and changed sentences (untranslated, or "fuzzy"). Run it after
# changing a sentence in pos-client; then translate, and po/check.sh (a test) passes again.
set -euo pipefail
cd "$(dirname "$0")/.."
xgettext --language=C --from-code=UTF-8 -k --keyword=_ --keyword=N_ --keyword=P_:1,2 \
  --add-comments=TRANSLATORS: --package-name=pos-client --msgid-bugs-address=coupond \
  --sort-by-file --no-wrap -o po/pos-client.pot pos-client/*.c
for po in po/*.po; do
  msgmerge --quiet --update --backup=none --no-wrap "$po" po/pos-client.pot
done
