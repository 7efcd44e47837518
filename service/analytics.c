/* Rates, intervals, tests and verdicts added to the counts of a report and an A/B test. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>

#include "analytics.h"
#include "stats.h"

#define PLAN_POWER 0.8

/* X rounded to DIGITS decimals as a JSON number, or null when X is not finite. */
static json_t *num(double x, int digits)
{
    if (!isfinite(x))
        return json_null();
    double scale = pow(10.0, digits);
    double v = round(x * scale) / scale;
    return json_real(v == 0.0 ? 0.0 : v); /* no "-0.0" */
}

static json_t *pair_json(double lo, double hi, int digits)
{
    return json_pack("[o, o]", num(lo, digits), num(hi, digits));
}

static int64_t int_of(const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : -1;
}

void analytics_thousands(int64_t n, char *buf, size_t len)
{
    char digits[24];
    int nd = snprintf(digits, sizeof digits, "%" PRId64, n < 0 ? -n : n);
    size_t pos = 0;
    if (n < 0 && pos + 1 < len)
        buf[pos++] = '-';
    for (int i = 0; i < nd && pos + 2 < len; i++) {
        buf[pos++] = digits[i];
        if ((nd - i - 1) % 3 == 0 && i < nd - 1)
            buf[pos++] = ',';
    }
    buf[pos < len ? pos : len - 1] = '\0';
}

/* Sets the comparison of X1/N1 (test) against X2/N2 (control) into OBJ under the given key
 * names: difference and its interval in percentage points, p-value, significant. Returns the
 * difference (a fraction) and *SIG (1 better, -1 worse, 0 not significant), or NAN when
 * undefined (the fields are then null). */
static double compare_into(json_t *obj, const struct stats_pair *p, const char *diff_key,
                           const char *ci_key, int *sig)
{
    double lo, hi, z, pv;
    *sig = 0;
    if (stats_newcombe(p, ANALYTICS_ALPHA, &lo, &hi) != 0) {
        json_object_set_new(obj, diff_key, json_null());
        json_object_set_new(obj, ci_key, json_null());
        json_object_set_new(obj, "p_value", json_null());
        json_object_set_new(obj, "significant", json_null());
        return NAN;
    }
    double d = (double)p->x1 / (double)p->n1 - (double)p->x2 / (double)p->n2;
    *sig = lo > 0.0 ? 1 : hi < 0.0 ? -1 : 0;
    json_object_set_new(obj, diff_key, num(d * 100.0, 4));
    json_object_set_new(obj, ci_key, pair_json(lo * 100.0, hi * 100.0, 4));
    json_object_set_new(obj, "p_value", stats_ztest(p, &z, &pv) == 0 ? num(pv, 6) : json_null());
    json_object_set_new(obj, "significant", json_boolean(*sig != 0));
    return d;
}

int analytics_holdout(json_t *report)
{
    json_t *h = json_object_get(report, "holdout");
    if (h == NULL || json_is_null(h))
        return 0;
    json_t *mailed = json_object_get(h, "mailed"), *held = json_object_get(h, "held_out");
    if (!json_is_object(mailed) || !json_is_object(held))
        return -1;
    struct stats_pair p = {int_of(mailed, "responders"), int_of(mailed, "cards"),
                           int_of(held, "responders"), int_of(held, "cards")};
    int64_t rev1 = int_of(mailed, "revenue_cents"), rev2 = int_of(held, "revenue_cents");
    int64_t cost = int_of(report, "cost_cents");
    if (p.x1 < 0 || p.n1 < 0 || p.x2 < 0 || p.n2 < 0 || rev1 < 0 || rev2 < 0)
        return -1;
    json_object_set_new(mailed, "rate",
                        p.n1 > 0 ? num((double)p.x1 / (double)p.n1, 6) : json_null());
    json_object_set_new(held, "rate", p.n2 > 0 ? num((double)p.x2 / (double)p.n2, 6) : json_null());
    int sig;
    double d = compare_into(h, &p, "lift_pp", "lift_pp_ci", &sig);
    double lo, hi;
    bool ratio = isfinite(d) && stats_ratio_log(&p, ANALYTICS_ALPHA, &lo, &hi) == 0;
    double base = p.n2 > 0 ? (double)p.x2 / (double)p.n2 : 0.0;
    json_object_set_new(h, "lift_pct",
                        isfinite(d) && base > 0.0 ? num(d / base * 100.0, 2) : json_null());
    json_object_set_new(h, "lift_pct_ci",
                        ratio ? pair_json((lo - 1.0) * 100.0, (hi - 1.0) * 100.0, 2) : json_null());
    bool both = p.n1 > 0 && p.n2 > 0;
    double per_piece = both ? (double)rev1 / (double)p.n1 - (double)rev2 / (double)p.n2 : NAN;
    json_object_set_new(h, "incremental_revenue_per_piece_cents", num(per_piece, 2));
    json_object_set_new(h, "incremental_revenue_cents",
                        both ? json_integer((json_int_t)llround(per_piece * (double)p.n1))
                             : json_null());
    json_object_set_new(h, "incremental_roas",
                        both && cost > 0 ? num(per_piece * (double)p.n1 / (double)cost, 4)
                                         : json_null());
    return 0;
}

/* The verdict and its sentence for VARIANT against CONTROL (names) into CELL. */
static void verdict(json_t *cell, const char *variant, const char *control,
                    const struct stats_pair *p, double d, int sig)
{
    char sentence[512], n_text[32];
    const char *v;
    int64_t needed = -1;
    if (!isfinite(d)) {
        v = "no_data";
        snprintf(sentence, sizeof sentence,
                 "No comparison yet: both %s and %s need coupons issued.", variant, control);
    } else if (sig != 0) {
        v = sig > 0 ? "better" : "worse";
        snprintf(sentence, sizeof sentence, "%s responds %s than %s (95 %% confidence).", variant,
                 sig > 0 ? "better" : "worse", control);
    } else {
        v = "not_significant";
        double base = (double)p->x2 / (double)p->n2;
        needed = stats_plan(base, d, ANALYTICS_ALPHA, PLAN_POWER);
        if (needed > 0) {
            analytics_thousands(needed, n_text, sizeof n_text);
            snprintf(sentence, sizeof sentence,
                     "Not significant yet: about %s pieces per cell would show a difference "
                     "this size.",
                     n_text);
        } else if (d == 0.0) {
            snprintf(sentence, sizeof sentence,
                     "Not significant yet: no difference between %s and %s so far.", variant,
                     control);
        } else {
            snprintf(sentence, sizeof sentence,
                     "Not significant yet: %s and %s do not differ with 95 %% confidence.", variant,
                     control);
        }
    }
    json_object_set_new(cell, "verdict", json_string(v));
    json_object_set_new(cell, "pieces_needed", needed > 0 ? json_integer(needed) : json_null());
    json_object_set_new(cell, "sentence", json_string(sentence));
}

int analytics_compare(json_t *compare)
{
    json_t *cells = json_object_get(compare, "cells");
    if (!json_is_array(cells) || json_array_size(cells) == 0)
        return -1;
    json_t *control = json_array_get(cells, 0);
    if (!json_is_true(json_object_get(control, "control")))
        return -1;
    json_object_set_new(compare, "confidence", json_real(1.0 - ANALYTICS_ALPHA));
    int64_t x2 = int_of(control, "responses"), n2 = int_of(control, "pieces");
    const char *control_name = json_string_value(json_object_get(control, "name"));
    size_t i;
    json_t *cell;
    json_array_foreach(cells, i, cell)
    {
        int64_t x = int_of(cell, "responses"), n = int_of(cell, "pieces");
        const char *name = json_string_value(json_object_get(cell, "name"));
        if (x < 0 || n < 0 || name == NULL || control_name == NULL)
            return -1;
        json_object_set_new(cell, "rate", n > 0 ? num((double)x / (double)n, 6) : json_null());
        if (i == 0) {
            static const char *const none[] = {"diff_pp",       "ci_pp",   "p_value",
                                               "significant",   "verdict", "sentence",
                                               "pieces_needed", NULL};
            for (const char *const *k = none; *k != NULL; k++)
                json_object_set_new(cell, *k, json_null());
            continue;
        }
        struct stats_pair p = {x, n, x2, n2};
        int sig;
        double d = compare_into(cell, &p, "diff_pp", "ci_pp", &sig);
        verdict(cell, name, control_name, &p, d, sig);
    }
    return 0;
}
