/* The till's day closing (Kassenabschluss): the service's figures of one local business day for
 * this terminal (GET /v1/terminals/{name}/closing?day=) against the same figures computed from
 * the till's own journal, to the cent and to the count, with the digest of the txn ids; every
 * difference is said in a line. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/sha.h>

#include "pos/i18n.h"
#include "pos/journal_ledger.h"
#include "pos/money.h"
#include "pos/till_internal.h"

/* A count and a sum of cents (or points). */
struct figure {
    int64_t n, sum;
};

/* The redemption figures of one campaign. */
struct by_campaign {
    int64_t campaign;
    struct figure redeemed, voided, offline, conflicts;
};

/* One side's closing. */
struct closing {
    struct figure redeemed, voided, offline, conflicts, earned, burned, card_voided;
    struct by_campaign *campaigns;
    size_t n_campaigns;
    int64_t txns;
    char digest[2 * SHA256_DIGEST_LENGTH + 1];
    struct figure waiting; /* the till's: accepted offline, not yet sent */
};

/* Returns C's figures of CAMPAIGN, added when missing (NULL when out of memory). */
static struct by_campaign *campaign_of(struct closing *c, int64_t campaign)
{
    for (size_t i = 0; i < c->n_campaigns; i++)
        if (c->campaigns[i].campaign == campaign)
            return &c->campaigns[i];
    void *p = realloc(c->campaigns, (c->n_campaigns + 1) * sizeof *c->campaigns);
    if (p == NULL)
        return NULL;
    c->campaigns = p;
    struct by_campaign *b = &c->campaigns[c->n_campaigns++];
    memset(b, 0, sizeof *b);
    b->campaign = campaign;
    return b;
}

/* Adds SUM to figure F. */
static void add(struct figure *f, int64_t sum)
{
    f->n++;
    if (__builtin_add_overflow(f->sum, sum, &f->sum))
        f->sum = INT64_MAX;
}

/* Reads {"count", KEY} of the object O into F. Returns false when they are not integers. */
static bool read_figure(const json_t *o, const char *key, struct figure *f)
{
    return pos_till_get_int(o, "count", &f->n) && pos_till_get_int(o, key, &f->sum);
}

/* Reads the service's closing ANSWER into C. Returns false when it is not one. */
static bool from_service(const json_t *a, struct closing *c)
{
    const json_t *points = json_object_get(a, "points"), *txns = json_object_get(a, "txn_ids");
    const char *digest = json_string_value(json_object_get(txns, "sha256"));
    if (!read_figure(json_object_get(a, "redemptions"), "discount_cents", &c->redeemed) ||
        !read_figure(json_object_get(a, "voids"), "discount_cents", &c->voided) ||
        !read_figure(json_object_get(a, "offline"), "discount_cents", &c->offline) ||
        !read_figure(json_object_get(a, "offline_conflicts"), "discount_cents", &c->conflicts) ||
        !pos_till_get_int(points, "earns", &c->earned.n) ||
        !pos_till_get_int(points, "earned", &c->earned.sum) ||
        !pos_till_get_int(points, "burns", &c->burned.n) ||
        !pos_till_get_int(points, "burned", &c->burned.sum) ||
        !pos_till_get_int(points, "card_voids", &c->card_voided.n) ||
        !pos_till_get_int(points, "card_void_points", &c->card_voided.sum) ||
        !pos_till_get_int(txns, "count", &c->txns) || digest == NULL ||
        strlen(digest) != sizeof c->digest - 1)
        return false;
    memcpy(c->digest, digest, sizeof c->digest);
    const json_t *list = json_object_get(a, "by_campaign");
    size_t i;
    const json_t *b;
    json_array_foreach(list, i, b)
    {
        int64_t id = 0;
        struct by_campaign *bc =
            pos_till_get_int(b, "campaign_id", &id) ? campaign_of(c, id) : NULL;
        if (bc == NULL || !pos_till_get_int(b, "redemptions", &bc->redeemed.n) ||
            !pos_till_get_int(b, "redemption_discount_cents", &bc->redeemed.sum) ||
            !pos_till_get_int(b, "voids", &bc->voided.n) ||
            !pos_till_get_int(b, "void_discount_cents", &bc->voided.sum) ||
            !pos_till_get_int(b, "offline", &bc->offline.n) ||
            !pos_till_get_int(b, "offline_discount_cents", &bc->offline.sum) ||
            !pos_till_get_int(b, "offline_conflicts", &bc->conflicts.n) ||
            !pos_till_get_int(b, "offline_conflict_discount_cents", &bc->conflicts.sum))
            return false;
    }
    return true;
}

/* Orders digest lines bytewise. */
static int by_bytes(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The digest line's word for what OP became, or NULL when it is not one the service keeps. */
static const char *digest_word(const struct pos_ledger_op *op)
{
    switch (op->what) {
    case POS_LEDGER_REDEEMED:
        return "redeem";
    case POS_LEDGER_VOIDED:
        return "void";
    case POS_LEDGER_EARNED:
        return "earn";
    case POS_LEDGER_BURNED:
        return "burn";
    case POS_LEDGER_CARD_VOIDED:
        return "card_void";
    case POS_LEDGER_CONFLICT:
        return "conflict";
    default:
        return NULL;
    }
}

/* Adds the figures of operation OP of the ledger L to C (a void without its own discount or
 * campaign takes its redemption's). Returns false when out of memory. */
static bool count_op(const struct pos_ledger *l, const struct pos_ledger_op *op, struct closing *c)
{
    int64_t discount = op->discount_cents, campaign = op->campaign_id;
    if (op->what == POS_LEDGER_VOIDED && (discount < 0 || campaign == 0)) {
        const struct pos_ledger_op *r = pos_ledger_redemption(l, op->ref);
        discount = r != NULL ? r->discount_cents : discount < 0 ? 0 : discount;
        campaign = r != NULL ? r->campaign_id : campaign;
    }
    bool by_campaign = op->what == POS_LEDGER_REDEEMED || op->what == POS_LEDGER_VOIDED ||
                       op->what == POS_LEDGER_CONFLICT;
    struct by_campaign *bc = by_campaign ? campaign_of(c, campaign) : NULL;
    if (by_campaign && bc == NULL)
        return false;
    switch (op->what) {
    case POS_LEDGER_REDEEMED:
        add(&c->redeemed, discount);
        add(&bc->redeemed, discount);
        if (op->offline) {
            add(&c->offline, discount);
            add(&bc->offline, discount);
        }
        break;
    case POS_LEDGER_VOIDED:
        add(&c->voided, discount);
        add(&bc->voided, discount);
        break;
    case POS_LEDGER_CONFLICT:
        add(&c->conflicts, discount);
        add(&bc->conflicts, discount);
        break;
    case POS_LEDGER_EARNED:
        add(&c->earned, op->points);
        break;
    case POS_LEDGER_BURNED:
        add(&c->burned, op->points);
        break;
    case POS_LEDGER_CARD_VOIDED:
        add(&c->card_voided, op->points);
        break;
    case POS_LEDGER_WAITING:
        add(&c->waiting, discount);
        break;
    default:
        break;
    }
    return true;
}

/* Puts the digest line of OP ("word txn_id\n"), when it is one the service keeps, in LINES at *N,
 * counting it in *N and its length in *BYTES. Returns false when out of memory. */
static bool digest_line(const struct pos_ledger_op *op, char **lines, size_t *n, size_t *bytes)
{
    const char *word = digest_word(op);
    if (word == NULL)
        return true;
    size_t len = strlen(word) + 1 + strlen(op->txn_id) + 2;
    lines[*n] = malloc(len);
    if (lines[*n] == NULL)
        return false;
    snprintf(lines[*n], len, "%s %s\n", word, op->txn_id);
    *bytes += len - 1;
    (*n)++;
    return true;
}

/* Sorts the N digest LINES (BYTES long together) and writes the SHA-256 of them joined, and N, to
 * C. Returns false when out of memory. */
static bool write_digest(char **lines, size_t n, size_t bytes, struct closing *c)
{
    char *all = malloc(bytes + 1);
    if (all == NULL)
        return false;
    qsort(lines, n, sizeof *lines, by_bytes);
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(lines[i]);
        memcpy(all + at, lines[i], len);
        at += len;
    }
    unsigned char md[SHA256_DIGEST_LENGTH];
    SHA256((const unsigned char *)all, at, md);
    for (size_t i = 0; i < sizeof md; i++)
        snprintf(c->digest + 2 * i, 3, "%02x", md[i]);
    c->txns = (int64_t)n;
    free(all);
    return true;
}

/* Computes C from the ledger L for the instants FROM (inclusive) to TO (exclusive), both RFC 3339
 * UTC as the service writes them. Returns false when out of memory. */
static bool from_ledger(const struct pos_ledger *l, const char *from, const char *to,
                        struct closing *c)
{
    char **lines = calloc(l->n + 1, sizeof *lines);
    if (lines == NULL)
        return false;
    size_t n = 0, bytes = 0;
    bool ok = true;
    for (size_t i = 0; ok && i < l->n; i++) {
        const struct pos_ledger_op *op = &l->ops[i];
        if (op->at[0] == '\0' || strcmp(op->at, from) < 0 || strcmp(op->at, to) >= 0)
            continue;
        ok = count_op(l, op, c) && digest_line(op, lines, &n, &bytes);
    }
    ok = ok && write_digest(lines, n, bytes, c);
    for (size_t i = 0; i < n; i++)
        free(lines[i]);
    free(lines);
    return ok;
}

/* Writes the difference of figure WHAT between the service S and the journal J to OUT when
 * there is one (MONEY: the sums are cents, else points). Returns 1 for a difference, else 0. */
static int compare(FILE *out, const char *what, const struct figure *s, const struct figure *j,
                   bool money)
{
    if (s->n == j->n && s->sum == j->sum)
        return 0;
    char a[POS_MONEY_SIZE], b[POS_MONEY_SIZE];
    if (money)
        fprintf(out,
                _("DIFFERENCE: %s: the service has %" PRId64 " (%s), this till's journal %" PRId64
                  " (%s)\n"),
                what, s->n, pos_money_format(s->sum, a), j->n, pos_money_format(j->sum, b));
    else
        fprintf(out,
                _("DIFFERENCE: %s: the service has %" PRId64 " (%" PRId64
                  " points), this till's journal %" PRId64 " (%" PRId64 " points)\n"),
                what, s->n, s->sum, j->n, j->sum);
    return 1;
}

/* Writes one side's totals to OUT after LABEL. */
static void totals(FILE *out, const char *label, const struct closing *c)
{
    char r[POS_MONEY_SIZE], v[POS_MONEY_SIZE], o[POS_MONEY_SIZE], k[POS_MONEY_SIZE];
    fprintf(out,
            _("%s: %" PRId64 " redemptions (%s off), %" PRId64 " voids (%s), %" PRId64
              " made offline (%s), %" PRId64 " offline conflicts (%s); %" PRId64 " earns (%" PRId64
              " points), %" PRId64 " burns (%" PRId64 " points), %" PRId64 " card voids; %" PRId64
              " txns, digest %.16s\n"),
            label, c->redeemed.n, pos_money_format(c->redeemed.sum, r), c->voided.n,
            pos_money_format(c->voided.sum, v), c->offline.n, pos_money_format(c->offline.sum, o),
            c->conflicts.n, pos_money_format(c->conflicts.sum, k), c->earned.n, c->earned.sum,
            c->burned.n, c->burned.sum, c->card_voided.n, c->txns, c->digest);
}

/* Writes every difference between S (the service) and J (the journal) to OUT. Returns how many
 * there are. */
static int differences(FILE *out, struct closing *s, struct closing *j)
{
    int d = compare(out, _("redemptions"), &s->redeemed, &j->redeemed, true) +
            compare(out, _("voids"), &s->voided, &j->voided, true) +
            compare(out, _("redemptions made offline"), &s->offline, &j->offline, true) +
            compare(out, _("offline conflicts"), &s->conflicts, &j->conflicts, true) +
            compare(out, _("earns"), &s->earned, &j->earned, false) +
            compare(out, _("burns"), &s->burned, &j->burned, false) +
            compare(out, _("card voids"), &s->card_voided, &j->card_voided, false);
    for (int side = 0; side < 2; side++) {
        struct closing *a = side == 0 ? s : j, *b = side == 0 ? j : s;
        for (size_t i = 0; i < a->n_campaigns; i++) {
            struct by_campaign *x = &a->campaigns[i], *y = campaign_of(b, x->campaign);
            if (y == NULL || side == 1)
                continue; /* both sides hold every campaign after the first pass */
            char what[96];
            const struct figure *fx[4] = {&x->redeemed, &x->voided, &x->offline, &x->conflicts};
            const struct figure *fy[4] = {&y->redeemed, &y->voided, &y->offline, &y->conflicts};
            const char *names[4] = {_("redemptions"), _("voids"), _("redemptions made offline"),
                                    _("offline conflicts")};
            for (int k = 0; k < 4; k++) {
                snprintf(what, sizeof what, _("%s of campaign %" PRId64), names[k], x->campaign);
                d += compare(out, what, fx[k], fy[k], true);
            }
        }
    }
    if (s->txns != j->txns || strcmp(s->digest, j->digest) != 0) {
        fprintf(out,
                _("DIFFERENCE: the txn ids: the service has %" PRId64 " (digest %s), this till's "
                  "journal %" PRId64 " (digest %s)\n"),
                s->txns, s->digest, j->txns, j->digest);
        d++;
    }
    return d;
}

/* Writes today's local date (YYYY-MM-DD, by this till's clock and time zone) into BUF. */
static void today(char buf[11])
{
    time_t now = time(NULL);
    struct tm tm;
    if (localtime_r(&now, &tm) == NULL || strftime(buf, 11, "%Y-%m-%d", &tm) == 0)
        snprintf(buf, 11, "1970-01-01");
}

/* Returns true when DAY looks like YYYY-MM-DD. */
static bool day_valid(const char *day)
{
    return strlen(day) == 10 && strspn(day, "0123456789-") == 10 && day[4] == '-' &&
           day[7] == '-' && strchr(day, '-') == day + 4 && strrchr(day, '-') == day + 7;
}

/* Writes to OUT the part "LABEL 1: 3.00 EUR, 2: 2.00 EUR" of the cents per VAT rate key in
 * SHARES ("none" when it has none). */
static void vat_part(FILE *out, const char *label, const json_t *shares)
{
    fprintf(out, "%s", label);
    const char *key, *sep = " ";
    json_t *v;
    json_object_foreach((json_t *)shares, key, v)
    {
        char money[POS_MONEY_SIZE];
        if (json_is_integer(v)) {
            fprintf(out, "%s%.4s: %s", sep, key, pos_money_format(json_integer_value(v), money));
            sep = ", ";
        }
    }
    if (strcmp(sep, " ") == 0)
        fprintf(out, " %s", _("none"));
}

/* Writes the service's discounts of the day per VAT rate key (BY_VAT: {redemptions, voids}, the
 * redemptions that carried basket_by_vat), for the tax export; nothing when the service gave
 * none or no redemption of the day carried the split. */
static void vat_totals(FILE *out, const json_t *by_vat)
{
    const json_t *red = json_object_get(by_vat, "redemptions");
    const json_t *voi = json_object_get(by_vat, "voids");
    if (!json_is_object(red) || json_object_size(red) == 0)
        return;
    vat_part(out, _("DISCOUNT BY VAT RATE (service): redemptions"), red);
    vat_part(out, _("; voids"), json_is_object(voi) ? voi : NULL);
    fputc('\n', out);
}

/* Asks the service for this till's terminal NAME (NAME_SIZE bytes; GET /v1/whoami), then for
 * that terminal's closing of DATE into *ANSWER, with the last HTTP status in *STATUS. Returns
 * CPN_ERR_INTERNAL when the name given cannot go in a path, else the calls' error. */
static enum cpn_err fetch_closing(struct pos_till *till, const char *date, char *name,
                                  size_t name_size, long *status, json_t **answer)
{
    json_t *who = NULL;
    char path[256];
    enum cpn_err err = pos_till_call(till, "GET", "/v1/whoami", NULL, status, &who);
    const char *n = json_string_value(json_object_get(who, "name"));
    if (err == CPN_OK && n != NULL && n[0] != '\0' && strlen(n) < name_size &&
        strpbrk(n, "/?#% ") == NULL) {
        snprintf(name, name_size, "%s", n);
        snprintf(path, sizeof path, "/v1/terminals/%s/closing?day=%s", name, date);
        err = pos_till_call(till, "GET", path, NULL, status, answer);
    } else if (err == CPN_OK) {
        err = CPN_ERR_INTERNAL;
    }
    json_decref(who);
    return err;
}

int pos_till_closing(struct pos_till *till, const char *day, bool verbose, FILE *out)
{
    char date[11];
    if (day == NULL)
        today(date);
    else if (day_valid(day))
        snprintf(date, sizeof date, "%s", day);
    else {
        fprintf(out,
                _("pos-client closing: give the day as YYYY-MM-DD, like 2026-03-29, not "
                  "'%.40s'\n"),
                day);
        return POS_EXIT_USAGE;
    }
    struct pos_result res;
    long status = 0;
    json_t *answer = NULL;
    char name[100] = "";
    enum cpn_err err = fetch_closing(till, date, name, sizeof name, &status, &answer);
    struct closing s = {0}, j = {0};
    struct pos_ledger ledger = {0};
    const char *from = json_string_value(json_object_get(answer, "from"));
    const char *to = json_string_value(json_object_get(answer, "to"));
    int rc;
    if (err != CPN_OK) {
        pos_result_init(&res);
        pos_result_call_failed(till, err, status, _("REFUSED: "), &res);
        fprintf(out, "%s%s%s\n", res.line, verbose && res.detail[0] != '\0' ? " — " : "",
                verbose ? res.detail : "");
        rc = res.exit == POS_EXIT_USAGE ? POS_EXIT_USAGE : POS_EXIT_UNAVAILABLE;
    } else if (from == NULL || to == NULL || !from_service(answer, &s)) {
        fprintf(out, "%s",
                _("The coupon service's closing cannot be read by this till: please call IT.\n"));
        rc = POS_EXIT_UNAVAILABLE;
    } else if (pos_ledger_load(till->cfg->state_dir, &ledger) != CPN_OK ||
               !from_ledger(&ledger, from, to, &j)) {
        fprintf(out, _("This till cannot read its journal in %s: please call IT.\n"),
                till->cfg->state_dir);
        rc = POS_EXIT_USAGE;
    } else {
        const char *tz = json_string_value(json_object_get(answer, "time_zone"));
        fprintf(out, _("CLOSING %s of terminal %s (%s: %s to %s)\n"), date, name,
                tz != NULL ? tz : _("local time"), from, to);
        totals(out, _("service"), &s);
        totals(out, _("journal"), &j);
        vat_totals(out, json_object_get(answer, "discount_by_vat"));
        int d = differences(out, &s, &j);
        if (j.waiting.n > 0) {
            char w[POS_MONEY_SIZE];
            fprintf(out,
                    P_("NOT YET SENT: %" PRId64 " call accepted offline that day (%s off) waits "
                       "in this till's journal: run pos-client sync, then closing again.\n",
                       "NOT YET SENT: %" PRId64 " calls accepted offline that day (%s off) wait "
                       "in this till's journal: run pos-client sync, then closing again.\n",
                       j.waiting.n),
                    j.waiting.n, pos_money_format(j.waiting.sum, w));
            d++;
        }
        if (d == 0)
            fprintf(out, "%s",
                    _("No differences: the coupon service and this till's journal agree to "
                      "the cent and to the count.\n"));
        rc = d == 0 ? POS_EXIT_OK : POS_EXIT_REFUSED;
    }
    fflush(out);
    json_decref(answer);
    pos_ledger_free(&ledger);
    free(s.campaigns);
    free(j.campaigns);
    return rc;
}
