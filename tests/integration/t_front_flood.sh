#!/usr/bin/env bash
# connections_without_a_certificate_cannot_starve_a_till: 300 connections from 127.0.0.2
# (plain TCP left idle, half-finished TLS handshakes, TLS without a certificate dripping a byte
# every 2 s) against a coupond of 256 connections at most, while a till on 127.0.0.1 keeps
# checking a coupon: every check is answered, p99 under 1 s, and no attacker connection lives
# past the handshake deadline (front_flood.py). Round 1 runs with the default limits (the
# per-address ones stop the flood); round 2 lifts the per-address limits, as behind a load
# balancer, with a small unauthenticated budget, so that the budget alone has to protect
# the till (the oldest unauthenticated connection is evicted for a new one).
# shellcheck source=tests/integration/front_lib.sh
. "$(dirname "$0")/front_lib.sh"
seconds=${FLOOD_SECONDS:-15}
port=$(own_port 4)
url="https://127.0.0.1:$port"
M=(-s --cacert "$d/ca.pem" --cert "$d/marketer.pem" --key "$d/marketer.key")
A=(-s --cacert "$d/ca.pem" --cert "$d/admin.pem" --key "$d/admin.key")

# round NAME FLAGS...: one coupond, one flood; prints what /metrics says about it.
round() {
  local name=$1
  shift
  start_coupond "$name" "$port" --ca "$d/ca.pem" --crl "$d/crl.pem" --max-connections 256 "$@" ||
    { bad "$name: coupond did not start"; return; }
  local pid=$LAST_PID id code
  id=$(curl "${M[@]}" -d '{"name":"flood","channel":"app","cost_cents":1,"starts_at":"2020-01-01T00:00:00Z","ends_at":"2099-01-01T00:00:00Z","offer":{"kind":"amount","value":100}}' \
    "$url/v1/campaigns" | sed -n 's/^{"id":\([0-9]*\),.*/\1/p')
  code=$(curl "${M[@]}" -d '{"count":1}' "$url/v1/campaigns/$id/coupons" | grep -o '"code":"[^"]*"' | cut -d'"' -f4)
  echo "== $name: ${seconds}s of flood, coupond flags: --max-connections 256 $*"
  if (cd "$(dirname "$0")" && python3 front_flood.py "$port" "$code" "$seconds" 5); then
    ok "$name"
  else
    bad "$name"
  fi
  curl "${A[@]}" "$url/metrics" | grep -E '^coupond_(connections_refused_total|connections_cut_total|unauthenticated_connections|open_connections)' || true
  stop_coupond "$pid"
}

round default_limits
round budget_alone --max-connections-per-address 0 --max-unauthenticated-per-address 0 \
  --max-unauthenticated 32
finish
