#!/usr/bin/env bash
# till_mode_stacks_coupons_in_the_services_order: the till mode (lines on standard input) against
# the coupond of the coupond_running fixture (real mutual TLS, real PostgreSQL), with two
# stackable campaigns, 10 % and 15 %:
# 1. both scanned as QR codes (the signed form says the offer), then the total 100.00: the till
#    shows, before paying, the order the service applies them in (15 % of 100.00 = 15.00, then
#    10 % of 85.00 = 8.50) and their sum, 23.50, not 25.00; at pay both are redeemed in that
#    order with those discounts and the total says 23.50 off, 76.50 to pay;
# 2. a second coupon of the same campaign on one receipt is refused at pay with the service's
#    sentence ("Only one coupon of this campaign per purchase."), in German too ("Pro Einkauf
#    nur ein Coupon dieser Aktion."); the first is redeemed.
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

fail() { printf 'FAIL: %s\n--- till ---\n' "$*" >&2; cat "$t/out" >&2 || true; exit 1; }
has() { grep -Eq -- "$2" "$1" || fail "$1 does not match /$2/"; }
marketer() {
  curl -sS --fail-with-body --cacert "$d/ca.pem" --cert "$d/marketer.pem" --key "$d/marketer.key" \
    -H 'Content-Type: application/json' -X "$1" "$url$2" ${3:+-d "$3"}
}
field() { grep -o "\"$1\":\"[^\"]*\"" | sed -n "${2:-1}p" | cut -d'"' -f4; }
id_of() { grep -o '"id":[0-9]*' | head -n 1 | cut -d: -f2; }
campaign() { # campaign NAME PERCENT: a stackable percent campaign's id
  marketer POST /v1/campaigns "{\"name\":\"$1\",\"channel\":\"mailing\",\"cost_cents\":100,
    \"starts_at\":\"2026-01-01T00:00:00Z\",\"ends_at\":\"2099-12-31T23:59:59Z\",
    \"offer\":{\"kind\":\"percent\",\"value\":$2,\"min_basket_cents\":0}}" | id_of
}
c10=$(campaign t_pos_stack_10 10) c15=$(campaign t_pos_stack_15 15)
tens=$(marketer POST "/v1/campaigns/$c10/coupons" '{"count":1}')
ten=$(field code <<<"$tens") ten_qr=$(field signed <<<"$tens")
fifteen=$(marketer POST "/v1/campaigns/$c15/coupons" '{"count":5}')
f1=$(field code 1 <<<"$fifteen") f2=$(field code 2 <<<"$fifteen") f3=$(field code 3 <<<"$fifteen")
f4=$(field code 4 <<<"$fifteen") f5=$(field code 5 <<<"$fifteen") f1_qr=$(field signed 1 <<<"$fifteen")
[ -n "$ten_qr" ] && [ -n "$f1_qr" ] && [ -n "$f5" ] || fail "no coupons issued"
"$pos" keys >/dev/null

echo "== 1. 10 % and 15 % on 100.00: the order and the sum before paying, then at pay"
printf '%s\n' "$ten_qr" "$f1_qr" 100.00 pay quit | "$pos" till >"$t/out" 2>&1 || fail "the till mode failed"
cat "$t/out"
has "$t/out" "^ORDER: the coupon service applies the coupons in this order"
has "$t/out" "^  1\. coupon $f1: 15% of 100\.00 EUR: 15\.00 EUR off$"
has "$t/out" "^  2\. coupon $ten: 10% of 85\.00 EUR: 8\.50 EUR off$"
has "$t/out" "^  together 23\.50 EUR off$"
has "$t/out" "^Coupon $f1: REDEEMED: 15\.00 EUR off \(redemption [0-9]+\)"
has "$t/out" "^Coupon $ten: REDEEMED: 8\.50 EUR off \(redemption [0-9]+\)"
[ "$(grep -n "^Coupon $f1: REDEEMED" "$t/out" | cut -d: -f1)" -lt "$(grep -n "^Coupon $ten: REDEEMED" "$t/out" | cut -d: -f1)" ] ||
  fail "the 15 % coupon was not redeemed first"
has "$t/out" "^TOTAL 100\.00 EUR, discounts 23\.50 EUR, to pay 76\.50 EUR$"
# The order is said before pay.
[ "$(grep -n '^  together' "$t/out" | head -n 1 | cut -d: -f1)" -lt "$(grep -n '^TOTAL' "$t/out" | cut -d: -f1)" ] ||
  fail "the order came after the payment"

echo "== 2. two coupons of one campaign on one receipt"
printf '%s\n' 50.00 "$f2" "$f3" pay quit | "$pos" till >"$t/out" 2>&1 || fail "the till mode failed"
cat "$t/out"
has "$t/out" "^Coupon ($f2|$f3): REDEEMED: 7\.50 EUR off"
has "$t/out" "^Coupon ($f2|$f3): .*Only one coupon of this campaign per purchase\."
has "$t/out" "^TOTAL 50\.00 EUR, discounts 7\.50 EUR, to pay 42\.50 EUR$"
printf '%s\n' 50,00 "$f4" "$f5" zahlen ende | LANG=de_DE.UTF-8 "$pos" till >"$t/out" 2>&1 || fail "the German till mode failed"
cat "$t/out"
has "$t/out" "^Coupon ($f4|$f5): EINGELÖST: 7,50 € Rabatt"
has "$t/out" "^Coupon ($f4|$f5): .*Pro Einkauf nur ein Coupon dieser Aktion\."
echo "stacks: the order and the sum shown before paying (23.50 on 100.00), a second coupon of one campaign refused"
