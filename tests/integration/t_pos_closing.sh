#!/usr/bin/env bash
# closing_matches_the_journal_across_midnight_and_daylight_saving: a till of a store of its own
# (a terminal certificate issued for this test) books a fixture of 1,000 transactions offline
# with its clock set (faketime) around local midnight of 2026-03-28 (CET), across the change to
# daylight-saving time in the night to 2026-03-29 (02:00 CET is 03:00 CEST) and around local
# midnight of 2026-03-29 (CEST): 700 coupon redemptions of three campaigns and 300 card earns.
# They are sent (pos-client sync, with offline_max_age raised for the fixture's old times), and
# 37 of the redemptions are voided. For 2026-03-28, 2026-03-29 (a day of 23 hours), 2026-03-30
# and today, pos-client closing finds the service's closing equal to the till's journal (exit
# 0, "No differences"), 0 cents and 0 counts apart; the service's day figures match what the
# fixture's own schedule says each local day holds; and a redemption the journal does not know
# (booked by curl under the till's certificate) is found as a difference (exit 1). The closing and
# the difference are said in German too (LANG=de_DE.UTF-8).
set -euo pipefail
# English, whatever the machine's locale: the German sentences are tested where the test says so.
export LANG=C.UTF-8
unset LC_ALL LC_MESSAGES LANGUAGE
b=${COUPOND_BUILD_DIR:?} s=${COUPOND_SOURCE_DIR:?}
: "${COUPOND_DB:?}"
listen=${COUPOND_TEST_LISTEN:-127.0.0.1:18743}
d="$s/certs/dev" url="https://$listen"
command -v faketime >/dev/null || { echo "faketime is not installed"; exit 1; }
t=$(mktemp -d)
old_age=$(psql "$COUPOND_DB" -At -c 'SELECT offline_max_age FROM settings')
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
  psql "$COUPOND_DB" -q -v age="$old_age" <<<"UPDATE settings SET offline_max_age = :'age'" || true
  rm -rf "$t"
}
trap cleanup EXIT
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }
q() { psql "$COUPOND_DB" -At -c "$1"; }
marketer() {
  curl -sS --fail-with-body --cacert "$d/ca.pem" --cert "$d/marketer.pem" --key "$d/marketer.key" \
    -H 'Content-Type: application/json' -X "$1" "$url$2" ${3:+-d "$3"}
}

# A terminal of its own: nobody else books under its name and store.
store=$(( 16000 + RANDOM % 10000 ))
name="closing-$store"
"$s/certs/coupond-pki" terminal "$d" "$name" --store "$store" --out "$t" >/dev/null
export POS_URL=$url POS_CA=$d/ca.pem POS_CERT=$t/$name.pem POS_KEY=$t/$name.key POS_STATE=$t/state
export POS_OFFLINE_MAX_COUNT=1000 POS_OFFLINE_MAX_HOURS=8760 TZ=Europe/Berlin
"$b/pos-client" status | grep -q "sees terminal $name of store $store" || fail "the new terminal"
"$b/pos-client" keys >/dev/null

campaign() {
  marketer POST /v1/campaigns "{\"name\":\"closing $1\",\"channel\":\"mailing\",\"cost_cents\":0,\"starts_at\":\"2020-01-01T00:00:00Z\",\"ends_at\":\"2099-01-01T00:00:00Z\",\"offer\":$2}" |
    grep -o '"id":[0-9]*' | head -n 1 | cut -d: -f2
}
c1=$(campaign a '{"kind":"percent","value":10}')
c2=$(campaign b '{"kind":"amount","value":300}')
c3=$(campaign c '{"kind":"percent","value":15}')
for c in "$c1" "$c2" "$c3"; do
  marketer POST "/v1/campaigns/$c/coupons" '{"count":234}' | grep -o '"signed":"[^"]*"' | cut -d'"' -f4
done | head -n 700 >"$t/coupons"
[ "$(wc -l <"$t/coupons")" = 700 ] || fail "700 coupons were not issued"
for _ in 1 2 3; do marketer POST /v1/cards '{}' | grep -o '"card":"[^"]*"' | cut -d'"' -f4; done >"$t/cards"

# The schedule: 1,000 (unix time, what, code, basket) lines, in three windows (UTC):
# 22:50-23:10 on 03-28 (23:50-00:10 CET), 00:50-01:30 on 03-29 (01:50 CET to 03:30 CEST),
# 21:50-22:10 on 03-29 (23:50-00:10 CEST).
python3 - "$t" <<'PY'
import datetime as dt, sys
t = sys.argv[1]
coupons = open(f"{t}/coupons").read().split()
cards = open(f"{t}/cards").read().split()
utc = dt.timezone.utc
windows = [(dt.datetime(2026, 3, 28, 22, 50, tzinfo=utc), 4, 300),
           (dt.datetime(2026, 3, 29, 0, 50, tzinfo=utc), 8, 300),
           (dt.datetime(2026, 3, 29, 21, 50, tzinfo=utc), 3, 400)]
lines, i, k = [], 0, 0
for start, step, n in windows:
    for j in range(n):
        at = int((start + dt.timedelta(seconds=step * j)).timestamp())
        basket = 1000 + (i * 37) % 5000
        if i % 10 < 7:
            lines.append(f"{at} redeem {coupons[k]} {basket}")
            k += 1
        else:
            lines.append(f"{at} earn {cards[i % 3]} {basket}")
        i += 1
assert k == 700 and i == 1000
open(f"{t}/schedule", "w").write("\n".join(lines) + "\n")
PY
# The till last reached the service before the fixture's first time (its clock goes back to March).
touch -d '2026-03-28 12:00:00 UTC' "$t/state/contact"
n=0
while read -r at what code basket; do
  euros=$(printf '%d.%02d' $((basket / 100)) $((basket % 100)))
  if [ "$what" = redeem ]; then
    args=(redeem "$code" --basket "$euros")
  else
    args=(card earn "$code" --basket "$euros")
  fi
  # (faketime preloads itself before the sanitizers' runtime in the ASan build.)
  out=$(POS_URL=https://127.0.0.1:9 TZ=UTC ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
    faketime -f "@$(date -u -d "@$at" '+%Y-%m-%d %H:%M:%S')" \
    "$b/pos-client" "${args[@]}" 2>&1) || fail "offline at $at: $out"
  grep -q '^ACCEPTED OFFLINE' <<<"$out" || fail "not accepted offline at $at: $out"
  n=$((n + 1))
done <"$t/schedule"
echo "1000 transactions accepted offline with the till's clock in March"

psql "$COUPOND_DB" -q <<<"UPDATE settings SET offline_max_age = '400 days'"
out=$("$b/pos-client" sync)
grep -q '^SYNC: 1000 of 1000 calls accepted offline reached the coupon service (1000 booked, ' <<<"$out" ||
  fail "sync: $out"
[ "$(q "SELECT count(*) FROM redemptions WHERE terminal = '$store/$name'")" = 700 ] || fail "not 700 redemptions"
[ "$(q "SELECT count(*) FROM card_transactions WHERE terminal = '$store/$name' AND kind = 'earn'")" = 300 ] ||
  fail "not 300 earns"
q "SELECT id FROM redemptions WHERE terminal = '$store/$name' ORDER BY created_at, id" |
  awk 'NR % 19 == 3' | head -n 37 >"$t/voids"
[ "$(wc -l <"$t/voids")" = 37 ] || fail "not 37 redemptions to void"
while read -r id; do "$b/pos-client" void "$id" >/dev/null || fail "void $id"; done <"$t/voids"

today=$(date +%Y-%m-%d)
for day in 2026-03-28 2026-03-29 2026-03-30 "$today"; do
  rc=0
  out=$("$b/pos-client" closing "$day") || rc=$?
  printf '%s\n' "$out"
  [ "$rc" = 0 ] || fail "closing $day exited $rc"
  grep -q '^No differences: the coupon service and this till'"'"'s journal agree to the cent and to the count\.$' <<<"$out" ||
    fail "closing $day found differences"
done

# The same closing in German (LANG=de_DE.UTF-8): the same figures, the sentences in German.
out=$(LANG=de_DE.UTF-8 "$b/pos-client" closing 2026-03-29) || fail "closing in German: $out"
printf '%s\n' "$out"
grep -q "^ABSCHLUSS 2026-03-29 des Terminals $name (" <<<"$out" || fail "no German closing line"
grep -q '^Dienst: [0-9]* Einlösungen ([0-9]*,[0-9][0-9] € Rabatt), ' <<<"$out" || fail "no German figures"
grep -q '^Keine Differenzen: Coupon-Dienst und Journal dieser Kasse stimmen auf den Cent und in der Anzahl überein\.$' <<<"$out" ||
  fail "closing in German found differences"

# The service's figures per local day, against the schedule's own count (Europe/Berlin).
admin() {
  curl -sS --fail-with-body --cacert "$d/ca.pem" --cert "$d/admin.pem" --key "$d/admin.key" "$url$1"
}
for day in 2026-03-28 2026-03-29 2026-03-30; do admin "/v1/terminals/$name/closing?day=$day&store=$store"; echo; done >"$t/service.json"
python3 - "$t" <<'PY' || fail "the service's local days do not match the schedule"
import datetime as dt, json, sys, zoneinfo
t = sys.argv[1]
berlin = zoneinfo.ZoneInfo("Europe/Berlin")
want = {}
for line in open(f"{t}/schedule"):
    at, what, _, _ = line.split()
    day = dt.datetime.fromtimestamp(int(at), berlin).date().isoformat()
    want.setdefault(day, {"redeem": 0, "earn": 0})[what] += 1
got = [json.loads(l) for l in open(f"{t}/service.json") if l.strip()]
for c in got:
    w = want.get(c["day"], {"redeem": 0, "earn": 0})
    assert c["redemptions"]["count"] == w["redeem"], (c["day"], c["redemptions"], w)
    assert c["offline"]["count"] == w["redeem"], (c["day"], c["offline"], w)
    assert c["points"]["earns"] == w["earn"], (c["day"], c["points"], w)
hours = {c["day"]: (dt.datetime.fromisoformat(c["to"].replace("Z", "+00:00")) -
                    dt.datetime.fromisoformat(c["from"].replace("Z", "+00:00"))).total_seconds() / 3600
         for c in got}
assert hours["2026-03-29"] == 23 and hours["2026-03-28"] == 24, hours
print("local days:", {d: want[d] for d in sorted(want)}, "hours:", hours)
PY

# A redemption the till's journal does not know is a difference.
extra=$(marketer POST "/v1/campaigns/$c1/coupons" '{"count":1}' | grep -o '"code":"[^"]*"' | cut -d'"' -f4)
curl -sS --fail-with-body --cacert "$d/ca.pem" --cert "$t/$name.pem" --key "$t/$name.key" \
  -H 'Content-Type: application/json' -d "{\"code\":\"$extra\",\"basket_cents\":2000,\"txn_id\":\"by-hand-$store\"}" \
  "$url/v1/redemptions" >/dev/null
rc=0
out=$("$b/pos-client" closing "$today") || rc=$?
[ "$rc" = 1 ] || fail "a difference was not found: exit $rc, $out"
grep -q "^DIFFERENCE: redemptions: the service has [0-9]* (.*), this till's journal [0-9]* (.*)$" <<<"$out" ||
  fail "the difference was not said: $out"
rc=0
out=$(LANG=de_DE.UTF-8 "$b/pos-client" closing "$today") || rc=$?
[ "$rc" = 1 ] || fail "a difference was not found in German: exit $rc, $out"
grep -q "^DIFFERENZ: Einlösungen: der Dienst hat [0-9]* ([0-9]*,[0-9][0-9] €), das Journal dieser Kasse [0-9]* (.*)$" <<<"$out" ||
  fail "the difference was not said in German: $out"
echo "closing: 4 days without a difference across local midnights and the daylight-saving change; a redemption unknown to the journal is found"
