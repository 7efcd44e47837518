#!/usr/bin/env bash
# till_mode_in_german_in_a_real_terminal: pos-client's till mode inside tmux with the locale
# de_DE.UTF-8, typed as a German cashier would (German words: summe, zahlen, hilfe, ende), with
# the receipt's text on the screen (--receipt -) and on a printer file (--printer), against the
# coupond of the coupond_running fixture. The screen shows the card's points, the coupon checked,
# "EINKAUF: Summe 64,90 €, ...", at "zahlen" "EINGELÖST: 5,00 € Rabatt (Einlösung N)", the points
# earned, "SUMME 64,90 €, Rabatte 5,00 €, zu zahlen 59,90 €", the receipt block in German, and
# "--- nächster Kunde ---"; a typo is "KEIN CODE: Der Code enthält einen Tippfehler ..."
# (libcoupon's German sentence, not its English one); the printer file holds the receipt in
# ESC/POS. The English till mode is tested as it was (t_pos_tmux.sh).
set -euo pipefail
b=${COUPOND_BUILD_DIR:?} s=${COUPOND_SOURCE_DIR:?}
listen=${COUPOND_TEST_LISTEN:-127.0.0.1:18743}
d="$s/certs/dev" url="https://$listen"
command -v tmux >/dev/null || { echo "tmux is not installed"; exit 1; }
locale -a | grep -qix 'de_DE.utf8' || { echo "FAIL: the locale de_DE.UTF-8 is not generated (scripts/lib.sh ensure_locales)"; exit 1; }
t=$(mktemp -d)
sess="coupond-till-de-$$"
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
  tmux kill-session -t "$sess" 2>/dev/null || true
  rm -rf "$t"
}
trap cleanup EXIT
screen() { tmux capture-pane -p -J -S -300 -t "$sess"; }
fail() { printf 'FAIL: %s\n--- screen ---\n' "$*" >&2; screen >&2 || true; exit 1; }
marketer() {
  curl -sS --fail-with-body --cacert "$d/ca.pem" --cert "$d/marketer.pem" --key "$d/marketer.key" \
    -H 'Content-Type: application/json' -X "$1" "$url$2" ${3:+-d "$3"}
}
field() { grep -o "\"$1\":\"[^\"]*\"" | head -n1 | cut -d'"' -f4; }
wait_for() {
  for _ in $(seq 1 100); do
    screen | grep -Eq -- "$1" && return 0
    sleep 0.1
  done
  fail "the screen never showed /$1/"
}
type_line() { tmux send-keys -t "$sess" -l "$1"; tmux send-keys -t "$sess" Enter; }

card=$(marketer POST /v1/cards '{}' | field card)
cid=$(marketer POST /v1/campaigns '{"name":"Kasse deutsch","channel":"mailing","cost_cents":1000,"starts_at":"2020-01-01T00:00:00Z","ends_at":"2099-12-31T00:00:00Z","offer":{"kind":"amount","value":500,"min_basket_cents":0}}' |
  grep -o '"id":[0-9]*' | head -n1 | cut -d: -f2)
signed=$(marketer POST "/v1/campaigns/$cid/coupons" '{"count":1}' | field signed)
[ -n "$card" ] && [ -n "$signed" ] || fail "no card or coupon"

cat >"$t/env" <<ENV
export POS_URL=$url POS_CA=$d/ca.pem POS_CERT=$d/terminal-1.pem POS_KEY=$d/terminal-1.key POS_STATE=$t/state TZ=UTC
export LANG=de_DE.UTF-8
unset LC_ALL LC_MESSAGES LANGUAGE
ENV
tmux new-session -d -s "$sess" -x 200 -y 80 \
  "bash -c '. $t/env; $b/pos-client keys >/dev/null; exec $b/pos-client --receipt - --printer $t/printer.bin till'"

wait_for '^pos-client Kassenmodus\. coupond unter .* sieht terminal terminal-1 der Filiale 1$'
wait_for '^>'
type_line "hilfe"
wait_for '^  zahlen \(oder fertig\) +Coupons einlösen, Punkte einlösen und sammeln, den Betrag zeigen$'
type_line "4000-0016-P1ND-HYCF"
wait_for '^KEIN CODE: Der Code enthält einen Tippfehler'
type_line "$card"
wait_for "^Karte $card: 0 Punkte$"
type_line "$signed"
wait_for '^Coupon [0-9A-Z]{4}-[0-9A-Z-]{14}: GÜLTIG: 5,00 € Rabatt, gültig bis 30\.12\.2099 \(Aktion [0-9]+\)$'
type_line "summe 64,90"
wait_for '^EINKAUF: Summe 64,90 €, 1 Coupon, bisher 5,00 € Rabatt, zu zahlen etwa 59,90 €$'
type_line "zahlen"
wait_for '^SUMME 64,90 €, Rabatte 5,00 €, zu zahlen 59,90 €$'
wait_for '^--- nächster Kunde ---$'
shot=$(screen)
printf '%s\n' "$shot"
grep -Eq '^Coupon [0-9A-Z]{4}-[0-9A-Z-]{14}: EINGELÖST: 5,00 € Rabatt \(Einlösung [0-9]+\)$' <<<"$shot" || fail "no EINGELÖST line"
grep -Eq "^Karte $card: GUTGESCHRIEBEN: 59 Punkte; Stand 59 Punkte \(Kartenbuchung [0-9]+\)$" <<<"$shot" || fail "no GUTGESCHRIEBEN line"
grep -Eq '^ +Coupons und Bonuspunkte$' <<<"$shot" || fail "no receipt block"
grep -Eq '^Coupon [0-9A-Z]{4}-[0-9A-Z-]{14} +-5,00 €$' <<<"$shot" || fail "the receipt has no coupon line"
grep -Eq '^Zu zahlen +59,90 €$' <<<"$shot" || fail "the receipt has no Zu zahlen"
grep -Eq '^Neuer Punktestand +59$' <<<"$shot" || fail "the receipt has no balance"
head -c 5 "$t/printer.bin" | od -An -tx1 | grep -q '1b 40 1b 74 13' || fail "the printer file is not ESC/POS"
LC_ALL=C grep -qa $'59,90 \xd5' "$t/printer.bin" || fail "the printout has no '59,90 €' in PC858"
type_line "ende"
for _ in $(seq 1 50); do tmux has-session -t "$sess" 2>/dev/null || break; sleep 0.1; done
! tmux has-session -t "$sess" 2>/dev/null || fail "ende did not leave the till mode"
[ "$(psql "$COUPOND_DB" -At -v id="$cid" <<<"SELECT count(*) FROM redemptions WHERE campaign_id = :'id'")" = 1 ] ||
  fail "not one redemption"
echo "till mode in German in tmux: EINGELÖST, GUTGESCHRIEBEN, SUMME in German with 5,00 € amounts, the receipt on screen and in ESC/POS"
