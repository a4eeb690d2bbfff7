/* The parameter table: every scalar scenario parameter, declared once with its
 * type, unit, default, range, help and the source of the default (the Redis
 * config.c / gem5 Params pattern). The loader (scenario*.c), `viosim list` and
 * docs/scenario-reference.md are all driven by it, so they cannot drift apart.
 *
 * Paths use "[]" for "every element of this array"; the offset is into the
 * struct that the innermost "[]" loads into (vio_scenario at the top level). */
#include "viosim/scenario.h"

#include "viosim/cache.h"
#include "viosim/preset.h"
#include "viosim/qos.h"
#include "viosim/repl.h"
#include "viosim/strategy.h"

#include <float.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SC(f) offsetof(vio_scenario, f)
#define VM(f) offsetof(vio_vm_params, f)
#define FL(f) offsetof(vio_flow, f)
#define SW(f) offsetof(vio_size_weight, f)
#define VA(f) offsetof(vio_variant, f)
#define TN(f) offsetof(vio_tenant_params, f)
#define WK(f) offsetof(vio_worker_params, f)
#define PCIE_BENCH "Neugebauer et al., SIGCOMM 2018 (pcie-bench), raw data pcie-bench/data: 64 B DMA read latency " \
    "flat to a 256 KiB window, +227 ns median from 1.5 MiB with 4 KiB pages (Xeon E5-2620v3)"

#define U32_MAX_D 4294967295.0
#define I64_MAX_D 9223372036854775807.0 /* rounds to 2^63; readers clamp to INT64_MAX */

#define REPL_HELP(level) \
    level " replacement policy (`viosim list` shows each policy's help): lru, random (seeded from `seed`), " \
    "tree pseudo-LRU (plru), 2-bit static RRIP (srrip) or set-dueling RRIP (drrip, the presets' LLC policy)."
#define REPL_LRU_SRC "modelling choice: true LRU, the behaviour of earlier versions; presets set the measured policy"
#define OPT_MANUAL "Intel 64 and IA-32 Architectures Optimization Reference Manual (Skylake-SP)"
#define NAPI "Linux NAPI_POLL_WEIGHT (64 packets per poll)"
/* A vhost-net handler (handle_rx) stops when vhost_exceeds_weight() says so and requeues its
 * virtqueue's work behind the others the worker has (vhost_poll_queue). */
#define VHOST_WEIGHT "Linux drivers/vhost/net.c: handle_rx stops once vhost_exceeds_weight() finds either weight reached " \
                     "and requeues the queue's work behind the worker's others"
#define KVM_VMCALL                                                                                            \
    "kvm-unit-tests x86/vmexit.c `vmcall`: 1559 cycles on a Skylake-SP server (Wanpeng Li, [PATCH] KVM: VMX: "         \
    "Micro-optimize vmexit time when not exposing PMU, kvm@vger.kernel.org, 12 Mar 2020)"
#define KVM_MAIN_C "virt/kvm/kvm_main.c module parameter default"
/* Intel MLC v3.5 --c2c_latency on a two-socket Xeon Platinum 8180 (Skylake-SP) server of FD.io CSIT's 2n-skx
 * testbed t22: local-socket L2->L2 HIT and HITM both 50.3 ns (remote socket 108.5-173.2 ns). */
#define MLC_SKX_C2C "FD.io CSIT report, docs/report/introduction/test_environment_sut_calib_skx.rst (Xeon Platinum " \
    "8180, testbed t22): Intel MLC v3.5 --c2c_latency, local-socket L2->L2 HITM 50.3 ns (HIT 50.3 ns)"
#define PCIE_PAPER "Neugebauer et al., \"Understanding PCIe performance for end host networking\", SIGCOMM 2018"

static const vio_param rows[] = {
    /* ---- top level ---- */
    {"name", VIO_PT_STRING, "", "\"unnamed\"", 1, VIO_NAME_MAX - 1, NULL,
     "Scenario name, copied into result headers.", "convention", SC(name), 0},
    {"seed", VIO_PT_U64, "", "1", 0, I64_MAX_D, NULL,
     "Root seed; every component derives its own random stream from it.", "convention", SC(seed), 0},

    /* ---- platform ---- */
    {"platform.preset", VIO_PT_ENUM, "", "\"none\"", 0, 0, VIO_AXIS_CHOICES("preset"),
     "Named machine whose values replace the defaults of the platform parameters it lists (docs/model.md "
     "gives each value and its source); values written in the scenario still win.",
     "convention: none keeps this table's defaults", SC(platform.preset), 0},
    {"platform.cores", VIO_PT_U32, "cores", "8", 2, VIO_MAX_CORES, NULL,
     "Physical cores, numbered 0..cores-1; the host and every VM pin to one.",
     "estimate: a host core plus 7 VM cores keeps runs short; the LLC default is sized for 8 cores",
     SC(platform.cores), 0},
    {"platform.freq_mhz", VIO_PT_U32, "MHz", "2600", 100, 10000, NULL,
     "Core clock; converts cycle costs to time.", "Intel Xeon Gold 6142 (Skylake-SP) base clock, Intel ARK",
     SC(platform.freq_mhz), 0},
    {"platform.l1.size_kib", VIO_PT_U64, "KiB", "32", 1, 1048576, NULL, "Private L1 data cache capacity.",
     OPT_MANUAL, SC(platform.l1.size_kib), 0},
    {"platform.l1.ways", VIO_PT_U32, "ways", "8", 1, 32, NULL, "L1 associativity.", OPT_MANUAL,
     SC(platform.l1.ways), 0},
    {"platform.l1.hit_cycles", VIO_PT_U32, "cycles", "4", 1, 1000, NULL, "L1 load-to-use latency.", OPT_MANUAL,
     SC(platform.l1.hit_cycles), 0},
    {"platform.l1.replacement", VIO_PT_ENUM, "", "\"lru\"", 0, 0, VIO_AXIS_CHOICES("replacement"), REPL_HELP("L1"),
     REPL_LRU_SRC, SC(platform.l1.replacement), 0},
    {"platform.l2.enabled", VIO_PT_BOOL, "", "false", 0, 1, NULL,
     "Model a private L2 between L1 and the LLC.",
     "modelling choice: off keeps the path L1 -> LLC that DDIO results hinge on; on to study the L2",
     SC(platform.l2.enabled), 0},
    {"platform.l2.size_kib", VIO_PT_U64, "KiB", "1024", 1, 1048576, NULL, "Private L2 capacity.", OPT_MANUAL,
     SC(platform.l2.size_kib), 0},
    {"platform.l2.ways", VIO_PT_U32, "ways", "16", 1, 32, NULL, "L2 associativity.", OPT_MANUAL,
     SC(platform.l2.ways), 0},
    {"platform.l2.hit_cycles", VIO_PT_U32, "cycles", "14", 1, 1000, NULL, "L2 load-to-use latency.",
     OPT_MANUAL, SC(platform.l2.hit_cycles), 0},
    {"platform.l2.replacement", VIO_PT_ENUM, "", "\"lru\"", 0, 0, VIO_AXIS_CHOICES("replacement"), REPL_HELP("L2"),
     REPL_LRU_SRC, SC(platform.l2.replacement), 0},
    {"platform.llc.size_kib", VIO_PT_U64, "KiB", "11264", 1, 1048576, NULL,
     "Shared last-level cache capacity (all slices).",
     OPT_MANUAL ": 1.375 MiB per core x 8 cores = 11 MiB", SC(platform.llc.size_kib), 0},
    {"platform.llc.ways", VIO_PT_U32, "ways", "11", 1, 32, NULL, "LLC associativity.", OPT_MANUAL,
     SC(platform.llc.ways), 0},
    {"platform.llc.hit_cycles", VIO_PT_U32, "cycles", "50", 1, 1000, NULL, "LLC load-to-use latency.",
     OPT_MANUAL "; 7-cpu.com Skylake-X measurements", SC(platform.llc.hit_cycles), 0},
    {"platform.llc.replacement", VIO_PT_ENUM, "", "\"lru\"", 0, 0, VIO_AXIS_CHOICES("replacement"), REPL_HELP("LLC"),
     REPL_LRU_SRC, SC(platform.llc.replacement), 0},
    {"platform.llc.index", VIO_PT_ENUM, "", "\"hash\"", 0, 0, VIO_AXIS_CHOICES("index"),
     "LLC set index: modulo (low line-address bits), hash (XOR fold of all higher bits, standing in for "
     "Intel's undocumented slice and set hash) or skx18 (Skylake-SP's 18-slice hash as measured; needs an "
     "LLC of 18 x 2^k sets, e.g. 24.75 MiB at 11 ways).",
     "Maurice et al., \"Reverse engineering Intel last-level cache complex addressing using performance "
     "counters\", RAID 2015: Intel LLCs hash many address bits; skx18: McCalpin, \"Mapping Addresses to "
     "L3/CHA Slices in Intel Processors\", TACC TR-2021-03, 2021 (base sequence and permutation masks of "
     "the 18-slice part)", SC(platform.llc.index), 0},
    {"platform.llc.inclusive", VIO_PT_BOOL, "", "true", 0, 1, NULL,
     "Inclusive LLC (fills go to the LLC too; an LLC eviction back-invalidates private copies), or "
     "non-inclusive as Skylake-SP (fills go to the private caches, the LLC receives their victims, a snoop "
     "filter tracks private contents and its evictions back-invalidate).",
     "modelling default: inclusive, as Xeons up to Broadwell-EP; the skylake-sp-6140 preset sets false "
     "(" OPT_MANUAL ")", SC(platform.llc_inclusive), 0},
    {"platform.llc.sf_ways", VIO_PT_U32, "ways", "12", 1, 32, NULL,
     "Snoop-filter entries per LLC set (non-inclusive LLC only); the filter has the LLC's sets and index.",
     "Yan et al., \"Attack Directories, Not Caches: Side Channel Attacks in a Non-Inclusive World\", IEEE S&P "
     "2019: 12-way snoop filter per LLC set on Skylake-SP", SC(platform.llc_sf_ways), 0},
    {"platform.llc.sample_sets", VIO_PT_U32, "1 in N sets", "0", 0, 4096, NULL,
     "Sampled mode: 0 simulates every line exactly; N (a power of two) simulates only the lines of a fixed, "
     "hashed 1 in N of the LLC sets, through private caches N times smaller in sets, and gives every other "
     "access the outcome of a recent simulated access of its class (docs/model.md, \"Sampled mode\"). Faster; "
     "results carry a \"sampling\" key and are estimates.",
     "set sampling: Kessler, Hill and Wood, \"A comparison of trace-sampling techniques for multi-megabyte "
     "caches\", IEEE Trans. Computers 43(6), 1994; off by default", SC(platform.llc_sample_sets), 0},
    {"platform.io_ways", VIO_PT_U32, "ways", "2", 1, 32, NULL,
     "LLC ways that inbound DMA (DDIO) may allocate into; at most platform.llc.ways.",
     "IIO_LLC_WAYS default (2 of 11 ways) on Skylake-SP; Farshin et al., \"Reexamining Direct Cache "
     "Access to Optimize I/O Intensive Applications for Multi-hundred-gigabit Networks\", USENIX ATC 2020",
     SC(platform.io_ways), 0},
    {"platform.io_reuse_ways", VIO_PT_U32, "ways", "0", 0, 31, NULL,
     "Second fixed I/O region: ways just below the DDIO ways into which a device write places a line that a "
     "core has pulled out of the I/O ways (io_ways + io_reuse_ways at most platform.llc.ways); 0: such a "
     "write updates the line in place wherever it is.",
     "off by default (write update in place, Farshin et al., ATC 2020); the skylake-sp-6140 preset sets it: "
     "the region reported by Park et al., \"A4\", ISCA 2025", SC(platform.io_reuse_ways), 0},
    {"platform.dram.latency_ns", VIO_PT_U32, "ns", "90", 1, 10000, NULL, "Idle DRAM access latency.",
     "Intel Memory Latency Checker (MLC) idle latency on Skylake-SP", SC(platform.dram_latency_ns), 0},
    {"platform.dram.bandwidth_mbps", VIO_PT_U32, "Mb/s", "1024000", 1000, U32_MAX_D, NULL,
     "Aggregate DRAM bandwidth.", "6 channels of DDR4-2666 peak: 6 x 2666 MT/s x 64 bit = 1023744, rounded",
     SC(platform.dram_bandwidth_mbps), 0},
    {"platform.pcie.bandwidth_mbps", VIO_PT_U32, "Mb/s", "126032", 1000, U32_MAX_D, NULL,
     "Usable PCIe link rate, one direction.", "PCIe Gen3 x16: 15.754 GB/s, 8 GT/s x 16 lanes x 128/130 encoding (126 030.8 Mb/s, as usually quoted rounded)",
     SC(platform.pcie_bandwidth_mbps), 0},
    {"platform.pcie.latency_ns", VIO_PT_U32, "ns", "250", 0, 100000, NULL,
     "One-way posted write latency, NIC to memory controller.",
     "half the ~500 ns DMA round trip measured by " PCIE_PAPER, SC(platform.pcie_latency_ns), 0},
    {"platform.pcie.tlp_payload", VIO_PT_U32, "bytes", "256", 64, 4096, NULL,
     "Max payload size (MPS) of one TLP.", PCIE_PAPER, SC(platform.pcie_tlp_payload), 0},
    {"platform.pcie.tlp_overhead", VIO_PT_U32, "bytes", "24", 0, 256, NULL,
     "Header, framing and DLLP bytes per TLP.", PCIE_PAPER, SC(platform.pcie_tlp_overhead), 0},
    {"platform.pcie.mrrs", VIO_PT_U32, "bytes", "512", 64, 4096, NULL,
     "Max read request size of the NIC's reads (copy none, forward: reading each packet back); a read never "
     "crosses a 4 KiB boundary.",
     "PCIe Base Specification, Device Control register: Max_Read_Request_Size default 512 B; " PCIE_PAPER,
     SC(platform.pcie_mrrs), 0},
    {"platform.pcie.posted_credits", VIO_PT_U32, "TLPs", "64", 1, 65536, NULL,
     "Posted header credits the root port advertises: inbound writes it holds while the IOMMU translates them. A "
     "write leaves the queue (returning its credit) when translated and after every write ahead of it; with none "
     "left the device cannot send, so page walks that wait for a walker stop the link (IOMMU on only).",
     "estimate: root-port receive buffers are implementation specific (PCIe Base Specification, flow control) "
     "and not published for Skylake-SP; the mechanism is domain-by-domain credit-based flow control (Vuppalapati "
     "et al., \"Understanding the Host Network\", SIGCOMM 2024). With every walker busy the throughput does not "
     "depend on it, only how soon the link stops",
     SC(platform.pcie_posted_credits), 0},
    {"platform.nic.rx_buffer_kib", VIO_PT_U32, "KiB", "512", 1, 65536, NULL,
     "The NIC's on-chip receive packet buffer: a received packet waits there until its DMA has gone onto the "
     "link; an arrival that does not fit is dropped (dropped_at.nic_buffer), as when PCIe back-pressure stops the "
     "link.",
     "estimate: not published for 100 GbE NICs; of the order of the Intel 82599's 512 KB on-die receive packet "
     "buffer (not verified for the modelled ConnectX-5)",
     SC(platform.nic_rx_buffer_kib), 0},
    {"platform.nic.quantum_bytes", VIO_PT_U32, "bytes", "1514", 64, 1048576, NULL,
     "Deficit round-robin credit a receive queue earns per round per unit of weight at the device "
     "(variants[].device_sched drr).",
     "convention: one maximum-size frame, as Linux sch_drr's default quantum (psched_mtu: 1500 + 14); NIC "
     "schedulers' quanta are not published", SC(platform.nic_quantum_bytes), 0},
    {"platform.nic.swq_entries", VIO_PT_U32, "commands", "128", 1, 4096, NULL,
     "Depth of the NIC's shared work queue (variants[].tx_submit enqcmd). The device takes commands off it in "
     "order, each once it has fetched the transmit descriptors the command names; an ENQCMD that finds it full "
     "is answered Retry and the driver issues it again at once (each try a link round trip of the core's time).",
     "Intel DSA 1.0 on Sapphire Rapids, accel-config list: work_queue_size 128 (max_work_queues_size, the device's "
     "WQ entries, shared by up to 8 WQs; here all in one shared WQ, an upper bound); an ENQCMD NIC's depth is not "
     "published", SC(platform.nic_swq_entries), 0},
    {"platform.nic.doorbell_ns", VIO_PT_U32, "ns", "100", 0, 100000, NULL,
     "Core time of a transmit doorbell: the uncached MMIO store that moves a queue pair's transmit tail, before "
     "the core goes on (the store then reaches the device platform.pcie.latency_ns later).",
     "estimate: uncached MMIO writes leave a core 50-300 ns apart (Intel Software Tuning forum, \"Why do MemReq "
     "TLPs take 100s nanoseconds to be generated after MMIO writes?\", 2020); no measurement for the preset",
     SC(platform.nic_doorbell_ns), 0},
    {"platform.nic.read_tags", VIO_PT_U32, "requests", "32", 1, 1024, NULL,
     "Read requests the NIC keeps outstanding (tags); throughput of its reads is at most tags x MRRS / read "
     "latency.",
     "PCIe Base Specification: 32 with 5-bit tags (Extended Tag off); NICs that enable Extended or 10-bit tags "
     "allow more, an estimate per device", SC(platform.nic_read_tags), 0},
    {"platform.nic.ring_entries", VIO_PT_U32, "descriptors", "1024", 2, 65536, NULL,
     "Descriptors per NIC receive queue.", "common NIC driver default (mlx5 rx ring size)",
     SC(platform.nic_ring_entries), 0},
    {"platform.nic.buffer_bytes", VIO_PT_U32, "bytes", "2048", 64, 65536, NULL,
     "Bytes per receive buffer; every packet must fit in one.",
     "Linux drivers' 2 KiB rx buffers for a 1500-byte MTU", SC(platform.nic_buffer_bytes), 0},
    {"platform.nic.queues", VIO_PT_U32, "queues", "0", 0, VIO_MAX_CORES, NULL,
     "NIC receive queues; 0 means one per VM.", "convention", SC(platform.nic_queues), 0},
    {"platform.nic.wire_mbps", VIO_PT_U32, "Mb/s", "100000", 100, U32_MAX_D, NULL,
     "Wire rate; arrivals are never closer than one packet's serialisation time.", "100 GbE",
     SC(platform.nic_wire_mbps), 0},
    {"platform.c2c_cycles", VIO_PT_U32, "cycles", "131", 1, 100000, NULL,
     "Load of a line held in another core's private cache: modified (HITM), or clean and forwarded by that core "
     "when a non-inclusive LLC lacks it. Paid only where the coherence directory says another core holds the line.",
     MLC_SKX_C2C ": 50.3 ns x 2.6 GHz", SC(platform.c2c_cycles), 0},
    {"platform.mlp", VIO_PT_U32, "misses", "10", 1, 64, NULL,
     "Cache misses a core keeps in flight while streaming a buffer (memcpy, packet read).",
     "Skylake L1D has 10-12 line fill buffers; hardware prefetch keeps them busy on sequential copies",
     SC(platform.mlp), 0},
    {"platform.cldemote", VIO_PT_BOOL, "", "false", 0, 1, NULL,
     "The cores implement CLDEMOTE (copy_engine cpu-cldemote needs it; elsewhere the instruction is a NOP).",
     "Intel SDM Vol. 2A, CLDEMOTE (CPUID.(EAX=07H,ECX=0):ECX[25]): first in Tremont and Sapphire Rapids; the "
     "default platform, Skylake-SP, has none", SC(platform.cldemote), 0},
    {"platform.cldemote_cycles", VIO_PT_U32, "cycles", "2", 0, 100000, NULL,
     "Issue cost of one CLDEMOTE on the copying core (the write-back to the LLC itself is asynchronous).",
     "estimate: one store-like uop per line; no published latency or throughput found", SC(platform.cldemote_cycles),
     0},
    {"platform.dma_engine.submit_cycles", VIO_PT_U32, "cycles", "200", 0, 100000000, NULL,
     "Copy engine (copy_engine dma-engine: I/OAT / CBDMA, DSA): the core's cost of one submission: a 64 B "
     "descriptor written to the engine's portal and the doorbell (MOVDIR64B or ENQCMD on DSA, after an SFENCE; an "
     "uncached MMIO write on I/OAT). One per copy with completion spin or interrupt, one per burst with poll-async.",
     "estimate: one posted 64 B MMIO write with its fence from a user-space driver (DPDK drivers/dma/idxd "
     "__submit: _mm_sfence then __idxd_movdir64b)",
     SC(platform.dma_engine_submit_cycles), 0},
    {"platform.dma_engine.desc_cycles", VIO_PT_U32, "cycles", "20", 0, 100000000, NULL,
     "Copy engine, completion poll-async: the core's cost of writing one work descriptor (64 B: flags, source, "
     "destination, size) into the batch's descriptor ring before the burst's single doorbell; a burst of one "
     "submits the work descriptor itself and pays only platform.dma_engine.submit_cycles.",
     "estimate: eight 8-byte stores into a ring line the core keeps in its L1 (DPDK drivers/dma/idxd "
     "__idxd_write_desc)",
     SC(platform.dma_engine_desc_cycles), 0},
    {"platform.dma_engine.latency_ns", VIO_PT_U32, "ns", "1000", 0, 100000000, NULL,
     "Copy engine: time per submission beyond reading the sources and streaming the data (descriptor fetch over "
     "the I/O fabric, address translation, completion-record write): once per copy with completion spin or "
     "interrupt, once per batch with poll-async (the batch's copies are pipelined behind it).",
     "estimate (no published per-descriptor figure at 1.5 KB): a line through the sample table of Intel's DSA "
     "Transparent Offload README (github.com/intel/DTO, 2023: synchronous DSA memcpy 1.19 us at 8-12 KB, 1.26 at "
     "12-16, 1.37 at 16-20, 1.87 at 32-36) crosses zero size at about 0.9 us, submission and wait included; Ji et "
     "al., Para-ksm, USENIX ATC 2025, section 4: at 4 KB a DSA offload is dominated by the core-to-DSA "
     "communication, not the data. The sensitivity analysis varies it (README)",
     SC(platform.dma_engine_latency_ns), 0},
    {"platform.dma_engine.bandwidth_mbps", VIO_PT_U32, "Mb/s", "80000", 1000, U32_MAX_D, NULL,
     "Copy engine: rate at which one engine streams a copy (descriptors are served one after another).",
     "estimate: ~10 GB/s for one I/OAT channel or DSA engine on small copies", SC(platform.dma_engine_bandwidth_mbps),
     0},
    {"platform.dma_engine.ddio", VIO_PT_BOOL, "", "true", 0, 1, NULL,
     "Copy engine: its writes allocate in the LLC's I/O ways as DDIO writes (true) or go to DRAM (false), "
     "whatever the NIC's variants[].dma.",
     "DSA descriptor flag Cache Control (DPDK drivers/dma/idxd sets IDXD_FLAG_CACHE_CONTROL, bit 8, for its "
     "copies); I/OAT follows its own IIO stack's DDIO setting, separate from the NIC's",
     SC(platform.dma_engine_ddio), 0},
    {"platform.dma_engine.completion", VIO_PT_ENUM, "", "\"poll-async\"", 0, 0, "spin|interrupt|poll-async",
     "How the host drives the copy engine. spin: one descriptor per copy, the core spins on its completion record. "
     "interrupt: one descriptor per copy, the core goes on and pays the engine's completion interrupt "
     "(host.irq_cycles) per copy. poll-async (the default): the worker writes one descriptor per copy and rings one "
     "doorbell per turn (a batch descriptor, one completion record per batch); it goes on with other work while the "
     "copies are in flight, stays awake polling the completion record (no interrupt), and at its first turn after "
     "the batch completes writes the used descriptors, notifies the guests and frees the NIC buffers.",
     "DPDK vhost async data path (lib/vhost rte_vhost_async.h: rte_vhost_submit_enqueue_burst, then "
     "rte_vhost_poll_enqueue_completed on the worker's next turn) over dmadev (rte_dma_copy without "
     "RTE_DMA_OP_FLAG_SUBMIT, one rte_dma_submit, rte_dma_completed), as used with DSA by Kuper et al., ASPLOS 2024 "
     "(DPDK Vhost case study); the DSA batch descriptor: DPDK drivers/dma/idxd __submit (idxd_op_batch)",
     SC(platform.dma_engine_completion), 0},
    {"platform.ideal_memory", VIO_PT_BOOL, "", "false", 0, 1, NULL,
     "Every memory access costs nothing and caches keep no state (reduced models, benchmarks).",
     "modelling switch: isolates queueing and fixed costs from the memory hierarchy", SC(platform.ideal_memory), 0},

    /* ---- host ---- */
    {"host.core", VIO_PT_U32, "", "0", 0, VIO_MAX_CORES - 1, NULL,
     "Core that runs the host's receive path (vhost / software switch).", "convention",
     SC(host.core), 0},
    {"host.workers[].core", VIO_PT_U32, "", NULL, 0, VIO_MAX_CORES - 1, NULL,
     "Core of one host worker (a vhost thread pinned to its own core). Absent host.workers: one worker on "
     "host.core.",
     "required", WK(core), 0},
    {"host.workers[].queues", VIO_PT_U32, "", "[]", 0, VIO_MAX_CORES - 1, NULL,
     "NIC receive queues this worker serves, a list; [] on every worker: queue q goes to worker q mod workers. "
     "Listed on one, listed on all, and every queue is served by exactly one worker.",
     "convention: queues spread round-robin, as one vhost worker per virtqueue pair (Linux vhost-net) would",
     WK(queues), VIO_PF_CODE | VIO_PF_LIST},
    {"host.budget", VIO_PT_U32, "packets", "256", 1, 4096, NULL,
     "Packets per turn: a worker serves one of its queues until this many packets (or host.budget_bytes), then "
     "goes on to its next queue with work, round-robin.",
     VHOST_WEIGHT "; VHOST_NET_PKT_WEIGHT = 256 packets, the best of 128..1024 in its PVP test (Linux commit "
     "db688c24eada, \"vhost_net: use packet weight for rx handler, too\", 2018)",
     SC(host.budget), 0},
    {"host.budget_bytes", VIO_PT_U32, "bytes", "524288", 1, 1073741824, NULL,
     "Bytes per turn: a turn ends after the packet that brings its bytes to this (packet sizes; the 12-byte "
     "virtio-net header is not counted).",
     VHOST_WEIGHT "; VHOST_NET_WEIGHT = 0x80000 = 512 KiB", SC(host.budget_bytes), 0},
    {"host.batch_cycles", VIO_PT_U32, "cycles", "200", 0, 100000000, NULL, "Fixed cost of one poll batch.",
     "estimate: read the NIC ring head and refill descriptors once per batch, a few cache misses",
     SC(host.batch_cycles), 0},
    {"host.classify_cycles", VIO_PT_U32, "cycles", "150", 0, 100000000, NULL,
     "Per packet: parse headers and find the destination VM(s).",
     "estimate: header parse plus a hash lookup of a flow table entry in L1, ~100-200 cycles",
     SC(host.classify_cycles), 0},
    {"host.irq_cycles", VIO_PT_U32, "cycles", "1000", 0, 100000000, NULL,
     "Host-side cost of taking the NIC's MSI-X interrupt.",
     "estimate: handler entry/exit plus scheduling the poll, ~0.4 us at 2.6 GHz", SC(host.irq_cycles), 0},
    {"host.notify_cycles", VIO_PT_U32, "cycles", "300", 0, 100000000, NULL,
     "Host-side cost to signal one guest, excluding the injection itself (irq.*).",
     "estimate: an eventfd/doorbell write and its bookkeeping", SC(host.notify_cycles), 0},
    {"host.shared_ring_entries", VIO_PT_U32, "slots", "512", 2, 65536, NULL,
     "Slots of each packet ring the host writes into the LLC (copy \"llc\"; one ring per region, see "
     "variants[].shared_ring); a slot is reused once every destination VM has read it.",
     "estimate: 512 x 2 KiB = 1 MiB per region, a tenth of the default 11 MiB LLC, as US11412059 shares part of "
     "the LLC",
     SC(host.shared_ring_entries), 0},
    {"host.quantum_bytes", VIO_PT_U32, "bytes", "1514", 64, 1048576, NULL,
     "Deficit round-robin credit a queue pair earns per turn per unit of weight (variants[].io_sched drr).",
     "Linux sch_drr: a class's default quantum is psched_mtu(), the device MTU plus its hard header (1500 + 14 "
     "for Ethernet)", SC(host.quantum_bytes), 0},

    /* ---- irq ---- */
    {"irq.exit_entry_cycles", VIO_PT_U32, "cycles", "1559", 0, 100000000, NULL,
     "VM exit + KVM's exit dispatch + VM entry: the round trip every exit pays (its handler's work is extra).",
     KVM_VMCALL, SC(irq.exit_entry_cycles), 0},
    {"irq.poll_cycles", VIO_PT_U32, "cycles", "100", 1, 100000000, NULL,
     "One empty poll of a ring by a spinning core.",
     "estimate: one load of a ring index hitting in cache plus loop overhead", SC(irq.poll_cycles), 0},
    {"irq.inject_cycles", VIO_PT_U32, "cycles", "300", 0, 100000000, NULL,
     "Emulated injection (no APICv): KVM takes the vector from the virtual IRR, updates ISR/PPR and writes the "
     "VM-entry interruption information; paid at the entry after the exit that the kick forced.",
     "estimate: a few hundred cycles of kvm_cpu_get_interrupt + vmx_inject_irq (VMWRITEs); validated only as part "
     "of tscdeadline_immed without APICv (tests/test_vcpu.c)", SC(irq.inject_cycles), 0},
    {"irq.eoi_cycles", VIO_PT_U32, "cycles", "200", 0, 100000000, NULL,
     "Without APICv the guest's EOI is an APIC write that exits: KVM's EOI emulation on top of exit_entry_cycles.",
     "estimate: apic_set_eoi (highest ISR bit, PPR update); validated only as part of tscdeadline_immed",
     SC(irq.eoi_cycles), 0},
    {"irq.pi_deliver_cycles", VIO_PT_U32, "cycles", "100", 0, 100000000, NULL,
     "Posted interrupt into a running vCPU (no exit): the processor clears ON, moves PIR into the virtual IRR and "
     "delivers the vector (Intel SDM vol. 3C 30.6 and 30.2); EOI is virtualized.",
     "estimate: microcode work of posted-interrupt processing, no published figure found", SC(irq.pi_deliver_cycles), 0},
    {"irq.pi_post_cycles", VIO_PT_U32, "cycles", "50", 0, 100000000, NULL,
     "Sender's locked update of the pending state: PIR bit and ON of the posted-interrupt descriptor, or the "
     "virtual APIC's IRR bit without APICv; the line also costs a cache-to-cache transfer (platform.c2c_cycles), "
     "as the target last wrote it.", "estimate: one or two locked read-modify-writes of one line",
     SC(irq.pi_post_cycles), 0},
    {"irq.ipi_send_cycles", VIO_PT_U32, "cycles", "150", 0, 100000000, NULL,
     "Sender's ICR write of a notification or kick IPI (x2APIC WRMSR in root mode), or the wake-up of a sleeping "
     "vCPU thread.", "estimate", SC(irq.ipi_send_cycles), 0},
    {"irq.ipi_latency_ns", VIO_PT_U32, "ns", "500", 0, 1000000, NULL,
     "From the ICR write until the target core takes the IPI.", "estimate: IPI flight on one socket's mesh",
     SC(irq.ipi_latency_ns), 0},
    {"irq.wake_ns", VIO_PT_U32, "ns", "6000", 0, 100000000, NULL,
     "Extra latency of waking a vCPU whose thread sleeps (polling window over) instead of catching the event "
     "while halt polling: scheduler wake-up, context switch, VMCS reload.",
     "midpoint of the 5-7 us that halt polling saves, Linux commit aca6ff29c406 (KVM: dynamic halt-polling, "
     "virt/kvm/kvm_main.c, 2015); docs.kernel.org virt/kvm/halt-polling: \"a few micro-seconds\"",
     SC(irq.wake_ns), 0},
    {"irq.kick_cycles", VIO_PT_U32, "cycles", "500", 0, 100000000, NULL,
     "A virtio kick or the copy-on-fetch doorbell: KVM's ioeventfd matches the written address and signals the "
     "eventfd (waking the host worker), on top of the exit's exit_entry_cycles.",
     "estimate: MMIO/PIO decode on the fast path plus eventfd_signal", SC(irq.kick_cycles), 0},
    {"irq.halt_poll_ns", VIO_PT_U64, "ns", "200000", 0, 1e10, NULL,
     "KVM's halt_poll_ns: the largest window a halted vCPU polls for a wake-up in root mode before sleeping "
     "(0: no polling).", "KVM_HALT_POLL_NS_DEFAULT, arch/x86/include/asm/kvm_host.h", SC(irq.halt_poll_ns), 0},
    {"irq.halt_poll_grow_start_ns", VIO_PT_U64, "ns", "10000", 0, 1e10, NULL,
     "First window after growing from 0 (halt_poll_ns_grow_start).", KVM_MAIN_C, SC(irq.halt_poll_grow_start_ns), 0},
    {"irq.halt_poll_grow", VIO_PT_U32, "", "2", 0, 1000, NULL,
     "Window multiplier after a short halt that outlasted the window (halt_poll_ns_grow; 0: never grow).",
     KVM_MAIN_C, SC(irq.halt_poll_grow), 0},
    {"irq.halt_poll_shrink", VIO_PT_U32, "", "2", 0, 1000, NULL,
     "Window divisor after a halt longer than halt_poll_ns (halt_poll_ns_shrink; 0: reset to 0).",
     KVM_MAIN_C " (Linux 6.x default)", SC(irq.halt_poll_shrink), 0},
    {"irq.guest_halt_poll_ns", VIO_PT_U64, "ns", "0", 0, 1e10, NULL,
     "The guest's own idle polling before it executes HLT (Linux cpuidle-haltpoll): the vCPU stays in guest "
     "mode, so a posted interrupt then needs no exit at all; the core spins meanwhile.",
     "off: cpuidle-haltpoll is a guest opt-in (drivers/cpuidle/cpuidle-haltpoll.c; its guest_halt_poll_ns is "
     "200000 when loaded)", SC(irq.guest_halt_poll_ns), 0},

    /* ---- vms[] ---- */
    {"vms[].core", VIO_PT_U32, "", NULL, 0, VIO_MAX_CORES - 1, NULL,
     "Core the VM's vCPU is pinned to; distinct per VM and not the host core.", "required", VM(core), 0},
    {"vms[].ring_entries", VIO_PT_U32, "descriptors", "256", 2, 65536, NULL,
     "Guest receive ring (virtio rx queue) size.", "virtio-net default rx queue size in QEMU",
     VM(ring_entries), 0},
    {"vms[].budget", VIO_PT_U32, "packets", "64", 1, 4096, NULL, "Guest NAPI budget per poll.", NAPI,
     VM(budget), 0},
    {"vms[].process_cycles", VIO_PT_U32, "cycles", "1000", 0, 100000000, NULL,
     "Guest work per packet after reading it.",
     "estimate: guest protocol processing up to a socket enqueue, ~0.4 us at 2.6 GHz", VM(process_cycles), 0},
    {"vms[].service", VIO_PT_ENUM, "", "\"fixed\"", 0, 0, "fixed|exponential",
     "Per-packet work: every packet costs process_cycles, or an exponential draw of that mean (from the VM's own "
     "stream seeded from the scenario seed), e.g. to check the model against M/M/1.",
     "modelling choice: fixed work per packet; exponential is the textbook M/M/1 service (Kleinrock, "
     "Queueing Systems vol. 1, 1975, Sec. 3.2)", VM(service), 0},
    {"vms[].irq_cycles", VIO_PT_U32, "cycles", "500", 0, 100000000, NULL,
     "Guest interrupt handler entry/exit.",
     "estimate: guest-side handler and NAPI schedule only; exits and injection are in irq.*",
     VM(irq_cycles), 0},
    {"vms[].fetch_cycles", VIO_PT_U32, "cycles", "300", 0, 100000000, NULL,
     "Copy on fetch (copy \"llc-on-fetch\"): guest cost of issuing the fetch command (a doorbell to the host).",
     "estimate: one posted MMIO/doorbell write plus bookkeeping, comparable to host.notify_cycles",
     VM(fetch_cycles), 0},
    {"vms[].fetch_batch", VIO_PT_U32, "packets", "64", 1, 4096, NULL,
     "Copy on fetch: the most packets one fetch command names. A guest that finds its head packet not yet in the "
     "LLC names it and the packets behind it whose descriptors it can see (up to what is left of its NAPI budget, "
     "all handled by the same host worker), rings one doorbell and waits until all of them are copied; 1 is one "
     "command and one round trip per packet.",
     "estimate: a NAPI budget's worth, as one virtio notification covers every buffer made available before it (virtio "
     "1.1, 2.6.13 'Supplying Buffers to The Device': the driver may add several buffers, then notify once)",
     VM(fetch_batch), 0},
    {"vms[].kind", VIO_PT_ENUM, "", "\"vm\"", 0, 0, "vm|process",
     "What consumes this receive queue: a VM (its vCPU's interrupts and exits as irq.*), or a plain process on "
     "bare metal (DPDK; needs copy none on every variant): no exits, a native interrupt (host.irq_cycles, and "
     "irq.wake_ns as the thread sleeps in epoll) or polling.",
     "baseline: a VM", VM(kind), 0},
    {"vms[].touch_bytes", VIO_PT_U32, "bytes", "0", 0, 9216, NULL,
     "Bytes of each packet the consumer reads after its descriptor (0: the whole packet); a forwarder that "
     "looks at headers only touches 64 (one line).",
     "convention: the whole packet, as a receiver that consumes its payload", VM(touch_bytes), 0},
    {"vms[].forward", VIO_PT_BOOL, "", "false", 0, 1, NULL,
     "Copy none only: the consumer sends each packet back out of the NIC (a forwarder): it writes a transmit "
     "descriptor, rings the doorbell once per batch, the NIC reads the buffer back over PCIe (non-allocating "
     "reads) and the receive slot is released when that read completes.",
     "baseline: a receiver", VM(forward), 0},
    {"vms[].mempool", VIO_PT_BOOL, "", "false", 0, 1, NULL,
     "Copy none only: the receive buffers come from a DPDK rte_mempool with a per-lcore cache and recycle "
     "(a slot gets a fresh buffer when the consumer takes its packet; a forwarded buffer returns to the cache "
     "when its transmit completion is seen) instead of one buffer fixed per slot; needs iommu off and no tenants.",
     "baseline: one buffer per slot (as a kernel driver's ring); true is what DPDK's PMDs do (mlx5_rx_burst "
     "replaces each mbuf with rte_mbuf_raw_alloc)", VM(mempool), 0},
    {"vms[].mempool_buffers", VIO_PT_U32, "buffers", "65536", 64, 16777216, NULL,
     "vms[].mempool: objects in the pool (each 2368 B for a 2048 B data room: header, struct rte_mbuf, "
     "headroom, data).",
     "FastClick DPDKDevice::DEFAULT_NB_MBUF 65536 (lib/dpdkdevice.cc), the ddio-bench testbed's forwarder",
     VM(mempool_buffers), 0},
    {"vms[].mempool_cache", VIO_PT_U32, "buffers", "256", 1, 512, NULL,
     "vms[].mempool: per-lcore cache size (flushed above 1.5 x this, refilled from the ring when empty).",
     "FastClick DPDKDevice::MBUF_CACHE_SIZE 256 (lib/dpdkdevice.cc); DPDK RTE_MEMPOOL_CACHE_MAX_SIZE 512",
     VM(mempool_cache), 0},
    {"vms[].tx_ring_entries", VIO_PT_U32, "descriptors", "256", 2, 65536, NULL,
     "vms[].mempool with forward: transmit descriptors; a forwarded buffer is held until its completion, and a "
     "full ring makes the forwarder wait.",
     "FastClick DPDKDevice::DEF_DEV_TXDESC 256 (ToDPDKDevice without NDESC, as in ddio-bench's L2 forwarder)",
     VM(tx_ring_entries), 0},
    {"vms[].tx_queue", VIO_PT_U32, "packets", "0", 0, 1048576, NULL,
     "vms[].mempool with forward: a software queue in front of the transmit ring (FastClick ToDPDKDevice "
     "IQUEUE): forwarded buffers wait there while the ring is full; the forwarder waits once both are full.",
     "baseline: none (a DPDK application calling rte_eth_tx_burst directly); ddio-bench's forwarder sets "
     "IQUEUE 1024 (experiments/*/*.testie: ToDPDKDevice(0, IQUEUE 1024, BLOCKING true, BURST 32))",
     VM(tx_queue), 0},
    {"vms[].tx_free_batch", VIO_PT_U32, "descriptors", "32", 1, 4096, NULL,
     "vms[].mempool with forward: the NIC reports transmit completions every this many descriptors; the "
     "buffers are freed, in order, when the consumer next sees one.",
     "DPDK mlx5 MLX5_TX_COMP_THRESH 32 (drivers/net/mlx5/mlx5_defs.h)", VM(tx_free_batch), 0},
    {"vms[].tx_completion", VIO_PT_ENUM, "", "\"auto\"", 0, 0, "auto|kernel|reap",
     "How a forwarder's driver learns of transmit completions. kernel: where the variant's notify takes "
     "interrupts, the write-back is followed by MSI-X on the queue pair's vector (shared with receive), whose "
     "handler the core pays when the interrupt finds it idle; where it spins, the driver checks the write-backs "
     "every irq.poll_cycles. reap: no interrupt, the driver sees what has been written back when it next "
     "transmits (DPDK's rte_eth_tx_burst); the TX latency then ends at that burst. auto: reap for a process, "
     "kernel for a VM.",
     "Linux drivers (i40e, ice, mlx5) clean transmit completions in the NAPI poll their combined RX/TX vector "
     "schedules; DPDK PMDs set no transmit interrupt and free descriptors in tx_burst (e.g. "
     "drivers/net/i40e/i40e_rxtx.c i40e_tx_free_bufs)", VM(tx_completion), 0},

    /* ---- traffic ---- */
    {"traffic.packets", VIO_PT_U64, "packets", "100000", 1, 1e10, NULL, "Total packets offered across flows.",
     "estimate: enough for stable percentiles, short enough for a test run", SC(traffic.packets), 0},
    {"traffic.warmup_packets", VIO_PT_U64, "packets", "0", 0, 1e10, NULL,
     "The first arrivals left out of every statistic (counters, histograms, hit rates, throughput); less than "
     "traffic.packets. Counters of the NIC's work are split exactly at the first measured arrival, those of the "
     "cores from that moment on.",
     "convention: none, every packet measured; set it so that rings and caches reach steady state "
     "(results' steady_state tells)", SC(traffic.warmup_packets), 0},
    {"traffic.steady_hit_pp", VIO_PT_DOUBLE, "points", "2", 0, 100, NULL,
     "Steady-state check: the DMA write hit rates of the two halves of the measured packets may differ by this "
     "many percentage points before results warn.",
     "convention: a fifth of the 10-point tolerance of the DDIO validation targets (issue 9), so a run that "
     "drifts more cannot support a figure within them", SC(traffic.steady_hit_pp), 0},
    {"traffic.steady_latency_pct", VIO_PT_DOUBLE, "%", "10", 0, 10000, NULL,
     "Steady-state check: the mean latencies of the two halves may differ by this percentage of the smaller "
     "before results warn.",
     "convention: 10 %, above the sampling noise of a half's mean over a few thousand Poisson arrivals at "
     "moderate load, well below a queue that keeps growing", SC(traffic.steady_latency_pct), 0},
    {"traffic.load", VIO_PT_DOUBLE, "", "1.0", 0, 100, NULL, "Multiplies every flow's rate (load sweeps).",
     "convention", SC(traffic.load), VIO_PF_MIN_EXCLUSIVE},
    {"traffic.replay_threads", VIO_PT_U32, "threads", "0", 0, 64, NULL,
     "0: every flow is its own source (flows[].arrival). N > 0: the arrivals are a paced trace replayed by N "
     "generator threads in step, as ddio-bench's pkt-rate experiment sends them: each record of the trace "
     "belongs to a flow drawn at random in proportion to the flows' packet rates, records are evenly spaced "
     "(the sum of the flows' rates over the N threads), and every record is sent by each of the N threads at "
     "the same instant, so N packets of one flow go back to back onto the wire; flows[].arrival is then unused.",
     "ddio-bench experiments/pkt-rate/ddio-pkt-rate.testie (GEN_THREADS 4, each a FastClick ReplayUnqueue of "
     "the same pcap) and ddio-pcap-gen.testie (the pcap: FastUDPFlows at 100000 packets/s, a random flow of "
     "4096 per packet, stamped evenly by GapRate); FastClick elements/analysis/replay.cc (5e06e18): a packet "
     "is sent once the elapsed time x TIMING / 100 reaches its offset in the trace. The threads' lags (their "
     "handler-by-handler start) are not known: 0, the most bunched case, is an upper bound on the bursts",
     SC(traffic.replay_threads), 0},
    {"traffic.flows[].dst", VIO_PT_U32, "", NULL, 0, VIO_MAX_VMS - 1, "broadcast",
     "Destination: a VM index, a list of distinct VM indices (multicast) or \"broadcast\" (all VMs).",
     "required", FL(dst), VIO_PF_CODE | VIO_PF_LIST},
    {"traffic.flows[].arrival", VIO_PT_ENUM, "", "\"poisson\"", 0, 0, "constant|poisson",
     "Inter-arrival process: fixed gaps or exponential gaps.",
     "modelling choice: Poisson arrivals, the usual open-loop traffic model", FL(arrival), 0},
    {"traffic.flows[].rate_gbps", VIO_PT_DOUBLE, "Gb/s", NULL, 0, 10000, NULL,
     "Offered rate in bits; give exactly one of rate_gbps and rate_pps.", "required (one of)",
     FL(rate_gbps), VIO_PF_MIN_EXCLUSIVE | VIO_PF_ONE_OF},
    {"traffic.flows[].rate_pps", VIO_PT_DOUBLE, "packets/s", NULL, 0, 1e11, NULL,
     "Offered rate in packets; give exactly one of rate_gbps and rate_pps.", "required (one of)",
     FL(rate_pps), VIO_PF_MIN_EXCLUSIVE | VIO_PF_ONE_OF},
    {"traffic.flows[].size", VIO_PT_U32, "bytes", "1500", 64, 9216, NULL,
     "Fixed packet size; not with size_mix. Must fit in platform.nic.buffer_bytes.", "1500-byte Ethernet MTU",
     FL(sizes[0].bytes), VIO_PF_CODE},
    {"traffic.flows[].size_mix[].bytes", VIO_PT_U32, "bytes", NULL, 64, 9216, NULL,
     "One packet size of a mix (up to 16 entries); not with size.", "required", SW(bytes), 0},
    {"traffic.flows[].size_mix[].weight", VIO_PT_DOUBLE, "", NULL, 0, 1e9, NULL,
     "Relative frequency of this size; weights need not sum to 1.", "required", SW(weight),
     VIO_PF_MIN_EXCLUSIVE},

    /* ---- variants[] ---- */
    {"variants[].name", VIO_PT_STRING, "", NULL, 1, VIO_NAME_MAX - 1, NULL,
     "Variant name, unique within the scenario.", "required", VA(name), 0},
    {"variants[].dma", VIO_PT_ENUM, "", "\"dram\"", 0, 0, VIO_AXIS_CHOICES("dma"),
     "Where inbound DMA lands: DRAM, or the LLC's I/O ways (DDIO).",
     "baseline of the design: the NIC writes to DRAM and the host copies (DDIO, on by default on Xeon since Sandy Bridge-EP, is the \"ddio\" variant)", VA(dma), 0},
    {"variants[].copy", VIO_PT_ENUM, "", "\"guest\"", 0, 0, VIO_AXIS_CHOICES("copy"),
     "How the host hands a packet to the guests: a copy into each guest's buffer, or one copy into a ring in "
     "the LLC shared with the VMs (US11412059), eager or on the guest's fetch; or none: direct delivery, the NIC DMAs into the "
     "consumer's own ring (SR-IOV VF, SIOV, bare-metal DPDK), no host work; `viosim list` gives each.",
     "baseline: vhost copies into each guest's buffer", VA(copy), 0},
    {"variants[].notify", VIO_PT_ENUM, "", "\"exit\"", 0, 0, VIO_AXIS_CHOICES("notify"),
     "How an idle guest learns of a packet: an interrupt (emulated through a VM exit, or posted) or spinning on "
     "its ring; `viosim list` gives each.",
     "baseline: KVM without posted interrupts", VA(notify), 0},
    {"variants[].coalesce_packets", VIO_PT_U32, "packets", "1", 0, 65536, NULL,
     "Interrupt after this many pending packets (0 or 1: every packet).", "baseline: no coalescing",
     VA(coalesce_packets), 0},
    {"variants[].coalesce_ns", VIO_PT_U32, "ns", "0", 0, 1000000000, NULL,
     "... or this long after the first pending packet (0: off).", "baseline: no coalescing",
     VA(coalesce_ns), 0},
    {"variants[].host_poll", VIO_PT_BOOL, "", "false", 0, 1, NULL,
     "The host polls the NIC instead of taking its interrupt.", "baseline: interrupt-driven host",
     VA(host_poll), 0},
    {"variants[].iommu", VIO_PT_ENUM, "", "\"off\"", 0, 0, VIO_AXIS_CHOICES("iommu"),
     "PASID-tagged inbound DMA through the IOMMU (US10310974), with the tenants' buffers mapped in 4 KiB or "
     "2 MiB pages; off: the device writes physical addresses untranslated.",
     "baseline of the design: no IOMMU on the receive path", VA(iommu), 0},
    {"variants[].io_control", VIO_PT_ENUM, "", "\"none\"", 0, 0, VIO_AXIS_CHOICES("io_control"),
     "I/O resource control per queue pair (US10310974): rate-limit polices each tenant's queue pair at the device "
     "with its token bucket (tenants[].rate_mbps, burst_bytes) and drops what does not conform.",
     "baseline: no control", VA(io_control), 0},
    {"variants[].io_sched", VIO_PT_ENUM, "", "\"vhost\"", 0, 0, VIO_AXIS_CHOICES("io_sched"),
     "The order each host worker serves its queue pairs in (US10310974 resource control), one queue per turn in "
     "rotation: vhost takes up to host.budget packets / host.budget_bytes per turn; rr one packet, wrr "
     "tenants[].weight packets, drr tenants[].weight x host.quantum_bytes bytes of credit (`viosim list`).",
     "baseline: vhost-net's worker (drivers/vhost/net.c weights)", VA(io_sched), 0},
    {"variants[].device_sched", VIO_PT_ENUM, "", "\"fifo\"", 0, 0, VIO_AXIS_CHOICES("device_sched"),
     "How the NIC's receive DMA engine shares the link among its queues (US10310974 resource control at the "
     "device): fifo DMAs in arrival order from one shared receive buffer; rr, wrr and drr split the buffer evenly "
     "among the queues and pick the next queue to DMA from with that policy (tenants[].weight; drr: weight x "
     "platform.nic.quantum_bytes bytes per round). It matters when the link is slower than the arrivals.",
     "baseline: arrival order", VA(device_sched), 0},
    {"variants[].shared_ring", VIO_PT_ENUM, "", "\"per-vm\"", 0, 0, VIO_AXIS_CHOICES("shared_ring"),
     "The LLC ring of copy llc / llc-on-fetch: per-vm gives each VM its own region shared only with the host "
     "(host.shared_ring_entries slots each), and each multicast destination set one region mapped read-only into "
     "exactly its members; global is one region mapped into every VM, so any VM can read any slot.",
     "US11412059: the LLC portion is shared by the host and each VM", VA(shared_ring), 0},
    {"variants[].tx_submit", VIO_PT_ENUM, "", "\"doorbell\"", 0, 0, "doorbell|enqcmd",
     "How a forwarding consumer hands a batch of transmits to the NIC: a store to its queue pair's doorbell page "
     "(posted; the PASID is the queue's, from its context), or ENQCMD of a 64 B command to the NIC's shared work "
     "queue (non-posted: the core waits a link round trip; the CPU fills the PASID from the thread's "
     "IA32_PASID MSR). Both cost platform.nic.doorbell_ns of issue.",
     "Intel SDM vol. 2 (ENQCMD); Intel Scalable I/O Virtualization specification (per-queue portals)",
     VA(tx_submit), 0},
    {"variants[].cat", VIO_PT_BOOL, "", "false", 0, 1, NULL,
     "Per-tenant LLC way masks (Intel Cache Allocation Technology): each tenant's VM core fills only the LLC "
     "ways of its tenants[].cat_ways.",
     "baseline: no cache partitioning", VA(cat), 0},

    {"variants[].copy_engine", VIO_PT_ENUM, "", "\"auto\"", 0, 0, VIO_AXIS_CHOICES("copy_engine"),
     "The primitive of the host's copies (ordinary stores, + CLDEMOTE, non-temporal stores, a copy engine, or "
     "the idealised LLC store, an UPPER BOUND); auto: cpu for copy guest, dma-engine for the shared LLC ring. "
     "`viosim list` gives each.",
     "modelling choice: vhost copies with memcpy; on Skylake-SP the only real way to put a copy in the LLC is a "
     "copy engine writing through DDIO (CLDEMOTE arrives with Sapphire Rapids, NT stores go to DRAM)",
     VA(copy_engine), 0},

    /* ---- iommu ---- */
    {"iommu.iotlb_entries", VIO_PT_U32, "entries", "64", 1, 65536, NULL, "IOTLB entries.", PCIE_BENCH,
     SC(iommu.iotlb_entries), 0},
    {"iommu.iotlb_ways", VIO_PT_U32, "ways", "32", 1, 32, NULL,
     "IOTLB associativity (at most 32, the replacement-policy limit; must divide iotlb_entries).",
     "not documented by Intel; 2 x 32 ways indexed by page xor tag keep 64 consecutive pages, as pcie-bench's "
     "sharp wall needs", SC(iommu.iotlb_ways), 0},
    {"iommu.iotlb_hit_ns", VIO_PT_U32, "ns", "5", 0, 100000, NULL, "IOMMU lookup paid by every translated request.",
     "assumption: pcie-bench saw no measurable cost within the IOTLB's reach", SC(iommu.iotlb_hit_ns), 0},
    {"iommu.walk_overhead_ns", VIO_PT_U32, "ns", "100", 0, 1000000, NULL,
     "Fixed cost of an IOTLB miss on top of the page-walk reads (which go through the cache model).",
     "estimate: pcie-bench puts a whole miss near 225 ns; Amit et al., WIOSCA 2010: a miss is a dependent walk",
     SC(iommu.walk_overhead_ns), 0},
    {"iommu.walkers", VIO_PT_U32, "walks", "4", 1, 1024, NULL,
     "Page walks the IOMMU resolves at once; a miss that finds all busy waits for one.",
     "estimate: not documented by Intel", SC(iommu.walkers), 0},
    {"iommu.psc_entries", VIO_PT_U32, "entries", "32", 0, 65536, NULL,
     "Paging-structure cache entries per level (PML4E, PDPTE, PDE; VT-d sec. 6.2); 0 = none.",
     "estimate: implementation specific, not documented", SC(iommu.psc_entries), 0},
    {"iommu.devtlb_entries", VIO_PT_U32, "entries", "0", 0, 65536, NULL,
     "Device-side translation cache (PCIe ATS); 0 = off.", "off: translate every request in the IOMMU",
     SC(iommu.devtlb_entries), 0},
    {"iommu.ats_rtt_ns", VIO_PT_U32, "ns", "546", 0, 1000000, NULL,
     "ATS translation request + completion round trip, paid on a device-TLB miss on top of the IOMMU's translation.",
     "estimate (upper bound): pcie-bench 64 B DMA read latency, median 546 ns, Xeon E5-2620v3 (pcie-bench/data)",
     SC(iommu.ats_rtt_ns), 0},
    {"iommu.fault_log", VIO_PT_U32, "records", "8", 1, 256, NULL,
     "Fault recording registers; faults beyond them are counted as overflow.",
     "assumption: VT-d CAP_REG.NFR is implementation-defined (1..256)", SC(iommu.fault_log), 0},

    /* ---- tenants ---- */
    {"tenants[].vm", VIO_PT_U32, "", NULL, 0, VIO_MAX_VMS - 1, NULL,
     "VM (index into vms) whose received traffic this tenant owns; its queue pair is that VM's NIC queue.",
     "required", TN(vm), 0},
    {"tenants[].tag", VIO_PT_U32, "", NULL, 0, 2147483647.0, NULL, "Tag ID naming the tenant's queue pair.",
     "required", TN(tag), 0},
    {"tenants[].pasid", VIO_PT_U32, "", NULL, 1, 1048575, NULL, "20-bit PASID the host maps the Tag ID to.",
     "required (PASID 0 is left for requests without a PASID, as VT-d's RID_PASID)", TN(pasid), 0},
    {"tenants[].adversary", VIO_PT_ENUM, "", "\"none\"", 0, 0, VIO_AXIS_CHOICES("adversary"),
     "How this tenant misbehaves: descriptors pointing at the victim's buffers, the victim's Tag ID, asking for the victim's "
     "PASID programmed into the device, DMA without a PASID, or its guest reading the victim's latest slot of the "
     "shared LLC ring (copy llc / llc-on-fetch; with copy guest, the victim's guest buffer).",
     "well-behaved by default", TN(adversary), 0},
    {"tenants[].victim", VIO_PT_U32, "", "0", 0, VIO_MAX_VMS - 1, NULL, "VM index of the tenant it attacks.",
     "convention", TN(victim), 0},
    {"tenants[].attack_every", VIO_PT_U32, "descriptors", "1", 1, 1000000, NULL,
     "One malicious descriptor every N of the adversary's (or the victim's, for foreign-tag).",
     "convention: every one", TN(attack_every), 0},
    {"tenants[].name", VIO_PT_STRING, "", "\"\"", 0, VIO_NAME_MAX - 1, NULL,
     "Name carried into the tenant's results; empty: vm<N>.", "convention", TN(name), 0},
    {"tenants[].rate_mbps", VIO_PT_U32, "Mb/s", "0", 0, 4000000000.0, NULL,
     "Ingress rate limit of the tenant's queue pair under io_control rate-limit (0: none).",
     "convention: unlimited", TN(rate_mbps), 0},
    {"tenants[].burst_bytes", VIO_PT_U32, "bytes", "18432", 9216, 2147483647.0, NULL,
     "Token-bucket depth of that limit; at least one 9216-byte jumbo frame so every frame can conform.",
     "estimate: two jumbo frames", TN(burst_bytes), 0},
    {"tenants[].weight", VIO_PT_U32, "", "1", 1, 1000, NULL,
     "Share of the host's service its queue pair gets under io_sched wrr (packets per turn) or drr "
     "(weight x host.quantum_bytes bytes per turn).",
     "convention: equal shares", TN(weight), 0},
    {"tenants[].cat_ways", VIO_PT_U32, "", "0", 0, 4294967295.0, NULL,
     "Capacity bitmask of the LLC ways its VM's core may allocate into under variants[].cat (bit w: way w; "
     "contiguous and within platform.llc.ways, as Intel CAT requires); 0: every way. The DDIO ways are the top "
     "platform.io_ways.",
     "convention: no partition", TN(cat_ways), 0},

    {NULL, VIO_PT_U32, NULL, NULL, 0, 0, NULL, NULL, NULL, 0, 0},
};

/* Integer bounds are stored as doubles; 2^63 stands for INT64_MAX. */
static long long vio__int_bound_(double d) { return d >= 9223372036854775807.0 ? LLONG_MAX : (long long)d; }

const vio_param *vio_params_table(void) { return rows; }

const vio_axis *vio_param_axis(const vio_param *p)
{
    if (!p || p->type != VIO_PT_ENUM || !p->choices || p->choices[0] != '@')
        return NULL;
    for (const vio_axis *const *a = vio_axes(); *a; a++)
        if (strcmp((*a)->key, p->choices + 1) == 0)
            return *a;
    return NULL;
}

const vio_param *vio_params_find(const char *path)
{
    for (const vio_param *p = rows; path && p->path; p++)
        if (strcmp(p->path, path) == 0)
            return p;
    return NULL;
}

/* %g, with more digits when needed to read back as exactly `d`: a bound prints
 * as the loader compares it (100, 1e+11, 0.5, 4294967295). */
static void put_double(char *buf, size_t cap, double d)
{
    for (int prec = 6; prec <= 17; prec++) {
        snprintf(buf, cap, "%.*g", prec, d);
        if (strtod(buf, NULL) == d)
            return;
    }
}

const char *vio_param_range(const vio_param *p, char *buf, size_t cap)
{
    char lo[40], hi[40];
    buf[0] = '\0';
    switch (p->type) {
    case VIO_PT_U32:
    case VIO_PT_U64:
        snprintf(buf, cap, "%lld..%lld", vio__int_bound_(p->min), vio__int_bound_(p->max));
        break;
    case VIO_PT_DOUBLE:
        put_double(lo, sizeof lo, p->min);
        put_double(hi, sizeof hi, p->max);
        snprintf(buf, cap, "%s%s, %s]", (p->flags & VIO_PF_MIN_EXCLUSIVE) ? "(" : "[", lo, hi);
        break;
    case VIO_PT_STRING:
        snprintf(buf, cap, "%lld..%lld bytes", vio__int_bound_(p->min), vio__int_bound_(p->max));
        break;
    case VIO_PT_BOOL:
        snprintf(buf, cap, "true|false");
        break;
    case VIO_PT_ENUM:
        if (vio_param_axis(p))
            vio_axis_join(vio_param_axis(p), "|", buf, cap);
        else
            snprintf(buf, cap, "%s", p->choices ? p->choices : "");
        break;
    }
    return buf;
}

/* ---- Markdown rendering ---- */

typedef struct sbuf {
    char *s;
    size_t len, cap;
    int oom;
} sbuf;

static void put(sbuf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static void put(sbuf *b, const char *fmt, ...)
{
    if (b->oom)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->oom = 1;
            return;
        }
        if (b->s && (size_t)n < b->cap - b->len) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = b->cap ? b->cap : 4096;
        while (cap - b->len <= (size_t)n)
            cap *= 2;
        char *s = realloc(b->s, cap);
        if (!s) {
            b->oom = 1;
            return;
        }
        b->s = s;
        b->cap = cap;
    }
}

/* Table cells: '|' would end the cell, so escape it. */
static void put_cell(sbuf *b, const char *text)
{
    for (const char *p = text ? text : ""; *p; p++)
        put(b, *p == '|' ? "\\|" : "%c", *p);
}

static const char *type_name(const vio_param *p)
{
    switch (p->type) {
    case VIO_PT_U32:
    case VIO_PT_U64:
        return "integer";
    case VIO_PT_DOUBLE:
        return "number";
    case VIO_PT_BOOL:
        return "boolean";
    case VIO_PT_ENUM:
        return "string (enum)";
    case VIO_PT_STRING:
        return "string";
    }
    return "?";
}


static void put_range(sbuf *b, const vio_param *p)
{
    const vio_axis *a = vio_param_axis(p);
    if (a) { /* the registered rows, in table order */
        for (size_t i = 0; i < a->count; i++)
            put(b, "`%s`%s", vio_axis_name(a, i), i + 1 < a->count ? ", " : "");
        return;
    }
    if (p->choices) {
        const char *c = p->choices;
        if (p->flags & VIO_PF_LIST)
            put(b, "%lld..%lld (VM index), or ", vio__int_bound_(p->min), vio__int_bound_(p->max));
        while (*c) {
            size_t n = strcspn(c, "|");
            put(b, "`%.*s`%s", (int)n, c, c[n] ? ", " : "");
            c += n + (c[n] ? 1 : 0);
        }
        return;
    }
    char range[96];
    if (p->type == VIO_PT_BOOL)
        put(b, "`true`, `false`");
    else
        put_cell(b, vio_param_range(p, range, sizeof range));
}

/* Section of a row: its first path component without "[]"; top-level scalars form "scenario". */
static size_t section_of(const char *path, const char **name)
{
    size_t n = strcspn(path, ".[");
    if (path[n] == '\0') {
        *name = "scenario";
        return 8;
    }
    *name = path;
    return n;
}

static const struct {
    const char *name;
    const char *intro;
} sections[] = {
    {"scenario", "Top-level keys: `name`, `seed`, `platform`, `host`, `irq`, `vms`, `traffic`, `variants`, "
                 "`iommu`, `tenants`. "
                 "Any other key is an error."},
    {"platform", "The machine: cores, cache hierarchy, DRAM, PCIe link and NIC. Cache sizes must divide "
                 "into whole sets: `size_kib` x 1024 must be a multiple of `ways` x 64 B."},
    {"host", "The host's receive path (vhost or a software switch): one worker on `host.core`, or the "
             "workers of the optional array `host.workers` (1..64), each on its own core, each serving some NIC "
             "queues. The costs below apply to every worker."},
    {"irq", "Interrupt-path costs shared by every variant."},
    {"vms", "Required array of 1..1023 objects, one per VM; `dst` indices refer to positions in it."},
    {"traffic", "`traffic.flows` is a required array of 1..4096 flows. Each flow has a `dst`, exactly one "
                "of `rate_gbps` / `rate_pps`, and either `size` or `size_mix` (1..16 entries). All flows "
                "together offer `packets` packets."},
    {"variants", "Optional array of 1..32 delivery strategies, all fed the same arrival sequence. Absent: "
                 "one variant `{\"name\": \"baseline\"}` with the defaults below. Coalescing more than one "
                 "packet needs a timeout (`coalesce_ns` > 0)."},
    {"iommu", "The IOMMU used by variants whose `iommu` is `4k` or `2m` (PASID-tagged I/O, US10310974). "
              "Page walks read the page tables through the cache model."},
    {"tenants", "Optional array: one tenant per VM, each with a Tag ID (its queue pair is its VM's NIC "
                "queue) and a PASID, both unique. Absent: tenant v has tag v and PASID 0x100+v, all "
                "well-behaved. With the IOMMU on, `platform.nic.queues` must be 0 and flows unicast."},
};

int vio_params_markdown(char **out, vio_err *err)
{
    sbuf b = {0};
    *out = NULL;
    put(&b, "# Scenario reference\n\n"
            "Generated from the parameter table (`vio_params_table()`, lib/src/scenario/params.c); do not edit "
            "by hand.\n\n"
            "A scenario is one JSON object. Every key is optional unless its default says *required*. "
            "Unknown keys, wrong types, out-of-range values and dangling references are errors reported "
            "as `FILE: json.path: what was expected`. Integer parameters also accept integral numbers "
            "written as reals (`2.0`, `1e6`); `1.5` is an error. Ranges are inclusive; `(` marks an "
            "exclusive bound. `[]` in a path means every element of that array.\n\n"
            "Limits: a scenario file must be a regular file of at most 64 MiB (a FIFO, device or directory is "
            "refused unread). Numbers beyond 64-bit integers or doubles are rejected with their JSON path. The "
            "arrivals may span at most the maximum simulated duration, 1e17 ps (100000 s): the loader rejects a "
            "scenario whose `traffic.packets` at the offered rate would take longer, or one flow slower than one "
            "packet in that time, and a run stops with an error at the first event past it. `viosim check` "
            "prints each variant's estimated memory and events; `viosim run` refuses a run whose memory "
            "estimate exceeds `--max-memory`.\n");
    const char *cur = NULL;
    size_t curn = 0;
    for (const vio_param *p = rows; p->path; p++) {
        const char *sec;
        size_t n = section_of(p->path, &sec);
        if (!cur || n != curn || strncmp(sec, cur, n) != 0) {
            cur = sec;
            curn = n;
            put(&b, "\n## %.*s\n\n", (int)n, sec);
            for (size_t i = 0; i < sizeof sections / sizeof sections[0]; i++)
                if (strlen(sections[i].name) == n && strncmp(sections[i].name, sec, n) == 0)
                    put(&b, "%s\n\n", sections[i].intro);
            put(&b, "| Parameter | Type | Unit | Default | Range | Description | Source of the default |\n"
                    "|---|---|---|---|---|---|---|\n");
        }
        put(&b, "| `%s` | %s%s | ", p->path, type_name(p),
            (p->flags & VIO_PF_LIST) ? (p->choices ? ", list or string" : ", list") : "");
        put_cell(&b, p->unit);
        put(&b, " | ");
        if (p->dflt) {
            put(&b, "`");
            put_cell(&b, p->dflt);
            put(&b, "`");
        } else {
            put(&b, (p->flags & VIO_PF_ONE_OF) ? "*required (one of)*" : "*required*");
        }
        put(&b, " | ");
        put_range(&b, p);
        put(&b, " | ");
        put_cell(&b, p->help);
        put(&b, " | ");
        put_cell(&b, p->source);
        put(&b, " |\n");
    }
    if (b.oom) {
        free(b.s);
        return vio_err_set(err, VIO_ENOMEM, "params: out of memory rendering the reference");
    }
    *out = b.s;
    return VIO_OK;
}
