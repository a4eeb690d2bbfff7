/* An IOMMU in the manner of Intel VT-d scalable mode: context entries, PASID
 * tables, first-level and nested (first- over second-level) page tables, the
 * IOMMU's caches, a finite number of page walkers, a device TLB reached by PCIe
 * ATS, and a bounded fault log.
 *
 * Why: in Intel patent US10310974 each tenant (a process or container, on the host
 * or in a VM) owns a queue pair on the device, named by a Tag ID, and the host maps
 * Tag ID -> PASID. Every inbound transaction the device makes for that queue pair
 * carries that PASID, and the IOMMU translates it in the tenant's own address space.
 * A request carries only (requester id, PASID, address): the IOMMU never sees a
 * queue-pair number, so the binding queue pair -> PASID is the device's business
 * (a device-side check, in tenant.h); the IOMMU's business is that a PASID reaches
 * only what its tables map. Address spaces overlap: the same IOVA in two PASIDs
 * names two different pages.
 *
 * The translation steps (vio_iommu_translate) follow the VT-d specification
 * (Intel VT-d Architecture Specification, rev. 3.0 and later, scalable mode):
 *   1. the requester id selects a context entry (context cache, else the root and
 *      context entries are read); not present -> fault 0x41;
 *   2. a request without PASID uses the context entry's RID_PASID; a request with
 *      one needs PASID Enable (else 0x45) and a PASID below the context's maximum
 *      (else 0x46);
 *   3. the PASID selects a PASID-directory entry (else 0x51) and a PASID-table entry
 *      (PASID cache, else both are read); not present -> 0x59;
 *   4. the IOTLB, tagged by domain id and PASID, is looked up;
 *   5. on a miss a page walker (one of a finite number: a miss waits for a free one)
 *      walks the first-level tables (4 levels, 4 KiB pages; PDE with PS=1 for 2 MiB),
 *      starting below the deepest paging-structure-cache hit; a clear Present bit
 *      -> 0x71; an address that is not canonical -> 0x80. In nested mode every
 *      first-level table read is itself translated by the second-level tables, and
 *      so is the output address; a second-level entry without access -> 0x79;
 *   6. access rights: a write through a read-only entry -> 0x85.
 * Fault reasons are the specification's scalable-mode codes; their texts are the
 * specification's, as Linux prints them (drivers/iommu/intel/dmar.c,
 * dma_remap_sm_fault_reasons) and QEMU names them (hw/i386/intel_iommu_internal.h).
 *
 * The model is plain C: every memory read of the IOMMU (root, context, PASID and
 * paging entries) goes through a callback, so the embedder decides what it costs
 * (usually its cache hierarchy). Time is integral picoseconds (time.h).
 * Invalidations (unmap, entry changes) complete at once: no stale entries. */
#ifndef VIOSIM_IOMMU_H
#define VIOSIM_IOMMU_H

#include "viosim/time.h"
#include "viosim/viosim.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* PASIDs are 20 bits: the width of the PCIe PASID TLP prefix and of the PV field
 * of a VT-d fault recording register (FRCD_REG). */
#define VIO_PASID_BITS 20u
#define VIO_PASID_MAX ((1u << VIO_PASID_BITS) - 1u)
/* A request without a PASID prefix (VT-d fault record PP=0). */
#define VIO_PASID_NONE UINT32_MAX
/* Page-table ids share the PASID width (one table per PASID at most). */
#define VIO_IOMMU_TABLE_MAX VIO_PASID_MAX

#define VIO_PAGE_4K (1ull << 12)
#define VIO_PAGE_2M (1ull << 21)
/* 4-level paging translates 48-bit input addresses. */
#define VIO_IOVA_BITS 48u

/* ---- defaults ------------------------------------------------------------ */

/* IOTLB of 64 entries. pcie-bench (Neugebauer et al., "Understanding PCIe
 * performance for end host networking", SIGCOMM 2018; raw data in the
 * pcie-bench/data repository) measured 64 B random DMA reads with the IOMMU on and
 * superpages off: latency is flat up to a 256 KiB window and rises from 512 KiB
 * (e.g. Xeon E5-2620v3, host-warm: median 546 ns -> 773 ns, +227 ns; E5-2630v4:
 * 560 -> 826-840 ns), i.e. 256 KiB / 4 KiB = 64 translations. Intel does not
 * document the associativity: 2 sets of 32 ways (the widest the shared
 * replacement module ranks) indexed by page number xor tag keep any 64
 * consecutive pages of one space, so the wall stays as sharp as pcie-bench's. */
#define VIO_IOMMU_DEFAULT_IOTLB_ENTRIES 64u
#define VIO_IOMMU_DEFAULT_IOTLB_WAYS 32u
/* An IOTLB hit: pcie-bench saw no measurable added latency while the window fits
 * the IOTLB (E5-2620v3: 550.6 ns with the IOMMU, 4 KiB pages, 256 KiB window); 5 ns
 * (a few IOMMU clocks) is an estimate below that resolution. */
#define VIO_IOMMU_DEFAULT_IOTLB_HIT_PS (5 * VIO_PS_PER_NS)
/* Fixed cost of a walk on top of its memory reads (miss handling, fill). Estimate:
 * with the upper levels in the paging-structure caches a 4 KiB miss is this plus
 * one PTE read; pcie-bench puts a whole miss near 225 ns (above). */
#define VIO_IOMMU_DEFAULT_WALK_OVERHEAD_PS (100 * VIO_PS_PER_NS)
/* Page walkers: how many misses the IOMMU resolves at once; a miss that finds them
 * all busy waits (back-pressure: past the IOTLB wall translations, not only
 * latency, limit the DMA rate). Intel does not document the number: estimate. */
#define VIO_IOMMU_DEFAULT_WALKERS 4u
/* Paging-structure caches (VT-d sec. 6.2: PML4E, PDPTE and PDE caches) and the
 * context and PASID caches: sizes are implementation specific and undocumented;
 * estimates large enough for the few address spaces a scenario uses. */
#define VIO_IOMMU_DEFAULT_PSC_ENTRIES 32u
#define VIO_IOMMU_DEFAULT_CTX_CACHE_ENTRIES 16u
#define VIO_IOMMU_DEFAULT_PASID_CACHE_ENTRIES 64u
/* Device TLB (PCIe ATS address translation cache): off by default. When on, a hit
 * costs devtlb_hit_ps and no IOMMU lookup; a miss sends an ATS Translation Request
 * to the IOMMU and waits for its completion: a non-posted round trip on the link
 * (ats_rtt_ps) plus the IOMMU's own translation, then the request is sent again as
 * translated. A device-TLB miss therefore costs MORE than no ATS. The round trip
 * default is pcie-bench's 64 B DMA read latency (E5-2620v3, host-warm, median
 * 546 ns): an upper-bound estimate, since that figure also includes a host memory
 * access that a translation request does not make. */
#define VIO_IOMMU_DEFAULT_DEVTLB_ENTRIES 0u
#define VIO_IOMMU_DEFAULT_DEVTLB_HIT_PS 0u
#define VIO_IOMMU_DEFAULT_ATS_RTT_PS (546 * VIO_PS_PER_NS)
/* Fault recording registers: VT-d CAP_REG.NFR is implementation-defined (1..256);
 * 8 is an estimate small enough that overflow shows up in short runs. */
#define VIO_IOMMU_DEFAULT_FAULT_LOG 8u
/* Where the modelled translation structures live (host physical addresses):
 *   paging entry = pt_base + table * 2^40 + table_page * 4 KiB + index * 8,
 *   root/context entries at pt_base - 2^40, PASID directory/table entries at
 *   pt_base - 2^41 (see iommu_tables.c). Addresses are fixed by (table, IOVA), so
 * repeated walks touch the same lines and can hit in the embedder's caches. */
#define VIO_IOMMU_DEFAULT_PT_BASE (1ull << 62)

/* ---- types --------------------------------------------------------------- */

/* Why a transaction was blocked: the VT-d scalable-mode fault reasons modelled
 * (the code each stands for is vio_iommu_fault_code()). A blocked transaction is
 * never performed. */
typedef enum vio_iommu_fault {
    VIO_IOMMU_OK = 0,
    VIO_IOMMU_FAULT_CONTEXT_NOT_PRESENT,   /* 0x41 Present bit in Context Entry is clear */
    VIO_IOMMU_FAULT_DTE_CLEAR,             /* 0x44 DTE field in Context Entry is clear (ATS) */
    VIO_IOMMU_FAULT_PASID_DISABLED,        /* 0x45 PASID Enable field in Context Entry is clear */
    VIO_IOMMU_FAULT_PASID_TOO_LARGE,       /* 0x46 PASID is larger than the max in Context Entry */
    VIO_IOMMU_FAULT_PASID_DIR_NOT_PRESENT, /* 0x51 Present bit in Directory Entry is clear */
    VIO_IOMMU_FAULT_PASID_NOT_PRESENT,     /* 0x59 Present bit in PASID Table Entry is clear */
    VIO_IOMMU_FAULT_FL_NOT_PRESENT,        /* 0x71 Present bit in first-level paging entry is clear */
    VIO_IOMMU_FAULT_SL_DENIED,             /* 0x79 Read/Write permission error in second-level paging entry */
    VIO_IOMMU_FAULT_NON_CANONICAL,         /* 0x80 Address in first-level translation is not canonical */
    VIO_IOMMU_FAULT_WRITE_DENIED,          /* 0x85 No write permission for Write/AtomicOp request */
    VIO_IOMMU_FAULT_COUNT
} vio_iommu_fault;

/* What the device is doing; it decides read versus write permission. */
typedef enum vio_dma_kind {
    VIO_DMA_DESC_READ = 0, /* descriptor fetch from a tx or rx ring */
    VIO_DMA_TX_READ,       /* payload read for transmit */
    VIO_DMA_RX_WRITE,      /* received data written to a buffer */
    VIO_DMA_CPL_WRITE,     /* completion / descriptor write-back */
} vio_dma_kind;

static inline bool vio_dma_is_write(vio_dma_kind k)
{
    return k == VIO_DMA_RX_WRITE || k == VIO_DMA_CPL_WRITE;
}

/* One inbound transaction = one PCIe request TLP: what the IOMMU sees. It must not
 * cross a 4 KiB boundary (PCIe Base spec, sec. 2.2.7), so it needs exactly one
 * translation; the device model splits larger DMAs, as hardware does. There is no
 * queue-pair field: a TLP carries none. */
typedef struct vio_dma_req {
    uint16_t requester_id; /* PCIe bus/device/function of the device */
    uint32_t pasid;        /* 20-bit PASID, or VIO_PASID_NONE */
    uint64_t iova;
    uint32_t len;          /* bytes, >= 1 */
    vio_dma_kind kind;
} vio_dma_req;

/* Where a translation came from. */
typedef enum vio_iommu_source {
    VIO_IOMMU_SRC_NONE = 0, /* blocked before any lookup, or by the walk */
    VIO_IOMMU_SRC_DEVTLB,
    VIO_IOMMU_SRC_IOTLB,
    VIO_IOMMU_SRC_WALK,
} vio_iommu_source;

typedef struct vio_iommu_result {
    vio_iommu_fault fault;   /* VIO_IOMMU_OK: perform the access at `phys` */
    vio_iommu_source source; /* where the translation was found */
    uint64_t phys;           /* host physical address of iova (when OK) */
    uint64_t page_size;      /* size of the page that translated it (when known) */
    vio_ps latency;          /* time before the access may proceed (or is dropped) */
    vio_ps walk_wait;        /* part of latency spent waiting for a free walker */
    uint32_t walk_reads;     /* paging-structure reads this request caused */
    uint32_t entry_reads;    /* root/context/PASID entry reads (cache misses) */
} vio_iommu_result;

/* Latency in ps of one 8-byte read of a translation structure at `phys_addr`
 * issued at time `now`. The embedder routes it through its cache model. */
typedef vio_ps (*vio_iommu_read_line_cb)(void *ctx, uint64_t phys_addr, vio_ps now);

typedef struct vio_iommu_config {
    uint32_t iotlb_entries;        /* >= 1 */
    uint32_t iotlb_ways;           /* 1..32 (repl.h limit), divides iotlb_entries */
    /* The caches below are fully associative up to 32 entries, else 32-way (then
     * their size must be a multiple of 32). LRU, from repl.h. */
    uint32_t devtlb_entries;       /* 0: no device TLB (no ATS) */
    uint32_t psc_entries;          /* per paging-structure level; 0: no PSC */
    uint32_t ctx_cache_entries;    /* >= 1 */
    uint32_t pasid_cache_entries;  /* >= 1 */
    uint32_t walkers;              /* concurrent page walks, >= 1 */
    vio_ps iotlb_hit_ps;           /* IOMMU lookup, paid by every request that reaches it */
    vio_ps walk_overhead_ps;       /* fixed part of a miss, on top of the reads */
    vio_ps devtlb_hit_ps;          /* device TLB lookup */
    vio_ps ats_rtt_ps;             /* ATS translation request + completion on the link */
    uint32_t fault_log_entries;    /* fault recording registers, >= 1 */
    uint64_t pt_base;              /* base of the modelled structures, 4 KiB aligned, >= 2^42 */
    vio_iommu_read_line_cb read_line; /* required */
    void *read_ctx;
} vio_iommu_config;

/* Counters, bumped where the cost occurs. */
typedef struct vio_iommu_stats {
    uint64_t translations;  /* requests presented, performed or blocked */
    uint64_t performed;     /* requests translated and let through */
    uint64_t ctx_cache_hits, ctx_cache_misses;
    uint64_t pasid_cache_hits, pasid_cache_misses;
    uint64_t devtlb_hits, devtlb_misses; /* a devTLB miss is one ATS translation request */
    uint64_t iotlb_hits, iotlb_misses;
    uint64_t psc_hits[5];   /* by level of the deepest hit (4 PML4E, 3 PDPTE, 2 PDE) */
    uint64_t walks, walk_reads, entry_reads;
    uint64_t walks_waited;  /* walks that found every walker busy */
    vio_ps walk_ps;         /* total time walking (overhead + reads), waiting excluded */
    vio_ps walk_wait_ps;    /* total time misses waited for a walker */
    vio_ps ats_ps;          /* total ATS round-trip time */
    uint64_t faults[VIO_IOMMU_FAULT_COUNT]; /* by reason; [VIO_IOMMU_OK] stays 0 */
    uint64_t blocked, blocked_bytes;
    uint64_t fault_log_overflows; /* faults not recorded because the log was full */
    uint64_t invalidations;       /* cached translations dropped by unmap/entry changes */
} vio_iommu_stats;

/* Per (requester, PASID) counters, kept for every PASID-table entry that was set.
 * Faults before a PASID entry is found count only in vio_iommu_stats. */
typedef struct vio_iommu_pasid_stats {
    uint64_t translations, performed, performed_bytes;
    uint64_t faults, blocked_bytes;
} vio_iommu_pasid_stats;

/* One VT-d fault recording register (FRCD_REG): fault reason, source id, PASID
 * (VIO_PASID_NONE for PP=0), faulting address, access type, plus the time. */
typedef struct vio_iommu_fault_record {
    vio_iommu_fault reason;
    uint16_t requester_id;
    uint32_t pasid;
    uint64_t addr;
    bool write;
    vio_ps time;
} vio_iommu_fault_record;

/* A scalable-mode context entry (one per requester id). */
typedef struct vio_iommu_context {
    bool present;      /* P */
    bool pasid_enable; /* PASIDE: requests with a PASID are allowed */
    bool dte;          /* DTE: the device may use ATS (translation requests) */
    uint32_t max_pasid;/* largest PASID the PASID directory covers (from PDTS) */
    uint32_t rid_pasid;/* RID_PASID: PASID used for requests without one */
} vio_iommu_context;

/* PASID-granular translation type (PGTT of the PASID-table entry). */
typedef enum vio_iommu_pgtt {
    VIO_PGTT_FIRST_LEVEL = 1, /* IOVA/VA -> HPA by the first-level table */
    VIO_PGTT_NESTED = 3,      /* GVA -> GPA by first level, GPA -> HPA by second level */
} vio_iommu_pgtt;

/* A scalable-mode PASID-table entry. */
typedef struct vio_iommu_pasid_entry {
    bool present;         /* P */
    vio_iommu_pgtt pgtt;
    uint16_t did;         /* domain id: tags IOTLB and paging-structure-cache entries */
    uint32_t fl_table;    /* first-level page table (vio_iommu_map) */
    uint32_t sl_table;    /* second-level page table, for VIO_PGTT_NESTED */
} vio_iommu_pasid_entry;

typedef struct vio_iommu vio_iommu;

/* ---- life cycle and programming ------------------------------------------ */

/* The defaults above; read_line and read_ctx are left NULL for the embedder. */
void vio_iommu_config_default(vio_iommu_config *cfg);
/* Bytes vio_iommu_create allocates for `cfg` (resource estimates; mappings add a little per table). */
uint64_t vio_iommu_footprint(const vio_iommu_config *cfg);
int vio_iommu_create(const vio_iommu_config *cfg, vio_iommu **out, vio_err *err);
void vio_iommu_destroy(vio_iommu *iommu);

/* Map [iova, iova+size) of page table `table` to [phys, phys+size) with pages of
 * `page_size` (VIO_PAGE_4K or VIO_PAGE_2M); iova, phys and size aligned to it. A
 * table is a first-level table (IOVA -> HPA, or GVA -> GPA under nesting) or a
 * second-level one (GPA -> HPA), as the PASID entries that name it decide.
 * Overlapping an existing mapping of the same table is an error (unmap first);
 * other tables may map the same IOVAs. */
int vio_iommu_map(vio_iommu *iommu, uint32_t table, uint64_t iova, uint64_t phys, uint64_t size,
                  uint64_t page_size, bool writable, vio_err *err);
/* Remove [iova, iova+size) from `table`; every page in it must be mapped, and the
 * range aligned to the page size of the mappings it cuts. Drops the cached
 * translations that depend on it (IOTLB, device TLB, paging-structure caches). */
int vio_iommu_unmap(vio_iommu *iommu, uint32_t table, uint64_t iova, uint64_t size, vio_err *err);
/* Write the context entry of `requester_id`; drops its cached state. */
int vio_iommu_set_context(vio_iommu *iommu, uint16_t requester_id, const vio_iommu_context *ce,
                          vio_err *err);
/* Write the PASID-table entry (requester_id, pasid); drops what was cached for it. */
int vio_iommu_set_pasid(vio_iommu *iommu, uint16_t requester_id, uint32_t pasid,
                        const vio_iommu_pasid_entry *pe, vio_err *err);
/* Read back an entry: false when never written. */
bool vio_iommu_get_pasid(const vio_iommu *iommu, uint16_t requester_id, uint32_t pasid,
                         vio_iommu_pasid_entry *out);

/* ---- translation ---------------------------------------------------------- */

/* Translate one request at time `now`. Returns VIO_OK whether the request was
 * performed or blocked (see out->fault: a block is a modelled outcome, not an API
 * error); VIO_EINVAL for a malformed request (len 0, crossing 4 KiB, PASID wider
 * than 20 bits). Requests should be presented in non-decreasing `now` (walkers are
 * allocated in that order). */
int vio_iommu_translate(vio_iommu *iommu, const vio_dma_req *req, vio_ps now,
                        vio_iommu_result *out);

/* ---- observation ---------------------------------------------------------- */

const char *vio_iommu_fault_reason_name(vio_iommu_fault reason); /* "fl_not_present", ... */
/* The specification's text, e.g. "Present bit in PASID Table Entry is clear". */
const char *vio_iommu_fault_reason_text(vio_iommu_fault reason);
/* The scalable-mode fault reason code (FRCD_REG.FR), e.g. 0x59; 0 for OK. */
unsigned vio_iommu_fault_code(vio_iommu_fault reason);
const char *vio_iommu_source_name(vio_iommu_source src);         /* "iotlb", ... */
void vio_iommu_stats_get(const vio_iommu *iommu, vio_iommu_stats *out);
/* Zero the counters (global and per PASID), keeping every cache and table: the end of a warm-up. */
void vio_iommu_reset_stats(vio_iommu *iommu);
/* VIO_EINVAL (no message) when (requester_id, pasid) has no PASID entry. */
int vio_iommu_pasid_stats_get(const vio_iommu *iommu, uint16_t requester_id, uint32_t pasid,
                              vio_iommu_pasid_stats *out);

/* The fault log holds up to fault_log_entries unread records, oldest first. As
 * with VT-d's primary fault overflow (FSTS.PFO), a fault arriving while it is full
 * is not recorded; it is counted in fault_log_overflows (and still in faults[]). */
size_t vio_iommu_fault_log_count(const vio_iommu *iommu);
/* Record `i` (0 = oldest). VIO_EINVAL when out of range. */
int vio_iommu_fault_log_at(const vio_iommu *iommu, size_t i, vio_iommu_fault_record *out);
/* Remove the oldest record (software clearing its F bit). False when empty. */
bool vio_iommu_fault_log_pop(vio_iommu *iommu, vio_iommu_fault_record *out);

#ifdef __cplusplus
}
#endif
#endif
