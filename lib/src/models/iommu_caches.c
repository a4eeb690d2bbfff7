/* The IOMMU's translation caches (and the device's): one tagged, set-associative
 * structure serves the IOTLB, the device TLB, the paging-structure caches and the
 * context and PASID caches. Each is keyed by (tag, page number, page size): the
 * tag is what VT-d tags the entry with (domain id and PASID for the IOTLB, the
 * requester id for the context cache, ...). */
#include "models/iommu_internal.h"
#include "viosim/repl.h"

#include <stdlib.h>

uint32_t vio__tc_assoc(uint32_t entries) { return entries < VIO_REPL_MAX_WAYS ? entries : VIO_REPL_MAX_WAYS; }

int vio__tc_init(vio__tcache *c, uint32_t entries, uint32_t ways, uint64_t stream)
{
    *c = (vio__tcache){0};
    if (!entries)
        return VIO_OK;
    if (ways == 0 || ways > VIO_REPL_MAX_WAYS || entries % ways)
        return VIO_EINVAL;
    c->ways = ways;
    c->sets = entries / ways;
    c->e = calloc(entries, sizeof *c->e);
    if (!c->e || vio_repl_create(VIO_REPL_LRU, c->sets, ways, 0, stream, &c->repl, NULL) != VIO_OK) {
        vio__tc_free(c);
        return VIO_ENOMEM;
    }
    return VIO_OK;
}

void vio__tc_free(vio__tcache *c)
{
    free(c->e);
    vio_repl_destroy(c->repl);
    c->e = NULL;
    c->repl = NULL;
}

/* Set index: the low page-number bits, xor-folded with the tag so that the same
 * IOVA in different address spaces spreads over sets instead of colliding. */
static uint32_t set_of(const vio__tcache *c, uint64_t tag, uint64_t vpn) { return (uint32_t)((vpn ^ tag) % c->sets); }

vio__tc_entry *vio__tc_lookup(vio__tcache *c, uint64_t tag, uint64_t vpn, uint8_t shift)
{
    if (!c->e)
        return NULL;
    uint32_t s = set_of(c, tag, vpn);
    vio__tc_entry *set = c->e + (size_t)s * c->ways;
    for (uint32_t w = 0; w < c->ways; w++) {
        vio__tc_entry *e = &set[w];
        if (e->valid && e->tag == tag && e->shift == shift && e->vpn == vpn) {
            vio_repl_hit(c->repl, s, w);
            return e;
        }
    }
    return NULL;
}

void vio__tc_fill(vio__tcache *c, const vio__tc_entry *fill)
{
    if (!c->e)
        return;
    uint32_t s = set_of(c, fill->tag, fill->vpn), way = c->ways;
    vio__tc_entry *set = c->e + (size_t)s * c->ways;
    for (uint32_t w = 0; w < c->ways && way == c->ways; w++) /* refill in place: never two copies */
        if (set[w].valid && set[w].tag == fill->tag && set[w].shift == fill->shift && set[w].vpn == fill->vpn)
            way = w;
    for (uint32_t w = 0; w < c->ways && way == c->ways; w++) /* else an empty way, lowest index */
        if (!set[w].valid)
            way = w;
    if (way == c->ways)
        way = vio_repl_victim(c->repl, s, 0);
    set[way] = *fill;
    set[way].valid = true;
    vio_repl_fill(c->repl, s, way);
}

uint64_t vio__tc_invalidate(vio__tcache *c, uint64_t tag, uint64_t lo, uint64_t hi)
{
    uint64_t n = 0;
    for (size_t i = 0; c->e && i < (size_t)c->sets * c->ways; i++) {
        vio__tc_entry *e = &c->e[i];
        if (!e->valid || e->tag != tag)
            continue;
        uint64_t base = e->vpn << e->shift, end = base + (1ull << e->shift);
        if (base < hi && end > lo) {
            e->valid = false;
            vio_repl_drop(c->repl, (uint32_t)(i / c->ways), (uint32_t)(i % c->ways));
            n++;
        }
    }
    return n;
}
