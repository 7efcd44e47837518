/* Pacing of coupon issues: the share of the time an issue works (a setting read by every
 * issue as it starts), the pause it takes after each piece to keep to it, and when the last
 * till request came (issues pace only while tills are being served). */
#include <stdatomic.h>

#include "issue_pace.h"

static atomic_uint share = ISSUE_SHARE_DEFAULT;
static atomic_llong last_till_ns; /* 0: none yet */

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

void issue_pace_note_till(long long at_ns)
{
    /* Relaxed is enough: a hint for pacing, not a synchronisation. The same value from many
     * workers at once is a plain overwrite. */
    atomic_store_explicit(&last_till_ns, at_ns, memory_order_relaxed);
}

bool issue_pace_tills_active(long long now_ns)
{
    long long last = atomic_load_explicit(&last_till_ns, memory_order_relaxed);
    return last != 0 && now_ns - last < (long long)(ISSUE_TILL_WINDOW * 1e9);
}
