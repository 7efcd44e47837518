#!/usr/bin/env bash
# pos_receipts_against_live_coupond: pos-client's receipt block for the single commands, against
# the coupond the coupond_running fixture started (real mutual TLS, real PostgreSQL).
# 1. `redeem` with --printer FILE and --receipt -: the line, then the receipt's text on standard
#    output, and the ESC/POS bytes appended to the file (ESC @, code page PC858, the coupon, the
#    cut at the end); a second redemption appends a second receipt.
# 2. The same in German (LANG=de_DE.UTF-8): "EINGELÖST: 2,50 € Rabatt, zu zahlen 22,50 €", the
#    receipt's text in German, "22,50 €" on paper in PC858 (0xd5 for the euro sign).
# 3. A printer that fails (/dev/full, a directory that is no printer) never stops the sale: exit
#    0, the REDEEMED line, one PRINTER line on standard error that says the sale is booked, and
#    the redemption is in the database.
# 4. `card earn` prints the card, the points earned and the new balance.
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
redemptions_of() { psql "$COUPOND_DB" -At -v c="$1" <<<"SELECT count(*) FROM redemptions WHERE campaign_id = :'c'"; }

campaign=$(marketer POST /v1/campaigns '{"name":"t_pos_receipt","channel":"mailing","cost_cents":100,
  "starts_at":"2026-01-01T00:00:00Z","ends_at":"2099-12-31T23:59:59Z",
  "offer":{"kind":"amount","value":250,"min_basket_cents":0}}')
cid=$(grep -o '"id":[0-9]*' <<<"$campaign" | head -n 1 | cut -d: -f2)
issued=$(marketer POST "/v1/campaigns/$cid/coupons" '{"count":5}')
c1=$(field code 1 <<<"$issued") c2=$(field code 2 <<<"$issued") c5=$(field code 5 <<<"$issued")
s1=$(field signed 1 <<<"$issued") s3=$(field signed 3 <<<"$issued") s4=$(field signed 4 <<<"$issued")
card=$(marketer POST /v1/cards '{}' | field card)
[ -n "$card" ] && [ -n "$c5" ] && [ -n "$s4" ] || fail "no coupons or card: $issued"
"$pos" keys >/dev/null

echo "== 1. redeem with a printer file and the receipt's text on standard output"
printer="$t/printer.bin"
run 0 "$pos" --printer "$printer" --receipt - redeem "$s1" --basket 25.00
has "$t/out" "^REDEEMED: 2\.50 EUR off, pay 22\.50 EUR \(redemption [0-9]+\)$"
has "$t/out" "^Coupon $c1 +-2\.50 EUR$"
has "$t/out" "^To pay +22\.50 EUR$"
[ ! -s "$t/err" ] || fail "something on standard error"
head -c 5 "$printer" | od -An -tx1 | grep -q '1b 40 1b 74 13' || fail "the printout does not start with ESC @ ESC t 19"
tail -c 4 "$printer" | od -An -tx1 | grep -q '1d 56 42 00' || fail "the printout does not end with the cut"
grep -qa "Coupon $c1" "$printer" || fail "the printout does not name the coupon"
size1=$(stat -c %s "$printer")
run 0 "$pos" --printer "$printer" redeem "$c2" --basket 10
has "$t/out" "^REDEEMED: 2\.50 EUR off, pay 7\.50 EUR"
[ "$(stat -c %s "$printer")" -gt "$size1" ] || fail "the second receipt was not appended"
[ "$(head -c "$size1" "$printer" | grep -ac "Coupon $c1")" -ge 1 ] || fail "the first receipt is gone"

echo "== 2. in German"
run 0 env LANG=de_DE.UTF-8 "$pos" --printer "$t/de.bin" --receipt - redeem "$s3" --basket 25,00
has "$t/out" "^EINGELÖST: 2,50 € Rabatt, zu zahlen 22,50 € \(Einlösung [0-9]+\)$"
has "$t/out" "^ +Coupons und Bonuspunkte$"
has "$t/out" "^Zu zahlen +22,50 €$"
LC_ALL=C grep -qa $'22,50 \xd5' "$t/de.bin" || fail "the German printout has no '22,50 €' in PC858"
run 1 env LANG=de_DE.UTF-8 "$pos" redeem 4000-0016-P1ND-HYCF --basket 12
has "$t/out" '^ABGELEHNT: '

echo "== 3. a printer that fails does not stop the sale"
before=$(redemptions_of "$cid")
run 0 "$pos" --printer /dev/full redeem "$s4" --basket 12.00
has "$t/out" "^REDEEMED: 2\.50 EUR off, pay 9\.50 EUR"
has "$t/err" "^PRINTER: the receipt was not printed: the printer /dev/full failed after 0 of [0-9]+ bytes \(No space left on device\)\. The sale is booked all the same"
[ "$(redemptions_of "$cid")" = $((before + 1)) ] || fail "the redemption was not booked"
run 0 env LANG=de_DE.UTF-8 "$pos" --printer "$t" redeem "$c5" --basket 12
has "$t/out" "^EINGELÖST: 2,50 € Rabatt"
has "$t/err" "^DRUCKER: der Bon wurde nicht gedruckt: der Drucker $t lässt sich nicht öffnen .* Der Verkauf ist trotzdem gebucht"
[ "$(redemptions_of "$cid")" = $((before + 2)) ] || fail "the German redemption was not booked"

echo "== 4. card earn prints the card, the points and the balance"
run 0 "$pos" --receipt "$t/receipt.txt" --printer "$t/earn.bin" card earn "$card" --basket 12.34
has "$t/out" "^EARNED: 12 points on bonus card $card; balance 12 points"
has "$t/receipt.txt" "^Bonus card $card$"
has "$t/receipt.txt" "^Points earned +12$"
has "$t/receipt.txt" "^New balance \(points\) +12$"
grep -qa "Bonus card $card" "$t/earn.bin" || fail "the earn's printout does not name the card"
echo "receipts: text and ESC/POS for redeem and card earn, in English and German; failing printers said in one line, the sales booked"
