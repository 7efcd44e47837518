/* Response statistics for the marketer: normal distribution, Wilson and Newcombe intervals,
 * the pooled z-test, the log ratio interval and the A/B planner. */
#include <math.h>

#include "stats.h"

double stats_norm_cdf(double z)
{
    return 0.5 * erfc(-z / sqrt(2.0));
}

double stats_norm_ppf(double p)
{
    /* Acklam's rational approximation (relative error 1.15e-9), then one Halley step on
     * erfc, which brings it to machine precision. */
    static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                               -2.759285104469687e+02, 1.383577518672690e+02,
                               -3.066479806614716e+01, 2.506628277459239e+00};
    static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                               -1.556989798598866e+02, 6.680131188771972e+01,
                               -1.328068155288572e+01};
    static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                               -2.400758277161838e+00, -2.549732539343734e+00,
                               4.374664141464968e+00,  2.938163982698783e+00};
    static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                               3.754408661907416e+00};
    const double low = 0.02425;
    if (!(p > 0.0 && p < 1.0))
        return NAN;
    double x;
    if (p < low) {
        double q = sqrt(-2.0 * log(p));
        x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0);
    } else if (p <= 1.0 - low) {
        double q = p - 0.5, r = q * q;
        x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
            (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1.0);
    } else {
        double q = sqrt(-2.0 * log(1.0 - p));
        x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0);
    }
    double e = 0.5 * erfc(-x / sqrt(2.0)) - p;
    double u = e * sqrt(2.0 * M_PI) * exp(x * x / 2.0);
    return x - u / (1.0 + x * u / 2.0);
}

static bool valid_count(int64_t x, int64_t n)
{
    return n >= 1 && x >= 0 && x <= n;
}

int stats_wilson(int64_t x, int64_t n, double alpha, double *lo, double *hi)
{
    if (!valid_count(x, n) || !(alpha > 0.0 && alpha < 1.0))
        return -1;
    double z = stats_norm_ppf(1.0 - alpha / 2.0);
    double nn = (double)n, p = (double)x / nn, z2 = z * z;
    double centre = (p + z2 / (2.0 * nn)) / (1.0 + z2 / nn);
    double half = z / (1.0 + z2 / nn) * sqrt(p * (1.0 - p) / nn + z2 / (4.0 * nn * nn));
    *lo = centre - half;
    *hi = centre + half;
    /* Rounding must not push a bound past the rate itself or out of [0, 1]. */
    if (*lo < 0.0 || x == 0)
        *lo = x == 0 ? 0.0 : fmax(*lo, 0.0);
    if (*hi > 1.0 || x == n)
        *hi = 1.0;
    return 0;
}

int stats_newcombe(const struct stats_pair *p, double alpha, double *lo, double *hi)
{
    double l1, u1, l2, u2;
    if (stats_wilson(p->x1, p->n1, alpha, &l1, &u1) != 0 ||
        stats_wilson(p->x2, p->n2, alpha, &l2, &u2) != 0)
        return -1;
    double p1 = (double)p->x1 / (double)p->n1, p2 = (double)p->x2 / (double)p->n2;
    double d = p1 - p2;
    *lo = d - sqrt((p1 - l1) * (p1 - l1) + (u2 - p2) * (u2 - p2));
    *hi = d + sqrt((u1 - p1) * (u1 - p1) + (p2 - l2) * (p2 - l2));
    return 0;
}

int stats_ztest(const struct stats_pair *p, double *z, double *pvalue)
{
    if (!valid_count(p->x1, p->n1) || !valid_count(p->x2, p->n2))
        return -1;
    double n1 = (double)p->n1, n2 = (double)p->n2;
    double pooled = (double)(p->x1 + p->x2) / (n1 + n2);
    double var = pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2);
    if (!(var > 0.0))
        return -1;
    *z = ((double)p->x1 / n1 - (double)p->x2 / n2) / sqrt(var);
    *pvalue = erfc(fabs(*z) / sqrt(2.0));
    return 0;
}

int stats_ratio_log(const struct stats_pair *p, double alpha, double *lo, double *hi)
{
    if (!valid_count(p->x1, p->n1) || !valid_count(p->x2, p->n2) || p->x1 == 0 || p->x2 == 0 ||
        !(alpha > 0.0 && alpha < 1.0))
        return -1;
    double x1 = (double)p->x1, n1 = (double)p->n1, x2 = (double)p->x2, n2 = (double)p->n2;
    double ratio = (x1 / n1) / (x2 / n2);
    double half =
        stats_norm_ppf(1.0 - alpha / 2.0) * sqrt(1.0 / x1 - 1.0 / n1 + 1.0 / x2 - 1.0 / n2);
    *lo = exp(log(ratio) - half);
    *hi = exp(log(ratio) + half);
    return 0;
}

int64_t stats_plan(double baseline, double mde, double alpha, double power)
{
    double target = baseline + mde;
    if (!(baseline > 0.0 && baseline < 1.0) || !(target > 0.0 && target < 1.0) || mde == 0.0 ||
        !(alpha > 0.0 && alpha < 1.0) || !(power > 0.5 && power < 1.0))
        return -1;
    double pbar = (baseline + target) / 2.0;
    double z = stats_norm_ppf(1.0 - alpha / 2.0) + stats_norm_ppf(power);
    double n = z * z * 2.0 * pbar * (1.0 - pbar) / (mde * mde);
    /* A hair below a whole number is that number: 1e-9 absorbs the rounding of the doubles. */
    double up = ceil(n - 1e-9);
    if (!(up >= 1.0 && up <= 1e12))
        return -1;
    return (int64_t)up;
}
