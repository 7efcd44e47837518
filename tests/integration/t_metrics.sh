#!/usr/bin/env bash
# monitoring_holds_no_credential_that_can_change_anything: against the shared coupond,
# a monitor certificate (OU=monitor) scrapes /metrics and may ask /v1/whoami, and is refused
# everything else (403), reads and writes alike; terminals and marketers may not scrape.
# The live scrape passes `promtool check metrics` and holds the operational figures (build,
# process, refusals by machine code, database, CRL, keys, server certificate, reloads); a
# check refused for a mistyped code counts under its machine code. The alert rules pass `promtool check rules`
# and their unit tests (`promtool test rules`). A real Prometheus, with the job of
# contrib/prometheus/prometheus.yml and the monitor certificate, scrapes coupond (up == 1)
# and loads every rule. Every metric the Grafana dashboard plots is one coupond exports.
# shellcheck source=tests/integration/front_lib.sh
. "$(dirname "$0")/front_lib.sh"
url="https://$listen"
contrib="$s/contrib"

# status WHO METHOD PATH [BODY]: the HTTP status WHO gets.
status() {
  local who=$1 method=$2 path=$3 body=${4:-}
  local auth=()
  [ "$who" = none ] || auth=(--cert "$d/$who.pem" --key "$d/$who.key")
  curl -s -o /dev/null -w '%{http_code}' --max-time 10 --cacert "$d/ca.pem" "${auth[@]}" \
    -X "$method" -H 'Content-Type: application/json' ${body:+--data "$body"} "$url$path" || true
}
scrape() { curl -sS --fail --max-time 10 --cacert "$d/ca.pem" --cert "$d/monitor.pem" --key "$d/monitor.key" "$url/metrics"; }
# sample TEXT NAME{labels}: the value of that sample in the scrape TEXT.
sample() { awk -v m="$2" '$1 == m { print $2 }' <<<"$1"; }

echo "== who may scrape"
check "monitor_scrapes_metrics" [ "$(status monitor GET /metrics)" = 200 ]
check "admin_scrapes_metrics" [ "$(status admin GET /metrics)" = 200 ]
check "monitor_asks_whoami" [ "$(curl -s --cacert "$d/ca.pem" --cert "$d/monitor.pem" --key "$d/monitor.key" "$url/v1/whoami")" = '{"role":"monitor","name":"monitor"}' ]
check "terminal_may_not_scrape" [ "$(status terminal-1 GET /metrics)" = 403 ]
check "marketer_may_not_scrape" [ "$(status marketer GET /metrics)" = 403 ]
check "no_certificate_may_not_scrape" [ "$(status none GET /metrics)" = 401 ]
for call in "GET /v1/campaigns" "GET /v1/keys" "GET /v1/audit" "POST /v1/cards {}" \
  'POST /v1/campaigns {"name":"x"}' 'POST /v1/checks {"code":"x","basket_cents":1}' \
  'POST /v1/redemptions {"code":"x","basket_cents":1,"txn_id":"m"}'; do
  read -r method path body <<<"$call"
  check "monitor_is_refused_${method}_${path//\//_}" [ "$(status monitor "$method" "$path" "$body")" = 403 ]
done

echo "== the live scrape"
typo_before=$(sample "$(scrape)" 'coupond_refusals_total{code="malformed_code"}')
typo=$(curl -s --cacert "$d/ca.pem" --cert "$d/terminal-1.pem" --key "$d/terminal-1.key" \
  -H 'Content-Type: application/json' --data '{"code":"ABCD-EFGH-JKMN-PQRS","basket_cents":100}' "$url/v1/checks")
echo "a made-up code: $typo"
text=$(scrape)
check "promtool_check_metrics_on_a_live_scrape" promtool check metrics <<<"$text"
for m in 'coupond_build_info{version=' 'process_cpu_seconds_total ' 'process_resident_memory_bytes ' \
  'process_open_fds ' 'process_max_fds ' 'process_start_time_seconds ' 'coupond_database_up 1' \
  'coupond_database_round_trip_seconds ' 'coupond_crl_enabled 1' 'coupond_crl_age_seconds ' \
  'coupond_crl_next_update_seconds ' 'coupond_signing_key_id ' 'coupond_mac_key_id ' \
  'coupond_key_info{id="1",state=' 'coupond_server_certificate_not_after_seconds ' \
  'coupond_reloads_total{result="ok"} ' 'coupond_config_last_reload_successful 1' \
  'coupond_exports_running ' 'coupond_issues_running ' 'coupond_draining 0' \
  'coupond_requests_in_flight ' 'coupond_refusals_total{code="already_redeemed"} '; do
  check "scrape_has_${m%%[ {]*}" grep -qF -- "$m" <<<"$text"
done
typo_after=$(sample "$text" 'coupond_refusals_total{code="malformed_code"}')
check "a_refused_check_counts_under_its_machine_code" [ "$typo_after" -gt "${typo_before:-0}" ]
rss=$(sample "$text" process_resident_memory_bytes)
check "resident_memory_is_plausible" awk -v r="$rss" 'BEGIN { exit !(r > 1e6 && r < 1e10) }'

echo "== alert rules"
check "promtool_check_rules" promtool check rules "$contrib/prometheus/coupond-alerts.yml"
check "promtool_test_rules" bash -c "cd '$contrib/prometheus' && promtool test rules coupond-alerts.test.yml"

echo "== a real Prometheus scrapes coupond with the monitor certificate"
pport=$(own_port 7)
mkdir -p "$T/prom"
cp "$contrib/prometheus/coupond-alerts.yml" "$T/prom/"
sed -e "s|/etc/prometheus/coupond/|$d/|" -e 's|scrape_interval: 15s|scrape_interval: 1s|' \
  -e 's|evaluation_interval: 15s|evaluation_interval: 1s|' \
  -e "/coupond1.example.internal/c\          - $listen" -e '/coupond2.example.internal/d' \
  "$contrib/prometheus/prometheus.yml" >"$T/prom/prometheus.yml"
check "promtool_check_config" promtool check config "$T/prom/prometheus.yml"
prometheus --config.file="$T/prom/prometheus.yml" --storage.tsdb.path="$T/prom/data" \
  --web.listen-address="127.0.0.1:$pport" >"$T/prom/prometheus.out" 2>&1 &
prom=$!
query() { curl -s --max-time 5 "http://127.0.0.1:$pport/api/v1/query" --data-urlencode "query=$1"; }
up=''
for _ in $(seq 1 60); do
  up=$(query 'up{job="coupond"}' | python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else "")' 2>/dev/null || true)
  [ "$up" = 1 ] && break
  sleep 0.5
done
check "prometheus_scrapes_coupond_up_1" [ "$up" = 1 ]
db=$(query 'coupond_database_up' | python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else "")' 2>/dev/null || true)
check "prometheus_sees_the_database_up" [ "$db" = 1 ]
rules=$(curl -s --max-time 5 "http://127.0.0.1:$pport/api/v1/rules" | python3 -c '
import json, sys
groups = json.load(sys.stdin)["data"]["groups"]
rules = [r for g in groups for r in g["rules"]]
bad = [r["name"] for r in rules if r.get("health") not in ("ok", "unknown")]
print(len(rules), "rules", "bad: " + ",".join(bad) if bad else "healthy")')
echo "prometheus: $rules"
nrules=$(grep -c '^ *- alert: ' "$contrib/prometheus/coupond-alerts.yml")
check "prometheus_loads_every_rule" grep -q "^$nrules rules healthy\$" <<<"$rules"
# Every query of the Grafana dashboard, as Grafana would send it (the instance variable: all),
# parses and evaluates in this Prometheus.
bad_queries=$(python3 - "$contrib/grafana/coupond-dashboard.json" "127.0.0.1:$pport" <<'PY'
import json, sys, urllib.parse, urllib.request
dash = json.load(open(sys.argv[1]))
bad, n = [], 0
for p in dash["panels"]:
    for t in p.get("targets", []):
        q = t["expr"].replace("$instance", ".*")
        n += 1
        url = "http://%s/api/v1/query?%s" % (sys.argv[2], urllib.parse.urlencode({"query": q}))
        try:
            ok = json.load(urllib.request.urlopen(url, timeout=5)).get("status") == "success"
        except Exception:  # an HTTP 400: the query does not parse or evaluate
            ok = False
        if not ok:
            bad.append(f"{p['title']}: {q}")
print(f"prometheus: {n} dashboard queries evaluated, {len(bad)} failed", file=sys.stderr)
print("; ".join(bad))
PY
)
check "dashboard_queries_evaluate_in_prometheus${bad_queries:+ (failing: $bad_queries)}" [ -z "$bad_queries" ]
kill "$prom" 2>/dev/null || true
wait "$prom" 2>/dev/null || true

echo "== the Grafana dashboard plots only what coupond exports"
printf '%s\n' "$text" >"$T/scrape.txt"
missing=$(python3 - "$contrib/grafana/coupond-dashboard.json" "$T/scrape.txt" <<'PY'
import json, re, sys
dash = json.load(open(sys.argv[1]))
exported = {"up"}
for line in open(sys.argv[2]):
    if line.strip() and not line.startswith("#"):
        exported.add(re.split(r"[{ ]", line, 1)[0])
used = set()
for p in dash["panels"]:
    for t in p.get("targets", []):
        used |= {m for m in re.findall(r"\b(?:coupond|process)_[a-z0-9_]+|\bup\b", t["expr"])}
print(" ".join(sorted(used - exported)))
PY
)
check "dashboard_metrics_exist${missing:+ (missing: $missing)}" [ -z "$missing" ]

[ "$FAILED" -eq 0 ] || { echo "$FAILED check(s) failed"; exit 1; }
echo "metrics: all checks passed"
