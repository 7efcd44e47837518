#!/usr/bin/env bash
# check_fast_answers_as_coupon_check: the check's one-statement form (coupon_check_fast(), 0307)
# answers exactly what coupon_check() answers, or says it cannot (full_check, and coupond then
# asks coupon_check()), over a matrix of coupons and campaigns in every state a check can meet
# (live percent, amount and points offers, a multiplying one, a minimum basket, paused, ended
# early, not started, past its end, other stores, a capped campaign at its cap, a voided batch,
# a coupon bound to a card, a used-up coupon, limits per card, an unknown serial) times two
# stores, two baskets and three cards (none, a known one, an unknown one). coupond's db_check()
# reads the fast answer as: no row is not_found; a refusal's discount and points are 0; with
# full_check, coupon_check() answers. The test applies the same reading, requires every
# refusal word to be met on the fast path (so that the matrix cannot shrink to nothing), and
# requires coupond's prepared statement to keep no function call in its plan (the verdict,
# the discount and the points inlined: what makes it cheap; docs/BENCHMARKS.md).
set -euo pipefail
: "${COUPOND_DB:?}"
q() { psql "$COUPOND_DB" -qAtX -v ON_ERROR_STOP=1 "$@"; }
tag="fast-$$-$(date +%s%N)"
# Serials reserved from the counters as an issue would, so that no later issue in the same
# database (the suite shares one) meets them: 16 coupons and 2 cards (the second never made).
base=$(q -c "UPDATE serial_counters SET next_serial = next_serial + 16 WHERE kind = 'coupon'
             RETURNING next_serial - 16")
card=$(q -c "UPDATE serial_counters SET next_serial = next_serial + 2 WHERE kind = 'card'
             RETURNING next_serial - 2")
q -c "INSERT INTO cards (serial) VALUES ($card)"

# One campaign per state, one batch each; the coupons by offset from BASE:
#  0 percent  1 amount, min basket 30.00  2 paused  3 ended early  4 not started  5 past its end
#  6 stores 2 and 3  7 points  8 points x3  9 capped at its cap  10 a voided batch
#  11 a campaign with a limit per card  12 bound to CARD  13 used up (redeemed)
#  14 a coupon with a limit per card  15 no coupon (not_found)
q >/dev/null <<SQL
DO \$\$
DECLARE
    st text[] := '{percent,amount_min,paused,ended_early,not_started,past_end,stores_2_3,points,
                   points_x3,capped,voided,per_card,card_bound,used_up,coupon_per_card}';
    c bigint;
    b bigint;
BEGIN
    FOR i IN 0 .. 14 LOOP
        INSERT INTO campaigns (name, channel, cost_cents, starts_at, ends_at, offer_kind,
                               offer_value, offer_multiply, min_basket_cents, max_redemptions,
                               stores, max_per_card, created_by, in_home_date)
        VALUES ('$tag ' || st[i + 1], 'mailing', 100,
                now() + CASE st[i + 1] WHEN 'not_started' THEN interval '1 day'
                                       WHEN 'past_end' THEN interval '-2 days'
                                       ELSE interval '-1 day' END,
                now() + CASE st[i + 1] WHEN 'not_started' THEN interval '2 days'
                                       WHEN 'past_end' THEN interval '-1 day'
                                       ELSE interval '1 day' END,
                CASE WHEN st[i + 1] IN ('amount_min', 'stores_2_3', 'per_card') THEN 'amount'
                     WHEN st[i + 1] LIKE 'points%' THEN 'points' ELSE 'percent' END,
                CASE st[i + 1] WHEN 'amount_min' THEN 500 WHEN 'stores_2_3' THEN 300
                               WHEN 'per_card' THEN 200 WHEN 'points' THEN 50
                               WHEN 'points_x3' THEN 3 ELSE 10 END,
                st[i + 1] = 'points_x3',
                CASE WHEN st[i + 1] = 'amount_min' THEN 3000 ELSE 0 END,
                CASE WHEN st[i + 1] = 'capped' THEN 1 END,
                CASE WHEN st[i + 1] = 'stores_2_3' THEN '{2,3}'::integer[] END,
                CASE WHEN st[i + 1] = 'per_card' THEN 2 END,
                'test', current_date)
        RETURNING id INTO c;
        INSERT INTO coupon_batches (campaign_id, first_serial, last_serial, count, created_by)
        VALUES (c, $base + i, $base + i, 1, 'test') RETURNING id INTO b;
        INSERT INTO coupons (serial, campaign_id, batch_id, card_serial, max_per_card)
        VALUES ($base + i, c, b, CASE WHEN st[i + 1] = 'card_bound' THEN $card END,
                CASE WHEN st[i + 1] = 'coupon_per_card' THEN 1 END);
        CASE st[i + 1]
            WHEN 'paused' THEN UPDATE campaigns SET paused_at = now() - interval '1 hour' WHERE id = c;
            WHEN 'ended_early' THEN UPDATE campaigns SET ended_at = now() - interval '1 hour' WHERE id = c;
            WHEN 'capped' THEN UPDATE campaigns SET limited_uses = 1 WHERE id = c;
            WHEN 'voided' THEN UPDATE campaigns SET voided_batches = ARRAY[b] WHERE id = c;
            ELSE NULL;
        END CASE;
    END LOOP;
    PERFORM redeem($base + 13, 1, '$tag', 'used', 2500, NULL, NULL);
END
\$\$;
SQL

# The matrix, read as db_check() reads the fast answer; one line per disagreement, then the
# words met on the fast path and through coupon_check().
out=$(q <<SQL
WITH m AS (
    SELECT row_number() OVER () AS n, $base + i AS serial, st, bk, cd
      FROM generate_series(0, 15) i, (VALUES (1), (2)) s (st), (VALUES (2500), (5000)) b (bk),
           (VALUES (NULL::bigint), ($card), ($card + 1)) d (cd)),
f AS (
    SELECT m.*, coalesce(x.status, 'not_found') AS status, coalesce(x.full_check, false) AS full,
           CASE WHEN x.status = 'ok' THEN x.discount_cents ELSE 0 END AS discount,
           CASE WHEN x.status = 'ok' THEN x.points ELSE 0 END AS points, x.campaign_id
      FROM m LEFT JOIN LATERAL coupon_check_fast(m.serial, m.st, m.bk, m.cd) x ON true),
c AS (
    SELECT m.n, y.* FROM m, LATERAL coupon_check(m.serial, m.st, m.bk, m.cd) y)
SELECT 'differs: ' || f.serial - $base || ' store ' || f.st || ' basket ' || f.bk || ' card '
       || coalesce(f.cd::text, '-') || ': fast ' || f.status || ' ' || f.discount || ' '
       || f.points || ' ' || coalesce(f.campaign_id::text, '-') || ', coupon_check '
       || c.status || ' ' || coalesce(c.discount_cents::text, '-') || ' '
       || coalesce(c.points::text, '-') || ' ' || coalesce(c.campaign_id::text, '-')
  FROM f JOIN c USING (n)
 WHERE NOT f.full
   AND (f.status <> c.status::text OR f.campaign_id IS DISTINCT FROM c.campaign_id
        OR (c.status <> 'not_found'
            AND (f.discount <> c.discount_cents OR f.points <> c.points))
        OR c.redeemed_at IS NOT NULL OR c.redeemed_store IS NOT NULL
        OR c.receipt_discount_cents IS NOT NULL OR c.receipt_coupons IS NOT NULL)
UNION ALL
SELECT 'fast: ' || string_agg(DISTINCT f.status, ' ') FROM f WHERE NOT f.full
UNION ALL
SELECT 'full: ' || string_agg(DISTINCT c.status, ' ')
  FROM f JOIN c USING (n) WHERE f.full
UNION ALL
SELECT 'ok discounts: ' || string_agg(DISTINCT f.discount || '/' || f.points, ' ')
  FROM f WHERE NOT f.full AND f.status = 'ok'
SQL
)
echo "$out"
if grep -q '^differs' <<<"$out"; then
  echo "coupon_check_fast answers otherwise than coupon_check"
  exit 1
fi
fast=$(sed -n 's/^fast: //p' <<<"$out")
for w in ok not_found not_started expired campaign_paused wrong_store card_required wrong_card \
  unknown_card below_minimum campaign_exhausted voided_batch; do
  grep -qw "$w" <<<"$fast" || { echo "the matrix met no $w on the fast path"; exit 1; }
done
full=$(sed -n 's/^full: //p' <<<"$out")
for w in already_redeemed card_required_limit ok; do
  grep -qw "$w" <<<"$full" || { echo "the matrix met no $w through coupon_check()"; exit 1; }
done
# the offers' discounts and points (10 %, 5.00, 3.00; 50 points, x3 of 25.00 or 50.00) were met
for d in 250/0 500/0 300/0 0/50 0/100; do
  grep -qw "$d" <<<"$(sed -n 's/^ok discounts: //p' <<<"$out")" || { echo "no ok answer $d"; exit 1; }
done

# coupond's statement (db_statements.c), planned once for any arguments: no function left.
plan=$(q <<SQL
SET plan_cache_mode = force_generic_plan;
PREPARE f (bigint, integer, bigint, bigint) AS
    SELECT * FROM coupon_check_fast(\$1::bigint, \$2::integer, \$3::bigint, \$4::bigint);
EXPLAIN (VERBOSE, COSTS OFF) EXECUTE f($base, 1, 2500, $card);
SQL
)
if grep -Eq 'Function Scan|(coupon_check_fast|coupon_verdict_of|discount_of|offer_points_of)\(' <<<"$plan"; then
  echo "coupon_check_fast is no longer inlined into one plan:"
  echo "$plan"
  exit 1
fi
echo "coupon_check_fast: same answers as coupon_check over the matrix; one plan, no function call"
