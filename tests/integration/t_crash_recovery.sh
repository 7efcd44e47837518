#!/usr/bin/env bash
# no_redemption_lost_or_doubled_across_sigkill_and_postgres_restart: 8 tills redeem 400
# coupons (each with its own txn_id, retrying the same txn_id until they get an answer, as
# pos-client does), while coupond is killed with SIGKILL twice and PostgreSQL is restarted
# once. Afterwards every coupon has exactly one redemption row, and every till got the same
# redemption id for its txn_id as the database holds.
set -euo pipefail
b=${COUPOND_BUILD_DIR:?} s=${COUPOND_SOURCE_DIR:?}
: "${COUPOND_DB:?}"
d="$s/certs/dev"
# A port nothing listens on (a connection attempt is refused).
for _ in $(seq 1 50); do
  port=$(( 20000 + RANDOM % 20000 ))
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || break
done
listen="127.0.0.1:$port"
t=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$t"; }
trap cleanup EXIT

start_coupond() {
  "$b/coupond" serve --listen "$listen" --db "$COUPOND_DB" --cert "$d/server.pem" \
    --key "$d/server.key" --ca "$d/ca.pem" --crl "$d/crl.pem" --keys "$s/var/keys" \
    --sql "$s/sql" >>"$t/coupond.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do
    curl -sf --cacert "$d/ca.pem" "https://$listen/healthz" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "coupond did not start"; cat "$t/coupond.log"; exit 1
}
start_coupond

M=(--cacert "$d/ca.pem" --cert "$d/marketer.pem" --key "$d/marketer.key" -s)
id=$(curl "${M[@]}" -d '{"name":"crash","channel":"app","cost_cents":1,"starts_at":"2020-01-01T00:00:00Z","ends_at":"2099-01-01T00:00:00Z","offer":{"kind":"amount","value":100}}' \
  "https://$listen/v1/campaigns" | sed -n 's/^{"id":\([0-9]*\),.*/\1/p')
curl "${M[@]}" -d '{"count":400}' "https://$listen/v1/campaigns/$id/coupons" |
  grep -o '"code":"[^"]*"' | cut -d'"' -f4 >"$t/codes"
[ "$(wc -l <"$t/codes")" -eq 400 ] || { echo "issue failed"; exit 1; }
split -n l/8 -d "$t/codes" "$t/part."

# One till: redeem each code with a txn_id of its own, retrying the same txn_id until an
# HTTP answer (201 or 200) comes back; records code, txn_id and redemption id.
till() {
  local part=$1 n=0 code txn body out
  while read -r code; do
    n=$((n + 1)); txn="crash-$id-$(basename "$part")-$n"
    body="{\"code\":\"$code\",\"basket_cents\":1000,\"txn_id\":\"$txn\"}"
    for _ in $(seq 1 600); do
      out=$(curl -s --max-time 5 --cacert "$d/ca.pem" --cert "$d/terminal-1.pem" \
        --key "$d/terminal-1.key" -w '\n%{http_code}' -d "$body" "https://$listen/v1/redemptions" || true)
      # An answer cut off by the SIGKILL (status line, no whole body) is no answer: retry.
      rid=$(head -n1 <<<"$out" | sed -n 's/.*"redemption_id":\([0-9]*\).*/\1/p')
      case "$(tail -n1 <<<"$out")" in
        201|200) [ -n "$rid" ] || { sleep 0.05; continue; }; echo "$code $txn $rid"; break ;;
        409) echo "$code $txn REFUSED $(head -n1 <<<"$out")"; break ;;
        *) sleep 0.05 ;;
      esac
    done
  done <"$part" >"$part.out"
}
for p in "$t"/part.*; do till "$p" & done
tills=$(jobs -p | grep -v "^$pid\$" || true)

sleep 1.5; kill -9 "$pid"; echo "killed coupond (SIGKILL)"; sleep 0.3; start_coupond
sleep 1.5
pg=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
restart_pg() {
  [ -n "${PG_DATA:-}" ] || return 1
  if [ "$(id -u)" -eq 0 ]; then runuser -u "$(stat -c %U "$PG_DATA/PG_VERSION")" -- "$pg/pg_ctl" -D "$PG_DATA" -m fast -w restart >/dev/null
  else "$pg/pg_ctl" -D "$PG_DATA" -m fast -w restart >/dev/null; fi
  echo "restarted PostgreSQL"
}
restart_pg || echo "not restarting PostgreSQL: not the embedded cluster"
sleep 1; kill -9 "$pid"; echo "killed coupond again"; sleep 0.3; start_coupond
for j in $tills; do wait "$j" || true; done

cat "$t"/part.*.out >"$t/answers"
answered=$(awk '$3 ~ /^[0-9]+$/' "$t/answers" | wc -l)
refused=$(grep -c REFUSED "$t/answers" || true)
q() { psql "$COUPOND_DB" -At -v id="$id" <<<"$1"; }
rows=$(q "SELECT count(*) FROM redemptions WHERE campaign_id = :'id'")
doubled=$(q "SELECT count(*) FROM (SELECT coupon_serial FROM redemptions WHERE campaign_id = :'id' GROUP BY 1 HAVING count(*) > 1) x")
q "SELECT txn_id || ' ' || id FROM redemptions WHERE campaign_id = :'id'" | sort >"$t/db"
awk '$3 ~ /^[0-9]+$/ {print $2 " " $3}' "$t/answers" | sort >"$t/tills"
echo "answered $answered of 400, refused $refused, rows $rows, doubled $doubled"
[ "$answered" -eq 400 ] && [ "$refused" -eq 0 ] && [ "$rows" -eq 400 ] && [ "$doubled" -eq 0 ] &&
  diff -q "$t/db" "$t/tills" >/dev/null || { echo "FAILED"; diff "$t/db" "$t/tills" | head; exit 1; }
echo "no redemption lost or doubled"

# After PostgreSQL restarts, coupond reconnects on the next request: none of them fails.
if restart_pg; then
  for i in $(seq 1 8); do
    code=$(curl "${M[@]}" -o /dev/null -w '%{http_code}' "https://$listen/v1/campaigns/$id")
    [ "$code" = 200 ] || { echo "request $i after the restart answered $code"; exit 1; }
  done
  echo "every request after the PostgreSQL restart succeeded"
fi
