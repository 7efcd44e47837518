#!/usr/bin/env bash
# Shared by the event tests (tests/integration/t_webhooks_*.sh, t_events_*.sh) and
# tests/bench/events.sh: a database of their own in the test cluster (so no other coupond
# delivers their webhooks and event ids start at 1), coupond instances on the ports after
# COUPOND_TEST_LISTEN's, the Node receiver (tests/webhooks/receiver.mjs) and curl helpers.
# Sourced, not run. Every process it starts is stopped on exit.
set -euo pipefail
W=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
s=${COUPOND_SOURCE_DIR:-$(cd "$W/../.." && pwd)}
b=${COUPOND_BUILD_DIR:-$s/build}
d="$s/certs/dev"
: "${COUPOND_DB:?COUPOND_DB is not set (run through scripts/test)}"
listen=${EVENTS_LISTEN:-${COUPOND_TEST_LISTEN:-127.0.0.1:18743}}
# shellcheck disable=SC2034 # used by the scripts that source this file
base_port=${listen##*:}
# shellcheck source=tests/integration/own_db.sh
. "$s/tests/integration/own_db.sh"
t=$(mktemp -d)
pids=()
wdb=

ev_cleanup() {
  local p
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  if [ -n "$wdb" ]; then own_db_drop "$wdb"; fi
  rm -rf "$t"
}
trap ev_cleanup EXIT

fail() { echo "FAILED: $*" >&2; exit 1; }

# The npm packages tests/webhooks/package-lock.json pins (npm ci, once per lock file).
ensure_node_modules() {
  command -v node >/dev/null 2>&1 || fail "node (Debian package nodejs) is needed"
  (
    flock 9
    if ! cmp -s "$W/package-lock.json" "$W/node_modules/.coupond-lock" 2>/dev/null; then
      (cd "$W" && npm ci --no-audit --no-fund --loglevel=error >&2)
      cp "$W/package-lock.json" "$W/node_modules/.coupond-lock"
    fi
  ) 9>"$W/.npm.lock"
}

# fresh_db NAME: a new empty database NAME, migrated; sets DB (its conninfo).
fresh_db() {
  wdb=$1
  DB=$(own_db_create "$wdb") || fail "cannot create or migrate database $wdb"
}

q() { psql "$DB" -qAtX -c "$1"; }

# start_coupond PORT [flags...]: coupond on 127.0.0.1:PORT against DB; sets CPID.
start_coupond() {
  local port=$1; shift
  "$b/coupond" serve --listen "127.0.0.1:$port" --db "$DB" --cert "$d/server.pem" \
    --key "$d/server.key" --ca "$d/ca.pem" --crl "$d/crl.pem" --keys "$s/var/keys" \
    --sql "$s/sql" "$@" >>"$t/coupond-$port.log" 2>&1 &
  CPID=$!
  pids+=("$CPID")
  for _ in $(seq 1 150); do
    curl -sf --cacert "$d/ca.pem" "https://127.0.0.1:$port/healthz" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  cat "$t/coupond-$port.log" >&2
  fail "coupond did not start on $port"
}

# stop_coupond PID: stops that coupond with SIGTERM and fails unless it exits 0 with no
# sanitizer report in its log (the ASan build's leak check runs at exit).
stop_coupond() {
  local pid=$1 rc=0 log
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" || rc=$?
  for log in "$t"/coupond-*.log; do
    if grep -qE 'ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:' "$log"; then
      grep -A30 -E 'ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:' "$log" | head -60 >&2
      fail "sanitizer report in $(basename "$log")"
    fi
  done
  [ "$rc" = 0 ] || { tail -20 "$t"/coupond-*.log >&2; fail "coupond exited with status $rc"; }
}

# start_receiver PORT SECRET LOG [flags...]: the Node receiver; sets RPID.
start_receiver() {
  local port=$1 secret=$2 log=$3; shift 3
  node "$W/receiver.mjs" --port "$port" --cert "$d/server.pem" --key "$d/server.key" \
    --secret "$secret" --log "$log" "$@" >>"$t/receiver-$port.out" 2>&1 &
  RPID=$!
  pids+=("$RPID")
  for _ in $(seq 1 100); do
    grep -q listening "$t/receiver-$port.out" 2>/dev/null && return 0
    sleep 0.1
  done
  cat "$t/receiver-$port.out" >&2
  fail "receiver did not start on $port"
}

# api PORT ROLE METHOD PATH [BODY]: prints the body, then the status on a line of its own.
api() {
  local port=$1 role=$2 method=$3 path=$4 body=${5:-}
  local args=(-s --cacert "$d/ca.pem" --cert "$d/$role.pem" --key "$d/$role.key"
    -X "$method" -w '\n%{http_code}' "https://127.0.0.1:$port$path")
  [ -n "$body" ] && args+=(-H 'Content-Type: application/json' -d "$body")
  curl "${args[@]}"
}

# expect STATUS OUTPUT: OUTPUT's last line must be STATUS.
expect() {
  local want=$1 out=$2
  [ "$(tail -n1 <<<"$out")" = "$want" ] || fail "expected HTTP $want, got: $out"
}

# json FIELD < TEXT: a top-level field of a JSON object.
json() { python3 -c 'import json,sys; v=json.load(sys.stdin).get(sys.argv[1]); print("" if v is None else v)' "$1"; }

# campaign PORT NAME [OFFER_JSON]: a new running campaign's id.
campaign() {
  local offer=${3:-'{"kind":"amount","value":100}'}
  api "$1" marketer POST /v1/campaigns \
    "{\"name\":\"$2\",\"channel\":\"app\",\"cost_cents\":1,\"starts_at\":\"2020-01-01T00:00:00Z\",\"ends_at\":\"2099-01-01T00:00:00Z\",\"offer\":$offer}" |
    head -n1 | json id
}

# issue PORT CAMPAIGN COUNT FILE: issues COUNT coupons, their short codes into FILE.
issue() {
  api "$1" marketer POST "/v1/campaigns/$2/coupons" "{\"count\":$3}" | head -n1 |
    python3 -c 'import json,sys; [print(c["code"]) for c in json.load(sys.stdin)["coupons"]]' >"$4"
  [ "$(wc -l <"$4")" -eq "$3" ] || fail "issue of $3 coupons failed"
}

# redeem_many PORT CODES_FILE PREFIX [CONCURRENCY]: redeems every code (basket 10.00) with
# keep-alive connections; prints "ok N refused N failed N".
redeem_many() {
  python3 "$W/redeem_many.py" "https://127.0.0.1:$1" "$d" "$2" "$3" "${4:-4}"
}
