/* Key ranges: which MAC key made the short form of a serial. Serials are allocated in
 * ascending order per kind, and each MAC key issues the serials of a kind from the one at
 * which it became active until the next key became active, so every serial has exactly one
 * MAC key, whatever the number of rotations. The service records the ranges (in PostgreSQL)
 * and keeps them here, in memory; the rules are in docs/codes.md ("Rotation"). */
#ifndef COUPON_KEY_RANGES_H
#define COUPON_KEY_RANGES_H

#include <stdint.h>

#include "coupon/code.h"
#include "coupon/err.h"

struct cpn_key_ranges;

/* A new, empty set of ranges, or NULL when out of memory. The caller owns it and frees it
 * with cpn_key_ranges_free(). Once built it is only read, by any number of threads. */
struct cpn_key_ranges *cpn_key_ranges_new(void);

/* Frees R. NULL is a no-op. */
void cpn_key_ranges_free(struct cpn_key_ranges *r);

/* Records that MAC key KEY_ID (1..255) issues the serials of KIND from FIRST_SERIAL
 * (1..2^32) on. Keys must be added in ascending id order with non-decreasing first serials
 * (a key that became active with no serial issued since the previous one has an empty
 * range). Returns CPN_OK, or CPN_ERR_BAD_REQUEST (bad kind, id or serial, or out of order;
 * R is then unchanged). */
CPN_MUST_CHECK enum cpn_err cpn_key_ranges_add(struct cpn_key_ranges *r, enum cpn_kind kind,
                                               unsigned key_id, uint64_t first_serial);

/* Sets the horizon of KIND: every serial below NEXT_SERIAL (the next serial the database
 * would allocate when the ranges were read) was allocated under the ranges in R. */
void cpn_key_ranges_set_horizon(struct cpn_key_ranges *r, enum cpn_kind kind, uint64_t next_serial);

/* The horizon of KIND (0 when unknown or R is NULL). */
uint64_t cpn_key_ranges_horizon(const struct cpn_key_ranges *r, enum cpn_kind kind);

/* The id of the MAC key whose range holds SERIAL of KIND: the highest key id whose first
 * serial is at most SERIAL. 0 when R is NULL, KIND has no range, or SERIAL lies below every
 * range (a serial issued before ranges were recorded: see cpn_key_ranges_first_key()). */
unsigned cpn_key_ranges_key(const struct cpn_key_ranges *r, enum cpn_kind kind, uint32_t serial);

/* The lowest key id with a range of KIND (the key that was current when ranges began to be
 * recorded), 0 when there is none or R is NULL. */
unsigned cpn_key_ranges_first_key(const struct cpn_key_ranges *r, enum cpn_kind kind);

#endif
