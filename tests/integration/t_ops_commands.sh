#!/usr/bin/env bash
# The commands the systemd timers run, and coupond's own flags:
#  - check_crl_warns_near_next_update: `coupond check-crl` exits 0 for a fresh CRL and 1,
#    with a warning naming the CRL, for one due within 7 days, one past its nextUpdate,
#    one another CA signed, a missing file, and no CRL configured;
#  - expire_points_books_out_due_points: `coupond expire-points` books out the points of a
#    lot whose expiry has come (balance 0, an 'expire' ledger row) and a second run finds
#    nothing;
#  - version_and_help: `coupond --version`, `-V`, `--help`, `-h` print and exit 0;
#  - notify_ready_waits_for_database: under a service manager ($NOTIFY_SOCKET), serve sends
#    READY=1 only once the database answers (the listener already serves /healthz 503
#    before), keeps serving on SIGHUP (systemctl reload), and sends STOPPING=1 on SIGTERM,
#    then exits 0. The database "appears" when a link to PostgreSQL's socket is made.
set -euo pipefail
b=${COUPOND_BUILD_DIR:?} s=${COUPOND_SOURCE_DIR:?}
: "${COUPOND_DB:?}"
listen=${COUPOND_TEST_LISTEN:-127.0.0.1:18743}
d="$s/certs/dev"
t=$(mktemp -d)
pid='' notify_pid=''
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
  [ -z "$pid" ] || kill -TERM "$pid" 2>/dev/null || true
  [ -z "$notify_pid" ] || kill "$notify_pid" 2>/dev/null || true
  "$s/tests/integration/keep_log.sh" "$t/serve.log" t_ops_commands
  rm -rf "$t"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# --- version_and_help
version=$(sed -n 's/^project(coupond VERSION \([0-9.]*\).*/\1/p' "$s/CMakeLists.txt")
[ "$("$b/coupond" --version)" = "coupond $version" ] || fail "--version: $("$b/coupond" --version)"
[ "$("$b/coupond" -V)" = "coupond $version" ] || fail "-V"
"$b/coupond" --help | grep -q '^usage: coupond .*expire-points|check-crl' || fail "--help"
"$b/coupond" -h | grep -q '^usage: coupond' || fail "-h"
echo "ok: version_and_help"

# --- check_crl_warns_near_next_update
# check EXPECTED_STATUS PATTERN ARGS...: runs check-crl, compares its status, greps its output.
check() {
  local want=$1 pattern=$2 rc=0
  shift 2
  "$b/coupond" check-crl "$@" >"$t/out" 2>&1 || rc=$?
  [ "$rc" -eq "$want" ] || fail "check-crl $* exited $rc, not $want: $(cat "$t/out")"
  grep -qE "$pattern" "$t/out" || fail "check-crl $*: '$(cat "$t/out")' does not match /$pattern/"
}
ca="$t/ca dir"
"$s/certs/coupond-pki" init "$ca" --name "check-crl test CA" >/dev/null
check 0 '^CRL .*crl.pem: next update [0-9-]+T[0-9:]+Z, in (29|30) days$' --ca "$ca/ca.pem" --crl "$ca/crl.pem"
(cd "$ca" && openssl ca -batch -config openssl.cnf -gencrl -crlhours 48 -out "$t/near.pem" 2>/dev/null)
check 1 'warning: the CRL .*near.pem expires at .*, in (1 day\(s\) and 23|2 day\(s\) and 0) hour\(s\); re-issue it' \
  --ca "$ca/ca.pem" --crl "$t/near.pem"
(cd "$ca" && openssl ca -batch -config openssl.cnf -gencrl -crl_lastupdate 20200101000000Z \
  -crl_nextupdate 20200131000000Z -out "$t/past.pem" 2>/dev/null)
check 1 'warning: the CRL .*past.pem expired at 2020-01-31T00:00:00Z' --ca "$ca/ca.pem" --crl "$t/past.pem"
check 1 'is not signed by the CA' --ca "$d/ca.pem" --crl "$ca/crl.pem"
check 1 'is not signed by the CA' --ca "$d/ca.pem" --crl "$t/past.pem"
check 1 'cannot read the CRL .*missing.pem' --ca "$ca/ca.pem" --crl "$t/missing.pem"
check 1 'no CRL configured' --ca "$ca/ca.pem"
printf 'ca = %s\ncrl = %s\n' "$ca/ca.pem" "$t/near.pem" >"$t/coupond.conf"
check 1 'warning: the CRL .*near.pem' --config "$t/coupond.conf"
echo "ok: check_crl_warns_near_next_update"

# --- expire_points_books_out_due_points
api() { # api METHOD PATH CERT [BODY]
  curl -sS --fail-with-body --max-time 10 --cacert "$d/ca.pem" --cert "$d/$3.pem" --key "$d/$3.key" \
    -X "$1" -H 'Content-Type: application/json' ${4:+--data "$4"} "https://$listen$2"
}
json() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }
card=$(json "$(api POST /v1/cards terminal-1 '{}')" card)
txn="expire-$$-$RANDOM"
earned=$(json "$(api POST "/v1/cards/$card/earn" terminal-1 "{\"basket_cents\": 5000, \"txn_id\": \"$txn\"}")" points)
[ "$earned" -eq 50 ] || fail "earn booked $earned points, not 50"
serial=$(psql "$COUPOND_DB" -XAtc "SELECT card_serial FROM card_transactions WHERE terminal LIKE '%terminal-1' AND txn_id = '$txn'")
[ -n "$serial" ] || fail "no ledger row for $txn"
psql "$COUPOND_DB" -XAtqc "UPDATE card_lots SET expires_at = now() - interval '1 minute' WHERE card_serial = $serial"
"$b/coupond" expire-points --db "$COUPOND_DB" >"$t/out" 2>&1 || fail "expire-points: $(cat "$t/out")"
grep -qE '^expire-points: [1-9][0-9]* card\(s\) lost points' "$t/out" || fail "expire-points: $(cat "$t/out")"
row=$(psql "$COUPOND_DB" -XAtc "SELECT c.balance, (SELECT sum(points) FROM card_transactions t
  WHERE t.card_serial = c.serial AND t.kind = 'expire') FROM cards c WHERE c.serial = $serial")
[ "$row" = "0|-50" ] || fail "after expire-points: balance|expired = $row, not 0|-50"
"$b/coupond" expire-points --db "$COUPOND_DB" >"$t/out" 2>&1 || fail "expire-points (again): $(cat "$t/out")"
grep -q '^expire-points: 0 card(s)' "$t/out" || fail "a second expire-points found more: $(cat "$t/out")"
"$b/coupond" expire-points --db "host=/nonexistent dbname=none" >"$t/out" 2>&1 && fail "expire-points without a database exited 0"
grep -q 'cannot be reached' "$t/out" || fail "expire-points without a database: $(cat "$t/out")"
echo "ok: expire_points_books_out_due_points"

# --- notify_ready_waits_for_database
sockdir=$(printf '%s\n' "$COUPOND_DB" | sed -n 's/.*host=\(\/[^ ]*\).*/\1/p')
pgport=$(printf '%s\n' "$COUPOND_DB" | sed -n 's/.*port=\([0-9]*\).*/\1/p')
[ -S "$sockdir/.s.PGSQL.${pgport:-5432}" ] ||
  fail "notify_ready_waits_for_database needs COUPOND_DB with host=/socket/dir (scripts/test's PostgreSQL)"
mkdir "$t/pg"
python3 - "$t/notify.sock" "$t/notify.log" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a", buffering=1) as log:
    while True:
        log.write(s.recv(4096).decode() + "\n")
PY
notify_pid=$!
for _ in $(seq 50); do [ -S "$t/notify.sock" ] && break; sleep 0.1; done
host=${listen%:*}
port=$((${listen##*:} + 2))
NOTIFY_SOCKET="$t/notify.sock" "$b/coupond" serve --listen "$host:$port" --db "$COUPOND_DB host=$t/pg" \
  --cert "$d/server.pem" --key "$d/server.key" --ca "$d/ca.pem" --crl "$d/crl.pem" \
  --keys "$s/var/keys" --sql "$s/sql" --threads 2 >"$t/serve.log" 2>&1 &
pid=$!
healthz() { curl -s -o /dev/null -w '%{http_code}' --max-time 5 --cacert "$d/ca.pem" "https://$host:$port/healthz" || true; }
code=000
for _ in $(seq 100); do
  code=$(healthz)
  [ "$code" = 000 ] || break
  kill -0 "$pid" 2>/dev/null || fail "serve exited: $(cat "$t/serve.log")"
  sleep 0.1
done
[ "$code" = 503 ] || fail "/healthz without a database answered $code, not 503"
sleep 3
! grep -q '^READY=1' "$t/notify.log" || fail "READY=1 before the database answered"
grep -q '^STATUS=waiting for the database' "$t/notify.log" || fail "no STATUS while waiting for the database"
ln -s "$sockdir/.s.PGSQL.${pgport:-5432}" "$t/pg/.s.PGSQL.5432"
for _ in $(seq 100); do
  grep -q '^READY=1' "$t/notify.log" && break
  sleep 0.1
done
grep -q '^READY=1' "$t/notify.log" || fail "no READY=1 within 10 s of the database answering"
[ "$(healthz)" = 200 ] || fail "/healthz after READY=1 is not 200"
kill -HUP "$pid"
sleep 0.5
kill -0 "$pid" 2>/dev/null || fail "SIGHUP stopped coupond"
[ "$(healthz)" = 200 ] || fail "/healthz after SIGHUP is not 200"
! grep -q '^STOPPING=1' "$t/notify.log" || fail "STOPPING=1 before SIGTERM"
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
pid=''
[ "$rc" -eq 0 ] || fail "serve exited with $rc on SIGTERM: $(tail -5 "$t/serve.log")"
grep -q '^STOPPING=1' "$t/notify.log" || fail "no STOPPING=1 on SIGTERM"
if grep -qE 'ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:' "$t/serve.log"; then
  fail "sanitizer report: $(cat "$t/serve.log")"
fi
echo "ok: notify_ready_waits_for_database"
