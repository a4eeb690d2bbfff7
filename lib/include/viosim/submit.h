/* Outbound transactions (processor to device): how a tenant hands work to its
 * queue pair, and why it cannot hand work to another's.
 *
 * Intel patent US10310974: the Tag ID of a process or container identifies the
 * queue pair it uses for outbound transactions, and maps to the PASID of that
 * queue pair's inbound ones. Two submission mechanisms are modelled:
 *
 *   MMIO doorbell. Each queue pair's doorbell register sits in its own 4 KiB page
 *   of the device's BAR (as Intel Scalable IOV lays out per-queue portals), and the
 *   host maps that page only into the owner's address space. A tenant's store to
 *   another queue pair's doorbell has no translation in its page tables: the CPU
 *   raises a page fault (or an EPT violation for a VM) and nothing reaches the
 *   device. The store itself is posted: it reaches the device one link latency
 *   later.
 *
 *   ENQCMD to a shared work queue. The instruction (Intel SDM vol. 2, ENQCMD) sends
 *   a 64-byte command as a non-posted write and its PASID field is NOT taken from
 *   the command in memory: the CPU fills it from the IA32_PASID MSR of the calling
 *   thread, which only the kernel writes (XSAVES-managed). A tenant therefore
 *   cannot submit under another's PASID: whatever PASID it writes into the command
 *   is replaced. The device accepts the command or, if the queue is full, answers
 *   Retry (ENQCMD sets ZF); the instruction waits for that answer, a link round
 *   trip. (ENQCMDS, which does take the PASID from the command, faults outside
 *   ring 0.)
 *
 * Costs: the posted doorbell arrives after the link's one-way latency; ENQCMD
 * returns after the link's round trip. The core-side cost of issuing either is an
 * estimate given by the embedder (issue_ps). Plain C, integral time. */
#ifndef VIOSIM_SUBMIT_H
#define VIOSIM_SUBMIT_H

#include "viosim/time.h"
#include "viosim/viosim.h"

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct vio_submit_config {
    uint32_t queue_pairs;  /* doorbell pages 0..queue_pairs-1 */
    uint32_t swq_entries;  /* shared work queue depth; 0: no shared work queue */
    vio_ps link_latency;   /* one-way CPU -> device latency */
    vio_ps issue_ps;       /* core time to issue the store / ENQCMD (estimate) */
} vio_submit_config;

/* What happened to one submission. */
typedef enum vio_submit_status {
    VIO_SUBMIT_OK = 0,         /* reached the device */
    VIO_SUBMIT_PAGE_FAULT,     /* doorbell page not mapped in the submitter's space: the CPU faults */
    VIO_SUBMIT_RETRY,          /* ENQCMD: shared work queue full, ZF=1, nothing queued */
    VIO_SUBMIT_STATUS_COUNT
} vio_submit_status;

typedef struct vio_submit_result {
    vio_submit_status status;
    uint32_t queue_pair;  /* doorbell: the queue pair rung */
    uint32_t pasid;       /* ENQCMD: the PASID the device received */
    vio_ps core_done;     /* when the submitting core may go on */
    vio_ps at_device;     /* when the device sees it (VIO_PS_NEVER if it never does) */
} vio_submit_result;

typedef struct vio_submit_stats {
    uint64_t doorbells, doorbell_faults;
    uint64_t enqcmds, enqcmd_retries;
    uint64_t pasid_overrides; /* ENQCMDs whose command named another PASID than the MSR's */
} vio_submit_stats;

typedef struct vio_submit vio_submit;

int vio_submit_create(const vio_submit_config *cfg, vio_submit **out, vio_err *err);
void vio_submit_destroy(vio_submit *s);

/* The host maps doorbell page `queue_pair` into the address space of tenant
 * `owner_tag` only (remapping it moves it). */
int vio_submit_map_doorbell(vio_submit *s, uint32_t queue_pair, int32_t owner_tag, vio_err *err);
/* The kernel sets the IA32_PASID MSR of tenant `tag`'s threads. */
int vio_submit_set_thread_pasid(vio_submit *s, int32_t tag, uint32_t pasid, vio_err *err);

/* Tenant `tag` stores to the doorbell of `queue_pair` at `now`. VIO_EINVAL for a
 * queue pair beyond the BAR. */
int vio_submit_doorbell(vio_submit *s, int32_t tag, uint32_t queue_pair, vio_ps now, vio_submit_result *out);
/* Tenant `tag` executes ENQCMD with a command whose PASID field holds
 * `cmd_pasid` (ignored by the CPU, see above). VIO_EINVAL without a shared work
 * queue or for a tenant whose MSR was never set (the instruction would #GP). */
int vio_submit_enqcmd(vio_submit *s, int32_t tag, uint32_t cmd_pasid, vio_ps now, vio_submit_result *out);
/* The device takes one command off the shared work queue (false when empty),
 * returning the PASID it carries. */
bool vio_submit_swq_pop(vio_submit *s, uint32_t *pasid);

void vio_submit_stats_get(const vio_submit *s, vio_submit_stats *out);
const char *vio_submit_status_name(vio_submit_status st);

#ifdef __cplusplus
}
#endif
#endif
