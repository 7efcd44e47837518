#!/usr/bin/env bash
# style_gate_fails_on_a_misformatted_file_or_a_banned_call: scripts/check passes on a copy of
# the source tree as it is; in the copy, a file that clang-format would change makes it fail
# (naming the file), and so does a sprintf call, a prototype without its contract comment, a
# declaration in a header that does not name the file defining it (in service/ and in
# pos-client/), an unused #include in pos-client/, and each break of the seam between SQL and C:
# libpq outside service/db*.c, snprintf building a parameter in a db file, a handler comparing a
# status word as a string, a word in SQL that C does not know, a misspelt status in a stored
# function. The tree itself is never touched.
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
copy="$work/tree"
mkdir -p "$copy"
# The parts scripts/check reads (no build trees, no var/).
(cd "$src" && tar cf - --exclude='./build*' --exclude=__pycache__ --exclude=node_modules \
  .clang-format scripts include lib service pos-client tests sql) | (cd "$copy" && tar xf -)

# run: scripts/check of the copy; sets OUT and RC.
run() {
  RC=0
  OUT=$("$copy/scripts/check" 2>&1) || RC=$?
}

run
if [ "$RC" -ne 0 ]; then
  printf '%s\n' "$OUT" >&2
  echo "FAIL: scripts/check fails on the unchanged tree" >&2
  exit 1
fi
echo "ok: the tree as it is passes"

# The breakages below are all in C and SQL: their copies leave out the tests' shell scripts
# (shellcheck on those, the gate's slowest part, was proven to pass above and fires on none of
# the breakages).
rm -rf "$copy"
mkdir -p "$copy"
(cd "$src" && tar cf - --exclude='./build*' --exclude=__pycache__ --exclude=node_modules --exclude='tests/*.sh' \
  .clang-format scripts include lib service pos-client tests sql) | (cd "$copy" && tar xf -)

# Four breakages at once (each check runs whatever the others found; each must name its own).
printf '\nstatic int   misformatted (void) { return 1 ; }\n' >>"$copy/service/log.c"
printf '\nvoid pos_check_gate_probe(char *out);\n\n/* A banned call. */\nvoid pos_check_gate_probe(char *out)\n{\n    sprintf(out, "%%d", 1);\n}\n' \
  >>"$copy/pos-client/money.c"
sed -i 's|^#endif|void log_uncommented(void);\n\n/* Declared here, defined in metrics.c: a header that lies about its file. */\nchar *metrics_render(void);\n\n#endif|' \
  "$copy/service/log.h"
# pos-client is held to the same rules: a header of pos-client/pos/ that declares what another
# file defines, and an #include nothing of which is used.
sed -i 's|^#endif|/* Declared here, defined in till.c. */\nconst struct pos_config *pos_till_config(const struct pos_till *till);\n\n#endif|' \
  "$copy/pos-client/pos/money.h"
sed -i '0,/^#include <stdio.h>/s||#include <math.h>\n#include <stdio.h>|' "$copy/pos-client/money.c"
run
status=0
check() { # check WHAT PATTERN
  if grep -qF -- "$2" <<<"$OUT"; then echo "ok: $1"; else echo "FAIL: $1: no '$2'" >&2; status=1; fi
}
[ "$RC" -eq 1 ] && echo "ok: scripts/check exits 1" || { echo "FAIL: scripts/check exited $RC, not 1" >&2; status=1; }
check "a misformatted file fails clang-format" "service/log.c:"
check "a sprintf call fails the banned-call check" "pos-client/money.c:"
check "a sprintf call is named" "sprintf() is banned"
check "a prototype without its contract comment fails" "log_uncommented has no contract comment"
check "a declaration whose header does not name its file fails" \
  "metrics_render is defined in service/metrics.c"
check "a pos-client header that does not name the file it declares for fails" \
  "pos_till_config is defined in pos-client/till.c, which pos-client/pos/money.h does not name"
check "an unused #include in pos-client fails" "pos-client/money.c:3: nothing of <math.h> is used"
[ "$status" -eq 0 ] || printf '%s\n' "$OUT" >&2

# The seam's breakages, on a fresh copy (each check again names its own).
rm -rf "$copy"
mkdir -p "$copy"
(cd "$src" && tar cf - --exclude='./build*' --exclude=__pycache__ --exclude=node_modules --exclude='tests/*.sh' \
  .clang-format scripts include lib service pos-client tests sql) | (cd "$copy" && tar xf -)
# libpq in a handler
sed -i 's|^#include "db.h"$|#include "db.h"\n#include <libpq-fe.h>|' "$copy/service/http_ops.c"
# a parameter made with snprintf in a db file
sed -i 's|^int db_card_create(uint32_t serial)$|static void probe(char *b, uint32_t s)\n{\n    snprintf(b, 16, "%u", s);\n}\n\nint db_card_create(uint32_t serial)|' \
  "$copy/service/db_cards.c"
# a status word compared as a string where database answers are read
sed -i 's|    bool replay = a.status == DBW_REPLAY;|    bool replay = strcmp(a.booked_at, "replay") == 0;|' "$copy/service/http_cards.c"
# a word in SQL that C does not know, and a misspelt status in a function
sed -i "s|'other_list', 'draw_changed', 'mismatch'|'other_list', 'draw_changed', 'mismatch', 'lost'|" \
  "$copy/sql/functions/0010_status_word.sql"
sed -i "s|status := 'already_voided';|status := 'allready_voided';|" "$copy/sql/functions/0550_card_void.sql"
run
[ "$RC" -eq 1 ] && echo "ok: scripts/check exits 1 on the seam's breakages" ||
  { echo "FAIL: scripts/check exited $RC, not 1" >&2; status=1; }
check "libpq outside the db files fails" "service/http_ops.c:"
check "libpq outside the db files is named" "libpq stays inside service/db*.c"
check "snprintf in a db file fails" "snprintf() in the database layer"
check "a status word compared as a string fails" "compares the status word 'replay' as a string"
check "a word only SQL knows fails" "'lost' has no entry in service/db_words.c"
check "a misspelt status fails" "'allready_voided' is not a status word"
[ "$status" -eq 0 ] || printf '%s\n' "$OUT" >&2
exit "$status"
