/* Fault recording (VT-d primary fault logging), fault reason names and codes, and
 * the counters. */
#include "models/iommu_internal.h"

/* The specification's scalable-mode fault reasons modelled: code (FRCD_REG.FR),
 * the short name used in results, and the specification's text. */
static const struct {
    unsigned code;
    const char *name, *text;
} reasons[VIO_IOMMU_FAULT_COUNT] = {
    [VIO_IOMMU_OK] = {0, "ok", "no fault"},
    [VIO_IOMMU_FAULT_CONTEXT_NOT_PRESENT] = {0x41, "context_not_present", "Present bit in Context Entry is clear"},
    [VIO_IOMMU_FAULT_DTE_CLEAR] = {0x44, "dte_clear", "DTE field in Context Entry is clear"},
    [VIO_IOMMU_FAULT_PASID_DISABLED] = {0x45, "pasid_disabled", "PASID Enable field in Context Entry is clear"},
    [VIO_IOMMU_FAULT_PASID_TOO_LARGE] = {0x46, "pasid_too_large", "PASID is larger than the max in Context Entry"},
    [VIO_IOMMU_FAULT_PASID_DIR_NOT_PRESENT] = {0x51, "pasid_dir_not_present", "Present bit in Directory Entry is clear"},
    [VIO_IOMMU_FAULT_PASID_NOT_PRESENT] = {0x59, "pasid_not_present", "Present bit in PASID Table Entry is clear"},
    [VIO_IOMMU_FAULT_FL_NOT_PRESENT] = {0x71, "fl_not_present", "Present bit in first-level paging entry is clear"},
    [VIO_IOMMU_FAULT_SL_DENIED] = {0x79, "sl_denied", "Read/Write permission error in second-level paging entry"},
    [VIO_IOMMU_FAULT_NON_CANONICAL] = {0x80, "non_canonical", "Address in first-level translation is not canonical"},
    [VIO_IOMMU_FAULT_WRITE_DENIED] = {0x85, "write_denied", "No write permission for Write/AtomicOp request"},
};

const char *vio_iommu_fault_reason_name(vio_iommu_fault r)
{
    return (unsigned)r < VIO_IOMMU_FAULT_COUNT ? reasons[r].name : "unknown";
}

const char *vio_iommu_fault_reason_text(vio_iommu_fault r)
{
    return (unsigned)r < VIO_IOMMU_FAULT_COUNT ? reasons[r].text : "unknown";
}

unsigned vio_iommu_fault_code(vio_iommu_fault r) { return (unsigned)r < VIO_IOMMU_FAULT_COUNT ? reasons[r].code : 0; }

const char *vio_iommu_source_name(vio_iommu_source src)
{
    static const char *const names[] = {"none", "devtlb", "iotlb", "walk"};
    return (unsigned)src < sizeof names / sizeof names[0] ? names[src] : "unknown";
}

/* Block a request: count it where it is charged and record it in the fault log. */
int vio__block(vio_iommu *m, vio__pasid_rec *p, const vio_dma_req *req, vio_ps now, vio_ps t,
               vio_iommu_fault reason, vio_iommu_result *out)
{
    out->latency = t - now;
    out->fault = reason;
    out->phys = 0;
    m->st.faults[reason]++;
    m->st.blocked++;
    m->st.blocked_bytes += req->len;
    if (p) {
        p->st.faults++;
        p->st.blocked_bytes += req->len;
    }
    if (m->log_count == m->cfg.fault_log_entries) {
        m->st.fault_log_overflows++;
        return VIO_OK;
    }
    size_t slot = (m->log_head + m->log_count++) % m->cfg.fault_log_entries;
    m->log[slot] = (vio_iommu_fault_record){.reason = reason, .requester_id = req->requester_id, .pasid = req->pasid,
                                            .addr = req->iova, .write = vio_dma_is_write(req->kind), .time = now};
    return VIO_OK;
}

void vio_iommu_stats_get(const vio_iommu *m, vio_iommu_stats *out) { *out = m->st; }

void vio_iommu_reset_stats(vio_iommu *m)
{
    m->st = (vio_iommu_stats){0};
    for (size_t i = 0; i < m->n_pas; i++)
        m->pas[i].st = (vio_iommu_pasid_stats){0};
}

int vio_iommu_pasid_stats_get(const vio_iommu *m, uint16_t rid, uint32_t pasid, vio_iommu_pasid_stats *out)
{
    const vio__pasid_rec *p = pasid <= VIO_PASID_MAX ? vio__pasid_find(m, rid, pasid) : NULL;
    if (!p)
        return VIO_EINVAL;
    *out = p->st;
    return VIO_OK;
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
