/* The statistics a marketer decides on, as pure functions: the normal distribution, the
 * Wilson score interval of one proportion, Newcombe's hybrid score interval of the difference
 * of two, the pooled two-proportion z-test, the log interval of their ratio, and the pieces
 * per cell an A/B test needs. No I/O, no allocation; the answers match python3-statsmodels. */
#ifndef SVC_STATS_H
#define SVC_STATS_H

#include <stdbool.h>
#include <stdint.h>

/* Two groups' responses: X1 of N1 pieces against X2 of N2 (group 2 is the control). */
struct stats_pair {
    int64_t x1, n1, x2, n2;
};

/* P(Z <= Z) for a standard normal Z. */
double stats_norm_cdf(double z);

/* The quantile of the standard normal distribution: the z with P(Z <= z) = P, for P in
 * (0, 1); NaN otherwise. Accurate to about 1e-12. */
double stats_norm_ppf(double p);

/* The Wilson score interval of X successes of N at level 1 - ALPHA into *LO and *HI.
 * Returns 0, or -1 (nothing written) when N < 1, X is outside 0..N or ALPHA outside (0, 1). */
int stats_wilson(int64_t x, int64_t n, double alpha, double *lo, double *hi);

/* Newcombe's hybrid score interval (his method 10, without continuity correction) of
 * p1 - p2 at level 1 - ALPHA, as a fraction (0.002 is 0.2 percentage points): statsmodels'
 * confint_proportions_2indep(method='newcomb'). Returns 0, or -1 as stats_wilson. */
int stats_newcombe(const struct stats_pair *p, double alpha, double *lo, double *hi);

/* The two-sided p-value of the pooled two-proportion z-test of p1 = p2 into *P (and the
 * statistic into *Z): statsmodels' proportions_ztest. Returns 0, or -1 when a group has no
 * pieces, a count lies outside 0..n, or the pooled rate is 0 or 1 (no variance). */
int stats_ztest(const struct stats_pair *p, double *z, double *pvalue);

/* The log interval of the ratio p1 / p2 at level 1 - ALPHA: statsmodels'
 * confint_proportions_2indep(compare='ratio', method='log'). Returns 0, or -1 when either
 * count is 0 (the logarithm is undefined) or the input is invalid as for stats_wilson. */
int stats_ratio_log(const struct stats_pair *p, double alpha, double *lo, double *hi);

/* Pieces per cell for a two-sided test at level ALPHA with power POWER to detect a change of
 * the response rate from BASELINE to BASELINE + MDE (MDE may be negative):
 * n = (z(1 - ALPHA/2) + z(POWER))^2 * 2 pbar (1 - pbar) / MDE^2 with pbar the mean of both
 * rates, rounded up. Returns n, or -1 when a rate leaves (0, 1), MDE is 0, ALPHA leaves (0, 1),
 * POWER leaves (0.5, 1) or n exceeds 10^12. */
int64_t stats_plan(double baseline, double mde, double alpha, double power);

#endif
