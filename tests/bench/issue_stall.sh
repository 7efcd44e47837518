#!/usr/bin/env bash
# tests/bench/issue_stall.sh: what tills see while a marketer issues 10^6 coupons. Tills
# (bin/paced_tills: open loop, every request timed from the moment it was due) check and
# redeem coupons on many kept connections spread over coupond's worker threads, first for a
# few seconds alone (baseline), then during one POST /v1/campaigns/{id}/coupons {"count":N}.
# Prints p50/p99/max of checks and of redemptions in both windows, the worst connection, and
# how busy the machine was (load average; share of the CPU other processes used).
# The bar (SPEC quality bars, issue 10): p99 under 50 ms during the issue, on every worker.
#
#   tests/bench/issue_stall.sh                 # embedded cluster var/pg-bench
#   COUPOND_DB='host=/sock dbname=coupond user=coupond' tests/bench/issue_stall.sh
#
# Settings (environment, defaults in brackets): BENCH_LISTEN [127.0.0.1:18843], BENCH_THREADS
# coupond --threads [4], BENCH_TILLS connections per kind [16], BENCH_EVERY seconds between a
# till's requests [0.1], BENCH_BASE baseline seconds [5], BENCH_ISSUE coupons [1000000],
# COUPOND_BIN (a built coupond; default build/coupond, built if missing). coupond's own settings
# come from the environment as usual: COUPOND_ISSUE_SHARE=100 issues without pauses (as
# before issue 10's pacing), the default is 33 (coupond --help). The first line of the
# report says how long the issue took, how much of it was work, and the share it kept to.
set -euo pipefail
BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/lib.sh
. "$BENCH/../../scripts/lib.sh"

LISTEN=${BENCH_LISTEN:-127.0.0.1:18843}
THREADS=${BENCH_THREADS:-4}
TILLS=${BENCH_TILLS:-16}
EVERY=${BENCH_EVERY:-0.1}
BASE=${BENCH_BASE:-5}
COUNT=${BENCH_ISSUE:-1000000}
URL="https://$LISTEN"
CERTS="$ROOT/certs/dev"
WORK="$BENCH/bin/work-issue-stall"
rm -rf "$WORK" && mkdir -p "$WORK"
COUPOND_PID='' PG_OWNED=''
cleanup() {
  local rc=$?
  [ -z "$COUPOND_PID" ] || { kill -TERM "$COUPOND_PID" 2>/dev/null; wait "$COUPOND_PID" 2>/dev/null || true; }
  [ -z "$PG_OWNED" ] || pg_stop
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

make -s -C "$BENCH" bin/paced_tills >&2
COUPOND=${COUPOND_BIN:-$ROOT/build/coupond}
[ -x "$COUPOND" ] || { cmake -S "$ROOT" -B "$ROOT/build" >/dev/null && cmake --build "$ROOT/build" --target coupond -j"$(nproc)" >&2; }
{ [ -f "$CERTS/ca.pem" ] && [ -f "$CERTS/terminal-1.key" ]; } || ensure_dev_pki
ensure_keys "$COUPOND"
if curl -s -o /dev/null --max-time 2 -k "$URL/healthz"; then
  die "something already listens on $LISTEN (BENCH_LISTEN chooses another address)"
fi
if [ -z "${COUPOND_DB:-}" ]; then
  pg_start pg-bench
  PG_OWNED=1
fi
"$COUPOND" migrate --db "$COUPOND_DB" --sql "$ROOT/sql" >&2
"$COUPOND" serve --listen "$LISTEN" --db "$COUPOND_DB" --cert "$CERTS/server.pem" \
  --key "$CERTS/server.key" --ca "$CERTS/ca.pem" --crl "$CERTS/crl.pem" --keys "$ROOT/var/keys" \
  --sql "$ROOT/sql" --threads "$THREADS" >>"$WORK/coupond.log" 2>&1 </dev/null &
COUPOND_PID=$!
for _ in $(seq 1 100); do curl -sf --cacert "$CERTS/ca.pem" "$URL/healthz" >/dev/null 2>&1 && break; sleep 0.1; done

api() { # api WHO METHOD PATH [BODY] -> status; the answer in $WORK/resp
  local args=(-sS --max-time 900 --cacert "$CERTS/ca.pem" --cert "$CERTS/$1.pem" --key "$CERTS/$1.key"
    -X "$2" -o "$WORK/resp" -w '%{http_code}')
  [ -z "${4:-}" ] || args+=(-H 'Content-Type: application/json' --data-binary "$4")
  curl "${args[@]}" "$URL$3" || true
}
campaign() {
  [ "$(api marketer POST /v1/campaigns "{\"name\":\"$1\",\"channel\":\"mailing\",\"cost_cents\":1,\"starts_at\":\"2020-01-01T00:00:00Z\",\"ends_at\":\"2099-01-01T00:00:00Z\",\"offer\":{\"kind\":\"amount\",\"value\":100}}")" = 201 ] ||
    die "campaign not created: $(head -c 300 "$WORK/resp")"
  grep -o '"id":[0-9]*' "$WORK/resp" | head -1 | cut -d: -f2
}
codes() { # codes CAMPAIGN COUNT FILE: issues COUNT coupons, their short codes into FILE
  [ "$(api marketer POST "/v1/campaigns/$1/coupons" "{\"count\":$2}")" = 201 ] || die "issue failed"
  [ "$(api marketer GET "/v1/campaigns/$1/coupons.csv")" = 200 ] || die "export failed"
  awk -F, 'NR > 1 {print $1}' "$WORK/resp" >"$3"
}
# Enough coupons to redeem each once for the whole run.
need=$(awk -v t="$TILLS" -v e="$EVERY" -v b="$BASE" 'BEGIN {printf "%d", t / e * (b + 240)}')
codes "$(campaign bench-checks)" 2000 "$WORK/check-codes"
codes "$(campaign bench-redeem)" "$need" "$WORK/redeem-codes"
run=$(date +%s)
awk '{printf "{\"code\":\"%s\",\"basket_cents\":2500}\n", $1}' "$WORK/check-codes" >"$WORK/checks.txt"
awk -v r="$run" '{printf "{\"code\":\"%s\",\"basket_cents\":2500,\"txn_id\":\"stall-%s-%d\"}\n", $1, r, NR}' \
  "$WORK/redeem-codes" >"$WORK/redeems.txt"
BIG=$(campaign bench-issue)

TILL=("$BENCH/bin/paced_tills" --ca "$CERTS/ca.pem" --cert "$CERTS/terminal-1.pem"
  --key "$CERTS/terminal-1.key" -c "$TILLS" --every "$EVERY")
CLK=$(getconf CLK_TCK)
busy_ticks() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9; exit}' /proc/stat; }
proc_ticks() { local s=0 p; for p in "$@"; do s=$((s + $(awk '{print $14 + $15 + $16 + $17}' "/proc/$p/stat" 2>/dev/null || echo 0))); done; echo "$s"; }
# This cluster's processes: its postmaster and the postmaster's children.
PG_PM=$(head -1 "$("$(pg_bindir)/psql" "$COUPOND_DB" -Atc 'SHOW data_directory')/postmaster.pid" 2>/dev/null || true)
pg_pids() { [ -z "$PG_PM" ] || { echo "$PG_PM"; pgrep -P "$PG_PM" || true; }; }

"${TILL[@]}" --url "$URL/v1/checks" --bodies "$WORK/checks.txt" --wrap >"$WORK/checks.samples" &
tc=$!
"${TILL[@]}" --url "$URL/v1/redemptions" --bodies "$WORK/redeems.txt" >"$WORK/redeems.samples" &
tr=$!
sleep 1
b0=$(date +%s.%N)
sleep "$BASE"
b1=$(date +%s.%N)
load0=$(cut -d' ' -f1-3 /proc/loadavg)
mapfile -t pgp < <(pg_pids)
w0=$(date +%s.%N) busy0=$(busy_ticks) own0=$(proc_ticks "$COUPOND_PID" $tc $tr "${pgp[@]}")
i0=$(date +%s.%N)
st=$(api marketer POST "/v1/campaigns/$BIG/coupons" "{\"count\":$COUNT}")
i1=$(date +%s.%N)
mapfile -t pgp < <(pg_pids)
busy1=$(busy_ticks) own1=$(proc_ticks "$COUPOND_PID" $tc $tr "${pgp[@]}") w1=$(date +%s.%N)
load1=$(cut -d' ' -f1-3 /proc/loadavg)
sleep 1
kill -INT $tc $tr
wait $tc $tr || true
[ "$st" = 201 ] || die "the issue of $COUNT answered $st: $(head -c 300 "$WORK/resp")"
# coupond's log line for the issue: "... in 11.62 s (working 3.87 s of it, pacing to 33 %)".
paced=$(grep -h "issued $COUNT coupons" "$WORK/coupond.log" | tail -1 | grep -o '(working [^)]*)' || true)
foreign=$(awk -v b="$((busy1 - busy0))" -v o="$((own1 - own0))" -v w="$(awk "BEGIN {print $w1 - $w0}")" \
  -v n="$(nproc)" -v c="$CLK" 'BEGIN {f = (b - o) / c / (w * n) * 100; if (f < 0) f = 0; printf "%.0f", f}')

# stats FILE FROM TO: "n p50 p99 max errors connections-with-a-request-over-50-ms mean
# percent-of-requests-over-50-ms" of the requests due in [FROM, TO]. (The last two do not
# depend on the window's length: on a busy machine a longer window, a paced issue's, catches
# more of the other processes' stalls in its p99.)
stats() {
  local e over
  e=$(awk -v a="$2" -v b="$3" '$1 >= a && $1 <= b && $3 != 200 && $3 != 201' "$1" | wc -l)
  over=$(awk -v a="$2" -v b="$3" '$1 >= a && $1 <= b && $2 >= 50 {print $4}' "$1" | sort -u | wc -l)
  awk -v a="$2" -v b="$3" '$1 >= a && $1 <= b {print $2}' "$1" | sort -g |
    awk -v e="$e" -v o="$over" '{v[NR] = $1; sum += $1; if ($1 >= 50) slow++}
      END {if (NR == 0) {print "0 - - - " e " " o " - -"; exit}
           printf "%d %.1f %.1f %.1f %d %d %.1f %.1f\n", NR, v[int((NR - 1) * 0.50) + 1],
             v[int((NR - 1) * 0.99) + 1], v[NR], e, o, sum / NR, 100 * slow / NR}'
}
line() { # line LABEL STATS
  read -r n p50 p99 max err over mean slow <<<"$2"
  printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$1" "$n" "$p50" "$p99" "$max" "$err" \
    "$over/$TILLS" "$mean" "$slow %"
}
{
  echo "issue of $COUNT coupons: HTTP $st in $(awk "BEGIN {printf \"%.2f\", $i1 - $i0}") s${paced:+ $paced};" \
    "coupond --threads $THREADS; $TILLS check + $TILLS redemption connections, one request" \
    "each every $EVERY s; load average $load0 before, $load1 after; other processes used" \
    "$foreign % of the machine during the issue ($(nproc) CPUs)"
  echo
  echo "| requests (latency from when due, ms) | n | p50 | p99 | max | errors | connections with a request ≥ 50 ms | mean | requests ≥ 50 ms |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
  line "checks, before the issue" "$(stats "$WORK/checks.samples" "$b0" "$b1")"
  line "redemptions, before the issue" "$(stats "$WORK/redeems.samples" "$b0" "$b1")"
  line "checks, during the issue" "$(stats "$WORK/checks.samples" "$i0" "$i1")"
  line "redemptions, during the issue" "$(stats "$WORK/redeems.samples" "$i0" "$i1")"
} | tee "$WORK/report.md"
grep -h "issued .* coupons" "$WORK/coupond.log" >&2 || true
