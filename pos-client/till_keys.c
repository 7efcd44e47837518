/* The till's verification keys: loaded from the state directory, fetched from GET /v1/keys and
 * refreshed when stale, and the local check of a scanned code (form, kind, signature) with them. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "pos/i18n.h"
#include "pos/keys.h"
#include "pos/till_internal.h"

/* Seconds between two attempts to fetch the keys, so a broken GET /v1/keys costs at most one
 * extra call a minute. */
#define KEYS_RETRY_S 60

/* Loads the keys from the state directory, once. */
static void load_keys(struct pos_till *till)
{
    if (till->keys_loaded)
        return;
    till->keys_loaded = true;
    char why[256] = "";
    enum cpn_err err = pos_keys_load(till->cfg->state_dir, &till->keys, why, sizeof why);
    if (err != CPN_OK && err != CPN_ERR_NOT_FOUND && till->verbose)
        fprintf(stderr, _("pos-client: the saved verification keys cannot be used: %s\n"),
                err == CPN_ERR_IO ? strerror(errno) : why);
}

void pos_till_fetch_keys(struct pos_till *till, struct pos_result *res)
{
    pos_result_init(res);
    till->keys_fetch_tried = time(NULL);
    long status;
    json_t *answer;
    enum cpn_err err = pos_till_call(till, "GET", "/v1/keys", NULL, &status, &answer);
    if (err != CPN_OK) {
        json_decref(answer);
        pos_result_call_failed(till, err, status, _("REFUSED: "), res);
        return;
    }
    size_t count = 0;
    char why[256] = "";
    err = pos_keys_save(till->cfg->state_dir, till->cfg->url, answer, &count, why, sizeof why);
    json_decref(answer);
    switch (err) {
    case CPN_OK:
        pos_result_line(res,
                        P_("Saved %zu verification key from %s in %s/%s",
                           "Saved %zu verification keys from %s in %s/%s", count),
                        count, till->cfg->url, till->cfg->state_dir, POS_KEYS_FILE);
        break;
    case CPN_ERR_INTERNAL:
        pos_result_unreadable(res, why);
        return;
    case CPN_ERR_IO:
        res->exit = POS_EXIT_USAGE;
        res->err = err;
        pos_result_line(res, _("pos-client: cannot save the keys in %s: %s"), till->cfg->state_dir,
                        strerror(errno));
        return;
    default:
        pos_result_no_memory(res);
        return;
    }
    /* Use the new keys from now on. */
    cpn_keyring_free(till->keys);
    till->keys = NULL;
    till->keys_loaded = false;
    load_keys(till);
}

void pos_till_refresh_keys(struct pos_till *till)
{
    time_t now = time(NULL);
    if (till->ok_calls == 0 ||
        (till->keys_fetch_tried != 0 && difftime(now, till->keys_fetch_tried) < KEYS_RETRY_S) ||
        !pos_keys_stale(till->cfg->state_dir, now))
        return;
    struct pos_result res;
    pos_till_fetch_keys(till, &res);
    if (res.exit != POS_EXIT_OK && till->verbose)
        fprintf(stderr, _("pos-client: the verification keys were not refreshed: %s — %s\n"),
                res.line, res.detail);
}

bool pos_till_local_code(struct pos_till *till, const char *text, enum cpn_kind kind,
                         const char *prefix, const char *what, struct pos_scan *scan,
                         struct pos_result *res)
{
    const char *why = NULL;
    enum cpn_err err = pos_scan_parse(text, kind, scan, &why);
    if (err == CPN_OK && scan->code.is_signed) {
        load_keys(till);
        err = pos_scan_verify(till->keys, scan, &why);
        time_t now = time(NULL);
        if (err == CPN_OK && scan->verified == POS_VERIFIED_UNKNOWN_KEY &&
            (till->keys_fetch_tried == 0 ||
             difftime(now, till->keys_fetch_tried) >= KEYS_RETRY_S)) {
            /* A key this till has not seen yet: the service may have added one. */
            struct pos_result fetched;
            pos_till_fetch_keys(till, &fetched);
            if (fetched.exit == POS_EXIT_OK)
                err = pos_scan_verify(till->keys, scan, &why);
            else
                pos_result_detail(res, "the keys could not be fetched: %s", fetched.detail);
        }
        if (err == CPN_OK && scan->verified == POS_VERIFIED_UNKNOWN_KEY)
            pos_result_detail(res,
                              "signed with key %u, which this till does not have: not checked "
                              "offline",
                              (unsigned)scan->code.sign_key_id);
    }
    if (err == CPN_OK)
        return true;
    pos_result_refuse_locally(res, err, prefix, what, why);
    return false;
}
