#!/usr/bin/env bash
# The till when the network fails (issue 16), against a coupond of its own that the test stops
# and starts again (real mutual TLS, real PostgreSQL):
#  - partition_500_offline_synced_once: coupond stopped; at one till in the till mode (on a
#    pipe), 500 signed coupons are accepted offline within its limits (offline_max_count 500);
#    the 501st is refused over the count limit and one whose discount is above the amount
#    limit over that one, each with a sentence; coupond started: the till mode sends all 500
#    by itself within 10 s; the report shows 500; pos-client sync three more times: still 500,
#    each on its offline time;
#  - one_code_offline_at_two_tills_one_redemption_one_conflict: one signed coupon accepted
#    offline at terminal-1 and at terminal-2; after both sync, the service holds one
#    redemption and lists one offline conflict (both stores, both txn ids, the discount given),
#    the report counts 1 redemption and 1 conflict, and syncing again changes nothing;
#  - damaged_journal_is_refused_for_sync: an entry deleted from, or altered in, a journal
#    with offline entries: sync refuses with a sentence, sends nothing, and leaves the file
#    as it was;
#  - sigkill_between_fsync_and_answer: pos-client killed (SIGKILL, by strace at the flush of
#    journal.head, right after the offline line's fsync and before the cashier's line): the
#    entry is there, the same coupon is not accepted offline twice, and sync books it once;
#  - offline_in_german: the same in German (LANG=de_DE.UTF-8): a scanned coupon accepted
#    offline ("OFFLINE ANGENOMMEN: 3,00 € Rabatt, ..."), a typed one refused with the reason,
#    pending, journal and sync speaking German, the service booking it once;
#  - sigkill_during_sync: 20 entries; sync killed (by strace) as it writes a finish line
#    (the service had booked that call): sync again books the rest, the calls booked but not
#    recorded are answered again, and the service holds each txn exactly once.
set -euo pipefail
# English, whatever the machine's locale: the German sentences are tested where the test says so.
export LANG=C.UTF-8
unset LC_ALL LC_MESSAGES LANGUAGE
b=${COUPOND_BUILD_DIR:?} s=${COUPOND_SOURCE_DIR:?}
: "${COUPOND_DB:?}"
d="$s/certs/dev"
for _ in $(seq 1 50); do
  port=$(( 20000 + RANDOM % 20000 ))
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || break
done
listen="127.0.0.1:$port" url="https://127.0.0.1:$port"
t=$(mktemp -d)
pid='' till_pid=''
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
  [ -z "$till_pid" ] || kill "$till_pid" 2>/dev/null || true
  [ -z "$pid" ] || { kill -TERM "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; } || true
  "$s/tests/integration/keep_log.sh" "$t/coupond.log" t_pos_offline
  rm -rf "$t"
}
trap cleanup EXIT
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }
command -v strace >/dev/null || fail "strace is not installed"

start_coupond() {
  "$b/coupond" serve --listen "$listen" --db "$COUPOND_DB" --cert "$d/server.pem" \
    --key "$d/server.key" --ca "$d/ca.pem" --crl "$d/crl.pem" --keys "$s/var/keys" \
    --sql "$s/sql" >>"$t/coupond.log" 2>&1 3>&- &
  pid=$!
  for _ in $(seq 1 100); do
    curl -sf --cacert "$d/ca.pem" "$url/healthz" >/dev/null 2>&1 && return 0
    sleep 0.05
  done
  cat "$t/coupond.log" >&2
  fail "coupond did not start"
}
stop_coupond() {
  kill -TERM "$pid"
  wait "$pid" || true
  pid=''
  ! curl -sf --cacert "$d/ca.pem" "$url/healthz" >/dev/null 2>&1 || fail "coupond still answers"
}
marketer() {
  curl -sS --fail-with-body --cacert "$d/ca.pem" --cert "$d/marketer.pem" --key "$d/marketer.key" \
    -H 'Content-Type: application/json' -X "$1" "$url$2" ${3:+-d "$3"}
}
campaign() { # OFFER_JSON -> id
  marketer POST /v1/campaigns "{\"name\":\"offline $RANDOM\",\"channel\":\"mailing\",\"cost_cents\":1000,\"starts_at\":\"2020-01-01T00:00:00Z\",\"ends_at\":\"2099-01-01T00:00:00Z\",\"offer\":$1}" |
    grep -o '"id":[0-9]*' | head -n 1 | cut -d: -f2
}
signed() { # CAMPAIGN COUNT -> the signed forms, one a line
  marketer POST "/v1/campaigns/$1/coupons" "{\"count\":$2}" | grep -o '"signed":"[^"]*"' | cut -d'"' -f4
}
q() { psql "$COUPOND_DB" -At -c "$1"; }
# till N STATE ARGS...: pos-client as terminal-N with its own state directory.
till() {
  local n=$1 state=$2
  shift 2
  POS_URL=$url POS_CA=$d/ca.pem POS_CERT=$d/terminal-$n.pem POS_KEY=$d/terminal-$n.key \
    POS_STATE=$state TZ=Europe/Berlin "$b/pos-client" "$@"
}

start_coupond

echo "== partition_500_offline_synced_once"
a=$(campaign '{"kind":"percent","value":10}')
big=$(campaign '{"kind":"amount","value":2000}')
signed "$a" 501 >"$t/a.txt"
signed "$big" 1 >"$t/big.txt"
[ "$(wc -l <"$t/a.txt")" = 501 ] || fail "501 coupons were not issued"
export POS_OFFLINE_MAX_COUNT=500
till 1 "$t/p" keys >/dev/null
stop_coupond
mkfifo "$t/in"
till 1 "$t/p" till <"$t/in" >"$t/till.out" 2>&1 &
till_pid=$!
exec 3>"$t/in"
head -n 500 "$t/a.txt" | while read -r code; do printf '%s\n25.00\npay\n' "$code" >&3; done
for _ in $(seq 1 600); do
  [ "$(grep -c 'ACCEPTED OFFLINE: 2\.50 EUR off' "$t/till.out")" -ge 500 ] && break
  sleep 0.1
done
[ "$(grep -c 'ACCEPTED OFFLINE: 2\.50 EUR off, pay 22\.50 EUR' "$t/till.out")" = 500 ] ||
  fail "not 500 coupons accepted offline: $(tail -n 5 "$t/till.out")"
printf '%s\n25.00\npay\ncancel\n' "$(tail -n 1 "$t/a.txt")" >&3
printf '%s\n30.00\npay\ncancel\n' "$(cat "$t/big.txt")" >&3
for _ in $(seq 1 100); do
  [ "$(grep -c '^CANCELLED' "$t/till.out")" -ge 2 ] && break
  sleep 0.1
done
grep -q "NOT BOOKED: .* Not accepted offline: This till has accepted 500 coupons offline already, its limit: they must reach the coupon service first\.$" "$t/till.out" ||
  fail "the 501st was not refused over the count limit"
grep -q "NOT BOOKED: .* Not accepted offline: Its discount of 20\.00 EUR is above this till's offline limit of 10\.00 EUR per coupon\.$" "$t/till.out" ||
  fail "the 20.00 EUR coupon was not refused over the amount limit"
[ "$(q "SELECT count(*) FROM redemptions WHERE campaign_id = $a")" = 0 ] || fail "booked while down?"
start_coupond
started=$(date +%s%N)
for _ in $(seq 1 200); do
  [ "$(q "SELECT count(*) FROM redemptions WHERE campaign_id = $a")" = 500 ] && break
  sleep 0.05
done
ms=$(( ($(date +%s%N) - started) / 1000000 ))
n=$(q "SELECT count(*) FROM redemptions WHERE campaign_id = $a")
[ "$n" = 500 ] || fail "$n of 500 synced"
[ "$ms" -le 10000 ] || fail "syncing 500 took $ms ms"
for _ in $(seq 1 100); do grep -q '^SYNC: ' "$t/till.out" && break; sleep 0.1; done
grep -q '^SYNC: 500 of 500 calls accepted offline reached the coupon service (500 booked, 0 booked before, 0 conflicts, 0 refused); 0 still wait\.$' "$t/till.out" ||
  fail "the till mode did not say that it sent all 500: $(grep '^SYNC' "$t/till.out")"
exec 3>&-
wait "$till_pid" || true
till_pid=''
marketer GET "/v1/campaigns/$a/report" | grep -q '"redeemed":500,' || fail "the report does not show 500"
for i in 1 2 3; do
  out=$(till 1 "$t/p" sync)
  [ "$out" = "Nothing to sync: no call accepted offline waits." ] || fail "sync $i: $out"
done
[ "$(q "SELECT count(*) FROM redemptions WHERE campaign_id = $a")" = 500 ] || fail "no longer 500"
[ "$(q "SELECT count(*) FROM redemptions WHERE campaign_id = $a AND synced_at IS NOT NULL AND created_at < synced_at")" = 500 ] ||
  fail "not all 500 are recorded on their offline time"
echo "ok: 500 accepted offline, the 501st and one over the amount limit refused; all 500 synced in $ms ms by the till mode; 3 more syncs: still 500"
unset POS_OFFLINE_MAX_COUNT

echo "== one_code_offline_at_two_tills_one_redemption_one_conflict"
c=$(campaign '{"kind":"amount","value":300}')
code=$(signed "$c" 1)
till 1 "$t/c1" keys >/dev/null
till 2 "$t/c2" keys >/dev/null
stop_coupond
out1=$(till 1 "$t/c1" redeem "$code" --basket 20.00) || fail "till 1: $out1"
out2=$(till 2 "$t/c2" redeem "$code" --basket 40.00) || fail "till 2: $out2"
grep -q '^ACCEPTED OFFLINE: 3\.00 EUR off, pay 17\.00 EUR' <<<"$out1" || fail "till 1: $out1"
grep -q '^ACCEPTED OFFLINE: 3\.00 EUR off, pay 37\.00 EUR' <<<"$out2" || fail "till 2: $out2"
txn1=$(grep -o 'txn T[0-9a-f]*' <<<"$out1" | cut -d' ' -f2)
txn2=$(grep -o 'txn T[0-9a-f]*' <<<"$out2" | cut -d' ' -f2)
start_coupond
till 1 "$t/c1" sync | grep -q '^SYNC: 1 of 1 call accepted offline reached the coupon service (1 booked,' ||
  fail "till 1's sync"
out=$(till 2 "$t/c2" sync)
grep -q "^CONFLICT: txn $txn2 (redeem .*, 3\.00 EUR given): .* the marketer sees it among the offline conflicts\.$" <<<"$out" ||
  fail "till 2's sync did not say CONFLICT: $out"
grep -q '(0 booked, 0 booked before, 1 conflict, 0 refused); 0 still wait\.$' <<<"$out" || fail "till 2: $out"
for i in 1 2; do
  till 1 "$t/c1" sync | grep -q '^Nothing to sync' || fail "till 1 synced again"
  till 2 "$t/c2" sync | grep -q '^Nothing to sync' || fail "till 2 synced again"
done
[ "$(q "SELECT count(*) FROM redemptions WHERE campaign_id = $c")" = 1 ] || fail "not one redemption"
conf=$(marketer GET "/v1/offline-conflicts?campaign=$c")
python3 - "$conf" "$txn1" "$txn2" <<'PY' || fail "the conflict list: $conf"
import json, sys
doc, t1, t2 = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3]
(k,) = doc["conflicts"]
assert k["reason"] == "already_redeemed", k
assert k["offline"]["store"] == 2 and k["offline"]["txn_id"] == t2, k
assert k["offline"]["discount_cents"] == 300 and k["offline"]["basket_cents"] == 4000, k
assert k["first"]["store"] == 1 and k["first"]["txn_id"] == t1 and k["first"]["offline"], k
assert k["first"]["discount_cents"] == 300, k
PY
report=$(marketer GET "/v1/campaigns/$c/report")
grep -q '"redeemed":1,' <<<"$report" || fail "the report: $report"
grep -q '"offline_conflicts":1' <<<"$report" || fail "the report does not count the conflict: $report"
echo "ok: one redemption, one conflict listed with both stores and txns, the report counts 1"

echo "== damaged_journal_is_refused_for_sync"
dm=$(campaign '{"kind":"percent","value":5}')
signed "$dm" 3 >"$t/dm.txt"
till 1 "$t/dm" keys >/dev/null
stop_coupond
while read -r code; do till 1 "$t/dm" redeem "$code" --basket 10.00 >/dev/null; done <"$t/dm.txt"
start_coupond
cp "$t/dm/journal.log" "$t/dm.good"
sed -i '0,/^offline\t/{/^offline\t/d}' "$t/dm/journal.log" # the first offline line deleted
sum=$(sha256sum <"$t/dm/journal.log")
rc=0; out=$(till 1 "$t/dm" sync) || rc=$?
[ "$rc" = 2 ] || fail "sync of a journal with a deleted entry exited $rc"
grep -q "^NOT SENT: this till's journal is damaged: Entry n=[0-9]* (line [0-9]* of the journal) follows entry n=[0-9]*: 1 entry before it was deleted\. Nothing was sent; its entries stay in $t/dm for IT" <<<"$out" ||
  fail "sync did not say what was deleted: $out"
[ "$(sha256sum <"$t/dm/journal.log")" = "$sum" ] || fail "the damaged journal was changed"
cp "$t/dm.good" "$t/dm/journal.log"
sed -i 's/^\(offline\t[^\t]*\t[^\t]*\t\)50\t/\15\t/' "$t/dm/journal.log" # a discount altered
rc=0; out=$(till 1 "$t/dm" sync) || rc=$?
if [ "$rc" != 2 ] || ! grep -q "does not match its SHA-256 chain: it or the entry before it was altered\." <<<"$out"; then
  fail "sync of an altered journal: exit $rc, $out"
fi
[ "$(q "SELECT count(*) FROM redemptions WHERE campaign_id = $dm")" = 0 ] || fail "a damaged journal was sent"
echo "ok: a deleted and an altered entry were found; sync refused and changed nothing"

echo "== offline_in_german"
g=$(campaign '{"kind":"amount","value":300}')
marketer POST "/v1/campaigns/$g/coupons" '{"count":2}' >"$t/g.json"
gsigned=$(grep -o '"signed":"[^"]*"' "$t/g.json" | head -n 1 | cut -d'"' -f4)
gshort=$(grep -o '"code":"[^"]*"' "$t/g.json" | tail -n 1 | cut -d'"' -f4)
de() { LANG=de_DE.UTF-8 till 1 "$t/g" "$@"; }
de keys >/dev/null
stop_coupond
out=$(de redeem "$gsigned" --basket 20,00) || fail "offline in German: $out"
grep -q '^OFFLINE ANGENOMMEN: 3,00 € Rabatt, zu zahlen 17,00 € (Vorgang T[0-9a-f]*; geht an den Coupon-Dienst, sobald er wieder antwortet)$' <<<"$out" ||
  fail "not accepted offline in German: $out"
rc=0; out=$(de redeem "$gshort" --basket 20,00 2>&1) || rc=$?
grep -q 'Offline nicht angenommen: Ein eingetippter Code lässt sich nur online einlösen' <<<"$out" ||
  fail "the typed code's refusal in German: exit $rc, $out"
de pending | grep -q '^OFFLINE: Vorgang T[0-9a-f]*: Einlösung [0-9A-Z]*-.*, Einkauf 20,00 €, offline angenommen [0-3][0-9]\.[01][0-9]\.20[0-9][0-9] ' ||
  fail "pending in German: $(de pending)"
de journal | grep -q '^Die SHA-256-Kette des Journals ist intakt: Einträge n=1 bis n=[0-9]* der Generation 1\.$' ||
  fail "journal in German: $(de journal)"
start_coupond
out=$(de sync) || fail "sync in German: $out"
grep -q '^ABGLEICH: 1 von 1 offline angenommenem Aufruf erreichte den Coupon-Dienst (1 gebucht, 0 schon vorher gebucht, 0 Konflikte, 0 abgelehnt); 0 warten noch\.$' <<<"$out" ||
  fail "sync in German: $out"
de sync | grep -q '^Nichts abzugleichen: kein offline angenommener Aufruf wartet\.$' || fail "a second sync in German"
[ "$(q "SELECT count(*) FROM redemptions WHERE campaign_id = $g")" = 1 ] || fail "not booked once"
echo "ok: offline acceptance, pending, journal and sync say it in German"

echo "== sigkill_between_fsync_and_answer"
k=$(campaign '{"kind":"percent","value":20}')
code=$(signed "$k" 1)
till 1 "$t/k" keys >/dev/null
stop_coupond
rc=0
out=$(POS_URL=$url POS_CA=$d/ca.pem POS_CERT=$d/terminal-1.pem POS_KEY=$d/terminal-1.key \
  POS_STATE=$t/k strace -f -qq -o /dev/null -e trace=fdatasync -e inject=fdatasync:signal=SIGKILL:when=1 \
  "$b/pos-client" redeem "$code" --basket 10.00 2>&1) || rc=$?
[ "$rc" = 137 ] || fail "pos-client was not killed at the flush after the offline line: exit $rc, $out"
[ -z "$out" ] || fail "the cashier saw something before the kill: $out"
till 1 "$t/k" pending | grep -q '^OFFLINE: txn T' || fail "the entry accepted before the kill is not in the journal"
rc=0; out=$(till 1 "$t/k" redeem "$code" --basket 10.00 2>&1) || rc=$?
grep -q "Not accepted offline: This coupon was accepted offline at this till already" <<<"$out" ||
  fail "the same coupon was accepted offline again after the crash: $out"
start_coupond
till 1 "$t/k" sync | grep -q '(1 booked, ' || fail "the entry was not synced"
till 1 "$t/k" sync | grep -q '^Nothing to sync' || fail "a second sync sent something"
[ "$(q "SELECT count(*) FROM redemptions WHERE campaign_id = $k")" = 1 ] || fail "not booked once"
echo "ok: killed between the fsync and the answer: kept, not accepted twice, booked once"

echo "== sigkill_during_sync"
ks=$(campaign '{"kind":"percent","value":15}')
signed "$ks" 20 >"$t/ks.txt"
till 1 "$t/ks" keys >/dev/null
stop_coupond
while read -r code; do till 1 "$t/ks" redeem "$code" --basket 10.00 >/dev/null; done <"$t/ks.txt"
start_coupond
rc=0
POS_URL=$url POS_CA=$d/ca.pem POS_CERT=$d/terminal-1.pem POS_KEY=$d/terminal-1.key \
  POS_STATE=$t/ks strace -f -qq -o /dev/null -P "$t/ks/journal.log" -e trace=write \
  -e inject=write:signal=SIGKILL:when=7 "$b/pos-client" sync >/dev/null 2>&1 || rc=$?
[ "$rc" = 137 ] || fail "the sync was not killed: exit $rc"
booked=$(q "SELECT count(*) FROM redemptions WHERE campaign_id = $ks")
recorded=$(grep -c "^finish	" "$t/ks/journal.log" || true)
unrecorded=$((booked - recorded))
# (strace counts writes per thread: a long queue is sent on lanes of their own.)
[ "$unrecorded" -ge 1 ] || fail "no call was booked without its answer recorded ($booked booked, $recorded recorded)"
out=$(till 1 "$t/ks" sync)
grep -q "^SYNC: $((20 - recorded)) of $((20 - recorded)) calls accepted offline reached the coupon service ($((20 - booked)) booked, $unrecorded booked before, 0 conflicts, 0 refused); 0 still wait\.\$" <<<"$out" ||
  fail "the second sync ($booked booked, $recorded recorded at the kill): $out"
[ "$(q "SELECT count(*) FROM redemptions WHERE campaign_id = $ks")" = 20 ] || fail "not 20 after the second sync"
[ "$(q "SELECT count(DISTINCT txn_id) FROM redemptions WHERE campaign_id = $ks")" = 20 ] || fail "a txn booked twice"
echo "ok: sync killed after the service booked $booked ($recorded recorded): the next sync booked $((20 - booked)) and was answered $unrecorded again; 20 txns, each once"
