/* The result of a till's operation: filling it in — its line for the cashier, its detail for IT,
 * a local refusal, a failed call, a voided booking, an unreadable answer —, its exit status, and
 * reading the answer's fields. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "pos/i18n.h"
#include "pos/till_internal.h"

enum pos_exit pos_till_exit_for(enum cpn_err err, long status)
{
    if (status >= 400 && status < 500 && status != 408 && status != 429)
        return POS_EXIT_REFUSED;
    if (err == CPN_ERR_UNAUTHORIZED || err == CPN_ERR_CERT_REVOKED)
        return POS_EXIT_REFUSED; /* our certificate refused in the TLS handshake */
    if (status == 0 && err == CPN_ERR_IO)
        return POS_EXIT_USAGE; /* the CA, certificate or key file cannot be used */
    return POS_EXIT_UNAVAILABLE;
}

void pos_result_init(struct pos_result *res)
{
    memset(res, 0, sizeof *res);
    res->exit = POS_EXIT_OK;
    res->err = CPN_OK;
    res->balance = -1;
}

void pos_result_line(struct pos_result *res, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(res->line, sizeof res->line, fmt, ap);
    va_end(ap);
}

void pos_result_detail(struct pos_result *res, const char *fmt, ...)
{
    size_t n = strlen(res->detail);
    if (n > 0 && n + 3 < sizeof res->detail) {
        memcpy(res->detail + n, "; ", 3);
        n += 2;
    }
    if (n + 1 >= sizeof res->detail)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(res->detail + n, sizeof res->detail - n, fmt, ap);
    va_end(ap);
}

void pos_result_refuse_locally(struct pos_result *res, enum cpn_err err, const char *prefix,
                               const char *what, const char *why)
{
    res->exit = POS_EXIT_REFUSED;
    res->err = err;
    res->local = true;
    pos_result_line(res, "%s%s%s", prefix, what != NULL ? what : "", why);
    pos_result_detail(res, "refused by this till without asking the service (%s)",
                      cpn_err_code(err));
}

void pos_result_call_failed(const struct pos_till *till, enum cpn_err err, long status,
                            const char *prefix, struct pos_result *res)
{
    res->err = err;
    res->exit = pos_till_exit_for(err, status);
    if (res->exit == POS_EXIT_REFUSED)
        pos_result_line(res, "%s%s", prefix, pos_api_message(till->api));
    else
        pos_result_line(res, "%s", pos_api_message(till->api));
    pos_result_detail(res, "%s", pos_api_detail(till->api));
}

void pos_result_unreadable(struct pos_result *res, const char *why)
{
    res->exit = POS_EXIT_UNAVAILABLE;
    res->err = CPN_ERR_INTERNAL;
    pos_result_line(res, "%s",
                    _("The coupon service's answer cannot be read by this till: please call IT."));
    pos_result_detail(res, "%s", why);
}

void pos_result_voided(struct pos_result *res, const json_t *answer, const char *what,
                       const char *id_key, const char *outcome)
{
    int64_t id = 0, void_id = 0;
    res->discount_cents = 0;
    res->points = 0;
    if (pos_till_get_int(answer, id_key, &id) && pos_till_get_int(answer, "void_id", &void_id)) {
        res->id = id;
        /* TRANSLATORS: "VOIDED: redemption 7 of txn T1 was voided since (void 9); no discount" */
        pos_result_line(
            res, _("VOIDED: %s %" PRId64 " of txn %s was voided since (void %" PRId64 "); %s"),
            what, id, res->txn_id, void_id, outcome);
    } else {
        pos_result_line(res, _("VOIDED: the %s of txn %s was voided since; %s"), what, res->txn_id,
                        outcome);
    }
}

void pos_result_no_memory(struct pos_result *res)
{
    res->exit = POS_EXIT_UNAVAILABLE;
    res->err = CPN_ERR_NO_MEMORY;
    pos_result_line(res, "%s", _("This till ran out of memory: nothing was done."));
}

bool pos_till_get_int(const json_t *o, const char *key, int64_t *v)
{
    const json_t *j = json_object_get(o, key);
    if (!json_is_integer(j))
        return false;
    *v = json_integer_value(j);
    return true;
}

const char *pos_till_get_time(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    if (s == NULL)
        return NULL;
    size_t n = strlen(s);
    return n > 0 && n < 32 && strspn(s, "0123456789TZtz:+-.") == n ? s : NULL;
}

void pos_till_without_full_stop(char *buf, size_t size, const char *message)
{
    snprintf(buf, size, "%s", message);
    size_t n = strlen(buf);
    if (n > 0 && buf[n - 1] == '.')
        buf[n - 1] = '\0';
}
