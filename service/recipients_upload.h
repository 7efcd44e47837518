/* Uploading a mailing's recipient list, in one transaction: check the cards, claim the
 * campaign's one list (by the list's digest, so the same list again is a replay), issue one
 * personalised coupon per mailed card through issue_coupons, and record the held-out cards. */
#ifndef SVC_RECIPIENTS_UPLOAD_H
#define SVC_RECIPIENTS_UPLOAD_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "coupon/err.h"
#include "db_words.h"
#include "recipients.h"

/* What an upload asks. */
struct recipients_upload {
    int64_t campaign;
    const struct recipients_list *list; /* ascending, as the readers of recipients.h leave it */
    int64_t holdout_pct;                /* hundredths of a percent */
    const char *actor, *role;
    const atomic_bool *cancel; /* may be NULL; when it turns true the upload stops, rolled back */
};

/* What an upload did (or, replayed, had done). */
struct recipients_result {
    bool replay; /* the same list was uploaded before: nothing new was issued */
    int64_t recipients, mailed, holdout, issued;
    int64_t batch_id;    /* 0 when every card was held out */
    uint32_t unknown[5]; /* on CPN_ERR_BAD_REQUEST: cards that are not ours */
    size_t n_unknown;
};

/* Runs the upload U in one transaction on the calling thread's database connection. Returns
 * CPN_OK with *OUT filled; CPN_ERR_NOT_FOUND (no such campaign); CPN_ERR_BAD_REQUEST (unknown
 * cards, listed in OUT); CPN_ERR_CONFLICT (the campaign has another list, or has ended: *WHY
 * says which, DBW_OTHER_LIST or DBW_ENDED); CPN_ERR_NO_SERIALS (too few coupon serials left);
 * CPN_ERR_UNAVAILABLE (database unreachable, or U->cancel turned true) or CPN_ERR_INTERNAL.
 * On any error nothing was changed (the transaction rolled back). */
enum cpn_err recipients_run(const struct recipients_upload *u, struct recipients_result *out,
                            enum db_word *why) CPN_MUST_CHECK;

#endif
