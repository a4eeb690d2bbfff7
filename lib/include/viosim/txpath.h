/* The transmit path of a device queue pair: after the doorbell, the device reads
 * the descriptor and the payload from host memory over PCIe, each read translated
 * by the IOMMU under the queue pair's PASID, serialises the frame onto the wire,
 * writes the completion back and signals it (MSI-X) or leaves it to be polled.
 *
 * Mechanism (PCIe Base spec; Neugebauer et al., SIGCOMM 2018, sec. 3):
 *   - a read is a non-posted request TLP (header only) upstream and completions
 *     downstream carrying at most MPS bytes each; one request asks for at most MRRS
 *     bytes and never crosses a 4 KiB boundary;
 *   - a request needs a free tag: at most max_tags reads are outstanding, so
 *     throughput is bounded by max_tags x MRRS / read latency;
 *   - the read latency is: request serialisation + one-way latency + the memory
 *     access (a line in the LLC is served from there: DDIO does not allocate on
 *     reads; a miss is served from DRAM) + completion serialisation + one-way
 *     latency;
 *   - the frame goes on the wire once all of it is on the device (store and
 *     forward), taking (bytes + 20) x 8 / wire rate (preamble, SFD and the minimum
 *     inter-frame gap of IEEE 802.3);
 *   - the completion write-back is a posted write upstream; an interrupt follows as
 *     another posted write (MSI-X), or a polling driver sees the write-back at its
 *     next poll.
 * The IOMMU and the memory are reached through callbacks, so the model is plain C
 * and testable alone. Links are full duplex: upstream (requests, write-backs) and
 * downstream (completions) are serialised separately. */
#ifndef VIOSIM_TXPATH_H
#define VIOSIM_TXPATH_H

#include "viosim/iommu.h"
#include "viosim/time.h"
#include "viosim/viosim.h"

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Translate one request under `pasid`; returns false when the IOMMU blocks it.
 * Sets *latency and *phys. */
typedef bool (*vio_tx_translate_cb)(void *ctx, uint32_t pasid, uint64_t iova, uint32_t len, vio_dma_kind kind,
                                    vio_ps now, vio_ps *latency, uint64_t *phys);
/* Read `bytes` at host physical `phys` for the device at `now`: returns the
 * latency and how many of the lines were served by the LLC (*llc_lines). */
typedef vio_ps (*vio_tx_mem_read_cb)(void *ctx, uint64_t phys, uint32_t bytes, vio_ps now, uint32_t *llc_lines);

typedef struct vio_tx_config {
    uint32_t mrrs;          /* max read request size, bytes (PCIe default 512) */
    uint32_t mps;           /* max payload per completion TLP, bytes */
    uint32_t tlp_overhead;  /* bytes of header/framing per TLP */
    uint32_t max_tags;      /* outstanding read requests, >= 1 */
    uint64_t link_mbps;     /* per direction */
    vio_ps link_latency;    /* one way */
    uint64_t wire_mbps;     /* Ethernet rate */
    uint32_t desc_bytes;    /* descriptor size (read, then written back) */
    bool interrupt;         /* MSI-X on completion; else polled */
    vio_ps poll_interval;   /* polling driver's period (when !interrupt), > 0 */
    vio_tx_translate_cb translate; /* NULL: no IOMMU (phys = iova) */
    vio_tx_mem_read_cb mem_read;   /* required */
    void *ctx;
} vio_tx_config;

/* Defaults taken from the shipped platform (see lib/src/scenario/params.c for
 * sources): MRRS 512 (PCIe Device Control default), MPS 256, 24 B per TLP, 32 tags
 * (5-bit tags without the Extended Tag capability), 126 Gb/s and 250 ns per
 * direction, 100 Gb/s wire, 16 B descriptors, interrupts. */
void vio_tx_config_default(vio_tx_config *cfg);

typedef struct vio_tx_result {
    bool sent;              /* false: a read was blocked by the IOMMU, nothing sent */
    vio_ps desc_at;         /* descriptor on the device */
    vio_ps payload_at;      /* last payload byte on the device */
    vio_ps wire_done;       /* last bit on the wire */
    vio_ps completed;       /* completion seen by the driver (interrupt or poll), or written back (reap) */
    vio_ps translate_ps;    /* time spent in translations (all reads) */
    uint32_t reads;         /* read requests made (descriptor included) */
    uint32_t lines, llc_lines;
} vio_tx_result;

typedef struct vio_tx_stats {
    uint64_t packets, blocked, bytes, reads, tag_waits;
    uint64_t lines, llc_lines; /* device read hit rate = llc_lines / lines */
    vio_ps latency_sum;        /* sum of (wire_done - doorbell) of sent packets */
    vio_ps last_wire_done;
} vio_tx_stats;

typedef struct vio_tx vio_tx;

int vio_tx_create(const vio_tx_config *cfg, vio_tx **out, vio_err *err);
void vio_tx_destroy(vio_tx *tx);
/* One frame of `bytes` whose descriptor is at `desc_iova` and payload at
 * `buf_iova`, in the queue pair's `pasid` space. `reap`: its driver takes no
 * completion signal (a DPDK PMD: no MSI-X, no poll), so `completed` is when the
 * write-back lands and the driver sees it whenever it next looks. */
typedef struct vio_tx_frame {
    uint32_t pasid;
    uint64_t desc_iova, buf_iova;
    uint32_t bytes;
    bool reap;
} vio_tx_frame;

/* One doorbell that reached the device at `now` and posted `n` frames: the device
 * fetches their n descriptors first (descriptor fetch ahead of payload, as NICs
 * do), then each frame's payload, wire time, write-back and signal, in order.
 * Later calls must not have an earlier `now`. out[k] per frame. */
int vio_tx_send_batch(vio_tx *tx, const vio_tx_frame *frames, uint32_t n, vio_ps now, vio_tx_result *out);
/* A batch of one. */
int vio_tx_send(vio_tx *tx, uint32_t pasid, uint64_t desc_iova, uint64_t buf_iova, uint32_t bytes, vio_ps now,
                vio_tx_result *out);
void vio_tx_stats_get(const vio_tx *tx, vio_tx_stats *out);
/* Zero the counters, keeping the link, tag and wire state: the end of a warm-up. */
void vio_tx_reset_stats(vio_tx *tx);

#ifdef __cplusplus
}
#endif
#endif
