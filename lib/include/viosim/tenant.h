/* Tenants of one device: the host-managed Tag ID table and buffer owner tags.
 *
 * Intel patent US10310974: a tenant (a process or container, in a VM or on the
 * host) has a Tag ID. The Tag ID names the tenant's queue pair on the device for
 * outbound transactions (doorbells, descriptors posted by the tenant), and the host
 * maps the Tag ID to a PASID that the device puts on every inbound transaction of
 * that queue pair. This table holds both mappings for one device (one PCIe
 * requester id) and keeps them one-to-one, so each can be inverted:
 *     queue pair -> Tag ID -> PASID   (what the device stamps on a DMA)
 *     PASID -> Tag ID -> queue pair   (what the IOMMU accepts for that DMA)
 * vio_tenants_program_iommu() writes the IOMMU's context entry of the device and
 * one PASID-table entry per tenant. The IOMMU cannot check the forward direction
 * (a request carries no queue-pair number): that the device stamps the right PASID
 * on a queue pair is the DEVICE's check (vio_tenants_qp_accepts, the queue's
 * host-programmed PASID); what the IOMMU enforces is that a PASID reaches only
 * what its own page table maps.
 *
 * Owner tags say which tenant owns each simulated buffer (an interval table over
 * host physical addresses). After translation the simulator asks how many bytes
 * of a DMA made on behalf of tenant A land in memory owned by another tenant: the
 * isolation claim of the patent becomes a counter that must stay at zero. */
#ifndef VIOSIM_TENANT_H
#define VIOSIM_TENANT_H

#include "viosim/iommu.h"
#include "viosim/viosim.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VIO_TAG_NONE (-1)    /* no tenant: an unknown queue pair/PASID, or unowned memory */
#define VIO_TENANT_HOST (-1) /* vio_tenant.vm of a process or container on the host */

typedef struct vio_tenant {
    int32_t tag;         /* Tag ID, >= 0, unique */
    uint32_t queue_pair; /* the device queue pair (tx/rx rings) the Tag ID names, unique */
    uint32_t pasid;      /* 20-bit PASID of the queue pair's inbound traffic, unique */
    int32_t vm;          /* VM index, or VIO_TENANT_HOST */
} vio_tenant;

/* What one DMA's physical range touched, by owner. own + foreign + unowned = len. */
typedef struct vio_owner_check {
    uint64_t own_bytes;     /* owned by the tenant the DMA was made for */
    uint64_t foreign_bytes; /* owned by another tenant: an isolation breach */
    uint64_t unowned_bytes; /* in no registered region */
    int32_t first_foreign;  /* owner of the first foreign byte, or VIO_TAG_NONE */
} vio_owner_check;

/* Accumulated owner checks, per tenant or for all of them. */
typedef struct vio_isolation_stats {
    uint64_t dmas, bytes;
    uint64_t own_bytes, foreign_bytes, unowned_bytes;
    uint64_t breached_dmas; /* DMAs with at least one foreign byte */
} vio_isolation_stats;

typedef struct vio_tenants vio_tenants;

/* The table of the device with PCIe requester id `requester_id`. */
int vio_tenants_create(uint16_t requester_id, vio_tenants **out, vio_err *err);
void vio_tenants_destroy(vio_tenants *t);

/* Register a tenant. VIO_EINVAL if its tag, queue pair or PASID is already used,
 * the tag is negative or the PASID wider than 20 bits. */
int vio_tenants_add(vio_tenants *t, const vio_tenant *tenant, vio_err *err);
size_t vio_tenants_count(const vio_tenants *t);
/* The i-th tenant in Tag ID order (deterministic iteration). VIO_EINVAL if out of range. */
int vio_tenants_at(const vio_tenants *t, size_t i, vio_tenant *out);
/* Tenant by Tag ID. VIO_EINVAL (no message) if unknown. */
int vio_tenants_get(const vio_tenants *t, int32_t tag, vio_tenant *out);

/* queue pair -> Tag ID, PASID -> Tag ID; VIO_TAG_NONE if unknown. */
int32_t vio_tenants_tag_of_qp(const vio_tenants *t, uint32_t queue_pair);
int32_t vio_tenants_tag_of_pasid(const vio_tenants *t, uint32_t pasid);
/* The PASID the device must put on inbound transactions of `queue_pair`
 * (queue pair -> Tag ID -> PASID), or VIO_PASID_NONE for an unknown queue pair. */
uint32_t vio_tenants_pasid_for_qp(const vio_tenants *t, uint32_t queue_pair);
/* DEVICE-SIDE check: whether the device may stamp `pasid` on a transaction of
 * `queue_pair` (PASID -> Tag ID -> queue pair must come back to it). A device
 * implements it by taking the PASID from the queue's host-programmed context, never
 * from a descriptor; the IOMMU cannot make this check. */
bool vio_tenants_qp_accepts(const vio_tenants *t, uint32_t queue_pair, uint32_t pasid);

/* Program `iommu` for this device: its context entry (PASIDs on, ATS allowed,
 * RID_PASID 0 not present unless a tenant owns PASID 0) and, in Tag ID order, one
 * present first-level PASID entry per tenant whose page table is the table named
 * like its PASID (map it with vio_iommu_map(iommu, pasid, ...)). */
int vio_tenants_program_iommu(const vio_tenants *t, vio_iommu *iommu, vio_err *err);

/* ---- owner tags ----------------------------------------------------------- */

/* Mark [base, base+len) of host physical memory as owned by tenant `owner`, which
 * must be registered (a typo in a scenario is an error, not a silent "unowned").
 * Regions must not overlap. */
int vio_tenants_add_region(vio_tenants *t, uint64_t base, uint64_t len, int32_t owner,
                           vio_err *err);
/* Owner of the byte at `addr`, or VIO_TAG_NONE. */
int32_t vio_tenants_owner_of(const vio_tenants *t, uint64_t addr);
/* Classify the bytes of [phys, phys+len) that a DMA made for tenant `tag` touches
 * (call it after translation, with the physical range actually accessed) and add
 * them to the isolation counters; out->foreign_bytes != 0 is a breach. `tag` may be
 * VIO_TAG_NONE for traffic of no tenant (then every owned byte is foreign).
 * VIO_EINVAL (nothing counted) for another unknown tag, a range that wraps or a
 * NULL `out`. */
int vio_tenants_check_dma(vio_tenants *t, int32_t tag, uint64_t phys, uint64_t len,
                          vio_owner_check *out);
/* Counters of tenant `tag`, or of all DMAs when tag is VIO_TAG_NONE. VIO_EINVAL
 * (no message) for an unknown tag. */
int vio_tenants_isolation(const vio_tenants *t, int32_t tag, vio_isolation_stats *out);

#ifdef __cplusplus
}
#endif
#endif
