/* When the till last reached the coupon service: $STATE/contact, whose modification time is set
 * after a successful call, read by the offline floor limit "hours since the last contact". */
#ifndef POS_CONTACT_H
#define POS_CONTACT_H

#include <stdbool.h>
#include <time.h>

#include "coupon/err.h"

#define POS_CONTACT_FILE "contact"

/* Records that the service answered now: creates STATE_DIR/contact (0600; STATE_DIR 0700 when
 * missing) or sets its modification time. Not flushed to disk: after a power cut the contact only
 * looks older, which is the safe side. Returns CPN_OK or CPN_ERR_IO with errno set. */
CPN_MUST_CHECK enum cpn_err pos_contact_touch(const char *state_dir);

/* Reads when the service last answered into *WHEN. Returns CPN_OK; CPN_ERR_NOT_FOUND when it
 * never did (no file); CPN_ERR_IO with errno set. */
CPN_MUST_CHECK enum cpn_err pos_contact_last(const char *state_dir, time_t *when);

#endif
