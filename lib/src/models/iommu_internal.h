/* Internal state of the IOMMU model, shared by its files (one per concept of the
 * specification, as in the RISC-V IOMMU reference model):
 *   iommu_caches.c     tagged set-associative caches: IOTLB, device TLB,
 *                      paging-structure, context and PASID caches
 *   iommu_tables.c     page tables (map/unmap), context and PASID entries, where
 *                      the structures live, life cycle
 *   iommu_translate.c  the translation steps, page walkers, ATS
 *   iommu_faults.c     fault recording, names, counters */
#ifndef VIOSIM_IOMMU_INTERNAL_H
#define VIOSIM_IOMMU_INTERNAL_H

#include "viosim/iommu.h"

#define VIO__PAGE_SHIFT_4K 12u
#define VIO__PAGE_SHIFT_2M 21u
#define VIO__PTE_BYTES 8u
#define VIO__TABLE_BYTES 4096u
#define VIO__TABLE_SHIFT 40u /* each page table's pages fit in 2^40 bytes */

/* One map call: a run of pages of one size. */
typedef struct vio__extent {
    uint64_t iova, size, phys;
    uint8_t shift; /* page size of the mapping: 12 or 21 */
    bool writable;
} vio__extent;

/* A page table: sorted, disjoint extents, not radix pages. "Is this PML4E / PDPTE /
 * PDE present?" is a range query on them; a walk still charges exactly the reads a
 * radix walk makes, at deterministic entry addresses. */
typedef struct vio__table {
    uint32_t id;
    vio__extent *ext;
    size_t n_ext, cap_ext;
} vio__table;

typedef struct vio__ctx_rec {
    uint16_t rid;
    vio_iommu_context e;
} vio__ctx_rec;

typedef struct vio__pasid_rec {
    uint16_t rid;
    uint32_t pasid;
    vio_iommu_pasid_entry e;
    vio_iommu_pasid_stats st;
} vio__pasid_rec;

/* An entry of a tagged cache: `tag` names the address space (or the structure),
 * `vpn` the page (or region) within it at granularity `shift`. */
typedef struct vio__tc_entry {
    uint64_t tag, vpn, phys_page;
    uint8_t shift;
    bool valid, writable;
} vio__tc_entry;

/* Set-associative; the victim among valid ways comes from the shared
 * replacement-policy module (repl.h: LRU here). */
typedef struct vio__tcache {
    vio__tc_entry *e; /* sets * ways, set-major; NULL: the cache is absent */
    uint32_t sets, ways;
    struct vio_repl *repl;
} vio__tcache;

struct vio_iommu {
    vio_iommu_config cfg;
    vio__table *tab; /* sorted by id */
    size_t n_tab, cap_tab;
    vio__ctx_rec *ctx; /* sorted by rid */
    size_t n_ctx, cap_ctx;
    vio__pasid_rec *pas; /* sorted by (rid, pasid) */
    size_t n_pas, cap_pas;
    vio__tcache iotlb, devtlb, ctxc, pasc;
    vio__tcache psc[5]; /* [2] PDE, [3] PDPTE, [4] PML4E caches */
    vio_ps *walker_free; /* when each page walker is free again */
    vio_iommu_fault_record *log;
    size_t log_head, log_count;
    vio_iommu_stats st;
};

/* iommu_caches.c */
/* `entries` == 0: absent. `ways` 1..VIO_REPL_MAX_WAYS dividing `entries`;
 * `stream` seeds the policy's private random stream. */
int vio__tc_init(vio__tcache *c, uint32_t entries, uint32_t ways, uint64_t stream);
/* Ways for a "fully associative" structure of `entries`: all of them up to the
 * replacement module's limit, else that limit (sets indexed by page and tag). */
uint32_t vio__tc_assoc(uint32_t entries);
void vio__tc_free(vio__tcache *c);
vio__tc_entry *vio__tc_lookup(vio__tcache *c, uint64_t tag, uint64_t vpn, uint8_t shift);
void vio__tc_fill(vio__tcache *c, const vio__tc_entry *fill);
/* Drop entries of `tag` whose page intersects [lo, hi); returns how many. */
uint64_t vio__tc_invalidate(vio__tcache *c, uint64_t tag, uint64_t lo, uint64_t hi);

/* iommu_tables.c */
void *vio__grow(void *p, size_t *cap, size_t need, size_t size);
vio__table *vio__table_find(const vio_iommu *m, uint32_t id);
const vio__ctx_rec *vio__ctx_find(const vio_iommu *m, uint16_t rid);
vio__pasid_rec *vio__pasid_find(const vio_iommu *m, uint16_t rid, uint32_t pasid);
bool vio__pasid_dir_present(const vio_iommu *m, uint16_t rid, uint32_t pasid);
bool vio__ext_any_in(const vio__table *t, uint64_t lo, uint64_t hi);
const vio__extent *vio__ext_find(const vio__table *t, uint64_t addr);
/* Addresses of the structures the IOMMU reads. */
uint64_t vio__pte_addr(const vio_iommu *m, uint32_t table, unsigned level, uint64_t iova);
uint64_t vio__root_entry_addr(const vio_iommu *m, uint16_t rid);
uint64_t vio__context_entry_addr(const vio_iommu *m, uint16_t rid);
uint64_t vio__pasid_dir_addr(const vio_iommu *m, uint16_t rid, uint32_t pasid);
uint64_t vio__pasid_entry_addr(const vio_iommu *m, uint16_t rid, uint32_t pasid);
/* IOTLB tag of a (domain, PASID) address space; device-TLB tag of a request. */
static inline uint64_t vio__iotlb_tag(uint16_t did, uint32_t pasid) { return (uint64_t)did << 21 | pasid; }
static inline uint64_t vio__devtlb_tag(uint16_t rid, uint32_t pasid)
{
    return (uint64_t)rid << 21 | (pasid == VIO_PASID_NONE ? 1u << 20 : pasid);
}
void vio__invalidate_pasid(vio_iommu *m, uint16_t rid, uint32_t pasid, const vio_iommu_pasid_entry *e);

/* iommu_faults.c */
int vio__block(vio_iommu *m, vio__pasid_rec *p, const vio_dma_req *req, vio_ps now, vio_ps t,
               vio_iommu_fault reason, vio_iommu_result *out);

#endif
