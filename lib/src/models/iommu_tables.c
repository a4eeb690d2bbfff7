/* The IOMMU's translation structures: page tables (map/unmap), context entries,
 * PASID-table entries, the addresses where they live, and the model's life cycle.
 * Mechanism and sources in viosim/iommu.h. */
#include "models/iommu_internal.h"
#include "viosim/repl.h"

#include <stdlib.h>
#include <string.h>

/* Layout of the modelled structures below pt_base (host physical addresses):
 *   [pt_base - 2^41, pt_base - 2^40)  PASID directories and tables, 2^24 bytes per
 *                                     requester id: directory (2^14 entries of 8 B,
 *                                     one per 64 PASIDs), then 4 KiB PASID-table
 *                                     pages of 64 entries of 64 B;
 *   [pt_base - 2^40, ...)             root table (256 entries of 16 B), then one
 *                                     8 KiB context table per bus (32 B entries);
 *   [pt_base, pt_base + 2^60)          page tables, 2^40 bytes per table id. */
#define PASID_AREA_SHIFT 41u
#define CTX_AREA_SHIFT 40u
#define PASID_PER_RID_SHIFT 24u

uint64_t vio__root_entry_addr(const vio_iommu *m, uint16_t rid)
{
    return m->cfg.pt_base - (1ull << CTX_AREA_SHIFT) + (uint64_t)(rid >> 8) * 16;
}

uint64_t vio__context_entry_addr(const vio_iommu *m, uint16_t rid)
{
    return m->cfg.pt_base - (1ull << CTX_AREA_SHIFT) + VIO__TABLE_BYTES + (uint64_t)(rid >> 8) * 8192 +
           (uint64_t)(rid & 0xff) * 32;
}

static uint64_t pasid_area(const vio_iommu *m, uint16_t rid)
{
    return m->cfg.pt_base - (1ull << PASID_AREA_SHIFT) + ((uint64_t)rid << PASID_PER_RID_SHIFT);
}

uint64_t vio__pasid_dir_addr(const vio_iommu *m, uint16_t rid, uint32_t pasid)
{
    return pasid_area(m, rid) + (uint64_t)(pasid >> 6) * 8;
}

uint64_t vio__pasid_entry_addr(const vio_iommu *m, uint16_t rid, uint32_t pasid)
{
    return pasid_area(m, rid) + (1ull << 17) + (uint64_t)(pasid >> 6) * VIO__TABLE_BYTES + (pasid & 63) * 64;
}

/* Address of the paging entry read at `level` (4 = PML4E .. 1 = PTE). Table pages
 * are laid out per table: the PML4 first, then the 2^9 PDPTs, the 2^18 page
 * directories and the 2^27 page tables, each indexed by the IOVA bits above it. */
uint64_t vio__pte_addr(const vio_iommu *m, uint32_t table, unsigned level, uint64_t iova)
{
    static const uint64_t first_page[5] = {0, 1 + (1ull << 9) + (1ull << 18), 1 + (1ull << 9), 1, 0};
    unsigned shift = VIO__PAGE_SHIFT_4K + 9 * (level - 1);
    uint64_t page = first_page[level] + ((iova & ((1ull << VIO_IOVA_BITS) - 1)) >> (shift + 9));
    uint64_t index = (iova >> shift) & 511;
    return m->cfg.pt_base + ((uint64_t)table << VIO__TABLE_SHIFT) + page * VIO__TABLE_BYTES + index * VIO__PTE_BYTES;
}

/* `p` reallocated to hold `need` elements of `size` bytes, doubling `*cap`; NULL
 * (with `p` untouched) when out of memory. */
void *vio__grow(void *p, size_t *cap, size_t need, size_t size)
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

/* ---- page tables ---------------------------------------------------------- */

static size_t table_lower(const vio_iommu *m, uint32_t id)
{
    size_t lo = 0, hi = m->n_tab;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->tab[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

vio__table *vio__table_find(const vio_iommu *m, uint32_t id)
{
    size_t i = table_lower(m, id);
    return i < m->n_tab && m->tab[i].id == id ? &m->tab[i] : NULL;
}

/* The table `id`, created empty if new. Valid until the next table is created. */
static vio__table *table_get(vio_iommu *m, uint32_t id)
{
    size_t i = table_lower(m, id);
    if (i < m->n_tab && m->tab[i].id == id)
        return &m->tab[i];
    vio__table *t = vio__grow(m->tab, &m->cap_tab, m->n_tab + 1, sizeof *t);
    if (!t)
        return NULL;
    m->tab = t;
    memmove(&m->tab[i + 1], &m->tab[i], (m->n_tab - i) * sizeof *m->tab);
    m->n_tab++;
    m->tab[i] = (vio__table){.id = id};
    return &m->tab[i];
}

/* Extents are sorted and disjoint, so their ends are sorted too: the first one
 * ending after `addr` is the only candidate to contain it. */
static size_t ext_first_end_after(const vio__table *t, uint64_t addr)
{
    size_t lo = 0, hi = t->n_ext;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t->ext[mid].iova + t->ext[mid].size <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

bool vio__ext_any_in(const vio__table *t, uint64_t lo, uint64_t hi)
{
    size_t i = ext_first_end_after(t, lo);
    return i < t->n_ext && t->ext[i].iova < hi;
}

const vio__extent *vio__ext_find(const vio__table *t, uint64_t addr)
{
    size_t i = ext_first_end_after(t, addr);
    return i < t->n_ext && t->ext[i].iova <= addr ? &t->ext[i] : NULL;
}

/* Replace ext[i, j) by the `k` extents in `with`. */
static int ext_splice(vio__table *t, size_t i, size_t j, const vio__extent *with, size_t k)
{
    size_t n = t->n_ext - (j - i) + k;
    vio__extent *e = vio__grow(t->ext, &t->cap_ext, n, sizeof *e);
    if (!e)
        return VIO_ENOMEM;
    t->ext = e;
    memmove(&t->ext[i + k], &t->ext[j], (t->n_ext - j) * sizeof *t->ext);
    memcpy(&t->ext[i], with, k * sizeof *with);
    t->n_ext = n;
    return VIO_OK;
}

/* What a change to table `id` over [lo, hi) makes stale: the paging-structure
 * caches of the table, and the IOTLB and device-TLB entries of every PASID that
 * uses it (page-selective for a first-level table; the whole PASID for a
 * second-level one, whose GPAs the cached GVA translations do not record). */
static void invalidate_table(vio_iommu *m, uint32_t id, uint64_t lo, uint64_t hi)
{
    for (unsigned l = 2; l <= 4; l++)
        (void)vio__tc_invalidate(&m->psc[l], id, lo, hi);
    for (size_t i = 0; i < m->n_pas; i++) {
        const vio__pasid_rec *p = &m->pas[i];
        bool fl = p->e.fl_table == id, sl = p->e.pgtt == VIO_PGTT_NESTED && p->e.sl_table == id;
        if (!fl && !sl)
            continue;
        uint64_t a = sl ? 0 : lo, b = sl ? UINT64_MAX : hi;
        m->st.invalidations += vio__tc_invalidate(&m->iotlb, vio__iotlb_tag(p->e.did, p->pasid), a, b);
        m->st.invalidations += vio__tc_invalidate(&m->devtlb, vio__devtlb_tag(p->rid, p->pasid), a, b);
        if (p->pasid == 0) /* untagged requests of the device may resolve to RID_PASID 0 */
            m->st.invalidations += vio__tc_invalidate(&m->devtlb, vio__devtlb_tag(p->rid, VIO_PASID_NONE), a, b);
    }
}

int vio_iommu_map(vio_iommu *m, uint32_t table, uint64_t iova, uint64_t phys, uint64_t size,
                  uint64_t page_size, bool writable, vio_err *err)
{
    if (table > VIO_IOMMU_TABLE_MAX)
        return vio_err_set(err, VIO_EINVAL, "iommu: map: table 0x%x wider than 20 bits", table);
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
    vio__table *t = table_get(m, table);
    if (!t)
        return vio_err_set(err, VIO_ENOMEM, "iommu: map: out of memory for table 0x%x", table);
    if (vio__ext_any_in(t, iova, iova + size))
        return vio_err_set(err, VIO_EINVAL,
                           "iommu: map: table 0x%x range 0x%llx+0x%llx overlaps a mapping", table,
                           (unsigned long long)iova, (unsigned long long)size);
    vio__extent e = {.iova = iova, .size = size, .phys = phys, .writable = writable,
                     .shift = page_size == VIO_PAGE_2M ? VIO__PAGE_SHIFT_2M : VIO__PAGE_SHIFT_4K};
    size_t at = ext_first_end_after(t, iova);
    if (ext_splice(t, at, at, &e, 1) != VIO_OK)
        return vio_err_set(err, VIO_ENOMEM, "iommu: map: out of memory");
    return VIO_OK;
}

int vio_iommu_unmap(vio_iommu *m, uint32_t table, uint64_t iova, uint64_t size, vio_err *err)
{
    vio__table *t = vio__table_find(m, table);
    if (!t || size == 0 || size > UINT64_MAX - iova)
        return vio_err_set(err, VIO_EINVAL, "iommu: unmap: table 0x%x has no range 0x%llx+0x%llx",
                           table, (unsigned long long)iova, (unsigned long long)size);
    uint64_t end = iova + size, cursor = iova;
    size_t i = ext_first_end_after(t, iova), j = i;
    /* Validate first: the range is fully mapped and cuts extents on page bounds. */
    for (; j < t->n_ext && t->ext[j].iova < end; j++) {
        const vio__extent *e = &t->ext[j];
        uint64_t mask = (1ull << e->shift) - 1, e_end = e->iova + e->size;
        if (e->iova > cursor || (e->iova < iova && (iova & mask)) || (e_end > end && (end & mask)))
            break;
        cursor = e_end;
    }
    if (cursor < end || j == i || (j < t->n_ext && t->ext[j].iova < end))
        return vio_err_set(err, VIO_EINVAL, "iommu: unmap: table 0x%x range 0x%llx+0x%llx is not wholly mapped "
                           "or cuts a page", table, (unsigned long long)iova, (unsigned long long)size);
    vio__extent keep[2];
    size_t k = 0;
    const vio__extent *first = &t->ext[i], *last = &t->ext[j - 1];
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
    if (ext_splice(t, i, j, keep, k) != VIO_OK)
        return vio_err_set(err, VIO_ENOMEM, "iommu: unmap: out of memory");
    invalidate_table(m, table, iova, end);
    return VIO_OK;
}

/* ---- context and PASID entries ------------------------------------------- */

static size_t ctx_lower(const vio_iommu *m, uint16_t rid)
{
    size_t lo = 0, hi = m->n_ctx;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->ctx[mid].rid < rid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

const vio__ctx_rec *vio__ctx_find(const vio_iommu *m, uint16_t rid)
{
    size_t i = ctx_lower(m, rid);
    return i < m->n_ctx && m->ctx[i].rid == rid ? &m->ctx[i] : NULL;
}

int vio_iommu_set_context(vio_iommu *m, uint16_t rid, const vio_iommu_context *ce, vio_err *err)
{
    if (!ce || ce->max_pasid > VIO_PASID_MAX || ce->rid_pasid > ce->max_pasid)
        return vio_err_set(err, VIO_EINVAL, "iommu: context 0x%04x: max_pasid and rid_pasid must be 20-bit, "
                           "rid_pasid <= max_pasid", rid);
    size_t i = ctx_lower(m, rid);
    if (!(i < m->n_ctx && m->ctx[i].rid == rid)) {
        vio__ctx_rec *c = vio__grow(m->ctx, &m->cap_ctx, m->n_ctx + 1, sizeof *c);
        if (!c)
            return vio_err_set(err, VIO_ENOMEM, "iommu: context 0x%04x: out of memory", rid);
        m->ctx = c;
        memmove(&m->ctx[i + 1], &m->ctx[i], (m->n_ctx - i) * sizeof *m->ctx);
        m->n_ctx++;
    }
    m->ctx[i] = (vio__ctx_rec){.rid = rid, .e = *ce};
    /* Context-cache invalidation (device-selective), and the device's TLB, which
     * translations of a changed context must not outlive. */
    m->st.invalidations += vio__tc_invalidate(&m->ctxc, rid, 0, UINT64_MAX);
    for (size_t p = 0; p < m->n_pas; p++)
        if (m->pas[p].rid == rid)
            vio__invalidate_pasid(m, rid, m->pas[p].pasid, &m->pas[p].e);
    return VIO_OK;
}

static uint64_t pas_key(uint16_t rid, uint32_t pasid) { return (uint64_t)rid << 20 | pasid; }

static size_t pas_lower(const vio_iommu *m, uint64_t key)
{
    size_t lo = 0, hi = m->n_pas;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (pas_key(m->pas[mid].rid, m->pas[mid].pasid) < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

vio__pasid_rec *vio__pasid_find(const vio_iommu *m, uint16_t rid, uint32_t pasid)
{
    size_t i = pas_lower(m, pas_key(rid, pasid));
    return i < m->n_pas && m->pas[i].rid == rid && m->pas[i].pasid == pasid ? &m->pas[i] : NULL;
}

/* Software allocates a PASID-table page (and sets its directory entry) for every
 * block of 64 PASIDs it writes an entry in. */
bool vio__pasid_dir_present(const vio_iommu *m, uint16_t rid, uint32_t pasid)
{
    size_t i = pas_lower(m, pas_key(rid, pasid & ~63u));
    return i < m->n_pas && pas_key(m->pas[i].rid, m->pas[i].pasid) <= pas_key(rid, pasid | 63u);
}

/* PASID-cache, IOTLB and device-TLB entries of one PASID (PASID-selective
 * invalidation, as software issues after changing an entry). */
void vio__invalidate_pasid(vio_iommu *m, uint16_t rid, uint32_t pasid, const vio_iommu_pasid_entry *e)
{
    m->st.invalidations += vio__tc_invalidate(&m->pasc, pas_key(rid, pasid), 0, UINT64_MAX);
    m->st.invalidations += vio__tc_invalidate(&m->iotlb, vio__iotlb_tag(e->did, pasid), 0, UINT64_MAX);
    m->st.invalidations += vio__tc_invalidate(&m->devtlb, vio__devtlb_tag(rid, pasid), 0, UINT64_MAX);
    m->st.invalidations += vio__tc_invalidate(&m->devtlb, vio__devtlb_tag(rid, VIO_PASID_NONE), 0, UINT64_MAX);
}

int vio_iommu_set_pasid(vio_iommu *m, uint16_t rid, uint32_t pasid, const vio_iommu_pasid_entry *pe, vio_err *err)
{
    if (pasid > VIO_PASID_MAX)
        return vio_err_set(err, VIO_EINVAL, "iommu: PASID entry 0x%04x/0x%x: PASID wider than 20 bits", rid, pasid);
    if (!pe || (pe->pgtt != VIO_PGTT_FIRST_LEVEL && pe->pgtt != VIO_PGTT_NESTED) ||
        pe->fl_table > VIO_IOMMU_TABLE_MAX || pe->sl_table > VIO_IOMMU_TABLE_MAX)
        return vio_err_set(err, VIO_EINVAL, "iommu: PASID entry 0x%04x/0x%x: PGTT must be first-level or nested, "
                           "tables 20-bit", rid, pasid);
    vio__pasid_rec *p = vio__pasid_find(m, rid, pasid);
    if (p) {
        vio__invalidate_pasid(m, rid, pasid, &p->e); /* what the old entry cached */
    } else {
        size_t i = pas_lower(m, pas_key(rid, pasid));
        vio__pasid_rec *a = vio__grow(m->pas, &m->cap_pas, m->n_pas + 1, sizeof *a);
        if (!a)
            return vio_err_set(err, VIO_ENOMEM, "iommu: PASID entry 0x%04x/0x%x: out of memory", rid, pasid);
        m->pas = a;
        memmove(&m->pas[i + 1], &m->pas[i], (m->n_pas - i) * sizeof *m->pas);
        m->n_pas++;
        p = &m->pas[i];
        *p = (vio__pasid_rec){.rid = rid, .pasid = pasid};
    }
    p->e = *pe;
    vio__invalidate_pasid(m, rid, pasid, pe);
    return VIO_OK;
}

bool vio_iommu_get_pasid(const vio_iommu *m, uint16_t rid, uint32_t pasid, vio_iommu_pasid_entry *out)
{
    const vio__pasid_rec *p = pasid <= VIO_PASID_MAX ? vio__pasid_find(m, rid, pasid) : NULL;
    if (p && out)
        *out = p->e;
    return p != NULL;
}

/* ---- life cycle ----------------------------------------------------------- */

void vio_iommu_config_default(vio_iommu_config *cfg)
{
    *cfg = (vio_iommu_config){
        .iotlb_entries = VIO_IOMMU_DEFAULT_IOTLB_ENTRIES, .iotlb_ways = VIO_IOMMU_DEFAULT_IOTLB_WAYS,
        .devtlb_entries = VIO_IOMMU_DEFAULT_DEVTLB_ENTRIES, .psc_entries = VIO_IOMMU_DEFAULT_PSC_ENTRIES,
        .ctx_cache_entries = VIO_IOMMU_DEFAULT_CTX_CACHE_ENTRIES,
        .pasid_cache_entries = VIO_IOMMU_DEFAULT_PASID_CACHE_ENTRIES, .walkers = VIO_IOMMU_DEFAULT_WALKERS,
        .iotlb_hit_ps = VIO_IOMMU_DEFAULT_IOTLB_HIT_PS, .walk_overhead_ps = VIO_IOMMU_DEFAULT_WALK_OVERHEAD_PS,
        .devtlb_hit_ps = VIO_IOMMU_DEFAULT_DEVTLB_HIT_PS, .ats_rtt_ps = VIO_IOMMU_DEFAULT_ATS_RTT_PS,
        .fault_log_entries = VIO_IOMMU_DEFAULT_FAULT_LOG, .pt_base = VIO_IOMMU_DEFAULT_PT_BASE};
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
    if (cfg->iotlb_ways > VIO_REPL_MAX_WAYS)
        return vio_err_set(err, VIO_EINVAL, "iommu: iotlb_ways (%u) must be at most %u (replacement-policy limit)",
                           cfg->iotlb_ways, VIO_REPL_MAX_WAYS);
    static const char *const assoc_names[] = {"devtlb_entries", "psc_entries", "ctx_cache_entries",
                                              "pasid_cache_entries"};
    const uint32_t assoc[] = {cfg->devtlb_entries, cfg->psc_entries, cfg->ctx_cache_entries, cfg->pasid_cache_entries};
    for (int i = 0; i < 4; i++)
        if (assoc[i] > VIO_REPL_MAX_WAYS && assoc[i] % VIO_REPL_MAX_WAYS)
            return vio_err_set(err, VIO_EINVAL, "iommu: %s (%u) above %u must be a multiple of %u", assoc_names[i],
                               assoc[i], VIO_REPL_MAX_WAYS, VIO_REPL_MAX_WAYS);
    if (cfg->fault_log_entries == 0 || cfg->walkers == 0 || cfg->ctx_cache_entries == 0 ||
        cfg->pasid_cache_entries == 0)
        return vio_err_set(err, VIO_EINVAL,
                           "iommu: fault_log_entries, walkers, ctx_cache_entries and pasid_cache_entries must be >= 1");
    if (!cfg->read_line)
        return vio_err_set(err, VIO_EINVAL, "iommu: read_line callback is required");
    /* The structures span [pt_base - 2^41, pt_base + 2^60): keep that in range. */
    if (cfg->pt_base % VIO__TABLE_BYTES != 0 || cfg->pt_base < (1ull << 42) ||
        cfg->pt_base > UINT64_MAX - (1ull << (VIO_PASID_BITS + VIO__TABLE_SHIFT)) + 1)
        return vio_err_set(err, VIO_EINVAL,
                           "iommu: pt_base 0x%llx must be 4 KiB aligned, at least 2^42 and at most 2^64 - 2^60",
                           (unsigned long long)cfg->pt_base);
    vio_iommu *m = calloc(1, sizeof *m);
    if (!m)
        return vio_err_set(err, VIO_ENOMEM, "iommu: out of memory");
    m->cfg = *cfg;
    m->log = calloc(cfg->fault_log_entries, sizeof *m->log);
    m->walker_free = calloc(cfg->walkers, sizeof *m->walker_free);
    int rc = m->log && m->walker_free ? VIO_OK : VIO_ENOMEM;
    /* Each cache its own replacement stream (LRU uses none; kept distinct anyway). */
    if (rc == VIO_OK)
        rc = vio__tc_init(&m->iotlb, cfg->iotlb_entries, cfg->iotlb_ways, 1);
    if (rc == VIO_OK)
        rc = vio__tc_init(&m->devtlb, cfg->devtlb_entries, vio__tc_assoc(cfg->devtlb_entries), 2);
    if (rc == VIO_OK)
        rc = vio__tc_init(&m->ctxc, cfg->ctx_cache_entries, vio__tc_assoc(cfg->ctx_cache_entries), 3);
    if (rc == VIO_OK)
        rc = vio__tc_init(&m->pasc, cfg->pasid_cache_entries, vio__tc_assoc(cfg->pasid_cache_entries), 4);
    for (unsigned l = 2; rc == VIO_OK && l <= 4; l++)
        rc = vio__tc_init(&m->psc[l], cfg->psc_entries, vio__tc_assoc(cfg->psc_entries), 3 + l);
    if (rc != VIO_OK) {
        vio_iommu_destroy(m);
        return vio_err_set(err, VIO_ENOMEM, "iommu: out of memory for its caches");
    }
    *out = m;
    return VIO_OK;
}

/* What vio__tc_init allocates for one cache. */
static uint64_t tc_bytes(uint32_t entries, uint32_t ways)
{
    if (!entries || !ways)
        return 0;
    return entries * (uint64_t)sizeof(vio__tc_entry) + vio_repl_footprint(VIO_REPL_LRU, entries / ways, ways);
}

uint64_t vio_iommu_footprint(const vio_iommu_config *cfg)
{
    uint64_t b = sizeof(vio_iommu) + cfg->fault_log_entries * (uint64_t)sizeof(vio_iommu_fault_record) +
                 cfg->walkers * (uint64_t)sizeof(vio_ps);
    b += tc_bytes(cfg->iotlb_entries, cfg->iotlb_ways);
    b += tc_bytes(cfg->devtlb_entries, vio__tc_assoc(cfg->devtlb_entries));
    b += tc_bytes(cfg->ctx_cache_entries, vio__tc_assoc(cfg->ctx_cache_entries));
    b += tc_bytes(cfg->pasid_cache_entries, vio__tc_assoc(cfg->pasid_cache_entries));
    b += 3 * tc_bytes(cfg->psc_entries, vio__tc_assoc(cfg->psc_entries));
    return b;
}

void vio_iommu_destroy(vio_iommu *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n_tab; i++)
        free(m->tab[i].ext);
    free(m->tab);
    free(m->ctx);
    free(m->pas);
    vio__tc_free(&m->iotlb);
    vio__tc_free(&m->devtlb);
    vio__tc_free(&m->ctxc);
    vio__tc_free(&m->pasc);
    for (unsigned l = 2; l <= 4; l++)
        vio__tc_free(&m->psc[l]);
    free(m->walker_free);
    free(m->log);
    free(m);
}
