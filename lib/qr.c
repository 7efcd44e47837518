/* QR output for codes: libqrencode (level M, alphanumeric mode, smallest
 * version) rendered to SVG text or to a PNG (libpng) in memory. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <png.h>
#include <qrencode.h>

#include "coupon/qr.h"

/* A growing memory buffer; OOM is sticky. */
struct membuf {
    uint8_t *p;
    size_t len, cap;
    bool oom;
};

static bool membuf_reserve(struct membuf *b, size_t more)
{
    size_t cap;
    uint8_t *p;

    if (b->oom)
        return false;
    if (more <= b->cap - b->len)
        return true;
    cap = b->cap ? b->cap : 4096;
    while (cap - b->len < more) {
        if (cap > SIZE_MAX / 2) {
            b->oom = true;
            return false;
        }
        cap *= 2;
    }
    p = realloc(b->p, cap);
    if (p == NULL) {
        b->oom = true;
        return false;
    }
    b->p = p;
    b->cap = cap;
    return true;
}

static void membuf_append(struct membuf *b, const void *data, size_t n)
{
    if (!membuf_reserve(b, n))
        return;
    memcpy(b->p + b->len, data, n);
    b->len += n;
}

__attribute__((format(printf, 2, 3))) static void membuf_printf(struct membuf *b, const char *fmt,
                                                                ...)
{
    char tmp[256];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof tmp) {
        b->oom = true; /* never happens with our short formats */
        return;
    }
    membuf_append(b, tmp, (size_t)n);
}

static bool is_alphanumeric(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
           (c != '\0' && strchr(" $%*+-./:", c));
}

static enum cpn_err check_options(const struct cpn_qr_options *opts, unsigned *px, unsigned *quiet)
{
    *px = opts ? opts->module_px : CPN_QR_DEFAULT_MODULE_PX;
    *quiet = opts ? opts->quiet_zone : CPN_QR_DEFAULT_QUIET_ZONE;
    if (*px < 1 || *px > 64 || *quiet > 16)
        return CPN_ERR_BAD_REQUEST;
    return CPN_OK;
}

/* Encodes TEXT at level M in alphanumeric mode, smallest version. */
static enum cpn_err encode(const char *text, QRcode **qr)
{
    QRinput *input;
    size_t len;
    int rc;

    *qr = NULL;
    if (text == NULL)
        return CPN_ERR_BAD_REQUEST;
    len = strnlen(text, CPN_QR_TEXT_MAX + 1);
    if (len == 0 || len > CPN_QR_TEXT_MAX)
        return CPN_ERR_BAD_REQUEST;
    for (size_t i = 0; i < len; i++)
        if (!is_alphanumeric(text[i]))
            return CPN_ERR_BAD_REQUEST;
    input = QRinput_new2(0, QR_ECLEVEL_M);
    if (input == NULL)
        return CPN_ERR_NO_MEMORY;
    rc = QRinput_append(input, QR_MODE_AN, (int)len, (const unsigned char *)text);
    if (rc == 0)
        *qr = QRcode_encodeInput(input);
    QRinput_free(input);
    if (*qr == NULL)
        return errno == ENOMEM ? CPN_ERR_NO_MEMORY : CPN_ERR_INTERNAL;
    return CPN_OK;
}

static bool dark(const QRcode *qr, int x, int y)
{
    return (qr->data[y * qr->width + x] & 1) != 0;
}

enum cpn_err cpn_qr_svg(const char *text, const struct cpn_qr_options *opts, char **out,
                        size_t *out_len, int *version)
{
    struct membuf b = {0};
    unsigned px, quiet, n;
    QRcode *qr;
    enum cpn_err err;

    if (out == NULL)
        return CPN_ERR_BAD_REQUEST;
    *out = NULL;
    err = check_options(opts, &px, &quiet);
    if (err == CPN_OK)
        err = encode(text, &qr);
    if (err != CPN_OK)
        return err;
    n = (unsigned)qr->width + 2 * quiet;
    membuf_printf(&b,
                  "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" "
                  "viewBox=\"0 0 %u %u\" width=\"%u\" height=\"%u\" "
                  "shape-rendering=\"crispEdges\">\n"
                  "<rect width=\"%u\" height=\"%u\" fill=\"#fff\"/>\n<path fill=\"#000\" d=\"",
                  n, n, n * px, n * px, n, n);
    /* One closed rectangle per horizontal run of dark modules. */
    for (int y = 0; y < qr->width; y++) {
        for (int x = 0; x < qr->width;) {
            int run = 0;
            while (x + run < qr->width && dark(qr, x + run, y))
                run++;
            if (run == 0) {
                x++;
                continue;
            }
            membuf_printf(&b, "M%u %uh%dv1h-%dz", (unsigned)x + quiet, (unsigned)y + quiet, run,
                          run);
            x += run;
        }
    }
    membuf_printf(&b, "\"/>\n</svg>\n");
    membuf_append(&b, "", 1);
    if (version != NULL)
        *version = qr->version;
    QRcode_free(qr);
    if (b.oom) {
        free(b.p);
        return CPN_ERR_NO_MEMORY;
    }
    *out = (char *)b.p;
    if (out_len != NULL)
        *out_len = b.len - 1;
    return CPN_OK;
}

static void png_write_cb(png_structp png, png_bytep data, png_size_t n)
{
    struct membuf *b = png_get_io_ptr(png);

    membuf_append(b, data, n);
    if (b->oom)
        png_error(png, "out of memory");
}

static void png_flush_cb(png_structp png)
{
    (void)png;
}

static void png_error_cb(png_structp png, png_const_charp msg)
{
    (void)msg;
    png_longjmp(png, 1);
}

static void png_warning_cb(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;
}

/* Everything the PNG writer touches, kept out of locals so that longjmp
 * cannot clobber it. */
struct png_job {
    const QRcode *qr;
    unsigned px, quiet, size; /* size: pixels per side */
    uint8_t *row;
    png_structp png;
    png_infop info;
    struct membuf out;
};

static void png_fill_row(struct png_job *j, unsigned py)
{
    unsigned my = py / j->px;

    memset(j->row, 0xff, (j->size + 7) / 8);
    if (my < j->quiet || my >= j->quiet + (unsigned)j->qr->width)
        return;
    for (unsigned px = 0; px < j->size; px++) {
        unsigned mx = px / j->px;
        if (mx >= j->quiet && mx < j->quiet + (unsigned)j->qr->width &&
            dark(j->qr, (int)(mx - j->quiet), (int)(my - j->quiet)))
            j->row[px / 8] &= (uint8_t) ~(0x80u >> (px % 8));
    }
}

/* Runs libpng; returns false if it reported an error. */
static bool png_run(struct png_job *j)
{
    if (setjmp(png_jmpbuf(j->png)))
        return false;
    png_set_write_fn(j->png, &j->out, png_write_cb, png_flush_cb);
    png_set_IHDR(j->png, j->info, j->size, j->size, 1, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_set_filter(j->png, PNG_FILTER_TYPE_BASE, PNG_FILTER_NONE);
    png_write_info(j->png, j->info);
    for (unsigned y = 0; y < j->size; y++) {
        png_fill_row(j, y);
        png_write_row(j->png, j->row);
    }
    png_write_end(j->png, NULL);
    return true;
}

enum cpn_err cpn_qr_png(const char *text, const struct cpn_qr_options *opts, uint8_t **out,
                        size_t *out_len, int *version)
{
    struct png_job j = {0};
    QRcode *qr;
    enum cpn_err err;

    if (out == NULL || out_len == NULL)
        return CPN_ERR_BAD_REQUEST;
    *out = NULL;
    *out_len = 0;
    err = check_options(opts, &j.px, &j.quiet);
    if (err == CPN_OK)
        err = encode(text, &qr);
    if (err != CPN_OK)
        return err;
    j.qr = qr;
    j.size = ((unsigned)qr->width + 2 * j.quiet) * j.px;
    j.row = malloc((j.size + 7) / 8);
    j.png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, png_error_cb, png_warning_cb);
    if (j.png != NULL)
        j.info = png_create_info_struct(j.png);
    if (j.row == NULL || j.png == NULL || j.info == NULL)
        err = CPN_ERR_NO_MEMORY;
    else if (!png_run(&j))
        err = j.out.oom ? CPN_ERR_NO_MEMORY : CPN_ERR_INTERNAL;
    if (j.png != NULL)
        png_destroy_write_struct(&j.png, j.info != NULL ? &j.info : NULL);
    free(j.row);
    if (version != NULL && err == CPN_OK)
        *version = qr->version;
    QRcode_free(qr);
    if (err != CPN_OK) {
        free(j.out.p);
        return err;
    }
    *out = j.out.p;
    *out_len = j.out.len;
    return CPN_OK;
}
