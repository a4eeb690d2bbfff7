/* DPDK receive-buffer recycling for a direct-delivery consumer (vms[].mempool):
 * instead of a buffer fixed to each receive slot, the buffers come from an
 * rte_mempool and circulate.
 *
 * What DPDK does, and what is modelled:
 * - The pool: vms[].mempool_buffers objects laid out as DPDK lays out an mbuf
 *   pool (rte_mempool_create / rte_pktmbuf_pool_create): a 64 B object header,
 *   the 128 B struct rte_mbuf, RTE_PKTMBUF_HEADROOM (128 B), then the data room
 *   (platform.nic.buffer_bytes, RTE_MBUF_DEFAULT_DATAROOM 2048): 2368 B per
 *   object for the default, the packet starting 320 B in. The free objects sit
 *   in the pool's ring (the default "ring_mp_mc" handler): first in, first out,
 *   in address order after creation.
 * - The per-lcore cache (struct rte_mempool_cache, vms[].mempool_cache): a stack.
 *   rte_mempool_generic_get takes from its top; when it holds fewer than asked,
 *   it first dequeues size + n - len objects from the ring onto it. put pushes
 *   onto the top; once len reaches flushthresh = 1.5 x size
 *   (CALC_CACHE_FLUSHTHRESH, lib/mempool/rte_mempool.c) the objects above size,
 *   the most recently freed, go back to the ring's tail.
 * - Receive (mlx5_rx_burst, the scalar path): each packet taken off the ring is
 *   replaced at once by an mbuf from the cache (rte_mbuf_raw_alloc), so the slot
 *   is free again when the core takes the packet, not when it is transmitted.
 * - Transmit (mlx5 Tx): the mbuf stays with the transmit queue until its
 *   completion is seen; mlx5 asks for a completion every MLX5_TX_COMP_THRESH (32)
 *   descriptors (vms[].tx_free_batch) and frees on it at the next tx_burst
 *   (mlx5_tx_comp_flush -> mlx5_tx_free_elts), in order, onto the cache. A
 *   software queue in front of the ring (vms[].tx_queue, FastClick's IQUEUE)
 *   holds more while the ring is full; when both are full (vms[].tx_ring_entries
 *   + tx_queue) a blocking forwarder (ToDPDKDevice BLOCKING true) waits for the
 *   oldest completion.
 * - A consumer that does not forward frees each mbuf when it is done with it.
 *
 * Not modelled: the writes the core makes to the mbuf metadata (its two lines),
 * the NIC seeing only the ring's descriptors (the queue's packets are handed to it
 * at once: it serves them in order, so each buffer is held as long), and a pool
 * shared by several cores (FastClick has one per NUMA socket: here each consumer
 * has its own, so the ring's depth differs by the other cores' buffers in use;
 * either way a buffer from the ring was last used far more buffers ago than the
 * LLC holds). */
#include "datapath/dp_internal.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

/* DPDK's mbuf object: header + struct rte_mbuf + headroom, then the data room. */
#define MP_OBJ_HEADER 64u  /* struct rte_mempool_objhdr, cache-line aligned */
#define MP_MBUF_STRUCT 128u /* sizeof(struct rte_mbuf): two cache lines */
#define MP_HEADROOM 128u    /* RTE_PKTMBUF_HEADROOM default */
#define MP_DATA_OFFSET (MP_OBJ_HEADER + MP_MBUF_STRUCT + MP_HEADROOM)

struct dp_mempool {
    uint32_t nbuf, stride;
    uint64_t base;
    uint32_t *ring; /* FIFO of free objects: ring[(head + i) % nbuf] */
    uint32_t head, rlen;
    uint32_t *cache; /* the lcore cache, a stack: cache[clen - 1] is the top */
    uint32_t clen, csize, flush;
    uint32_t *slot_buf; /* the object each receive slot holds */
    /* transmit: objects posted and not yet freed, in order, with when the NIC has read each */
    vio_ps *tx_done;
    uint32_t *tx_buf;
    uint32_t tx_head, tx_len, tx_cap, batch;
    /* statistics */
    uint64_t ring_gets, ring_puts, refills, flushes, tx_waits, tx_wait_ps, tx_max;
};

static void ring_put(dp_mempool *m, uint32_t obj)
{
    m->ring[(m->head + m->rlen) % m->nbuf] = obj;
    m->rlen++;
    m->ring_puts++;
}

static uint32_t ring_get(dp_mempool *m)
{
    uint32_t obj = m->ring[m->head];
    m->head = (m->head + 1) % m->nbuf;
    m->rlen--;
    m->ring_gets++;
    return obj;
}

/* rte_mempool_get of one object; returns 0 when the pool is empty. */
static int cache_get(dp_mempool *m, uint32_t *obj)
{
    if (m->clen < 1) {
        uint32_t req = 1 + m->csize - m->clen;
        if (m->rlen >= req) { /* the bulk dequeue is all or nothing */
            for (uint32_t i = 0; i < req; i++)
                m->cache[m->clen++] = ring_get(m);
            m->refills++;
        } else if (m->rlen) {
            *obj = ring_get(m); /* DPDK then dequeues the n asked for directly */
            return 1;
        } else {
            return 0;
        }
    }
    *obj = m->cache[--m->clen];
    return 1;
}

static void cache_put(dp_mempool *m, uint32_t obj)
{
    m->cache[m->clen++] = obj;
    if (m->clen >= m->flush) {
        for (uint32_t i = m->csize; i < m->clen; i++)
            ring_put(m, m->cache[i]);
        m->clen = m->csize;
        m->flushes++;
    }
}

static uint32_t obj_of(const dp_mempool *m, uint64_t buf) { return (uint32_t)((buf - m->base) / m->stride); }

int vio__dp_mempool_init(vio_datapath *dp, vio_err *err)
{
    const vio_scenario *s = dp->s;
    if (!dp->copy->direct)
        return VIO_OK; /* receive buffers are the host's: the consumers' mempools play no part */
    for (uint32_t v = 0; v < s->nvms; v++) {
        const vio_vm_params *vm = &s->vms[v];
        if (!vm->mempool)
            continue;
        if (dp->tn)
            return vio_err_set(err, VIO_EINVAL,
                               "%s: variant %s: vms[%u].mempool needs iommu off and no tenants (its buffers are not "
                               "in the IOMMU's map of the receive rings nor in the tenants' owner tags)",
                               s->source, dp->v->name, v);
        uint32_t entries = s->platform.nic_ring_entries;
        uint64_t need = (uint64_t)entries + vm->mempool_cache + vm->tx_ring_entries + vm->tx_queue + vm->budget;
        if (vm->mempool_buffers < need)
            return vio_err_set(err, VIO_EINVAL,
                               "%s: vms[%u].mempool_buffers: expected at least the receive ring + the cache + the "
                               "transmit ring and queue + the budget (%llu), got %u",
                               s->source, v, (unsigned long long)need, vm->mempool_buffers);
        if (vm->forward && vm->tx_ring_entries < vm->budget + vm->tx_free_batch)
            return vio_err_set(err, VIO_EINVAL,
                               "%s: vms[%u].tx_ring_entries: expected at least vms[].budget + vms[].tx_free_batch "
                               "(%u), got %u",
                               s->source, v, vm->budget + vm->tx_free_batch, vm->tx_ring_entries);
        dp_mempool *m = calloc(1, sizeof *m);
        if (!m)
            return vio_err_set(err, VIO_ENOMEM, "datapath: out of memory");
        dp->g[v].mp = m;
        m->nbuf = vm->mempool_buffers;
        m->stride = (MP_DATA_OFFSET + s->platform.nic_buffer_bytes + VIO_LINE_BYTES - 1) / VIO_LINE_BYTES *
                    VIO_LINE_BYTES;
        uint64_t span = ((uint64_t)m->nbuf * m->stride + VIO_REGION_ALIGN - 1) / VIO_REGION_ALIGN * VIO_REGION_ALIGN;
        m->base = VIO_ADDR_MEMPOOL + v * span;
        m->csize = vm->mempool_cache;
        m->flush = m->csize + m->csize / 2; /* CALC_CACHE_FLUSHTHRESH: 1.5 x size */
        m->batch = vm->tx_free_batch;
        /* Held on the transmit side: the ring's descriptors and the software queue in
         * front of it. The NIC serves them in order either way, so a buffer is held as
         * long as if the queue were part of the ring. */
        m->tx_cap = vm->tx_ring_entries + vm->tx_queue;
        m->ring = malloc((size_t)m->nbuf * sizeof *m->ring);
        m->cache = malloc(((size_t)m->flush + 1) * sizeof *m->cache);
        m->slot_buf = malloc((size_t)entries * sizeof *m->slot_buf);
        m->tx_done = malloc((size_t)m->tx_cap * sizeof *m->tx_done);
        m->tx_buf = malloc((size_t)m->tx_cap * sizeof *m->tx_buf);
        if (!m->ring || !m->cache || !m->slot_buf || !m->tx_done || !m->tx_buf)
            return vio_err_set(err, VIO_ENOMEM, "datapath: out of memory for vms[%u].mempool (%u buffers)", v,
                               m->nbuf);
        /* After creation the ring holds every object in address order; queue
         * setup (rxq_alloc_elts) fills the receive ring from it. */
        for (uint32_t i = 0; i < m->nbuf; i++)
            m->ring[i] = i;
        m->rlen = m->nbuf;
        for (uint32_t i = 0; i < entries; i++)
            m->slot_buf[i] = ring_get(m);
        m->ring_gets = 0;
    }
    return VIO_OK;
}

void vio__dp_mempool_destroy(vio_datapath *dp)
{
    for (uint32_t v = 0; dp->g && v < dp->s->nvms; v++) {
        dp_mempool *m = dp->g[v].mp;
        if (!m)
            continue;
        free(m->ring);
        free(m->cache);
        free(m->slot_buf);
        free(m->tx_done);
        free(m->tx_buf);
        free(m);
        dp->g[v].mp = NULL;
    }
}

uint64_t vio__dp_rx_buf(const vio_datapath *dp, uint32_t q, uint32_t slot)
{
    const dp_mempool *m = dp->copy->direct && q < dp->s->nvms ? dp->g[q].mp : NULL;
    if (!m)
        return dp_nic_buf(dp, q, slot);
    return m->base + (uint64_t)m->slot_buf[slot] * m->stride + MP_DATA_OFFSET;
}

void vio__dp_mempool_rx(vio_datapath *dp, dp_guest *g, uint32_t slot, vio_ps t)
{
    dp_mempool *m = g->mp;
    uint32_t obj;
    if (!cache_get(m, &obj)) {
        vio__dp_broken(dp, "vm%u: its mempool of %u buffers is empty (raise vms[].mempool_buffers)", g->vm, m->nbuf);
        return;
    }
    m->slot_buf[slot] = obj;
    dp->nic_rings[g->queue].free_at[slot] = t; /* replenished: the NIC may use the slot again */
}

void vio__dp_mempool_free(dp_guest *g, uint64_t buf) { cache_put(g->mp, obj_of(g->mp, buf)); }

/* tx_burst's completion handling at t: every whole group of tx_free_batch
 * descriptors whose last one the NIC has read is freed, in order. */
void vio__dp_mempool_tx_reap(dp_guest *g, vio_ps t)
{
    dp_mempool *m = g->mp;
    while (m->tx_len >= m->batch && m->tx_done[(m->tx_head + m->batch - 1) % m->tx_cap] <= t) {
        for (uint32_t i = 0; i < m->batch; i++) {
            cache_put(m, m->tx_buf[m->tx_head]);
            m->tx_head = (m->tx_head + 1) % m->tx_cap;
        }
        m->tx_len -= m->batch;
    }
}

/* Before posting one more packet (`pending` already posted in this batch): a
 * full transmit ring and queue make the forwarder wait for the oldest completion. */
vio_ps vio__dp_mempool_tx_wait(dp_guest *g, uint32_t pending, vio_ps t)
{
    dp_mempool *m = g->mp;
    while (m->tx_len + pending >= m->tx_cap && m->tx_len >= m->batch) {
        vio_ps ready = m->tx_done[(m->tx_head + m->batch - 1) % m->tx_cap];
        if (ready > t) { /* it spins until the oldest group's completion arrives */
            m->tx_waits++;
            m->tx_wait_ps += ready - t;
            t = ready;
        }
        vio__dp_mempool_tx_reap(g, t); /* frees at least that group */
    }
    return t;
}

void vio__dp_mempool_tx_sent(vio_datapath *dp, dp_guest *g, uint64_t buf, vio_ps done)
{
    dp_mempool *m = g->mp;
    if (m->tx_len == m->tx_cap) { /* tx_wait keeps a place: a model bug */
        vio__dp_broken(dp, "vm%u: transmit ring of %u overfilled", g->vm, m->tx_cap);
        return;
    }
    uint32_t i = (m->tx_head + m->tx_len) % m->tx_cap;
    m->tx_done[i] = done;
    m->tx_buf[i] = obj_of(m, buf);
    m->tx_len++;
    if (m->tx_len > m->tx_max)
        m->tx_max = m->tx_len;
}

void vio__dp_mempool_reset_stats(vio_datapath *dp)
{
    for (uint32_t v = 0; v < dp->s->nvms; v++) {
        dp_mempool *m = dp->g[v].mp;
        if (m)
            m->ring_gets = m->ring_puts = m->refills = m->flushes = m->tx_waits = m->tx_wait_ps = m->tx_max = 0;
    }
}

int vio__dp_mempool_register(vio_datapath *dp, uint32_t v, vio_err *err)
{
    const dp_mempool *m = dp->g[v].mp;
    if (!m)
        return VIO_OK;
    static const struct {
        size_t off;
        const char *name, *help;
    } c[] = {
        {offsetof(dp_mempool, ring_gets), "ring_gets", "buffers the lcore cache took from the pool's ring (cold)"},
        {offsetof(dp_mempool, ring_puts), "ring_puts", "buffers the lcore cache flushed back to the pool's ring"},
        {offsetof(dp_mempool, refills), "refills", "times the empty cache refilled from the ring"},
        {offsetof(dp_mempool, flushes), "flushes", "times the cache crossed its flush threshold"},
        {offsetof(dp_mempool, tx_waits), "tx_waits", "times a full transmit ring made the forwarder wait"},
        {offsetof(dp_mempool, tx_wait_ps), "tx_wait_ps", "time it waited, ps"},
        {offsetof(dp_mempool, tx_max), "tx_max", "most buffers held by the transmit ring at once"},
    };
    int rc = VIO_OK;
    for (size_t i = 0; rc == VIO_OK && i < sizeof c / sizeof c[0]; i++)
        rc = vio_stats_counter(dp->stats, (const uint64_t *)(const void *)((const char *)m + c[i].off), c[i].help, err,
                               "mempool.vm%u.%s", v, c[i].name);
    return rc;
}
