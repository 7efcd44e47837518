/* Unit tests of an issue's pacing (issue 10: a 10^6 issue must not slow the tills'
 * redemptions): the pause after each piece, a simulated issue of random pieces keeping to
 * its share (never slower than asked, whatever else delays it), the setting's bounds, and
 * --issue-share read from the command line, the environment and its default. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "config.h"
#include "issue_pace.h"

static void assert_near(double got, double want)
{
    if (fabs(got - want) > 1e-9)
        fail_msg("got %.12f, want %.12f", got, want);
}

static void a_pause_makes_up_the_time_behind_the_share(void **state)
{
    (void)state;
    /* 10 ms worked of 10 ms: at 50 % it pauses 10 ms, at 25 % 30 ms, at 100 % never. */
    assert_near(issue_pace_pause(0.010, 0.010, 50), 0.010);
    assert_near(issue_pace_pause(0.010, 0.010, 25), 0.030);
    assert_near(issue_pace_pause(0.010, 0.010, 100), 0);
    assert_near(issue_pace_pause(5.0, 1.0, 100), 0);
    /* Already as slow as the share (other things held it up): no pause. */
    assert_near(issue_pace_pause(0.010, 0.020, 50), 0);
    assert_near(issue_pace_pause(0.010, 0.500, 50), 0);
    /* A long debt is paid at most ISSUE_PAUSE_MAX at a time. */
    assert_near(issue_pace_pause(1.0, 1.0, 10), ISSUE_PAUSE_MAX);
    /* A share below the minimum counts as the minimum; nonsense gives no pause. */
    assert_near(issue_pace_pause(0.010, 0.010, 1), 0.090);
    assert_near(issue_pace_pause(0.010, 0.010, 0), 0.090);
    assert_near(issue_pace_pause(-1, 0.010, 50), 0);
    assert_near(issue_pace_pause(0.010, -1, 50), 0);
    assert_near(issue_pace_pause(NAN, 0.010, 50), 0);
    assert_near(issue_pace_pause(0.010, INFINITY, 50), 0);
    assert_near(issue_pace_pause(1e6, 0.010, 50), 0);
}

/* A fixed pseudo-random sequence (xorshift64*), so that a failure can be replayed. */
static uint64_t rng = 0x2545F4914F6CDD1Du;
static double uniform(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return (double)((rng * 2685821657736338717u) >> 11) / 9007199254740992.0;
}

static void a_simulated_issue_keeps_to_its_share(void **state)
{
    (void)state;
    static const unsigned shares[] = {10, 25, 33, 50, 75, 99, 100};
    for (size_t s = 0; s < sizeof shares / sizeof shares[0]; s++) {
        for (int round = 0; round < 200; round++) {
            /* 245 pieces (a 10^6 issue of 4096-row pieces) of 1 to 100 ms each; sometimes the
             * machine holds the issue up between pieces (up to 0.3 s, counted as elapsed time,
             * not as work). After each piece the issue pauses until it is back on its share,
             * ISSUE_PAUSE_MAX at a time (as service/issue.c does). */
            double busy = 0, elapsed = 0, held_up = 0;
            for (int piece = 0; piece < 245; piece++) {
                double work = 0.001 + 0.099 * uniform();
                busy += work;
                elapsed += work;
                if (uniform() < 0.05) {
                    double delay = 0.3 * uniform();
                    elapsed += delay;
                    held_up += delay;
                }
                double pause;
                while ((pause = issue_pace_pause(busy, elapsed, shares[s])) > 0) {
                    assert_true(pause <= ISSUE_PAUSE_MAX);
                    /* Never beyond what brings it back on the share. */
                    assert_true(elapsed + pause <= busy * 100.0 / shares[s] + 1e-9);
                    elapsed += pause;
                }
                /* On its share after every piece (or behind it only by what held it up). */
                double target = busy * 100.0 / shares[s];
                assert_true(elapsed >= target - 1e-9);
                assert_true(elapsed <= target + held_up + 1e-9);
            }
            if (shares[s] == 100)
                assert_near(elapsed, busy + held_up);
        }
    }
}

static void the_share_setting_is_bounded(void **state)
{
    (void)state;
    assert_int_equal(issue_pace_share(), ISSUE_SHARE_DEFAULT);
    issue_pace_configure(50);
    assert_int_equal(issue_pace_share(), 50);
    issue_pace_configure(0);
    assert_int_equal(issue_pace_share(), ISSUE_SHARE_MIN);
    issue_pace_configure(1000);
    assert_int_equal(issue_pace_share(), ISSUE_SHARE_MAX);
    issue_pace_configure(ISSUE_SHARE_DEFAULT);
}

static void issue_share_is_an_option_with_a_default(void **state)
{
    (void)state;
    char err[256];
    unsetenv("COUPOND_ISSUE_SHARE");
    char *a0[] = {"coupond", NULL};
    struct svc_config *c = svc_config_new(1, a0, err, sizeof err);
    assert_non_null(c);
    assert_int_equal(c->issue_share, ISSUE_SHARE_DEFAULT);
    svc_config_free(c);
    char *a1[] = {"coupond", "--issue-share", "60", NULL};
    c = svc_config_new(3, a1, err, sizeof err);
    assert_non_null(c);
    assert_int_equal(c->issue_share, 60);
    svc_config_free(c);
    setenv("COUPOND_ISSUE_SHARE", "100", 1);
    c = svc_config_new(1, a0, err, sizeof err);
    assert_non_null(c);
    assert_int_equal(c->issue_share, 100);
    svc_config_free(c);
    unsetenv("COUPOND_ISSUE_SHARE");
    char *bad[] = {"coupond", "--issue-share", "5", NULL};
    assert_null(svc_config_new(3, bad, err, sizeof err));
    char *bad2[] = {"coupond", "--issue-share", "101", NULL};
    assert_null(svc_config_new(3, bad2, err, sizeof err));
}

static void tills_count_as_active_for_one_window(void **state)
{
    (void)state;
    const long long s = 1000000000LL, t = 5000 * s;
    assert_false(issue_pace_tills_active(t)); /* none noted yet */
    issue_pace_note_till(t);
    assert_true(issue_pace_tills_active(t));
    assert_true(issue_pace_tills_active(t + s / 2));
    assert_true(issue_pace_tills_active(t + (long long)(ISSUE_TILL_WINDOW * 1e9) - 1));
    assert_false(issue_pace_tills_active(t + (long long)(ISSUE_TILL_WINDOW * 1e9)));
    assert_false(issue_pace_tills_active(t + 60 * s));
    issue_pace_note_till(t + 60 * s); /* a later request opens a new window */
    assert_true(issue_pace_tills_active(t + 60 * s + s / 2));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_pause_makes_up_the_time_behind_the_share),
        cmocka_unit_test(a_simulated_issue_keeps_to_its_share),
        cmocka_unit_test(the_share_setting_is_bounded),
        cmocka_unit_test(issue_share_is_an_option_with_a_default),
        cmocka_unit_test(tills_count_as_active_for_one_window),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
