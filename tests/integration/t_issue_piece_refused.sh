#!/usr/bin/env bash
# an_issue_whose_piece_postgresql_refuses_stores_nothing: a coupond of its own (port+13, its
# own database). An issue COPYs its coupons in pieces of 4096 and, at full speed, works out
# the next piece while PostgreSQL stores the last one (service/issue.c); a piece PostgreSQL
# refuses must still take the whole issue back. With a trigger that fails the 10,000th coupon
# row of one campaign (the third piece, refused while the fourth is worked out), an issue of
# 20,000 answers 500 internal and leaves no coupon, no batch and the serial counter where it
# was; without the trigger the same issue then stores 20,000 coupons from that serial on, and
# an issue of 4,097 (a piece and one coupon) and one of 1 store exactly their counts.
set -euo pipefail
# shellcheck source=tests/integration/front_lib.sh
. "$(dirname "$0")/front_lib.sh"
front_own_db "coupond_ipr_$$"
q() { psql "$COUPOND_DB" -qAtX -v ON_ERROR_STOP=1 -c "$1"; }
port=$(own_port 13)
start_coupond ipr "$port" --ca "$d/ca.pem" --crl "$d/crl.pem" --threads 2
url="https://127.0.0.1:$port"
M=(-sS --cacert "$d/ca.pem" --cert "$d/marketer.pem" --key "$d/marketer.key")

cid=$(curl "${M[@]}" -d '{"name":"pieces","channel":"mailing","cost_cents":1,"starts_at":"2020-01-01T00:00:00Z","ends_at":"2099-01-01T00:00:00Z","offer":{"kind":"amount","value":100}}' \
  "$url/v1/campaigns" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
q "CREATE SEQUENCE ipr_rows"
q "CREATE FUNCTION ipr_boom() RETURNS trigger LANGUAGE plpgsql AS \$\$
   BEGIN
     IF NEW.campaign_id = $cid AND nextval('ipr_rows') = 10000 THEN
       RAISE EXCEPTION 'ipr: the third piece is refused';
     END IF;
     RETURN NEW;
   END \$\$"
q "CREATE TRIGGER ipr_boom BEFORE INSERT ON coupons FOR EACH ROW EXECUTE FUNCTION ipr_boom()"
before=$(q "SELECT next_serial FROM serial_counters WHERE kind = 'coupon'")

# issue N: POST .../coupons {"count": N}; prints the status, the body in $T/issue.json.
issue() {
  curl "${M[@]}" -o "$T/issue.json" -w '%{http_code}' -d "{\"count\":$1}" "$url/v1/campaigns/$cid/coupons"
}
st=$(issue 20000)
echo "refused issue: $st $(cat "$T/issue.json")"
check "the refused piece fails the issue: 500 internal" \
  test "$st:$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["error"])' "$T/issue.json")" = 500:internal
check "PostgreSQL refused the third piece (its trigger ran 10,000 rows)" \
  test "$(q "SELECT last_value FROM ipr_rows")" = 10000
check "no coupon, no batch of the refused issue" \
  test "$(q "SELECT (SELECT count(*) FROM coupons WHERE campaign_id = $cid) || ' ' || (SELECT count(*) FROM coupon_batches WHERE campaign_id = $cid)")" = "0 0"
check "the serial counter is where it was" \
  test "$(q "SELECT next_serial FROM serial_counters WHERE kind = 'coupon'")" = "$before"
check "coupond logged the refused COPY" grep -q 'COPY coupons failed' "$T/ipr.log"

q "DROP TRIGGER ipr_boom ON coupons"
st=$(issue 20000)
check "without the trigger the issue stores 20,000 coupons" \
  test "$st:$(q "SELECT count(*) FROM coupons WHERE campaign_id = $cid")" = 201:20000
check "from the serial the refused issue would have used" \
  test "$(q "SELECT min(first_serial) FROM coupon_batches WHERE campaign_id = $cid")" = "$before"
for n in 4097 1; do
  was=$(q "SELECT count(*) FROM coupons WHERE campaign_id = $cid")
  st=$(issue "$n")
  check "an issue of $n stores $n coupons" \
    test "$st:$(q "SELECT count(*) - $was FROM coupons WHERE campaign_id = $cid")" = "201:$n"
done
check "every batch holds the coupons it counts" \
  test "$(q "SELECT count(*) FROM coupon_batches b WHERE campaign_id = $cid AND count <> (SELECT count(*) FROM coupons k WHERE k.batch_id = b.id)")" = 0
stop_coupond "$LAST_PID"
finish
