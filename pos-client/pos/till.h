/* The till's operations on coupond — check, redeem and void a coupon; issue a bonus card, show its
 * balance, earn, burn and void points — each checked locally first (typos, kind, signature),
 * journaled when it moves money, and ended in one line for the cashier and an exit status.
 * Shared by the one-shot commands (main.c) and the cashier mode (cashier.c). */
#ifndef POS_TILL_H
#define POS_TILL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "pos/api.h"
#include "pos/config.h"
#include "coupon/code.h"
#include "coupon/err.h"
#include "coupon/keys.h"
#include "pos/journal_file.h"
#include "pos/receipt.h"

/* Exit statuses, documented in --help and docs/cashier.md. */
enum pos_exit {
    POS_EXIT_OK = 0,          /* done */
    POS_EXIT_REFUSED = 1,     /* refused (by the service, or locally before any call) */
    POS_EXIT_USAGE = 2,       /* bad command line, configuration or local state */
    POS_EXIT_UNAVAILABLE = 3, /* unreachable, too slow, or failing (5xx): try again later */
};

/* Longest line and technical detail in a result. */
#define POS_LINE_SIZE   1024
#define POS_DETAIL_SIZE 512

/* The outcome of one operation. */
struct pos_result {
    enum pos_exit exit;
    enum cpn_err err;               /* CPN_OK, the refusal, or what went wrong */
    char line[POS_LINE_SIZE];       /* one line for the cashier, without a newline */
    char detail[POS_DETAIL_SIZE];   /* the technical cause for IT ("" when none) */
    bool local;                     /* decided by the till alone: no call was made */
    bool offline;                   /* check: the service was not reached; the line says what the
                                       signature alone shows */
    bool pending;                   /* a journaled call got no definite answer: its txn stays
                                       pending in the journal until a retry under the same txn id
                                       (pos_till_retry(), or TXN given again) settles it; a new call
                                       never takes it over */
    bool resolving;                 /* this call was the retry of a pending txn begun at began */
    bool offline_accepted;          /* the service could not be reached and the till accepted the
                                       call on its own (within its floor limits): discount_cents
                                       was given; the call waits in the journal for pos-client sync */
    bool maybe_sent;                /* offline_accepted: the online attempt may have reached the
                                       service (else it certainly never left the till) */
    bool syncing;                   /* this call sent a call accepted offline (with offline_at) */
    char offline_at[POS_TIME_SIZE]; /* offline_accepted, syncing: when the till accepted it */
    char offline_why[POS_DETAIL_SIZE]; /* the service could not be reached and the call was not
                                          accepted offline: why, one sentence ("" otherwise) */
    bool replayed;                     /* the service repeated its first answer to this txn id */
    char began[POS_TIME_SIZE];         /* resolving: when the pending txn was first begun */
    char code[CPN_SHORT_LEN + 1];      /* the coupon or card concerned, short form ("" when none) */
    char txn_id[POS_TXN_ID_SIZE];      /* the txn id used ("" when none) */
    int64_t discount_cents;            /* check, redeem: the discount */
    int64_t campaign_id;               /* check, redeem */
    int64_t id;                        /* redeem: redemption id; earn, burn: card transaction id */
    int64_t points;                    /* earn, burn: points booked (>= 0) */
    int64_t balance; /* card operations: the card's balance after it, -1 unknown */
    bool has_next;   /* redeem, earn: the service issued a new coupon for the next purchase */
    struct pos_next_coupon next; /* has_next: that coupon (next_coupon of the answer) */
};

/* A till: the configuration, a client for the service, and the public verification keys. */
struct pos_till;

/* A till using CFG and API (both borrowed: they must outlive it). VERBOSE adds technical causes
 * to messages where a line is printed without a result. The keys in CFG's state directory are
 * loaded when first needed. The caller owns the result (pos_till_free()); NULL when out of
 * memory. */
struct pos_till *pos_till_new(const struct pos_config *cfg, struct pos_api *api, bool verbose);

/* Frees TILL and its keys; pos_till_free(NULL) does nothing. */
void pos_till_free(struct pos_till *till);

/* The configuration TILL was made with (borrowed). */
const struct pos_config *pos_till_config(const struct pos_till *till);

/* For the receipt R of a purchase without a bonus card (WANTED): asks the service for the signed
 * receipt code that credits the purchase's points to a card later (POST /v1/receipt-codes with
 * R's txn id and total) and puts it and its deadline into R. Does nothing when not WANTED, when R
 * has no txn id or no total; a failure leaves R without a code (said on standard error when
 * verbose): the receipt is printed without it. */
void pos_till_receipt_code(struct pos_till *till, struct pos_receipt *r, bool wanted);

/* `status`: asks GET /v1/whoami who the service takes this till for; the line says it. */
void pos_till_status(struct pos_till *till, struct pos_result *res);

/* `check`: the coupon CODE (as scanned or typed) for a basket of BASKET_CENTS (0 when unknown),
 * with the bonus card CARD (NULL for none). Changes nothing. */
void pos_till_check(struct pos_till *till, const char *code, int64_t basket_cents, const char *card,
                    struct pos_result *res);

/* pos_till_check() of a coupon on the till mode's receipt RECEIPT (NULL for none): the service
 * judges it together with the coupons redeemed on that receipt already. */
void pos_till_check_on(struct pos_till *till, const char *code, int64_t basket_cents,
                       const char *card, const char *receipt, struct pos_result *res);

/* `redeem`: the coupon CODE for a basket of BASKET_CENTS with CARD (NULL for none) under TXN:
 * NULL for a new txn id (always: a new call never takes over an earlier one's txn); a txn pending
 * in the journal for the same request retries it (RES->resolving); a txn pending for another
 * request is refused (usage); any other is recorded and sent. */
void pos_till_redeem(struct pos_till *till, const char *code, int64_t basket_cents,
                     const char *card, const char *txn, struct pos_result *res);

/* pos_till_redeem() of a coupon on the till mode's receipt RECEIPT (a txn-id-shaped id of the
 * basket; NULL for none), sent as the redemption's "receipt" and kept in the journal with it, so
 * that the service applies its rules for several coupons on one receipt (their order, which may
 * be combined) and a retry sends the same request. */
void pos_till_redeem_on(struct pos_till *till, const char *code, int64_t basket_cents,
                        const char *card, const char *receipt, const char *txn,
                        struct pos_result *res);

/* `return`: books goods of RETURNED_CENTS coming back from the basket of redemption
 * REDEMPTION_ID (a partial return) under TXN (as for redeem); journaled as kind "return" (subject:
 * the redemption id, amount: the cents). RES->id is the return's id, RES->discount_cents the
 * return's share of the discount (what the customer gets back is the goods' price less it),
 * RES->points the points taken back from the card (0 when none), RES->balance the card's balance
 * after it (-1 when unknown or no card). The coupon stays used. */
void pos_till_return(struct pos_till *till, int64_t redemption_id, int64_t returned_cents,
                     const char *txn, struct pos_result *res);

/* pos_till_redeem_on() of a basket whose cents per VAT rate VAT lists as "KEY:CENTS,..." ("1:3000,
 * 2:2000" without the space: DSFinV-K's rate keys, adding up to BASKET_CENTS; NULL for none),
 * sent as basket_by_vat and kept in the journal with the request; the line ends with the
 * discount's shares by rate the service answers ("; discount by VAT rate: 1: 3.00 EUR, 2:
 * 2.00 EUR"). */
void pos_till_redeem_vat(struct pos_till *till, const char *code, int64_t basket_cents,
                         const char *card, const char *receipt, const char *vat, const char *txn,
                         struct pos_result *res);

/* `void`: reverses redemption REDEMPTION_ID under TXN (as for redeem). */
void pos_till_void(struct pos_till *till, int64_t redemption_id, const char *txn,
                   struct pos_result *res);

/* `sync`: sends the calls accepted offline, in the order they were accepted, each under its own
 * txn id with its offline time (so the service books it at most once, on that time), writing one
 * line for each that did not simply go through and a summary line to OUT (every line when
 * VERBOSE; nothing at all when QUIET and none reached the service), and stops at the first that
 * still gets no answer. A journal whose chain does not hold
 * is refused with a sentence and nothing is sent. Returns the exit status: 0 all sent (also when
 * none waited), 2 the journal is damaged or cannot be read, 3 the service still cannot be reached
 * (the rest wait). *SENT (may be NULL) gets how many were settled. */
int pos_till_sync(struct pos_till *till, bool verbose, bool quiet, FILE *out, size_t *sent);

/* `closing [DAY]`: the till's day closing. Asks the service who this till is and its closing of
 * the local business day DAY (YYYY-MM-DD; NULL: today by this till's clock and time zone) with
 * GET /v1/terminals/{name}/closing, reads the till's own ledger (every generation of its journal)
 * for the same day (the instants the service names as its bounds), and writes both to OUT:
 * redemptions, voids, offline redemptions and conflicts (count and discounts, in all and by
 * campaign), points earned and burned, card voids, and the digest of the txn ids; then each
 * difference in a line, or "No differences". Calls accepted offline and not yet sent are named
 * (pos-client sync sends them). Returns 0 no differences, 1 differences, 2 a bad DAY or a journal
 * that cannot be read, 3 the service cannot be reached or refused. */
int pos_till_closing(struct pos_till *till, const char *day, bool verbose, FILE *out);

/* Withdraws the call of txn TXN accepted offline that never left the till (a cancelled basket's
 * coupon or earn): closes it in the journal without sending it. Fills RES (its line says so).
 * Refused (RES->exit usage) when TXN is not such a call. */
void pos_till_withdraw(struct pos_till *till, const char *txn, struct pos_result *res);

/* The discount the service gives for the signed coupon CODE's offer on a basket of BASKET_CENTS
 * (the service's discount_for(): percent rounded half up to the cent, an amount capped at the
 * basket, nothing for points). Returns -1 when it would overflow. */
int64_t pos_till_offline_discount(const struct cpn_code *code, int64_t basket_cents);

/* `card issue`: a new bonus card. */
void pos_till_card_issue(struct pos_till *till, struct pos_result *res);

/* `card balance`: the balance of CARD. */
void pos_till_card_balance(struct pos_till *till, const char *card, struct pos_result *res);

/* `card earn`: points on CARD for a basket of BASKET_CENTS, under TXN (as for redeem). */
void pos_till_card_earn(struct pos_till *till, const char *card, int64_t basket_cents,
                        const char *txn, struct pos_result *res);

/* `card burn`: burns POINTS of CARD, under TXN (as for redeem). */
void pos_till_card_burn(struct pos_till *till, const char *card, int64_t points, const char *txn,
                        struct pos_result *res);

/* `card credit`: credits CARD with the points of the purchase whose receipt code is
 * RECEIPT_CODE (printed on the receipt of a purchase made without a card), under TXN (as for
 * redeem); journaled as kind "credit" (subject: the receipt code, card: the card), its answer as
 * an earn (the service books it as one). RES->points and RES->balance say what was credited. A
 * code that is not shaped like a receipt code is refused locally. */
void pos_till_card_credit(struct pos_till *till, const char *card, const char *receipt_code,
                          const char *txn, struct pos_result *res);

/* Reads TEXT as typed or scanned (case, spaces and dashes do not matter) as a receipt code into
 * OUT ("RC" and upper-case base32). Returns false when it is not shaped like one (OUT then holds
 * no meaning). */
bool pos_receipt_code_read(const char *text, char out[POS_RECEIPT_CODE_SIZE]);

/* `card void`: reverses card transaction TRANSACTION_ID under TXN (as for redeem). */
void pos_till_card_void(struct pos_till *till, int64_t transaction_id, const char *txn,
                        struct pos_result *res);

/* Reads the journal's pending txns into *OUT (the caller frees it with pos_journal_state_free()
 * whatever this returns). Returns as pos_journal_load(). */
CPN_MUST_CHECK enum cpn_err pos_till_pending(const struct pos_till *till,
                                             struct pos_journal_state *out);

/* `retry`: sends the pending journal entry E again, the same request under its txn id, through
 * the operation of its kind (so RES is filled as that operation fills it, with RES->resolving
 * set). The service books it at most once: it answers with its first answer when the first
 * attempt went through (RES->replayed, where the service tells), else decides it now. An entry
 * this till cannot send again (a subject it cannot read) is a local refusal and stays pending. */
void pos_till_retry(struct pos_till *till, const struct pos_journal_entry *e,
                    struct pos_result *res);

/* Describes the journal entry E for the cashier into BUF (SIZE bytes): "redeem 4000-0022-0EYD-M55K,
 * basket 20.00 EUR", "card earn M000-44JZ-70ZM-V9BW, basket 3.50 EUR", "void of redemption 7".
 * Returns BUF. */
const char *pos_till_describe_entry(const struct pos_journal_entry *e, char *buf, size_t size);

/* Says into BUF (SIZE bytes) how RES, the result of pos_till_retry() of the pending entry E,
 * settled it: the first attempt had gone through, booked only now (with how to reverse it),
 * refused (nothing booked), or still pending. Returns BUF. */
const char *pos_till_resolution(const struct pos_journal_entry *e, const struct pos_result *res,
                                char *buf, size_t size);

/* `retry`: settles the journal's pending txns (not those accepted offline, which pos_till_sync()
 * sends; only the one with txn id ONLY, when not NULL) one
 * after the other with pos_till_retry(), writing one line for each to OUT ("txn T (what, begun
 * when): result — how it was settled"; the technical detail too when VERBOSE), and stops at the
 * first that still gets no answer (a line says how many were not tried). Returns the exit status:
 * 0 all settled (or nothing pending), 1 one was refused, 2 the journal cannot be read or an entry
 * cannot be sent again, 3 still no answer. */
int pos_till_retry_all(struct pos_till *till, const char *only, bool verbose, FILE *out);

/* `keys`: fetches GET /v1/keys into the state directory and reloads them. On success the line
 * says how many keys were saved where. */
void pos_till_fetch_keys(struct pos_till *till, struct pos_result *res);

/* Refreshes the keys when a call to the service succeeded since TILL was made and the saved keys
 * are missing or older than POS_KEYS_MAX_AGE_S, at most once per TILL. Call it after the result
 * was shown, so the cashier does not wait for it. Failures are silent (mentioned on standard
 * error when verbose): the old keys stay. */
void pos_till_refresh_keys(struct pos_till *till);

/* Writes the RFC 3339 time TEXT as the till's local time "2026-05-01 14:03" into BUF (SIZE
 * bytes). Returns false (BUF then holds TEXT as it is) when TEXT is not RFC 3339. */
bool pos_till_local_time(const char *text, char *buf, size_t size);

/* The exit status for an operation that failed with ERR after an HTTP answer of STATUS (0 when
 * there was none): 1 for a refusal (4xx other than 408 and 429; this till's certificate refused),
 * 2 for an unusable certificate, key or CA file, 3 otherwise. */
enum pos_exit pos_till_exit_for(enum cpn_err err, long status);

#endif
