/* chaos_tills: the tills of the chaos suite (tests/chaos/run.sh). N till threads, each a
 * terminal over real mutual TLS (libcurl, one kept-alive connection each), redeem coupons,
 * earn and burn points on bonus cards and void some of what they booked, until a stop file
 * appears. Like pos-client, a till retries every operation under the same txn_id with the
 * same body until coupond answers it (a transport error, a time-out or a 5xx is no answer),
 * so nothing a till was told is lost in its own books.
 *
 * Writes, in OUT_DIR:
 *   ops-<till>.tsv     one line per operation once answered (or given up after --give-up s):
 *                      kind txn target amount outcome http error id value attempts
 *                      (kind R redeem, E earn, B burn, VR void a redemption, VC void a card
 *                      transaction; outcome ACK, REFUSED or UNANSWERED)
 *   events-<till>.tsv  one line per attempt: when it was sent (ms since the epoch), HTTP status (0
 * = no answer), latency ms, 1 when a 5xx carried {"error","message"} with a sentence Usage:
 * chaos_tills URL CERT_DIR COUPONS SHARED CARDS OUT_DIR STOP_FILE TILLS PAUSE_MS SEED */
#include <curl/curl.h>
#include <inttypes.h>
#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_LINES 100000
#define GIVE_UP_S 300 /* an operation unanswered this long is written UNANSWERED */

struct list {
    char **items;
    size_t n;
};

static const char *url, *cert_dir, *out_dir, *stop_file;
static struct list coupons, shared, cards;
static unsigned pause_ms, seed;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Milliseconds since the epoch (the fault log of run.sh uses the same clock). */
static double wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec * 1000 + (double)ts.tv_nsec / 1e6;
}

static void die(const char *what, const char *arg)
{
    fprintf(stderr, "chaos_tills: %s %s\n", what, arg);
    exit(1);
}

static void load(const char *path, struct list *l)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        die("cannot read", path);
    l->items = calloc(MAX_LINES, sizeof *l->items);
    char line[512];
    while (l->items != NULL && l->n < MAX_LINES && fgets(line, sizeof line, f) != NULL) {
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] != '\0')
            l->items[l->n++] = strdup(line);
    }
    fclose(f);
}

struct buf {
    char data[8192];
    size_t len;
};

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
    struct buf *b = arg;
    size_t len = size * n, room = sizeof b->data - 1 - b->len;
    memcpy(b->data + b->len, p, len < room ? len : room);
    b->len += len < room ? len : room;
    b->data[b->len] = '\0';
    return len;
}

struct till {
    int no;
    CURL *curl;
    FILE *ops, *events;
    unsigned rnd;
    size_t next_coupon, first_coupon, last_coupon;
    int64_t last_redemption, last_card_tx; /* 0: none booked yet (or already voided) */
    unsigned serial;
};

/* One answer: status (0 = none), the body parsed (NULL when not JSON). */
struct answer {
    long status;
    json_t *body;
};

static struct answer post(struct till *t, const char *path, const char *body)
{
    char full[512];
    struct buf b = {.len = 0};
    snprintf(full, sizeof full, "%s%s", url, path);
    curl_easy_setopt(t->curl, CURLOPT_URL, full);
    curl_easy_setopt(t->curl, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(t->curl, CURLOPT_WRITEDATA, &b);
    double start = now_s();
    CURLcode rc = curl_easy_perform(t->curl);
    struct answer a = {.status = 0, .body = NULL};
    if (rc == CURLE_OK)
        curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &a.status);
    if (a.status != 0)
        a.body = json_loads(b.data, 0, NULL);
    const char *msg = a.body != NULL ? json_string_value(json_object_get(a.body, "message")) : NULL;
    const char *err = a.body != NULL ? json_string_value(json_object_get(a.body, "error")) : NULL;
    int sentence = err != NULL && msg != NULL && strlen(msg) > 10 && msg[strlen(msg) - 1] == '.';
    fprintf(t->events, "%.0f\t%ld\t%.0f\t%d\n", wall_ms() - (now_s() - start) * 1000, a.status,
            (now_s() - start) * 1000, sentence);
    return a;
}

static int64_t get_i64(const json_t *body, const char *key)
{
    json_t *v = json_object_get(body, key);
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
}

static bool stopping(void)
{
    return access(stop_file, F_OK) == 0;
}

/* Sends BODY to PATH until an answer that is not a 5xx; writes the operation's line. Returns
 * the answer's status (0 when given up) and its body in *OUT (caller json_decref's). */
static long until_answered(struct till *t, const char *kind, const char *txn, const char *target,
                           int64_t amount, const char *path, const char *body, json_t **out)
{
    double start = now_s();
    unsigned attempts = 0;
    struct answer a = {.status = 0, .body = NULL};
    for (;;) {
        attempts++;
        a = post(t, path, body);
        if (a.status != 0 && a.status < 500)
            break;
        json_decref(a.body);
        a.body = NULL;
        if (now_s() - start > GIVE_UP_S) {
            a.status = 0;
            break;
        }
        usleep(50 * 1000);
    }
    const char *outcome = a.status == 0 ? "UNANSWERED" : a.status < 300 ? "ACK" : "REFUSED";
    const char *err = a.body != NULL ? json_string_value(json_object_get(a.body, "error")) : NULL;
    int64_t id = 0, value = 0;
    if (a.status >= 200 && a.status < 300) {
        if (strcmp(kind, "R") == 0) {
            id = get_i64(a.body, "redemption_id");
            value = get_i64(a.body, "discount_cents");
        } else if (strcmp(kind, "VR") == 0) {
            id = get_i64(a.body, "void_id");
        } else if (strcmp(kind, "VC") == 0) {
            id = get_i64(a.body, "void_id");
            value = get_i64(a.body, "points");
        } else {
            id = get_i64(a.body, "transaction_id");
            value = get_i64(a.body, "points");
        }
    }
    fprintf(t->ops, "%s\t%s\t%s\t%" PRId64 "\t%s\t%ld\t%s\t%" PRId64 "\t%" PRId64 "\t%u\n", kind,
            txn, target, amount, outcome, a.status, err != NULL ? err : "-", id, value, attempts);
    fflush(t->ops);
    *out = a.body;
    return a.status;
}

static void next_txn(struct till *t, char *txn, size_t len)
{
    snprintf(txn, len, "chaos-%u-%d-%u", seed, t->no, ++t->serial);
}

static void redeem(struct till *t)
{
    const char *code;
    bool own = t->next_coupon < t->last_coupon && (shared.n == 0 || rand_r(&t->rnd) % 4 != 0);
    if (own)
        code = coupons.items[t->next_coupon++];
    else if (shared.n > 0)
        code = shared.items[rand_r(&t->rnd) % shared.n];
    else
        return;
    int64_t basket = 2000 + rand_r(&t->rnd) % 8000;
    char txn[64], body[512], card[64] = "";
    next_txn(t, txn, sizeof txn);
    /* A line "CODE CARD" is a points coupon, redeemed with that card. */
    const char *space = strchr(code, ' ');
    int code_len = space != NULL ? (int)(space - code) : (int)strlen(code);
    if (space != NULL)
        snprintf(card, sizeof card, ",\"card\":\"%s\"", space + 1);
    snprintf(body, sizeof body,
             "{\"code\":\"%.*s\",\"basket_cents\":%" PRId64 ",\"txn_id\":\"%s\"%s}", code_len, code,
             basket, txn, card);
    json_t *out = NULL;
    long st = until_answered(t, "R", txn, code, basket, "/v1/redemptions", body, &out);
    if (st == 201 || st == 200)
        t->last_redemption = get_i64(out, "redemption_id");
    json_decref(out);
}

static void card_op(struct till *t, bool earn)
{
    if (cards.n == 0)
        return;
    const char *card = cards.items[rand_r(&t->rnd) % cards.n];
    int64_t amount = earn ? 100 + rand_r(&t->rnd) % 9900 : 1 + rand_r(&t->rnd) % 60;
    char txn[64], body[256], path[128];
    next_txn(t, txn, sizeof txn);
    snprintf(body, sizeof body, "{\"%s\":%" PRId64 ",\"txn_id\":\"%s\"}",
             earn ? "basket_cents" : "points", amount, txn);
    snprintf(path, sizeof path, "/v1/cards/%s/%s", card, earn ? "earn" : "burn");
    json_t *out = NULL;
    long st = until_answered(t, earn ? "E" : "B", txn, card, amount, path, body, &out);
    if (st == 201 || st == 200)
        t->last_card_tx = get_i64(out, "transaction_id");
    json_decref(out);
}

static void void_op(struct till *t, bool redemption)
{
    int64_t *target = redemption ? &t->last_redemption : &t->last_card_tx;
    if (*target == 0)
        return;
    char txn[64], body[128], path[128], id[24];
    next_txn(t, txn, sizeof txn);
    snprintf(body, sizeof body, "{\"txn_id\":\"%s\"}", txn);
    snprintf(id, sizeof id, "%" PRId64, *target);
    snprintf(path, sizeof path,
             redemption ? "/v1/redemptions/%s/void" : "/v1/card-transactions/%s/void", id);
    json_t *out = NULL;
    (void)until_answered(t, redemption ? "VR" : "VC", txn, id, 0, path, body, &out);
    json_decref(out);
    *target = 0;
}

static void *run(void *arg)
{
    struct till *t = arg;
    char cert[512], key[512], ca[512];
    int terminal = 1 + t->no % 2; /* terminal-1 (store 1) and terminal-2 (store 2) */
    snprintf(cert, sizeof cert, "%s/terminal-%d.pem", cert_dir, terminal);
    snprintf(key, sizeof key, "%s/terminal-%d.key", cert_dir, terminal);
    snprintf(ca, sizeof ca, "%s/ca.pem", cert_dir);
    t->curl = curl_easy_init();
    struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
    curl_easy_setopt(t->curl, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(t->curl, CURLOPT_CAINFO, ca);
    curl_easy_setopt(t->curl, CURLOPT_SSLCERT, cert);
    curl_easy_setopt(t->curl, CURLOPT_SSLKEY, key);
    curl_easy_setopt(t->curl, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(t->curl, CURLOPT_TIMEOUT_MS, 15000L);
    curl_easy_setopt(t->curl, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
    curl_easy_setopt(t->curl, CURLOPT_NOSIGNAL, 1L);
    while (!stopping()) {
        unsigned r = rand_r(&t->rnd) % 100;
        if (r < 45)
            redeem(t);
        else if (r < 70)
            card_op(t, true);
        else if (r < 90)
            card_op(t, false);
        else if (r < 95)
            void_op(t, true);
        else
            void_op(t, false);
        if (pause_ms > 0)
            usleep(pause_ms * 1000);
    }
    curl_slist_free_all(hdr);
    curl_easy_cleanup(t->curl);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 11) {
        fprintf(stderr, "usage: chaos_tills URL CERT_DIR COUPONS SHARED CARDS OUT_DIR STOP_FILE "
                        "TILLS PAUSE_MS SEED\n");
        return 2;
    }
    url = argv[1];
    cert_dir = argv[2];
    load(argv[3], &coupons);
    load(argv[4], &shared);
    load(argv[5], &cards);
    out_dir = argv[6];
    stop_file = argv[7];
    int n = (int)strtol(argv[8], NULL, 10);
    pause_ms = (unsigned)strtoul(argv[9], NULL, 10);
    seed = (unsigned)strtoul(argv[10], NULL, 10);
    if (n < 1 || n > 64)
        die("TILLS must be 1..64, not", argv[8]);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    struct till *tills = calloc((size_t)n, sizeof *tills);
    pthread_t *th = calloc((size_t)n, sizeof *th);
    if (tills == NULL || th == NULL)
        die("out of memory", "");
    size_t per = coupons.n / (size_t)n;
    for (int i = 0; i < n; i++) {
        char path[600];
        tills[i].no = i;
        tills[i].rnd = seed * 7919u + (unsigned)i;
        tills[i].next_coupon = tills[i].first_coupon = per * (size_t)i;
        tills[i].last_coupon = per * (size_t)(i + 1);
        snprintf(path, sizeof path, "%s/ops-%d.tsv", out_dir, i);
        tills[i].ops = fopen(path, "w");
        snprintf(path, sizeof path, "%s/events-%d.tsv", out_dir, i);
        tills[i].events = fopen(path, "w");
        if (tills[i].ops == NULL || tills[i].events == NULL)
            die("cannot write in", out_dir);
        pthread_create(&th[i], NULL, run, &tills[i]);
    }
    for (int i = 0; i < n; i++) {
        pthread_join(th[i], NULL);
        fclose(tills[i].ops);
        fclose(tills[i].events);
    }
    free(tills);
    free(th);
    curl_global_cleanup();
    return 0;
}
