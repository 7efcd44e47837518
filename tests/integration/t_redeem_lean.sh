#!/usr/bin/env bash
# redeem_lean_undoes_what_a_used_key_found: the lean redeem() books a new redemption before it
# knows its key is new (the key's INSERT is the gate), so a replay that gets that far must leave
# nothing behind. A code of 5 uses in a campaign capped at 2: the first redemption takes use 1
# and the counter to 1; its replay passes the guarded use (a use is left) and the counter (it
# reaches the cap, and the outbox trigger queues campaign.exhausted), then finds the key used:
# it must answer replay with the first answer, and leave uses at 1, the counter at 1, one
# redemption, and no campaign.exhausted event (the counter's subtransaction rolled back with its
# event). Another request under the same key with another basket is a conflict, and changes
# nothing either. A second redemption under a new key then takes the counter to the cap (one
# campaign.exhausted), and a third is campaign_exhausted with the use given back.
set -euo pipefail
: "${COUPOND_DB:?}"
q() { psql "$COUPOND_DB" -qAtX -v ON_ERROR_STOP=1 -c "$1"; }
tag="lean-$$-$(date +%s%N)"
cid=$(q "INSERT INTO campaigns (name, channel, cost_cents, starts_at, ends_at, offer_kind,
                                 offer_value, created_by, in_home_date, max_redemptions)
         VALUES ('$tag', 'mailing', 100, now() - interval '1 day', now() + interval '1 day',
                 'percent', 10, 'test', current_date, 2) RETURNING id")
serial=$(q "SELECT coalesce(max(serial), 0) + 1000 FROM coupons")
bid=$(q "INSERT INTO coupon_batches (campaign_id, first_serial, last_serial, count, max_uses,
                                      created_by)
         VALUES ($cid, $serial, $serial, 1, 5, 'test') RETURNING id")
q "INSERT INTO coupons (serial, campaign_id, batch_id, max_uses) VALUES ($serial, $cid, $bid, 5)"
redeem() { # redeem TXN BASKET: status,redemption_id,discount_cents
  q "SELECT status || ',' || coalesce(redemption_id::text, '') || ',' || coalesce(discount_cents::text, '')
       FROM redeem($serial, 1, '$tag', '$1', $2, NULL, NULL)"
}
state() { # uses,limited_uses,redemptions,exhausted events
  q "SELECT (SELECT uses FROM coupons WHERE serial = $serial) || ',' ||
            (SELECT limited_uses FROM campaigns WHERE id = $cid) || ',' ||
            (SELECT count(*) FROM redemptions WHERE coupon_serial = $serial) || ',' ||
            ((SELECT count(*) FROM event_queue WHERE type = 'campaign.exhausted' AND campaign_id = $cid)
             + (SELECT count(*) FROM events WHERE type = 'campaign.exhausted' AND campaign_id = $cid))"
}
expect() { [ "$2" = "$3" ] || { echo "$1: got '$2', expected '$3'"; exit 1; }; }

first=$(redeem t1 2500)
expect "first redemption" "${first%%,*}" ok
expect "after the first" "$(state)" "1,1,1,0"
again=$(redeem t1 2500)
expect "its replay" "$again" "replay,${first#ok,}"
expect "after the replay" "$(state)" "1,1,1,0"
other=$(redeem t1 9999)
expect "the same key, another basket" "${other%%,*}" conflict
expect "after the conflict" "$(state)" "1,1,1,0"
second=$(redeem t2 2500)
expect "second redemption" "${second%%,*}" ok
expect "after the second" "$(state)" "2,2,2,1"
third=$(redeem t3 2500)
expect "third redemption" "${third%%,*}" campaign_exhausted
expect "after the third" "$(state)" "2,2,2,1"
expect "replay of the first at the cap" "$(redeem t1 2500)" "replay,${first#ok,}"
expect "after that replay" "$(state)" "2,2,2,1"
echo "lean redeem: replay and conflict at a capped campaign leave no use, count or event behind"
