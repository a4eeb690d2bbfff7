/* I/O resource control across queue pairs: the purpose of Intel patent
 * US10310974 ("Systems and methods for input/output computing resource control").
 * Once each tenant's I/O is confined to its own queue pair (Tag ID -> PASID), the
 * device and the host can meter and share service per queue pair:
 *   - a token-bucket rate limit per queue pair (rate in Mb/s, burst in bytes);
 *   - a weight per queue pair;
 *   - a scheduling policy picking which queue pair's head packet is served next,
 *     from a registered table {name, help, ops}: round-robin, weighted round-robin
 *     (weight = packets per round) and deficit round-robin (Shreedhar & Varghese,
 *     "Efficient fair queueing using deficit round robin", SIGCOMM 1995: weight x
 *     quantum bytes of credit per round, so bytes, not packets, are shared by
 *     weight whatever the packet sizes).
 * The scheduler holds per-queue FIFOs of (bytes, cookie); the embedder decides
 * what serving a packet costs (a link, a DMA engine, a core) and asks for the next
 * one when the server is free. Plain C, integral time, deterministic. */
#ifndef VIOSIM_QOS_H
#define VIOSIM_QOS_H

#include "viosim/time.h"
#include "viosim/viosim.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- token bucket --------------------------------------------------------- */

/* A token bucket: `rate_mbps` (0: no limit) refills up to `burst_bytes`. Tokens are
 * kept in bits x 10^6, so that rate_mbps x elapsed ps is exact in integers: no
 * drift however long the run. Plain struct: it is embedded in other models. */
typedef struct vio_tbf {
    uint64_t rate_mbps;
    uint64_t cap;    /* burst in bits x 10^6 */
    uint64_t tokens; /* current, same unit */
    vio_ps last;     /* when tokens were last brought up to date */
} vio_tbf;

/* Full at time 0. VIO_EINVAL when a rate is given with a zero burst. */
int vio_tbf_init(vio_tbf *b, uint64_t rate_mbps, uint64_t burst_bytes, vio_err *err);
/* Whether `bytes` conform at `now` (times must not go backwards); if so the
 * tokens are taken. Always true without a rate. */
bool vio_tbf_take(vio_tbf *b, uint64_t bytes, vio_ps now);
/* Earliest time >= now at which `bytes` will conform (VIO_PS_NEVER if they exceed
 * the burst: they never will). */
vio_ps vio_tbf_ready_at(const vio_tbf *b, uint64_t bytes, vio_ps now);

/* ---- scheduler ------------------------------------------------------------ */

typedef struct vio_qos_queue_cfg {
    uint32_t weight;      /* >= 1 */
    uint64_t rate_mbps;   /* 0: not rate limited */
    uint64_t burst_bytes; /* bucket depth when rate_mbps > 0; >= the largest packet */
    uint32_t capacity;    /* packets the queue holds; enqueue beyond it is a drop */
} vio_qos_queue_cfg;

typedef struct vio_qos vio_qos;

/* A scheduling policy. `pick` returns the queue whose head packet is served next
 * among the eligible ones (non-empty and conforming to their bucket), or -1. */
typedef struct vio_qos_ops {
    int (*pick)(vio_qos *q, vio_ps now);
} vio_qos_ops;

typedef struct vio_qos_policy {
    const char *name; /* "rr", "wrr", "drr" */
    const char *help;
    const vio_qos_ops *ops;
} vio_qos_policy;

/* The registered policies, terminated by a row with name == NULL. */
const vio_qos_policy *vio_qos_policies(void);
/* The policy called `name`, or NULL. */
const vio_qos_policy *vio_qos_policy_find(const char *name);

/* `nqueues` queues configured by `cfg[]`; `quantum_bytes` is DRR's credit per
 * round per unit of weight (ignored by the other policies; >= 1). */
int vio_qos_create(const char *policy, uint32_t nqueues, const vio_qos_queue_cfg *cfg, uint32_t quantum_bytes,
                   vio_qos **out, vio_err *err);
void vio_qos_destroy(vio_qos *q);

/* Append a packet to queue `queue`. Returns VIO_OK, or 1 when the queue is full
 * (the packet is dropped and counted), or VIO_EINVAL (bad queue, zero bytes, or a
 * packet larger than the queue's burst, which could never be sent). */
int vio_qos_enqueue(vio_qos *q, uint32_t queue, uint32_t bytes, uint64_t cookie, vio_err *err);

typedef struct vio_qos_pick {
    uint32_t queue, bytes;
    uint64_t cookie;
} vio_qos_pick;

/* The next packet to serve at `now`, removed from its queue (true); or false when
 * none is eligible, with *next_at the earliest time a rate limit lets one go
 * (VIO_PS_NEVER when every queue is empty). `next_at` may be NULL. */
bool vio_qos_dequeue(vio_qos *q, vio_ps now, vio_qos_pick *out, vio_ps *next_at);

typedef struct vio_qos_queue_stats {
    uint64_t enqueued, dropped, served, served_bytes;
    uint32_t backlog; /* packets waiting now */
} vio_qos_queue_stats;

int vio_qos_queue_stats_get(const vio_qos *q, uint32_t queue, vio_qos_queue_stats *out);
uint32_t vio_qos_nqueues(const vio_qos *q);
/* Packets waiting in all queues. */
uint32_t vio_qos_backlog(const vio_qos *q);

/* ---- fairness ------------------------------------------------------------- */

/* Jain's fairness index of n >= 1 non-negative values (Jain, Chiu and Hawe, DEC
 * TR-301, 1984): (sum x)^2 / (n * sum x^2); 1 when all are equal, 1/n when one
 * takes everything. 1 for all zeros. */
double vio_jain_index(const double *x, size_t n);

/* Max-min fair shares of `capacity` among n demands (water-filling: no share
 * exceeds its demand, and a share can grow only by shrinking a smaller one;
 * Bertsekas & Gallager, Data Networks, 2nd ed., sec. 6.5.2). Jain's index of
 * throughput / max-min share is the index of Jain, Chiu and Hawe's "normalized"
 * allocation: 1 when every tenant gets its fair share even if demands differ. */
void vio_maxmin_shares(const double *demand, size_t n, double capacity, double *share);

#ifdef __cplusplus
}
#endif
#endif
