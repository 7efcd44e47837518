# shellcheck shell=bash
# Sourced by the front-door tests (t_crl.sh, t_tls12_ecdhe_only.sh, t_front_*.sh): each
# starts coupond instances of its own (own flags, own CA or server key) on ports next to
# $COUPOND_TEST_LISTEN's, checks them for sanitizer reports when it stops them, and
# counts failed checks. Not a test itself (ctest runs t_*.sh only).
set -euo pipefail
b=${COUPOND_BUILD_DIR:?} s=${COUPOND_SOURCE_DIR:?}
: "${COUPOND_DB:?}"
d="$s/certs/dev"
listen=${COUPOND_TEST_LISTEN:-127.0.0.1:18743}
BASE_PORT=${listen##*:}
T=$(mktemp -d)
PIDS=()
SERVE_LOGS=() # the logs of start_coupond's instances (kept for the suite's log check)
FAILED=0
# shellcheck disable=SC2317 # called by the EXIT trap
front_cleanup() {
  local rc=$? p
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  if [ -n "${FRONT_OWN_DB:-}" ]; then own_db_drop "$FRONT_OWN_DB"; fi
  if grep -lE 'ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:' "$T"/*.log 2>/dev/null; then
    grep -h -A30 -E 'ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:' "$T"/*.log | head -60
    rc=1
  fi
  for p in "${SERVE_LOGS[@]}"; do
    "$s/tests/integration/keep_log.sh" "$T/$p.log" "$(basename "$0" .sh)-$p"
  done
  [ -z "${FRONT_KEEP:-}" ] && rm -rf "$T"
  exit "$rc"
}
trap front_cleanup EXIT

ok() { echo "PASS $*"; }
bad() { echo "FAIL $*"; FAILED=$((FAILED + 1)); }
# check NAME COMMAND...: PASS or FAIL by the command's status.
check() {
  local name=$1; shift
  if "$@"; then ok "$name"; else bad "$name"; fi
}

# front_own_db NAME: a database NAME of this test's own (tests/integration/own_db.sh), migrated;
# COUPOND_DB becomes its conninfo (so start_coupond serves it), and front_cleanup drops it
# after stopping the test's coupond instances.
front_own_db() {
  # shellcheck source=tests/integration/own_db.sh
  . "$s/tests/integration/own_db.sh"
  FRONT_OWN_DB=$1
  COUPOND_DB=$(own_db_create "$1")
}

# own_port N: the port N above $COUPOND_TEST_LISTEN's; fails if something listens there.
own_port() {
  local port=$((BASE_PORT + $1))
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "port $port is in use" >&2
    return 1
  fi
  echo "$port"
}

# start_coupond NAME PORT ARGS...: serves https://127.0.0.1:PORT with the dev server
# certificate unless ARGS name another, logging to $T/NAME.log; waits for /healthz and sets
# LAST_PID. Returns 1 (log shown) when it does not come up.
start_coupond() {
  local name=$1 port=$2
  shift 2
  "$b/coupond" serve --listen "127.0.0.1:$port" --db "$COUPOND_DB" --cert "$d/server.pem" \
    --key "$d/server.key" --keys "$s/var/keys" --sql "$s/sql" "$@" >>"$T/$name.log" 2>&1 &
  LAST_PID=$!
  PIDS+=("$LAST_PID")
  SERVE_LOGS+=("$name")
  for _ in $(seq 1 100); do
    if curl -sk --max-time 2 "https://127.0.0.1:$port/healthz" >/dev/null 2>&1; then return 0; fi
    kill -0 "$LAST_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "coupond $name did not come up; its log:"
  cat "$T/$name.log"
  return 1
}

# stop_coupond PID: SIGTERM and wait.
stop_coupond() {
  kill -TERM "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

# finish: the test's exit status.
finish() {
  if [ "$FAILED" -ne 0 ]; then
    echo "$FAILED check(s) failed"
    exit 1
  fi
  echo "all checks passed"
}
