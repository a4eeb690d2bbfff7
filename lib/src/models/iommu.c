/* PASID-tagged IOMMU model (mechanism and sources in viosim/iommu.h).
 *
 * Page tables are sorted, disjoint extents per PASID, not radix pages: one map call
 * is one extent however many pages it covers, and "is this PML4E / PDPTE / PDE
 * present?" is a range query on them. The walk still charges exactly the reads a
 * radix walk makes, at deterministic entry addresses, up to the first non-present
 * entry. */
#include "viosim/iommu.h"

#include <stdlib.h>
#include <string.h>

#define PAGE_SHIFT_4K 12u
#define PAGE_SHIFT_2M 21u
#define PTE_BYTES 8u
#define TABLE_BYTES 4096u
#define PASID_PT_SHIFT 40u /* each PASID's table pages fit in 2^40 bytes */

typedef struct extent {
    uint64_t iova, size, phys;
    uint8_t shift; /* page size of the mapping: 12 or 21 */
    bool writable;
} extent;

/* A PASID-table entry plus the PASID's page table. */
typedef struct pasid_ctx {
    uint32_t pasid;
    bool bound, present;
    uint16_t rid;
    uint32_t qp;
    extent *ext;
    size_t n_ext, cap_ext;
    vio_iommu_pasid_stats st;
} pasid_ctx;

/* A translation cache keyed by (PASID, virtual page number, page size). */
typedef struct tlb_entry {
    uint64_t vpn, phys_page, stamp;
    uint32_t pasid;
    uint8_t shift;
    bool valid, writable;
} tlb_entry;

typedef struct tlb {
    tlb_entry *e; /* sets * ways, set-major */
    uint32_t sets, ways;
    uint64_t clock; /* LRU stamps: unique, increasing, so no ties */
} tlb;

struct vio_iommu {
    vio_iommu_config cfg;
    pasid_ctx *ctx; /* sorted by pasid */
    size_t n_ctx, cap_ctx;
    tlb iotlb, devtlb;
    vio_iommu_fault_record *log;
    size_t log_head, log_count;
    vio_iommu_stats st;
};

/* ---- translation caches --------------------------------------------------- */

/* `entries` == 0 leaves the cache absent (e == NULL). */
static int tlb_init(tlb *t, uint32_t entries, uint32_t ways)
{
    *t = (tlb){.ways = ways, .sets = entries ? entries / ways : 0};
    t->e = entries ? calloc(entries, sizeof *t->e) : NULL;
    return entries && !t->e ? VIO_ENOMEM : VIO_OK;
}

/* Set index: the low VPN bits, xor-folded with the PASID so that the same IOVA in
 * different address spaces spreads over sets instead of colliding. */
static tlb_entry *tlb_set(const tlb *t, uint32_t pasid, uint64_t vpn)
{
    return t->e + (size_t)((vpn ^ pasid) % t->sets) * t->ways;
}

/* Probe both page sizes, as a combined 4K/2M IOTLB does in parallel. */
static tlb_entry *tlb_lookup(tlb *t, uint32_t pasid, uint64_t iova)
{
    for (uint8_t shift = PAGE_SHIFT_4K; shift <= PAGE_SHIFT_2M; shift += PAGE_SHIFT_2M - PAGE_SHIFT_4K) {
        uint64_t vpn = iova >> shift;
        tlb_entry *set = tlb_set(t, pasid, vpn);
        for (uint32_t w = 0; w < t->ways; w++) {
            tlb_entry *e = &set[w];
            if (e->valid && e->pasid == pasid && e->shift == shift && e->vpn == vpn) {
                e->stamp = ++t->clock;
                return e;
            }
        }
    }
    return NULL;
}

static void tlb_fill(tlb *t, const tlb_entry *fill)
{
    tlb_entry *set = tlb_set(t, fill->pasid, fill->vpn), *victim = &set[0];
    for (uint32_t w = 0; w < t->ways; w++) {
        if (!set[w].valid) { /* an empty way first, lowest index */
            victim = &set[w];
            break;
        }
        if (set[w].stamp < victim->stamp)
            victim = &set[w];
    }
    *victim = *fill;
    victim->stamp = ++t->clock;
}

/* Drop entries of `pasid` whose page intersects [lo, hi); returns how many. */
static uint64_t tlb_invalidate(tlb *t, uint32_t pasid, uint64_t lo, uint64_t hi)
{
    uint64_t n = 0;
    for (size_t i = 0; i < (size_t)t->sets * t->ways; i++) {
        tlb_entry *e = &t->e[i];
        if (!e->valid || e->pasid != pasid)
            continue;
        uint64_t base = e->vpn << e->shift, end = base + (1ull << e->shift);
        if (base < hi && end > lo) {
            e->valid = false;
            n++;
        }
    }
    return n;
}

/* Invalidation completes at once: the model has no invalidation queue latency. */
static void invalidate(vio_iommu *m, uint32_t pasid, uint64_t lo, uint64_t hi)
{
    m->st.invalidations += tlb_invalidate(&m->iotlb, pasid, lo, hi);
    m->st.invalidations += tlb_invalidate(&m->devtlb, pasid, lo, hi);
}

/* ---- PASID contexts and extents ------------------------------------------- */

/* `p` reallocated to hold `need` elements of `size` bytes, doubling `*cap`; NULL
 * (with `p` untouched) when out of memory. */
static void *grow(void *p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return p;
    size_t c = *cap ? *cap : 8;
    while (c < need)
        c *= 2;
    void *q = realloc(p, c * size);
    if (q)
        *cap = c;
    return q;
}

/* Index of the first context with pasid >= `pasid`. */
static size_t ctx_lower(const vio_iommu *m, uint32_t pasid)
{
    size_t lo = 0, hi = m->n_ctx;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->ctx[mid].pasid < pasid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static pasid_ctx *ctx_find(const vio_iommu *m, uint32_t pasid)
{
    size_t i = ctx_lower(m, pasid);
    return i < m->n_ctx && m->ctx[i].pasid == pasid ? &m->ctx[i] : NULL;
}

/* The context of `pasid`, created (not bound, not present) if new. The pointer
 * is valid until the next context is created. */
static pasid_ctx *ctx_get(vio_iommu *m, uint32_t pasid, vio_err *err)
{
    size_t i = ctx_lower(m, pasid);
    if (i < m->n_ctx && m->ctx[i].pasid == pasid)
        return &m->ctx[i];
    pasid_ctx *c = grow(m->ctx, &m->cap_ctx, m->n_ctx + 1, sizeof *c);
    if (!c) {
        vio_err_set(err, VIO_ENOMEM, "iommu: out of memory for PASID %u", pasid);
        return NULL;
    }
    m->ctx = c;
    memmove(&m->ctx[i + 1], &m->ctx[i], (m->n_ctx - i) * sizeof *m->ctx);
    m->n_ctx++;
    m->ctx[i] = (pasid_ctx){.pasid = pasid};
    return &m->ctx[i];
}

/* Extents are sorted and disjoint, so their ends are sorted too: the first one
 * ending after `addr` is the only candidate to contain it. */
static size_t ext_first_end_after(const pasid_ctx *c, uint64_t addr)
{
    size_t lo = 0, hi = c->n_ext;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->ext[mid].iova + c->ext[mid].size <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static bool ext_any_in(const pasid_ctx *c, uint64_t lo, uint64_t hi)
{
    size_t i = ext_first_end_after(c, lo);
    return i < c->n_ext && c->ext[i].iova < hi;
}

static const extent *ext_find(const pasid_ctx *c, uint64_t addr)
{
    size_t i = ext_first_end_after(c, addr);
    return i < c->n_ext && c->ext[i].iova <= addr ? &c->ext[i] : NULL;
}

/* Replace ext[i, j) by the `k` extents in `with`. */
static int ext_splice(pasid_ctx *c, size_t i, size_t j, const extent *with, size_t k)
{
    size_t n = c->n_ext - (j - i) + k;
    extent *e = grow(c->ext, &c->cap_ext, n, sizeof *e);
    if (!e)
        return VIO_ENOMEM;
    c->ext = e;
    memmove(&c->ext[i + k], &c->ext[j], (c->n_ext - j) * sizeof *c->ext);
    memcpy(&c->ext[i], with, k * sizeof *with);
    c->n_ext = n;
    return VIO_OK;
}

/* ---- life cycle ----------------------------------------------------------- */

void vio_iommu_config_default(vio_iommu_config *cfg)
{
    *cfg = (vio_iommu_config){
        .iotlb_entries = VIO_IOMMU_DEFAULT_IOTLB_ENTRIES, .iotlb_ways = VIO_IOMMU_DEFAULT_IOTLB_WAYS,
        .iotlb_hit_ps = VIO_IOMMU_DEFAULT_IOTLB_HIT_PS, .walk_overhead_ps = VIO_IOMMU_DEFAULT_WALK_OVERHEAD_PS,
        .devtlb_entries = VIO_IOMMU_DEFAULT_DEVTLB_ENTRIES, .devtlb_hit_ps = VIO_IOMMU_DEFAULT_DEVTLB_HIT_PS,
        .ats_miss_ps = VIO_IOMMU_DEFAULT_ATS_MISS_PS, .fault_log_entries = VIO_IOMMU_DEFAULT_FAULT_LOG,
        .require_pasid = true, .rid_pasid = 0, .pt_base = VIO_IOMMU_DEFAULT_PT_BASE};
}

int vio_iommu_create(const vio_iommu_config *cfg, vio_iommu **out, vio_err *err)
{
    if (!cfg || !out)
        return vio_err_set(err, VIO_EINVAL, "iommu: NULL config or output");
    *out = NULL;
    if (cfg->iotlb_entries == 0 || cfg->iotlb_ways == 0 || cfg->iotlb_ways > cfg->iotlb_entries ||
        cfg->iotlb_entries % cfg->iotlb_ways != 0)
        return vio_err_set(err, VIO_EINVAL,
                           "iommu: iotlb_ways (%u) must be in 1..iotlb_entries (%u) and divide it",
                           cfg->iotlb_ways, cfg->iotlb_entries);
    if (cfg->fault_log_entries == 0)
        return vio_err_set(err, VIO_EINVAL, "iommu: fault_log_entries must be >= 1");
    if (!cfg->read_line)
        return vio_err_set(err, VIO_EINVAL, "iommu: read_line callback is required");
    if (cfg->rid_pasid > VIO_PASID_MAX)
        return vio_err_set(err, VIO_EINVAL, "iommu: rid_pasid %u wider than 20 bits", cfg->rid_pasid);
    /* The highest PASID's table pages end at pt_base + 2^60: keep that in range. */
    if (cfg->pt_base % TABLE_BYTES != 0 ||
        cfg->pt_base > UINT64_MAX - (1ull << (VIO_PASID_BITS + PASID_PT_SHIFT)) + 1)
        return vio_err_set(err, VIO_EINVAL,
                           "iommu: pt_base 0x%llx must be 4 KiB aligned and at most 2^64 - 2^60",
                           (unsigned long long)cfg->pt_base);
    vio_iommu *m = calloc(1, sizeof *m);
    if (!m)
        return vio_err_set(err, VIO_ENOMEM, "iommu: out of memory");
    m->cfg = *cfg;
    m->log = calloc(cfg->fault_log_entries, sizeof *m->log);
    if (!m->log || tlb_init(&m->iotlb, cfg->iotlb_entries, cfg->iotlb_ways) != VIO_OK ||
        tlb_init(&m->devtlb, cfg->devtlb_entries, cfg->devtlb_entries) != VIO_OK) {
        vio_iommu_destroy(m);
        return vio_err_set(err, VIO_ENOMEM, "iommu: out of memory for %u IOTLB entries", cfg->iotlb_entries);
    }
    *out = m;
    return VIO_OK;
}

void vio_iommu_destroy(vio_iommu *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n_ctx; i++)
        free(m->ctx[i].ext);
    free(m->ctx);
    free(m->iotlb.e);
    free(m->devtlb.e);
    free(m->log);
    free(m);
}

/* ---- programming ---------------------------------------------------------- */

int vio_iommu_map(vio_iommu *m, uint32_t pasid, uint64_t iova, uint64_t phys, uint64_t size,
                  uint64_t page_size, bool writable, vio_err *err)
{
    if (pasid > VIO_PASID_MAX)
        return vio_err_set(err, VIO_EINVAL, "iommu: map: PASID 0x%x wider than 20 bits", pasid);
    if (page_size != VIO_PAGE_4K && page_size != VIO_PAGE_2M)
        return vio_err_set(err, VIO_EINVAL, "iommu: map: page size %llu is neither 4 KiB nor 2 MiB",
                           (unsigned long long)page_size);
    if (size == 0 || (iova | phys | size) % page_size != 0)
        return vio_err_set(err, VIO_EINVAL, "iommu: map: iova 0x%llx, phys 0x%llx, size 0x%llx must be "
                           "non-zero multiples of the page size 0x%llx", (unsigned long long)iova,
                           (unsigned long long)phys, (unsigned long long)size, (unsigned long long)page_size);
    if (iova >> VIO_IOVA_BITS || size > (1ull << VIO_IOVA_BITS) - iova || phys > UINT64_MAX - size)
        return vio_err_set(err, VIO_EINVAL,
                           "iommu: map: range 0x%llx+0x%llx beyond 48-bit IOVA or 64-bit phys",
                           (unsigned long long)iova, (unsigned long long)size);
    pasid_ctx *c = ctx_get(m, pasid, err);
    if (!c)
        return VIO_ENOMEM;
    if (ext_any_in(c, iova, iova + size))
        return vio_err_set(err, VIO_EINVAL,
                           "iommu: map: PASID 0x%x range 0x%llx+0x%llx overlaps a mapping", pasid,
                           (unsigned long long)iova, (unsigned long long)size);
    extent e = {.iova = iova, .size = size, .phys = phys, .writable = writable,
                .shift = page_size == VIO_PAGE_2M ? PAGE_SHIFT_2M : PAGE_SHIFT_4K};
    size_t at = ext_first_end_after(c, iova);
    if (ext_splice(c, at, at, &e, 1) != VIO_OK)
        return vio_err_set(err, VIO_ENOMEM, "iommu: map: out of memory");
    return VIO_OK;
}

int vio_iommu_unmap(vio_iommu *m, uint32_t pasid, uint64_t iova, uint64_t size, vio_err *err)
{
    pasid_ctx *c = pasid <= VIO_PASID_MAX ? ctx_find(m, pasid) : NULL;
    if (!c || size == 0 || size > UINT64_MAX - iova)
        return vio_err_set(err, VIO_EINVAL, "iommu: unmap: PASID 0x%x has no range 0x%llx+0x%llx",
                           pasid, (unsigned long long)iova, (unsigned long long)size);
    uint64_t end = iova + size, cursor = iova;
    size_t i = ext_first_end_after(c, iova), j = i;
    /* Validate first: the range is fully mapped and cuts extents on page bounds. */
    for (; j < c->n_ext && c->ext[j].iova < end; j++) {
        const extent *e = &c->ext[j];
        uint64_t mask = (1ull << e->shift) - 1, e_end = e->iova + e->size;
        if (e->iova > cursor || (e->iova < iova && (iova & mask)) || (e_end > end && (end & mask)))
            break;
        cursor = e_end;
    }
    if (cursor < end || j == i || (j < c->n_ext && c->ext[j].iova < end))
        return vio_err_set(err, VIO_EINVAL, "iommu: unmap: PASID 0x%x range 0x%llx+0x%llx is not wholly mapped "
                           "or cuts a page", pasid, (unsigned long long)iova, (unsigned long long)size);
    extent keep[2];
    size_t k = 0;
    const extent *first = &c->ext[i], *last = &c->ext[j - 1];
    if (first->iova < iova) {
        keep[k] = *first;
        keep[k++].size = iova - first->iova;
    }
    if (last->iova + last->size > end) {
        keep[k] = *last;
        keep[k].phys = last->phys + (end - last->iova);
        keep[k].size = last->iova + last->size - end;
        keep[k++].iova = end;
    }
    if (ext_splice(c, i, j, keep, k) != VIO_OK)
        return vio_err_set(err, VIO_ENOMEM, "iommu: unmap: out of memory");
    invalidate(m, pasid, iova, end);
    return VIO_OK;
}

int vio_iommu_bind_pasid(vio_iommu *m, uint32_t pasid, uint16_t rid, uint32_t qp, vio_err *err)
{
    if (pasid > VIO_PASID_MAX)
        return vio_err_set(err, VIO_EINVAL, "iommu: bind: PASID 0x%x wider than 20 bits", pasid);
    /* Both directions stay one-to-one: the queue pair has no other PASID ... */
    for (size_t i = 0; i < m->n_ctx; i++) {
        const pasid_ctx *o = &m->ctx[i];
        if (o->bound && o->pasid != pasid && o->rid == rid && o->qp == qp)
            return vio_err_set(err, VIO_EINVAL, "iommu: bind: queue pair %u of 0x%04x already has PASID 0x%x",
                               qp, rid, o->pasid);
    }
    pasid_ctx *c = ctx_get(m, pasid, err);
    if (!c)
        return VIO_ENOMEM;
    /* ... and the PASID has no other queue pair. */
    if (c->bound && (c->rid != rid || c->qp != qp))
        return vio_err_set(err, VIO_EINVAL,
                           "iommu: bind: PASID 0x%x already bound to queue pair %u of 0x%04x",
                           pasid, c->qp, c->rid);
    c->bound = true;
    c->present = true;
    c->rid = rid;
    c->qp = qp;
    return VIO_OK;
}

int vio_iommu_set_pasid_present(vio_iommu *m, uint32_t pasid, bool present, vio_err *err)
{
    pasid_ctx *c = pasid <= VIO_PASID_MAX ? ctx_find(m, pasid) : NULL;
    if (!c || !c->bound)
        return vio_err_set(err, VIO_EINVAL, "iommu: PASID 0x%x is not bound", pasid);
    c->present = present;
    if (!present) /* PASID-selective invalidation of everything cached for it */
        invalidate(m, pasid, 0, UINT64_MAX);
    return VIO_OK;
}

/* ---- translation ---------------------------------------------------------- */

/* Address of the paging entry read at `level` (4 = PML4E .. 1 = PTE). Table pages
 * are laid out per PASID: the PML4 first, then the 2^9 PDPTs, the 2^18 page
 * directories and the 2^27 page tables, each indexed by the IOVA bits above it. */
static uint64_t pte_addr(const vio_iommu *m, uint32_t pasid, unsigned level, uint64_t iova)
{
    static const uint64_t first_page[5] = {0, 1 + (1ull << 9) + (1ull << 18), 1 + (1ull << 9), 1, 0};
    unsigned shift = PAGE_SHIFT_4K + 9 * (level - 1);
    uint64_t page = first_page[level] + (iova >> (shift + 9));
    uint64_t index = (iova >> shift) & 511;
    return m->cfg.pt_base + ((uint64_t)pasid << PASID_PT_SHIFT) + page * TABLE_BYTES + index * PTE_BYTES;
}

/* The walk: read entries from the root down, stopping at a leaf or at the first
 * non-present entry. Charges every read through the callback; reads are dependent,
 * so each is issued when the previous one returns. */
static const extent *walk(vio_iommu *m, const pasid_ctx *c, uint64_t iova, vio_ps *t, vio_iommu_result *out)
{
    m->st.walks++;
    vio_ps start = *t;
    *t += m->cfg.walk_overhead_ps;
    const extent *leaf = NULL;
    if (!(iova >> VIO_IOVA_BITS)) { /* beyond 48 bits nothing can be mapped: no reads */
        const extent *e = ext_find(c, iova);
        for (unsigned level = 4; level >= 1; level--) {
            *t += m->cfg.read_line(m->cfg.read_ctx, pte_addr(m, c->pasid, level, iova), *t);
            out->walk_reads++;
            m->st.walk_reads++;
            unsigned span = PAGE_SHIFT_4K + 9 * (level - 1);
            uint64_t region = iova & ~((1ull << span) - 1);
            if (!ext_any_in(c, region, region + (1ull << span)))
                break; /* this entry's Present bit is clear */
            if (e && e->shift == span) {
                leaf = e;
                break;
            }
        }
    }
    m->st.walk_ps += *t - start;
    return leaf;
}

/* Block a request: count it where it is charged and record it in the fault log. */
static int block(vio_iommu *m, pasid_ctx *c, const vio_dma_req *req, vio_ps now, vio_ps t,
                 vio_iommu_fault reason, vio_iommu_result *out)
{
    out->latency = t - now;
    out->fault = reason;
    out->phys = 0;
    m->st.faults[reason]++;
    m->st.blocked++;
    m->st.blocked_bytes += req->len;
    if (c) {
        c->st.faults++;
        c->st.blocked_bytes += req->len;
    }
    if (m->log_count == m->cfg.fault_log_entries) {
        m->st.fault_log_overflows++;
        return VIO_OK;
    }
    size_t slot = (m->log_head + m->log_count++) % m->cfg.fault_log_entries;
    m->log[slot] = (vio_iommu_fault_record){
        .reason = reason, .requester_id = req->requester_id, .queue_pair = req->queue_pair,
        .pasid = req->pasid, .addr = req->iova, .write = vio_dma_is_write(req->kind), .time = now};
    return VIO_OK;
}

int vio_iommu_translate(vio_iommu *m, const vio_dma_req *req, vio_ps now, vio_iommu_result *out)
{
    if (!m || !req || !out)
        return VIO_EINVAL;
    /* 0. A request is one TLP: non-empty, within one 4 KiB block, 20-bit PASID. */
    if (req->len == 0 || (req->iova & (VIO_PAGE_4K - 1)) + req->len > VIO_PAGE_4K ||
        (req->pasid > VIO_PASID_MAX && req->pasid != VIO_PASID_NONE))
        return VIO_EINVAL;
    *out = (vio_iommu_result){.source = VIO_IOMMU_SRC_NONE};
    m->st.translations++;
    bool write = vio_dma_is_write(req->kind);
    /* Checks 1-3 are answered by the IOMMU's lookup (context and PASID caches). */
    vio_ps t_early = now + m->cfg.iotlb_hit_ps;

    /* 1. PASID present on the request, or RID_PASID when PASIDs are optional. */
    bool rid_only = req->pasid == VIO_PASID_NONE;
    if (rid_only && m->cfg.require_pasid)
        return block(m, NULL, req, now, t_early, VIO_IOMMU_FAULT_NO_PASID, out);
    uint32_t pasid = rid_only ? m->cfg.rid_pasid : req->pasid;
    /* 2. PASID-table entry Present. */
    pasid_ctx *c = ctx_find(m, pasid);
    if (c)
        c->st.translations++;
    if (!c || !c->present)
        return block(m, c, req, now, t_early, VIO_IOMMU_FAULT_PASID_NOT_PRESENT, out);
    /* 3. The PASID belongs to this (requester, queue pair): Tag ID -> PASID in
     *    reverse. RID-only traffic has no queue pair identity to check. */
    if (!rid_only && (c->rid != req->requester_id || c->qp != req->queue_pair))
        return block(m, c, req, now, t_early, VIO_IOMMU_FAULT_PASID_QP_MISMATCH, out);

    /* 4. Device TLB (ATS), looked up before the request reaches the IOMMU; a miss
     *    costs a translation request round trip. */
    vio_ps t = now;
    tlb_entry *hit = NULL;
    if (m->devtlb.e) {
        t += m->cfg.devtlb_hit_ps;
        hit = tlb_lookup(&m->devtlb, pasid, req->iova);
        if (hit) {
            m->st.devtlb_hits++;
            out->source = VIO_IOMMU_SRC_DEVTLB;
        } else {
            m->st.devtlb_misses++;
            t += m->cfg.ats_miss_ps;
        }
    }
    /* 5. IOTLB. */
    if (!hit) {
        t += m->cfg.iotlb_hit_ps;
        hit = tlb_lookup(&m->iotlb, pasid, req->iova);
        if (hit) {
            m->st.iotlb_hits++;
            out->source = VIO_IOMMU_SRC_IOTLB;
        } else {
            m->st.iotlb_misses++;
        }
    }
    tlb_entry tr;
    if (hit) {
        tr = *hit;
    } else {
        /* 6. Page walk; a miss fills the IOTLB (and the device TLB, as an ATS
         *    completion would). */
        const extent *e = walk(m, c, req->iova, &t, out);
        if (!e)
            return block(m, c, req, now, t, VIO_IOMMU_FAULT_NOT_MAPPED, out);
        out->source = VIO_IOMMU_SRC_WALK;
        uint64_t vpn = req->iova >> e->shift;
        tr = (tlb_entry){.vpn = vpn, .phys_page = e->phys + ((vpn << e->shift) - e->iova), .pasid = pasid,
                         .shift = e->shift, .valid = true, .writable = e->writable};
        tlb_fill(&m->iotlb, &tr);
        if (m->devtlb.e)
            tlb_fill(&m->devtlb, &tr);
    }
    out->page_size = 1ull << tr.shift;
    /* 7. Access rights: checked on every path, cached or walked. */
    if (write && !tr.writable)
        return block(m, c, req, now, t, VIO_IOMMU_FAULT_WRITE_DENIED, out);
    out->phys = tr.phys_page + (req->iova & (out->page_size - 1));
    out->latency = t - now;
    m->st.performed++;
    c->st.performed++;
    c->st.performed_bytes += req->len;
    return VIO_OK;
}

/* ---- observation ---------------------------------------------------------- */

const char *vio_iommu_fault_reason_name(vio_iommu_fault reason)
{
    static const char *const names[VIO_IOMMU_FAULT_COUNT] = {
        [VIO_IOMMU_OK] = "ok",
        [VIO_IOMMU_FAULT_NO_PASID] = "no_pasid",
        [VIO_IOMMU_FAULT_PASID_NOT_PRESENT] = "pasid_not_present",
        [VIO_IOMMU_FAULT_PASID_QP_MISMATCH] = "pasid_qp_mismatch",
        [VIO_IOMMU_FAULT_NOT_MAPPED] = "not_mapped",
        [VIO_IOMMU_FAULT_WRITE_DENIED] = "write_denied",
    };
    return (unsigned)reason < VIO_IOMMU_FAULT_COUNT ? names[reason] : "unknown";
}

const char *vio_iommu_source_name(vio_iommu_source src)
{
    static const char *const names[] = {"none", "devtlb", "iotlb", "walk"};
    return (unsigned)src < sizeof names / sizeof names[0] ? names[src] : "unknown";
}

void vio_iommu_stats_get(const vio_iommu *m, vio_iommu_stats *out) { *out = m->st; }

int vio_iommu_pasid_stats_get(const vio_iommu *m, uint32_t pasid, vio_iommu_pasid_stats *out)
{
    const pasid_ctx *c = ctx_find(m, pasid);
    if (!c)
        return VIO_EINVAL;
    *out = c->st;
    return VIO_OK;
}

bool vio_iommu_pasid_binding(const vio_iommu *m, uint32_t pasid, uint16_t *rid, uint32_t *qp)
{
    const pasid_ctx *c = ctx_find(m, pasid);
    if (!c || !c->bound)
        return false;
    if (rid)
        *rid = c->rid;
    if (qp)
        *qp = c->qp;
    return true;
}

size_t vio_iommu_fault_log_count(const vio_iommu *m) { return m->log_count; }

int vio_iommu_fault_log_at(const vio_iommu *m, size_t i, vio_iommu_fault_record *out)
{
    if (i >= m->log_count)
        return VIO_EINVAL;
    *out = m->log[(m->log_head + i) % m->cfg.fault_log_entries];
    return VIO_OK;
}

bool vio_iommu_fault_log_pop(vio_iommu *m, vio_iommu_fault_record *out)
{
    if (m->log_count == 0)
        return false;
    if (out)
        *out = m->log[m->log_head];
    m->log_head = (m->log_head + 1) % m->cfg.fault_log_entries;
    m->log_count--;
    return true;
}
