/* The till itself: made and freed, its calls to the service (counting the successes) and
 * `status` (the exit status for a failed call is till_result.c's). Its operations are in
 * till_coupon.c and till_card.c, its keys in till_keys.c. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "pos/contact.h"
#include "pos/i18n.h"
#include "pos/till_internal.h"

/* Seconds between two updates of $STATE/contact by one till. */
#define CONTACT_NOTE_S 60

struct pos_till *pos_till_new(const struct pos_config *cfg, struct pos_api *api, bool verbose)
{
    struct pos_till *till = calloc(1, sizeof *till);
    if (till == NULL)
        return NULL;
    till->cfg = cfg;
    till->api = api;
    till->verbose = verbose;
    return till;
}

void pos_till_free(struct pos_till *till)
{
    if (till == NULL)
        return;
    cpn_keyring_free(till->keys);
    free(till);
}

const struct pos_config *pos_till_config(const struct pos_till *till)
{
    return till->cfg;
}

enum cpn_err pos_till_call(struct pos_till *till, const char *method, const char *path,
                           json_t *body, long *status, json_t **answer)
{
    enum cpn_err err = pos_api_call(till->api, method, path, body, status, answer);
    json_decref(body);
    if (err == CPN_OK) {
        till->ok_calls++;
        time_t now = time(NULL);
        if (till->contact_noted == 0 || difftime(now, till->contact_noted) >= CONTACT_NOTE_S) {
            /* For the offline floor limit; a failure only makes the contact look older. */
            till->contact_noted = now;
            if (pos_contact_touch(till->cfg->state_dir) != CPN_OK && till->verbose)
                fprintf(stderr, "pos-client: cannot note the contact in %s\n",
                        till->cfg->state_dir);
        }
    }
    return err;
}

void pos_till_status(struct pos_till *till, struct pos_result *res)
{
    pos_result_init(res);
    long status;
    json_t *who;
    enum cpn_err err = pos_till_call(till, "GET", "/v1/whoami", NULL, &status, &who);
    if (err != CPN_OK) {
        json_decref(who);
        pos_result_call_failed(till, err, status, "REFUSED: ", res);
        return;
    }
    const char *role = json_string_value(json_object_get(who, "role"));
    const char *name = json_string_value(json_object_get(who, "name"));
    int64_t store;
    if (role == NULL || name == NULL)
        pos_result_unreadable(res, "GET /v1/whoami: no \"role\" and \"name\" strings");
    else if (pos_till_get_int(who, "store", &store))
        /* TRANSLATORS: "coupond at https://... sees terminal terminal-1 of store 1" */
        pos_result_line(res, _("coupond at %s sees %s %s of store %" PRId64), till->cfg->url, role,
                        name, store);
    else
        pos_result_line(res, _("coupond at %s sees %s %s"), till->cfg->url, role, name);
    json_decref(who);
}
