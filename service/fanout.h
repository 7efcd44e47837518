/* One piece of work spread over threads (fanout.c): the word filter over candidate
 * serials and the export's signing of fetched rows both use it. */
#ifndef SVC_FANOUT_H
#define SVC_FANOUT_H

#include <stddef.h>

/* The most jobs one fanout_run takes. */
#define FANOUT_MAX 16

/* Runs WORK on each of the N jobs of the array JOBS (elements of SIZE bytes), N at most
 * FANOUT_MAX: job 0 on the calling thread, every other on a thread of its own (a job whose
 * thread cannot be started runs on the calling thread afterwards). Returns when every job is
 * done; a job reports its outcome in its own element. */
void fanout_run(void *(*work)(void *job), void *jobs, size_t size, unsigned n);

/* How many jobs use the machine: the processors online, from 1 to MAX (MAX at most
 * FANOUT_MAX). */
unsigned fanout_width(unsigned max);

#endif
