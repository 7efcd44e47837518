/* The cashier mode's line classifier: what one line of input asks for — a command word, "total"
 * or "burn" with a number, an amount alone, a code of either kind — or why it cannot be used. */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "pos/cashier.h"
#include "pos/i18n.h"
#include "pos/money.h"

/* Copies LINE into BUF (SIZE bytes) without white space around it. Returns false when it does
 * not fit. */
static bool trimmed(const char *line, char *buf, size_t size)
{
    while (isspace((unsigned char)*line))
        line++;
    size_t n = strlen(line);
    while (n > 0 && isspace((unsigned char)line[n - 1]))
        n--;
    if (n >= size)
        return false;
    memcpy(buf, line, n);
    buf[n] = '\0';
    return true;
}

/* Returns true when WORD equals one of the NULL-terminated WORDS, ignoring case. */
static bool is_one_of(const char *word, const char *const *words)
{
    for (; *words != NULL; words++)
        if (strcasecmp(word, *words) == 0)
            return true;
    return false;
}

/* Returns true when S holds only digits, '.' and ',' (and at least one digit). */
static bool looks_numeric(const char *s)
{
    bool any = false;
    for (; *s != '\0'; s++) {
        if (*s >= '0' && *s <= '9')
            any = true;
        else if (*s != '.' && *s != ',')
            return false;
    }
    return any;
}

/* Returns true when the N bytes at S are a word of letters (or "?") of at most 12. */
static bool is_word(const char *s, size_t n)
{
    if (n == 0 || n > 12)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalpha((unsigned char)s[i]) && s[i] != '?')
            return false;
    return true;
}

/* Returns the number of words (runs of non-blank characters) in S. */
static size_t count_words(const char *s)
{
    size_t n = 0;
    for (bool in = false; *s != '\0'; s++) {
        bool blank = *s == ' ' || *s == '\t';
        if (!blank && !in)
            n++;
        in = !blank;
    }
    return n;
}

/* What the cashier is told about a line that is no amount, no points or no known word (marked
 * here, translated where they are set: the sentences are static either way). */
static const char NOT_AN_AMOUNT[] = N_("Not an amount: type the total like 12.34.");
static const char NOT_POINTS[] =
    N_("Not a number of points: type burn and a whole number, like burn 500.");
static const char NOT_UNDERSTOOD[] =
    N_("Not understood: type help to see what the till understands.");

/* Sets OUT's kind when WORD is one of the till's command words (in English or in German,
 * whatever the till's language). Returns false when it is none. */
static bool command_word(const char *word, struct pos_line *out)
{
    static const char *const help[] = {"help", "?", "h", "hilfe", NULL};
    static const char *const quit[] = {"quit", "exit", "q", "ende", "beenden", NULL};
    static const char *const cancel[] = {"cancel", "clear", "abbrechen", "storno", NULL};
    static const char *const pay[] = {"pay", "done", "zahlen", "fertig", NULL};
    static const char *const retry[] = {"retry", "wiederholen", NULL};
    static const struct {
        const char *const *words;
        enum pos_line_kind kind;
    } commands[] = {
        {help, POS_LINE_HELP}, {quit, POS_LINE_QUIT},   {cancel, POS_LINE_CANCEL},
        {pay, POS_LINE_PAY},   {retry, POS_LINE_RETRY},
    };
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (is_one_of(word, commands[i].words)) {
            out->kind = commands[i].kind;
            return true;
        }
    }
    return false;
}

void pos_cashier_classify(const char *line, struct pos_line *out)
{
    memset(out, 0, sizeof *out);
    out->err = CPN_OK;
    char buf[POS_CASHIER_LINE_MAX + 1];
    if (!trimmed(line, buf, sizeof buf)) {
        out->kind = POS_LINE_BAD_CODE;
        out->err = CPN_ERR_MALFORMED_CODE;
        out->why = pos_err_message(CPN_ERR_MALFORMED_CODE);
        return;
    }
    if (buf[0] == '\0') {
        out->kind = POS_LINE_EMPTY;
        return;
    }
    /* The first word, and the rest after blanks. */
    size_t wlen = strcspn(buf, " \t");
    char word[16] = "";
    if (wlen < sizeof word) {
        memcpy(word, buf, wlen);
        word[wlen] = '\0';
    }
    const char *rest = buf + wlen;
    while (*rest == ' ' || *rest == '\t')
        rest++;
    if (strcasecmp(word, "total") == 0 || strcasecmp(word, "summe") == 0) {
        bool ok = pos_money_parse(rest, &out->amount) == CPN_OK;
        out->kind = ok ? POS_LINE_TOTAL : POS_LINE_BAD_NUMBER;
        out->why = ok ? NULL : _(NOT_AN_AMOUNT);
        return;
    }
    if (strcasecmp(word, "burn") == 0 || strcasecmp(word, "punkte") == 0) {
        out->amount = 0; /* "burn 0" drops the points to burn */
        bool ok = strcmp(rest, "0") == 0 || pos_count_parse(rest, &out->amount) == CPN_OK;
        out->kind = ok ? POS_LINE_BURN : POS_LINE_BAD_NUMBER;
        out->why = ok ? NULL : _(NOT_POINTS);
        return;
    }
    if (*rest == '\0' && command_word(word, out))
        return;
    const char *why = NULL;
    enum cpn_err err = pos_scan_parse_any(buf, &out->scan, &why);
    if (err == CPN_OK) {
        out->kind = out->scan.code.kind == CPN_KIND_CARD ? POS_LINE_CARD : POS_LINE_COUPON;
        return;
    }
    memset(&out->scan, 0, sizeof out->scan);
    if (pos_receipt_code_read(buf, out->receipt)) {
        out->kind = POS_LINE_RECEIPT;
        return;
    }
    out->receipt[0] = '\0';
    if (err != CPN_ERR_TYPO && looks_numeric(buf)) {
        bool ok = pos_money_parse(buf, &out->amount) == CPN_OK;
        out->kind = ok ? POS_LINE_TOTAL : POS_LINE_BAD_NUMBER;
        out->why = ok ? NULL : _(NOT_AN_AMOUNT);
        return;
    }
    if (err != CPN_ERR_TYPO && is_word(buf, wlen) && count_words(buf) <= 2) {
        out->kind = POS_LINE_UNKNOWN;
        out->why = _(NOT_UNDERSTOOD);
        return;
    }
    out->kind = POS_LINE_BAD_CODE;
    out->err = err;
    out->why = why;
}
