/* The error registry's sentences in German (lib/err.c holds the machine codes, the HTTP
 * statuses and the English sentences), and the choice of a sentence by language. A cashier
 * reads them out: plain words, "Sie" where the customer is addressed, amounts left to the
 * caller. */
#include <stddef.h>

#include "coupon/err.h"

static const char *const german[CPN_ERR__COUNT] = {
    [CPN_OK] = "Erledigt.",
    [CPN_ERR_BAD_REQUEST] = "Die Anfrage ist ungültig.",
    [CPN_ERR_UNAUTHORIZED] = "Ein gültiges Client-Zertifikat der coupond-CA ist nötig.",
    [CPN_ERR_CERT_REVOKED] = "Dieses Client-Zertifikat wurde gesperrt.",
    [CPN_ERR_FORBIDDEN] = "Dieses Zertifikat darf das nicht.",
    [CPN_ERR_NOT_FOUND] = "Das gibt es hier nicht.",
    [CPN_ERR_METHOD_NOT_ALLOWED] = "Diese Methode ist für diesen Pfad nicht erlaubt.",
    [CPN_ERR_PAYLOAD_TOO_LARGE] = "Der Inhalt der Anfrage ist zu groß.",
    [CPN_ERR_MALFORMED_CODE] =
        "Das ist kein Coupon-Code: bitte noch einmal scannen oder eintippen.",
    [CPN_ERR_TYPO] = "Der Code enthält einen Tippfehler (das Prüfzeichen passt nicht): bitte "
                     "noch einmal eintippen.",
    [CPN_ERR_FORGED_CODE] = "Dieser Code stammt nicht von uns.",
    [CPN_ERR_EXPIRED] = "Dieser Coupon ist abgelaufen.",
    [CPN_ERR_NOT_STARTED] = "Dieser Coupon gilt noch nicht.",
    [CPN_ERR_ALREADY_REDEEMED] = "Dieser Coupon wurde bereits eingelöst.",
    [CPN_ERR_WRONG_STORE] = "Dieser Coupon gilt nicht in dieser Filiale.",
    [CPN_ERR_BELOW_MINIMUM] = "Der Einkauf liegt unter dem Mindestwert dieses Coupons.",
    [CPN_ERR_CAMPAIGN_EXHAUSTED] = "Für diese Aktion sind keine Einlösungen mehr übrig.",
    [CPN_ERR_CARD_REQUIRED] = "Dieser Coupon gilt nur zusammen mit seiner Bonuskarte.",
    [CPN_ERR_WRONG_CARD] = "Dieser Coupon gehört zu einer anderen Bonuskarte.",
    [CPN_ERR_UNKNOWN_CARD] = "Diese Bonuskarte ist hier nicht bekannt: bitte noch einmal "
                             "scannen oder eine neue Karte ausgeben.",
    [CPN_ERR_NO_SERIALS] = "In dieser Installation sind keine Seriennummern für neue Codes mehr "
                           "frei.",
    [CPN_ERR_INSUFFICIENT_POINTS] = "Die Karte hat nicht genug Punkte.",
    [CPN_ERR_CONFLICT] = "Diese Vorgangsnummer wurde schon für eine andere Anfrage verwendet.",
    [CPN_ERR_UNKNOWN_KEY] = "Dieser Code wurde mit einem Schlüssel signiert, den wir nicht "
                            "kennen.",
    [CPN_ERR_NO_MEMORY] = "Dem Dienst ist der Speicher ausgegangen; bitte noch einmal versuchen.",
    [CPN_ERR_IO] = "Der Dienst konnte eine Datei nicht lesen oder schreiben.",
    [CPN_ERR_UNAVAILABLE] = "Der Dienst ist ausgelastet oder seine Datenbank nicht erreichbar; "
                            "bitte noch einmal versuchen.",
    [CPN_ERR_TIMEOUT] = "Keine Antwort in der Zeit; bitte noch einmal versuchen.",
    [CPN_ERR_INTERNAL] = "Im Dienst ist etwas schiefgegangen.",
    [CPN_ERR_VOIDED] = "Dieser Vorgang wurde inzwischen storniert: eine Wiederholung bucht "
                       "nichts.",
    [CPN_ERR_KEY_RETIRED] = "Dieser Code wurde mit einem Schlüssel ausgegeben, der "
                            "zurückgezogen wurde: er gilt nicht mehr.",
    [CPN_ERR_STALE_KEY] = "Ein neuerer Code-Schlüssel ist in Gebrauch: dieses coupond muss mit "
                          "ihm neu gestartet werden, bevor es Codes ausgeben kann.",
    [CPN_ERR_CAMPAIGN_PAUSED] = "Diese Aktion ist pausiert: ihre Coupons gelten gerade nicht.",
    [CPN_ERR_VOIDED_BATCH] = "Dieser Coupon wurde zurückgezogen (seine Auflage wurde storniert) "
                             "und gilt nicht.",
    [CPN_ERR_URI_TOO_LONG] = "Die Adresse ist zu lang oder hat zu viele Parameter.",
    [CPN_ERR_OFFLINE_CONFLICT] = "Dieser Coupon wurde offline angenommen, war aber schon "
                                 "eingelöst: der Fall ist für die Aktion vermerkt.",
    [CPN_ERR_CARD_LIMIT_REACHED] =
        "Mit dieser Bonuskarte wurde dieser Coupon schon so oft eingelöst, wie er darf.",
    [CPN_ERR_NOT_COMBINABLE] =
        "Dieser Coupon ist mit den anderen Coupons auf diesem Bon nicht kombinierbar.",
    [CPN_ERR_ALREADY_CREDITED] =
        "Die Punkte dieses Kassenbons wurden bereits einer Karte gutgeschrieben.",
    [CPN_ERR_ALREADY_EARNED] = "Für diesen Einkauf wurden an der Kasse bereits Punkte gesammelt.",
};

const char *cpn_err_message_lang(enum cpn_err err, enum cpn_lang lang)
{
    if (lang == CPN_LANG_DE && (int)err >= 0 && err < CPN_ERR__COUNT && german[err] != NULL)
        return german[err];
    return cpn_err_message(err);
}
