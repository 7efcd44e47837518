#!/usr/bin/env bash
# tests/bench/run.sh: measures coupond against the quality bars of SPEC.md ("Quality bars")
# on this machine in one run, each figure as a ratio to a ceiling measured in the same run,
# and writes docs/BENCHMARKS.md.
#
#   tests/bench/run.sh                                    # embedded cluster var/pg-bench
#   COUPOND_DB='host=/sock dbname=coupond user=coupond' tests/bench/run.sh   # a given database
#
# Every comparison runs in BENCH_ROUNDS rounds; a round runs the two sides A B B A (odd
# rounds) or B A A B (even rounds), BENCH_SECONDS each, so a drift of the machine's speed
# within a round hits both sides alike; each side's figure in a round is the mean of its two
# runs, and the report shows the median of the rounds.
#
# Settings (environment, defaults in brackets): BENCH_ROUNDS [3], BENCH_SECONDS per run [3],
# BENCH_DB_CONNS = coupond --threads = pgbench -c/-j [coupond's default: 8 per core, 16-64], BENCH_CONNS loadgen connections [16],
# BENCH_LG_THREADS loadgen threads [1] (bin/loadgen_ossl, OpenSSL directly), BENCH_IDLE
# idle connections [1000], BENCH_BULK coupons
# per bulk issue [1000000], BENCH_BULK_ROUNDS [BENCH_ROUNDS], BENCH_ASYNC=0 skips the
# synchronous_commit=off redemption variant, BENCH_GROUP=0 skips c3 (group commit off), BENCH_LISTEN [127.0.0.1:18843], COUPOND_BIN
# (a built coupond; default: build one in tests/bench/bin/build), BENCH_OUT [docs/BENCHMARKS.md].
# Parts whose endpoint coupond does not serve yet are reported "not measured". The ceilings of
# issue 12 (rows f1-f4: the minimal redeem statement, GET /healthz, a primary-key lookup, the
# open-loop latency) are in tests/bench/ceilings.sh, with their settings.
set -euo pipefail
BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/lib.sh
. "$BENCH/../../scripts/lib.sh"

ROUNDS=${BENCH_ROUNDS:-3}
SECS=${BENCH_SECONDS:-3}
# coupond as shipped: its default workers (service/config.c), eight per core, 16 to 64.
SHIPPED_THREADS=$(($(nproc) * 8 < 16 ? 16 : $(nproc) * 8 > 64 ? 64 : $(nproc) * 8))
NDB=${BENCH_DB_CONNS:-$SHIPPED_THREADS}
CONNS=${BENCH_CONNS:-16}
LGT=${BENCH_LG_THREADS:-1}
IDLE=${BENCH_IDLE:-1000}
BULK=${BENCH_BULK:-1000000}
BULK_ROUNDS=${BENCH_BULK_ROUNDS:-$ROUNDS}
LISTEN=${BENCH_LISTEN:-127.0.0.1:18843}
OUT=${BENCH_OUT:-$ROOT/docs/BENCHMARKS.md}
URL="https://$LISTEN"
WORK="$BENCH/bin/work"
TOOLS="$BENCH/bin"
CERTS="$ROOT/certs/dev"
POOL_COUPOND=${BENCH_REDEEM_POOL:-60000}   # coupons per round for coupond's two runs
POOL_PGBENCH=${BENCH_PGBENCH_POOL:-120000} # coupons per round for pgbench's two runs
CHECK_POOL=${BENCH_CHECK_POOL:-20000}      # coupons both sides check
# The load generator: OpenSSL directly (an earlier libcurl-based one cost two to three times
# as much client CPU per request on these shared 2 cores, 42-63 µs against 13-36 µs).
LG_NAME=loadgen_ossl
LG_DESC="OpenSSL $(pkg-config --modversion openssl 2>/dev/null) directly: non-blocking sockets, one epoll loop per thread, hand-written HTTP/1.1"
LG_NOTE="The load generator was \`loadgen_ossl\` ($LG_DESC). A libcurl-based generator cost
two to three times as much client CPU per request on the shared cores, which counted against
coupond; it was dropped."
TERMINAL_NAME=terminal-1 STORE=1           # the subject of certs/dev/terminal-1.pem (CN, L)
BASKET=2500
NPROC=$(nproc)
T0=$(date +%s)

log() { printf '[%4ss] %s\n' "$(($(date +%s) - T0))" "$*" >&2; }
rel() { printf '%s' "${1#"$ROOT"/}"; }

rm -rf "$WORK"
mkdir -p "$WORK"
: >"$WORK/commands.txt"
COUPOND_PID=
PG_OWNED=

cleanup() {
  local rc=$?
  if [ -n "$COUPOND_PID" ] && kill -0 "$COUPOND_PID" 2>/dev/null; then
    kill -TERM "$COUPOND_PID" 2>/dev/null || true
    wait "$COUPOND_PID" 2>/dev/null || true
  fi
  [ -z "$PG_OWNED" ] || pg_stop
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# note_cmd KIND ARGV...: remembers the first command line of each kind for the report.
note_cmd() {
  local kind=$1; shift
  grep -q "^$kind"$'\t' "$WORK/commands.txt" && return 0
  local line="" a
  for a in "$@"; do
    a=${a//"$ROOT"\//}
    case $a in *[[:space:]\'\"\{\}\;\|\&\<\>\(\)\*\$]*) a="'${a//\'/\'\\\'\'}'" ;; esac
    line+="${line:+ }$a"
  done
  printf '%s\t%s\n' "$kind" "$line" >>"$WORK/commands.txt"
}

# kv LINE KEY: the value of KEY=value in a loadgen/idle_conns/sign_rate line.
kv() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<" $1"; }
# median N...: the median (mean of the middle two for an even count).
median() {
  [ $# -gt 0 ] || { echo ""; return; }
  printf '%s\n' "$@" | sort -g | awk '{a[NR] = $1} END {if (NR % 2) print a[(NR + 1) / 2]; else printf "%.6g\n", (a[NR / 2] + a[NR / 2 + 1]) / 2}'
}
calc() { awk "BEGIN {printf \"$1\n\", $2}"; } # calc FORMAT EXPR
div() { awk -v a="$1" -v b="$2" 'BEGIN {if (b + 0 == 0) print "nan"; else printf "%.3f\n", a / b}'; }
fmt() { awk -v v="$1" 'BEGIN {if (v == "" || v == "nan") print "—"; else if (v + 0 >= 100) printf "%.0f\n", v; else printf "%.3g\n", v}'; }
mb() { calc "%.1f" "$1 / 1024"; }

# ---------------------------------------------------------------- build and set-up
log "building the bench tools (tests/bench/Makefile)"
make -s -C "$BENCH" >&2
if [ -n "${COUPOND_BIN:-}" ]; then
  COUPOND=$COUPOND_BIN
else
  COUPOND="$BENCH/bin/build/coupond"
  log "building coupond in $(rel "$BENCH/bin/build") (cmake --target coupond)"
  if [ ! -f "$BENCH/bin/build/CMakeCache.txt" ]; then
    cmake -S "$ROOT" -B "$BENCH/bin/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  fi
  cmake --build "$BENCH/bin/build" --target coupond -j"$NPROC" >"$WORK/build.log" 2>&1 ||
    { tail -30 "$WORK/build.log" >&2; die "coupond did not build (log: $(rel "$WORK/build.log")); COUPOND_BIN can name a built one"; }
fi
[ -x "$COUPOND" ] || die "no coupond at $COUPOND"
{ [ -f "$CERTS/ca.pem" ] && [ -f "$CERTS/terminal-1.key" ] && [ -f "$CERTS/marketer.key" ]; } || ensure_dev_pki
ensure_keys "$COUPOND"
PG_BIN=$(pg_bindir)
if curl -s -o /dev/null --max-time 2 -k "$URL/healthz"; then
  die "something already listens on $LISTEN (BENCH_LISTEN chooses another address)"
fi

if [ -z "${COUPOND_DB:-}" ]; then
  pg_start pg-bench
  PG_OWNED=1
  # Our own cluster: start from an empty database so every run measures the same sizes.
  "$PG_BIN/psql" -h "$PG_SOCK" -U "$PG_USER" -d postgres -qAtX \
    -c "DROP DATABASE IF EXISTS coupond" -c "CREATE DATABASE coupond" >/dev/null
  DB_DESC="embedded cluster var/pg-bench (scripts/lib.sh pg_start; database recreated each run)"
else
  DB_DESC="the database COUPOND_DB names"
fi
DB=$COUPOND_DB
psqlq() { "$PG_BIN/psql" "$DB" -v ON_ERROR_STOP=1 -qAtX "$@"; }
log "migrating"
"$COUPOND" migrate --db "$DB" --sql "$ROOT/sql" >&2

# File descriptors: coupond needs one per connection (plus PostgreSQL, CRL, epoll).
need_fd=$((IDLE + 512))
[ "$(ulimit -n)" = unlimited ] || [ "$(ulimit -n)" -ge "$need_fd" ] ||
  ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
[ "$(ulimit -n)" = unlimited ] || [ "$(ulimit -n)" -ge "$need_fd" ] ||
  die "ulimit -n is $(ulimit -n); $need_fd descriptors are needed for $IDLE idle connections"
MAXCONN=$((IDLE + 1024 > 4096 ? IDLE + 1024 : 4096))
START_FLAGS=() # more coupond flags for the next start_coupond (c3)

# start_coupond CONNINFO KIND: serves on $URL with --threads $NDB (one DB connection each).
start_coupond() {
  local serve=("$COUPOND" serve --listen "$LISTEN" --db "$1" --cert "$CERTS/server.pem"
    --key "$CERTS/server.key" --ca "$CERTS/ca.pem" --crl "$CERTS/crl.pem" --keys "$ROOT/var/keys"
    --sql "$ROOT/sql" --threads "$NDB" --max-connections "$MAXCONN"
    --max-connections-per-address 0 "${START_FLAGS[@]}") # every load generator connects from 127.0.0.1
  note_cmd "coupond$2" "${serve[@]}"
  log "starting coupond on $URL (--threads $NDB, ulimit -n $(ulimit -n))"
  "${serve[@]}" >>"$WORK/coupond.log" 2>&1 </dev/null &
  COUPOND_PID=$!
  for _ in $(seq 1 100); do
    curl -sf --cacert "$CERTS/ca.pem" "$URL/healthz" >/dev/null 2>&1 && return 0
    kill -0 "$COUPOND_PID" 2>/dev/null || { tail -20 "$WORK/coupond.log" >&2; die "coupond exited"; }
    sleep 0.1
  done
  tail -20 "$WORK/coupond.log" >&2
  die "coupond did not come up"
}
alive() {
  kill -0 "$COUPOND_PID" 2>/dev/null ||
    { tail -5 "$WORK/coupond.log" >&2; die "coupond (pid $COUPOND_PID) is gone; nothing more can be measured"; }
}
stop_coupond() {
  kill -TERM "$COUPOND_PID" 2>/dev/null || true
  wait "$COUPOND_PID" 2>/dev/null || true
  COUPOND_PID=
}
start_coupond "$DB" ""

# ---------------------------------------------------------------- CPU accounting
# From /proc, in clock ticks: coupond's CPU, PostgreSQL's (the postmaster's reaped children
# plus its live ones) and the whole machine's, so every run can say where its CPU went and
# how much other processes took ("foreign": the machine is shared, e.g. with builds).
CLK=$(getconf CLK_TCK)
PG_PM=$(head -1 "$(psqlq -c "SHOW data_directory" 2>/dev/null)/postmaster.pid" 2>/dev/null || true)
{ [ -n "$PG_PM" ] && [ -r "/proc/$PG_PM/stat" ]; } || PG_PM= # a remote server: no PostgreSQL figures
ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
pg_ticks() {
  [ -n "$PG_PM" ] || { echo 0; return; }
  local s c
  s=$(awk '{print $14 + $15 + $16 + $17}' "/proc/$PG_PM/stat" 2>/dev/null || echo 0)
  for c in $(pgrep -P "$PG_PM"); do s=$((s + $(ticks "$c"))); done
  echo "$s"
}
busy_ticks() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9; exit}' /proc/stat; }
acct_start() { A_W=$(date +%s.%N) A_C=$(ticks "${COUPOND_PID:-0}") A_P=$(pg_ticks) A_B=$(busy_ticks); }
# acct_end CLIENT_SECONDS: sets A_CO A_PG A_ALL (CPU seconds of coupond, PostgreSQL, all) and
# A_FOREIGN (% of the machine used by other processes during the run).
acct_end() {
  local w b
  w=$(calc "%.3f" "$(date +%s.%N) - $A_W")
  A_CO=$(calc "%.3f" "($(ticks "${COUPOND_PID:-0}") - $A_C) / $CLK")
  A_PG=$(calc "%.3f" "($(pg_ticks) - $A_P) / $CLK")
  b=$(calc "%.3f" "($(busy_ticks) - $A_B) / $CLK")
  A_FOREIGN=$(awk -v b="$b" -v c="$1" -v co="$A_CO" -v pg="$A_PG" -v w="$w" -v n="$NPROC" \
    'BEGIN {f = (b - c - co - pg) / (w * n) * 100; if (f < 0) f = 0; printf "%.0f", f}')
  FOREIGN_ALL+=("$A_FOREIGN")
}
FOREIGN_ALL=()
# Per-side sums over a round's runs: S[side.n|rate|cl|co|pg|runs|foreign]
declare -A S
side_reset() { local k; for k in n rate cl co pg runs foreign; do S[$1.$k]=0; done; }
side_add() { # side_add SIDE N RATE CLIENT_S
  S[$1.n]=$((S[$1.n] + $2))
  S[$1.rate]=$(calc "%.3f" "${S[$1.rate]} + $3")
  S[$1.cl]=$(calc "%.3f" "${S[$1.cl]} + $4")
  S[$1.co]=$(calc "%.3f" "${S[$1.co]} + $A_CO")
  S[$1.pg]=$(calc "%.3f" "${S[$1.pg]} + $A_PG")
  S[$1.runs]=$((S[$1.runs] + 1))
  [ "$A_FOREIGN" -le "${S[$1.foreign]}" ] || S[$1.foreign]=$A_FOREIGN
}
side_rate() { calc "%.1f" "${S[$1.rate]} / ${S[$1.runs]}"; }
us() { awk -v s="$1" -v n="$2" 'BEGIN {if (n + 0 == 0) print "?"; else printf "%.0f", s * 1e6 / n}'; }
# side_cpu SIDE CLIENT_NAME: "CPU µs per operation: ..." for the side's runs.
side_cpu() {
  local n=${S[$1.n]} s
  s="CPU µs/op: $2 $(us "${S[$1.cl]}" "$n")"
  [ "$1" = pgbench ] || s+=", coupond $(us "${S[$1.co]}" "$n")"
  [ -z "$PG_PM" ] || s+=", PostgreSQL $(us "${S[$1.pg]}" "$n")"
  echo "$s; other processes ≤ ${S[$1.foreign]} % of the machine"
}

LG=("$TOOLS/$LG_NAME" --url "$URL" --ca "$CERTS/ca.pem" -c "$CONNS" -t "$LGT")
MTLS=(--cert "$CERTS/terminal-1.pem" --key "$CERTS/terminal-1.key")
TIMEFORMAT='%3U %3S'

# run_loadgen SIDE KIND ARGS...: one loadgen run, added to SIDE's sums; sets LINE.
run_loadgen() {
  local side=$1 kind=$2; shift 2
  local cmd=("${LG[@]}" "$@" --label "$kind") t n cl
  note_cmd "loadgen-$kind" "${cmd[@]}"
  acct_start
  t=$( { time "${cmd[@]}" >"$WORK/line" 2>>"$WORK/loadgen.log" || true; } 2>&1 )
  cl=$(awk -v t="$t" 'BEGIN {split(t, a, " "); print a[1] + a[2]}')
  acct_end "$cl"
  LINE=$(cat "$WORK/line")
  echo "$LINE foreign_pct=$A_FOREIGN" >>"$WORK/loadgen.log"
  alive
  [ -n "$LINE" ] || die "loadgen printed nothing (see $(rel "$WORK/loadgen.log"))"
  [ "$(kv "$LINE" errors)" = 0 ] ||
    log "  $kind: $(kv "$LINE" errors) unexpected answers (status $(kv "$LINE" status)); see $(rel "$WORK/loadgen.log")"
  n=$(($(kv "$LINE" requests) + $(kv "$LINE" prime_requests)))
  side_add "$side" "$n" "$(kv "$LINE" rps)" "$cl"
}

# run_pgbench SCRIPT [ARGS...]: pgbench for SECS seconds on $NDB clients, added to the
# "pgbench" side's sums; sets NTX (transactions).
PGB_DB=$DB
run_pgbench() {
  local script=$1; shift
  local cmd=("$PG_BIN/pgbench" -n -M prepared -c "$NDB" -j "$NDB" -T "$SECS" "$@" -f "$script" "$PGB_DB")
  local t out tps cl
  note_cmd "pgbench-$(basename "$script" .sql)" "${cmd[@]}"
  acct_start
  t=$( { time "${cmd[@]}" >"$WORK/pgb.out" 2>&1; } 2>&1 ) || { cat "$WORK/pgb.out" >&2; die "pgbench failed"; }
  cl=$(awk -v t="$t" 'BEGIN {split(t, a, " "); print a[1] + a[2]}')
  acct_end "$cl"
  out=$(cat "$WORK/pgb.out")
  printf '%s\nforeign_pct=%s\n' "$out" "$A_FOREIGN" >>"$WORK/pgbench.log"
  tps=$(sed -n 's/^tps = \([0-9.]*\) (without initial connection time)/\1/p' <<<"$out")
  NTX=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' <<<"$out")
  [ -n "$NTX" ] && [ -n "$tps" ] || { printf '%s\n' "$out" >&2; die "pgbench gave no result"; }
  grep -q '^number of failed transactions: 0 ' <<<"$out" || ! grep -q '^number of failed' <<<"$out" ||
    log "  pgbench reported failed transactions (see $(rel "$WORK/pgbench.log"))"
  side_add pgbench "$NTX" "$tps" "$cl"
}
# abba R A B: the runs of round R: A B B A for odd rounds, B A A B for even ones.
abba() { if [ $(($1 % 2)) -eq 1 ]; then echo "$2 $3 $3 $2"; else echo "$3 $2 $2 $3"; fi; }
checkpoint() { psqlq -c CHECKPOINT >/dev/null; }

# ---------------------------------------------------------------- API helpers
# api WHO METHOD PATH [BODY]: one request as WHO (marketer, terminal-1, ...); the answer
# goes to $WORK/resp, the status to stdout (empty when there was no answer).
api() {
  local who=$1 method=$2 path=$3 body=${4:-}
  local args=(-sS --max-time 600 --cacert "$CERTS/ca.pem" --cert "$CERTS/$who.pem"
    --key "$CERTS/$who.key" -X "$method" -o "$WORK/resp" -w '%{http_code}')
  [ -z "$body" ] || args+=(-H 'Content-Type: application/json' --data-binary "$body")
  curl "${args[@]}" "$URL$path" || true
}
json_num() { grep -o "\"$1\":[0-9]*" "$WORK/resp" | head -1 | cut -d: -f2; }
new_campaign() {
  local st
  st=$(api marketer POST /v1/campaigns "{\"name\":\"$1\",\"channel\":\"mailing\",\"cost_cents\":100000,\"starts_at\":\"2020-01-01T00:00:00Z\",\"ends_at\":\"2099-01-01T00:00:00Z\",\"offer\":{\"kind\":\"percent\",\"value\":10,\"min_basket_cents\":0}}")
  [ "$st" = 201 ] || die "POST /v1/campaigns answered '$st': $(head -c 300 "$WORK/resp")"
  json_num id
}
# issue CAMPAIGN COUNT: issues coupons and prints the batch id.
issue() {
  local st
  st=$(api marketer POST "/v1/campaigns/$1/coupons" "{\"count\":$2}")
  [ "$st" = 201 ] || die "issuing $2 coupons answered '$st': $(head -c 300 "$WORK/resp")"
  json_num batch_id
}
# issue_codes NAME COUNT: issues COUNT coupons in a new campaign; their short codes (from
# coupons.csv) go to $WORK/codes.txt; sets BATCH.
issue_codes() {
  local cid st
  cid=$(new_campaign "$1")
  BATCH=$(issue "$cid" "$2")
  st=$(curl -sS --max-time 600 --cacert "$CERTS/ca.pem" --cert "$CERTS/marketer.pem" \
    --key "$CERTS/marketer.key" -o "$WORK/export.csv" -w '%{http_code}' "$URL/v1/campaigns/$cid/coupons.csv")
  [ "$st" = 200 ] || die "coupons.csv answered '$st'"
  awk -F, 'NR == 1 && $1 == "code" {next} {print $1}' "$WORK/export.csv" >"$WORK/codes.txt"
  rm -f "$WORK/export.csv"
  [ "$(wc -l <"$WORK/codes.txt")" -eq "$2" ] || die "coupons.csv listed $(wc -l <"$WORK/codes.txt") coupons, not $2"
}
# serial_table TABLE BATCH: TABLE (i, serial) numbers the batch's serials 1..n.
serial_table() {
  psqlq -c "DROP TABLE IF EXISTS $1" -c "CREATE TABLE $1 (i bigint PRIMARY KEY, serial bigint NOT NULL)" \
    -c "INSERT INTO $1 SELECT row_number() OVER (ORDER BY serial), serial FROM coupons WHERE batch_id = $2" \
    -c "VACUUM ANALYZE $1"
}

# Which endpoints exist: a missing route answers 404 (or 405); a present one answers a
# bad body with 400.
log "probing endpoints"
PROBE_CAMPAIGN=$(new_campaign bench-probe)
present() {
  local st
  st=$(api "$@")
  alive
  [ -n "$st" ] && [ "$st" != 000 ] && [ "$st" != 404 ] && [ "$st" != 405 ]
}
HAS_ISSUE=0 HAS_CSV=0 HAS_REDEEM=0 HAS_CHECK=0
present marketer POST "/v1/campaigns/$PROBE_CAMPAIGN/coupons" '{}' && HAS_ISSUE=1
present marketer GET "/v1/campaigns/$PROBE_CAMPAIGN/coupons.csv" && HAS_CSV=1
present terminal-1 POST /v1/redemptions '{}' && HAS_REDEEM=1
present terminal-1 POST /v1/checks '{}' && HAS_CHECK=1
log "endpoints: issue=$HAS_ISSUE coupons.csv=$HAS_CSV redemptions=$HAS_REDEEM checks=$HAS_CHECK"
# missing_of NAME...: the missing endpoints among issue, csv, redeem, check.
missing_of() {
  local m="" x
  for x in "$@"; do
    case $x in
    issue) [ "$HAS_ISSUE" = 1 ] || m+="POST /v1/campaigns/{id}/coupons, " ;;
    csv) [ "$HAS_CSV" = 1 ] || m+="GET /v1/campaigns/{id}/coupons.csv, " ;;
    redeem) [ "$HAS_REDEEM" = 1 ] || m+="POST /v1/redemptions, " ;;
    check) [ "$HAS_CHECK" = 1 ] || m+="POST /v1/checks, " ;;
    esac
  done
  printf '%s' "${m%, }"
}

# Results: one row per bar; DETAILS: one line per round.
ROWS=()
DETAILS=()
add_row() { ROWS+=("$(printf '| %s | %s | %s | %s | %s | %s | %s | %s |' "$1" "$2" "$3" "$4" "$5" "$6" "$7" "${8:-—}")"); }
not_measured() { add_row "$1" "$2" "—" "—" "—" "$3" "not measured: endpoint missing ($4)"; }
# cpu_ratio CEILING_SIDE SIDE: the ceiling's CPU per operation over SIDE's (client,
# coupond and PostgreSQL together): the throughput ratio a CPU-bound, otherwise idle
# machine would show. Empty without PostgreSQL's figures.
cpu_ratio() {
  [ -n "$PG_PM" ] || { echo ""; return; }
  awk -v a="${S[$1.cl]}" -v b="${S[$1.co]}" -v c="${S[$1.pg]}" -v n="${S[$1.n]}" \
    -v x="${S[$2.cl]}" -v y="${S[$2.co]}" -v z="${S[$2.pg]}" -v m="${S[$2.n]}" \
    'BEGIN {p = (a + b + c) / n; q = (x + y + z) / m; if (q == 0) print ""; else printf "%.3f\n", p / q}'
}
# server_ratio CEILING_SIDE SIDE: the same without the clients' CPU (PostgreSQL, and coupond
# on coupond's side): what the ratio would be with the clients on other machines.
server_ratio() {
  [ -n "$PG_PM" ] || { echo "—"; return; }
  awk -v b="${S[$1.co]}" -v c="${S[$1.pg]}" -v n="${S[$1.n]}" -v y="${S[$2.co]}" -v z="${S[$2.pg]}" -v m="${S[$2.n]}" \
    'BEGIN {p = (b + c) / n; q = (y + z) / m; if (q == 0) print "—"; else printf "%.3f\n", p / q}'
}
verdict() { # verdict RATIO BAR
  awk -v r="$1" -v b="$2" 'BEGIN {if (r == "" || r == "nan") print "—"; else if (r + 0 >= b + 0) print "pass"; else print "**FAIL**"}'
}

# ---------------------------------------------------------------- a. mTLS vs plain TLS
# coupond answers a connection without a client certificate once and closes it (the
# connection guard, issue 10), so plain TLS against coupond itself would measure handshakes.
# The ceiling is the smallest server that does the frame: bin/tls_hello, libmicrohttpd with
# GnuTLS, $NDB poll() threads, certificate and TLS priorities as coupond, no client
# certificate, no routing, no log, 200 with /livez's body. coupond's side: GET /livez (no
# database round trip) with the terminal's certificate. Row a: tls_hello with coupond's
# threading (--spread: one daemon per thread, each connection handed to the next by an
# accept loop, as coupond's acceptor.c does); row a2, for information: tls_hello with
# libmicrohttpd's own pool (its workers race for accept(); coupond's threading until stop 23).
HELLO_LISTEN="${LISTEN%:*}:$((${LISTEN##*:} + 1))"
# measure_frame ROW BAR DESCRIPTION [--spread]: the rounds of row a (or a2) against tls_hello
# started with the given flag.
measure_frame() {
  local row=$1 bar=$2 desc=$3
  shift 3
  log "$row. GET /livez: coupond with mutual TLS vs tls_hello${1:+ $1} with plain TLS ($HELLO_LISTEN), $CONNS keep-alive connections"
  "$TOOLS/tls_hello" --listen "$HELLO_LISTEN" --cert "$CERTS/server.pem" --key "$CERTS/server.key" \
    --threads "$NDB" "$@" 2>>"$WORK/tls_hello.log" &
  HELLO_PID=$!
  note_cmd "tls_hello$row" "$TOOLS/tls_hello" --listen "$HELLO_LISTEN" --cert "$CERTS/server.pem" --key "$CERTS/server.key" --threads "$NDB" "$@"
  for _ in $(seq 1 50); do
    curl -sk -o /dev/null "https://$HELLO_LISTEN/livez" && break
    sleep 0.1
  done
  V=() C=() R=() Q=()
  for r in $(seq 1 "$ROUNDS"); do
    side_reset mtls; side_reset tls
    for side in $(abba "$r" mtls tls); do
      if [ "$side" = mtls ]; then
        run_loadgen mtls livez-mtls "${MTLS[@]}" -d "$SECS" -p /livez --expect 200
      else # the CPU figures of this side are tls_hello's, not coupond's
        COUPOND_PID=$HELLO_PID run_loadgen tls livez-tls-hello --url "https://$HELLO_LISTEN" --no-cert -d "$SECS" -p /livez --expect 200
      fi
      [ "$(kv "$LINE" connects)" = "$CONNS" ] || log "  $side: $(kv "$LINE" connects) connections for $CONNS handles"
    done
    v=$(side_rate mtls) c=$(side_rate tls)
    V+=("$v") C+=("$c") R+=("$(div "$v" "$c")") Q+=("$(cpu_ratio tls mtls)")
    DETAILS+=("| $row | $r | coupond mTLS $(fmt "$v") req/s; $(side_cpu mtls "$LG_NAME") | tls_hello${1:+ $1} TLS $(fmt "$c") req/s; $(side_cpu tls "$LG_NAME" | sed 's/coupond/tls_hello/') | $(div "$v" "$c") (by CPU: ${Q[-1]:-—}; server side only: $(server_ratio tls mtls)) |")
    log "  round $r: coupond mTLS $v req/s, tls_hello TLS $c req/s"
  done
  kill "$HELLO_PID" 2>/dev/null || true
  wait "$HELLO_PID" 2>/dev/null || true
  local ra result
  ra=$(median "${R[@]}")
  if [ "$bar" = - ]; then result=information; else result=$(verdict "$ra" 0.90); fi
  add_row "$row" "$desc" "$(fmt "$(median "${V[@]}")")" "$(fmt "$(median "${C[@]}")")" "$ra" \
    "$([ "$bar" = - ] && echo — || echo "≥ 0.90")" "$result" "$(median "${Q[@]}")"
}
measure_frame a 0.90 "coupond with mTLS keep-alive vs plain TLS on bare libmicrohttpd with coupond's threading (GET /livez, req/s)" --spread
measure_frame a2 - "coupond with mTLS keep-alive vs plain TLS on bare libmicrohttpd's own thread pool (GET /livez, req/s; information)"

# ---------------------------------------------------------------- b. idle connections
log "b. $IDLE idle mutual-TLS connections"
cmd=("$TOOLS/idle_conns" --url "$URL" --ca "$CERTS/ca.pem" "${MTLS[@]}" --pid "$COUPOND_PID" -n "$IDLE")
note_cmd idle_conns "${cmd[@]}"
c0=$(ticks "$COUPOND_PID")
line=$("${cmd[@]}" 2>>"$WORK/idle.log" || true)
hs_us=$(us "$(calc "%.3f" "($(ticks "$COUPOND_PID") - $c0) / $CLK")" "$IDLE")
alive
echo "$line" >>"$WORK/idle.log"
rss_kb=$(kv "$line" rss_kb) hwm_kb=$(kv "$line" hwm_kb) before_kb=$(kv "$line" rss_before_kb)
if [ -n "$rss_kb" ] && [ "$(kv "$line" ok)" = "$IDLE" ] && [ "$(kv "$line" reconnects)" = 0 ]; then
  res=$(awk -v k="$rss_kb" 'BEGIN {print (k < 65536) ? "pass" : "**FAIL**"}')
  add_row b "RSS with $IDLE idle mTLS connections (MB; VmHWM $(mb "$hwm_kb"))" \
    "$(mb "$rss_kb")" "64 (the bar)" "$(div "$(mb "$rss_kb")" 64)" "< 64 MB" "$res"
  DETAILS+=("| b | 1 | $(kv "$line" ok) connections held: $(kv "$line" connects) full handshakes in $(kv "$line" open_s) s, $(kv "$line" sockets) sockets open in coupond, 0 new connections when each made a second request; coupond CPU $hs_us µs per connection (handshake and two requests) | RSS before: $(mb "$before_kb") MB | RSS $(mb "$rss_kb") MB = $(calc "%.1f" "($rss_kb - $before_kb) / $IDLE") kB per connection |")
  log "  RSS $(mb "$rss_kb") MB (VmHWM $(mb "$hwm_kb") MB)"
else
  add_row b "RSS with $IDLE idle mTLS connections (MB)" "—" "64 (the bar)" "—" "< 64 MB" "**FAIL**: the connections were not held ($line)"
fi

# ---------------------------------------------------------------- c. redemptions
# measure_redeem ID TITLE: coupond vs $C_CEILING on $PGB_DB (coupond serves the same).
# The ceiling of c and c2: pgbench making the statement coupond makes for a plain redemption
# (db_statements.c's "redeem_fast", every parameter a pgbench variable, so a parameter of the
# prepared statement as in coupond; no card), or, for a coupond before it, redeem().
FAST_SQL=$("$BENCH/statement_sql.sh" redeem_fast)
if [ -n "$FAST_SQL" ]; then
  C_CEILING="pgbench making coupond's statement (redeem_fast)"
else
  C_CEILING="pgbench redeem()"
fi
measure_redeem() {
  local id=$1 title=$2 r side v c ok pb half=$((POOL_COUPOND / 2)) ntx runs_c runs_p
  log "$id. redemptions ($title): coupond vs $C_CEILING, $NDB database connections"
  {
    printf '%s\n' '\set k :k + 1' "\\set id :off + :client_id + $NDB * (:k - 1) + 1"
    if [ -n "$FAST_SQL" ]; then
      # the serial read once from the numbered table (issued serials are not consecutive)
      sed -e 's/^WITH /WITH s AS (SELECT b.serial FROM bench_serials b WHERE b.i = :id), /' \
        -e 's/\$1::bigint/(SELECT serial FROM s)/g' -e 's/\$2::integer/:store::integer/g' \
        -e 's/\$3/:term/g' -e 's/\$4/:id/g' -e 's/\$5::bigint/:basket::bigint/g' \
        -e 's/\$6::bigint/NULL::bigint/g' -e 's/$/;/' <<<"$FAST_SQL"
    else
      echo "SELECT r.* FROM bench_serials b CROSS JOIN LATERAL redeem(b.serial, $STORE::integer, '$TERMINAL_NAME', b.serial::text, $BASKET::bigint, NULL::bigint, NULL::text) r WHERE b.i = :id;"
    fi
  } >"$WORK/redeem.sql"
  ! grep -q '\$[0-9]' "$WORK/redeem.sql" || die "redeem_fast has a parameter this script does not set"
  local V=() C=() R=() Q=()
  for r in $(seq 1 "$ROUNDS"); do
    # coupond: a fresh batch, short codes from coupons.csv, one body per redemption, the
    # first half for the round's first run, the second half for its second.
    issue_codes "bench-redeem-$id-coupond-$r" "$POOL_COUPOND"
    awk -v t="$id$r-$T0" -v b="$BASKET" '{printf "{\"code\":\"%s\",\"basket_cents\":%d,\"txn_id\":\"lg%s-%d\"}\n", $1, b, t, NR}' \
      "$WORK/codes.txt" >"$WORK/bodies.txt"
    head -n "$half" "$WORK/bodies.txt" >"$WORK/redeem-1.txt"
    tail -n +"$((half + 1))" "$WORK/bodies.txt" >"$WORK/redeem-2.txt"
    # pgbench: another fresh batch (same campaign terms), its serials numbered in a table.
    pb=$(issue "$(new_campaign "bench-redeem-$id-pgbench-$r")" "$POOL_PGBENCH")
    serial_table bench_serials "$pb"
    side_reset coupond; side_reset pgbench
    runs_c=0 runs_p=0 ntx=0
    for side in $(abba "$r" coupond pgbench); do
      checkpoint
      if [ "$side" = coupond ]; then
        runs_c=$((runs_c + 1))
        run_loadgen coupond "redeem-$id" "${MTLS[@]}" -d "$SECS" -p /v1/redemptions --bodies "$WORK/redeem-$runs_c.txt" --expect 201
        [ "$(kv "$LINE" exhausted)" = 0 ] || log "  coupond used all $half coupons of a run (raise BENCH_REDEEM_POOL)"
      else
        run_pgbench "$WORK/redeem.sql" -D k=0 -D off=$((runs_p * POOL_PGBENCH / 2)) \
          -D store="$STORE" -D basket="$BASKET" -D term="pgbench-$id-$r" # the key: (term, id)
        runs_p=$((runs_p + 1))
        ntx=$((ntx + NTX))
        [ "$NTX" -lt $((POOL_PGBENCH / 2)) ] || die "pgbench used all $((POOL_PGBENCH / 2)) coupons of a run: raise BENCH_PGBENCH_POOL"
      fi
    done
    ok=$(psqlq -c "SELECT count(*) FROM coupons WHERE batch_id = $pb AND uses = 1")
    [ "$ok" = "$ntx" ] || log "  pgbench made $ntx calls but $ok coupons were redeemed"
    v=$(side_rate coupond) c=$(side_rate pgbench)
    V+=("$v") C+=("$c") R+=("$(div "$v" "$c")") Q+=("$(cpu_ratio pgbench coupond)")
    DETAILS+=("| $id | $r | coupond $(fmt "$v")/s (last run: status $(kv "$LINE" status), p50 $(kv "$LINE" p50_ms) ms, p99 $(kv "$LINE" p99_ms) ms); $(side_cpu coupond "$LG_NAME") | pgbench $(fmt "$c")/s ($ntx calls, $ok coupons redeemed); $(side_cpu pgbench pgbench) | $(div "$v" "$c") (by CPU: ${Q[-1]:-—}; server side only: $(server_ratio pgbench coupond)) |")
    log "  round $r: coupond $v/s, pgbench $c/s"
  done
  local rr
  rr=$(median "${R[@]}")
  if [ "$id" = c ]; then RATE_c=$(median "${V[@]}") RATE_c_ROUNDS=("${V[@]}"); fi # for ceilings.sh
  # c3 is coupond with group commit off, for comparison: the bar is coupond as shipped's (c).
  local bar="≥ 0.85" result
  result=$(verdict "$rr" 0.85)
  if [ "$id" = c3 ]; then bar="— (c's)" result=information; fi
  add_row "$id" "Redemptions/s vs $C_CEILING, $NDB DB connections ($title)" "$(fmt "$(median "${V[@]}")")" \
    "$(fmt "$(median "${C[@]}")")" "$rr" "$bar" "$result" "$(median "${Q[@]}")"
}
REDEEM_MISSING=$(missing_of issue csv redeem)
if [ -z "$REDEEM_MISSING" ]; then
  measure_redeem c "durable: synchronous_commit=on"
else
  not_measured c "Redemptions/s vs $C_CEILING" "≥ 0.85" "$REDEEM_MISSING"
fi

# ---------------------------------------------------------------- d. checks
CHECK_MISSING=$(missing_of issue csv check)
if [ -z "$CHECK_MISSING" ]; then
  log "d. checks: coupond (POST /v1/checks) vs pgbench coupon_check_fast(), $NDB database connections"
  issue_codes bench-check "$CHECK_POOL"
  shuf "$WORK/codes.txt" | awk -v b="$BASKET" '{printf "{\"code\":\"%s\",\"basket_cents\":%d}\n", $1, b}' >"$WORK/check-bodies.txt"
  serial_table bench_check_serials "$BATCH"
  cat >"$WORK/check.sql" <<SQL
\\set id random(1, $CHECK_POOL)
SELECT r.* FROM bench_check_serials b CROSS JOIN LATERAL coupon_check_fast(b.serial, $STORE::integer, $BASKET::bigint, NULL::bigint) r WHERE b.i = :id;
SQL
  V=() C=() R=() Q=()
  for r in $(seq 1 "$ROUNDS"); do
    side_reset coupond; side_reset pgbench
    for side in $(abba "$r" coupond pgbench); do
      if [ "$side" = coupond ]; then
        run_loadgen coupond check "${MTLS[@]}" -d "$SECS" -p /v1/checks --bodies "$WORK/check-bodies.txt" --wrap --expect 200
      else
        run_pgbench "$WORK/check.sql"
      fi
    done
    v=$(side_rate coupond) c=$(side_rate pgbench)
    V+=("$v") C+=("$c") R+=("$(div "$v" "$c")") Q+=("$(cpu_ratio pgbench coupond)")
    DETAILS+=("| d | $r | coupond $(fmt "$v")/s (last run: status $(kv "$LINE" status), p50 $(kv "$LINE" p50_ms) ms, p99 $(kv "$LINE" p99_ms) ms); $(side_cpu coupond "$LG_NAME") | pgbench $(fmt "$c")/s; $(side_cpu pgbench pgbench) | $(div "$v" "$c") (by CPU: ${Q[-1]:-—}; server side only: $(server_ratio pgbench coupond)) |")
    log "  round $r: coupond $v/s, pgbench $c/s"
  done
  rd=$(median "${R[@]}")
  add_row d "Checks/s vs pgbench coupon_check_fast() (read-only), $NDB DB connections" "$(fmt "$(median "${V[@]}")")" \
    "$(fmt "$(median "${C[@]}")")" "$rd" "≥ 0.60" "$(verdict "$rd" 0.60)" "$(median "${Q[@]}")"
else
  not_measured d "Checks/s vs pgbench coupon_check_fast() (read-only)" "≥ 0.60" "$CHECK_MISSING"
fi

# ---------------------------------------------------------------- f. the ceilings of issue 12
# shellcheck source=tests/bench/ceilings.sh
. "$BENCH/ceilings.sh"
ceiling_minimal
ceiling_checks
ceiling_latency

# ---------------------------------------------------------------- e. bulk issue and export
if [ "$HAS_ISSUE" = 1 ]; then
  log "e. bulk: issuing $BULK coupons vs COPY of $BULK rows; export vs Ed25519 signing on $NPROC cores"
  # The COPY ceiling's rows: the columns coupond's COPY writes, as many rows, made once.
  psqlq -c "\\copy (SELECT g, 1::bigint, 1::bigint, 1, NULL::bigint FROM generate_series(4000000001::bigint, 4000000000 + $BULK) g) TO '$WORK/copy.tsv'"
  copy_cmd=("$PG_BIN/psql" "$DB" -v ON_ERROR_STOP=1 -qAtX -c "\\copy bench_coupons_copy (serial, campaign_id, batch_id, max_uses, card_serial) FROM '$(rel "$WORK/copy.tsv")'")
  MC=("$CERTS/ca.pem" "$CERTS/marketer.pem" "$CERTS/marketer.key")
  EV=() EC=() ER=() EQ=() XV=() XC=() XR=() XQ=()
  for r in $(seq 1 "$BULK_ROUNDS"); do
    bc_=$(new_campaign "bench-bulk-$r")
    for what in $(abba "$r" issue copy | cut -d' ' -f1,2); do
      checkpoint
      if [ "$what" = issue ]; then
        cmd=(curl -sS --max-time 900 --cacert "${MC[0]}" --cert "${MC[1]}" --key "${MC[2]}"
          -H 'Content-Type: application/json' --data-binary "{\"count\":$BULK}" "$URL/v1/campaigns/$bc_/coupons")
        note_cmd issue "${cmd[@]}"
        acct_start
        t=$("${cmd[@]}" -o "$WORK/resp" -w '%{http_code} %{time_total}')
        acct_end 0
        [ "${t%% *}" = 201 ] || die "the bulk issue answered ${t%% *}: $(head -c 300 "$WORK/resp")"
        ti=${t#* } icpu="CPU s: coupond $A_CO, PostgreSQL $A_PG; other processes $A_FOREIGN %"
        issue_cpu=$(calc "%.3f" "$A_CO + $A_PG")
      else
        psqlq -c "DROP TABLE IF EXISTS bench_coupons_copy" \
          -c "CREATE TABLE bench_coupons_copy (LIKE coupons INCLUDING ALL) WITH (fillfactor = 90)"
        note_cmd copy "${copy_cmd[@]}"
        acct_start
        s=$(date +%s.%N)
        t=$( { time (cd "$ROOT" && "${copy_cmd[@]}"); } 2>&1 )
        tc=$(calc "%.3f" "$(date +%s.%N) - $s")
        cl=$(awk -v t="$t" 'BEGIN {split(t, a, " "); print a[1] + a[2]}')
        acct_end "$cl"
        copy_cpu=$(calc "%.3f" "$cl + $A_PG")
        ccpu="CPU s: psql $cl, PostgreSQL $A_PG; other processes $A_FOREIGN %"
        psqlq -c "DROP TABLE bench_coupons_copy"
      fi
    done
    vi=$(calc "%.0f" "$BULK / $ti") vc=$(calc "%.0f" "$BULK / $tc")
    EV+=("$vi") EC+=("$vc") ER+=("$(div "$vi" "$vc")") EQ+=("$([ -n "$PG_PM" ] && div "$copy_cpu" "$issue_cpu" || echo nan)")
    DETAILS+=("| e1 | $r | coupond issued $BULK in ${ti} s = $(fmt "$vi")/s; $icpu | COPY of $BULK rows in ${tc} s = $(fmt "$vc")/s; $ccpu | $(div "$vi" "$vc") (by CPU: ${EQ[-1]}) |")
    log "  round $r: issue ${ti} s, COPY ${tc} s"
    if [ "$HAS_CSV" = 1 ]; then
      for what in $(abba "$r" export sign | cut -d' ' -f1,2); do
        if [ "$what" = export ]; then
          cmd=(curl -sS --max-time 900 --cacert "${MC[0]}" --cert "${MC[1]}" --key "${MC[2]}" "$URL/v1/campaigns/$bc_/coupons.csv")
          note_cmd export "${cmd[@]}"
          acct_start
          t=$("${cmd[@]}" -o "$WORK/export.csv" -w '%{http_code} %{time_total}')
          acct_end 0
          [ "${t%% *}" = 200 ] || die "the export answered ${t%% *}"
          te=${t#* }
          ecpu="coupond used $(calc "%.2f" "$A_CO / $te") cores, PostgreSQL $(calc "%.2f" "$A_PG / $te"); other processes $A_FOREIGN %"
          export_cpu=$(calc "%.3f" "$A_CO + $A_PG")
          rows=$(awk -F, 'NR == 1 && $1 == "code" {next} {n++} END {print n + 0}' "$WORK/export.csv")
          rm -f "$WORK/export.csv"
        else
          note_cmd sign_rate "$TOOLS/sign_rate" --duration 3
          acct_start
          t=$( { time "$TOOLS/sign_rate" --duration 3 >"$WORK/line"; } 2>&1 )
          sline=$(cat "$WORK/line")
          scpu=$(awk -v t="$t" 'BEGIN {split(t, a, " "); print a[1] + a[2]}')
          acct_end "$scpu"
          sr=$(kv "$sline" signs_per_s) sfor=$A_FOREIGN signs=$(kv "$sline" signs)
        fi
      done
      [ "$rows" = "$BULK" ] || log "  the export had $rows rows, not $BULK"
      ve=$(calc "%.0f" "$rows / $te")
      XV+=("$ve") XC+=("$sr") XR+=("$(div "$ve" "$sr")")
      XQ+=("$(awk -v sc="$scpu" -v sn="$signs" -v ec="$export_cpu" -v en="$rows" 'BEGIN {if (sn == 0 || en == 0 || ec == 0) print "nan"; else printf "%.3f", (sc / sn) / (ec / en)}')")
      DETAILS+=("| e2 | $r | coupond exported $rows signed coupons in ${te} s = $(fmt "$ve")/s; $ecpu | Ed25519: $(fmt "$sr") signatures/s on $NPROC threads ($(us "$scpu" "$signs") µs CPU each); other processes $sfor % | $(div "$ve" "$sr") (by CPU: ${XQ[-1]}) |")
      log "  round $r: export ${te} s ($rows rows), signing $sr/s"
    fi
  done
  re=$(median "${ER[@]}")
  add_row e1 "Bulk issue of $BULK coupons vs plain COPY (coupons/s)" "$(fmt "$(median "${EV[@]}")")" \
    "$(fmt "$(median "${EC[@]}")")" "$re" "≥ 0.50" "$(verdict "$re" 0.50)" "$(median "${EQ[@]}")"
  if [ "$HAS_CSV" = 1 ]; then
    rx=$(median "${XR[@]}")
    add_row e2 "CSV export of signed codes vs Ed25519 signing on all cores (coupons/s)" \
      "$(fmt "$(median "${XV[@]}")")" "$(fmt "$(median "${XC[@]}")")" "$rx" "≥ 0.80" "$(verdict "$rx" 0.80)" "$(median "${XQ[@]}")"
  else
    not_measured e2 "CSV export of signed codes vs Ed25519 signing on all cores" "≥ 0.80" "$(missing_of csv)"
  fi
else
  not_measured e1 "Bulk issue of $BULK coupons vs plain COPY" "≥ 0.50" "$(missing_of issue)"
  not_measured e2 "CSV export of signed codes vs Ed25519 signing on all cores" "≥ 0.80" "$(missing_of issue csv)"
fi
END_RSS=$(awk '/^VmRSS/ {print $2}' "/proc/$COUPOND_PID/status")
END_HWM=$(awk '/^VmHWM/ {print $2}' "/proc/$COUPOND_PID/status")

# ---------------------------------------------------------------- c2. redemptions, CPU-bound
# With synchronous_commit=on both sides mostly wait for each commit's WAL flush; with it off
# (for coupond's sessions and pgbench's alike) the comparison is CPU-bound and shows what
# coupond's HTTP, TLS and JSON work costs per redemption next to the SQL.
if [ -z "$REDEEM_MISSING" ] && [ "${BENCH_ASYNC:-1}" = 1 ]; then
  stop_coupond
  PGB_DB="$DB options='-c synchronous_commit=off'"
  start_coupond "$PGB_DB" -async
  measure_redeem c2 "CPU-bound: synchronous_commit=off on both sides"
  PGB_DB=$DB
fi
# ---------------------------------------------------------------- c3. redemptions, alone
# c again with group commit off (--group-commit 0; on by default: docs/operations.md), each
# redemption on its worker's own connection, for the comparison with coupond as shipped in
# one run.
if [ -z "$REDEEM_MISSING" ] && [ "${BENCH_GROUP:-1}" = 1 ]; then
  stop_coupond
  START_FLAGS=(--group-commit 0)
  start_coupond "$DB" -alone
  measure_redeem c3 "durable, group commit off: --group-commit 0"
  START_FLAGS=()
fi
psqlq -c "DROP TABLE IF EXISTS bench_serials, bench_check_serials, bench_coupons_copy" >/dev/null 2>&1 || true

# ---------------------------------------------------------------- the report
ELAPSED=$(($(date +%s) - T0))
commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=$(git -C "$ROOT" status --porcelain 2>/dev/null | grep -qv '^?? tests/bench/' && echo " plus uncommitted changes" || true)
pgver=$("$PG_BIN/postgres" --version | sed 's/.*) //')
# foreign_note: a warning when other processes took a noticeable share of the machine.
foreign_note() {
  [ "${#FOREIGN_ALL[@]}" -gt 0 ] || return 0
  local mean max
  mean=$(printf '%s\n' "${FOREIGN_ALL[@]}" | awk '{s += $1} END {printf "%.0f", s / NR}')
  max=$(printf '%s\n' "${FOREIGN_ALL[@]}" | sort -n | tail -1)
  [ "$mean" -ge 10 ] || return 0
  printf '%s\n' "**This run shared the machine:** other processes used on average $mean % (at most $max %) of its CPU during the timed runs, so the throughput ratios below carry more noise than usual; the \"ratio by CPU/op\" column is less affected. Rerun on an otherwise idle machine for figures to rely on." ""
}
pgset=$(psqlq -c "SELECT string_agg(name || '=' || setting || coalesce(unit, ''), ', ' ORDER BY name) FROM pg_settings WHERE name IN ('shared_buffers', 'synchronous_commit', 'max_wal_size', 'wal_buffers', 'fsync')")
{
  cat <<EOF
# coupond benchmarks

Generated by \`tests/bench/run.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC') in ${ELAPSED} s. Each figure
is a ratio to a ceiling measured **in the same run on the same machine**. A round runs the
two sides A B B A (B A A B in even rounds), ${SECS} s each, a side's figure in a round is the
mean of its two runs, and the table shows the median of $ROUNDS rounds (bulk: $BULK_ROUNDS
rounds of one run each). Runs on these machines vary by ±30 %, so compare the ratios, not
absolute numbers across runs.

$(foreign_note)

## Machine
- $NPROC × $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//') (\`nproc\` = $NPROC), $(awk '/MemTotal/ {printf "%.0f GB", $2 / 1048576}' /proc/meminfo) RAM, $(uname -sr); load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)
- PostgreSQL $pgver, $DB_DESC; $pgset
- coupond $commit$dirty, built RelWithDebInfo; \`--threads $NDB\` (= $NDB database connections), on $URL
- Load: \`tests/bench/bin/$LG_NAME\` ($LG_DESC) with $CONNS keep-alive connections on $LGT thread(s); pgbench with $NDB clients. Client, coupond and PostgreSQL share the $NPROC cores, and so does anything else running on the machine: "other processes" in the rounds below is the share of the machine's CPU used by other processes during a run.

## Results
| # | measurement | coupond | ceiling | ratio | bar | result | ratio by CPU/op |
| --- | --- | --- | --- | --- | --- | --- | --- |
EOF
  printf '%s\n' "${ROWS[@]}" | sort -s -t'|' -k2,2
  cat <<EOF

coupond's RSS after the bulk parts: $(mb "$END_RSS") MB (VmHWM $(mb "$END_HWM") MB).

## Rounds
| # | round | coupond | ceiling | ratio |
| --- | --- | --- | --- | --- |
EOF
  printf '%s\n' "${DETAILS[@]}" | sort -s -t'|' -k2,2
  cat <<'EOF'

"CPU µs/op" is CPU time per request or transaction from /proc: the client (the load
generator or pgbench), coupond, and PostgreSQL (all its processes). "Ratio by CPU/op"
divides the ceiling's CPU per operation (client + coupond + PostgreSQL) by coupond's: the
throughput ratio a CPU-bound machine with nothing else on it would show. Other processes
on the machine disturb it far less than they disturb the throughput ratio, so where the
two disagree, suspect the machine's other load (see "other processes"). The result column
is judged on the throughput ratio alone. "Server side only" leaves the clients' CPU out
(coupond + PostgreSQL against PostgreSQL alone): the ratio if the clients ran elsewhere,
as tills do. Where an HTTPS request costs its client more CPU than a pgbench transaction
costs pgbench (compare the two in the rounds), the throughput ratio on one machine charges
the difference to coupond.
EOF
  printf '\n%s\n' "$LG_NOTE" | fmt -w 90
  cat <<'EOF'

## What each row measures
- **a** — `GET /livez` (answered by coupond itself, no database round trip) over the same
  number of kept-alive TLS connections: coupond with the terminal's client certificate (mutual
  TLS, verified once per connection) against `tls_hello` without one (plain TLS): the
  smallest server that does the same frame (libmicrohttpd with GnuTLS, --threads poll()
  threads, server certificate and TLS priorities, no routing, no log line), started with
  `--spread`: one daemon per thread and each connection handed to the next one by an accept
  loop, the threading coupond has since stop 24 (service/acceptor.c spreads connections so
  that requests waiting for the database never queue behind each other on one worker).
  coupond itself cannot be the plain-TLS side: its connection guard (issue 10) closes a
  connection without a certificate after one answer. Each connection first makes one untimed
  request, so the handshakes fall outside the timed window; `connects` equals the connection
  count on both sides, which proves keep-alive. "By CPU" counts tls_hello's CPU in place of
  coupond's on the ceiling's side.
- **a2** — a again against `tls_hello` on libmicrohttpd's own thread pool, whose workers race
  for `accept()` so that the 16 connections pile up on a few of them; for information: a
  worker with several busy connections serves them in one `poll()` round, which suits a
  request that costs 10 µs of CPU, and holds them up behind each other for one that waits
  for the database (the reason coupond no longer uses that pool; docs/operations.md).
- **b** — `idle_conns` opens BENCH_IDLE connections, each a full mutual-TLS handshake (no
  session reuse) plus `GET /v1/whoami`, holds them, and reads VmRSS and VmHWM from
  /proc/PID/status; a second request on each must then open no new connection.
- **c** — coupond: `POST /v1/redemptions {code, basket_cents, txn_id}` as terminal-1, each
  body a different coupon of a fresh batch (short codes from `coupons.csv`), all expected
  201. pgbench: the statement coupond makes for such a redemption (`redeem_fast` in
  service/db_statements.c, read from the source by tests/bench/statement_sql.sh; the one
  statement that books it without calling `redeem()`, since stop 22), every parameter a
  pgbench variable, so a parameter of the prepared statement as in coupond; once per
  transaction on a different coupon of another fresh batch with the same campaign terms,
  `-M prepared`, as many clients as coupond has database connections;
  pgbench reads each serial once from a numbered table in the same statement (one
  primary-key lookup more than coupond makes), because issued serials are not consecutive.
  A CHECKPOINT precedes every run. (Until stop 21 the ceiling was pgbench calling
  `redeem()`, which coupond called then.) coupond as shipped has group commit on (since
  stop 24): plain redemptions that are in flight together are booked by one statement over
  arrays (`redeem_group`, redeem_fast's text on arrays) in one transaction.
- **c3** — c again with group commit off (`--group-commit 0`; on by default,
  docs/operations.md, "Group commit"): each redemption booked by `redeem_fast` on its
  worker's own connection, as coupond shipped until stop 23. Informational: the bar is c's,
  measured on coupond as shipped.
- **c2** — c again, but every database session, coupond's and pgbench's, runs with
  `synchronous_commit=off` (`options='-c synchronous_commit=off'` in the conninfo). With
  durable commits both sides spend much of their time waiting for the WAL flush of each
  commit, which narrows the gap; c2 is CPU-bound and shows what coupond's HTTP, TLS and JSON
  work costs per redemption next to the SQL. Informational: the bar is c's.
- **d** — coupond: `POST /v1/checks {code, basket_cents}` on the coupons of one batch in
  random order; pgbench: `coupon_check_fast(serial, store, basket, card)` (the statement
  coupond makes for a check without a receipt; `coupon_check()` before issue 12's lean check)
  on random coupons of the same batch.
EOF
  ceilings_doc
  cat <<'EOF'
- **e1** — coupond: `POST /v1/campaigns/{id}/coupons {"count": BENCH_BULK}`, the request's
  wall time. Ceiling: `\copy` of as many rows with the columns coupond's COPY writes into a
  fresh `CREATE TABLE … (LIKE coupons INCLUDING ALL)` (same keys, checks and defaults).
- **e2** — coupond: `GET /v1/campaigns/{id}/coupons.csv` of that batch, rows/s. Ceiling:
  `sign_rate`, libsodium `crypto_sign_detached` of a 48-byte message on every core (one
  thread each), signatures/s.

## Commands (as run)
```sh
EOF
  cut -f2 "$WORK/commands.txt"
  cat <<'EOF'
```
The pgbench scripts (`:off` selects the round's first or second half of the coupons):
```
EOF
  for f in redeem check minimal lookup; do
    [ ! -f "$WORK/$f.sql" ] || { echo "-- $f.sql"; cat "$WORK/$f.sql"; }
  done
  cat <<'EOF'
```
Reproduce with `tests/bench/run.sh` (root or sudo is needed only to create the embedded
cluster's user), or `COUPOND_DB=... tests/bench/run.sh` for a given database. The last
run's logs: `tests/bench/bin/work/`.
EOF
} >"$WORK/BENCHMARKS.md"
# The campaign page's sections (tests/bench/campaign_page.sh and ui_page.sh write them, after
# this script's part) survive this run.
if [ -f "$OUT" ]; then sed -n '/^<!-- \(campaign-page\|ui_page.sh\)/,$p' "$OUT" >>"$WORK/BENCHMARKS.md"; fi
cp "$WORK/BENCHMARKS.md" "$OUT"
log "wrote $(rel "$OUT") in ${ELAPSED} s"
printf '%s\n' "${ROWS[@]}" | sort -s -t'|' -k2,2 >&2
