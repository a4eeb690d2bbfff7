/* Transmit path of a queue pair (mechanism and sources in viosim/txpath.h). */
#include "viosim/txpath.h"

#include <stdlib.h>
#include <string.h>

#define LINE 64u
#define ETH_FRAMING 20u /* preamble + SFD (8) + minimum inter-frame gap (12), IEEE 802.3 */
#define MSI_BYTES 4u    /* an MSI-X message is a 4-byte (DWORD) memory write */

/* One direction of the link: the transfers placed on it that have not ended, as
 * sorted, disjoint busy intervals. A transfer takes the first gap long enough at
 * or after its ready time. A batch works out its frames' transfers ahead of time
 * (frame n's payload completions may be placed microseconds ahead), so a single
 * "free from" time would make a later batch's descriptor fetch, ready earlier,
 * queue behind them: the link would look busy while idle and a forwarder's reads
 * would serialise frame by frame. */
typedef struct lane {
    vio_ps *s, *e;
    uint32_t n, cap;
} lane;

struct vio_tx {
    vio_tx_config cfg;
    lane up, down;                  /* request and write-back headers upstream; completions downstream */
    int oom;
    vio_ps wire_free, wb_free;      /* when the wire and the write-back engine are idle */
    vio_ps *tag_free;                              /* when each read tag is free again */
    vio_tx_stats st;
};

void vio_tx_config_default(vio_tx_config *cfg)
{
    *cfg = (vio_tx_config){.mrrs = 512, .mps = 256, .tlp_overhead = 24, .max_tags = 32, .link_mbps = 126032,
                           .link_latency = 250 * VIO_PS_PER_NS, .wire_mbps = 100000, .desc_bytes = 16,
                           .interrupt = true, .poll_interval = 1 * VIO_PS_PER_US};
}

int vio_tx_create(const vio_tx_config *cfg, vio_tx **out, vio_err *err)
{
    if (!cfg || !out)
        return vio_err_set(err, VIO_EINVAL, "tx: NULL config or output");
    *out = NULL;
    if (cfg->mrrs < LINE || cfg->mrrs > 4096 || cfg->mps == 0 || cfg->max_tags == 0 || cfg->link_mbps == 0 ||
        cfg->wire_mbps == 0 || cfg->desc_bytes == 0 || (!cfg->interrupt && cfg->poll_interval == 0) ||
        !cfg->mem_read)
        return vio_err_set(err, VIO_EINVAL, "tx: mrrs must be 64..4096, mps, max_tags, link and wire rates, "
                           "descriptor size and (when polling) poll_interval > 0, mem_read set");
    vio_tx *tx = calloc(1, sizeof *tx);
    if (!tx || !(tx->tag_free = calloc(cfg->max_tags, sizeof *tx->tag_free))) {
        free(tx);
        return vio_err_set(err, VIO_ENOMEM, "tx: out of memory");
    }
    tx->cfg = *cfg;
    *out = tx;
    return VIO_OK;
}

void vio_tx_destroy(vio_tx *tx)
{
    if (!tx)
        return;
    free(tx->up.s);
    free(tx->up.e);
    free(tx->down.s);
    free(tx->down.e);
    free(tx->tag_free);
    free(tx);
}

static vio_ps later(vio_ps a, vio_ps b) { return a > b ? a : b; }

/* Forget the intervals that end by `floor` (no later transfer is ready before it). */
static void lane_prune(lane *l, vio_ps floor)
{
    uint32_t k = 0;
    while (k < l->n && l->e[k] <= floor)
        k++;
    if (k) {
        memmove(l->s, l->s + k, (l->n - k) * sizeof *l->s);
        memmove(l->e, l->e + k, (l->n - k) * sizeof *l->e);
        l->n -= k;
    }
}

/* Place a transfer of `dur` ready at `ready`: returns its start. The intervals
 * are sorted and disjoint, so their ends increase: a binary search skips those
 * that end by `ready` (when TX backs up, most of the lane), then the first gap
 * long enough is searched from there. */
static vio_ps lane_place(vio_tx *tx, lane *l, vio_ps ready, vio_ps dur)
{
    vio_ps t = ready;
    uint32_t lo = 0, hi = l->n; /* the first interval with e > ready is in [lo, hi] */
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (l->e[mid] <= ready)
            lo = mid + 1;
        else
            hi = mid;
    }
    uint32_t i = lo;
    for (; i < l->n; i++) {
        if (l->e[i] <= t)
            continue;
        if (l->s[i] >= t + dur)
            break;
        t = l->e[i];
    }
    if (dur == 0)
        return t;
    if (i > 0 && l->e[i - 1] == t) { /* extends its predecessor */
        l->e[i - 1] = t + dur;
        if (i < l->n && l->s[i] == t + dur) { /* and closes the gap to its successor */
            l->e[i - 1] = l->e[i];
            memmove(l->s + i, l->s + i + 1, (l->n - i - 1) * sizeof *l->s);
            memmove(l->e + i, l->e + i + 1, (l->n - i - 1) * sizeof *l->e);
            l->n--;
        }
        return t;
    }
    if (l->n == l->cap) {
        uint32_t cap = l->cap ? l->cap * 2 : 64;
        vio_ps *s = realloc(l->s, cap * sizeof *s);
        if (s)
            l->s = s;
        vio_ps *e = s ? realloc(l->e, cap * sizeof *e) : NULL;
        if (e)
            l->e = e;
        if (!s || !e) {
            tx->oom = 1;
            return t;
        }
        l->cap = cap;
    }
    memmove(l->s + i + 1, l->s + i, (l->n - i) * sizeof *l->s);
    memmove(l->e + i + 1, l->e + i, (l->n - i) * sizeof *l->e);
    l->s[i] = t;
    l->e[i] = t + dur;
    l->n++;
    return t;
}

/* Translate one request at *t (adds its latency); false when blocked. */
static bool translate(vio_tx *tx, uint32_t pasid, uint64_t iova, uint32_t len, vio_dma_kind kind, vio_ps *t,
                      uint64_t *phys, vio_tx_result *out)
{
    if (!tx->cfg.translate) {
        *phys = iova;
        return true;
    }
    vio_ps lat = 0;
    bool ok = tx->cfg.translate(tx->cfg.ctx, pasid, iova, len, kind, *t, &lat, phys);
    *t += lat;
    out->translate_ps += lat;
    return ok;
}

/* One read request of `bytes` at `phys`, ready at `t`: returns when all its data is
 * on the device. */
static vio_ps read_req(vio_tx *tx, uint64_t phys, uint32_t bytes, vio_ps t, vio_tx_result *out)
{
    const vio_tx_config *c = &tx->cfg;
    uint32_t tag = 0;
    for (uint32_t i = 1; i < c->max_tags; i++)
        if (tx->tag_free[i] < tx->tag_free[tag])
            tag = i;
    if (tx->tag_free[tag] > t)
        tx->st.tag_waits++;
    /* The request TLP (a header) upstream. */
    vio_ps hdr = vio_bytes_to_ps(c->tlp_overhead, c->link_mbps);
    vio_ps s = lane_place(tx, &tx->up, later(t, tx->tag_free[tag]), hdr);
    vio_ps at_host = s + hdr + c->link_latency;
    /* The memory access. */
    uint32_t llc = 0, lines = (uint32_t)((phys + bytes - 1) / LINE - phys / LINE + 1);
    vio_ps ready = at_host + c->mem_read(c->ctx, phys, bytes, at_host, &llc);
    /* Completions downstream, at most MPS bytes each. */
    uint32_t cpls = (bytes + c->mps - 1) / c->mps;
    vio_ps xfer = vio_bytes_to_ps((uint64_t)bytes + (uint64_t)cpls * c->tlp_overhead, c->link_mbps);
    vio_ps d = lane_place(tx, &tx->down, ready, xfer);
    vio_ps at_dev = d + xfer + c->link_latency;
    tx->tag_free[tag] = at_dev;
    out->reads++;
    out->lines += lines;
    out->llc_lines += llc;
    return at_dev;
}

/* A read the device has to make: ready at `ready` (before its translation). */
typedef struct rd_req {
    vio_ps ready;
    uint64_t iova;
    uint32_t frame, len;
    bool desc;
} rd_req;

int vio_tx_send_batch(vio_tx *tx, const vio_tx_frame *frames, uint32_t n, vio_ps now, vio_tx_result *out)
{
    if (!tx || !frames || !out)
        return VIO_EINVAL;
    const vio_tx_config *c = &tx->cfg;
    /* Calls come in (nearly) non-decreasing `now`: what ended well before it cannot
     * matter any more (10 us of slack for callers whose clocks interleave). */
    vio_ps floor = now > 10 * VIO_PS_PER_US ? now - 10 * VIO_PS_PER_US : 0;
    lane_prune(&tx->up, floor);
    lane_prune(&tx->down, floor);
    size_t cap = n;
    for (uint32_t k = 0; k < n; k++) {
        if (frames[k].bytes == 0)
            return VIO_EINVAL;
        cap += frames[k].bytes / 64 + 2; /* payload requests: at most one per 64 B (MRRS >= 64) plus a 4 KiB split */
    }
    rd_req *q = malloc(cap * sizeof *q);
    uint32_t *left = calloc(n ? n : 1, sizeof *left); /* reads outstanding per frame */
    if (!q || !left) {
        free(q);
        free(left);
        return VIO_ENOMEM;
    }
    /* 1. The doorbell moved the tail by n: the device fetches the n descriptors
     *    first, then each frame's payload once its descriptor is in. The device's
     *    DMA engine issues reads in time order (ties in frame order), each once it
     *    is translated and a tag is free, so the link is used in time order. */
    size_t nq = 0;
    for (uint32_t k = 0; k < n; k++) {
        out[k] = (vio_tx_result){0};
        tx->st.packets++;
        q[nq++] = (rd_req){.ready = now, .iova = frames[k].desc_iova, .frame = k, .len = c->desc_bytes, .desc = true};
    }
    bool *dead = calloc(n ? n : 1, sizeof *dead);
    while (nq && dead) {
        size_t best = 0;
        for (size_t i = 1; i < nq; i++)
            if (q[i].ready < q[best].ready)
                best = i;
        rd_req r = q[best];
        memmove(&q[best], &q[best + 1], (nq - best - 1) * sizeof *q);
        nq--;
        vio_tx_result *o = &out[r.frame];
        if (dead[r.frame])
            continue;
        vio_ps t = r.ready;
        uint64_t phys;
        if (!translate(tx, frames[r.frame].pasid, r.iova, r.len, r.desc ? VIO_DMA_DESC_READ : VIO_DMA_TX_READ, &t,
                       &phys, o)) {
            dead[r.frame] = true; /* blocked: nothing of this frame is sent */
            continue;
        }
        vio_ps at = read_req(tx, phys, r.len, t, o);
        if (r.desc) {
            o->desc_at = at;
            o->payload_at = at;
            const vio_tx_frame *f = &frames[r.frame];
            for (uint32_t off = 0; off < f->bytes;) { /* requests of <= MRRS within 4 KiB blocks */
                uint64_t a = f->buf_iova + off;
                uint32_t len = f->bytes - off;
                if (len > c->mrrs)
                    len = c->mrrs;
                if (len > 4096 - (a & 4095))
                    len = (uint32_t)(4096 - (a & 4095));
                q[nq++] = (rd_req){.ready = at, .iova = a, .frame = r.frame, .len = len};
                left[r.frame]++;
                off += len;
            }
        } else {
            o->payload_at = later(o->payload_at, at);
            left[r.frame]--;
        }
    }
    /* 3-4. In frame order: the wire (store and forward), the translated completion
     *      write-back, then MSI-X or the driver's next poll. Write-backs share the
     *      upstream link among themselves; the read-request headers (24 B each) are
     *      not merged into that order. */
    for (uint32_t k = 0; dead && k < n; k++) {
        vio_tx_result *o = &out[k];
        if (!dead[k] && left[k] == 0 && o->desc_at) {
            vio_ps w = later(o->payload_at, tx->wire_free);
            tx->wire_free = w + vio_bytes_to_ps((uint64_t)frames[k].bytes + ETH_FRAMING, c->wire_mbps);
            o->wire_done = tx->wire_free;
            vio_ps t = o->wire_done;
            uint64_t phys;
            if (translate(tx, frames[k].pasid, frames[k].desc_iova, c->desc_bytes, VIO_DMA_CPL_WRITE, &t, &phys, o)) {
                vio_ps wbx = vio_bytes_to_ps((uint64_t)c->desc_bytes + c->tlp_overhead, c->link_mbps);
                vio_ps s = lane_place(tx, &tx->up, later(t, tx->wb_free), wbx);
                tx->wb_free = s + wbx;
                vio_ps wb = tx->wb_free + c->link_latency;
                if (frames[k].reap) {
                    o->completed = wb;
                } else if (c->interrupt) {
                    tx->wb_free += vio_bytes_to_ps(MSI_BYTES + c->tlp_overhead, c->link_mbps);
                    o->completed = tx->wb_free + c->link_latency;
                } else {
                    o->completed = (wb + c->poll_interval - 1) / c->poll_interval * c->poll_interval;
                }
                o->sent = true;
                tx->st.bytes += frames[k].bytes;
                tx->st.latency_sum += o->wire_done - now;
                tx->st.last_wire_done = o->wire_done;
            }
        }
        if (!o->sent)
            tx->st.blocked++;
        tx->st.reads += o->reads;
        tx->st.lines += o->lines;
        tx->st.llc_lines += o->llc_lines;
    }
    int rc = dead && !tx->oom ? VIO_OK : VIO_ENOMEM;
    free(dead);
    free(left);
    free(q);
    return rc;
}

int vio_tx_send(vio_tx *tx, uint32_t pasid, uint64_t desc_iova, uint64_t buf_iova, uint32_t bytes, vio_ps now,
                vio_tx_result *out)
{
    vio_tx_frame f = {.pasid = pasid, .desc_iova = desc_iova, .buf_iova = buf_iova, .bytes = bytes};
    return vio_tx_send_batch(tx, &f, 1, now, out);
}

void vio_tx_stats_get(const vio_tx *tx, vio_tx_stats *out) { *out = tx->st; }

void vio_tx_reset_stats(vio_tx *tx)
{
    vio_ps last = tx->st.last_wire_done;
    tx->st = (vio_tx_stats){0};
    tx->st.last_wire_done = last;
}
