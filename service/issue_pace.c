/* Pacing of coupon issues: the share of the time an issue works (a setting read by every
 * issue as it starts) and the pause it takes after each piece to keep to it. */
#include <stdatomic.h>

#include "issue_pace.h"

static atomic_uint share = ISSUE_SHARE_DEFAULT;

void issue_pace_configure(unsigned share_pct)
{
    atomic_store(&share, share_pct < ISSUE_SHARE_MIN   ? ISSUE_SHARE_MIN
                         : share_pct > ISSUE_SHARE_MAX ? ISSUE_SHARE_MAX
                                                       : share_pct);
}

unsigned issue_pace_share(void)
{
    return atomic_load(&share);
}

double issue_pace_pause(double busy_s, double elapsed_s, unsigned share_pct)
{
    /* (written so that NaN fails every comparison; a day or more is nonsense too) */
    if (share_pct >= ISSUE_SHARE_MAX || !(busy_s > 0 && busy_s < 86400) ||
        !(elapsed_s >= 0 && elapsed_s < 86400))
        return 0;
    if (share_pct < ISSUE_SHARE_MIN)
        share_pct = ISSUE_SHARE_MIN;
    double behind = busy_s * 100.0 / share_pct - elapsed_s;
    return behind <= 0 ? 0 : behind > ISSUE_PAUSE_MAX ? ISSUE_PAUSE_MAX : behind;
}
