#!/usr/bin/env python3
"""Independent reference values for tests/unit/test_stats.c, computed with statsmodels.

Arguments: fixtures "x1,n1,x2,n2" (two groups' responses and pieces; group 2 is the
control) and "plan:baseline,mde,alpha,power". For each fixture one line is printed:
  pair x1 n1 x2 n2 newcombe_lo newcombe_hi z p ratio_lo ratio_hi
(ratio bounds are "nan" when a count is 0), or
  plan baseline mde alpha power n
where n is the closed formula (z(1-alpha/2) + z(power))^2 * 2 pbar (1 - pbar) / mde^2,
rounded up, computed here with scipy's normal quantiles.
"""
import math
import sys

from scipy.stats import norm
from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest


def pair(x1, n1, x2, n2):
    lo, hi = confint_proportions_2indep(x1, n1, x2, n2, method="newcomb", compare="diff")
    z, p = proportions_ztest([x1, x2], [n1, n2])
    if x1 > 0 and x2 > 0:
        rlo, rhi = confint_proportions_2indep(x1, n1, x2, n2, method="log", compare="ratio")
    else:
        rlo = rhi = float("nan")
    return f"pair {x1} {n1} {x2} {n2} {lo!r} {hi!r} {z!r} {p!r} {rlo!r} {rhi!r}"


def plan(baseline, mde, alpha, power):
    target = baseline + mde
    pbar = (baseline + target) / 2
    z = norm.ppf(1 - alpha / 2) + norm.ppf(power)
    n = z * z * 2 * pbar * (1 - pbar) / (mde * mde)
    return f"plan {baseline!r} {mde!r} {alpha!r} {power!r} {math.ceil(n - 1e-9)}"


def main():
    for arg in sys.argv[1:]:
        if arg.startswith("plan:"):
            print(plan(*(float(v) for v in arg[5:].split(","))))
        else:
            print(pair(*(int(v) for v in arg.split(","))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
