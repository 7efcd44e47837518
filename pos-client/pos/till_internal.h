/* What the till's source files (till*.c) share and nothing else includes: the till itself, the
 * helpers that fill a result, the call that counts successes, the local check of a scanned code,
 * and the journal around a call that moves money. */
#ifndef POS_TILL_INTERNAL_H
#define POS_TILL_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include "pos/scan.h"
#include "pos/till.h"

struct pos_till {
    const struct pos_config *cfg;
    struct pos_api *api;
    bool verbose;
    struct cpn_keyring *keys; /* NULL until loaded, or when there are none */
    bool keys_loaded;         /* loading them from the state directory was tried */
    time_t keys_fetch_tried;  /* when GET /v1/keys was last tried, 0 never */
    unsigned long ok_calls;   /* calls that the service answered with 2xx */
    time_t contact_noted;     /* when $STATE/contact was last set by this till, 0 never */
    const struct pos_journal_entry *resending; /* pos_till_retry(): the open entry it sends
                                                  again, so the journal is not read again */
    bool batch; /* pos_till_sync() is sending a batch: finish lines are flushed, and the journal
                   compacted, once at its end */
};

/* --- results (till_result.c) --- */

/* Empties RES: exit 0, nothing said, balance unknown. */
void pos_result_init(struct pos_result *res);

/* Sets RES's line to the formatted text. */
__attribute__((format(printf, 2, 3))) void pos_result_line(struct pos_result *res, const char *fmt,
                                                           ...);

/* Appends the formatted text to RES's detail, after "; " when there is one already. */
__attribute__((format(printf, 2, 3))) void pos_result_detail(struct pos_result *res,
                                                             const char *fmt, ...);

/* Fills RES as a refusal the till made alone, without any call: ERR, PREFIX + WHAT + WHY. */
void pos_result_refuse_locally(struct pos_result *res, enum cpn_err err, const char *prefix,
                               const char *what, const char *why);

/* Fills RES for a call that failed with ERR after HTTP STATUS (0 for none), with the API's
 * message after PREFIX when it is a refusal. */
void pos_result_call_failed(const struct pos_till *till, enum cpn_err err, long status,
                            const char *prefix, struct pos_result *res);

/* Fills RES for a 2xx answer that does not say what it should (WHY, for IT). */
void pos_result_unreadable(struct pos_result *res, const char *why);

/* Fills RES's line for a 409 voided ANSWER (a retried txn whose booking was voided since): WHAT
 * ("redemption") with the id in field ID_KEY of ANSWER and its void_id, and what that means
 * (OUTCOME: "no discount"); no discount or points are left in RES. */
void pos_result_voided(struct pos_result *res, const json_t *answer, const char *what,
                       const char *id_key, const char *outcome);

/* Fills RES when out of memory before a call. */
void pos_result_no_memory(struct pos_result *res);

/* Reads the integer KEY of object O into *V. Returns false when it is missing or not an
 * integer. */
bool pos_till_get_int(const json_t *o, const char *key, int64_t *v);

/* Returns the string KEY of object O when it is a time a journal line may hold (1 to 31 of
 * 0-9 T Z t z : + - .), else NULL. */
const char *pos_till_get_time(const json_t *o, const char *key);

/* Copies MESSAGE into BUF (SIZE bytes) without its final full stop. */
void pos_till_without_full_stop(char *buf, size_t size, const char *message);

/* --- calls (till.c) --- */

/* Calls the service and takes BODY (may be NULL; it is released). Counts the successes, for
 * pos_till_refresh_keys(). Returns as pos_api_call(). */
enum cpn_err pos_till_call(struct pos_till *till, const char *method, const char *path,
                           json_t *body, long *status, json_t **answer);

/* --- the local check of a code (till_keys.c) --- */

/* Reads TEXT as a code of KIND and checks it locally: form and check character, kind, and for a
 * signed form the signature (fetching the keys first when it names a key this till does not
 * have). Returns true with *SCAN filled, or false with RES filled as a local refusal: PREFIX, then
 * WHAT (NULL, or e.g. "Bonus card: "), then the reason. */
bool pos_till_local_code(struct pos_till *till, const char *text, enum cpn_kind kind,
                         const char *prefix, const char *what, struct pos_scan *scan,
                         struct pos_result *res);

/* --- offline acceptance (till_offline.c) --- */

/* Returns true when the last call on TILL, which failed with ERR after HTTP STATUS (0 for none),
 * shows that the service cannot be reached now: no connection could be made (the request never
 * left the till), or 502, 503, 504. Then a call may be accepted offline. (A time-out or a
 * connection broken after the request went out is not: the service was there, and the call
 * stays pending for pay again or retry, which may then find it unreachable.) */
bool pos_till_unreachable(const struct pos_till *till, enum cpn_err err, long status);

/* After the call E (journaled, pending under RES->txn_id: a redeem of COUPON, or an earn when
 * COUPON is NULL) found the service unreachable: accepts it offline when the floor limits allow
 * (offline switched on; a verified signed coupon; the journal's chain holding; the last contact
 * recent enough; the coupon not expired by this till's clock and the basket at its minimum; its
 * discount within the limit; fewer offline redemptions waiting than the limit): the offline line
 * is fsync'ed (E->offline set), then RES says "ACCEPTED OFFLINE" with the discount. Returns true
 * then; else false with RES->offline_why saying why (and nothing written), or with RES filled as
 * a refusal for a coupon this till knows to be invalid (expired, below its minimum). */
bool pos_till_accept_offline(struct pos_till *till, struct pos_journal_entry *e,
                             const struct pos_scan *coupon, struct pos_result *res);

/* Handles the failure (ERR after STATUS, ANSWER its body or NULL) of a call that sent the entry
 * E accepted offline: a definite answer (2xx aside: 404, 409, 422) closes it with that outcome
 * (an offline_conflict keeps the discount given in it); anything else leaves it waiting, and RES
 * says why. */
void pos_till_sync_failure(const struct pos_till *till, const struct pos_journal_entry *e,
                           enum cpn_err err, long status, const json_t *answer,
                           struct pos_result *res);

/* --- the journal around money-moving calls (till_journal.c) --- */

/* Opens the journal entry for the call E (kind, subject, amount and card set) under TXN (see
 * pos_till_redeem()); the txn id goes to E->txn_id and RES->txn_id, and a retry of a pending txn
 * sets RES->resolving and RES->began; for a txn accepted offline, E gets its offline fields and
 * RES->syncing and RES->offline_at are set (the call must carry offline_at). Returns true, or false
 * with RES filled (a bad TXN, a TXN pending for another request, or the journal cannot be written:
 * then nothing must be sent). */
bool pos_till_journal_open(const struct pos_till *till, struct pos_journal_entry *e,
                           const char *txn, struct pos_result *res);

/* Records OUTCOME for RES's txn id in the journal, then compacts it when it has grown beyond the
 * configured size; a failure only goes into RES's detail (the entry then stays pending, and a
 * retry is answered with the same outcome). */
void pos_till_journal_close(const struct pos_till *till, struct pos_result *res,
                            const char *outcome);

/* Handles a journaled call that failed with ERR after STATUS (ANSWER: its body, may be NULL):
 * closes the journal entry when the service gave a definite answer (any HTTP answer but 408,
 * 429 and 5xx, after which the call may have gone through), else leaves it pending and says so:
 * that the txn is pending and `pos-client retry` settles it. Fills RES ("REFUSED: " and the
 * message for a refusal). */
void pos_till_journaled_failure(const struct pos_till *till, enum cpn_err err, long status,
                                const json_t *answer, struct pos_result *res);

/* A void under the till's journal: opens a journal entry of KIND for the id ID (under TXN as for
 * redeem), POSTs {"txn_id"} to PATH and closes the entry as voided. Returns the service's answer
 * (the caller decrefs it; never NULL on success) with RES ready for its line; or NULL with RES
 * filled with the refusal or failure. */
json_t *pos_till_journaled_void(struct pos_till *till, const char *kind, int64_t id,
                                const char *path, const char *txn, struct pos_result *res);

#endif
