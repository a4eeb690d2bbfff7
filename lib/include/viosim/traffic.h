/* Traffic sources: flows with destination VMs, constant-rate or Poisson
 * arrivals, a fixed size or a size mix, merged onto one wire.
 *
 * Each flow draws from its own random stream (seed, flow index), so every
 * variant of a scenario sees the very same arrival sequence (common random
 * numbers) and adding a flow never perturbs another's arrivals. */
#ifndef VIOSIM_TRAFFIC_H
#define VIOSIM_TRAFFIC_H

#include "viosim/scenario.h"
#include "viosim/sha256.h"
#include "viosim/time.h"
#include "viosim/viosim.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Ethernet preamble + start delimiter (8 B) and inter-frame gap (12 B) occupy
 * the wire beside every frame (IEEE 802.3). */
#define VIO_ETH_WIRE_OVERHEAD 20u

typedef struct vio_arrival_rec {
    uint64_t seq;    /* 0, 1, 2, ... in arrival order */
    vio_ps t_arrive; /* last bit at the NIC */
    uint32_t bytes;
    uint32_t flow;
} vio_arrival_rec;

typedef struct vio_traffic_gen vio_traffic_gen;

/* Mean packets per second flow `f` offers at `tr`'s load (1 if unset): its packet
 * rate, or its bit rate over the mean wire size of its size mix. */
double vio_traffic_flow_pps(const vio_traffic *tr, const vio_flow *f);

int vio_traffic_create(const vio_traffic *tr, uint64_t seed, uint64_t wire_mbps, vio_traffic_gen **out,
                       vio_err *err);
void vio_traffic_destroy(vio_traffic_gen *g);
/* Time of the next arrival's last bit, or VIO_PS_NEVER once `packets` were produced. */
vio_ps vio_traffic_peek(const vio_traffic_gen *g);
/* Produce the next arrival; returns 0 when exhausted. */
int vio_traffic_next(vio_traffic_gen *g, vio_arrival_rec *out);

/* SHA-256 of an arrival sequence (time, size, flow of each record), fed by
 * whoever consumes the arrivals: the datapath hashes what its NIC received, so
 * a test can replay a bare generator and compare. Records enter the digest a
 * block at a time: per-record updates cost more than a reduced model's packet. */
typedef struct vio_arrival_hash {
    vio_sha256 sha;
    uint8_t pending[1024]; /* a multiple of the 16-byte record */
    size_t npending;
    uint64_t count;
} vio_arrival_hash;

void vio_arrival_hash_init(vio_arrival_hash *h);
void vio_arrival_hash_add(vio_arrival_hash *h, const vio_arrival_rec *a);
/* The digest so far as 64 hex digits; the hash can keep growing afterwards. */
void vio_arrival_hash_hex(const vio_arrival_hash *h, char out[65]);

#ifdef __cplusplus
}
#endif
#endif
