#!/usr/bin/env bash
# tests/bench/redeem_cpu.sh: PostgreSQL's own CPU per call of redeem() and of its neighbours,
# read from the backend's /proc/self/stat (user + system time) around a run of calls on one
# connection, each call its own transaction with a durable commit, as coupond makes them. CPU
# time, not wall time, so the figures hold on a shared machine (they are the backend's own
# ticks, whatever else runs); compare two schemas with the same script.
#
#   tests/bench/redeem_cpu.sh                     # sql/ of this tree
#   RCPU_SQL=/tmp/old-sql tests/bench/redeem_cpu.sh   # another tree's sql/ (git archive)
#
# Calls measured, RCPU_N [10000] of each, on fresh coupons (every redemption a new one):
#   redeem          SELECT * FROM redeem(...) on an uncapped campaign (the common case)
#   redeem_capped   the same on a campaign with max_redemptions (its counter is touched)
#   replay          redeem() again with a used (terminal, txn_id): the replay answer
#   refused         redeem() of a coupon already redeemed under a new key (already_redeemed)
#   check           SELECT * FROM coupon_check(...) of an unused coupon (read-only)
#   minimal         the minimal redeem statement: one UPDATE coupons ... RETURNING feeding one
#                   INSERT INTO redemptions (what pgbench runs as the ceiling in run.sh)
#   select1         SELECT 1: the frame every call pays (protocol, transaction, commit)
# Prints one line per call: "call=redeem n=... cpu_us_per_call=... net_us=..." (net: minus
# select1). Settings: RCPU_N, RCPU_SQL [sql], RCPU_BIN [build/coupond]; its own cluster
# var/pg-rcpu (database recreated every run). RCPU_PLANS=FILE writes EXPLAIN (ANALYZE,
# VERBOSE) of the lean statements into FILE; RCPU_CLUSTER [pg-rcpu] names the cluster.
set -euo pipefail
BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/lib.sh
. "$BENCH/../../scripts/lib.sh"

N=${RCPU_N:-10000}
SQL=${RCPU_SQL:-$ROOT/sql}
BIN=${RCPU_BIN:-$ROOT/build/coupond}
WORK=$(mktemp -d)
trap 'pg_stop; rm -rf "$WORK"' EXIT

[ -x "$BIN" ] || die "no coupond at $BIN"
pg_start "${RCPU_CLUSTER:-pg-rcpu}"
"$PG_BINDIR/psql" -h "$PG_SOCK" -U "$PG_USER" -d postgres -qAtX \
  -c "DROP DATABASE IF EXISTS coupond" -c "CREATE DATABASE coupond" >/dev/null
"$BIN" migrate --db "$COUPOND_DB" --sql "$SQL" >&2
psql_db() { "$PG_BINDIR/psql" -h "$PG_SOCK" -U "$PG_USER" -d coupond -qAtX -v ON_ERROR_STOP=1 "$@"; }

# Two campaigns (one capped far above what is redeemed), 4 N coupons each, serials in blocks.
psql_db >/dev/null <<SQL
INSERT INTO campaigns (name, channel, cost_cents, starts_at, ends_at, offer_kind, offer_value,
                       created_by, in_home_date, max_redemptions)
VALUES ('cpu', 'mailing', 100000, '2020-01-01', '2099-01-01', 'percent', 10, 'bench',
        '2020-01-01', NULL),
       ('cpu-capped', 'mailing', 100000, '2020-01-01', '2099-01-01', 'percent', 10, 'bench',
        '2020-01-01', 100 * $N);
INSERT INTO coupon_batches (campaign_id, first_serial, last_serial, count, created_by)
SELECT id, (id - 1) * 4 * $N + 1, id * 4 * $N, 4 * $N, 'bench' FROM campaigns ORDER BY id;
INSERT INTO coupons (serial, campaign_id, batch_id)
SELECT g, b.campaign_id, b.id FROM coupon_batches b, generate_series(b.first_serial, b.last_serial) g;
VACUUM ANALYZE;
SQL

# The workload: one psql session, each statement its own transaction.
{
  echo "PREPARE r(bigint, text) AS SELECT * FROM redeem(\$1, 1, 'cpu-term', \$2, 2500, NULL, NULL);"
  echo "PREPARE m(bigint, text) AS WITH u AS (UPDATE coupons SET uses = uses + 1 WHERE serial = \$1 AND uses < max_uses RETURNING serial, campaign_id) INSERT INTO redemptions (coupon_serial, campaign_id, store_id, terminal, txn_id, basket_cents, discount_cents) SELECT serial, campaign_id, 1, 'cpu-min', \$2, 2500, 250 FROM u RETURNING id;"
  echo "PREPARE p AS SELECT 1;"
  echo "PREPARE k(bigint) AS SELECT * FROM coupon_check(\$1, 1, 2500, NULL);"
  # a few calls of each first, so every plan is made and cached before counting
  for i in 1 2 3 4 5 6; do
    echo "EXECUTE r($((N + i)), 'warm-$i'); EXECUTE m($((2 * N + i)), 'warm-$i'); EXECUTE p;"
  done
  tick() { echo "SELECT '$1', split_part(s, ' ', 14)::bigint + split_part(s, ' ', 15)::bigint FROM pg_read_file('/proc/self/stat') s;"; }
  tick select1.start
  for ((i = 1; i <= N; i++)); do echo "EXECUTE p;"; done
  tick select1.end
  tick redeem.start
  for ((i = 1; i <= N; i++)); do echo "EXECUTE r($i, 'r-$i');"; done
  tick redeem.end
  tick replay.start
  for ((i = 1; i <= N; i++)); do echo "EXECUTE r($i, 'r-$i');"; done
  tick replay.end
  tick refused.start
  for ((i = 1; i <= N; i++)); do echo "EXECUTE r($i, 'x-$i');"; done
  tick refused.end
  tick redeem_capped.start
  for ((i = 1; i <= N; i++)); do echo "EXECUTE r($((4 * N + i)), 'c-$i');"; done
  tick redeem_capped.end
  tick check.start
  for ((i = 1; i <= N; i++)); do echo "EXECUTE k($((3 * N + 200 + i % (N / 2))));"; done
  tick check.end
  tick minimal.start
  for ((i = 1; i <= N; i++)); do echo "EXECUTE m($((2 * N + 100 + i)), 'm-$i');"; done
  tick minimal.end
} >"$WORK/run.sql"
psql_db -F ' ' -f "$WORK/run.sql" | grep -E '^[a-z_1]+\.(start|end) ' >"$WORK/ticks"
hz=$(getconf CLK_TCK)
base=
for call in select1 redeem redeem_capped replay refused check minimal; do
  s=$(awk -v k="$call.start" '$1 == k {print $2}' "$WORK/ticks")
  e=$(awk -v k="$call.end" '$1 == k {print $2}' "$WORK/ticks")
  us=$(((e - s) * 1000000 / hz / N))
  [ -n "$base" ] || base=$us
  echo "call=$call n=$N cpu_us_per_call=$us net_us=$((us - base))"
done
# Every lean call did what it should: N redemptions of each kind, none of the refused.
got=$(psql_db -c "SELECT count(*) FILTER (WHERE terminal = 'cpu-term' AND txn_id LIKE 'r-%'),
                         count(*) FILTER (WHERE terminal = 'cpu-term' AND txn_id LIKE 'c-%'),
                         count(*) FILTER (WHERE txn_id LIKE 'x-%'),
                         count(*) FILTER (WHERE terminal = 'cpu-min' AND txn_id LIKE 'm-%')
                    FROM redemptions")
[ "$got" = "$N|$N|0|$N" ] || die "unexpected redemptions (redeem|capped|refused|minimal): $got"
if [ -n "${RCPU_PLANS:-}" ]; then
  psql_db >"$RCPU_PLANS" 2>&1 <<SQL
LOAD 'auto_explain';
SET auto_explain.log_min_duration = 0;
SET auto_explain.log_nested_statements = on;
SET auto_explain.log_analyze = on;
SET auto_explain.log_verbose = on;
SET client_min_messages = log;
SET auto_explain.log_level = notice;
SELECT * FROM redeem($((N + 50)), 1, 'cpu-term', 'plan-1', 2500, NULL, NULL);
SELECT * FROM redeem($((4 * N + N + 50)), 1, 'cpu-term', 'plan-2', 2500, NULL, NULL);
SELECT * FROM redeem($((N + 50)), 1, 'cpu-term', 'plan-1', 2500, NULL, NULL);
SQL
fi
