-- till_txn_lock(terminal, txn, ledger): the idempotency prologue of every till write (redeem,
-- redemption void, card earn, burn and void): requests with the same (terminal, txn_id) in
-- one LEDGER ('redemptions', 'redemption_voids' or 'cards') queue here until the first one's
-- transaction ends, so a retry racing its original finds it (the caller's next statement
-- looks it up) and replays it.
-- A SQL function the planner inlines into the caller's PERFORM: no statement and no plan of its
-- own (EXPLAIN VERBOSE shows pg_advisory_xact_lock(hashtextextended(...)) in the caller's
-- plan), so the hot path costs what it cost with the expression written out.
CREATE OR REPLACE FUNCTION till_txn_lock(p_terminal text, p_txn text, p_ledger text)
RETURNS void
LANGUAGE sql VOLATILE AS $$
    SELECT pg_advisory_xact_lock(hashtextextended(p_terminal || '/' || p_txn,
                                                  CASE p_ledger WHEN 'redemptions' THEN 7316104
                                                                WHEN 'redemption_voids' THEN 7316105
                                                                ELSE 7316106 END))
$$;
