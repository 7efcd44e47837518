-- What follows a booked redemption (issue 17's counter), shared by redeem() and
-- redeem_offline(): the card's points, the receipt's total, the discount per VAT rate and the
-- bounce-back coupon. Both call it only when the request carries any of these (one test, so
-- the plain redemption pays nothing for it; issue 12).

-- redemption_booked(redemption, campaign, exclusive, store, terminal, basket, card, receipt,
-- discount, points, basket_by_vat, bounce): after redemption REDEMPTION of a coupon of
-- CAMPAIGN (EXCLUSIVE: its coupons stand alone on a receipt) was inserted, in the caller's
-- transaction and after its locks on the coupon and the campaign (the lock order stays coupon,
-- campaign, receipt, card):
--   - POINTS > 0 with a CARD: credited to the card's ledger (kind 'coupon');
--   - RECEIPT: counted on the receipt's row (the caller locked it), its total and coupons after;
--   - BASKET_BY_VAT: DISCOUNT apportioned to its rates (vat_split) and kept in redemption_vat;
--   - BOUNCE: the bounce-back coupon the purchase earns, if any (bounce_for), in next_*.
-- Columns it has nothing for are NULL.
CREATE OR REPLACE FUNCTION redemption_booked(
    p_redemption bigint, p_campaign bigint, p_exclusive boolean, p_store integer,
    p_terminal text, p_basket bigint, p_card bigint, p_receipt text, p_discount bigint,
    p_points bigint, p_basket_by_vat jsonb, p_bounce boolean,
    OUT discount_by_vat jsonb, OUT receipt_discount_cents bigint, OUT receipt_coupons integer,
    OUT next_serial bigint, OUT next_campaign bigint, OUT next_card bigint,
    OUT next_ends_at bigint, OUT next_offer_kind text, OUT next_offer_value bigint,
    OUT next_min_basket bigint, OUT next_issued_at text, OUT next_pool_low boolean)
LANGUAGE plpgsql AS $$
BEGIN
    IF p_points > 0 AND p_card IS NOT NULL THEN
        -- Lock order as everywhere: coupon, campaign, then the card.
        IF card_has_due(p_card) THEN
            PERFORM card_lock(p_card);
        END IF;
        PERFORM card_credit(p_card, 'coupon', p_points, NULL, p_redemption, p_store, p_terminal,
                            NULL);
    END IF;
    IF p_receipt IS NOT NULL THEN
        SELECT * INTO receipt_discount_cents, receipt_coupons
          FROM receipt_stack_add(p_terminal, p_receipt, p_discount, p_exclusive);
    END IF;
    IF p_basket_by_vat IS NOT NULL THEN
        discount_by_vat := vat_split(p_discount, p_basket_by_vat);
        INSERT INTO redemption_vat (redemption_id, campaign_id, basket_by_vat, discount_by_vat)
        VALUES (p_redemption, p_campaign, p_basket_by_vat, discount_by_vat);
    END IF;
    IF p_bounce THEN
        SELECT * INTO next_serial, next_campaign, next_card, next_ends_at, next_offer_kind,
                      next_offer_value, next_min_basket, next_issued_at, next_pool_low
          FROM bounce_for(p_store, p_basket, p_card, p_terminal, p_receipt, p_redemption, NULL);
    END IF;
END;
$$;
