#!/usr/bin/env bash
# tests/bench/events.sh: what the event outbox costs and how fast webhooks arrive (issue 15),
# on a database of its own in the running test cluster (COUPOND_DB), with coupond on
# BENCH_LISTEN [127.0.0.1:18843] and the Node receiver on the port after it.
#  1. Redemption throughput with the outbox on vs off (events_outbox()), as loadgen_ossl
#     measures it at full speed: EVENTS_ROUNDS [3] rounds of on off off on / off on on off,
#     EVENTS_SECONDS [8] each, EVENTS_CONNS [8] connections; the median of the rounds.
#  2. Latency from the redemption's commit (its created_at: the transaction's start, which
#     makes the figure an upper bound) to the receiver's 200, at EVENTS_RATE [1000]
#     redemptions per second for EVENTS_RATE_SECONDS [20] seconds: p50 and p99.
# Prints a Markdown section for docs/BENCHMARKS.md. Not part of run.sh.
set -euo pipefail
BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export EVENTS_LISTEN=${BENCH_LISTEN:-127.0.0.1:18843}
# shellcheck source=tests/webhooks/lib.sh
. "$BENCH/../webhooks/lib.sh"
ROUNDS=${EVENTS_ROUNDS:-3} SECS=${EVENTS_SECONDS:-8} CONNS=${EVENTS_CONNS:-8}
RATE=${EVENTS_RATE:-1000} RSECS=${EVENTS_RATE_SECONDS:-20}
cport=$base_port rport=$((base_port + 1))
ensure_node_modules
make -s -C "$BENCH" BIN="$t/bin" "$t/bin/loadgen_ossl" >&2
fresh_db coupond_bench_events
start_coupond "$cport" --threads 4
load1=$(cut -d' ' -f1 /proc/loadavg)

# Enough coupons for every run (5,000 a second of each run at most), issued at once and
# read back from the export.
need=$(( ROUNDS * 4 * SECS * 5000 + RATE * RSECS + 1000 ))
[ "$need" -le 1000000 ] || fail "the runs need more than 1,000,000 coupons: fewer rounds or seconds"
cid=$(campaign "$cport" bench)
expect 201 "$(api "$cport" marketer POST "/v1/campaigns/$cid/coupons" "{\"count\":$need}")"
curl -s --cacert "$d/ca.pem" --cert "$d/marketer.pem" --key "$d/marketer.key" \
  "https://127.0.0.1:$cport/v1/campaigns/$cid/coupons.csv" | tail -n +2 | cut -d, -f1 >"$t/codes"
echo "coupons: $(wc -l <"$t/codes")" >&2
# CPU in clock ticks from /proc: coupond's, and PostgreSQL's (the postmaster's reaped children
# plus its live ones), so a run can say what one redemption cost whatever else the machine ran.
PG_PM=$(head -1 "$(q "SHOW data_directory")/postmaster.pid" 2>/dev/null || true)
ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
pg_ticks() {
  local s c
  s=$(awk '{print $14 + $15 + $16 + $17}' "/proc/$PG_PM/stat" 2>/dev/null || echo 0)
  for c in $(pgrep -P "$PG_PM"); do s=$((s + $(ticks "$c"))); done
  echo "$s"
}
offset=1
# run MODE FIRST: one loadgen run with the outbox MODE (on|off) over the coupons from line
# FIRST of the codes on; prints its rps.
run() {
  q "SELECT events_outbox($([ "$1" = on ] && echo true || echo false))" >/dev/null
  tail -n +"$2" "$t/codes" | head -n $((SECS * 5000)) |
    awk -v p="b$2" '{printf "{\"code\":\"%s\",\"basket_cents\":1000,\"txn_id\":\"%s-%d\"}\n", $1, p, NR}' >"$t/bodies"
  local c0 p0 c1 p1 n
  c0=$(ticks "$CPID") p0=$(pg_ticks)
  "$t/bin/loadgen_ossl" --url "https://127.0.0.1:$cport" --ca "$d/ca.pem" --cert "$d/terminal-1.pem" \
    --key "$d/terminal-1.key" --conns "$CONNS" --duration "$SECS" --path /v1/redemptions \
    --bodies "$t/bodies" --expect 200,201 --label "$1" >"$t/lg.out" 2>>"$t/lg.err" || true
  c1=$(ticks "$CPID") p1=$(pg_ticks)
  n=$(sed -n 's/.* requests=\([0-9]*\) .*/\1/p' "$t/lg.out")
  # rps, and coupond + PostgreSQL CPU µs per redemption
  echo "$(sed -n 's/.* rps=\([0-9.]*\) .*/\1/p' "$t/lg.out") $(echo "($c1 - $c0 + $p1 - $p0) * 1000000 / $(getconf CLK_TCK) / $n" | bc -l)"
  grep -q ' errors=0 .* exhausted=0' "$t/lg.out" || echo "loadgen ($1): $(cat "$t/lg.out")" >&2
}
declare -a on off cpu_on cpu_off
for r in $(seq 1 "$ROUNDS"); do
  if [ $((r % 2)) = 1 ]; then order="on off off on"; else order="off on on off"; fi
  sum_on=0 sum_off=0 c_on=0 c_off=0
  for m in $order; do
    read -r v c <<<"$(run "$m" "$offset")"
    offset=$((offset + SECS * 5000))
    echo "round $r $m: $v redemptions/s, $(printf %.0f "$c") µs CPU (coupond + PostgreSQL) each" >&2
    if [ "$m" = on ]; then
      sum_on=$(echo "$sum_on + $v" | bc -l) c_on=$(echo "$c_on + $c" | bc -l)
    else
      sum_off=$(echo "$sum_off + $v" | bc -l) c_off=$(echo "$c_off + $c" | bc -l)
    fi
  done
  on+=("$(echo "$sum_on / 2" | bc -l)") off+=("$(echo "$sum_off / 2" | bc -l)")
  cpu_on+=("$(echo "$c_on / 2" | bc -l)") cpu_off+=("$(echo "$c_off / 2" | bc -l)")
done
q "SELECT events_outbox(true)" >/dev/null
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
m_on=$(median "${on[@]}") m_off=$(median "${off[@]}")
ratio=$(echo "$m_on / $m_off" | bc -l)
mc_on=$(median "${cpu_on[@]}") mc_off=$(median "${cpu_off[@]}")
cpu_ratio=$(echo "$mc_off / $mc_on" | bc -l)

# Latency: a subscription to redemption.created, the receiver, RATE redemptions a second.
ca_json=$(python3 -c 'import json,sys; print(json.dumps(open(sys.argv[1]).read()))' "$d/ca.pem")
out=$(api "$cport" admin POST /v1/webhooks \
  "{\"url\":\"https://127.0.0.1:$rport/bench\",\"events\":[\"redemption.created\"],\"ca_pem\":$ca_json}")
expect 201 "$out"
wid=$(head -n1 <<<"$out" | json id)
start_receiver "$rport" "$(head -n1 <<<"$out" | json secret)" "$t/recv.log"
tail -n +"$offset" "$t/codes" >"$t/rate_codes"
gen=$(node "$W/bench_rate.mjs" --url "https://127.0.0.1:$cport" --certs "$d" --codes "$t/rate_codes" \
  --rate "$RATE" --seconds "$RSECS" --prefix rate)
echo "generator: $gen" >&2
head=$(q 'SELECT events_head()')
for _ in $(seq 1 240); do
  [ "$(q "SELECT cursor FROM webhooks WHERE id = $wid")" = "$head" ] && break
  sleep 0.5
done
sleep 0.3
q "SELECT id, (extract(epoch FROM created_at) * 1000)::bigint FROM redemptions WHERE txn_id LIKE 'rate-%'" >"$t/commits"
lat=$(python3 - "$t/recv.log" "$t/commits" <<'PY'
import json, sys
commit = dict(map(int, l.split("|")) for l in open(sys.argv[2]) if l.strip())
first = {}
for l in open(sys.argv[1]):
    r = json.loads(l)
    rid = r.get("redemption_id")
    if rid in commit and rid not in first:
        first[rid] = r["at_ms"] - commit[rid]
v = sorted(first.values())
missing = len(commit) - len(v)
p = lambda q: v[min(len(v) - 1, int(q * len(v)))]
print(f"{len(v)} {missing} {p(0.5)} {p(0.99)} {v[-1]}")
PY
)
read -r n missing p50 p99 pmax <<<"$lat"
load2=$(cut -d' ' -f1 /proc/loadavg)
cat <<MD
## Events (issue 15): the outbox's cost and webhook latency

Measured by \`tests/bench/events.sh\` on $(nproc) cores, load average $load1 at the start and
$load2 at the end (the machine was shared with other builds and tests: absolute figures are
low and noisy; the ratio is what counts). coupond with 4 worker threads, durable commits.

| figure | value |
| --- | --- |
| redemptions/s, outbox on (median of $ROUNDS rounds, $CONNS connections, ${SECS} s runs) | $(printf %.0f "$m_on") |
| redemptions/s, outbox off | $(printf %.0f "$m_off") |
| on / off (goal ≥ 0.90) | $(printf %.3f "$ratio") |
| rounds on | $(printf '%.0f ' "${on[@]}") |
| rounds off | $(printf '%.0f ' "${off[@]}") |
| CPU µs per redemption (coupond + PostgreSQL), on / off (medians) | $(printf %.0f "$mc_on") / $(printf %.0f "$mc_off") |
| on / off by CPU (off's CPU per redemption over on's: the throughput ratio when CPU-bound) | $(printf %.3f "$cpu_ratio") |
| load for the latency run | $gen |
| commit → receiver's 200, p50 | $p50 ms |
| commit → receiver's 200, p99 (goal < 2,000 ms) | $p99 ms |
| commit → receiver's 200, max | $pmax ms |
| redemptions delivered / missing | $n / $missing |
MD
