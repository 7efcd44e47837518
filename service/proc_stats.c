/* The process's own figures (CPU, memory, file descriptors, start time), read from
 * /proc/self the way Prometheus client libraries do, for the process_* metrics. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "files.h"
#include "proc_stats.h"

/* The system's boot time (Unix seconds) from /proc/stat, or -1. */
static double boot_time(void)
{
    char *text = file_read_all("/proc/stat", 1u << 20, NULL);
    double t = -1;
    const char *p = text != NULL ? strstr(text, "\nbtime ") : NULL;
    if (p != NULL)
        t = strtod(p + 7, NULL);
    free(text);
    return t;
}

/* Reads /proc/self/stat's fields after the command name into OUT. Returns true or false. */
static bool read_stat(struct proc_stats *out)
{
    char *text = file_read_all("/proc/self/stat", 4096, NULL);
    const char *p = text != NULL ? strrchr(text, ')') : NULL; /* the name may hold spaces */
    if (p == NULL) {
        free(text);
        return false;
    }
    /* Fields 3.. after ") ": state ppid pgrp session tty tpgid flags minflt cminflt majflt
     * cmajflt utime(14) stime(15) cutime cstime priority nice num_threads(20) itrealvalue
     * starttime(22) vsize(23) rss(24). */
    unsigned long long f[25] = {0};
    const char *q = p + 2;
    int field = 3;
    while (*q != '\0' && field <= 24) {
        while (*q == ' ')
            q++;
        char *end = NULL;
        if (field > 3)
            f[field] = strtoull(q, &end, 10);
        while (*q != '\0' && *q != ' ')
            q++;
        field++;
    }
    free(text);
    if (field <= 24)
        return false;
    double tick = (double)sysconf(_SC_CLK_TCK), page = (double)sysconf(_SC_PAGESIZE);
    double boot = boot_time();
    out->cpu_seconds = (double)(f[14] + f[15]) / tick;
    out->threads = (double)f[20];
    out->start_time = boot >= 0 ? boot + (double)f[22] / tick : -1;
    out->virtual_bytes = (double)f[23];
    out->resident_bytes = (double)f[24] * page;
    return boot >= 0;
}

/* The number of open file descriptors, or -1. */
static double open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (d == NULL)
        return -1;
    double n = 0;
    for (struct dirent *e = readdir(d); e != NULL; e = readdir(d))
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n - 1; /* the directory's own descriptor */
}

bool proc_stats_read(struct proc_stats *out)
{
    *out = (struct proc_stats){-1, -1, -1, -1, -1, -1, -1};
    bool ok = read_stat(out);
    out->open_fds = open_fds();
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
        out->max_fds = rl.rlim_cur == RLIM_INFINITY ? -1 : (double)rl.rlim_cur;
    return ok && out->open_fds >= 0 && out->max_fds >= 0;
}
