/* The IOMMU's translation caches (and the device's): one tagged, set-associative
 * structure serves the IOTLB, the device TLB, the paging-structure caches and the
 * context and PASID caches. Each is keyed by (tag, page number, page size): the
 * tag is what VT-d tags the entry with (domain id and PASID for the IOTLB, the
 * requester id for the context cache, ...). */
#include "models/iommu_internal.h"

#include <stdlib.h>

/* `entries` == 0 leaves the cache absent (e == NULL). */
int vio__tc_init(vio__tcache *c, uint32_t entries, uint32_t ways)
{
    *c = (vio__tcache){.ways = ways, .sets = entries ? entries / ways : 0};
    c->e = entries ? calloc(entries, sizeof *c->e) : NULL;
    return entries && !c->e ? VIO_ENOMEM : VIO_OK;
}

void vio__tc_free(vio__tcache *c)
{
    free(c->e);
    c->e = NULL;
}

/* Set index: the low page-number bits, xor-folded with the tag so that the same
 * IOVA in different address spaces spreads over sets instead of colliding. */
static vio__tc_entry *set_of(const vio__tcache *c, uint64_t tag, uint64_t vpn)
{
    return c->e + (size_t)((vpn ^ tag) % c->sets) * c->ways;
}

vio__tc_entry *vio__tc_lookup(vio__tcache *c, uint64_t tag, uint64_t vpn, uint8_t shift)
{
    if (!c->e)
        return NULL;
    vio__tc_entry *set = set_of(c, tag, vpn);
    for (uint32_t w = 0; w < c->ways; w++) {
        vio__tc_entry *e = &set[w];
        if (e->valid && e->tag == tag && e->shift == shift && e->vpn == vpn) {
            e->stamp = ++c->clock;
            return e;
        }
    }
    return NULL;
}

void vio__tc_fill(vio__tcache *c, const vio__tc_entry *fill)
{
    if (!c->e)
        return;
    vio__tc_entry *set = set_of(c, fill->tag, fill->vpn), *victim = &set[0];
    for (uint32_t w = 0; w < c->ways; w++) {
        if (set[w].valid && set[w].tag == fill->tag && set[w].shift == fill->shift && set[w].vpn == fill->vpn) {
            victim = &set[w]; /* refill in place: never two copies */
            break;
        }
        if (!set[w].valid) { /* an empty way first, lowest index */
            victim = &set[w];
            break;
        }
        if (set[w].stamp < victim->stamp)
            victim = &set[w];
    }
    *victim = *fill;
    victim->valid = true;
    victim->stamp = ++c->clock;
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
            n++;
        }
    }
    return n;
}
