#!/usr/bin/env bash
# group_commit_books_each_redemption_exactly_once: a coupond of its own with --group-commit 8
# and two group threads (port+11), whatever COUPOND_GROUP_COMMIT says. 16 tills redeem 400
# coupons at once, each coupon by two tills under two txn_ids, then every booked txn_id again
# (a till's retry):
#   - groups of two or more redemptions really formed (rows committed by one transaction);
#   - every coupon has exactly one redemption; one of its two requests got 201, the other 409
#     already_redeemed; every retry got 200 with the same redemption id;
#   - a group that fails as a whole changes nothing and its requests are sent alone: with a
#     trigger that makes the database fail every 10th coupon's first txn_id ("gcboom-"), those
#     answer 500 (or 409 when the racing till got the coupon first) and book nothing, every
#     other request of their groups is booked once (the racing second txn_id gets the
#     coupon), and coupond logs each failed group;
#   - checks met in groups (one statement for several) answer exactly as each alone;
#   - a check is answered while a redemption on each group thread waits for a lock;
#   - /metrics counts the groups, their redemptions and checks, the failed and the late.
set -euo pipefail
# shellcheck source=tests/integration/front_lib.sh
. "$(dirname "$0")/front_lib.sh"
# Its own database: a live bounce-back campaign in the shared one (other tests make them)
# sends every redemption to redeem(), never to a group.
front_own_db "coupond_gc_$$"
q() { psql "$COUPOND_DB" -qAtX -v ON_ERROR_STOP=1 -c "$1"; }
port=$(own_port 11)
tag="gc$$x$(date +%s%N)"
start_coupond gc "$port" --ca "$d/ca.pem" --crl "$d/crl.pem" --group-commit 8 --group-threads 2 --threads 8 --log-level debug
url="https://127.0.0.1:$port"
M=(-sS --cacert "$d/ca.pem" --cert "$d/marketer.pem" --key "$d/marketer.key")

# campaign NAME: a new campaign's id.
campaign() {
  curl "${M[@]}" -d "{\"name\":\"$1\",\"channel\":\"app\",\"cost_cents\":1,\"starts_at\":\"2020-01-01T00:00:00Z\",\"ends_at\":\"2099-01-01T00:00:00Z\",\"offer\":{\"kind\":\"amount\",\"value\":100}}" \
    "$url/v1/campaigns" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])'
}
# codes CAMPAIGN N FILE: issues N coupons and writes their short codes to FILE.
codes() {
  curl "${M[@]}" -o /dev/null -d "{\"count\":$2}" "$url/v1/campaigns/$1/coupons"
  curl "${M[@]}" "$url/v1/campaigns/$1/coupons.csv" | awk -F, 'NR > 1 {print $1}' >"$3"
  [ "$(wc -l <"$3")" -eq "$2" ]
}
# verify OUT CAMPAIGN BOOMED: the checks above on group_commit.py's output OUT.
verify() {
  local out=$1 cid=$2 boomed=$3 n
  n=$(wc -l <"$T/codes-$cid")
  check "$cid: every request answered 201, 409 or (the failing ones) 500" \
    awk -v b="$boomed" '$3 != 201 && $3 != 409 && !(b && $3 == 500 && $2 ~ /^gcboom-/) {bad = 1} END {exit bad}' "$out"
  check "$cid: each code got one 201 and, unless it failed, one 409 already_redeemed" \
    awk '{s[$1] = s[$1] " " $3 ($3 == 409 ? $5 : "")} END {for (c in s) {split(s[c], a, " "); n201 = 0; for (i in a) n201 += a[i] == 201; if (n201 != 1) {print c, s[c]; exit 1}}}' "$out"
  check "$cid: 409s are already_redeemed" awk '$3 == 409 && $5 != "already_redeemed" {exit 1}' "$out"
  check "$cid: every coupon has exactly one redemption, and it is the 201's" \
    test "$(q "SELECT count(*) FROM coupons k WHERE k.campaign_id = $cid AND
               (SELECT count(*) FROM redemptions r WHERE r.coupon_serial = k.serial) = 1
               AND k.uses = 1")" = "$n"
  check "$cid: the redemptions are the 201 answers' ids" \
    test "$(awk '$3 == 201 {print $4}' "$out" | sort -n | tr '\n' ' ')" = \
    "$(q "SELECT id FROM redemptions WHERE campaign_id = $cid ORDER BY id" | tr '\n' ' ')"
  check "$cid: every retry answered 200 with the first answer's redemption id" \
    awk 'NR == FNR {if ($3 == 201) id[$2] = $4; next} {n++; if ($3 != 200 || id[$2] != $4) bad = 1} END {exit bad || n == 0}' "$out" "$out.retries"
}

# 1. The race, the retries, and groups formed.
cid=$(campaign "$tag-a")
codes "$cid" 400 "$T/codes-$cid"
python3 "$s/tests/integration/group_commit.py" "$port" "$T/codes-$cid" "$tag-a" "$T/out-a"
verify "$T/out-a" "$cid" 0
grouped=$(q "SELECT coalesce(sum(n), 0) FROM (SELECT count(*) AS n FROM redemptions
             WHERE campaign_id = $cid GROUP BY xmin::text HAVING count(*) > 1) g")
echo "redemptions committed in groups of two or more: $grouped of 400"
check "groups formed (redemptions committed together)" test "$grouped" -gt 0

# 2. Groups that fail as a whole.
q "CREATE OR REPLACE FUNCTION gc_test_boom() RETURNS trigger LANGUAGE plpgsql AS \$\$
   BEGIN RAISE EXCEPTION 'group commit test: % refused', NEW.txn_id; END \$\$"
q "CREATE TRIGGER gc_test_boom_$tag BEFORE INSERT ON redemptions FOR EACH ROW
   WHEN (NEW.txn_id LIKE 'gcboom-$tag-%') EXECUTE FUNCTION gc_test_boom()"
cid=$(campaign "$tag-b")
codes "$cid" 400 "$T/codes-$cid"
python3 "$s/tests/integration/group_commit.py" "$port" "$T/codes-$cid" "$tag-b" "$T/out-b" 10 || true
q "DROP TRIGGER gc_test_boom_$tag ON redemptions"
verify "$T/out-b" "$cid" 1
# (a failing txn_id whose coupon the racing till got first is refused before the trigger)
check "the failing txn_ids answered 500 (or 409 already_redeemed) and booked nothing" \
  test "$(awk '$2 ~ /^gcboom-/ && $3 != 500 && $3 != 409' "$T/out-b" | wc -l),$(q "SELECT count(*) FROM redemptions WHERE txn_id LIKE 'gcboom-$tag-%'")" = "0,0"
check "the trigger failed some" test "$(awk '$2 ~ /^gcboom-/ && $3 == 500' "$T/out-b" | wc -l)" -gt 0
failed=$(grep -c '"group of' "$T/gc.log" || true)
echo "groups that failed and were sent alone: $failed"
check "failed groups were logged and sent alone" test "$failed" -gt 0
# 3. Checks answered in groups answer as checks alone: the codes of a campaign with a minimum
# basket (fresh: ok, or below_minimum) and those of the first campaign (used up: its
# already_redeemed comes from coupon_check() itself), each with two baskets, first one after
# another (every check alone), then on 16 connections at once (in groups).
cid_c=$(curl "${M[@]}" -d "{\"name\":\"$tag-c\",\"channel\":\"app\",\"cost_cents\":1,\"starts_at\":\"2020-01-01T00:00:00Z\",\"ends_at\":\"2099-01-01T00:00:00Z\",\"offer\":{\"kind\":\"percent\",\"value\":10,\"min_basket_cents\":2000}}" \
  "$url/v1/campaigns" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
codes "$cid_c" 300 "$T/codes-$cid_c"
head -100 "$T/codes-$cid" >>"$T/codes-$cid_c"
python3 "$s/tests/integration/group_checks.py" "$port" "$T/codes-$cid_c" 1 "$T/checks-alone"
before=$(grep -cE '"grouped: [0-9]+ checks' "$T/gc.log" || true)
python3 "$s/tests/integration/group_checks.py" "$port" "$T/codes-$cid_c" 16 "$T/checks-grouped"
check "800 checks answered 200: ok, below_minimum and already_redeemed" \
  test "$(awk '$3 == 200 {print $8}' "$T/checks-alone" | sort | uniq -c | awk '{printf "%s:%s ", $2, $1}')" = \
  "-:300 already_redeemed:200 below_minimum:300 "
check "checks in groups answer exactly as checks alone" cmp "$T/checks-alone" "$T/checks-grouped"
grouped=$(grep -E '"grouped: ([2-9]|[1-9][0-9]+) checks' "$T/gc.log" | wc -l)
echo "groups of two or more checks: $grouped (checks alone logged before: $before)"
check "checks met in groups" test "$grouped" -gt 0
# 4. A check never waits behind redemptions that wait for the database: with the redemptions
# table locked, one redemption on each of the two group threads waits for the lock; a check
# sent then is answered while both still wait (before: it queued behind them until the lock
# went or its deadline passed), and the redemptions are booked once the lock goes.
cid_l=$(campaign "$tag-l")
codes "$cid_l" 2 "$T/codes-$cid_l"
T1=(-sS --cacert "$d/ca.pem" --cert "$d/terminal-1.pem" --key "$d/terminal-1.key" -H 'Content-Type: application/json')
waiting() { q "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%redemptions%'"; }
until_n() { # until_n N: until N sessions wait for the lock (at most 10 s)
  for _ in $(seq 1 100); do [ "$(waiting)" = "$1" ] && return 0; sleep 0.1; done
  return 1
}
PGAPPNAME=gc_locker psql "$COUPOND_DB" -qAtX -c "BEGIN" -c "LOCK TABLE redemptions IN EXCLUSIVE MODE" \
  -c "SELECT pg_sleep(60)" -c "COMMIT" >/dev/null 2>&1 &
locker=$!
for _ in $(seq 1 100); do
  [ "$(q "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'gc_locker' AND query LIKE '%pg_sleep%'")" = 1 ] && break
  sleep 0.1
done
n=0 tills=()
while read -r code; do
  n=$((n + 1))
  curl "${T1[@]}" -o "$T/locked-$n.json" -w '%{http_code}\n' \
    -d "{\"code\":\"$code\",\"basket_cents\":2500,\"txn_id\":\"$tag-lock-$n\"}" \
    "$url/v1/redemptions" >"$T/locked-$n.status" &
  tills+=($!)
  until_n "$n" || break
done <"$T/codes-$cid_l"
check "a redemption on each of the two group threads waits for the lock" test "$(waiting)" = 2
st=$(curl "${T1[@]}" -o "$T/locked-check.json" -w '%{http_code}' --max-time 10 \
  -d "{\"code\":\"$(head -1 "$T/codes-$cid_c")\",\"basket_cents\":2500}" "$url/v1/checks")
still=$(waiting)
echo "check while redemptions wait: $st $(cat "$T/locked-check.json"), redemptions still waiting: $still"
check "the check answered 200 while both redemptions still waited" test "$st:$still" = 200:2
q "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = 'gc_locker'" >/dev/null
wait "$locker" || true
wait "${tills[@]}" || true
check "the waiting redemptions were booked once the lock went" \
  test "$(cat "$T/locked-1.status" "$T/locked-2.status" | tr '\n' ' ')" = "201 201 "
# 5. /metrics counts what the group threads did (docs/operations.md): groups of more than one
# redemption on average, the failed groups of part 2, every check of parts 3 and 4 (800 alone,
# 800 in groups, one beside the lock) through the check thread, nobody late.
metrics=$(curl -sS --fail --cacert "$d/ca.pem" --cert "$d/monitor.pem" --key "$d/monitor.key" "$url/metrics")
m() { awk -v m="coupond_group_$1_total{kind=\"$2\"}" '$1 == m {print $2}' <<<"$metrics"; }
echo "metrics: redemptions $(m items redemption) in $(m statements redemption) statements, $(m failed redemption) failed;" \
  "checks $(m items check) in $(m statements check) statements; late $(m late redemption)/$(m late check)"
check "metrics: redemption groups hold more than one on average" test "$(m items redemption)" -gt "$(m statements redemption)"
check "metrics: the failed groups as logged" test "$(m failed redemption)" = "$failed"
check "metrics: all 1601 checks went through the check thread, in fewer statements" \
  test "$(m items check)" = 1601 -a "$(m statements check)" -lt 1601
check "metrics: nobody waited past the deadline" test "$(m late redemption):$(m late check)" = 0:0
stop_coupond "$LAST_PID"
finish
