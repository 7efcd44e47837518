/* A coupond of a test's own: fork/exec on a free loopback port, /healthz to know it is up,
 * SIGTERM and waitpid to stop it, its log for sanitizer reports. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "itest.h"
#include "itest_daemon.h"

#define MAX_ARGS 48

static pid_t daemon_pid;
static char log_path[64];
static char listen_addr[32];
static char *argv_saved[MAX_ARGS];

/* A loopback port nothing listens on right now. */
static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    int port = -1;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void print_log(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "tail -40 '%s' >&2", log_path);
    (void)itest_sh(cmd);
}

/* Builds the argument list once: coupond serve, the standard flags, then EXTRA. */
static int make_argv(const char *const *extra)
{
    const char *build = getenv("COUPOND_BUILD_DIR"), *db = getenv("COUPOND_DB");
    if (build == NULL || db == NULL) {
        fprintf(stderr, "itest_daemon: COUPOND_BUILD_DIR and COUPOND_DB must be set\n");
        return -1;
    }
    int port = free_port();
    if (port < 0)
        return -1;
    snprintf(listen_addr, sizeof listen_addr, "127.0.0.1:%d", port);
    char bin[4096];
    snprintf(bin, sizeof bin, "%s/coupond", build);
    const char *fixed[] = {bin,      "serve", "--listen", listen_addr, "--db",  db,
                           "--cert", NULL,    "--key",    NULL,        "--ca",  NULL,
                           "--crl",  NULL,    "--keys",   NULL,        "--sql", NULL};
    const char *rel[] = {"certs/dev/server.pem",
                         "certs/dev/server.key",
                         "certs/dev/ca.pem",
                         "certs/dev/crl.pem",
                         "var/keys",
                         "sql"};
    size_t n = 0, r = 0;
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        argv_saved[n++] = fixed[i] != NULL ? strdup(fixed[i]) : itest_source_path(rel[r++]);
    for (size_t i = 0; extra != NULL && extra[i] != NULL && n + 1 < MAX_ARGS; i++)
        argv_saved[n++] = strdup(extra[i]);
    argv_saved[n] = NULL;
    snprintf(log_path, sizeof log_path, "/tmp/itest-coupond-%d.log", (int)getpid());
    unlink(log_path);
    setenv("COUPOND_TEST_LISTEN", listen_addr, 1);
    return 0;
}

int itest_daemon_start(const char *const *extra)
{
    if (argv_saved[0] == NULL && make_argv(extra) != 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        /* A session of its own, as a service has: its CPU is scheduled apart from the test's
         * clients (Linux autogroups), as coupond's would be from a till's. */
        setsid();
        int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        execv(argv_saved[0], argv_saved);
        _exit(127);
    }
    daemon_pid = pid;
    fprintf(stderr, "itest_daemon: coupond %d on %s, log %s\n", (int)pid, listen_addr, log_path);
    struct itest_client *anon = itest_client_new(NULL);
    for (int i = 0; i < 300; i++) { /* 30 s: a sanitizer build starts slowly */
        if (itest_request(anon, "GET", "/healthz", NULL, NULL, NULL) == 200) {
            itest_client_free(anon);
            return 0;
        }
        if (waitpid(pid, NULL, WNOHANG) == pid) {
            daemon_pid = 0;
            break;
        }
        sleep_ms(100);
    }
    itest_client_free(anon);
    fprintf(stderr, "itest_daemon: coupond on %s did not come up; its log:\n", listen_addr);
    print_log();
    return -1;
}

int itest_daemon_stop(int timeout_s)
{
    if (daemon_pid <= 0)
        return -1;
    pid_t pid = daemon_pid;
    daemon_pid = 0;
    kill(pid, SIGTERM);
    int status = 0;
    for (int i = 0; i < timeout_s * 10; i++) {
        pid_t got = waitpid(pid, &status, WNOHANG);
        if (got == pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        if (got < 0 && errno != EINTR)
            return -1;
        sleep_ms(100);
    }
    fprintf(stderr, "itest_daemon: coupond did not stop within %d s; killed\n", timeout_s);
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    print_log();
    return -1;
}

pid_t itest_daemon_pid(void)
{
    return daemon_pid;
}

bool itest_daemon_log_has(const char *needle)
{
    FILE *f = fopen(log_path, "r");
    if (f == NULL)
        return false;
    char line[4096];
    bool found = false;
    while (!found && fgets(line, sizeof line, f) != NULL)
        found = strstr(line, needle) != NULL;
    fclose(f);
    return found;
}

void itest_daemon_remove_log(void)
{
    if (log_path[0] != '\0')
        unlink(log_path);
}

bool itest_daemon_sanitizer_report(void)
{
    static const char *const marks[] = {"ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                                        "runtime error:"};
    for (size_t i = 0; i < sizeof marks / sizeof marks[0]; i++) {
        if (itest_daemon_log_has(marks[i])) {
            char cmd[160];
            snprintf(cmd, sizeof cmd,
                     "grep -A40 -E 'ERROR: (Address|Leak)Sanitizer|runtime "
                     "error:' '%s' | head -80 >&2",
                     log_path);
            (void)itest_sh(cmd);
            return true;
        }
    }
    return false;
}
