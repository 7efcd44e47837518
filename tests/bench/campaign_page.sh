#!/usr/bin/env bash
# tests/bench/campaign_page.sh: how fast the console's campaign page gets its data (issue 11):
# a mailing with 1,000,000 coupons and 100,000 redemptions (over 40 days since its in-home
# date, 5 stores, receipts shared by two coupons on a third of the baskets, 1 % voided) and an
# A/B variant. The page's four calls (the campaign's terms, its report, its A/B comparison, its
# batches) are timed one after another over one keep-alive connection (its handshake not
# counted) and all four at once as the page asks them (each on its own connection, handshake
# included), BENCH_ROUNDS times; the bar is the four at once in under 1 s. Beside them: the
# campaign with its figures and the campaign list. Each call's PostgreSQL CPU time is measured
# too. Also timed: the report of a campaign with a recipient list of BENCH_RECIPIENTS cards
# (its holdout lift looks at every card's purchases).
#
#   BENCH_LISTEN=127.0.0.1:18861 tests/bench/campaign_page.sh
#   COUPOND_DB='host=/sock dbname=coupond user=coupond' tests/bench/campaign_page.sh
#
# Settings: BENCH_LISTEN [127.0.0.1:18843], BENCH_ROUNDS [5], BENCH_COUPONS [1000000],
# BENCH_REDEMPTIONS [100000], BENCH_RECIPIENTS [100000], COUPOND_BIN [build/coupond],
# BENCH_OUT (a Markdown file whose "Campaign page" section is replaced) [docs/BENCHMARKS.md],
# BENCH_CAMPAIGNS="A B H" (the ids of a control, its variant and a campaign with a recipient
# list that an earlier run made in COUPOND_DB: time them again, make no new data; so that two
# builds can be compared on the same data), BENCH_SQL (the sql/ directory to migrate with
# [sql/ of this tree]; another tree's, to time that tree's stored functions).
# The data are made with the API (campaigns, issue, recipient list) and, for the redemptions and
# cards, straight in PostgreSQL (the same rows the redeem path writes), which takes minutes
# through the API.
set -euo pipefail
BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/lib.sh
. "$BENCH/../../scripts/lib.sh"

LISTEN=${BENCH_LISTEN:-127.0.0.1:18843}
ROUNDS=${BENCH_ROUNDS:-5}
COUPONS=${BENCH_COUPONS:-1000000}
REDEMPTIONS=${BENCH_REDEMPTIONS:-100000}
RECIPIENTS=${BENCH_RECIPIENTS:-100000}
BIN=${COUPOND_BIN:-$ROOT/build/coupond}
OUT=${BENCH_OUT:-$ROOT/docs/BENCHMARKS.md}
URL="https://$LISTEN"
CERTS="$ROOT/certs/dev"
M=(--cacert "$CERTS/ca.pem" --cert "$CERTS/marketer.pem" --key "$CERTS/marketer.key" -s --max-time 900)
T0=$(date +%s)
log() { printf '[%4ss] %s\n' "$(($(date +%s) - T0))" "$*" >&2; }

[ -x "$BIN" ] || die "no coupond at $BIN (build first, or set COUPOND_BIN)"
WORK=$(mktemp -d)
COUPOND_PID='' PG_OWNED=''
cleanup() {
  local rc=$?
  if [ -n "$COUPOND_PID" ] && kill -0 "$COUPOND_PID" 2>/dev/null; then
    kill -TERM "$COUPOND_PID" 2>/dev/null || true
    wait "$COUPOND_PID" 2>/dev/null || true
  fi
  [ -z "$PG_OWNED" ] || pg_stop
  rm -rf "$WORK"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -z "${COUPOND_DB:-}" ]; then
  pg_start pg-bench
  PG_OWNED=1
fi
psql_() { "$(pg_bindir)/psql" "$COUPOND_DB" -X -q -v ON_ERROR_STOP=1 -At "$@"; }
ensure_dev_pki
"$BIN" migrate --db "$COUPOND_DB" --sql "${BENCH_SQL:-$ROOT/sql}" >/dev/null 2>&1
"$BIN" serve --listen "$LISTEN" --db "$COUPOND_DB" --cert "$CERTS/server.pem" \
  --key "$CERTS/server.key" --ca "$CERTS/ca.pem" --crl "$CERTS/crl.pem" --keys "$ROOT/var/keys" \
  --sql "$ROOT/sql" >"$WORK/coupond.log" 2>&1 &
COUPOND_PID=$!
for _ in $(seq 1 100); do
  curl -sf --cacert "$CERTS/ca.pem" "$URL/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done

post() { curl "${M[@]}" -H 'Content-Type: application/json' -d "$2" "$URL$1"; }
id_of() { sed -n 's/^{"id":\([0-9]*\),.*/\1/p'; }
body='"channel":"mailing","cost_cents":2500000,"fixed_cost_cents":300000,"gross_margin_pct":38,"starts_at":"2026-01-01T00:00:00Z","ends_at":"2099-01-01T00:00:00Z","offer":{"kind":"percent","value":10}'
if [ -n "${BENCH_CAMPAIGNS:-}" ]; then
  read -r A B H <<<"$BENCH_CAMPAIGNS"
  log "campaigns $A (control), $B (variant) and $H (recipient list) of an earlier run"
else
IN_HOME=$(psql_ -c "SELECT to_char((now() AT TIME ZONE local_tz())::date - 40, 'YYYY-MM-DD')")
A=$(post /v1/campaigns "{\"name\":\"bench page A\",$body,\"in_home_date\":\"$IN_HOME\"}" | id_of)
B=$(post /v1/campaigns "{\"name\":\"bench page B\",$body,\"in_home_date\":\"$IN_HOME\",\"variant_of\":$A}" | id_of)
[ -n "$A" ] && [ -n "$B" ] || die "campaigns not created"
log "campaigns $A (control) and $B (variant); issuing $COUPONS + $((COUPONS / 10)) coupons"
post "/v1/campaigns/$A/coupons" "{\"count\":$COUPONS}" | grep -q "\"issued\":$COUPONS" || die "issue failed"
post "/v1/campaigns/$B/coupons" "{\"count\":$((COUPONS / 10))}" >/dev/null

# redeem CAMPAIGN N: N redemptions of CAMPAIGN's first coupons, as redeem() writes them.
redeem() {
  psql_ -v c="$1" -v n="$2" <<'SQL'
CREATE TEMP TABLE picked AS
  SELECT serial, (row_number() OVER (ORDER BY serial))::bigint AS i
    FROM (SELECT serial FROM coupons WHERE campaign_id = :c ORDER BY serial LIMIT :n) s;
UPDATE coupons SET uses = 1 WHERE serial IN (SELECT serial FROM picked);
INSERT INTO redemptions (coupon_serial, campaign_id, store_id, terminal, txn_id, basket_cents,
                         discount_cents, created_at, receipt)
SELECT serial, :c, 1 + (i / 2) % 5, (1 + (i / 2) % 5) || '/bench-till-' || (i / 2) % 3,
       'bench-' || :c || '-' || i, 1500 + ((i / 2) * 37) % 6000,
       ((1500 + ((i / 2) * 37) % 6000) * 10 + 50) / 100,
       local_midnight(c.in_home_date)
         + make_interval(days => floor(40 * (1 - sqrt(((i / 2) * 7919 % 10007) / 10007.0)))::int,
                         secs => ((i / 2) * 104729) % 50000 + 25000),
       CASE WHEN (i / 2) % 3 = 0 THEN 'r' || (i / 2) END
  FROM picked, campaigns c WHERE c.id = :c;
INSERT INTO redemption_voids (redemption_id, store_id, terminal, txn_id)
SELECT id, store_id, terminal, 'bench-void-' || id FROM redemptions
 WHERE campaign_id = :c AND id % 100 = 0;
-- marks the new pages all-visible for the index-only scans, as autovacuum does within a minute
-- of so many new redemptions (migration 0070)
VACUUM ANALYZE redemptions; ANALYZE redemption_voids; ANALYZE coupons;
SQL
}
log "writing $REDEMPTIONS redemptions of $A and $((REDEMPTIONS / 10)) of $B"
redeem "$A" "$REDEMPTIONS"
redeem "$B" "$((REDEMPTIONS / 10))"

fi

# time_page ID: the page's calls one after another over one connection (opened by a /healthz
# first, so that no call pays the TLS handshake), then the campaign with its figures and the
# list; prints each call's seconds.
time_page() {
  local args=("${M[@]}" -o /dev/null "$URL/healthz") p
  for p in "/v1/campaigns/$1?figures=false" "/v1/campaigns/$1/report" "/v1/campaigns/$1/compare" \
    "/v1/campaigns/$1/batches" "/v1/campaigns/$1" "/v1/campaigns?limit=100"; do
    # --next starts a new set of options: the certificate goes with every URL
    args+=(-: "${M[@]}" -o /dev/null -w '%{http_code} %{time_total}\n' "$URL$p")
  done
  curl "${args[@]}"
}
# at_once ID: the page's four calls at once, each on its own connection (handshake included);
# prints the seconds until the last answer.
at_once() {
  local t0 t1 p
  t0=$(date +%s.%N)
  for p in "/v1/campaigns/$1?figures=false" "/v1/campaigns/$1/report" "/v1/campaigns/$1/compare" \
    "/v1/campaigns/$1/batches"; do
    curl "${M[@]}" -o /dev/null -w '%{http_code}\n' "$URL$p" >>"$WORK/codes" &
  done
  wait
  t1=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }'
}
rounds=()
: >"$WORK/codes"
for r in $(seq 1 "$ROUNDS"); do
  mapfile -t t < <(time_page "$A")
  for x in "${t[@]}"; do
    [ "${x%% *}" = 200 ] || die "a call answered ${x%% *}, not 200 (round $r)"
  done
  t=("${t[@]#* }")
  both=$(at_once "$A")
  line=$(awk -v a="${t[0]}" -v b="${t[1]}" -v c="${t[2]}" -v d="${t[3]}" -v e="${t[4]}" -v f="${t[5]}" -v g="$both" \
    'BEGIN { printf "%.3f %.3f %.3f %.3f %.3f %.3f %.3f %.3f", a, b, c, d, e, f, a + b + c + d, g }')
  rounds+=("$line")
  log "round $r: terms, report, compare, batches, campaign, list, the four in a row, at once (s): $line"
done
[ "$(sort -u "$WORK/codes")" = 200 ] || die "a call of the four at once did not answer 200"
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
col() { printf '%s\n' "${rounds[@]}" | awk -v k="$1" '{ print $k }' | median; }
ROW=$(col 7) TOTAL=$(col 8)
TMAX=$(printf '%s\n' "${rounds[@]}" | awk '{ print $8 }' | sort -n | tail -1)
curl "${M[@]}" "$URL/v1/campaigns/$A/report" >"$WORK/report.json"
grep -q '"redeemed":99000' "$WORK/report.json" || log "note: redeemed is not 99000 (BENCH_REDEMPTIONS changed?)"

if [ -z "${BENCH_CAMPAIGNS:-}" ]; then
# The report with a recipient list of RECIPIENTS cards: the cards, the mailed cards' coupons (one
# batch), the held-out cards and the list are written as an upload writes them (uploading needs
# the cards' numbers, which only coupond's keys make), and a fifth of the mailed cards and a
# tenth of the held-out ones get a purchase in the response window.
H=$(post /v1/campaigns "{\"name\":\"bench page holdout\",$body,\"in_home_date\":\"$IN_HOME\"}" | id_of)
log "recipient list of $RECIPIENTS cards for campaign $H (10 % held out), with purchases"
psql_ -v h="$H" -v n="$RECIPIENTS" <<'SQL'
CREATE TEMP TABLE newcards AS
  SELECT generate_series(next_serial, next_serial + :n - 1) AS serial
    FROM serial_counters WHERE kind = 'card';
UPDATE serial_counters SET next_serial = next_serial + :n WHERE kind = 'card';
INSERT INTO cards (serial) SELECT serial FROM newcards;
SQL
psql_ -v h="$H" -v n="$RECIPIENTS" <<'SQL'
CREATE TEMP TABLE newcards AS
  SELECT serial, row_number() OVER (ORDER BY serial) AS i FROM cards
   ORDER BY serial DESC LIMIT :n;
WITH b AS (
  INSERT INTO coupon_batches (campaign_id, first_serial, last_serial, count, created_by)
  SELECT :h, next_serial, next_serial + (:n * 9 / 10) - 1, :n * 9 / 10, 'bench'
    FROM serial_counters WHERE kind = 'coupon' RETURNING *
), cp AS (
  INSERT INTO coupons (serial, campaign_id, batch_id, card_serial)
  SELECT b.first_serial + k.i - 1, :h, b.id, k.serial
    FROM b, newcards k WHERE k.i <= :n * 9 / 10 RETURNING 1
)
INSERT INTO recipient_lists (campaign_id, digest, holdout_digest, recipients, holdout_pct,
                             holdout, batch_id, done, created_by)
SELECT :h, sha256('bench'), sha256('bench-h'), :n, 10, :n / 10, b.id, true, 'bench'
  FROM b, (SELECT count(*) FROM cp) x;
UPDATE serial_counters SET next_serial = next_serial + :n * 9 / 10 WHERE kind = 'coupon';
UPDATE campaigns SET issued = :n * 9 / 10 WHERE id = :h;
INSERT INTO recipient_holdout (campaign_id, card_serial)
SELECT :h, serial FROM newcards WHERE i > :n * 9 / 10;
INSERT INTO card_transactions (card_serial, kind, points, balance_after, basket_cents, store_id,
                               terminal, txn_id, created_at)
SELECT serial, 'earn', 0, 0, 2000, 1, '1/bench', 'bench-earn-' || serial,
       now() - make_interval(days => (i % 30)::int)
  FROM newcards WHERE i % 10 < (CASE WHEN i > :n * 9 / 10 THEN 1 ELSE 2 END);
ANALYZE;
SQL
fi
hold=()
for r in $(seq 1 "$ROUNDS"); do
  hold+=("$(curl "${M[@]}" -o /dev/null -w '%{time_total}' "$URL/v1/campaigns/$H/report")")
done
HOLD=$(printf '%s\n' "${hold[@]}" | median)
log "report with a $RECIPIENTS-card recipient list: median $HOLD s"

# The same calls' cost in PostgreSQL CPU (user + system of the backend, log_statement_stats),
# on a warm session as coupond's are (the first run warms it): what the wall times above come to
# on a machine with a core to spare, whatever the load. The median of three runs.
cpu_of() {
  psql_ -c "SET log_statement_stats = on" -c "SET client_min_messages = log" \
    -c "$1" -c "$1" -c "$1" -c "$1" 2>&1 |
    awk '/s user, .* s elapsed/ { print $2 + $5 }' | tail -3 | median
}
CPU_REPORT=$(cpu_of "SELECT length(campaign_report($A, NULL, NULL)::text)")
CPU_COMPARE=$(cpu_of "SELECT length(campaign_compare($A)::text)")
CPU_LIST=$(cpu_of "SELECT length(campaign_list(0, 100, NULL, NULL)::text)")
CPU_GET=$(cpu_of "SELECT length(campaign_get($A)::text)")
CPU_BATCHES=$(cpu_of "SELECT length(campaign_batches($A)::text)")
CPU_HOLD=$(cpu_of "SELECT length(campaign_holdout($H)::text)")
# the terms alone (?figures=false); a coupond without them answers the campaign with its figures
if ! curl "${M[@]}" "$URL/v1/campaigns/$A?figures=false" | grep -q '"redeemed"'; then
  CPU_TERMS=$(cpu_of "SELECT length(campaign_get_terms($A)::text)")
else
  CPU_TERMS=$CPU_GET
fi
CPU_SUM=$(awk -v a="$CPU_TERMS" -v b="$CPU_REPORT" -v c="$CPU_COMPARE" -v d="$CPU_BATCHES" \
  'BEGIN { printf "%.3f", a + b + c + d }')
log "PostgreSQL CPU s: terms $CPU_TERMS, report $CPU_REPORT, compare $CPU_COMPARE, batches $CPU_BATCHES (sum $CPU_SUM), get $CPU_GET, list $CPU_LIST, holdout $CPU_HOLD"

LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
VERDICT=$(awk -v t="$TOTAL" 'BEGIN { print (t < 1.0) ? "pass" : "FAIL" }')
SECTION=$(cat <<MD
<!-- campaign-page: written by tests/bench/campaign_page.sh -->
## Campaign page (issue 11)
Measured by \`tests/bench/campaign_page.sh\` on $(date -u '+%Y-%m-%d %H:%M') UTC, coupond $(git -C "$ROOT" rev-parse --short HEAD),
load average at the end $LOAD (2 cores shared with other work). A campaign with $COUPONS
coupons and $REDEMPTIONS redemptions (40 days, 5 stores, a third of the baskets with two coupons
on one receipt, 1 % voided) and an A/B variant with $((COUPONS / 10)) coupons: the console's
calls for its page one after another over one keep-alive mTLS connection and all four at once
(each on a connection of its own, handshake included), median of $ROUNDS rounds (seconds):

| call | median s (wall, over mTLS) | PostgreSQL CPU s |
| --- | --- | --- |
| GET /v1/campaigns/{id}?figures=false (the page's) | $(col 1) | $CPU_TERMS |
| GET /v1/campaigns/{id}/report | $(col 2) | $CPU_REPORT |
| GET /v1/campaigns/{id}/compare | $(col 3) | $CPU_COMPARE |
| GET /v1/campaigns/{id}/batches | $(col 4) | $CPU_BATCHES |
| the page's four, one after another | $ROW | $CPU_SUM |
| **the page's four at once** (as the page asks; bar: < 1 s) | **$TOTAL** ($VERDICT; slowest round $TMAX) | |
| GET /v1/campaigns/{id} (with its figures; not on the page) | $(col 5) | $CPU_GET |
| GET /v1/campaigns?limit=100 (the list page) | $(col 6) | $CPU_LIST |

The PostgreSQL CPU column is the backend's user + system time for the call's stored function
on a warm session (median of 3, \`log_statement_stats\`): it does not grow with the machine's
load, and it is about what the wall time comes to when a core is free. The report of a campaign with a recipient
list of $RECIPIENTS cards (10 % held out, purchases on about a fifth of them): median $HOLD s
wall, $CPU_HOLD s of PostgreSQL CPU for its holdout part.
<!-- /campaign-page -->
MD
)
if [ -f "$OUT" ] && grep -q '<!-- campaign-page' "$OUT"; then
  awk -v s="$SECTION" '/<!-- campaign-page/ { print s; skip = 1 } /<!-- \/campaign-page -->/ { skip = 0; next } !skip' "$OUT" >"$WORK/out.md"
  cp "$WORK/out.md" "$OUT"
else
  printf '\n%s\n' "$SECTION" >>"$OUT"
fi
log "the page's four calls at once: median $TOTAL s ($VERDICT), one after another $ROW s; wrote $OUT"
[ "$VERDICT" = pass ]
