/* Tenant table (Tag ID <-> queue pair <-> PASID) and buffer owner tags; see
 * viosim/tenant.h. Everything is kept in sorted arrays searched by bisection:
 * lookups are O(log n) on the per-DMA path and iteration order never depends on
 * pointer values or hashing. */
#include "viosim/tenant.h"

#include <stdlib.h>
#include <string.h>

typedef struct tenant_rec {
    vio_tenant d;
    vio_isolation_stats iso;
} tenant_rec;

/* A secondary index: queue pair or PASID -> Tag ID. */
typedef struct key_tag {
    uint32_t key;
    int32_t tag;
} key_tag;

typedef struct region {
    uint64_t base, len;
    int32_t owner;
} region;

struct vio_tenants {
    uint16_t rid;
    tenant_rec *ten; /* sorted by tag */
    key_tag *by_qp, *by_pasid; /* sorted by key; all three arrays hold n of cap */
    size_t n, cap;
    region *reg; /* sorted by base, disjoint */
    size_t n_reg, cap_reg;
    vio_isolation_stats total;
};

/* Capacity for `need` elements, doubling from `cap`. */
static size_t next_cap(size_t cap, size_t need)
{
    size_t c = cap ? cap : 8;
    while (c < need)
        c *= 2;
    return c;
}

static size_t tag_lower(const vio_tenants *t, int32_t tag)
{
    size_t lo = 0, hi = t->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t->ten[mid].d.tag < tag)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static tenant_rec *find_tag(const vio_tenants *t, int32_t tag)
{
    size_t i = tag_lower(t, tag);
    return i < t->n && t->ten[i].d.tag == tag ? &t->ten[i] : NULL;
}

static size_t key_lower(const key_tag *idx, size_t n, uint32_t key)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (idx[mid].key < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int32_t key_find(const key_tag *idx, size_t n, uint32_t key)
{
    size_t i = key_lower(idx, n, key);
    return i < n && idx[i].key == key ? idx[i].tag : VIO_TAG_NONE;
}

static void key_insert(key_tag *idx, size_t n, uint32_t key, int32_t tag)
{
    size_t i = key_lower(idx, n, key);
    memmove(&idx[i + 1], &idx[i], (n - i) * sizeof *idx);
    idx[i] = (key_tag){.key = key, .tag = tag};
}

/* Regions are disjoint and sorted, so their ends are sorted too. */
static size_t reg_first_end_after(const vio_tenants *t, uint64_t addr)
{
    size_t lo = 0, hi = t->n_reg;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t->reg[mid].base + t->reg[mid].len <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* ---- life cycle ----------------------------------------------------------- */

int vio_tenants_create(uint16_t requester_id, vio_tenants **out, vio_err *err)
{
    if (!out)
        return vio_err_set(err, VIO_EINVAL, "tenants: NULL output");
    *out = calloc(1, sizeof **out);
    if (!*out)
        return vio_err_set(err, VIO_ENOMEM, "tenants: out of memory");
    (*out)->rid = requester_id;
    return VIO_OK;
}

void vio_tenants_destroy(vio_tenants *t)
{
    if (!t)
        return;
    free(t->ten);
    free(t->by_qp);
    free(t->by_pasid);
    free(t->reg);
    free(t);
}

/* ---- the Tag ID table ----------------------------------------------------- */

int vio_tenants_add(vio_tenants *t, const vio_tenant *d, vio_err *err)
{
    if (!d || d->tag < 0)
        return vio_err_set(err, VIO_EINVAL, "tenants: Tag ID %d must be >= 0", d ? d->tag : -1);
    if (d->pasid > VIO_PASID_MAX)
        return vio_err_set(err, VIO_EINVAL, "tenants: tag %d: PASID 0x%x wider than 20 bits",
                           d->tag, d->pasid);
    if (find_tag(t, d->tag))
        return vio_err_set(err, VIO_EINVAL, "tenants: Tag ID %d already registered", d->tag);
    /* One-to-one both ways, so queue pair -> tag -> PASID can be inverted. */
    int32_t other = key_find(t->by_qp, t->n, d->queue_pair);
    if (other != VIO_TAG_NONE)
        return vio_err_set(err, VIO_EINVAL, "tenants: tag %d: queue pair %u already belongs to tag %d",
                           d->tag, d->queue_pair, other);
    other = key_find(t->by_pasid, t->n, d->pasid);
    if (other != VIO_TAG_NONE)
        return vio_err_set(err, VIO_EINVAL, "tenants: tag %d: PASID 0x%x already belongs to tag %d",
                           d->tag, d->pasid, other);
    if (t->n == t->cap) {
        /* Each array is replaced only once its realloc succeeded, and cap is
         * raised only when all three did: a failure leaves a consistent table. */
        size_t c = next_cap(t->cap, t->n + 1);
        tenant_rec *ten = realloc(t->ten, c * sizeof *ten);
        if (ten)
            t->ten = ten;
        key_tag *q = ten ? realloc(t->by_qp, c * sizeof *q) : NULL;
        if (q)
            t->by_qp = q;
        key_tag *p = q ? realloc(t->by_pasid, c * sizeof *p) : NULL;
        if (!p)
            return vio_err_set(err, VIO_ENOMEM, "tenants: out of memory");
        t->by_pasid = p;
        t->cap = c;
    }
    size_t i = tag_lower(t, d->tag);
    memmove(&t->ten[i + 1], &t->ten[i], (t->n - i) * sizeof *t->ten);
    t->ten[i] = (tenant_rec){.d = *d};
    key_insert(t->by_qp, t->n, d->queue_pair, d->tag);
    key_insert(t->by_pasid, t->n, d->pasid, d->tag);
    t->n++;
    return VIO_OK;
}

size_t vio_tenants_count(const vio_tenants *t) { return t->n; }

int vio_tenants_at(const vio_tenants *t, size_t i, vio_tenant *out)
{
    if (i >= t->n)
        return VIO_EINVAL;
    *out = t->ten[i].d;
    return VIO_OK;
}

int vio_tenants_get(const vio_tenants *t, int32_t tag, vio_tenant *out)
{
    const tenant_rec *r = find_tag(t, tag);
    if (!r)
        return VIO_EINVAL;
    *out = r->d;
    return VIO_OK;
}

int32_t vio_tenants_tag_of_qp(const vio_tenants *t, uint32_t qp)
{
    return key_find(t->by_qp, t->n, qp);
}

int32_t vio_tenants_tag_of_pasid(const vio_tenants *t, uint32_t pasid)
{
    return key_find(t->by_pasid, t->n, pasid);
}

uint32_t vio_tenants_pasid_for_qp(const vio_tenants *t, uint32_t qp)
{
    const tenant_rec *r = find_tag(t, key_find(t->by_qp, t->n, qp));
    return r ? r->d.pasid : VIO_PASID_NONE;
}

bool vio_tenants_qp_accepts(const vio_tenants *t, uint32_t qp, uint32_t pasid)
{
    const tenant_rec *r = find_tag(t, key_find(t->by_pasid, t->n, pasid));
    return r && r->d.queue_pair == qp;
}

int vio_tenants_program_iommu(const vio_tenants *t, vio_iommu *iommu, vio_err *err)
{
    /* The device's context entry: PASIDs enabled, ATS allowed. RID_PASID is PASID 0,
     * whose entry is written NOT present: a request without a PASID faults (0x59),
     * which is the patent's rule that every transaction of a queue pair carries its
     * PASID, expressed as VT-d expresses it. */
    vio_iommu_context ce = {.present = true, .pasid_enable = true, .dte = true, .max_pasid = VIO_PASID_MAX,
                            .rid_pasid = 0};
    int rc = vio_iommu_set_context(iommu, t->rid, &ce, err);
    vio_iommu_pasid_entry blocked = {.present = false, .pgtt = VIO_PGTT_FIRST_LEVEL, .did = 0, .fl_table = 0};
    if (rc == VIO_OK && !find_tag(t, key_find(t->by_pasid, t->n, 0)))
        rc = vio_iommu_set_pasid(iommu, t->rid, 0, &blocked, err);
    for (size_t i = 0; rc == VIO_OK && i < t->n; i++) {
        const vio_tenant *d = &t->ten[i].d;
        /* First-level translation by the page table named like the PASID; one
         * domain id per tenant (its rank in Tag ID order, from 1). */
        vio_iommu_pasid_entry pe = {.present = true, .pgtt = VIO_PGTT_FIRST_LEVEL, .did = (uint16_t)(i + 1),
                                    .fl_table = d->pasid};
        rc = vio_iommu_set_pasid(iommu, t->rid, d->pasid, &pe, err);
        if (rc != VIO_OK)
            return vio_err_set(err, rc, "tenants: tag %d: cannot write the entry of PASID 0x%x", d->tag, d->pasid);
    }
    return rc;
}

/* ---- owner tags ----------------------------------------------------------- */

int vio_tenants_add_region(vio_tenants *t, uint64_t base, uint64_t len, int32_t owner, vio_err *err)
{
    if (!find_tag(t, owner))
        return vio_err_set(err, VIO_EINVAL, "tenants: region 0x%llx: owner tag %d is not registered",
                           (unsigned long long)base, owner);
    if (len == 0 || len > UINT64_MAX - base)
        return vio_err_set(err, VIO_EINVAL, "tenants: region 0x%llx+0x%llx is empty or wraps",
                           (unsigned long long)base, (unsigned long long)len);
    size_t i = reg_first_end_after(t, base);
    if (i < t->n_reg && t->reg[i].base < base + len)
        return vio_err_set(err, VIO_EINVAL,
                           "tenants: region 0x%llx+0x%llx (tag %d) overlaps 0x%llx+0x%llx (tag %d)",
                           (unsigned long long)base, (unsigned long long)len, owner,
                           (unsigned long long)t->reg[i].base, (unsigned long long)t->reg[i].len,
                           t->reg[i].owner);
    if (t->n_reg == t->cap_reg) {
        size_t c = next_cap(t->cap_reg, t->n_reg + 1);
        region *g = realloc(t->reg, c * sizeof *g);
        if (!g)
            return vio_err_set(err, VIO_ENOMEM, "tenants: out of memory");
        t->reg = g;
        t->cap_reg = c;
    }
    memmove(&t->reg[i + 1], &t->reg[i], (t->n_reg - i) * sizeof *t->reg);
    t->reg[i] = (region){.base = base, .len = len, .owner = owner};
    t->n_reg++;
    return VIO_OK;
}

int32_t vio_tenants_owner_of(const vio_tenants *t, uint64_t addr)
{
    size_t i = reg_first_end_after(t, addr);
    return i < t->n_reg && t->reg[i].base <= addr ? t->reg[i].owner : VIO_TAG_NONE;
}

static void iso_add(vio_isolation_stats *s, uint64_t len, const vio_owner_check *c)
{
    s->dmas++;
    s->bytes += len;
    s->own_bytes += c->own_bytes;
    s->foreign_bytes += c->foreign_bytes;
    s->unowned_bytes += c->unowned_bytes;
    s->breached_dmas += c->foreign_bytes != 0;
}

int vio_tenants_check_dma(vio_tenants *t, int32_t tag, uint64_t phys, uint64_t len, vio_owner_check *out)
{
    tenant_rec *r = find_tag(t, tag);
    if ((!r && tag != VIO_TAG_NONE) || len > UINT64_MAX - phys || !out)
        return VIO_EINVAL;
    *out = (vio_owner_check){.first_foreign = VIO_TAG_NONE};
    uint64_t end = phys + len;
    for (size_t i = reg_first_end_after(t, phys); i < t->n_reg && t->reg[i].base < end; i++) {
        const region *g = &t->reg[i];
        uint64_t lo = g->base > phys ? g->base : phys;
        uint64_t hi = g->base + g->len < end ? g->base + g->len : end;
        if (g->owner == tag) {
            out->own_bytes += hi - lo;
        } else {
            if (out->foreign_bytes == 0)
                out->first_foreign = g->owner;
            out->foreign_bytes += hi - lo;
        }
    }
    out->unowned_bytes = len - out->own_bytes - out->foreign_bytes;
    if (r)
        iso_add(&r->iso, len, out);
    iso_add(&t->total, len, out);
    return VIO_OK;
}

int vio_tenants_isolation(const vio_tenants *t, int32_t tag, vio_isolation_stats *out)
{
    if (tag == VIO_TAG_NONE) {
        *out = t->total;
        return VIO_OK;
    }
    const tenant_rec *r = find_tag(t, tag);
    if (!r)
        return VIO_EINVAL;
    *out = r->iso;
    return VIO_OK;
}
