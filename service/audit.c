/* Audit lines: one JSON log record for each state change a request makes, beside its access
 * line (the same request id), so that an operator can follow a redemption, a void or a
 * campaign change to the certificate that made it. */

#include "audit.h"
#include "principal.h"

#define AUDIT_MAX_FIELDS 16

void audit_event(const struct http_req *r, const char *event, const struct log_field *fields,
                 size_t n)
{
    struct log_field f[AUDIT_MAX_FIELDS + 6];
    size_t k = 0;
    const struct principal *p = r->principal;
    f[k++] = LOGF_STR("kind", "audit");
    f[k++] = LOGF_STR("event", event);
    f[k++] = LOGF_STR("request_id", r->request_id);
    if (p != NULL) {
        f[k++] = LOGF_STR("principal", p->name);
        f[k++] = LOGF_STR("role", principal_role_name(p->role));
        if (p->role == ROLE_TERMINAL)
            f[k++] = LOGF_NUM("store", p->store);
    }
    for (size_t i = 0; i < n && i < AUDIT_MAX_FIELDS; i++)
        f[k++] = fields[i];
    log_record(LOGL_INFO, f, k, "%s by %s", event, p != NULL ? p->name : "(nobody)");
}
