/* Issues off the HTTP workers: each issue (or its replay) runs on a thread of its own with a
 * database connection of its own, so a million-coupon issue never holds up the tills served
 * by the same worker. A fixed number of issues run at once; a further one is refused, not
 * queued. At shutdown the running ones are cancelled (each rolls back whole). A job may also
 * run other bulk work that issues (a mailing's recipient list): it shares the slots. */
#ifndef SVC_ISSUE_JOB_H
#define SVC_ISSUE_JOB_H

#include <stdatomic.h>
#include <stdbool.h>

#include "issue.h"

#define ISSUE_JOBS_DEFAULT 2 /* issues running at once, unless configured */

struct issue_job;

/* Sets how many issues may run at once (MAX_RUNNING >= 1). Call before serving. */
void issue_jobs_configure(unsigned max_running);

/* How many issues may run at once. */
unsigned issue_jobs_max(void);

/* True once issue_jobs_stop has begun: new jobs are refused from then on. */
bool issue_jobs_stopping(void);

/* A new job for a copy of REQ (its strings are copied; REQ->cancel is ignored), taking one
 * of the running slots. Returns CPN_OK with *JOB set (the caller runs it with issue_job_run
 * and frees it with issue_job_free), CPN_ERR_UNAVAILABLE when every slot is taken or
 * coupond is stopping, or CPN_ERR_NO_MEMORY; on error *JOB is NULL and nothing changed. */
enum cpn_err issue_job_new(const struct issue_request *req, struct issue_job **job) CPN_MUST_CHECK;

/* A job like issue_job_new's that runs WORK(ARG, CANCEL) instead of an issue (ARG is
 * borrowed until DONE is called). WORK runs on the job's thread with that thread's own
 * database connection; *CANCEL turns true when issue_jobs_stop cancels the job (a statement
 * in progress is cancelled on the server too): WORK then stops, rolls back, and returns
 * CPN_ERR_UNAVAILABLE. What WORK returns is the job's outcome. Returns as issue_job_new. */
enum cpn_err issue_job_new_work(enum cpn_err (*work)(void *arg, const atomic_bool *cancel),
                                void *arg, struct issue_job **job) CPN_MUST_CHECK;

/* Runs JOB on a thread of its own. When the issue has ended (committed, refused or rolled
 * back) and its slot is free again, DONE(ARG) is called exactly once, on that thread (or on
 * the caller's, before issue_job_run returns, if no thread could be started). */
void issue_job_run(struct issue_job *job, void (*done)(void *arg), void *arg);

/* The outcome of JOB once DONE was called: CPN_OK with *RES (borrowed from JOB) holding the
 * issued or replayed serials, or issue_coupons' refusal (*RES still tells serials_left); for
 * a job of issue_job_new_work, what its WORK returned (*RES holds nothing). *STOPPED is set
 * when the job was cancelled by issue_jobs_stop and nothing was issued. */
enum cpn_err issue_job_result(const struct issue_job *job, const struct issue_result **res,
                              bool *stopped);

/* Waits for JOB's thread to end, then frees JOB and its result; NULL is a no-op. */
void issue_job_free(struct issue_job *job);

/* Refuses new jobs, cancels the running ones (a statement in progress is cancelled on the
 * server; each issue rolls back unless it had already committed) and returns once every
 * job has called its DONE. Call before stopping the HTTP daemon. */
void issue_jobs_stop(void);

#endif
