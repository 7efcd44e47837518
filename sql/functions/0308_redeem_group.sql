-- Group commit (issue 12's stretch): several tills' plain redemptions in one transaction.

-- redeem_group_order(...): the N requests of a group, given as parallel arrays (1-based
-- position ORD), locked and put in the order redeem() takes them. Used in one statement with
-- redeem() (db_statements.c, "redeem_group"):
--   SELECT o.ord, r.* FROM redeem_group_order(...) o CROSS JOIN LATERAL redeem(o.serial, ...) r
-- so the group is one transaction with one commit (one WAL flush for all), and each request is
-- judged by redeem() itself, in turn: every rule, key, guard and event is the same as alone,
-- and requests of one group see each other as if they had come one after another (the same
-- txn_id twice: the second is a replay or a conflict). Only plain requests come here (no card,
-- receipt, VAT parts or offline time; coupond sends those alone).
-- Lock order: a group first locks all its coupons in serial order, then runs its requests by
-- campaign, then serial, so a capped campaign's counter is taken in campaign order: two groups
-- (or a group and a single redemption, which locks its coupon, then its campaign) cannot wait
-- for each other in a circle. Anything that still fails (a deadline, a deadlock PostgreSQL
-- broke) rolls back the whole group, and coupond sends each of its requests alone.
CREATE OR REPLACE FUNCTION redeem_group_order(
    p_serials bigint[], p_stores integer[], p_terminals text[], p_txns text[],
    p_baskets bigint[], p_bounce integer[])
RETURNS TABLE (ord integer, serial bigint, store integer, terminal text, txn text,
               basket bigint, bounce boolean)
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM coupons k WHERE k.serial = ANY (p_serials) ORDER BY k.serial
        FOR NO KEY UPDATE;
    RETURN QUERY
        SELECT u.i::integer, u.s, u.st, u.t, u.x, u.b, u.bo <> 0
          FROM unnest(p_serials, p_stores, p_terminals, p_txns, p_baskets, p_bounce)
               WITH ORDINALITY AS u(s, st, t, x, b, bo, i)
          LEFT JOIN coupons k ON k.serial = u.s
         ORDER BY k.campaign_id NULLS FIRST, u.s, u.i;
END;
$$;
