/* Unit tests of service/stats.c: the issue's reference figures, and every statistic against
 * python3-statsmodels (tests/unit/stats_reference.py, run here) on several fixtures to 1e-4
 * relative (1e-9 absolute near zero); the planner against the closed formula. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "stats.h"

/* |GOT - WANT| within 1e-4 of WANT (or 1e-9 absolute, for values near 0). */
static void assert_close(double got, double want, const char *what)
{
    double tol = fmax(1e-4 * fabs(want), 1e-9);
    if (!(fabs(got - want) <= tol)) {
        fprintf(stderr, "%s: got %.12g, want %.12g\n", what, got, want);
        fail();
    }
}

static void reference_figures_of_the_issue(void **state)
{
    (void)state;
    /* 240 of 20,000 against 200 of 20,000: +0.20 pp, CI [-0.0047, 0.4058] pp, p = 0.0552. */
    struct stats_pair ab = {240, 20000, 200, 20000};
    double lo, hi, z, p;
    assert_int_equal(stats_newcombe(&ab, 0.05, &lo, &hi), 0);
    assert_true(fabs(lo * 100 - -0.0047) < 0.00005);
    assert_true(fabs(hi * 100 - 0.4058) < 0.00005);
    assert_int_equal(stats_ztest(&ab, &z, &p), 0);
    assert_true(fabs(p - 0.0552) < 0.00005);
    /* Holdout: 720 of 9,000 mailed against 30 of 1,000 held out: 8 % vs 3 %, lift 5 pp. */
    struct stats_pair lift = {720, 9000, 30, 1000};
    assert_int_equal(stats_newcombe(&lift, 0.05, &lo, &hi), 0);
    assert_true(lo > 0.0 && lo < 0.05 && hi > 0.05);
    /* 1.0 % → 1.2 %, alpha 0.05 two-sided, power 0.8: 42,694 pieces per cell. */
    assert_int_equal(stats_plan(0.01, 0.002, 0.05, 0.8), 42694);
}

static void normal_quantiles_invert_the_distribution(void **state)
{
    (void)state;
    assert_close(stats_norm_ppf(0.975), 1.959963984540054, "z 0.975");
    assert_close(stats_norm_ppf(0.8), 0.8416212335729143, "z 0.8");
    assert_close(stats_norm_ppf(0.5) + 1.0, 1.0, "z 0.5");
    assert_close(stats_norm_ppf(1e-10), -6.361340902404056, "z 1e-10");
    for (double p = 0.0001; p < 1.0; p += 0.0173)
        assert_close(stats_norm_cdf(stats_norm_ppf(p)), p, "cdf(ppf(p))");
    assert_true(isnan(stats_norm_ppf(0.0)) && isnan(stats_norm_ppf(1.0)));
}

static void invalid_inputs_are_refused(void **state)
{
    (void)state;
    double lo, hi, z, p;
    struct stats_pair empty = {0, 0, 5, 100}, over = {101, 100, 5, 100}, flat = {0, 10, 0, 10};
    assert_int_equal(stats_newcombe(&empty, 0.05, &lo, &hi), -1);
    assert_int_equal(stats_newcombe(&over, 0.05, &lo, &hi), -1);
    assert_int_equal(stats_ztest(&empty, &z, &p), -1);
    assert_int_equal(stats_ztest(&flat, &z, &p), -1); /* no variance */
    assert_int_equal(stats_ratio_log(&flat, 0.05, &lo, &hi), -1);
    assert_int_equal(stats_wilson(3, 10, 0.0, &lo, &hi), -1);
    assert_int_equal(stats_plan(0.0, 0.01, 0.05, 0.8), -1);
    assert_int_equal(stats_plan(0.99, 0.02, 0.05, 0.8), -1);
    assert_int_equal(stats_plan(0.01, 0.0, 0.05, 0.8), -1);
    assert_int_equal(stats_plan(0.01, 0.002, 0.05, 0.4), -1);
    assert_int_equal(stats_plan(0.5, 1e-9, 0.05, 0.8), -1); /* more than 10^12 pieces */
}

/* The fixtures: responses and pieces of a variant against its control. */
static const struct stats_pair fixtures[] = {
    {240, 20000, 200, 20000},
    {720, 9000, 30, 1000},
    {0, 100, 5, 100},
    {5, 100, 0, 100},
    {1, 1, 0, 1},
    {50, 50, 49, 50},
    {13, 400, 31, 380},
    {999, 1000000, 1000, 1000000},
    {7, 12, 3, 15},
};
static const double plans[][4] = {{0.01, 0.002, 0.05, 0.8},
                                  {0.05, -0.01, 0.05, 0.8},
                                  {0.2, 0.05, 0.01, 0.9},
                                  {0.5, 0.001, 0.05, 0.8},
                                  {0.001, 0.0005, 0.1, 0.95}};

/* Runs the statsmodels reference on every fixture; returns its output lines. */
static char *reference_output(void)
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", __FILE__);
    char *slash = strrchr(dir, '/');
    if (slash != NULL)
        *slash = '\0';
    else
        snprintf(dir, sizeof dir, ".");
    /* The system python3 is the one python3-statsmodels installs into. */
    const char *py = access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
    char cmd[8192];
    size_t pos = (size_t)snprintf(cmd, sizeof cmd, "%s '%s/stats_reference.py'", py, dir);
    for (size_t i = 0; i < sizeof fixtures / sizeof fixtures[0]; i++)
        pos += (size_t)snprintf(cmd + pos, sizeof cmd - pos, " %lld,%lld,%lld,%lld",
                                (long long)fixtures[i].x1, (long long)fixtures[i].n1,
                                (long long)fixtures[i].x2, (long long)fixtures[i].n2);
    for (size_t i = 0; i < sizeof plans / sizeof plans[0]; i++)
        pos += (size_t)snprintf(cmd + pos, sizeof cmd - pos, " plan:%.17g,%.17g,%.17g,%.17g",
                                plans[i][0], plans[i][1], plans[i][2], plans[i][3]);
    assert_true(pos < sizeof cmd);
    FILE *f = popen(cmd, "r");
    assert_non_null(f);
    size_t cap = 1 << 16, len = 0;
    char *out = malloc(cap);
    assert_non_null(out);
    for (size_t n = 1; n > 0 && len < cap - 1;) {
        n = fread(out + len, 1, cap - 1 - len, f);
        len += n;
    }
    out[len] = '\0';
    int rc = pclose(f);
    if (rc != 0)
        fprintf(stderr, "the statsmodels reference failed (is python3-statsmodels installed?)\n");
    assert_int_equal(rc, 0);
    return out;
}

static void statistics_match_statsmodels(void **state)
{
    (void)state;
    char *out = reference_output();
    size_t pairs = 0, planned = 0;
    for (char *line = out, *next; line != NULL && *line != '\0'; line = next) {
        next = strchr(line, '\n');
        if (next != NULL)
            *next++ = '\0';
        struct stats_pair f;
        long long x1, n1, x2, n2, want_n;
        double nlo, nhi, wz, wp, b, mde, alpha, power;
        char rl[64], rh[64];
        if (sscanf(line, "pair %lld %lld %lld %lld %lf %lf %lf %lf %63s %63s", &x1, &n1, &x2, &n2,
                   &nlo, &nhi, &wz, &wp, rl, rh) == 10) {
            f = (struct stats_pair){x1, n1, x2, n2};
            double lo, hi, z, p;
            fprintf(stderr, "%lld/%lld vs %lld/%lld\n", x1, n1, x2, n2);
            assert_int_equal(stats_newcombe(&f, 0.05, &lo, &hi), 0);
            assert_close(lo, nlo, "newcombe low");
            assert_close(hi, nhi, "newcombe high");
            if (stats_ztest(&f, &z, &p) == 0) {
                assert_close(z, wz, "z");
                assert_close(p, wp, "p");
            } else {
                assert_true(isnan(wz) || isnan(wp)); /* statsmodels: no variance either */
            }
            bool defined = strcmp(rl, "nan") != 0;
            assert_int_equal(stats_ratio_log(&f, 0.05, &lo, &hi), defined ? 0 : -1);
            if (defined) {
                assert_close(lo, strtod(rl, NULL), "ratio low");
                assert_close(hi, strtod(rh, NULL), "ratio high");
            }
            pairs++;
        } else if (sscanf(line, "plan %lf %lf %lf %lf %lld", &b, &mde, &alpha, &power, &want_n) ==
                   5) {
            assert_int_equal(stats_plan(b, mde, alpha, power), want_n);
            planned++;
        } else {
            fprintf(stderr, "unexpected reference line: %s\n", line);
            fail();
        }
    }
    free(out);
    assert_int_equal(pairs, sizeof fixtures / sizeof fixtures[0]);
    assert_int_equal(planned, sizeof plans / sizeof plans[0]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reference_figures_of_the_issue),
        cmocka_unit_test(normal_quantiles_invert_the_distribution),
        cmocka_unit_test(invalid_inputs_are_refused),
        cmocka_unit_test(statistics_match_statsmodels),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
