#!/usr/bin/env bash
# connections_are_spread_over_the_workers: a coupond of its own (port+12, --threads 8, group
# commit off, its own database) takes 8 tills' connections, opened one after another, on 8
# different worker threads, so 8 requests sent at once are served at once: with the coupons
# table locked, 8 checks sent together all wait in the database (8 sessions waiting for the
# lock, one per worker), and all answer 200 once it is released. Before coupond's own accept
# loop (service/acceptor.c), libmicrohttpd's workers raced for accept() and connections piled
# up on a few of them: a worker serves one request at a time, so checks on a shared worker
# waited in coupond, not in the database. Three rounds, each with 8 new connections.
set -euo pipefail
# shellcheck source=tests/integration/front_lib.sh
. "$(dirname "$0")/front_lib.sh"
front_own_db "coupond_spread_$$"
port=$(own_port 12)
start_coupond spread "$port" --ca "$d/ca.pem" --crl "$d/crl.pem" --threads 8 --group-commit 0
url="https://127.0.0.1:$port"
M=(-sS --cacert "$d/ca.pem" --cert "$d/marketer.pem" --key "$d/marketer.key")
cid=$(curl "${M[@]}" -d '{"name":"spread","channel":"app","cost_cents":1,"starts_at":"2020-01-01T00:00:00Z","ends_at":"2099-01-01T00:00:00Z","offer":{"kind":"amount","value":100}}' \
  "$url/v1/campaigns" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
curl "${M[@]}" -o /dev/null -d '{"count":1}' "$url/v1/campaigns/$cid/coupons"
code=$(curl "${M[@]}" "$url/v1/campaigns/$cid/coupons.csv" | awk -F, 'NR == 2 {print $1}')
for round in 1 2 3; do
  check "round $round: 8 connections on 8 workers" \
    env PYTHONPATH="$s/tests/integration" python3 "$s/tests/integration/workers_spread.py" \
    "$port" "$code" 8 "$COUPOND_DB"
done
finish
