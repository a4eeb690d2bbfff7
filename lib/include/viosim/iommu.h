/* A PASID-tagged IOMMU: per-PASID page tables, an IOTLB, an optional device-side
 * translation cache (ATS devTLB) and a bounded fault log.
 *
 * Why PASIDs: in Intel patent US10310974 each tenant (a process or container, in
 * a VM or on the host) owns a queue pair on the device, named by a Tag ID, and the
 * host maps Tag ID -> PASID. Every inbound transaction the device makes for that
 * queue pair (descriptor reads, payload reads, rx writes, completion writes)
 * carries that PASID, so the IOMMU translates it in the tenant's own address space
 * and can refuse anything else. The Tag ID table itself lives in tenant.h; this
 * model is the enforcement point: it knows which (requester, queue pair) each
 * PASID is bound to and blocks a transaction whose PASID is not bound to the queue
 * pair it came from.
 *
 * Translation follows VT-d 3.x scalable mode, first-level paging: a request
 * (requester id, PASID, IOVA) selects a PASID-table entry, whose Present bit must be
 * set, then a 4-level radix walk (PML4E, PDPTE, PDE, PTE) ends at a 4 KiB page, or a
 * 3-level walk ends at a 2 MiB page (PDE with PS=1). The context and PASID-table
 * entries are assumed to hit in the IOMMU's context- and PASID-caches, so only the
 * paging-structure reads are charged; paging-structure caches are not modelled:
 * the embedder's cache model makes upper-level reads cheap instead.
 *
 * The model is plain C: memory reads of a walk go through a callback, so the
 * embedder decides what they cost (usually through its cache hierarchy). Time is
 * integral picoseconds (time.h). PASIDs are one system-wide namespace, as Linux
 * allocates them for SVA/SIOV; each PASID has one page table. */
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

/* PASIDs are 20 bits: the width of the PCIe PASID TLP prefix and of the PV
 * field of a VT-d fault recording register (FRCD_REG). */
#define VIO_PASID_BITS 20u
#define VIO_PASID_MAX ((1u << VIO_PASID_BITS) - 1u)
/* A request without a PASID prefix (VT-d fault record PP=0). */
#define VIO_PASID_NONE UINT32_MAX

#define VIO_PAGE_4K (1ull << 12)
#define VIO_PAGE_2M (1ull << 21)
/* 4-level first-level paging translates 48-bit input addresses. */
#define VIO_IOVA_BITS 48u

/* ---- defaults ------------------------------------------------------------ */

/* IOTLB of 64 entries: Neugebauer et al., "Understanding PCIe performance for end
 * host networking", SIGCOMM 2018 (pcie-bench) saw DMA performance fall once the
 * window passed 256 KiB with the IOMMU on and 4 KiB pages, consistent with 64
 * translations. Intel does not document the associativity; full associativity
 * reproduces a sharp wall, so it is the default (ways == entries). */
#define VIO_IOMMU_DEFAULT_IOTLB_ENTRIES 64u
#define VIO_IOMMU_DEFAULT_IOTLB_WAYS 64u
/* An IOTLB hit: pcie-bench found no measurable added latency while the window
 * fits the IOTLB, so the hit cost is small; 5 ns (a few IOMMU clocks) is an
 * assumption, not a measurement. */
#define VIO_IOMMU_DEFAULT_IOTLB_HIT_PS (5 * VIO_PS_PER_NS)
/* Fixed cost of a walk on top of its memory reads (miss handling, request queue,
 * fill). Past the IOTLB reach pcie-bench (above) sees each DMA slowed by roughly
 * 200 ns or more; Amit et al., "IOMMU: strategies for mitigating the IOTLB
 * bottleneck", WIOSCA 2010, explain why: a miss is a dependent walk through
 * memory. With 4 PTE reads of 25-80 ns (LLC to DRAM) charged by the callback, a
 * 100 ns overhead puts a 4 KiB miss at 200-420 ns. Calibrate against pcie-bench. */
#define VIO_IOMMU_DEFAULT_WALK_OVERHEAD_PS (100 * VIO_PS_PER_NS)
/* Device TLB (PCIe ATS address translation cache): off by default, so that the
 * baseline translates every request in the IOMMU. When on, a hit costs nothing
 * extra (the device looks it up while building the TLP) and a miss costs an ATS
 * translation request/completion round trip, which belongs to the embedder's PCIe
 * model: 0 here means "charged elsewhere". */
#define VIO_IOMMU_DEFAULT_DEVTLB_ENTRIES 0u
#define VIO_IOMMU_DEFAULT_DEVTLB_HIT_PS 0u
#define VIO_IOMMU_DEFAULT_ATS_MISS_PS 0u
/* Fault recording registers: VT-d CAP_REG.NFR is implementation-defined (1..256);
 * 8 is an assumption small enough that overflow shows up in short runs. */
#define VIO_IOMMU_DEFAULT_FAULT_LOG 8u
/* Where the model's page-table pages live: PTE address =
 *   pt_base + pasid * 2^40 + table_page * 4 KiB + index * 8,
 * with one table page per (level, IOVA prefix). Addresses are fixed by (PASID,
 * IOVA), so repeated walks touch the same lines and can hit in the cache model,
 * and they sit above every buffer address a scenario uses. */
#define VIO_IOMMU_DEFAULT_PT_BASE (1ull << 62)

/* ---- types --------------------------------------------------------------- */

/* Why a transaction was blocked. A blocked transaction is never performed. The
 * comments name the closest VT-d scalable-mode fault reason. */
typedef enum vio_iommu_fault {
    VIO_IOMMU_OK = 0,
    /* No PASID prefix while PASIDs are required: the patent's rule that every
     * inbound transaction of a queue pair carries its PASID. (VT-d would fall back
     * to the context entry's RID_PASID; config.require_pasid = false models that.) */
    VIO_IOMMU_FAULT_NO_PASID,
    /* The PASID-table entry is not present (VT-d SM fault 0x59, "Present bit in
     * PASID Table Entry is clear"): never bound, or torn down. */
    VIO_IOMMU_FAULT_PASID_NOT_PRESENT,
    /* The PASID is present but bound to another (requester, queue pair): the
     * reverse check of the Tag ID -> PASID mapping (US10310974). */
    VIO_IOMMU_FAULT_PASID_QP_MISMATCH,
    /* No translation for the address in that PASID's page table (VT-d SM fault
     * 0x71, "Present bit in first-level paging entry is clear"). */
    VIO_IOMMU_FAULT_NOT_MAPPED,
    /* A write through a read-only mapping (VT-d SM "No write permission for
     * Write/AtomicOp request"). */
    VIO_IOMMU_FAULT_WRITE_DENIED,
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

/* One inbound transaction = one PCIe request TLP. It must not cross a 4 KiB
 * boundary (PCIe Base spec, sec. 2.2.7), so it needs exactly one translation; the
 * device model splits larger DMAs, as hardware does. */
typedef struct vio_dma_req {
    uint16_t requester_id; /* PCIe bus/device/function of the device */
    uint32_t queue_pair;   /* queue pair on whose behalf the device acts */
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
    uint32_t walk_reads;     /* paging-structure reads this request caused */
} vio_iommu_result;

/* Latency in ps of one 8-byte paging-structure read at `phys_addr` issued at time
 * `now`. The embedder routes it through its cache model (a walk read class). */
typedef vio_ps (*vio_iommu_read_line_cb)(void *ctx, uint64_t phys_addr, vio_ps now);

typedef struct vio_iommu_config {
    uint32_t iotlb_entries;     /* >= 1 */
    uint32_t iotlb_ways;        /* 1..iotlb_entries, divides it; == entries: fully assoc. */
    uint32_t devtlb_entries;    /* 0: no device TLB; else fully associative LRU */
    vio_ps iotlb_hit_ps;        /* IOMMU lookup, paid by every request that reaches it */
    vio_ps walk_overhead_ps;    /* fixed part of a miss, on top of the reads */
    vio_ps devtlb_hit_ps;       /* device TLB lookup */
    vio_ps ats_miss_ps;         /* device TLB miss: ATS request/completion round trip */
    uint32_t fault_log_entries; /* fault recording registers, >= 1 */
    bool require_pasid;         /* block requests without PASID (default true) */
    uint32_t rid_pasid;         /* PASID used for requests without one when not
                                   required (VT-d context-entry RID_PASID) */
    uint64_t pt_base;           /* base of the modelled page-table pages, 4 KiB aligned */
    vio_iommu_read_line_cb read_line; /* required */
    void *read_ctx;
} vio_iommu_config;

/* Counters, bumped where the cost occurs. */
typedef struct vio_iommu_stats {
    uint64_t translations;  /* requests presented, performed or blocked */
    uint64_t performed;     /* requests translated and let through */
    uint64_t devtlb_hits, devtlb_misses;
    uint64_t iotlb_hits, iotlb_misses;
    uint64_t walks, walk_reads;
    vio_ps walk_ps;         /* total time spent walking (overhead + reads) */
    uint64_t faults[VIO_IOMMU_FAULT_COUNT]; /* by reason; [VIO_IOMMU_OK] stays 0 */
    uint64_t blocked, blocked_bytes;
    uint64_t fault_log_overflows; /* faults not recorded because the log was full */
    uint64_t invalidations;       /* cached translations dropped by unmap/teardown */
} vio_iommu_stats;

/* Per-PASID counters, kept for every PASID the IOMMU knows (bound or mapped).
 * Faults on a PASID it has never heard of count only in vio_iommu_stats. */
typedef struct vio_iommu_pasid_stats {
    uint64_t translations, performed, performed_bytes;
    uint64_t faults, blocked_bytes;
} vio_iommu_pasid_stats;

/* One VT-d fault recording register (FRCD_REG): fault reason, source id, PASID
 * (VIO_PASID_NONE for PP=0), faulting address, access type, plus the time. */
typedef struct vio_iommu_fault_record {
    vio_iommu_fault reason;
    uint16_t requester_id;
    uint32_t queue_pair;
    uint32_t pasid;
    uint64_t addr;
    bool write;
    vio_ps time;
} vio_iommu_fault_record;

typedef struct vio_iommu vio_iommu;

/* ---- life cycle and programming ------------------------------------------ */

/* The defaults above; read_line and read_ctx are left NULL for the embedder. */
void vio_iommu_config_default(vio_iommu_config *cfg);
int vio_iommu_create(const vio_iommu_config *cfg, vio_iommu **out, vio_err *err);
void vio_iommu_destroy(vio_iommu *iommu);

/* Map [iova, iova+size) of `pasid` to [phys, phys+size) with pages of
 * `page_size` (VIO_PAGE_4K or VIO_PAGE_2M); iova, phys and size aligned to it.
 * Overlapping an existing mapping of the PASID is an error (unmap first). */
int vio_iommu_map(vio_iommu *iommu, uint32_t pasid, uint64_t iova, uint64_t phys, uint64_t size,
                  uint64_t page_size, bool writable, vio_err *err);
/* Remove [iova, iova+size) from `pasid`; every page in it must be mapped, and the
 * range aligned to the page size of the mappings it cuts. Drops the matching
 * IOTLB and device-TLB entries (an invalidation that completes at once). */
int vio_iommu_unmap(vio_iommu *iommu, uint32_t pasid, uint64_t iova, uint64_t size, vio_err *err);
/* Bind `pasid` to the queue pair `queue_pair` of device `requester_id` and set its
 * PASID-table entry Present. One-to-one: a PASID has one queue pair and a queue
 * pair one PASID; rebinding the same triple is a no-op. */
int vio_iommu_bind_pasid(vio_iommu *iommu, uint32_t pasid, uint16_t requester_id,
                         uint32_t queue_pair, vio_err *err);
/* Set or clear the Present bit of a bound PASID's entry (tenant teardown or
 * suspension); clearing drops the PASID's cached translations. */
int vio_iommu_set_pasid_present(vio_iommu *iommu, uint32_t pasid, bool present, vio_err *err);

/* ---- translation ---------------------------------------------------------- */

/* Translate one request at time `now`. Returns VIO_OK whether the request was
 * performed or blocked (see out->fault: a block is a modelled outcome, not an
 * API error); VIO_EINVAL for a malformed request (len 0, crossing 4 KiB, PASID
 * wider than 20 bits). */
int vio_iommu_translate(vio_iommu *iommu, const vio_dma_req *req, vio_ps now,
                        vio_iommu_result *out);

/* ---- observation ---------------------------------------------------------- */

const char *vio_iommu_fault_reason_name(vio_iommu_fault reason); /* "not_mapped", ... */
const char *vio_iommu_source_name(vio_iommu_source src);         /* "iotlb", ... */
void vio_iommu_stats_get(const vio_iommu *iommu, vio_iommu_stats *out);
/* VIO_EINVAL (no message) when the PASID is unknown to the IOMMU. */
int vio_iommu_pasid_stats_get(const vio_iommu *iommu, uint32_t pasid, vio_iommu_pasid_stats *out);
/* Queue pair a PASID is bound to (true), or false when unbound. */
bool vio_iommu_pasid_binding(const vio_iommu *iommu, uint32_t pasid, uint16_t *requester_id,
                             uint32_t *queue_pair);

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
