# shellcheck shell=bash
# tests/bench/ceilings.sh: the ceilings of issue 12, sourced by tests/bench/run.sh after its
# parts c and d (it uses run.sh's helpers, settings and results: RATE_c, the redemption rate
# coupond reached in c; $WORK/check-bodies.txt and bench_check_serials from d). Adds rows:
#   f1  redemptions: coupond (c's rate) vs the minimal redeem statement in pgbench at its best
#       client count among 2, 4 and 8 (bar ≥ 0.85)
#   f2  checks vs GET /healthz over the same connections and load generator (bar ≥ 0.80)
#   f3  checks vs a pgbench primary-key lookup of the coupon joined with its campaign (for
#       information, no bar)
#   f4  redemption latency, open loop at 70 % of c's rate: p50 and p99 (bar: p99 ≤ 2 ms)
# Settings: BENCH_MIN_POOL [360000] coupons per round for the minimal statement's runs,
# BENCH_MIN_CLIENTS ["2 4 8"], BENCH_LAT_SECONDS [2 × BENCH_SECONDS] for f4.

MIN_POOL=${BENCH_MIN_POOL:-360000}
MIN_CLIENTS=${BENCH_MIN_CLIENTS:-2 4 8}
LAT_SECS=${BENCH_LAT_SECONDS:-$((2 * SECS))}

# ---------------------------------------------------------------- f1. the minimal statement
# One UPDATE of the coupon (a use left) feeding one INSERT of the redemption, in one
# statement: the least a durable redemption can cost in this schema (same database, indexes,
# constraints and triggers as coupond's). pgbench reads each serial from a numbered table in
# the same statement, as in c.
ceiling_minimal() {
  [ -z "$REDEEM_MISSING" ] || { not_measured f1 "Redemptions/s vs the minimal redeem statement" "≥ 0.85" "$REDEEM_MISSING"; return; }
  log "f1. the minimal redeem statement in pgbench, best of $MIN_CLIENTS clients"
  cat >"$WORK/minimal.sql" <<SQL
\\set k :k + 1
\\set id :off + :client_id + :nc * (:k - 1) + 1
WITH u AS (UPDATE coupons SET uses = uses + 1 WHERE serial = (SELECT b.serial FROM bench_min_serials b WHERE b.i = :id) AND uses < max_uses RETURNING serial, campaign_id) INSERT INTO redemptions (coupon_serial, campaign_id, store_id, terminal, txn_id, basket_cents, discount_cents) SELECT serial, campaign_id, $STORE, 'pgbench-minimal', 'm' || serial, $BASKET, $((BASKET / 10)) FROM u;
SQL
  local r nc best bestc per runs ok pb k V=() C=() R=() NCS=() line
  runs=$(wc -w <<<"$MIN_CLIENTS")
  per=$((MIN_POOL / runs))
  for r in $(seq 1 "$ROUNDS"); do
    pb=$(issue "$(new_campaign "bench-minimal-$r")" "$MIN_POOL")
    serial_table bench_min_serials "$pb"
    best=0 bestc=0 line="" k=0
    for nc in $MIN_CLIENTS; do
      checkpoint
      side_reset pgbench
      run_pgbench "$WORK/minimal.sql" -c "$nc" -j "$nc" -D k=0 -D nc="$nc" -D off=$((k * per))
      k=$((k + 1))
      [ "$NTX" -lt "$per" ] || die "the minimal statement used all $per coupons of a run: raise BENCH_MIN_POOL"
      line+="${line:+, }$nc clients $(fmt "$(side_rate pgbench)")/s ($(side_cpu pgbench pgbench | sed 's/;.*//'))"
      if awk -v a="$(side_rate pgbench)" -v b="$best" 'BEGIN {exit !(a > b)}'; then
        best=$(side_rate pgbench) bestc=$nc
      fi
    done
    ok=$(psqlq -c "SELECT count(*) FROM redemptions WHERE terminal = 'pgbench-minimal' AND coupon_serial IN (SELECT serial FROM bench_min_serials)")
    local v=${RATE_c_ROUNDS[$((r - 1))]:-${RATE_c:-0}}
    V+=("$v") C+=("$best") R+=("$(div "$v" "$best")") NCS+=("$bestc")
    DETAILS+=("| f1 | $r | coupond $(fmt "$v")/s (round $r of c, --threads $NDB) | minimal statement, best $(fmt "$best")/s at $bestc clients: $line; $ok redemptions written | $(div "$v" "$best") |")
    log "  round $r: minimal statement best $best/s at $bestc clients"
  done
  local rr
  rr=$(median "${R[@]}")
  add_row f1 "Redemptions/s vs the minimal redeem statement (pgbench, best of $MIN_CLIENTS clients: $(printf '%s\n' "${NCS[@]}" | sort -n | uniq -c | awk '{printf "%s%s×%s", (NR > 1 ? ", " : ""), $1, $2}'))" \
    "$(fmt "$(median "${V[@]}")")" "$(fmt "$(median "${C[@]}")")" "$rr" "≥ 0.85" "$(verdict "$rr" 0.85)"
}

# ---------------------------------------------------------------- f2, f3. checks' frames
ceiling_checks() {
  if [ -n "$CHECK_MISSING" ]; then
    not_measured f2 "Checks/s vs GET /healthz" "≥ 0.80" "$CHECK_MISSING"
    return
  fi
  log "f2. checks vs GET /healthz (mTLS, $CONNS connections); f3. vs a pgbench primary-key lookup"
  local r side v c V=() C=() R=() Q=()
  for r in $(seq 1 "$ROUNDS"); do
    side_reset coupond; side_reset healthz
    for side in $(abba "$r" coupond healthz); do
      if [ "$side" = coupond ]; then
        run_loadgen coupond check-f2 "${MTLS[@]}" -d "$SECS" -p /v1/checks --bodies "$WORK/check-bodies.txt" --wrap --expect 200
      else
        run_loadgen healthz healthz-f2 "${MTLS[@]}" -d "$SECS" -p /healthz --expect 200
      fi
    done
    v=$(side_rate coupond) c=$(side_rate healthz)
    V+=("$v") C+=("$c") R+=("$(div "$v" "$c")") Q+=("$(cpu_ratio healthz coupond)")
    DETAILS+=("| f2 | $r | checks $(fmt "$v")/s; $(side_cpu coupond "$LG_NAME") | GET /healthz $(fmt "$c")/s; $(side_cpu healthz "$LG_NAME") | $(div "$v" "$c") (by CPU: ${Q[-1]:-—}) |")
    log "  round $r: checks $v/s, /healthz $c/s"
  done
  local rf
  rf=$(median "${R[@]}")
  CHECK_ROUNDS=("${V[@]}")
  add_row f2 "Checks/s vs GET /healthz, same $CONNS mTLS connections and load generator" \
    "$(fmt "$(median "${V[@]}")")" "$(fmt "$(median "${C[@]}")")" "$rf" "≥ 0.80" "$(verdict "$rf" 0.80)" "$(median "${Q[@]}")"
  # f3: for information, the check's SQL at its least: the coupon and its campaign by key.
  cat >"$WORK/lookup.sql" <<SQL
\\set id random(1, $CHECK_POOL)
SELECT k.uses, k.max_uses, k.card_serial, c.starts_at, c.ends_at, c.offer_kind, c.offer_value, c.min_basket_cents, c.stores FROM bench_check_serials b JOIN coupons k ON k.serial = b.serial JOIN campaigns c ON c.id = k.campaign_id WHERE b.i = :id;
SQL
  V=() C=() R=()
  for r in $(seq 1 "$ROUNDS"); do
    side_reset pgbench
    run_pgbench "$WORK/lookup.sql"
    v=${CHECK_ROUNDS[$((r - 1))]:-0} c=$(side_rate pgbench)
    V+=("$v") C+=("$c") R+=("$(div "$v" "$c")")
    DETAILS+=("| f3 | $r | checks $(fmt "$v")/s (round $r of f2) | pgbench primary-key lookup of coupon and campaign, $NDB clients: $(fmt "$c")/s; $(side_cpu pgbench pgbench) | $(div "$v" "$c") |")
  done
  rf=$(median "${R[@]}")
  add_row f3 "Checks/s vs a pgbench primary-key lookup of coupon + campaign, $NDB clients (information)" \
    "$(fmt "$(median "${V[@]}")")" "$(fmt "$(median "${C[@]}")")" "$rf" "—" "information"
}

# ---------------------------------------------------------------- f4. latency, open loop
ceiling_latency() {
  [ -z "$REDEEM_MISSING" ] || { not_measured f4 "Redemption p99 at 70 % of the highest rate" "≤ 2 ms" "$REDEEM_MISSING"; return; }
  local rate n r P50=() P99=() RPS=()
  LATMIN_P99=()
  rate=$(calc "%.0f" "0.7 * ${RATE_c:-0}")
  [ "$rate" -gt 0 ] || { add_row f4 "Redemption p99 at 70 % of the highest rate" "—" "—" "—" "≤ 2 ms" "not measured: no rate from c"; return; }
  n=$((rate * LAT_SECS * 11 / 10 + 100))
  log "f4. redemption latency, open loop at $rate/s (70 % of $(fmt "$RATE_c")/s) for $LAT_SECS s"
  for r in $(seq 1 "$ROUNDS"); do
    issue_codes "bench-latency-$r" "$n"
    awk -v t="f4$r-$T0" -v b="$BASKET" '{printf "{\"code\":\"%s\",\"basket_cents\":%d,\"txn_id\":\"lat%s-%d\"}\n", $1, b, t, NR}' \
      "$WORK/codes.txt" >"$WORK/latency.txt"
    checkpoint
    side_reset coupond
    run_loadgen coupond "latency-f4" "${MTLS[@]}" -d "$LAT_SECS" --rate "$rate" -p /v1/redemptions --bodies "$WORK/latency.txt" --expect 201
    [ "$(kv "$LINE" exhausted)" = 0 ] || log "  f4 ran out of coupons"
    P50+=("$(kv "$LINE" p50_ms)") P99+=("$(kv "$LINE" p99_ms)") RPS+=("$(kv "$LINE" rps)")
    DETAILS+=("| f4 | $r | $(kv "$LINE" requests) redemptions at $rate/s scheduled ($(kv "$LINE" rps)/s done): p50 $(kv "$LINE" p50_ms) ms, p90 $(kv "$LINE" p90_ms) ms, p99 $(kv "$LINE" p99_ms) ms, max $(kv "$LINE" max_ms) ms, status $(kv "$LINE" status); $(side_cpu coupond "$LG_NAME") | open loop, $CONNS connections | — |")
    log "  round $r: p50 $(kv "$LINE" p50_ms) ms, p99 $(kv "$LINE" p99_ms) ms"
    latency_minimal "$r" "$rate" "$n"
  done
  local p99
  p99=$(median "${P99[@]}")
  add_row f4 "Redemption latency at $rate/s (70 % of c), open loop: p50 $(median "${P50[@]}") ms; p99 (ms)" \
    "$p99" "2 (the bar)" "$(div "$p99" 2)" "p99 ≤ 2 ms" \
    "$(awk -v p="$p99" 'BEGIN {print (p != "" && p + 0 <= 2) ? "pass" : "**FAIL**"}')"
  # f4r: the same p99 against PostgreSQL's own at that rate (the reference below): the bar a
  # durable service can meet on any disk (proposed in issue 12's note; a ratio, so the
  # disk's flush tail, which neither side can avoid, cancels out).
  local ref
  ref=$(median "${LATMIN_P99[@]}")
  add_row f4r "Redemption p99 at $rate/s vs the minimal redeem statement's p99 in pgbench at the same rate (ms; proposed bar)" \
    "$p99" "$ref" "$(div "$p99" "$ref")" "≤ 1.5 (proposed)" \
    "$(awk -v p="$p99" -v r="$ref" 'BEGIN {print (r + 0 > 0 && p / r <= 1.5) ? "pass" : "**FAIL**"}')"
}

# latency_minimal ROUND RATE POOL: the reference for f4 (information): the minimal redeem
# statement of f1 in pgbench at the same rate (-R: Poisson arrivals, each transaction's
# latency counted from its scheduled start, like loadgen's) with BENCH_DB_CONNS clients, on
# fresh coupons: what PostgreSQL alone answers at that rate, its commits' flushes included.
latency_minimal() {
  local r=$1 rate=$2 pb
  pb=$(issue "$(new_campaign "bench-latmin-$r")" "$3")
  serial_table bench_lat_serials "$pb"
  sed 's/bench_min_serials/bench_lat_serials/; s/pgbench-minimal/pgbench-latency/' "$WORK/minimal.sql" >"$WORK/latmin.sql"
  checkpoint
  rm -f "$WORK"/latlog*
  side_reset pgbench
  run_pgbench "$WORK/latmin.sql" -T "$LAT_SECS" -R "$rate" -l --log-prefix="$WORK/latlog" -D k=0 -D nc="$NDB" -D off=0
  # per-transaction log: client, number, latency µs (from the scheduled start), ...
  LATMIN=$(cat "$WORK"/latlog* | awk '{print $3 / 1000}' | sort -g | awk '{a[NR] = $1}
    END {if (NR) printf "p50 %.3f ms, p99 %.3f ms, max %.3f ms over %d transactions", a[int(NR * 0.5) + 1], a[int(NR * 0.99) + 1], a[NR], NR}')
  LATMIN_P99+=("$(cat "$WORK"/latlog* | awk '{print $3 / 1000}' | sort -g | awk '{a[NR] = $1} END {if (NR) printf "%.3f", a[int(NR * 0.99) + 1]}')")
  DETAILS+=("| f4 | $r | (reference) the minimal redeem statement in pgbench at $rate/s (-R, Poisson arrivals), $NDB clients: $LATMIN; $(side_cpu pgbench pgbench) | — | — |")
  log "  round $r: the minimal statement at $rate/s in pgbench: $LATMIN"
}

# What each row measures (for the report).
ceilings_doc() {
  cat <<'EOF'
- **f1** — the ceiling of redemptions (issue 12): the minimal redeem statement, one
  `UPDATE coupons … RETURNING` feeding one `INSERT INTO redemptions` in one statement (the
  script is below), in pgbench `-M prepared` on the same database, at 2, 4 and 8 clients
  (fresh coupons for every run); the best of the three is the ceiling, and coupond's figure
  is c's (coupond with `--threads` = BENCH_DB_CONNS database connections).
- **f2** — `POST /v1/checks` against `GET /healthz` (one `SELECT 1` round trip: the frame
  every request pays, TLS, HTTP and a round trip) over the same kept-alive mutual-TLS
  connections and load generator, A B B A.
- **f3** — for information: the checks of f2 against pgbench reading the coupon joined with
  its campaign by primary key (what a check must read), `-M prepared`, BENCH_DB_CONNS clients.
- **f4** — redemption latency with an open-loop load generator (`loadgen_ossl --rate`:
  requests start at a constant rate whatever the answers' pace, and each one's latency counts
  from its scheduled time) at 70 % of c's rate, fresh coupons, p50 and p99. For reference
  (no bar), each round also runs f1's minimal statement in pgbench at the same rate (`-R`,
  latency from each transaction's scheduled start): what PostgreSQL alone answers at that
  rate on this machine and disk, the commit's flush included.
- **f4r** — f4's p99 against that reference's p99 (medians of the rounds): the bar proposed
  in place of f4's absolute 2 ms, which PostgreSQL alone does not meet on this disk.
EOF
}
