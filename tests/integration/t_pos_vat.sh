#!/usr/bin/env bash
# pos_redeem_with_the_basket_per_vat_rate: `pos-client redeem --vat` against the coupond of the
# coupond_running fixture (real mutual TLS, real PostgreSQL), at a till of its own. A basket of 50.00 (30.00 at rate key
# 1, 20.00 at key 2) with 10 % off (5.00):
# 1. the line says the discount's shares by rate, 3.00 and 2.00 (in German too, 3,00 € and
#    2,00 €), and the service stored them with the redemption (redemption_vat), summing to 5.00;
#    the journal's begin line keeps the split (v=1:3000,2:2000), so a retry sends the same request;
# 2. an uneven split adds up exactly (7.77 off 77.70 as 10.00 and 67.70: 1.00 and 6.77);
#    the day closing shows the service's discounts per VAT rate;
# 3. a split that does not add up to the basket, or a bad key, is a usage error (exit 2), nothing
#    sent.
set -euo pipefail
b=${COUPOND_BUILD_DIR:?} s=${COUPOND_SOURCE_DIR:?}
listen=${COUPOND_TEST_LISTEN:-127.0.0.1:18743}
d="$s/certs/dev" url="https://$listen"
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
unset POS_TIMEOUT_MS POS_CONNECT_TIMEOUT_MS XDG_STATE_HOME POS_PRINTER POS_RECEIPT LANGUAGE LC_ALL LC_MESSAGES
# A terminal of its own: its day closing (2b) holds this test's redemptions only, not the
# thousands the other tests book on terminal-1 that day (whose closing can take longer than
# the service's statement deadline on a busy machine).
store=$(( 36000 + RANDOM % 10000 ))
name="vat-$store"
"$s/certs/coupond-pki" terminal "$d" "$name" --store "$store" --out "$t" >/dev/null
export POS_URL=$url POS_CA=$d/ca.pem POS_CERT=$t/$name.pem POS_KEY=$t/$name.key
export POS_STATE=$t/state TZ=UTC LANG=C.UTF-8
pos="$b/pos-client"
locale -a | grep -qix 'de_DE.utf8' || { echo "FAIL: the locale de_DE.UTF-8 is not generated (scripts/lib.sh ensure_locales)"; exit 1; }

fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }
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
id_of() { grep -o '"id":[0-9]*' | head -n 1 | cut -d: -f2; }
shares() {
  psql "$COUPOND_DB" -At -v r="$1" <<<"SELECT string_agg(key || ':' || value, ',' ORDER BY key)
    FROM redemption_vat, jsonb_each_text(discount_by_vat) WHERE redemption_id = :'r'"
}

cid=$(marketer POST /v1/campaigns '{"name":"t_pos_vat","channel":"mailing","cost_cents":100,
  "starts_at":"2026-01-01T00:00:00Z","ends_at":"2099-12-31T23:59:59Z",
  "offer":{"kind":"percent","value":10,"min_basket_cents":0}}' | id_of)
issued=$(marketer POST "/v1/campaigns/$cid/coupons" '{"count":4}')
c1=$(field code 1 <<<"$issued") c2=$(field code 2 <<<"$issued") c3=$(field code 3 <<<"$issued")
c4=$(field code 4 <<<"$issued")
[ -n "$c4" ] || fail "no coupons issued"
"$pos" keys >/dev/null

echo "== 1. 50.00 as 30.00 at key 1 and 20.00 at key 2, 10 % off"
run 0 "$pos" redeem "$c1" --basket 50.00 --vat 1=30.00,2=20.00
has "$t/out" "^REDEEMED: 5\.00 EUR off, pay 45\.00 EUR \(redemption [0-9]+\); discount by VAT rate: 1: 3\.00 EUR, 2: 2\.00 EUR$"
rid=$(grep -o 'redemption [0-9]*' "$t/out" | cut -d' ' -f2)
[ "$(shares "$rid")" = "1:300,2:200" ] || fail "the service stored '$(shares "$rid")', not 1:300,2:200"
grep -qP "^begin\t[^\t]+\t[^\t]+\tredeem\t$c1\t5000\t-\tv=1:3000,2:2000\t" "$POS_STATE/journal.log" ||
  fail "the journal's begin line does not keep the split"
run 0 env LANG=de_DE.UTF-8 "$pos" redeem "$c2" --basket 50,00 --vat 1=30,00,2=20,00
has "$t/out" "^EINGELÖST: 5,00 € Rabatt, zu zahlen 45,00 € \(Einlösung [0-9]+\); Rabatt je USt-Satz: 1: 3,00 €, 2: 2,00 €$"

echo "== 2. an uneven split adds up exactly"
run 0 "$pos" redeem "$c3" --basket 77.70 --vat 1=10.00,2=67.70
has "$t/out" "^REDEEMED: 7\.77 EUR off, pay 69\.93 EUR \(redemption [0-9]+\); discount by VAT rate: 1: 1\.00 EUR, 2: 6\.77 EUR$"

echo "== 2b. the day closing shows the service's discounts per VAT rate"
rc=0
# Today by the clock of a till in the retailer's zone: with the till at UTC, between 23:00 and
# 24:00 UTC (22:00 in summer) its "today" is the day before the store's, whose closing holds
# none of these redemptions.
TZ=Europe/Berlin "$pos" closing >"$t/closing" 2>&1 || rc=$?
cat "$t/closing"
[ "$rc" -le 1 ] || fail "pos-client closing exited $rc"
has "$t/closing" "^DISCOUNT BY VAT RATE \(service\): redemptions 1: [0-9]+\.[0-9]{2} EUR, 2: [0-9]+\.[0-9]{2} EUR(, [0-9]+: [0-9]+\.[0-9]{2} EUR)*; voids "

echo "== 3. usage errors: nothing sent"
run 2 "$pos" redeem "$c4" --basket 50.00 --vat 1=30.00,2=19.99
has "$t/err" "adding up to the basket"
run 2 "$pos" redeem "$c4" --basket 50.00 --vat 0=50.00
run 2 "$pos" redeem "$c4" --basket 50.00 --vat 1=50.00,
run 2 "$pos" redeem "$c4" --basket 50.00 --vat x
run 0 "$pos" check "$c4" --basket 1.00
has "$t/out" "^VALID: "
echo "vat: the basket per rate sent, the discount's shares said and stored, kept in the journal"
