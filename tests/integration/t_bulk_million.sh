#!/usr/bin/env bash
# one_call_issues_a_million_and_the_export_has_every_code_once: POST .../coupons
# {"count":1000000} in one call, then the streamed CSV export has 1,000,001 lines with
# unique codes and unique signed forms; the times are printed.
set -euo pipefail
s=${COUPOND_SOURCE_DIR:?}
listen=${COUPOND_TEST_LISTEN:-127.0.0.1:18743}
d="$s/certs/dev"
M=(--cacert "$d/ca.pem" --cert "$d/marketer.pem" --key "$d/marketer.key" -s --max-time 600)
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
id=$(curl "${M[@]}" -d '{"name":"a million","channel":"mailing","cost_cents":100000,"starts_at":"2026-01-01T00:00:00Z","ends_at":"2099-01-01T00:00:00Z","offer":{"kind":"amount","value":500}}' \
  "https://$listen/v1/campaigns" | sed -n 's/^{"id":\([0-9]*\),.*/\1/p')
[ -n "$id" ] || { echo "campaign not created"; exit 1; }
start=$(date +%s.%N)
curl "${M[@]}" -w '\n%{http_code}\n' -d '{"count":1000000}' "https://$listen/v1/campaigns/$id/coupons" >"$t/issue"
issued=$(date +%s.%N)
grep -q '"issued":1000000' "$t/issue" && tail -1 "$t/issue" | grep -q 201 || { cat "$t/issue"; exit 1; }
curl "${M[@]}" "https://$listen/v1/campaigns/$id/coupons.csv" -o "$t/all.csv"
exported=$(date +%s.%N)
lines=$(wc -l <"$t/all.csv")
codes=$(tail -n +2 "$t/all.csv" | cut -d, -f1 | sort -u -S 512M | wc -l)
signed=$(tail -n +2 "$t/all.csv" | cut -d, -f2 | sort -u -S 512M | wc -l)
echo "issue: $(awk "BEGIN{print $issued - $start}") s; export: $(awk "BEGIN{print $exported - $issued}") s; lines $lines, unique codes $codes, unique signed forms $signed"
[ "$lines" -eq 1000001 ] && [ "$codes" -eq 1000000 ] && [ "$signed" -eq 1000000 ]
