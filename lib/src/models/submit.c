/* Outbound submission: doorbell pages and ENQCMD (mechanism in viosim/submit.h). */
#include "viosim/submit.h"

#include <stdlib.h>

#define NO_OWNER INT32_MIN

typedef struct thread_pasid {
    int32_t tag;
    uint32_t pasid;
} thread_pasid;

struct vio_submit {
    vio_submit_config cfg;
    int32_t *doorbell_owner; /* per queue pair: the only tenant whose space maps its page */
    thread_pasid *msr;       /* IA32_PASID per tenant, unsorted (few tenants) */
    size_t n_msr, cap_msr;
    uint32_t *swq;           /* PASIDs of queued commands, FIFO */
    uint32_t swq_head, swq_len;
    vio_submit_stats st;
};

int vio_submit_create(const vio_submit_config *cfg, vio_submit **out, vio_err *err)
{
    if (!cfg || !out || cfg->queue_pairs == 0)
        return vio_err_set(err, VIO_EINVAL, "submit: need a configuration with >= 1 queue pair");
    vio_submit *s = calloc(1, sizeof *s);
    if (!s)
        return vio_err_set(err, VIO_ENOMEM, "submit: out of memory");
    s->cfg = *cfg;
    s->doorbell_owner = malloc(cfg->queue_pairs * sizeof *s->doorbell_owner);
    s->swq = cfg->swq_entries ? calloc(cfg->swq_entries, sizeof *s->swq) : NULL;
    if (!s->doorbell_owner || (cfg->swq_entries && !s->swq)) {
        vio_submit_destroy(s);
        return vio_err_set(err, VIO_ENOMEM, "submit: out of memory");
    }
    for (uint32_t i = 0; i < cfg->queue_pairs; i++)
        s->doorbell_owner[i] = NO_OWNER;
    *out = s;
    return VIO_OK;
}

void vio_submit_destroy(vio_submit *s)
{
    if (!s)
        return;
    free(s->doorbell_owner);
    free(s->msr);
    free(s->swq);
    free(s);
}

int vio_submit_map_doorbell(vio_submit *s, uint32_t qp, int32_t owner, vio_err *err)
{
    if (qp >= s->cfg.queue_pairs || owner == NO_OWNER)
        return vio_err_set(err, VIO_EINVAL, "submit: doorbell %u beyond the %u queue pairs, or bad owner", qp,
                           s->cfg.queue_pairs);
    s->doorbell_owner[qp] = owner;
    return VIO_OK;
}

static thread_pasid *msr_of(const vio_submit *s, int32_t tag)
{
    for (size_t i = 0; i < s->n_msr; i++)
        if (s->msr[i].tag == tag)
            return &s->msr[i];
    return NULL;
}

int vio_submit_set_thread_pasid(vio_submit *s, int32_t tag, uint32_t pasid, vio_err *err)
{
    if (pasid >= (1u << 20))
        return vio_err_set(err, VIO_EINVAL, "submit: IA32_PASID 0x%x wider than 20 bits", pasid);
    thread_pasid *m = msr_of(s, tag);
    if (!m) {
        if (s->n_msr == s->cap_msr) {
            size_t c = s->cap_msr ? 2 * s->cap_msr : 8;
            thread_pasid *a = realloc(s->msr, c * sizeof *a);
            if (!a)
                return vio_err_set(err, VIO_ENOMEM, "submit: out of memory");
            s->msr = a;
            s->cap_msr = c;
        }
        m = &s->msr[s->n_msr++];
        m->tag = tag;
    }
    m->pasid = pasid;
    return VIO_OK;
}

int vio_submit_doorbell(vio_submit *s, int32_t tag, uint32_t qp, vio_ps now, vio_submit_result *out)
{
    if (qp >= s->cfg.queue_pairs || !out)
        return VIO_EINVAL;
    s->st.doorbells++;
    *out = (vio_submit_result){.queue_pair = qp, .core_done = now + s->cfg.issue_ps};
    if (s->doorbell_owner[qp] != tag) {
        /* No translation for that page in the tenant's page tables: the store
         * faults in the CPU and never becomes a TLP. */
        s->st.doorbell_faults++;
        out->status = VIO_SUBMIT_PAGE_FAULT;
        out->at_device = VIO_PS_NEVER;
        return VIO_OK;
    }
    out->status = VIO_SUBMIT_OK;
    out->at_device = now + s->cfg.issue_ps + s->cfg.link_latency; /* posted */
    return VIO_OK;
}

int vio_submit_enqcmd(vio_submit *s, int32_t tag, uint32_t cmd_pasid, vio_ps now, vio_submit_result *out)
{
    const thread_pasid *m = msr_of(s, tag);
    if (!s->swq || !m || !out)
        return VIO_EINVAL;
    s->st.enqcmds++;
    /* The CPU writes the MSR's PASID into the command: the command's own field
     * never reaches the device. */
    if (cmd_pasid != m->pasid)
        s->st.pasid_overrides++;
    vio_ps sent = now + s->cfg.issue_ps;
    *out = (vio_submit_result){.pasid = m->pasid, .at_device = sent + s->cfg.link_latency,
                               .core_done = sent + 2 * s->cfg.link_latency}; /* non-posted: waits for the answer */
    if (s->swq_len == s->cfg.swq_entries) {
        s->st.enqcmd_retries++;
        out->status = VIO_SUBMIT_RETRY;
        return VIO_OK;
    }
    s->swq[(s->swq_head + s->swq_len++) % s->cfg.swq_entries] = m->pasid;
    out->status = VIO_SUBMIT_OK;
    return VIO_OK;
}

bool vio_submit_swq_pop(vio_submit *s, uint32_t *pasid)
{
    if (!s->swq || s->swq_len == 0)
        return false;
    if (pasid)
        *pasid = s->swq[s->swq_head];
    s->swq_head = (s->swq_head + 1) % s->cfg.swq_entries;
    s->swq_len--;
    return true;
}

void vio_submit_stats_get(const vio_submit *s, vio_submit_stats *out) { *out = s->st; }

const char *vio_submit_status_name(vio_submit_status st)
{
    static const char *const names[VIO_SUBMIT_STATUS_COUNT] = {"ok", "page_fault", "retry"};
    return (unsigned)st < VIO_SUBMIT_STATUS_COUNT ? names[st] : "unknown";
}
