#!/usr/bin/env bash
# tests/bench/seam_cpu.sh: coupond's own CPU per request on the hot paths, counted in
# instructions (valgrind's callgrind), so that two builds can be compared on a shared machine
# whose wall-clock rates are noise: a fixed workload of SEAM_N redemptions, SEAM_N checks and
# SEAM_N GET /healthz, one at a time over one kept-alive mutual-TLS connection, each phase
# counted on its own (instrumentation on for the phase only). Reports per request: all of
# coupond's instructions, and those inside the database call (db_redeem, db_check, the ping
# with their parameter encoding, libpq and the reading of the answer).
#
#   tests/bench/seam_cpu.sh                       # build/coupond and sql/ of this tree
#   SEAM_BIN=/other/build/coupond SEAM_SQL=/other/sql tests/bench/seam_cpu.sh
#
# Settings: SEAM_N [2000], SEAM_BIN [build/coupond], SEAM_SQL [sql], BENCH_LISTEN
# [127.0.0.1:18843], SEAM_KEEP (a directory for callgrind_annotate's inclusive listing of each
# phase); its own embedded cluster var/pg-seam (database recreated every run).
# Prints one line per phase: "phase=redeem n=... ir_per_req=... db_ir_per_req=...".
set -euo pipefail
BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/lib.sh
. "$BENCH/../../scripts/lib.sh"

N=${SEAM_N:-2000}
BIN=${SEAM_BIN:-$ROOT/build/coupond}
SQL=${SEAM_SQL:-$ROOT/sql}
LISTEN=${BENCH_LISTEN:-127.0.0.1:18843}
URL="https://$LISTEN"
CERTS="$ROOT/certs/dev"
WORK=$(mktemp -d)
PID=

cleanup() {
  local rc=$?
  if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
    kill -TERM "$PID" 2>/dev/null || true
    wait "$PID" 2>/dev/null || true
  fi
  pg_stop
  rm -rf "$WORK"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

command -v valgrind >/dev/null || die "valgrind is missing (apt-get install valgrind)"
[ -x "$BIN" ] || die "no coupond at $BIN"
make -s -C "$BENCH" >&2
ensure_keys "$BIN"
pg_start pg-seam
"$PG_BINDIR/psql" -h "$PG_SOCK" -U "$PG_USER" -d postgres -qAtX \
  -c "DROP DATABASE IF EXISTS coupond" -c "CREATE DATABASE coupond" >/dev/null
"$BIN" migrate --db "$COUPOND_DB" --sql "$SQL" >&2

# One worker thread: the phases' instructions are the requests' and nothing else's.
valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$WORK/cg.%p" \
  "$BIN" serve --listen "$LISTEN" --db "$COUPOND_DB" --cert "$CERTS/server.pem" \
  --key "$CERTS/server.key" --ca "$CERTS/ca.pem" --crl "$CERTS/crl.pem" --keys "$ROOT/var/keys" \
  --sql "$SQL" --threads 1 --db-deadline 60000 >"$WORK/coupond.log" 2>&1 &
PID=$!
for _ in $(seq 1 600); do
  curl -sf --cacert "$CERTS/ca.pem" "$URL/healthz" >/dev/null 2>&1 && break
  kill -0 "$PID" 2>/dev/null || { tail -20 "$WORK/coupond.log" >&2; die "coupond exited"; }
  sleep 0.2
done

api() { # api WHO METHOD PATH [BODY]: the status; the body in $WORK/resp
  local args=(-sS --max-time 600 --cacert "$CERTS/ca.pem" --cert "$CERTS/$1.pem"
    --key "$CERTS/$1.key" -X "$2" -o "$WORK/resp" -w '%{http_code}')
  [ -z "${4:-}" ] || args+=(-H 'Content-Type: application/json' --data-binary "$4")
  curl "${args[@]}" "$URL$3" || true
}
json_num() { grep -o "\"$1\":[0-9]*" "$WORK/resp" | head -1 | cut -d: -f2; }

# Two sets of coupons: one to redeem, one to check (checked coupons stay unredeemed).
codes() { # codes NAME FILE: a campaign of N coupons, their short codes into FILE
  local st cid
  st=$(api marketer POST /v1/campaigns "{\"name\":\"$1\",\"channel\":\"mailing\",\"cost_cents\":100000,\"starts_at\":\"2020-01-01T00:00:00Z\",\"ends_at\":\"2099-01-01T00:00:00Z\",\"offer\":{\"kind\":\"percent\",\"value\":10,\"min_basket_cents\":0}}")
  [ "$st" = 201 ] || die "POST /v1/campaigns answered $st"
  cid=$(json_num id)
  st=$(api marketer POST "/v1/campaigns/$cid/coupons" "{\"count\":$N}")
  [ "$st" = 201 ] || die "issuing answered $st"
  st=$(api marketer GET "/v1/campaigns/$cid/coupons.csv")
  [ "$st" = 200 ] || die "coupons.csv answered $st"
  awk -F, 'NR > 1 {print $1}' "$WORK/resp" >"$2"
  [ "$(wc -l <"$2")" -eq "$N" ] || die "coupons.csv listed $(wc -l <"$2") coupons, not $N"
}
codes seam-redeem "$WORK/redeem.codes"
codes seam-check "$WORK/check.codes"
awk '{printf "{\"code\":\"%s\",\"basket_cents\":2500,\"txn_id\":\"seam-%d\"}\n", $1, NR}' \
  "$WORK/redeem.codes" >"$WORK/redeem.bodies"
awk '{printf "{\"code\":\"%s\",\"basket_cents\":2500}\n", $1}' "$WORK/check.codes" >"$WORK/check.bodies"

LG=("$BENCH/bin/loadgen_ossl" --url "$URL" --ca "$CERTS/ca.pem" -c 1 -t 1 -d 600 -n "$N" --no-prime)
MTLS=(--cert "$CERTS/terminal-1.pem" --key "$CERTS/terminal-1.key")
# phase NAME FUNCTION LOADGEN-ARGS...: counts the phase (its own dump) and prints its line.
DUMPS=0
phase() {
  local name=$1 fn=$2 line total db
  shift 2
  callgrind_control -z "$PID" >/dev/null
  callgrind_control -i on "$PID" >/dev/null
  line=$("${LG[@]}" "$@" --label "$name" 2>>"$WORK/loadgen.log")
  callgrind_control -i off "$PID" >/dev/null
  callgrind_control -d "$name" "$PID" >/dev/null
  DUMPS=$((DUMPS + 1))
  callgrind_annotate --inclusive=yes --threshold=100 "$WORK/cg.$PID.$DUMPS" >"$WORK/$name.txt"
  total=$(awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1; exit}' "$WORK/$name.txt")
  db=$(awk -v f=":$fn [" 'index($0, f) {gsub(",", "", $1); print $1; exit}' "$WORK/$name.txt")
  echo "phase=$name n=$N status=$(sed -n 's/.* status=\([^ ]*\).*/\1/p' <<<" $line")" \
    "ir_per_req=$((total / N)) db_fn=$fn db_ir_per_req=$((${db:-0} / N))"
}
phase redeem db_redeem "${MTLS[@]}" -p /v1/redemptions --bodies "$WORK/redeem.bodies" --expect 201
phase check db_check "${MTLS[@]}" -p /v1/checks --bodies "$WORK/check.bodies" --expect 200
# The ping's round trip: db_query, under db_ping or (before it) called by the handler. With the
# terminal's certificate, as the other phases: since the connection guard (issue 10) a
# connection without one is closed after its answer, and the phase counted a full handshake
# per request.
phase healthz db_query "${MTLS[@]}" -p /healthz --expect 200
if [ -n "${SEAM_KEEP:-}" ]; then
  mkdir -p "$SEAM_KEEP"
  cp "$WORK"/*.txt "$SEAM_KEEP"/
fi
