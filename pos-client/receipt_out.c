/* A receipt block out to the receipt file and the printer, whatever becomes of either: the sale
 * it belongs to is booked already. */
#include <stdlib.h>

#include "pos/escpos.h"
#include "pos/i18n.h"
#include "pos/printer.h"
#include "pos/receipt_out.h"

bool pos_receipt_print(const char *printer, const char *text_path, const struct pos_receipt *r,
                       FILE *say)
{
    if (printer == NULL && text_path == NULL)
        return true;
    struct pos_doc doc = {0};
    pos_receipt_doc(r, &doc);
    char why[512] = "";
    bool ok = !doc.failed;
    if (!ok)
        snprintf(why, sizeof why, "%s", _("this till ran out of memory"));
    if (ok && text_path != NULL)
        ok = pos_printer_text(text_path, &doc, why, sizeof why) == CPN_OK;
    if (ok && printer != NULL) {
        struct pos_bytes bytes = {0};
        ok = pos_escpos_render(&doc, &bytes) == CPN_OK;
        if (!ok)
            snprintf(why, sizeof why, "%s", _("this till ran out of memory"));
        else
            ok = pos_printer_write(printer, bytes.data, bytes.len, POS_PRINTER_TIMEOUT_MS, why,
                                   sizeof why) == CPN_OK;
        free(bytes.data);
    }
    pos_doc_free(&doc);
    if (!ok) {
        fprintf(say,
                _("PRINTER: the receipt was not printed: %s. The sale is booked all the same: "
                  "tell the customer what the lines above say.\n"),
                why);
        fflush(say);
    }
    return ok;
}
