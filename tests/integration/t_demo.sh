#!/usr/bin/env bash
# demo_loads_five_codes_a_till_can_redeem: `coupond demo` on a freshly migrated database (one of
# this test's own, beside the fixture's) creates the demo campaign, prints five short codes and
# exits 0; a second run loads nothing and says so; a coupond serving that database redeems the
# first code for the till as scripts/run suggests it (`pos-client redeem CODE --basket 25.00`:
# 10 % off), and the same code again is refused as already redeemed.
set -euo pipefail
b=${COUPOND_BUILD_DIR:?} s=${COUPOND_SOURCE_DIR:?}
: "${COUPOND_DB:?}"
d="$s/certs/dev"
t=$(mktemp -d)
db="coupond_demo_$$"
# shellcheck source=tests/integration/own_db.sh
. "$s/tests/integration/own_db.sh"
pid=''
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
  if [ -n "$pid" ]; then kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  own_db_drop "$db"
  "$s/tests/integration/keep_log.sh" "$t/coupond.log" t_demo
  rm -rf "$t"
}
trap cleanup EXIT
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }

demo_db=$(own_db_create "$db") || fail "cannot create or migrate database $db"

echo "== coupond demo on a fresh database"
rc=0
out=$("$b/coupond" demo --db "$demo_db" --keys "$s/var/keys" 2>&1) || rc=$?
printf '%s\n(exit %s)\n' "$out" "$rc"
[ "$rc" -eq 0 ] || fail "coupond demo exited $rc"
grep -Eq '^demo: campaign [0-9]+ with 5 coupons \(10% off from 20\.00 EUR\):$' <<<"$out" ||
  fail "no campaign line"
mapfile -t codes < <(grep -Eo '^  [0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$' <<<"$out" | tr -d ' ')
[ "${#codes[@]}" -eq 5 ] || fail "${#codes[@]} codes printed, not 5"
[ "$(printf '%s\n' "${codes[@]}" | sort -u | wc -l)" -eq 5 ] || fail "the five codes are not distinct"

echo "== a second run loads nothing"
out=$("$b/coupond" demo --db "$demo_db" --keys "$s/var/keys" 2>&1) || fail "second demo run: $out"
grep -q '^demo: campaigns exist already; nothing loaded$' <<<"$out" || fail "second run said: $out"
[ "$(psql "$demo_db" -XAtc 'SELECT count(*) FROM coupons')" -eq 5 ] || fail "not 5 coupons"

echo "== the till redeems a demo code as scripts/run suggests"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
listen="127.0.0.1:$port"
"$b/coupond" serve --listen "$listen" --db "$demo_db" --cert "$d/server.pem" --key "$d/server.key" \
  --ca "$d/ca.pem" --crl "$d/crl.pem" --keys "$s/var/keys" --sql "$s/sql" --threads 2 \
  --handshake-deadline 30 >"$t/coupond.log" 2>&1 &
pid=$!
for _ in $(seq 1 150); do
  curl -sf --cacert "$d/ca.pem" "https://$listen/healthz" >/dev/null 2>&1 && break
  kill -0 "$pid" 2>/dev/null || { cat "$t/coupond.log" >&2; fail "coupond did not start"; }
  sleep 0.1
done
export POS_URL="https://$listen" POS_CA="$d/ca.pem" POS_CERT="$d/terminal-1.pem"
export POS_KEY="$d/terminal-1.key" POS_STATE="$t/state"
rc=0
out=$("$b/pos-client" redeem "${codes[0]}" --basket 25.00 2>&1) || rc=$?
printf '$ pos-client redeem %s --basket 25.00\n%s\n(exit %s)\n' "${codes[0]}" "$out" "$rc"
[ "$rc" -eq 0 ] || fail "the demo code was not redeemed"
grep -Eq '^REDEEMED: 2\.50 EUR off, pay 22\.50 EUR \(redemption [0-9]+\)$' <<<"$out" ||
  fail "unexpected answer"
rc=0
out=$("$b/pos-client" redeem "${codes[0]}" --basket 25.00 2>&1) || rc=$?
[ "$rc" -eq 1 ] && grep -q 'already' <<<"$out" || fail "a second redemption said ($rc): $out"
echo "ok: demo_loads_five_codes_a_till_can_redeem"
