#!/usr/bin/env bash
# embedded_postgres_refuses_other_local_accounts: the cluster scripts/lib.sh pg_start makes
# (scripts/run, scripts/test) is reachable only by its owner and the invoking user. Another
# local account (nobody) is refused, both by the socket directory (mode 0700) and, with that
# opened by a careless operator, by peer authentication; the owner and root get in. The same
# account did get in with the settings pg_start used before (initdb --auth=trust and
# unix_socket_permissions=0777): that part shows the test can fail.
# Needs root (or passwordless sudo) to act as another account, as CI has.
set -euo pipefail
s=${COUPOND_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
if [ "$(id -u)" -ne 0 ]; then
  { command -v sudo >/dev/null && sudo -n true 2>/dev/null; } ||
    { echo "FAILED: needs root or passwordless sudo to act as another account"; exit 1; }
  exec sudo -n --preserve-env=COUPOND_SOURCE_DIR bash "$0" "$@"
fi
# shellcheck source=/dev/null
. "$s/scripts/lib.sh"
bindir=$(pg_bindir)
name="pg-access-$$"
t=$(mktemp -d /tmp/pg-access.XXXXXX)
chmod 755 "$t"
old_data="$t/old" old_sock="$t/old.sock"
cleanup() {
  pg_stop 2>/dev/null || true
  runuser -u coupond -- "$bindir/pg_ctl" -D "$old_data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$t" "${ROOT:?}/var/$name" "${ROOT:?}/var/$name.sock"
}
trap cleanup EXIT

# try ACCOUNT ROLE SOCKET: 0 when ACCOUNT connects to SOCKET as ROLE and runs a query.
try() {
  runuser -u "$1" -- env -i PATH=/usr/bin:/bin "$bindir/psql" -h "$3" -U "$2" -d postgres \
    -Atqc "SELECT 'in'" 2>"$t/err" | grep -qx in
}
fail() { echo "FAILED: $*"; exit 1; }

# 1. The cluster as pg_start makes it now.
pg_start "$name" 2>/dev/null
owner=$PG_USER
try nobody "$owner" "$PG_SOCK" && fail "nobody connected as $owner"
echo "nobody as $owner: refused ($(head -c 120 "$t/err" | tr '\n' ' '))"
try nobody nobody "$PG_SOCK" && fail "nobody connected as nobody"
try "$owner" "$owner" "$PG_SOCK" || fail "the owner $owner could not connect: $(cat "$t/err")"
psql -h "$PG_SOCK" -U "$owner" -d postgres -Atqc "SELECT 1" >/dev/null ||
  fail "root (the invoking user) could not connect"
echo "owner $owner and root (the invoker): admitted"
[ "$(stat -c %a "$PG_SOCK")" = 700 ] || fail "socket directory $PG_SOCK is not 0700"
[ "$(stat -c %a "$PG_SOCK/.s.PGSQL.5432")" = 700 ] || fail "socket is not 0700"
# Opened by a careless operator, the socket still admits nobody: peer authentication.
chmod 755 "$PG_SOCK"; chmod 777 "$PG_SOCK/.s.PGSQL.5432"
try nobody "$owner" "$PG_SOCK" && fail "nobody connected through an opened socket"
grep -q "Peer authentication failed" "$t/err" || fail "expected a peer authentication refusal: $(cat "$t/err")"
echo "nobody through an opened socket: refused by peer authentication"
pg_stop 2>/dev/null

# 2. The settings pg_start used before: every local account could connect as the owner.
mkdir -p "$old_data" "$old_sock"; chown coupond "$old_data" "$old_sock"; chmod 700 "$old_data"
runuser -u coupond -- "$bindir/initdb" -D "$old_data" -U coupond --auth=trust -E UTF8 \
  --locale=C.UTF-8 >/dev/null
echo "listen_addresses = ''" >>"$old_data/postgresql.conf"
runuser -u coupond -- "$bindir/pg_ctl" -D "$old_data" -l "$old_data/server.log" -w -t 60 \
  -o "-k '$old_sock' -c unix_socket_permissions=0777" start >/dev/null
chmod 755 "$old_sock"
try nobody coupond "$old_sock" || fail "the old settings did not admit nobody (the test cannot tell)"
echo "with the old settings (trust, 0777) nobody was admitted as coupond"
echo "only the owner and the invoking user reach the embedded PostgreSQL"
