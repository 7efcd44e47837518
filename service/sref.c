/* Reference-counted objects in force: a short mutex guards the slot's pointer while a reader
 * takes its reference, so a replacement can never free what a reader is about to hold. */
#include <stddef.h>

#include "sref.h"

void sref_init(struct sref *r, void (*free_fn)(struct sref *self))
{
    atomic_init(&r->refs, 1);
    r->free_fn = free_fn;
}

struct sref *sref_hold(struct sref_slot *slot)
{
    pthread_mutex_lock(&slot->lock);
    struct sref *r = slot->current;
    if (r != NULL)
        atomic_fetch_add(&r->refs, 1);
    pthread_mutex_unlock(&slot->lock);
    return r;
}

struct sref *sref_dup(struct sref *r)
{
    atomic_fetch_add(&r->refs, 1);
    return r;
}

void sref_release(struct sref *r)
{
    if (r != NULL && atomic_fetch_sub(&r->refs, 1) == 1)
        r->free_fn(r);
}

void sref_install(struct sref_slot *slot, struct sref *r)
{
    pthread_mutex_lock(&slot->lock);
    struct sref *old = slot->current;
    slot->current = r;
    pthread_mutex_unlock(&slot->lock);
    sref_release(old);
}
