#!/usr/bin/env python3
"""The chaos suite's auditor: an independent, bank-style check of coupond's books after a
run, written against the tables (sql/migrations), not against coupond's code.

It loads what the tills were told (ops-*.tsv of chaos_tills) into chaos_audit.acks and
proves with plain SQL:
  - every acknowledged operation exists exactly once, with the id, amounts and target the
    till was given; every refused one wrote nothing; nothing was written that no till was
    told of; no operation stayed unanswered;
  - every coupon's uses equal its live (not voided) redemptions, within max_uses;
  - every capped campaign's counter equals its live redemptions, within its cap;
  - every card's balance equals its ledger sum and the sum of its lots; each ledger row's
    balance_after is the running sum; each lot's remaining is its points plus its moves;
  - a points coupon credited its card once, and its void took it back once;
  - nothing is negative.
Usage: audit.py CONNINFO OUT_DIR SEED  (prints JSON; exits 1 on any violation)"""
import glob
import json
import os
import subprocess
import sys

conninfo, out, seed = sys.argv[1], sys.argv[2], sys.argv[3]
prefix = f"chaos-{seed}-%"


def psql(sql, *extra):
    r = subprocess.run(["psql", conninfo, "-X", "-q", "-At", "-F", "\t", "-v", "ON_ERROR_STOP=1",
                        "-v", f"prefix={prefix}", *extra], input=sql, capture_output=True,
                       text=True)
    if r.returncode != 0:
        sys.exit(f"audit: psql failed: {r.stderr}")
    return [line.split("\t") for line in r.stdout.splitlines() if line]


combined = os.path.join(out, "acks.tsv")
with open(combined, "w") as f:
    for path in sorted(glob.glob(os.path.join(out, "ops-*.tsv"))):
        with open(path) as g:
            f.write(g.read())

psql(f"""
CREATE SCHEMA IF NOT EXISTS chaos_audit;
DROP TABLE IF EXISTS chaos_audit.acks;
CREATE TABLE chaos_audit.acks (kind text, txn text PRIMARY KEY, target text, amount bigint,
    outcome text, http int, err text, id bigint, value bigint, attempts int);
\\copy chaos_audit.acks FROM '{combined}'
""")

A = "chaos_audit.acks"
LIVE = "NOT EXISTS (SELECT 1 FROM redemption_voids v WHERE v.redemption_id = r.id)"
checks = {
    # what the tills were told, against the rows
    "lost_redemptions": f"""SELECT a.txn FROM {A} a WHERE a.kind = 'R' AND a.outcome = 'ACK'
        AND (SELECT count(*) FROM redemptions r WHERE r.txn_id = a.txn AND r.id = a.id
             AND r.discount_cents = a.value AND r.basket_cents = a.amount) <> 1""",
    "lost_card_bookings": f"""SELECT a.txn FROM {A} a WHERE a.kind IN ('E', 'B') AND a.outcome = 'ACK'
        AND (SELECT count(*) FROM card_transactions t WHERE t.txn_id = a.txn AND t.id = a.id
             AND t.kind = CASE a.kind WHEN 'E' THEN 'earn' ELSE 'burn' END
             AND t.points = CASE a.kind WHEN 'E' THEN a.value ELSE -a.amount END
             AND (a.kind = 'B' OR t.basket_cents = a.amount)) <> 1""",
    "lost_redemption_voids": f"""SELECT a.txn FROM {A} a WHERE a.kind = 'VR' AND a.outcome = 'ACK'
        AND (SELECT count(*) FROM redemption_voids v WHERE v.txn_id = a.txn AND v.id = a.id
             AND v.redemption_id = a.target::bigint) <> 1""",
    "lost_card_voids": f"""SELECT a.txn FROM {A} a WHERE a.kind = 'VC' AND a.outcome = 'ACK'
        AND (SELECT count(*) FROM card_transactions t WHERE t.txn_id = a.txn AND t.kind = 'void'
             AND t.voids = a.target::bigint) <> 1""",
    "refused_but_written": f"""SELECT a.txn FROM {A} a WHERE a.outcome <> 'ACK' AND (
        EXISTS (SELECT 1 FROM redemptions r WHERE r.txn_id = a.txn)
        OR EXISTS (SELECT 1 FROM redemption_voids v WHERE v.txn_id = a.txn)
        OR EXISTS (SELECT 1 FROM card_transactions t WHERE t.txn_id = a.txn))""",
    "written_but_never_acknowledged": f"""
        SELECT txn_id FROM redemptions WHERE txn_id LIKE :'prefix'
          AND txn_id NOT IN (SELECT txn FROM {A} WHERE kind = 'R' AND outcome = 'ACK')
        UNION ALL SELECT txn_id FROM redemption_voids WHERE txn_id LIKE :'prefix'
          AND txn_id NOT IN (SELECT txn FROM {A} WHERE kind = 'VR' AND outcome = 'ACK')
        UNION ALL SELECT txn_id FROM card_transactions WHERE txn_id LIKE :'prefix'
          AND txn_id NOT IN (SELECT txn FROM {A} WHERE kind IN ('E', 'B', 'VC') AND outcome = 'ACK')""",
    "doubled_txn_ids": """
        SELECT txn_id FROM redemptions WHERE txn_id LIKE :'prefix' GROUP BY txn_id HAVING count(*) > 1
        UNION ALL SELECT txn_id FROM redemption_voids WHERE txn_id LIKE :'prefix' GROUP BY txn_id HAVING count(*) > 1
        UNION ALL SELECT txn_id FROM card_transactions WHERE txn_id LIKE :'prefix' GROUP BY txn_id HAVING count(*) > 1""",
    "unanswered": f"SELECT txn FROM {A} WHERE outcome = 'UNANSWERED'",
    "wrong_refusals": f"""SELECT txn || ' ' || kind || ' ' || http || ' ' || err FROM {A}
        WHERE outcome = 'REFUSED' AND NOT (
            (kind = 'R' AND err IN ('already_redeemed', 'campaign_exhausted'))
         OR (kind = 'B' AND err = 'insufficient_points')
         OR (kind IN ('VR', 'VC') AND err = 'insufficient_points'))""",
    # the books themselves, over the whole database
    "coupon_uses_vs_live_redemptions": f"""SELECT c.serial FROM coupons c
        WHERE c.uses <> (SELECT count(*) FROM redemptions r WHERE r.coupon_serial = c.serial AND {LIVE})
           OR c.uses > c.max_uses OR c.uses < 0""",
    "capped_counter_vs_live_redemptions": f"""SELECT c.id FROM campaigns c
        WHERE c.max_redemptions IS NOT NULL AND (c.limited_uses > c.max_redemptions
           OR c.limited_uses <> (SELECT count(*) FROM redemptions r WHERE r.campaign_id = c.id AND {LIVE}))""",
    "card_balance_vs_ledger_and_lots": """SELECT k.serial FROM cards k
        WHERE k.balance <> coalesce((SELECT sum(points) FROM card_transactions t WHERE t.card_serial = k.serial), 0)
           OR k.balance <> coalesce((SELECT sum(remaining) FROM card_lots l WHERE l.card_serial = k.serial), 0)""",
    "ledger_running_balance": """SELECT id FROM (SELECT id, balance_after,
            sum(points) OVER (PARTITION BY card_serial ORDER BY id) AS running FROM card_transactions) x
        WHERE balance_after <> running""",
    "lot_remaining_vs_moves": """SELECT l.id FROM card_lots l
        WHERE l.remaining <> l.points + coalesce((SELECT sum(m.points) FROM card_lot_moves m WHERE m.lot_id = l.id), 0)
           OR l.remaining < 0 OR l.remaining > l.points""",
    "points_coupon_credit_once": f"""SELECT r.id FROM redemptions r
        WHERE r.points > 0 AND r.card_serial IS NOT NULL AND (
           (SELECT count(*) FROM card_transactions t WHERE t.redemption_id = r.id AND t.kind = 'coupon') <> 1
        OR (SELECT count(*) FROM card_transactions t WHERE t.redemption_id = r.id AND t.kind = 'coupon_void')
           <> CASE WHEN {LIVE} THEN 0 ELSE 1 END)""",
    "negative": """SELECT 'card ' || serial FROM cards WHERE balance < 0
        UNION ALL SELECT 'coupon ' || serial FROM coupons WHERE uses < 0
        UNION ALL SELECT 'campaign ' || id FROM campaigns WHERE limited_uses < 0
        UNION ALL SELECT 'ledger ' || id FROM card_transactions WHERE balance_after < 0
        UNION ALL SELECT 'lot ' || id FROM card_lots WHERE remaining < 0""",
}
violations = {}
for name, sql in checks.items():
    rows = psql(sql + ";")
    violations[name] = {"count": len(rows), "examples": [r[0] for r in rows[:5]]}

counts = psql(f"SELECT kind, outcome, count(*) FROM {A} GROUP BY 1, 2 ORDER BY 1, 2;")
by_kind = {}
for kind, outcome, n in counts:
    by_kind.setdefault(kind, {})[outcome] = int(n)
attempts = psql(f"SELECT sum(attempts), max(attempts), count(*) FILTER (WHERE attempts > 1) FROM {A};")[0]
lost = sum(violations[k]["count"] for k in
           ("lost_redemptions", "lost_card_bookings", "lost_redemption_voids", "lost_card_voids"))
doubled = sum(violations[k]["count"] for k in
              ("doubled_txn_ids", "written_but_never_acknowledged", "refused_but_written"))
summary = {
    "operations": sum(sum(v.values()) for v in by_kind.values()),
    "acknowledged": sum(v.get("ACK", 0) for v in by_kind.values()),
    "refused": sum(v.get("REFUSED", 0) for v in by_kind.values()),
    "unanswered": violations["unanswered"]["count"],
    "lost": lost,
    "doubled": doubled,
    "attempts": int(attempts[0] or 0),
    "max_attempts_one_operation": int(attempts[1] or 0),
    "operations_retried": int(attempts[2] or 0),
    "violations": sum(v["count"] for v in violations.values()),
}
print(json.dumps({"summary": summary, "by_kind": by_kind, "checks": violations}, indent=1))
sys.exit(1 if summary["violations"] else 0)
