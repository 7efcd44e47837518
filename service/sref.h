/* Something in force that a reload replaces while requests still read the old one
 * (sref.c): the server's certificate, the client CA, the keyring. Readers take a reference
 * to what is in force and drop it when done; a replacement takes effect for the next reader,
 * and the old object is freed when its last reader drops it, never while one reads it. */
#ifndef SVC_SREF_H
#define SVC_SREF_H

#include <pthread.h>
#include <stdatomic.h>

/* Embedded (first) in a shared object. */
struct sref {
    atomic_uint refs;
    void (*free_fn)(struct sref *self); /* frees the object that embeds it */
};

/* The slot that holds the object in force. */
struct sref_slot {
    pthread_mutex_t lock;
    struct sref *current; /* under lock; holds one reference of its own */
};
#define SREF_SLOT_INIT                                                                             \
    {                                                                                              \
        PTHREAD_MUTEX_INITIALIZER, NULL                                                            \
    }

/* Starts R with one reference (the caller's), to be freed by FREE_FN when the last one is
 * dropped. */
void sref_init(struct sref *r, void (*free_fn)(struct sref *self));

/* The object in force in SLOT with a reference taken for the caller (who drops it with
 * sref_release), or NULL when the slot is empty. Thread-safe. */
struct sref *sref_hold(struct sref_slot *slot);

/* Takes one more reference to R (which the caller holds already); returns R. */
struct sref *sref_dup(struct sref *r);

/* Drops one reference to R; the last one frees it. NULL is a no-op. */
void sref_release(struct sref *r);

/* Puts R in force in SLOT (taking over the caller's reference; NULL empties the slot) and
 * drops the slot's reference to the object it held. Thread-safe. */
void sref_install(struct sref_slot *slot, struct sref *r);

#endif
