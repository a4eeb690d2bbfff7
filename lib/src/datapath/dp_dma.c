/* The copy engine driven as DPDK's vhost async data path drives DSA or I/OAT
 * (platform.dma_engine.completion poll-async):
 *
 *   rte_vhost_submit_enqueue_burst  for each packet of the burst, one
 *                                   rte_dma_copy() per destination copy without
 *                                   the SUBMIT flag (a work descriptor written,
 *                                   no doorbell), then ONE rte_dma_submit() at
 *                                   the end of the burst (vio_copier_submit);
 *   rte_vhost_poll_enqueue_completed  at the worker's next turns: rte_dma_completed()
 *                                   reads the completion records; for the copies
 *                                   found complete vhost writes the used ring,
 *                                   signals the guest, and frees the mbuf (here:
 *                                   the NIC buffer).
 *
 * The worker is never blocked on the engine: while its copies are in flight it
 * serves other queues, packets and fetch commands. It does not sleep while it
 * has copies in flight (it must poll their completion; no completion
 * interrupt is requested), so the turn that finds them complete takes no
 * interrupt. A copy becomes visible at the first turn that starts after its
 * batch's completion record is written: its completion latency is bounded
 * below by the engine's and above by that plus one turn. */
#include "datapath/dp_internal.h"

#include <stdlib.h>
#include <string.h>

/* Grow a ring of `len` items starting at `head` in an array of `cap` to 2x. */
static int grow(void **items, size_t size, size_t *head, size_t len, size_t *cap)
{
    size_t ncap = *cap ? *cap * 2 : 64;
    char *n = malloc(ncap * size);
    if (!n)
        return -1;
    const char *old = *items;
    for (size_t i = 0; i < len; i++)
        memcpy(n + i * size, old + ((*head + i) % *cap) * size, size);
    free(*items);
    *items = n;
    *head = 0;
    *cap = ncap;
    return 0;
}

vio_ps vio__dp_async_copy(vio_datapath *dp, dp_worker *w, uint64_t src, uint64_t dst, uint32_t bytes)
{
    dp_async *a = &w->as;
    if (a->nstaged == a->staged_cap) {
        uint32_t ncap = a->staged_cap ? a->staged_cap * 2 : 64;
        vio_dma_desc *n = realloc(a->staged, ncap * sizeof *n);
        if (!n) {
            vio__dp_broken(dp, "host worker %u: out of memory for its staged copy descriptors", w->index);
            return VIO_PS_NEVER;
        }
        a->staged = n;
        a->staged_cap = ncap;
    }
    a->staged[a->nstaged++] = (vio_dma_desc){src, dst, bytes};
    return VIO_PS_NEVER; /* known once submitted and reaped */
}

void vio__dp_async_after(vio_datapath *dp, dp_worker *w, enum dp_async_kind kind, uint32_t guest, const dp_pkt *p)
{
    dp_async *a = &w->as;
    if (a->ops_len == a->ops_cap &&
        grow((void **)&a->ops, sizeof *a->ops, &a->ops_head, a->ops_len, &a->ops_cap) != 0) {
        vio__dp_broken(dp, "host worker %u: out of memory for the work waiting on its copies", w->index);
        return;
    }
    a->ops[(a->ops_head + a->ops_len++) % a->ops_cap] =
        (dp_async_op){.batch = a->batch, .p = *p, .guest = guest, .kind = (uint8_t)kind};
}

void vio__dp_async_submit(vio_datapath *dp, dp_worker *w, vio_ps *t)
{
    dp_async *a = &w->as;
    if (a->nstaged == 0)
        return;
    if (a->b_len == a->b_cap) {
        size_t h = a->b_head, c = a->b_cap;
        if (grow((void **)&a->done, sizeof *a->done, &h, a->b_len, &c) != 0 ||
            grow((void **)&a->id, sizeof *a->id, &a->b_head, a->b_len, &a->b_cap) != 0) {
            vio__dp_broken(dp, "host worker %u: out of memory for its copy batches", w->index);
            return;
        }
    }
    vio_ps done;
    *t += vio_copier_submit(dp->copier, w->core, a->staged, a->nstaged, *t, &done);
    size_t at = (a->b_head + a->b_len++) % a->b_cap;
    a->done[at] = done;
    a->id[at] = a->batch++;
    a->nstaged = 0;
}

vio_ps vio__dp_async_next(const dp_worker *w)
{
    const dp_async *a = &w->as;
    return a->b_len ? a->done[a->b_head] : VIO_PS_NEVER;
}

/* Whether guest vm's fetch command still waits in w's queue (not yet served). */
static int fetch_queued(const dp_worker *w, uint32_t vm)
{
    for (uint32_t i = 0; i < w->fetch_in.len; i++)
        if (dp_fifo_peek(&w->fetch_in, i)->queue == vm)
            return 1;
    return 0;
}

/* A copy on fetch is complete: the NIC buffer is free, and every guest whose
 * command the worker has served and whose named packets are now all copied is
 * answered (the command that put the copy on the engine, and any later one that
 * found a copy already there; a command still queued is answered when it is
 * served, dp_host.c host_fetch). A command names packets of one worker only, so
 * w is the worker that served it. */
static void fetch_done(vio_datapath *dp, const dp_worker *w, const dp_pkt *p, vio_ps t)
{
    dp->nic_rings[p->queue].free_at[p->slot] = t;
    dp->shared_fetched[p->shared] = t;
    for (uint32_t v = 0; v < dp->s->nvms; v++) {
        dp_guest *g = &dp->g[v];
        if (!g->fetch_wait || g->fetch_ready != VIO_PS_NEVER || fetch_queued(w, v))
            continue;
        int names = 0, waits = 0;
        for (uint32_t i = 0; i < g->fetch_n && !waits; i++) {
            uint32_t sslot = dp_fifo_peek(&g->in, i)->shared;
            names |= sslot == p->shared;
            waits = dp->shared_fetched[sslot] == DP_FETCH_IN_FLIGHT || dp->shared_fetched[sslot] == VIO_PS_NEVER;
        }
        if (names && !waits)
            vio__dp_fetch_answer(dp, g, t);
    }
}

void vio__dp_async_reap(vio_datapath *dp, dp_worker *w, vio_ps *t)
{
    dp_async *a = &w->as;
    if (a->b_len == 0)
        return;
    /* rte_dma_completed: read the batches' completion records in order, up to
     * the first not yet written (that one read too). */
    uint64_t through = 0;
    int any = 0;
    while (a->b_len) {
        *t += vio_copier_poll_cost(dp->copier);
        a->polls++;
        if (a->done[a->b_head] > *t)
            break;
        through = a->id[a->b_head];
        any = 1;
        a->reaped++;
        a->b_head = (a->b_head + 1) % a->b_cap;
        a->b_len--;
    }
    while (any && a->ops_len && a->ops[a->ops_head].batch <= through) {
        dp_async_op op = a->ops[a->ops_head];
        a->ops_head = (a->ops_head + 1) % a->ops_cap;
        a->ops_len--;
        switch (op.kind) {
        case DP_ASYNC_DELIVER:
            vio__dp_publish(dp, w, &dp->g[op.guest], op.p, *t, t);
            break;
        case DP_ASYNC_NIC_FREE:
            dp->nic_rings[op.p.queue].free_at[op.p.slot] = *t;
            break;
        default: /* DP_ASYNC_FETCH */
            fetch_done(dp, w, &op.p, *t);
            break;
        }
    }
}

void vio__dp_async_free(dp_async *a)
{
    free(a->staged);
    free(a->ops);
    free(a->done);
    free(a->id);
}
