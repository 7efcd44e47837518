/* What the till booked, read back from every generation of its journal (journal.d/ and
 * journal.log): each txn once, with the service's definite answer to it (a redemption with its
 * discount and campaign, a void, an earn or burn with its points, an offline conflict) and when
 * the service booked it, or that it waits offline. The day closing compares this with the
 * service's figures. */
#ifndef POS_JOURNAL_LEDGER_H
#define POS_JOURNAL_LEDGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "coupon/err.h"
#include "pos/journal.h"

/* What became of a txn. */
enum pos_ledger_what {
    POS_LEDGER_OTHER = 0,   /* pending, refused, withdrawn, unsent: nothing booked (known) */
    POS_LEDGER_REDEEMED,    /* a redemption (discount, campaign; offline when made offline) */
    POS_LEDGER_VOIDED,      /* a redemption's void (discount, campaign of what it voided) */
    POS_LEDGER_EARNED,      /* points earned */
    POS_LEDGER_BURNED,      /* points burned */
    POS_LEDGER_CARD_VOIDED, /* an earn or burn voided (points: the void's own, signed) */
    POS_LEDGER_CONFLICT,    /* accepted offline; the service recorded an offline conflict */
    POS_LEDGER_WAITING,     /* accepted offline, not yet sent */
};

/* One txn as the journal ends it. */
struct pos_ledger_op {
    char txn_id[POS_TXN_ID_SIZE];
    char kind[POS_JOURNAL_KIND_MAX + 1];
    enum pos_ledger_what what;
    char at[POS_TIME_SIZE]; /* when the service booked it (RFC 3339 UTC); for a conflict or a
                               waiting call, when the till accepted it offline */
    bool offline;           /* REDEEMED, EARNED: the service recorded it as made offline */
    int64_t id;             /* the redemption or card transaction (0 unknown) */
    int64_t ref;            /* VOIDED, CARD_VOIDED: the id voided */
    int64_t discount_cents; /* REDEEMED, VOIDED, CONFLICT, WAITING; -1 unknown for VOIDED */
    int64_t campaign_id;    /* as discount_cents; 0 unknown */
    int64_t points;         /* EARNED, BURNED (>= 0), CARD_VOIDED (signed) */
};

struct pos_ledger {
    struct pos_ledger_op *ops; /* in the order their txns were first begun */
    size_t n, cap;
    size_t *index; /* open-addressing hash of txn ids into ops (internal) */
    size_t index_cap;
};

/* Reads the journal's text TEXT (LEN bytes; any generation, any version) into LEDGER, after what
 * it holds already: read the generations oldest first, so the last answer to a txn wins. Chain
 * fields are ignored here (pos_journal_parse_anchored() checks them). Returns CPN_OK or
 * CPN_ERR_NO_MEMORY. */
CPN_MUST_CHECK enum cpn_err pos_ledger_read(struct pos_ledger *ledger, const char *text,
                                            size_t len);

/* Reads every generation of the journal in STATE_DIR (journal.d/journal-*.log by generation,
 * then journal.log) into LEDGER (which must be empty: {0}). Returns CPN_OK; CPN_ERR_IO with errno
 * set; CPN_ERR_NO_MEMORY. */
CPN_MUST_CHECK enum cpn_err pos_ledger_load(const char *state_dir, struct pos_ledger *ledger);

/* Returns the op of LEDGER for the redemption ID (REDEEMED), or NULL. */
const struct pos_ledger_op *pos_ledger_redemption(const struct pos_ledger *ledger, int64_t id);

/* Frees what LEDGER holds and empties it; pos_ledger_free(NULL) does nothing. */
void pos_ledger_free(struct pos_ledger *ledger);

#endif
