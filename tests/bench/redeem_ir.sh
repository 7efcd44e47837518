#!/usr/bin/env bash
# tests/bench/redeem_ir.sh: instructions PostgreSQL executes per call of redeem() and of its
# neighbours, counted by valgrind (callgrind) in a single-user backend. Unlike CPU time, an
# instruction count does not move with the machine's other load, so it compares two schemas
# (or two versions of a function) exactly on a shared machine; it leaves out the kernel's part
# (the WAL's write and flush at commit), which redeem_cpu.sh's CPU time includes.
#
#   tests/bench/redeem_ir.sh                       # sql/ of this tree
#   RIR_SQL=/tmp/old-sql tests/bench/redeem_ir.sh  # another tree's sql/ (git archive)
#
# Each call runs RIR_N [300] more times than a first run of 50 (both on fresh coupons, each
# call its own transaction, prepared), and the difference of the two totals over RIR_N is the
# figure: start-up, the first calls' planning and caching fall out. Every run takes coupons
# no run took before (until stop 22 every run started again at serial 1, so all but the first
# call measured coupons already redeemed: redeem()'s figures were its already_redeemed path).
# Calls (RIR_CALLS chooses; default all):
#   redeem_fast  the statement coupond makes for such a redemption (db_statements.c's
#             "redeem_fast", read from the source), booking it without calling redeem()
#   redeem    SELECT * FROM redeem(...) as coupond calls it (uncapped campaign, no card/receipt)
#   minimal   the minimal redeem statement (one UPDATE coupons ... RETURNING feeding one
#             INSERT INTO redemptions; it fires the same outbox trigger and constraints)
#   select1   SELECT 1: the frame (protocol, transaction, commit)
# Prints "call=redeem ir_per_call=...". Its own cluster var/pg-rir (stopped while counting).
# RIR_PROFILE=DIR keeps the callgrind files there (callgrind_annotate reads them).
set -euo pipefail
BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/lib.sh
. "$BENCH/../../scripts/lib.sh"

N=${RIR_N:-300}
SQL=${RIR_SQL:-$ROOT/sql}
BIN=${RIR_BIN:-$ROOT/build/coupond}
WORK=$(mktemp -d)
# the backend (the cluster's owner) reads the calls and writes its counts here
[ "$(id -u)" -ne 0 ] || chown "$PG_USER" "$WORK"
trap 'pg_stop; rm -rf "$WORK"' EXIT
command -v valgrind >/dev/null || die "valgrind is needed"
[ -x "$BIN" ] || die "no coupond at $BIN"
pg_start pg-rir
"$PG_BINDIR/psql" -h "$PG_SOCK" -U "$PG_USER" -d postgres -qAtX \
  -c "DROP DATABASE IF EXISTS coupond" -c "CREATE DATABASE coupond" >/dev/null
"$BIN" migrate --db "$COUPOND_DB" --sql "$SQL" >&2
"$PG_BINDIR/psql" -h "$PG_SOCK" -U "$PG_USER" -d coupond -qAtX -v ON_ERROR_STOP=1 >/dev/null <<SQL
INSERT INTO campaigns (name, channel, cost_cents, starts_at, ends_at, offer_kind, offer_value,
                       created_by, in_home_date)
VALUES ('ir', 'mailing', 100000, '2020-01-01', '2099-01-01', 'percent', 10, 'bench', '2020-01-01');
INSERT INTO coupon_batches (campaign_id, first_serial, last_serial, count, created_by)
VALUES (1, 1, 20 * $N, 20 * $N, 'bench');
INSERT INTO coupons (serial, campaign_id, batch_id) SELECT g, 1, 1 FROM generate_series(1, 20 * $N) g;
VACUUM ANALYZE;
CHECKPOINT;
SQL
data=$PG_DATA
pg_stop

# The statement coupond prepares as "redeem_fast" (empty before stop 22).
FAST_SQL=$("$BENCH/statement_sql.sh" redeem_fast)
# count CALL N SERIAL: total instructions of a single-user backend running N calls of CALL on
# coupons SERIAL, SERIAL + 1, ...
count() {
  local call=$1 n=$2 serial=$3 i out="$WORK/$1.$2"
  {
    [ -z "$FAST_SQL" ] || echo "PREPARE redeem_fast(bigint, integer, text, text, bigint, bigint) AS $FAST_SQL;"
    echo "PREPARE redeem(bigint, text) AS SELECT * FROM redeem(\$1::bigint, 1::integer, 'ir', \$2, 2500::bigint, NULL::bigint, NULL, NULL::timestamptz, NULL::jsonb, false);"
    echo "PREPARE minimal(bigint, text) AS WITH u AS (UPDATE coupons SET uses = uses + 1 WHERE serial = \$1 AND uses < max_uses RETURNING serial, campaign_id) INSERT INTO redemptions (coupon_serial, campaign_id, store_id, terminal, txn_id, basket_cents, discount_cents) SELECT serial, campaign_id, 1, 'ir-min', \$2, 2500, 250 FROM u RETURNING id;"
    echo "PREPARE select1(bigint, text) AS SELECT 1 WHERE \$1 > 0 AND \$2 IS NOT NULL;"
    for ((i = 0; i < n; i++)); do
      if [ "$call" = redeem_fast ]; then
        echo "EXECUTE redeem_fast($serial, 1, 'ir-fast', 't$serial', 2500, NULL);"
      else
        echo "EXECUTE $call($serial, 't$serial');"
      fi
      serial=$((serial + 1))
    done
  } >"$out.sql"
  chmod 644 "$out.sql"
  pg_as valgrind --tool=callgrind --callgrind-out-file="$out.cg" "$PG_BINDIR/postgres" --single \
    -D "$data" coupond <"$out.sql" >"$out.log" 2>&1
  grep -q 'ERROR' "$out.log" && die "$call: $(grep -m1 ERROR "$out.log")"
  local ir
  ir=$(sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$out.log")
  [ -n "$ir" ] || die "$call: no count from valgrind: $(tail -3 "$out.log")"
  echo "$ir"
}
next=1 # the first coupon no run has taken
for call in ${RIR_CALLS:-select1 minimal redeem redeem_fast}; do
  [ "$call" != redeem_fast ] || [ -n "$FAST_SQL" ] || continue # before stop 22
  a=$(count "$call" 50 "$next")
  b=$(count "$call" $((50 + N)) $((next + 50)))
  next=$((next + 100 + N))
  echo "call=$call n=$N ir_per_call=$(((b - a) / N))"
  if [ -n "${RIR_PROFILE:-}" ]; then mkdir -p "$RIR_PROFILE" && cp "$WORK/$call".*.cg "$RIR_PROFILE/"; fi
done
