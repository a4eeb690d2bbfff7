/* Scenarios: one platform, one traffic description, one or more variants
 * (delivery strategies) that all see the same arrival sequence.
 *
 * Every scalar parameter is declared once in the table returned by
 * vio_params_table(): name (JSON path), type, unit, default, range, help and
 * the source of the default. That table drives validation, `viosim list` and
 * docs/scenario-reference.md. Loading rejects unknown keys, wrong types,
 * out-of-range values and dangling references with "FILE: json.path: what was
 * expected". */
#ifndef VIOSIM_SCENARIO_H
#define VIOSIM_SCENARIO_H

#include "viosim/viosim.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VIO_NAME_MAX 64
#define VIO_MAX_CORES 1024u
#define VIO_MAX_VMS 1023u
#define VIO_MAX_FLOWS 4096u
#define VIO_MAX_SIZE_MIX 16u
#define VIO_MAX_VARIANTS 32u
/* Largest scenario file vio_scenario_load_file reads (64 MiB: 4096 flows that
 * each list every one of 1023 VMs take about 20 MB). Larger files, and anything
 * that is not a regular file (FIFO, device, directory), are refused unread. */
#define VIO_SCENARIO_MAX_BYTES (64ull << 20)
#define VIO_MAX_WORKERS 64u

typedef struct vio_cache_params {
    uint32_t enabled;    /* only meaningful for the optional L2 */
    uint64_t size_kib;
    uint32_t ways;
    uint32_t hit_cycles; /* load-to-use latency of a hit at this level */
    int replacement;     /* enum vio_repl_kind: position in VIO_REPL_CHOICES */
    int index;           /* enum vio_cache_index: position in VIO_CACHE_INDEX_CHOICES (LLC only) */
} vio_cache_params;

typedef struct vio_platform {
    int preset;                  /* enum vio_preset_kind: position in VIO_PRESET_CHOICES */
    uint32_t cores;
    uint32_t freq_mhz;
    vio_cache_params l1, l2, llc;
    uint32_t llc_inclusive;      /* 1: inclusive LLC; 0: non-inclusive with a snoop filter */
    uint32_t llc_sf_ways;        /* snoop-filter ways per LLC set (non-inclusive LLC) */
    uint32_t llc_sample_sets;    /* set sampling: simulate 1 in N LLC sets; 0 = exact */
    uint32_t io_ways;            /* DDIO: LLC ways inbound writes may allocate into */
    uint32_t io_reuse_ways;      /* second fixed I/O region (ways below io_ways); 0 = off */
    uint32_t c2c_cycles;         /* load of a line modified in another core's cache (HITM) */
    uint32_t dram_latency_ns;
    uint32_t dram_bandwidth_mbps; /* megabits per second, aggregate */
    uint32_t pcie_bandwidth_mbps; /* usable link rate, one direction */
    uint32_t pcie_latency_ns;     /* one-way posted write, NIC to memory controller */
    uint32_t pcie_tlp_payload;    /* max payload size (MPS) in bytes */
    uint32_t pcie_tlp_overhead;   /* header + framing + DLLP bytes per TLP */
    uint32_t pcie_mrrs;           /* max read request size of the NIC's reads, bytes */
    uint32_t pcie_posted_credits; /* root port's posted header credits (inbound writes queued for translation) */
    uint32_t nic_rx_buffer_kib;   /* the NIC's on-chip receive packet buffer */
    uint32_t nic_quantum_bytes;   /* device DRR credit per round per unit of weight (device_sched drr) */
    uint32_t nic_swq_entries;     /* the NIC's shared work queue depth (tx_submit enqcmd) */
    uint32_t nic_read_tags;       /* the NIC's outstanding read requests (tags) */
    uint32_t nic_doorbell_ns;     /* core time of a transmit doorbell (uncached MMIO store) */
    uint32_t nic_ring_entries;    /* descriptors per receive queue */
    uint32_t nic_buffer_bytes;    /* bytes per receive buffer */
    uint32_t nic_queues;          /* receive queues; 0 = one per VM */
    uint32_t nic_wire_mbps;       /* wire rate that bounds arrivals, e.g. 100000 */
    uint32_t mlp;                 /* cache misses a core overlaps when streaming a buffer */
    uint32_t ideal_memory;        /* 1: memory accesses cost nothing (reduced models) */
    uint32_t cldemote;            /* 1: the cores implement CLDEMOTE (Tremont, Sapphire Rapids and later) */
    uint32_t cldemote_cycles;     /* issue cost of one CLDEMOTE */
    uint32_t dma_engine_submit_cycles;   /* copy engine: one submission (doorbell) by the core */
    uint32_t dma_engine_desc_cycles;     /* copy engine: one work descriptor written into a batch */
    uint32_t dma_engine_latency_ns;      /* copy engine: fixed time per descriptor beyond the data */
    uint32_t dma_engine_bandwidth_mbps;  /* copy engine: streaming rate */
    int dma_engine_completion;           /* enum vio_dma_completion: position in "spin|interrupt|poll-async" */
    uint32_t dma_engine_ddio;            /* 1: the engine's writes allocate in the LLC's I/O ways; 0: DRAM */
} vio_platform;

/* One host worker: a vhost-like thread pinned to its own core, serving some NIC
 * receive queues (host.workers[]). */
typedef struct vio_worker_params {
    uint32_t core;
    uint32_t nqueues;  /* 0: the default map, queue q to worker q mod workers */
    uint32_t *queues;  /* the NIC queues it serves */
} vio_worker_params;

typedef struct vio_host_params {
    uint32_t core;      /* the single default worker's core when host.workers is absent */
    uint32_t budget;            /* packets per turn on one queue (vhost-net: VHOST_NET_PKT_WEIGHT) */
    uint32_t budget_bytes;      /* bytes per turn on one queue (vhost-net: VHOST_NET_WEIGHT) */
    uint32_t batch_cycles;      /* fixed cost of one poll batch */
    uint32_t classify_cycles;   /* per packet: parse headers, find destination(s) */
    uint32_t irq_cycles;        /* host-side cost of taking the NIC's MSI-X */
    uint32_t notify_cycles;     /* host-side cost to signal a guest (per destination) */
    uint32_t shared_ring_entries; /* slots of the US11412059 shared LLC ring */
    uint32_t quantum_bytes;     /* deficit round-robin credit per turn per unit of weight (io_sched drr) */
} vio_host_params;

/* How a guest's per-packet work (process_cycles) varies from packet to packet. */
enum vio_service { VIO_SERVICE_FIXED = 0, VIO_SERVICE_EXPONENTIAL };

typedef struct vio_vm_params {
    uint32_t core;
    uint32_t ring_entries;   /* guest receive ring (virtio rx queue) */
    uint32_t budget;         /* NAPI budget */
    uint32_t process_cycles; /* guest work per packet after reading it */
    uint32_t irq_cycles;     /* guest interrupt handler entry/exit */
    uint32_t fetch_cycles;   /* copy on fetch: issuing the fetch command to the host */
    uint32_t fetch_batch;    /* copy on fetch: the most packets one fetch command names */
    int service;             /* enum vio_service: process_cycles fixed, or its mean */
    int kind;                /* enum vio_consumer_kind */
    uint32_t touch_bytes;    /* bytes of each packet the consumer reads (0: all of it) */
    uint32_t forward;        /* copy none: the consumer sends each packet back out (the NIC reads it back) */
    /* copy none: DPDK receive-buffer recycling (lib/src/datapath/dp_mempool.c) */
    uint32_t mempool;         /* buffers from an rte_mempool instead of one fixed per slot */
    uint32_t mempool_buffers; /* objects in the pool */
    uint32_t mempool_cache;   /* its per-lcore cache size */
    uint32_t tx_ring_entries; /* transmit descriptors holding forwarded buffers */
    uint32_t tx_queue;        /* a software queue in front of them (FastClick IQUEUE) */
    uint32_t tx_free_batch;   /* descriptors per transmit completion */
    int tx_completion;        /* enum vio_tx_completion: how a forwarder's driver learns of a transmit completion */
} vio_vm_params;

/* vms[].tx_completion, the forwarder's driver: a kernel driver (MSI-X when the
 * consumer sleeps, polled write-backs when it spins) or one that reaps them at its
 * next burst (DPDK's PMDs take no transmit interrupts: rte_eth_tx_burst frees
 * what it finds written back); auto: reap for a process, kernel for a VM. */
enum vio_tx_completion { VIO_TXC_AUTO = 0, VIO_TXC_KERNEL, VIO_TXC_REAP };

/* What consumes a receive queue (vms[].kind): a VM (a vCPU under KVM, its
 * interrupts through viosim/vcpu.h), or a plain process on the host (DPDK on bare
 * metal: no virtualization, native interrupts); a process needs copy none. */
enum vio_consumer_kind { VIO_CONSUMER_VM = 0, VIO_CONSUMER_PROCESS };

/* The interrupt and exit path (cycles unless named otherwise), shared by all
 * variants; the mechanisms are in viosim/vcpu.h. */
typedef struct vio_irq_costs {
    uint32_t exit_entry_cycles;      /* VM exit + KVM dispatch + VM entry (hypercall round trip) */
    uint32_t poll_cycles;            /* one empty poll of a ring by a spinning core */
    uint32_t inject_cycles;          /* emulated injection at VM entry */
    uint32_t eoi_cycles;             /* EOI emulation after its exit (no APICv) */
    uint32_t pi_deliver_cycles;      /* posted-interrupt processing + virtual-interrupt delivery */
    uint32_t pi_post_cycles;         /* sender: PIR bit + ON */
    uint32_t ipi_send_cycles;        /* sender: ICR write */
    uint32_t ipi_latency_ns;         /* ICR write to the target taking it */
    uint32_t wake_ns;                /* blocked vCPU: wake-up through the scheduler, over a polled wake */
    uint32_t kick_cycles;            /* ioeventfd dispatch on top of the doorbell's exit */
    uint64_t halt_poll_ns;           /* KVM halt_poll_ns */
    uint64_t halt_poll_grow_start_ns;
    uint32_t halt_poll_grow, halt_poll_shrink;
    uint64_t guest_halt_poll_ns;     /* the guest's idle polling before HLT (cpuidle-haltpoll) */
} vio_irq_costs;

enum vio_arrival { VIO_ARRIVAL_CONSTANT = 0, VIO_ARRIVAL_POISSON };

typedef struct vio_size_weight {
    uint32_t bytes;
    double weight;
} vio_size_weight;

#define VIO_DST_BROADCAST UINT32_MAX

typedef struct vio_flow {
    uint32_t ndst;      /* number of destination VMs (1 = unicast) */
    uint32_t *dst;      /* destination VM indices; broadcast expands to all VMs */
    enum vio_arrival arrival;
    double rate_gbps;   /* exactly one of rate_gbps / rate_pps is > 0 */
    double rate_pps;
    uint32_t nsizes;    /* 1 for a fixed size */
    vio_size_weight sizes[VIO_MAX_SIZE_MIX];
} vio_flow;

typedef struct vio_traffic {
    uint64_t packets; /* total packets offered across flows */
    uint64_t warmup_packets; /* the first arrivals, left out of every statistic */
    double steady_hit_pp;    /* steady-state check: tolerated hit-rate difference of the halves, points */
    double steady_latency_pct; /* ... and of their mean latency, percent of the smaller */
    double load;      /* multiplies every flow's rate (sweeps) */
    uint32_t replay_threads; /* > 0: a paced trace replay by this many generator threads in step (traffic.c) */
    uint32_t nflows;
    vio_flow *flows;
} vio_traffic;

/* The delivery strategy of a variant is one row on each axis of viosim/strategy.h
 * (variants[].dma, .copy, .notify, .iommu, .io_control, tenants[].adversary):
 * the scenario names the row, the loader stores its index in that axis's table.
 * Test a row by its name (vio_axis_name), never by its index. */

/* variants[].tx_submit: a doorbell store per queue pair, or ENQCMD to a shared work queue. */
enum vio_tx_submit { VIO_TX_DOORBELL = 0, VIO_TX_ENQCMD };

/* What a misbehaving tenant does: the `attack` of each row of vio_axis_adversary
 * (a behaviour, not a position: the rows may come in any order). */
enum vio_adversary {
    VIO_ADV_NONE = 0,
    VIO_ADV_FOREIGN_BUFFER, /* posts rx descriptors pointing at the victim's buffers */
    VIO_ADV_FOREIGN_TAG,    /* uses the victim's Tag ID to post its own buffers on the victim's queue pair */
    VIO_ADV_WRONG_PASID,    /* asks the device to stamp the victim's PASID (the device-side check refuses) */
    VIO_ADV_NO_PASID,       /* the device sends this tenant's DMAs without a PASID */
    VIO_ADV_READ_SHARED,    /* its guest reads the victim's latest slot of the shared LLC ring */
    VIO_ADV_TX_FOREIGN_BUFFER,   /* its transmit descriptors name the victim's buffer */
    VIO_ADV_TX_FOREIGN_DOORBELL, /* it stores to the victim's transmit doorbell */
    VIO_ADV_TX_FORGED_PASID,     /* its transmit work names the victim's PASID */
};

typedef struct vio_iommu_params {
    uint32_t iotlb_entries, iotlb_ways;
    uint32_t iotlb_hit_ns, walk_overhead_ns;
    uint32_t devtlb_entries, ats_rtt_ns;
    uint32_t psc_entries, walkers;
    uint32_t fault_log;
} vio_iommu_params;

typedef struct vio_tenant_params {
    uint32_t vm;           /* the VM whose traffic this tenant receives */
    uint32_t tag;          /* Tag ID: names the tenant's queue pair */
    uint32_t pasid;        /* 20-bit PASID the host maps the Tag ID to */
    int adversary;         /* row of vio_axis_adversary */
    uint32_t victim;       /* VM index of the tenant it attacks */
    uint32_t attack_every; /* one malicious descriptor every N */
    char name[VIO_NAME_MAX]; /* carried into every result of the tenant ("" -> "vm<N>") */
    uint32_t rate_mbps;      /* per queue pair ingress rate limit (0: none), applied by io_control rate-limit */
    uint32_t burst_bytes;    /* its token-bucket depth */
    uint32_t weight;         /* its queue pair's share of the host's service under io_sched wrr / drr */
    uint32_t cat_ways;       /* Intel CAT capacity bitmask of LLC ways its VM's core may fill (0: all), under cat */
} vio_tenant_params;

typedef struct vio_variant {
    char name[VIO_NAME_MAX];
    int dma;    /* row of vio_axis_dma */
    int copy;   /* row of vio_axis_copy */
    int notify; /* row of vio_axis_notify */
    uint32_t coalesce_packets; /* interrupt after N packets (0/1 = every packet) */
    uint32_t coalesce_ns;      /* ... or T ns after the first pending one (0 = off) */
    uint32_t host_poll;        /* host polls the NIC instead of taking its interrupt */
    int iommu;      /* row of vio_axis_iommu: PASID translation of inbound DMA, and its page size */
    int io_control; /* row of vio_axis_io_control: US10310974 resource control */
    int copy_engine; /* row of vio_axis_copy_engine: the primitive of the host's copies */
    /* How a host worker shares its service among its queue pairs: a row of
     * vio_axis_io_sched (fifo, or a registered qos.h policy: rr, wrr, drr). */
    int io_sched;
    int device_sched; /* row of vio_axis_device_sched: the NIC's receive DMA arbiter across queues */
    uint32_t cat; /* 1: per-tenant LLC way masks (tenants[].cat_ways) on the VMs' cores (Intel CAT) */
    int tx_submit; /* enum vio_tx_submit: how a forwarding consumer hands its transmits to the NIC */
    /* The US11412059 LLC ring: per-vm, a region shared by the host and each VM (and
     * one per multicast destination set); global: one region mapped into every VM. */
    int shared_ring; /* row of vio_axis_shared_ring */
} vio_variant;

typedef struct vio_scenario {
    char name[VIO_NAME_MAX];
    char *source;   /* file name used in messages ("<default>" for the embedded one) */
    uint64_t seed;
    vio_platform platform;
    vio_host_params host;
    vio_irq_costs irq;
    uint32_t nworkers;          /* >= 1: host.workers, or one worker on host.core */
    vio_worker_params *workers;
    uint32_t nvms;
    vio_vm_params *vms;
    vio_traffic traffic;
    uint32_t nvariants;
    vio_variant *variants;
    vio_iommu_params iommu;
    uint32_t ntenants;          /* 0: one well-behaved tenant per VM when a variant turns the IOMMU on */
    vio_tenant_params *tenants;
    char *canonical_json; /* the validated scenario with defaults filled, for hashing */
} vio_scenario;

/* Load and validate. `source` names the file in error messages. `sets` are
 * "path=value" overrides applied to the JSON before validation (value parsed as
 * JSON when it is valid JSON, else taken as a string), e.g. "vms[0].core=3";
 * missing object keys are created, array entries are not.
 * Integer parameters accept integral reals (2.0, 1e6: stored as integers in
 * canonical_json); 1.5 is an error. Errors: VIO_EINVAL with one line
 * "SOURCE: json.path: what was expected" ("SOURCE:LINE:COL: invalid JSON: ..."
 * for parse errors, "--set TEXT: ..." for a bad override), VIO_EIO when the
 * file cannot be read. On error *out is NULL. */
int vio_scenario_load_file(const char *path, const char *const *sets, size_t nsets, vio_scenario **out,
                           vio_err *err);
int vio_scenario_load_string(const char *json, const char *source, const char *const *sets, size_t nsets,
                             vio_scenario **out, vio_err *err);
void vio_scenario_destroy(vio_scenario *s);

/* Seconds of simulated time the arrivals span: traffic.packets at the offered
 * rate (or at wire rate, if slower), plus the slowest flow's first gap. The
 * loader rejects a scenario whose span exceeds VIO_MAX_SIM_PS (time.h). */
double vio_scenario_arrival_span(const vio_scenario *s);

/* Index of the variant called `name`, or -1. */
int vio_scenario_variant_by_name(const vio_scenario *s, const char *name);

/* ---- the parameter table ---- */
enum vio_param_type { VIO_PT_U32, VIO_PT_U64, VIO_PT_DOUBLE, VIO_PT_BOOL, VIO_PT_ENUM, VIO_PT_STRING };

typedef struct vio_param {
    const char *path;    /* e.g. "platform.llc.ways", "vms[].core", "variants[].notify" */
    enum vio_param_type type;
    const char *unit;    /* "cycles", "ns", "KiB", "Mb/s", "" */
    const char *dflt;    /* default as JSON text; NULL = required */
    double min, max;     /* inclusive range for numbers */
    const char *choices; /* for enums: VIO_AXIS_CHOICES("copy"), the rows of a registered table
                          * (viosim/strategy.h), or a fixed "a|b|c" */
    const char *help;
    const char *source;  /* where the default comes from */
    size_t offset;       /* of the target field in the struct the path's last "[]" scope loads
                          * into: vio_scenario, vio_vm_params, vio_flow, vio_size_weight or
                          * vio_variant. Enums store an int: the index of the row of that name in
                          * the axis's table, or the position of the value in "a|b|c". */
    unsigned flags;      /* VIO_PF_* */
} vio_param;

enum vio_param_flag {
    VIO_PF_MIN_EXCLUSIVE = 1u << 0, /* the range is (min, max]: e.g. rates must be > 0 */
    VIO_PF_ONE_OF = 1u << 1,        /* no default; exactly one ONE_OF row of the object is given */
    VIO_PF_CODE = 1u << 2,          /* shape checked by dedicated loader code (dst, size) */
    VIO_PF_LIST = 1u << 3,          /* also accepts a list of values, or one of `choices` */
};

/* The choices of an enum are the rows of the registered axis with this key
 * (vio_axes(), viosim/strategy.h): the table stays their one declaration. */
#define VIO_AXIS_CHOICES(key) "@" key

/* The table, terminated by a row with path == NULL. */
const vio_param *vio_params_table(void);
/* The registered axis whose rows are p's choices (VIO_AXIS_CHOICES), or NULL. */
const struct vio_axis *vio_param_axis(const vio_param *p);
/* The row for `path` ("vms[].core"), or NULL. */
const vio_param *vio_params_find(const char *path);
/* What the loader accepts for `p`, as its messages say it: "1..1048575" for
 * integers, "(0, 100]" for numbers ("(" an exclusive bound), "1..63 bytes" for
 * strings, "a|b|c" for enums, "true|false". Returns buf. */
const char *vio_param_range(const vio_param *p, char *buf, size_t cap);
/* The table as a Markdown reference grouped by section (docs/scenario-reference.md);
 * *out is malloc'd, free() it. */
int vio_params_markdown(char **out, vio_err *err);

#ifdef __cplusplus
}
#endif
#endif
