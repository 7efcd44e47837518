/* Issues off the HTTP workers: one thread per running issue, with its own database
 * connection, at most issue_jobs_max() at once, cancelled together at shutdown. The thread
 * runs at a lower CPU priority (nice) than the workers, so on a machine with few cores the
 * tills' requests go first. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "db_coupons.h"
#include "issue_job.h"
#include "log.h"

/* Added to the nice value of an issue's thread. */
#define ISSUE_NICE 10

struct issue_job {
    struct issue_request req; /* strings owned: request_key, created_by */
    enum cpn_err (*work)(void *arg, const atomic_bool *cancel); /* NULL: the issue REQ */
    void *work_arg;
    atomic_bool cancel;
    struct issue_job *next;      /* the registry of jobs holding a slot */
    struct db_cancel *db_cancel; /* while the thread has a connection (under jobs_lock) */
    pthread_t thread;
    bool started;
    void (*done)(void *arg);
    void *done_arg;
    enum cpn_err err;
    struct issue_result res;
    bool stopped;
};

static pthread_mutex_t jobs_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t jobs_settled = PTHREAD_COND_INITIALIZER;
static struct issue_job *jobs; /* holding a slot */
static unsigned jobs_max = ISSUE_JOBS_DEFAULT;
static unsigned jobs_slots;     /* taken */
static unsigned jobs_notifying; /* slot given back, DONE not yet returned */
static bool jobs_closing;

void issue_jobs_configure(unsigned max_running)
{
    pthread_mutex_lock(&jobs_lock);
    jobs_max = max_running > 0 ? max_running : 1;
    pthread_mutex_unlock(&jobs_lock);
}

unsigned issue_jobs_max(void)
{
    pthread_mutex_lock(&jobs_lock);
    unsigned n = jobs_max;
    pthread_mutex_unlock(&jobs_lock);
    return n;
}

bool issue_jobs_stopping(void)
{
    pthread_mutex_lock(&jobs_lock);
    bool closing = jobs_closing;
    pthread_mutex_unlock(&jobs_lock);
    return closing;
}

static void job_strings_free(struct issue_job *job)
{
    free((char *)job->req.request_key);
    free((char *)job->req.created_by);
}

/* Gives the new JOB a slot: CPN_OK with *OUT = JOB, or CPN_ERR_UNAVAILABLE (every slot
 * taken, or stopping) with JOB freed. */
static enum cpn_err admit(struct issue_job *job, struct issue_job **out)
{
    pthread_mutex_lock(&jobs_lock);
    bool admitted = !jobs_closing && jobs_slots < jobs_max;
    if (admitted) {
        jobs_slots++;
        job->next = jobs;
        jobs = job;
    }
    pthread_mutex_unlock(&jobs_lock);
    if (!admitted) {
        job_strings_free(job);
        free(job);
        return CPN_ERR_UNAVAILABLE;
    }
    *out = job;
    return CPN_OK;
}

enum cpn_err issue_job_new(const struct issue_request *req, struct issue_job **out)
{
    *out = NULL;
    struct issue_job *job = calloc(1, sizeof *job);
    if (job == NULL)
        return CPN_ERR_NO_MEMORY;
    job->req = *req;
    job->req.request_key = req->request_key != NULL ? strdup(req->request_key) : NULL;
    job->req.created_by = strdup(req->created_by != NULL ? req->created_by : "");
    job->req.cancel = &job->cancel;
    atomic_init(&job->cancel, false);
    if ((req->request_key != NULL && job->req.request_key == NULL) || job->req.created_by == NULL) {
        job_strings_free(job);
        free(job);
        return CPN_ERR_NO_MEMORY;
    }
    return admit(job, out);
}

enum cpn_err issue_job_new_work(enum cpn_err (*work)(void *arg, const atomic_bool *cancel),
                                void *arg, struct issue_job **out)
{
    *out = NULL;
    struct issue_job *job = calloc(1, sizeof *job);
    if (job == NULL)
        return CPN_ERR_NO_MEMORY;
    job->work = work;
    job->work_arg = arg;
    atomic_init(&job->cancel, false);
    return admit(job, out);
}

/* Gives JOB's slot back (under jobs_lock); false if it held none. */
static bool release_slot_locked(struct issue_job *job)
{
    for (struct issue_job **p = &jobs; *p != NULL; p = &(*p)->next) {
        if (*p == job) {
            *p = job->next;
            jobs_slots--;
            return true;
        }
    }
    return false;
}

/* Gives the slot back, then calls DONE; issue_jobs_stop waits for both. */
static void finish(struct issue_job *job)
{
    pthread_mutex_lock(&jobs_lock);
    release_slot_locked(job);
    jobs_notifying++;
    pthread_mutex_unlock(&jobs_lock);
    job->done(job->done_arg);
    pthread_mutex_lock(&jobs_lock);
    jobs_notifying--;
    pthread_cond_broadcast(&jobs_settled);
    pthread_mutex_unlock(&jobs_lock);
}

static void *job_main(void *arg)
{
    struct issue_job *job = arg;
#ifdef __linux__
    /* Per thread on Linux. Nice, not SCHED_IDLE: measured the same for the tills, and a busy
     * machine cannot starve the issue (it holds the serial counter while it runs). */
    if (setpriority(PRIO_PROCESS, (id_t)gettid(), ISSUE_NICE) != 0)
        log_msg(LOGL_DEBUG, "issue thread keeps its priority");
#endif
    /* The thread's own connection (db_conn), opened here and closed when the job ends. */
    struct db_cancel *dbc = db_cancel_new();
    pthread_mutex_lock(&jobs_lock);
    job->db_cancel = dbc;
    pthread_mutex_unlock(&jobs_lock);
    job->err = job->work != NULL ? job->work(job->work_arg, &job->cancel)
                                 : issue_coupons(&job->req, &job->res);
    job->stopped = job->err == CPN_ERR_UNAVAILABLE && atomic_load(&job->cancel);
    pthread_mutex_lock(&jobs_lock);
    job->db_cancel = NULL;
    pthread_mutex_unlock(&jobs_lock);
    db_cancel_free(dbc);
    db_teardown();
    finish(job);
    return NULL;
}

void issue_job_run(struct issue_job *job, void (*done)(void *arg), void *arg)
{
    job->done = done;
    job->done_arg = arg;
    job->started = pthread_create(&job->thread, NULL, job_main, job) == 0;
    if (!job->started) {
        log_msg(LOGL_ERROR, "cannot start a thread for an issue");
        job->err = CPN_ERR_INTERNAL;
        finish(job);
    }
}

enum cpn_err issue_job_result(const struct issue_job *job, const struct issue_result **res,
                              bool *stopped)
{
    *res = &job->res;
    *stopped = job->stopped;
    return job->err;
}

void issue_job_free(struct issue_job *job)
{
    if (job == NULL)
        return;
    if (job->started)
        pthread_join(job->thread, NULL);
    pthread_mutex_lock(&jobs_lock);
    if (release_slot_locked(job)) /* never run */
        pthread_cond_broadcast(&jobs_settled);
    pthread_mutex_unlock(&jobs_lock);
    issue_result_clear(&job->res);
    job_strings_free(job);
    free(job);
}

void issue_jobs_stop(void)
{
    pthread_mutex_lock(&jobs_lock);
    jobs_closing = true;
    unsigned n = 0;
    for (struct issue_job *job = jobs; job != NULL; job = job->next, n++) {
        atomic_store(&job->cancel, true);
        db_cancel_send(job->db_cancel);
    }
    if (n > 0)
        log_msg(LOGL_INFO, "cancelling %u running issue(s)", n);
    while (jobs_slots > 0 || jobs_notifying > 0) {
        /* A cancel reaches only a statement already running: send it again every tick, for
         * a job that was between statements (it also checks its flag before each one). */
        struct timespec tick;
        clock_gettime(CLOCK_REALTIME, &tick);
        tick.tv_nsec += 100 * 1000 * 1000;
        if (tick.tv_nsec >= 1000 * 1000 * 1000) {
            tick.tv_sec++;
            tick.tv_nsec -= 1000 * 1000 * 1000;
        }
        if (pthread_cond_timedwait(&jobs_settled, &jobs_lock, &tick) != 0)
            for (struct issue_job *job = jobs; job != NULL; job = job->next)
                db_cancel_send(job->db_cancel);
    }
    pthread_mutex_unlock(&jobs_lock);
}
