/* Helpers for the counter's integration tests: unique ids, JSON posts, redemptions. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "itest_counter.h"

char *itest_uniq(char *buf, size_t len, const char *base)
{
    static int n;
    snprintf(buf, len, "%s-%d-%d", base, (int)getpid(),
             __atomic_add_fetch(&n, 1, __ATOMIC_SEQ_CST));
    return buf;
}

long itest_post(struct itest_client *c, const char *path, json_t *body, json_t **out)
{
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    json_t *answer = NULL;
    long status = itest_request(c, "POST", path, text, &answer, NULL);
    free(text);
    if (out != NULL)
        *out = answer;
    else
        json_decref(answer);
    return status;
}

long itest_redeem_at(struct itest_client *c, const char *code, long long basket, const char *txn,
                     const char *receipt, const char *card, json_t **out)
{
    json_t *body = json_pack("{s:s, s:I, s:s}", "code", code, "basket_cents", (json_int_t)basket,
                             "txn_id", txn);
    if (receipt != NULL)
        json_object_set_new(body, "receipt", json_string(receipt));
    if (card != NULL)
        json_object_set_new(body, "card", json_string(card));
    return itest_post(c, "/v1/redemptions", body, out);
}

long long itest_int(const json_t *obj, const char *key)
{
    return json_integer_value(json_object_get(obj, key));
}
