/* The process's own figures for /metrics (proc_stats.c), read from /proc. */
#ifndef SVC_PROC_STATS_H
#define SVC_PROC_STATS_H

#include <stdbool.h>

struct proc_stats {
    double cpu_seconds;    /* user + system CPU time */
    double start_time;     /* Unix time the process started */
    double resident_bytes; /* resident set size */
    double virtual_bytes;  /* virtual memory size */
    double open_fds;       /* file descriptors open now */
    double max_fds;        /* the soft RLIMIT_NOFILE */
    double threads;        /* threads of the process */
};

/* Reads the figures of the calling process. Returns true when all were read; on false the
 * ones that could not be read are -1. */
bool proc_stats_read(struct proc_stats *out);

#endif
