/* The counter's rules of a new campaign (issue 17), read strictly from its JSON: max_per_card,
 * max_per_receipt, combinable, and the bounce-back trigger of a 'receipt' campaign. */
#ifndef SVC_CAMPAIGN_RULES_H
#define SVC_CAMPAIGN_RULES_H

#include <jansson.h>
#include <stddef.h>

#include "db_campaigns.h"

/* Reads the rules of IN into C (whose channel is already read). Returns 0, or -1 with DETAIL
 * filled. */
int campaign_rules_read(const json_t *in, struct campaign_new *c, char *detail, size_t dlen);

#endif
