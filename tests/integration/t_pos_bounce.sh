#!/usr/bin/env bash
# pos_receipt_with_bounce_back_and_receipt_code: a purchase at the till against the coupond of the
# coupond_running fixture (real mutual TLS, real PostgreSQL) that meets a 'receipt' campaign's
# trigger, made without a bonus card:
# 1. `redeem --printer FILE --receipt -` prints a receipt with the new coupon for the next
#    purchase (its QR payload, which `pos-client check` finds valid for that campaign, and its
#    code) and a receipt code (RC...), both as QR codes in the ESC/POS bytes;
# 2. the same txn sent again (a reprint) gets the same coupon, and the campaign counts one piece;
# 3. the receipt code credits a card once: the second card and the same card again are refused;
# 4. in German the receipt says "Ihr Coupon für den nächsten Einkauf".
set -euo pipefail
b=${COUPOND_BUILD_DIR:?} s=${COUPOND_SOURCE_DIR:?}
listen=${COUPOND_TEST_LISTEN:-127.0.0.1:18743}
d="$s/certs/dev" url="https://$listen"
t=$(mktemp -d)
bid=""
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
  # The trigger would otherwise meet other tests' baskets.
  [ -z "$bid" ] || marketer POST "/v1/campaigns/$bid/end" '{}' >/dev/null 2>&1 || true
  rm -rf "$t"
}
trap cleanup EXIT
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
id_of() { grep -o '"id":[0-9]*' | head -n 1 | cut -d: -f2; }
# The QR payloads of a receipt's text, in order.
qr_lines() { sed -n 's/^QR: //p' "$1"; }

# A trigger of this run's own (the highest minimum met wins; other runs' campaigns are ended).
min=$((7000 + $$ % 1000))
basket=$(printf '%d.%02d' $((min / 100)) $((min % 100)))
bid=$(marketer POST /v1/campaigns "{\"name\":\"t_pos_bounce next\",\"channel\":\"receipt\",
  \"cost_cents\":100,\"starts_at\":\"2026-01-01T00:00:00Z\",\"ends_at\":\"2099-12-31T23:59:59Z\",
  \"offer\":{\"kind\":\"amount\",\"value\":500,\"min_basket_cents\":0},
  \"trigger\":{\"min_basket_cents\":$min,\"card_required\":false}}" | id_of)
cid=$(marketer POST /v1/campaigns '{"name":"t_pos_bounce","channel":"mailing","cost_cents":100,
  "starts_at":"2026-01-01T00:00:00Z","ends_at":"2099-12-31T23:59:59Z",
  "offer":{"kind":"amount","value":250,"min_basket_cents":0}}' | id_of)
issued=$(marketer POST "/v1/campaigns/$cid/coupons" '{"count":2}')
c1=$(field code 1 <<<"$issued") c2=$(field code 2 <<<"$issued")
[ -n "$bid" ] && [ -n "$c2" ] || fail "no campaigns or coupons"
"$pos" keys >/dev/null

echo "== 1. the receipt of a purchase that meets the trigger, without a card"
txn=T$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
run 0 "$pos" --printer "$t/p1.bin" --receipt - redeem "$c1" --basket "$basket" --txn "$txn"
cp "$t/out" "$t/r1.txt"
has "$t/r1.txt" "^REDEEMED: 2\.50 EUR off"
has "$t/r1.txt" "^ +Your coupon for your next purchase$"
has "$t/r1.txt" "^ *Collect the points of this purchase later$"
mapfile -t qr < <(qr_lines "$t/r1.txt")
[ "${#qr[@]}" = 2 ] || fail "the receipt has ${#qr[@]} QR codes, not 2 (the next coupon, the receipt code)"
next=${qr[0]} rc=${qr[1]}
[ "${rc:0:2}" = RC ] || fail "the second QR code is not a receipt code: $rc"
for p in "$next" "$rc"; do
  grep -qaF -- "$p" "$t/p1.bin" || fail "the printer bytes do not hold the QR payload $p"
done
LC_ALL=C grep -qaP '\x1d\(k\x04\x00\x31\x41\x32\x00' "$t/p1.bin" || fail "no QR model 2 command (GS ( k 4 0 49 65 50 0)"
LC_ALL=C grep -qaP '\x1d\(k\x03\x00\x31\x45\x31' "$t/p1.bin" || fail "no QR error level M command (GS ( k 3 0 49 69 49)"
run 0 "$pos" check "$next" --basket 10.00
has "$t/out" "^VALID: 5\.00 EUR off \(campaign $bid\)"
next_code=$(grep -A1 "^QR: $next" "$t/r1.txt" | sed -n '2p' | tr -d ' ')
[ -n "$next_code" ] || fail "the receipt does not print the new coupon's code under its QR code"

echo "== 2. a reprint (the same txn) gets the same coupon; one piece counted"
run 0 "$pos" --receipt - redeem "$c1" --basket "$basket" --txn "$txn"
[ "$(qr_lines "$t/out" | head -n 1)" = "$next" ] || fail "the reprint has another coupon"
marketer GET "/v1/campaigns/$bid/report" | grep -q '"pieces":1[,}]' || fail "the campaign does not count one piece"

echo "== 3. the receipt code credits one card once"
card1=$(marketer POST /v1/cards '{}' | field card)
card2=$(marketer POST /v1/cards '{}' | field card)
run 0 "$pos" card credit "$card1" "$rc"
has "$t/out" "^CREDITED: [0-9]+ points for the purchase of [0-9.]+ EUR of .* on bonus card $card1"
run 1 "$pos" card credit "$card2" "$rc"
has "$t/out" "^REFUSED: "
run 1 "$pos" card credit "$card1" "$rc"
has "$t/out" "^REFUSED: "

echo "== 4. in German"
run 0 env LANG=de_DE.UTF-8 "$pos" --receipt - redeem "$c2" --basket "${basket/./,}"
has "$t/out" "^EINGELÖST: 2,50 € Rabatt"
has "$t/out" "^ +Ihr Coupon für den nächsten Einkauf$"
echo "bounce-back: printed with its QR code (valid for its campaign), the same on a reprint; the receipt code credited once"
