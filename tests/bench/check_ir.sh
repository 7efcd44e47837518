#!/usr/bin/env bash
# tests/bench/check_ir.sh: instructions PostgreSQL executes per check (POST /v1/checks' SQL),
# counted by valgrind (callgrind) in a single-user backend, as redeem_ir.sh does for redeem():
# an instruction count does not move with the machine's other load, so two versions of the
# check compare exactly on a shared machine.
#
#   tests/bench/check_ir.sh                       # sql/ of this tree
#   CIR_SQL=/tmp/old-sql tests/bench/check_ir.sh  # another tree's sql/ (git archive)
#   CIR_CALLS="coupon_check lookup" tests/bench/check_ir.sh
#
# Each call runs CIR_N [300] more times than a first run of 50 (each call its own transaction,
# prepared, on a different unused coupon), and the difference of the two totals over CIR_N is
# the figure: start-up and the first calls' planning fall out. Calls (CIR_CALLS):
#   coupon_check  SELECT * FROM coupon_check(...) as coupond called it before coupon_check_fast
#   check_fast    SELECT * FROM coupon_check_fast(...) as coupond calls it now (when present)
#   check_points  coupon_check_fast(...) of a points offer with a card (its probe, its points)
#   lookup    the coupon joined with its campaign by primary key (bench row f3's statement)
#   select1   SELECT 1: the frame (protocol, transaction, commit)
# Prints "call=coupon_check ir_per_call=...". Its own cluster var/pg-cir (stopped while counting).
# CIR_PROFILE=DIR keeps the callgrind files there (callgrind_annotate reads them); CIR_PLANS=1
# prints each statement's EXPLAIN (ANALYZE, VERBOSE) of its generic plan.
set -euo pipefail
BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/lib.sh
. "$BENCH/../../scripts/lib.sh"

N=${CIR_N:-300}
SQL=${CIR_SQL:-$ROOT/sql}
BIN=${CIR_BIN:-$ROOT/build/coupond}
CALLS=${CIR_CALLS:-select1 lookup coupon_check check_fast check_points}
WORK=$(mktemp -d)
# the backend (the cluster's owner) reads the calls and writes its counts here
[ "$(id -u)" -ne 0 ] || chown "$PG_USER" "$WORK"
trap 'pg_stop; rm -rf "$WORK"' EXIT
command -v valgrind >/dev/null || die "valgrind is needed"
[ -x "$BIN" ] || die "no coupond at $BIN"
pg_start pg-cir
psql_c() { "$PG_BINDIR/psql" -h "$PG_SOCK" -U "$PG_USER" -d coupond -qAtX -v ON_ERROR_STOP=1 "$@"; }
"$PG_BINDIR/psql" -h "$PG_SOCK" -U "$PG_USER" -d postgres -qAtX \
  -c "DROP DATABASE IF EXISTS coupond" -c "CREATE DATABASE coupond" >/dev/null
"$BIN" migrate --db "$COUPOND_DB" --sql "$SQL" >&2
# 20 campaigns (so that the campaign is read by its key, as on a real database); the coupons
# of campaign 1 (percent) are checked, those of campaign 2 (points) by check_points with card 1.
psql_c >/dev/null <<SQL
INSERT INTO campaigns (name, channel, cost_cents, starts_at, ends_at, offer_kind, offer_value,
                       created_by, in_home_date)
SELECT 'ir' || g, 'mailing', 100000, '2020-01-01', '2099-01-01',
       CASE WHEN g = 2 THEN 'points' ELSE 'percent' END, 10, 'bench', '2020-01-01'
  FROM generate_series(1, 20) g;
INSERT INTO coupon_batches (campaign_id, first_serial, last_serial, count, created_by)
VALUES (1, 1, 20 * $N, 20 * $N, 'bench'), (2, 20 * $N + 1, 40 * $N, 20 * $N, 'bench');
INSERT INTO coupons (serial, campaign_id, batch_id)
SELECT g, CASE WHEN g <= 20 * $N THEN 1 ELSE 2 END, CASE WHEN g <= 20 * $N THEN 1 ELSE 2 END
  FROM generate_series(1, 40 * $N) g;
INSERT INTO cards (serial) VALUES (1);
VACUUM ANALYZE;
CHECKPOINT;
SQL
HAS_FAST=$(psql_c -c "SELECT count(*) FROM pg_proc WHERE proname = 'coupon_check_fast'")
# As coupond prepares them: every argument a parameter (coupond's statements: db_statements.c).
prepares() {
  echo "PREPARE coupon_check(bigint, integer, bigint, bigint, text, text) AS SELECT * FROM coupon_check(\$1, \$2, \$3, \$4, \$5, \$6);"
  if [ "$HAS_FAST" != 0 ]; then
    echo "PREPARE check_fast(bigint, integer, bigint, bigint) AS SELECT * FROM coupon_check_fast(\$1, \$2, \$3, \$4);"
    echo "PREPARE check_points(bigint, integer, bigint, bigint) AS SELECT * FROM coupon_check_fast(\$1, \$2, \$3, \$4);"
  fi
  echo "PREPARE lookup(bigint) AS SELECT k.uses, k.max_uses, k.card_serial, c.starts_at, c.ends_at, c.offer_kind, c.offer_value, c.min_basket_cents, c.stores FROM coupons k JOIN campaigns c ON c.id = k.campaign_id WHERE k.serial = \$1;"
  echo "PREPARE select1(bigint) AS SELECT 1 WHERE \$1 > 0;"
}
# args CALL SERIAL: the arguments of one EXECUTE.
args() {
  case $1 in
    coupon_check) echo "$2, 1, 2500, NULL, NULL, NULL" ;;
    check_fast) echo "$2, 1, 2500, NULL" ;;
    check_points) echo "$(($2 + 20 * N)), 1, 2500, 1" ;;
    *) echo "$2" ;;
  esac
}
if [ -n "${CIR_PLANS:-}" ]; then
  for call in $CALLS; do
    { echo "SET plan_cache_mode = force_generic_plan;"; prepares; echo "EXPLAIN (ANALYZE, VERBOSE, COSTS OFF) EXECUTE $call($(args "$call" 7));"; } | psql_c
  done
fi
data=$PG_DATA
pg_stop

serial=1
# count CALL N: total instructions of a single-user backend running N calls of CALL.
count() {
  local call=$1 n=$2 i out="$WORK/$1.$2"
  {
    prepares
    for ((i = 0; i < n; i++)); do
      echo "EXECUTE $call($(args "$call" "$serial"));"
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
for call in $CALLS; do
  serial=1
  a=$(count "$call" 50)
  b=$(count "$call" $((50 + N)))
  echo "call=$call n=$N ir_per_call=$(((b - a) / N))"
  if [ -n "${CIR_PROFILE:-}" ]; then mkdir -p "$CIR_PROFILE" && cp "$WORK/$call".*.cg "$CIR_PROFILE/"; fi
done
