#!/usr/bin/env bash
# pos_partial_returns_against_live_coupond: `pos-client return REDEMPTION_ID AMOUNT` against the
# coupond the coupond_running fixture started (real mutual TLS, real PostgreSQL). A basket of
# 100.00 with 10 % off (10.00 discount):
# 1. returning 33.33 says the discount's share 3.33 and the refund 30.00, and what is left of
#    the basket (66.67); the return is in the database, the coupon stays used;
# 2. in German (LANG=de_DE.UTF-8, "33,33" typed the German way) the second 33,33 gets 3,34 (the
#    shares by running totals), refund 29,99 €;
# 3. a return beyond what is left is refused (exit 1) with the service's sentence, nothing booked;
# 4. the same --txn sent twice books once (the second answer is the first one again), and the
#    three returns that add up to the basket add up to the discount exactly (10.00);
# 5. a bad amount or id is a usage error (exit 2) without a call.
set -euo pipefail
b=${COUPOND_BUILD_DIR:?} s=${COUPOND_SOURCE_DIR:?}
listen=${COUPOND_TEST_LISTEN:-127.0.0.1:18743}
d="$s/certs/dev" url="https://$listen"
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
unset POS_TIMEOUT_MS POS_CONNECT_TIMEOUT_MS XDG_STATE_HOME POS_PRINTER POS_RECEIPT LANGUAGE LC_ALL LC_MESSAGES
export POS_URL=$url POS_CA=$d/ca.pem POS_CERT=$d/terminal-1.pem POS_KEY=$d/terminal-1.key
export POS_STATE=$t/state TZ=UTC LANG=C.UTF-8
pos="$b/pos-client"
locale -a | grep -qix 'de_DE.utf8' || { echo "FAIL: the locale de_DE.UTF-8 is not generated (scripts/lib.sh ensure_locales)"; exit 1; }

fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }
# run WANT_RC CMD...: runs CMD with standard output to $t/out and standard error to $t/err,
# prints both, and fails unless it exits WANT_RC.
run() {
  local want=$1 rc=0
  shift
  "$@" >"$t/out" 2>"$t/err" || rc=$?
  printf '$ %s\n%s\n--- stderr:\n%s\n(exit %s)\n' "${*/#$b\//}" "$(cat "$t/out")" "$(cat "$t/err")" "$rc"
  [ "$rc" = "$want" ] || fail "exit $rc, wanted $want: $*"
}
has() { grep -Eq -- "$2" "$1" || fail "$1 does not match /$2/"; }
marketer() {
  curl -sS --fail-with-body --cacert "$d/ca.pem" --cert "$d/marketer.pem" --key "$d/marketer.key" \
    -H 'Content-Type: application/json' -X "$1" "$url$2" ${3:+-d "$3"}
}
field() { grep -o "\"$1\":\"[^\"]*\"" | sed -n "${2:-1}p" | cut -d'"' -f4; }
sql() { psql "$COUPOND_DB" -At -v r="$rid" <<<"$1"; }

campaign=$(marketer POST /v1/campaigns '{"name":"t_pos_return","channel":"mailing","cost_cents":100,
  "starts_at":"2026-01-01T00:00:00Z","ends_at":"2099-12-31T23:59:59Z",
  "offer":{"kind":"percent","value":10,"min_basket_cents":0}}')
cid=$(grep -o '"id":[0-9]*' <<<"$campaign" | head -n 1 | cut -d: -f2)
code=$(marketer POST "/v1/campaigns/$cid/coupons" '{"count":1}' | field code)
[ -n "$code" ] || fail "no coupon issued"
"$pos" keys >/dev/null
run 0 "$pos" redeem "$code" --basket 100.00
has "$t/out" "^REDEEMED: 10\.00 EUR off, pay 90\.00 EUR \(redemption [0-9]+\)$"
rid=$(grep -o 'redemption [0-9]*' "$t/out" | cut -d' ' -f2)

echo "== 1. a partial return: the discount's share and the refund"
run 0 "$pos" return "$rid" 33.33
has "$t/out" "^RETURNED: 33\.33 EUR of redemption $rid, of which 3\.33 EUR was discount: refund 30\.00 EUR; 66\.67 EUR of the basket left \(return [0-9]+\)$"
[ "$(sql "SELECT count(*) || ' ' || sum(returned_cents) FROM redemption_returns WHERE redemption_id = :'r'")" = "1 3333" ] ||
  fail "the return is not booked once with 3333 cents"
[ "$(sql "SELECT count(*) FROM redemption_voids WHERE redemption_id = :'r'")" = 0 ] || fail "the redemption was voided"

echo "== 2. in German"
run 0 env LANG=de_DE.UTF-8 "$pos" return "$rid" 33,33
has "$t/out" "^ZURÜCKGEGEBEN: 33,33 € aus Einlösung $rid, davon 3,34 € Rabatt: 29,99 € erstatten; vom Einkauf bleiben 33,34 € \(Rückgabe [0-9]+\)$"

echo "== 3. beyond what is left of the basket"
run 1 "$pos" return "$rid" 40.00
has "$t/out" "^REFUSED: Only 33\.34 EUR of this basket can still be returned\.$"
run 1 env LANG=de_DE.UTF-8 "$pos" return "$rid" 40
has "$t/out" "^ABGELEHNT: Von diesem Einkauf können nur noch 33,34 € zurückgegeben werden\.$"
[ "$(sql "SELECT count(*) FROM redemption_returns WHERE redemption_id = :'r'")" = 2 ] || fail "a refused return was booked"

echo "== 4. the same txn twice books once; all returns give back the whole discount"
txn=R$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
run 0 "$pos" return "$rid" 33.34 --txn "$txn"
has "$t/out" "^RETURNED: 33\.34 EUR of redemption $rid, of which 3\.33 EUR was discount: refund 30\.01 EUR; 0\.00 EUR of the basket left"
first=$(grep -o 'return [0-9]*)' "$t/out")
run 0 "$pos" return "$rid" 33.34 --txn "$txn"
has "$t/out" "^RETURNED: 33\.34 EUR of redemption $rid, of which 3\.33 EUR was discount"
[ "$(grep -o 'return [0-9]*)' "$t/out")" = "$first" ] || fail "the replay named another return"
[ "$(sql "SELECT count(*) || ' ' || sum(returned_cents) FROM redemption_returns WHERE redemption_id = :'r'")" = "3 10000" ] ||
  fail "the returns are not three adding up to the basket"
"$pos" journal >"$t/journal" 2>&1 || { cat "$t/journal"; fail "pos-client journal fails after returns"; }

echo "== 5. usage errors"
run 2 "$pos" return "$rid" 0
has "$t/err" "give the price of the goods that came back"
run 2 "$pos" return x 1.00
run 2 "$pos" return "$rid"
echo "returns: share and refund said, in English and German; beyond the basket refused; a txn booked once"
