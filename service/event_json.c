/* Rendering stored events for the outside: serials become code and card text (masked
 * unless revealed); nothing else of the payload changes. */
#include <ctype.h>
#include <jansson.h>
#include <stdint.h>
#include <string.h>

#include "codes.h"
#include "event_json.h"

static const char *const types[] = {"campaign.created",
                                    "campaign.paused",
                                    "campaign.resumed",
                                    "campaign.ended",
                                    "campaign.exhausted",
                                    "batch.issued",
                                    "batch.voided",
                                    "redemption.created",
                                    "redemption.voided",
                                    "card.issued",
                                    "card.earned",
                                    "card.burned",
                                    "card.voided",
                                    "card.coupon_credited",
                                    "card.coupon_voided",
                                    "card.expired",
                                    "redemption.returned",
                                    "card.returned",
                                    NULL};

bool event_type_known(const char *name)
{
    for (const char *const *t = types; *t != NULL; t++)
        if (strcmp(name, *t) == 0)
            return true;
    return false;
}

const char *event_types_text(void)
{
    return "campaign.created, campaign.paused, campaign.resumed, campaign.ended, "
           "campaign.exhausted, batch.issued, batch.voided, redemption.created, "
           "redemption.voided, card.issued, card.earned, card.burned, card.voided, "
           "card.coupon_credited, card.coupon_voided, card.expired, redemption.returned, "
           "card.returned";
}

void event_mask(char *text)
{
    size_t keep = 0, n = strlen(text);
    for (size_t i = n; i-- > 0;) {
        if (!isalnum((unsigned char)text[i]))
            continue;
        if (keep < 4)
            keep++;
        else
            text[i] = '*';
    }
}

/* Replaces serial field FROM of DATA by field TO holding the short form of KIND. */
static void render_serial(json_t *data, const char *from, const char *to, enum cpn_kind kind,
                          bool reveal)
{
    json_t *v = json_object_get(data, from);
    if (v == NULL)
        return;
    json_int_t serial = json_is_integer(v) ? json_integer_value(v) : 0;
    json_object_del(data, from);
    char text[CPN_SHORT_LEN + 1];
    if (serial <= 0 || serial > UINT32_MAX ||
        codes_issued_short(kind, (uint32_t)serial, text) != CPN_OK) {
        json_object_set_new(data, to, json_null());
        return;
    }
    if (!reveal)
        event_mask(text);
    json_object_set_new(data, to, json_string(text));
}

char *event_json(const struct db_event *e, bool reveal)
{
    json_t *data = json_loads(e->payload, 0, NULL);
    if (!json_is_object(data)) {
        json_decref(data);
        return NULL;
    }
    render_serial(data, "coupon_serial", "code", CPN_KIND_COUPON, reveal);
    render_serial(data, "card_serial", "card", CPN_KIND_CARD, reveal);
    json_t *env = json_pack("{s:I, s:s, s:s}", "id", (json_int_t)e->id, "type", e->type,
                            "timestamp", e->occurred_at);
    if (env == NULL) {
        json_decref(data);
        return NULL;
    }
    if (e->campaign > 0)
        json_object_set_new(env, "campaign_id", json_integer(e->campaign));
    json_object_set_new(env, "data", data);
    char *text = json_dumps(env, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(env);
    return text;
}
