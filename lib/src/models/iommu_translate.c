/* The translation of one request, step by step as VT-d scalable mode does it (the
 * step numbers are those of viosim/iommu.h), with the page walkers and ATS. */
#include "models/iommu_internal.h"

static vio_ps rd(vio_iommu *m, uint64_t addr, vio_ps *t)
{
    vio_ps l = m->cfg.read_line(m->cfg.read_ctx, addr, *t);
    *t += l;
    return l;
}

/* Canonical for 4-level paging: bits 63:47 all equal (SDM vol. 3, 4.5). */
static bool canonical(uint64_t a)
{
    uint64_t top = a >> (VIO_IOVA_BITS - 1);
    return top == 0 || top == (UINT64_MAX >> (VIO_IOVA_BITS - 1));
}

/* A walk's outcome: the leaf found (NULL: a clear Present bit or no such table). */
typedef struct walk_out {
    const vio__extent *leaf;
    uint32_t reads;
} walk_out;

/* Walk table `id` for `addr`: from the deepest paging-structure-cache hit down,
 * reading one entry per level (dependent reads, each issued when the previous one
 * returns), to a leaf or the first clear Present bit. With `sl` (nested), each
 * table read is first translated by that second-level table (a cost-only walk:
 * the guest's table pages are guest RAM, mapped by the VMM; faults 0x75/0x76 are
 * not modelled). `presence` false: the entries are assumed present (cost only). */
static walk_out walk(vio_iommu *m, uint32_t id, uint64_t addr, const vio__table *sl_tab, uint32_t sl, bool presence,
                     vio_ps *t);

static void sl_cost(vio_iommu *m, uint32_t sl, const vio__table *sl_tab, uint64_t gpa, vio_ps *t, uint32_t *reads)
{
    walk_out w = walk(m, sl, gpa & ((1ull << VIO_IOVA_BITS) - 1), sl_tab, UINT32_MAX, false, t);
    *reads += w.reads;
}

static walk_out walk(vio_iommu *m, uint32_t id, uint64_t addr, const vio__table *sl_tab, uint32_t sl, bool presence,
                     vio_ps *t)
{
    walk_out w = {0};
    const vio__table *tab = vio__table_find(m, id);
    unsigned start = 4;
    for (unsigned l = 2; l <= 4; l++) { /* deepest hit first: PDE, then PDPTE, then PML4E */
        unsigned span = VIO__PAGE_SHIFT_4K + 9 * (l - 1);
        if (vio__tc_lookup(&m->psc[l], id, addr >> span, (uint8_t)span)) {
            start = l - 1;
            m->st.psc_hits[l]++;
            break;
        }
    }
    const vio__extent *e = tab ? vio__ext_find(tab, addr) : NULL;
    for (unsigned level = start; level >= 1; level--) {
        uint64_t ea = vio__pte_addr(m, id, level, addr);
        if (sl != UINT32_MAX)
            sl_cost(m, sl, sl_tab, ea, t, &w.reads);
        rd(m, ea, t);
        w.reads++;
        unsigned span = VIO__PAGE_SHIFT_4K + 9 * (level - 1);
        uint64_t region = addr & ~((1ull << span) - 1);
        if (presence && !(tab && vio__ext_any_in(tab, region, region + (1ull << span))))
            break; /* this entry's Present bit is clear */
        if (e && e->shift == span) { /* a leaf: PTE, or PDE with PS=1 */
            w.leaf = presence ? e : NULL;
            break;
        }
        if (level == 1)
            break;
        if (level >= 2) /* a present non-leaf entry: cache it */
            vio__tc_fill(&m->psc[level], &(vio__tc_entry){.tag = id, .vpn = addr >> span, .shift = (uint8_t)span});
    }
    return w;
}

/* Step 5's walker: the earliest free one (lowest index on a tie). */
static vio_ps take_walker(vio_iommu *m, vio_ps t, size_t *which)
{
    size_t best = 0;
    for (size_t i = 1; i < m->cfg.walkers; i++)
        if (m->walker_free[i] < m->walker_free[best])
            best = i;
    *which = best;
    return m->walker_free[best] > t ? m->walker_free[best] : t;
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
    vio_ps t = now;

    /* ATS: the device TLB is looked up before anything reaches the IOMMU. A hit is
     * sent as a translated request; a miss is a Translation Request round trip to
     * the IOMMU, which then translates as below (the miss costs more than no ATS). */
    uint64_t dtag = vio__devtlb_tag(req->requester_id, req->pasid);
    bool ats = m->devtlb.e != NULL;
    if (ats) {
        t += m->cfg.devtlb_hit_ps;
        vio__tc_entry *h = NULL;
        for (uint8_t s = VIO__PAGE_SHIFT_4K; !h && s <= VIO__PAGE_SHIFT_2M; s += VIO__PAGE_SHIFT_2M - VIO__PAGE_SHIFT_4K)
            h = vio__tc_lookup(&m->devtlb, dtag, req->iova >> s, s);
        if (h) {
            m->st.devtlb_hits++;
            out->source = VIO_IOMMU_SRC_DEVTLB;
            out->page_size = 1ull << h->shift;
            vio__pasid_rec *p = req->pasid == VIO_PASID_NONE ? NULL : vio__pasid_find(m, req->requester_id, req->pasid);
            if (p)
                p->st.translations++;
            if (write && !h->writable)
                return vio__block(m, p, req, now, t, VIO_IOMMU_FAULT_WRITE_DENIED, out);
            out->phys = h->phys_page + (req->iova & (out->page_size - 1));
            out->latency = t - now;
            m->st.performed++;
            if (p) {
                p->st.performed++;
                p->st.performed_bytes += req->len;
            }
            return VIO_OK;
        }
        m->st.devtlb_misses++;
        t += m->cfg.ats_rtt_ps;
        m->st.ats_ps += m->cfg.ats_rtt_ps;
    }
    /* The context, PASID and IOTLB lookups proceed in parallel: a hit costs one. */
    t += m->cfg.iotlb_hit_ps;

    /* 1. Context entry of the requester (context cache, else root + context entry). */
    const vio__ctx_rec *ce = vio__ctx_find(m, req->requester_id);
    if (vio__tc_lookup(&m->ctxc, req->requester_id, 0, 0)) {
        m->st.ctx_cache_hits++;
    } else {
        m->st.ctx_cache_misses++;
        rd(m, vio__root_entry_addr(m, req->requester_id), &t);
        rd(m, vio__context_entry_addr(m, req->requester_id), &t);
        out->entry_reads += 2;
        m->st.entry_reads += 2;
        if (ce && ce->e.present) /* only present entries are cached */
            vio__tc_fill(&m->ctxc, &(vio__tc_entry){.tag = req->requester_id});
    }
    if (!ce || !ce->e.present)
        return vio__block(m, NULL, req, now, t, VIO_IOMMU_FAULT_CONTEXT_NOT_PRESENT, out);
    if (ats && !ce->e.dte) /* translation requests need DTE */
        return vio__block(m, NULL, req, now, t, VIO_IOMMU_FAULT_DTE_CLEAR, out);

    /* 2. The PASID: RID_PASID for a request without one. */
    uint32_t pasid = req->pasid;
    if (pasid == VIO_PASID_NONE) {
        pasid = ce->e.rid_pasid;
    } else if (!ce->e.pasid_enable) {
        return vio__block(m, NULL, req, now, t, VIO_IOMMU_FAULT_PASID_DISABLED, out);
    } else if (pasid > ce->e.max_pasid) {
        return vio__block(m, NULL, req, now, t, VIO_IOMMU_FAULT_PASID_TOO_LARGE, out);
    }

    /* 3. PASID-directory and PASID-table entries (PASID cache, else both read). */
    vio__pasid_rec *p = vio__pasid_find(m, req->requester_id, pasid);
    uint64_t ptag = (uint64_t)req->requester_id << 20 | pasid;
    bool dir = vio__pasid_dir_present(m, req->requester_id, pasid);
    if (vio__tc_lookup(&m->pasc, ptag, 0, 0)) {
        m->st.pasid_cache_hits++;
    } else {
        m->st.pasid_cache_misses++;
        rd(m, vio__pasid_dir_addr(m, req->requester_id, pasid), &t);
        out->entry_reads++;
        m->st.entry_reads++;
        if (dir) {
            rd(m, vio__pasid_entry_addr(m, req->requester_id, pasid), &t);
            out->entry_reads++;
            m->st.entry_reads++;
        }
        if (p && p->e.present)
            vio__tc_fill(&m->pasc, &(vio__tc_entry){.tag = ptag});
    }
    if (!dir)
        return vio__block(m, NULL, req, now, t, VIO_IOMMU_FAULT_PASID_DIR_NOT_PRESENT, out);
    if (p)
        p->st.translations++;
    if (!p || !p->e.present)
        return vio__block(m, p, req, now, t, VIO_IOMMU_FAULT_PASID_NOT_PRESENT, out);

    /* 4. IOTLB, tagged by domain id and PASID; both page sizes probed in parallel. */
    uint64_t itag = vio__iotlb_tag(p->e.did, pasid);
    vio__tc_entry tr, *hit = NULL;
    for (uint8_t s = VIO__PAGE_SHIFT_4K; !hit && s <= VIO__PAGE_SHIFT_2M; s += VIO__PAGE_SHIFT_2M - VIO__PAGE_SHIFT_4K)
        hit = vio__tc_lookup(&m->iotlb, itag, req->iova >> s, s);
    if (hit) {
        m->st.iotlb_hits++;
        out->source = VIO_IOMMU_SRC_IOTLB;
        tr = *hit;
    } else {
        m->st.iotlb_misses++;
        if (!canonical(req->iova))
            return vio__block(m, p, req, now, t, VIO_IOMMU_FAULT_NON_CANONICAL, out);
        /* 5. Page walk on a free walker; a miss that finds all busy waits. */
        size_t wk;
        vio_ps start = take_walker(m, t, &wk);
        out->walk_wait = start - t;
        if (start > t)
            m->st.walks_waited++;
        m->st.walk_wait_ps += start - t;
        t = start + m->cfg.walk_overhead_ps;
        m->st.walks++;
        bool nested = p->e.pgtt == VIO_PGTT_NESTED;
        const vio__table *slt = nested ? vio__table_find(m, p->e.sl_table) : NULL;
        walk_out w = walk(m, p->e.fl_table, req->iova, slt, nested ? p->e.sl_table : UINT32_MAX, true, &t);
        out->walk_reads = w.reads;
        const vio__extent *e = w.leaf;
        vio_iommu_fault f = e ? VIO_IOMMU_OK : VIO_IOMMU_FAULT_FL_NOT_PRESENT;
        uint64_t out_addr = 0, page_shift = 0;
        bool writable = false;
        if (e) {
            out_addr = e->phys + (req->iova - e->iova);
            page_shift = e->shift;
            writable = e->writable;
        }
        if (e && nested) { /* the output is a GPA: translate it by the second level */
            walk_out s = walk(m, p->e.sl_table, out_addr, slt, UINT32_MAX, true, &t);
            out->walk_reads += s.reads;
            if (!s.leaf || (out_addr >> VIO_IOVA_BITS)) {
                f = VIO_IOMMU_FAULT_SL_DENIED;
            } else {
                out_addr = s.leaf->phys + (out_addr - s.leaf->iova);
                page_shift = s.leaf->shift < page_shift ? s.leaf->shift : page_shift;
                writable = writable && s.leaf->writable;
            }
        }
        m->st.walk_reads += out->walk_reads;
        m->st.walk_ps += t - start;
        m->walker_free[wk] = t;
        if (f != VIO_IOMMU_OK) /* faults are not cached */
            return vio__block(m, p, req, now, t, f, out);
        out->source = VIO_IOMMU_SRC_WALK;
        uint64_t vpn = req->iova >> page_shift;
        uint64_t page_off = req->iova & ((1ull << page_shift) - 1);
        tr = (vio__tc_entry){.tag = itag, .vpn = vpn, .phys_page = out_addr - page_off, .shift = (uint8_t)page_shift,
                             .writable = writable};
        vio__tc_fill(&m->iotlb, &tr);
    }
    if (ats) { /* the ATS completion fills the device TLB */
        vio__tc_entry d = tr;
        d.tag = dtag;
        vio__tc_fill(&m->devtlb, &d);
    }
    out->page_size = 1ull << tr.shift;
    /* 6. Access rights: checked on every path, cached or walked. */
    if (write && !tr.writable)
        return vio__block(m, p, req, now, t, VIO_IOMMU_FAULT_WRITE_DENIED, out);
    out->phys = tr.phys_page + (req->iova & (out->page_size - 1));
    out->latency = t - now;
    m->st.performed++;
    p->st.performed++;
    p->st.performed_bytes += req->len;
    return VIO_OK;
}
