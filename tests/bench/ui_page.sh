#!/usr/bin/env bash
# tests/bench/ui_page.sh: how fast the console's campaign page shows a big campaign. A
# campaign that started 30 days ago gets BENCH_UI_COUPONS coupons [1000000] (one issue call)
# and BENCH_UI_REDEEM redemptions [100000] (bin/loadgen_ossl as two tills, the codes taken
# from coupons.csv); then Debian's chromium opens its page BENCH_UI_RUNS times [7], cold (a
# fresh browser context each), timed from the navigation's start until the page has drawn
# every part from the API's answers (tests/ui/render.bench.mjs). Prints the figures and
# writes them as the last section of docs/BENCHMARKS.md (from the line "<!-- ui_page.sh -->"
# on; tests/bench/run.sh keeps that section when it rewrites the file); the first load's
# screenshot goes to tests/bench/bin/ui-page.png.
#
#   tests/bench/ui_page.sh          # builds what it needs, embedded cluster var/pg-bench
# Settings: BENCH_LISTEN [127.0.0.1:18843], COUPOND_DB (a given database), COUPOND_BIN (a built
# coupond; default: build/coupond, built), BENCH_OUT [docs/BENCHMARKS.md], BENCH_UI_* above,
# BENCH_UI_CAMPAIGN (an existing campaign's id: time its page, make no new one; so that two
# builds can be compared on the same data), BENCH_UI_SQL (the sql/ directory to migrate with
# [sql/ of this tree]; another tree's, to time that tree's stored functions).
set -euo pipefail
BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/lib.sh
. "$BENCH/../../scripts/lib.sh"
# shellcheck source=tests/ui/browser.sh
. "$ROOT/tests/ui/browser.sh"

COUPONS=${BENCH_UI_COUPONS:-1000000}
REDEEM=${BENCH_UI_REDEEM:-100000}
RUNS=${BENCH_UI_RUNS:-7}
LISTEN=${BENCH_LISTEN:-127.0.0.1:18843}
URL="https://$LISTEN" CERTS="$ROOT/certs/dev" WORK="$BENCH/bin/ui-work"
T0=$(date +%s)
log() { printf '[%4ss] %s\n' "$(($(date +%s) - T0))" "$*" >&2; }

rm -rf "$WORK"
mkdir -p "$WORK"
PG_OWNED=
cleanup() {
  local rc=$?
  COUPOND_TEST_LISTEN=$LISTEN "$ROOT/tests/integration/daemon.sh" stop "$WORK" >/dev/null 2>&1 || true
  ui_policy_release
  [ -z "$PG_OWNED" ] || pg_stop
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ensure_packages
BIN=${COUPOND_BIN:-}
if [ -z "$BIN" ]; then
  build "$ROOT/build"
  BIN="$ROOT/build/coupond"
fi
ensure_dev_pki
ensure_keys "$BIN"
ensure_node_modules "$ROOT/tests/ui"
make -s -C "$BENCH" bin/loadgen_ossl >/dev/null
if [ -z "${COUPOND_DB:-}" ]; then
  pg_start pg-bench
  PG_OWNED=1
fi
"$BIN" migrate --db "$COUPOND_DB" --sql "${BENCH_UI_SQL:-$ROOT/sql}" >&2
cp "$BIN" "$WORK/coupond"
COUPOND_TEST_LISTEN=$LISTEN "$ROOT/tests/integration/daemon.sh" start "$WORK" >&2

api() { # api METHOD PATH [BODY]
  curl -sS --fail-with-body --cacert "$CERTS/ca.pem" --cert "$CERTS/marketer.pem" --key "$CERTS/marketer.key" \
    -H 'Content-Type: application/json' -X "$1" "$URL$2" ${3:+-d "$3"}
}
if [ -n "${BENCH_UI_CAMPAIGN:-}" ]; then
  id=$BENCH_UI_CAMPAIGN
  redeemed=$(api GET "/v1/campaigns/$id/report" | grep -o '"redeemed":[0-9]*' | head -1 | cut -d: -f2)
  COUPONS=$(api GET "/v1/campaigns/$id" | grep -o '"issued":[0-9]*' | head -1 | cut -d: -f2)
  log "campaign $id (given): $COUPONS coupons, $redeemed redemptions"
else
  start=$(date -u -d '-30 days' +%Y-%m-%dT%H:%M:%SZ) end=$(date -u -d '+60 days' +%Y-%m-%dT%H:%M:%SZ)
  id=$(api POST /v1/campaigns "{\"name\":\"Benchmark: $COUPONS Stück\",\"channel\":\"mailing\",\"cost_cents\":45000000,
    \"starts_at\":\"$start\",\"ends_at\":\"$end\",\"offer\":{\"kind\":\"percent\",\"value\":10,\"min_basket_cents\":1000}}" |
    grep -o '"id":[0-9]*' | head -1 | cut -d: -f2)
  log "campaign $id: issuing $COUPONS coupons"
  api POST "/v1/campaigns/$id/coupons" "{\"count\":$COUPONS}" >/dev/null
  log "exporting their codes"
  api GET "/v1/campaigns/$id/coupons.csv" | awk -F, -v n="$REDEEM" 'NR > 1 && NR <= n + 1 {print $1}' >"$WORK/codes.txt"
  awk -v id="$id" '{printf "{\"code\":\"%s\",\"basket_cents\":%d,\"txn_id\":\"uib-%s-%d\"}\n", $1, 1500 + (NR * 37) % 9000, id, NR}' \
    "$WORK/codes.txt" >"$WORK/bodies.txt"
  half=$((REDEEM / 2))
  head -n "$half" "$WORK/bodies.txt" >"$WORK/b1.txt"
  tail -n +"$((half + 1))" "$WORK/bodies.txt" >"$WORK/b2.txt"
  log "redeeming $REDEEM of them as two tills"
  for k in 1 2; do
    "$BENCH/bin/loadgen_ossl" --url "$URL" --ca "$CERTS/ca.pem" --cert "$CERTS/terminal-$k.pem" \
      --key "$CERTS/terminal-$k.key" -c 8 -d 600 -m POST -p /v1/redemptions --bodies "$WORK/b$k.txt" \
      --expect 201 --no-prime --label "till-$k" >"$WORK/lg$k.txt" 2>>"$WORK/loadgen.log" &
  done
  wait
  cat "$WORK/lg1.txt" "$WORK/lg2.txt" >&2
  redeemed=$(api GET "/v1/campaigns/$id/report" | grep -o '"redeemed":[0-9]*' | head -1 | cut -d: -f2)
  [ "$redeemed" = "$REDEEM" ] || log "note: the report counts $redeemed redemptions, not $REDEEM"
fi

log "the report alone (curl, ${RUNS} times)"
api_ms=()
for _ in $(seq "$RUNS"); do
  api_ms+=("$(curl -sS -o /dev/null -w '%{time_total}' --cacert "$CERTS/ca.pem" --cert "$CERTS/marketer.pem" \
    --key "$CERTS/marketer.key" "$URL/v1/campaigns/$id/report" | awk '{printf "%.0f", $1 * 1000}')")
done
api_sorted=$(printf '%s\n' "${api_ms[@]}" | sort -n | tr '\n' ' ')

log "the page in chromium ($RUNS cold loads)"
ui_nssdb "$WORK/home" "$CERTS/ca.pem"
openssl pkcs12 -export -in "$CERTS/marketer.pem" -inkey "$CERTS/marketer.key" -out "$WORK/m.p12" \
  -passout pass:bench -name marketer
pk12util -i "$WORK/m.p12" -d "sql:$WORK/home/.pki/nssdb" -W bench >/dev/null
ui_policy_hold "$CERTS/ca.pem"
load0=$(cut -d' ' -f1-3 /proc/loadavg)
line=$(cd "$ROOT/tests/ui" && UI_URL=$URL UI_HOME="$WORK/home" UI_CAMPAIGN=$id UI_RUNS=$RUNS \
  UI_EXPECT_REDEEMED=$redeemed UI_SHOT="$BENCH/bin/ui-page.png" node render.bench.mjs)
load1=$(cut -d' ' -f1-3 /proc/loadavg)
num() { sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p" <<<"$line"; }
list() { sed -n "s/.*\"$1\":\[\([0-9,]*\)\].*/\1/p" <<<"$line" | tr ',' '\n' | sort -n | tr '\n' ' '; }
med() { awk '{print $(int((NF + 1) / 2))}' <<<"$1"; }
median=$(num median_ms) max=$(num max_ms)
api_list=$(list api_ms) page_list=$(list page_ms) report_list=$(list report_ms) ask_list=$(list ask_ms)
verdict=$([ "$max" -lt 1000 ] && echo pass || echo "not met")
cat <<TXT
campaign $id: $COUPONS coupons, $redeemed redemptions; load average $load0 before, $load1 after
report API alone (curl, ms): $api_sorted
page (ms): $line
TXT

OUT=${BENCH_OUT:-$ROOT/docs/BENCHMARKS.md}
if [ -n "${BENCH_UI_CAMPAIGN:-}" ]; then
  MADE="campaign $id, made earlier (BENCH_UI_CAMPAIGN)"
else
  # shellcheck disable=SC2016 # Markdown code, not a command
  MADE='two tills through `bin/loadgen_ossl`'
fi
{
  if [ -f "$OUT" ]; then sed '/^<!-- ui_page.sh -->$/,$d' "$OUT"; fi
  cat <<MD
<!-- ui_page.sh -->
## The console's campaign page

Written by \`tests/bench/ui_page.sh\` on $(date -u +%Y-%m-%d) ($(nproc) CPUs, load average $load0
before the page loads and $load1 after; other work shared the machine). A campaign of
$COUPONS coupons with $redeemed redemptions ($MADE); its
page opened $RUNS times in Debian's chromium, cold (a fresh browser context each), timed from
the navigation's start until the page has drawn tiles, response curve, days, stores, A/B and
batches from the API's answers (its mark \`coupond:campaign-rendered\`).

| what | median | all runs, sorted (ms) | goal |
| --- | --- | --- | --- |
| page shown | $median ms | $(list ms) | < 1000 ms ($verdict: slowest $max ms) |
| of it: until the page asked the API (HTML, style sheet, modules) | $(med "$ask_list") ms | $ask_list | |
| of it: until the API's last answer arrived | $(med "$api_list") ms | $api_list | |
| of it: the page's own work after that | $(med "$page_list") ms | $page_list | |
| the report's answer in the page | $(med "$report_list") ms | $report_list | |
| \`GET /report\` alone (curl) | $(med "$api_sorted") ms | $api_sorted | |
MD
} >"$WORK/BENCHMARKS.md"
cp "$WORK/BENCHMARKS.md" "$OUT"
log "wrote ${OUT#"$ROOT"/}"
