#!/usr/bin/env bash
# campaign_valid_to_the_end_of_its_local_day: a campaign made with starts_on 2026-03-01 and
# ends_on 2026-03-29 in the retailer's time zone Europe/Berlin (the default setting) runs from
# 2026-03-01T00:00:00+01:00 to 2026-03-30T00:00:00+02:00 (the daylight-saving change on
# 2026-03-29 makes that day 23 hours long): the verdict on its coupon (coupon_verdict_at(), the
# SQL the redeem path runs, asked about an instant with psql) is ok at 2026-03-29T23:59:59+02:00
# and expired at 2026-03-30T00:00:00+02:00, not_started at 2026-02-28T23:59:59+01:00 and ok at
# 2026-03-01T00:00:00+01:00; the campaign answers starts_on/ends_on and the instants; bad
# windows are refused with 400 and a sentence.
set -euo pipefail
s=${COUPOND_SOURCE_DIR:?}
: "${COUPOND_DB:?}"
listen=${COUPOND_TEST_LISTEN:-127.0.0.1:18743}
d="$s/certs/dev" url="https://$listen"
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }
marketer() { # METHOD PATH BODY -> body, then the status on the last line
  curl -sS --cacert "$d/ca.pem" --cert "$d/marketer.pem" --key "$d/marketer.key" \
    -H 'Content-Type: application/json' -w '\n%{http_code}' -X "$1" "$url$2" ${3:+-d "$3"}
}
[ "$(psql "$COUPOND_DB" -At -c 'SELECT time_zone FROM settings')" = Europe/Berlin ] ||
  fail "the retailer's time zone is not Europe/Berlin"

out=$(marketer POST /v1/campaigns '{"name":"local days","channel":"print","cost_cents":0,
  "starts_on":"2026-03-01","ends_on":"2026-03-29","offer":{"kind":"percent","value":10}}')
[ "$(tail -n 1 <<<"$out")" = 201 ] || fail "create: $out"
body=$(head -n 1 <<<"$out")
id=$(grep -o '"id":[0-9]*' <<<"$body" | head -n 1 | cut -d: -f2)
for want in '"starts_at":"2026-02-28T23:00:00Z"' '"ends_at":"2026-03-29T22:00:00Z"' \
  '"starts_on":"2026-03-01"' '"ends_on":"2026-03-29"'; do
  grep -qF "$want" <<<"$body" || fail "the campaign does not say $want: $body"
done
out=$(marketer POST "/v1/campaigns/$id/coupons" '{"count":1}')
[ "$(tail -n 1 <<<"$out")" = 201 ] || fail "issue: $out"

verdict() {
  psql "$COUPOND_DB" -At -v id="$id" -v at="$1" <<<"SELECT coupon_verdict_at(cp, c, 1, 1000, NULL, :'at'::timestamptz)
      FROM coupons cp JOIN campaigns c ON c.id = cp.campaign_id WHERE c.id = :'id'"
}
for pair in "2026-03-29T23:59:59+02:00 ok" "2026-03-30T00:00:00+02:00 expired" \
  "2026-03-29T21:59:59Z ok" "2026-03-29T22:00:00Z expired" \
  "2026-02-28T23:59:59+01:00 not_started" "2026-03-01T00:00:00+01:00 ok" \
  "2026-03-29T01:59:59+01:00 ok" "2026-03-29T03:00:00+02:00 ok"; do
  at=${pair% *} want=${pair#* }
  got=$(verdict "$at")
  [ "$got" = "$want" ] || fail "at $at the verdict is $got, wanted $want"
  echo "at $at: $got"
done

for case in 'both ends|"starts_on":"2026-03-01","ends_on":"2026-03-29","ends_at":"2026-04-01T00:00:00Z"|not both' \
  'no end|"starts_on":"2026-03-01"|is required' \
  'end before start|"starts_on":"2026-03-02","ends_on":"2026-03-01"|must end after it starts' \
  'not a date|"starts_on":"2026-02-30","ends_on":"2026-03-01"|starts_on'; do
  IFS='|' read -r name fields want <<<"$case"
  out=$(marketer POST /v1/campaigns "{\"name\":\"bad\",\"channel\":\"print\",\"cost_cents\":0,$fields,\"offer\":{\"kind\":\"percent\",\"value\":10}}")
  [ "$(tail -n 1 <<<"$out")" = 400 ] || fail "$name: $out"
  grep -q "\"error\":\"bad_request\".*$want" <<<"$out" || fail "$name: $out"
done
echo "a campaign ending on 2026-03-29 in Europe/Berlin is valid until 23:59:59+02:00 and expired at midnight"
