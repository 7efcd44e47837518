/* Reading a new campaign's counter rules: per-card and per-receipt limits, exclusive or
 * stackable, and the trigger that makes a 'receipt' campaign a bounce-back campaign. */
#include <stdio.h>
#include <string.h>

#include "campaign_rules.h"
#include "json_in.h"

/* Reads the trigger object T into C. Returns 0, or -1 with DETAIL filled. */
static int read_trigger(const json_t *t, struct campaign_new *c, char *detail, size_t dlen)
{
    static const char *const allowed[] = {"min_basket_cents", "card_required", NULL};
    if (!json_is_object(t)) {
        snprintf(detail, dlen,
                 "The field 'trigger' must be an object {min_basket_cents, card_required}.");
        return -1;
    }
    const char *unknown = jin_unknown_key(t, allowed);
    if (unknown != NULL) {
        snprintf(detail, dlen, "The field 'trigger.%.60s' is not known.", unknown);
        return -1;
    }
    if (strcmp(c->channel, "receipt") != 0) {
        snprintf(detail, dlen,
                 "Only a campaign of channel 'receipt' (a bounce-back coupon) can "
                 "have a trigger.");
        return -1;
    }
    const json_t *card = json_object_get(t, "card_required");
    if (card != NULL && !json_is_boolean(card)) {
        snprintf(detail, dlen, "The field 'trigger.card_required' must be true or false.");
        return -1;
    }
    c->trigger_card_required = json_is_true(card);
    c->trigger_min_basket_cents = 0;
    if (jin_int_field(t, "min_basket_cents", false, 0, INT64_C(100000000000),
                      &c->trigger_min_basket_cents, detail, dlen) < 0)
        return -1;
    c->has_trigger = true;
    return 0;
}

int campaign_rules_read(const json_t *in, struct campaign_new *c, char *detail, size_t dlen)
{
    const char *combinable = NULL;
    if (jin_int_field(in, "max_per_card", false, 1, 1000000, &c->max_per_card, detail, dlen) < 0 ||
        jin_int_field(in, "max_per_receipt", false, 1, 100, &c->max_per_receipt, detail, dlen) <
            0 ||
        jin_str_field(in, "combinable", false, 16, &combinable, detail, dlen) < 0)
        return -1;
    if (combinable != NULL && strcmp(combinable, "exclusive") != 0 &&
        strcmp(combinable, "stackable") != 0) {
        snprintf(detail, dlen, "The field 'combinable' must be \"exclusive\" or \"stackable\".");
        return -1;
    }
    c->combinable = combinable;
    const json_t *trigger = json_object_get(in, "trigger");
    if (trigger != NULL && !json_is_null(trigger))
        return read_trigger(trigger, c, detail, dlen);
    return 0;
}
