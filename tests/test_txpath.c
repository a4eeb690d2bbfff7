/* The transmit path: fixed costs of one frame, the tag limit, translation under
 * the queue pair's PASID (overlapping spaces, foreign IOVAs), LLC read hits. */
#include "support.h"
#include "viosim/iommu.h"
#include "viosim/tenant.h"
#include "viosim/txpath.h"

#define NS VIO_PS_PER_NS
#define RID 0x0100u

static vio_tx *tx;
static vio_tx_config cfg;

/* Toy callbacks: every translation 30 ns and identity; every memory read 40 ns,
 * served by the LLC when the address is below 1 GiB. */
static uint64_t translations;
static bool xlate_const(void *ctx, uint32_t pasid, uint64_t iova, uint32_t len, vio_dma_kind kind, vio_ps now,
                        vio_ps *lat, uint64_t *phys)
{
    (void)ctx, (void)pasid, (void)len, (void)kind, (void)now;
    translations++;
    *lat = 30 * NS;
    *phys = iova;
    return true;
}

static vio_ps mem_const(void *ctx, uint64_t phys, uint32_t bytes, vio_ps now, uint32_t *llc)
{
    (void)ctx, (void)now;
    uint32_t lines = (uint32_t)((phys + bytes - 1) / 64 - phys / 64 + 1);
    *llc = phys < (1ull << 30) ? lines : 0;
    return 40 * NS;
}

static void setup(void)
{
    vio_tx_config_default(&cfg);
    cfg.translate = xlate_const;
    cfg.mem_read = mem_const;
    tx = NULL;
    translations = 0;
}

static void teardown(void) { vio_tx_destroy(tx); }

static vio_ps ser(uint64_t bytes, uint64_t mbps) { return vio_bytes_to_ps(bytes, mbps); }

START_TEST(t_single_frame_is_the_sum_of_its_costs)
{
    ck_assert_int_eq(vio_tx_create(&cfg, &tx, NULL), VIO_OK);
    const vio_ps t0 = 5000 * NS, L = cfg.link_latency, X = 30 * NS, M = 40 * NS;
    const uint64_t up = cfg.link_mbps;
    vio_tx_result r;
    ck_assert_int_eq(vio_tx_send(tx, 7, 0x10000, 0x20000, 256, t0, &r), VIO_OK);
    ck_assert(r.sent);
    /* Descriptor: translate, request header up, link, memory, 16 B + header down, link. */
    vio_ps desc = t0 + X + ser(24, up) + L + M + ser(16 + 24, up) + L;
    ck_assert_uint_eq(r.desc_at, desc);
    /* Payload: 256 B = one request (<= MRRS) and one completion (<= MPS). */
    vio_ps payload = desc + X + ser(24, up) + L + M + ser(256 + 24, up) + L;
    ck_assert_uint_eq(r.payload_at, payload);
    /* Wire: frame plus preamble, SFD and inter-frame gap. */
    vio_ps wire = payload + ser(256 + 20, cfg.wire_mbps);
    ck_assert_uint_eq(r.wire_done, wire);
    /* Write-back (translated), then the MSI-X write behind it on the link. */
    vio_ps irq = wire + X + ser(16 + 24, up) + ser(4 + 24, up) + L;
    ck_assert_uint_eq(r.completed, irq);
    ck_assert_uint_eq(r.translate_ps, 3 * X);
    ck_assert_uint_eq(r.reads, 2);
    ck_assert_uint_eq(translations, 3);
    vio_tx_stats st;
    vio_tx_stats_get(tx, &st);
    ck_assert_uint_eq(st.latency_sum, wire - t0);
}
END_TEST

START_TEST(t_polling_sees_the_next_tick)
{
    cfg.interrupt = false;
    cfg.poll_interval = 2 * VIO_PS_PER_US;
    ck_assert_int_eq(vio_tx_create(&cfg, &tx, NULL), VIO_OK);
    vio_tx_result r;
    ck_assert_int_eq(vio_tx_send(tx, 7, 0x10000, 0x20000, 64, 0, &r), VIO_OK);
    vio_ps wb = r.wire_done + 30 * NS + ser(16 + 24, cfg.link_mbps) + cfg.link_latency;
    ck_assert_uint_eq(r.completed % cfg.poll_interval, 0);
    ck_assert_uint_ge(r.completed, wb);
    ck_assert_uint_lt(r.completed - wb, cfg.poll_interval);
}
END_TEST

/* A reaping driver (DPDK) takes no signal: the completion is the write-back
 * landing, with no MSI-X behind it on the link, whether the configuration says
 * interrupt or poll for the other queue pairs. */
START_TEST(t_reap_takes_no_signal)
{
    ck_assert_int_eq(vio_tx_create(&cfg, &tx, NULL), VIO_OK);
    vio_tx_frame f = {.pasid = 7, .desc_iova = 0x10000, .buf_iova = 0x20000, .bytes = 64, .reap = true};
    vio_tx_result r, q;
    ck_assert_int_eq(vio_tx_send_batch(tx, &f, 1, 0, &r), VIO_OK);
    ck_assert_uint_eq(r.completed, r.wire_done + 30 * NS + ser(16 + 24, cfg.link_mbps) + cfg.link_latency);
    /* The next frame's write-back finds the link free of an MSI-X. */
    f.reap = false;
    ck_assert_int_eq(vio_tx_send_batch(tx, &f, 1, 100 * VIO_PS_PER_US, &q), VIO_OK);
    ck_assert_uint_eq(q.completed, q.wire_done + 30 * NS + ser(16 + 24, cfg.link_mbps) + ser(4 + 24, cfg.link_mbps) +
                                       cfg.link_latency);
}
END_TEST

/* Time to send `n` frames of 1500 B back to back (all doorbells at 0). */
static vio_ps burst(uint32_t tags, uint32_t n)
{
    setup();
    cfg.max_tags = tags;
    ck_assert_int_eq(vio_tx_create(&cfg, &tx, NULL), VIO_OK);
    static vio_tx_frame f[256];
    static vio_tx_result r[256];
    for (uint32_t k = 0; k < n; k++)
        f[k] = (vio_tx_frame){.pasid = 7, .desc_iova = 0x10000 + 16 * k, .buf_iova = 0x100000 + 2048ull * k, .bytes = 1500};
    ck_assert_int_eq(vio_tx_send_batch(tx, f, n, 0, r), VIO_OK); /* one doorbell for all */
    vio_ps end = r[n - 1].wire_done;
    for (uint32_t k = 1; k < n; k++)
        ck_assert_uint_ge(r[k].wire_done, r[k - 1].wire_done); /* in order on the wire */
    vio_tx_destroy(tx);
    tx = NULL;
    return end;
}

START_TEST(t_tags_bound_throughput)
{
    /* One tag: every read waits for the previous one, 4 reads per frame (descriptor,
     * 512 + 512 + 476 B), each a full round trip of at least 2 x 250 + 40 ns. With
     * 32 tags they overlap and the wire (1520 B at 100 Gb/s) is the bound. */
    const uint32_t n = 200;
    vio_ps one = burst(1, n), many = burst(32, n);
    ck_assert_uint_ge(one, (vio_ps)n * 4 * (2 * 250 + 40) * NS);
    /* With 32 tags the reads overlap and the wire is the bound: 1520 B at 100 Gb/s. */
    double gbps_many = (double)n * 1500 * 8 / ((double)many / 1e12) / 1e9;
    double gbps_one = (double)n * 1500 * 8 / ((double)one / 1e12) / 1e9;
    /* Not quite the wire's 98.7 Gb/s: the 200 descriptor reads (one each, no
     * descriptor coalescing modelled) hold the tags for the first ~3.5 us. */
    ck_assert_msg(gbps_many > 80.0, "32 tags: %.1f Gb/s", gbps_many);
    ck_assert_msg(gbps_one < 6.0, "1 tag: %.1f Gb/s", gbps_one);
}
END_TEST

START_TEST(t_device_read_hit_rate)
{
    ck_assert_int_eq(vio_tx_create(&cfg, &tx, NULL), VIO_OK);
    vio_tx_result r;
    ck_assert_int_eq(vio_tx_send(tx, 7, 0x10000, 0x20000, 1024, 0, &r), VIO_OK);            /* all in the LLC */
    ck_assert_int_eq(vio_tx_send(tx, 7, 0x10010, (1ull << 30) + 0x40, 1024, 0, &r), VIO_OK); /* payload in DRAM */
    vio_tx_stats st;
    vio_tx_stats_get(tx, &st);
    /* Lines: descriptor 1 + payload 16, twice; the second payload misses. */
    ck_assert_uint_eq(st.lines, 34);
    ck_assert_uint_eq(st.llc_lines, 18);
    ck_assert_uint_eq(st.packets, 2);
    ck_assert_uint_eq(st.bytes, 2048);
}
END_TEST

/* ---- with the real IOMMU: reads are translated under the queue pair's PASID --- */

static vio_iommu *mmu;
static vio_tenants *tn;

static vio_ps io_read(void *ctx, uint64_t addr, vio_ps now)
{
    (void)ctx, (void)addr, (void)now;
    return 20 * NS;
}

static bool xlate_iommu(void *ctx, uint32_t pasid, uint64_t iova, uint32_t len, vio_dma_kind kind, vio_ps now,
                        vio_ps *lat, uint64_t *phys)
{
    (void)ctx;
    vio_dma_req req = {.requester_id = RID, .pasid = pasid, .iova = iova, .len = len, .kind = kind};
    vio_iommu_result r;
    ck_assert_int_eq(vio_iommu_translate(mmu, &req, now, &r), VIO_OK);
    *lat = r.latency;
    *phys = r.phys;
    if (r.fault == VIO_IOMMU_OK) { /* prove what the device read */
        vio_owner_check c;
        ck_assert_int_eq(vio_tenants_check_dma(tn, vio_tenants_tag_of_pasid(tn, pasid), r.phys, len, &c), VIO_OK);
    }
    return r.fault == VIO_IOMMU_OK;
}

START_TEST(t_tx_reads_only_own_memory)
{
    /* Two tenants with the SAME IOVA layout (descriptors at 0x10000, buffers at
     * 0x20000) onto their own memory. */
    ck_assert_int_eq(vio_tenants_create(RID, &tn, NULL), VIO_OK);
    vio_tenant a = {.tag = 1, .queue_pair = 0, .pasid = 0x100, .vm = VIO_TENANT_HOST};
    vio_tenant b = {.tag = 2, .queue_pair = 1, .pasid = 0x200, .vm = VIO_TENANT_HOST};
    ck_assert_int_eq(vio_tenants_add(tn, &a, NULL), VIO_OK);
    ck_assert_int_eq(vio_tenants_add(tn, &b, NULL), VIO_OK);
    vio_iommu_config ic;
    vio_iommu_config_default(&ic);
    ic.read_line = io_read;
    ck_assert_int_eq(vio_iommu_create(&ic, &mmu, NULL), VIO_OK);
    ck_assert_int_eq(vio_tenants_program_iommu(tn, mmu, NULL), VIO_OK);
    for (uint64_t i = 1; i <= 2; i++) {
        uint32_t pasid = (uint32_t)(0x100 * i);
        ck_assert_int_eq(vio_iommu_map(mmu, pasid, 0x10000, (i << 32), 0x1000, VIO_PAGE_4K, true, NULL), VIO_OK);
        ck_assert_int_eq(vio_iommu_map(mmu, pasid, 0x20000, (i << 32) + 0x10000, 0x4000, VIO_PAGE_4K, false, NULL),
                         VIO_OK);
        ck_assert_int_eq(vio_tenants_add_region(tn, i << 32, 0x20000, (int32_t)i, NULL), VIO_OK);
    }
    cfg.translate = xlate_iommu;
    ck_assert_int_eq(vio_tx_create(&cfg, &tx, NULL), VIO_OK);
    vio_tx_result r;
    for (int k = 0; k < 8; k++) { /* both send from the same IOVAs */
        ck_assert_int_eq(vio_tx_send(tx, 0x100, 0x10000, 0x20000, 1500, 0, &r), VIO_OK);
        ck_assert(r.sent);
        ck_assert_int_eq(vio_tx_send(tx, 0x200, 0x10000, 0x20000, 1500, 0, &r), VIO_OK);
        ck_assert(r.sent);
    }
    /* A descriptor naming an IOVA outside the tenant's space (e.g. the victim's
     * buffer's physical address): blocked, nothing on the wire. */
    ck_assert_int_eq(vio_tx_send(tx, 0x100, 0x10000, (2ull << 32) + 0x10000, 1500, 0, &r), VIO_OK);
    ck_assert(!r.sent);
    vio_isolation_stats iso;
    ck_assert_int_eq(vio_tenants_isolation(tn, VIO_TAG_NONE, &iso), VIO_OK);
    ck_assert_uint_gt(iso.own_bytes, 0);
    ck_assert_uint_eq(iso.foreign_bytes, 0); /* overlapping IOVAs, no byte read across */
    vio_iommu_stats ms;
    vio_iommu_stats_get(mmu, &ms);
    ck_assert_uint_eq(ms.faults[VIO_IOMMU_FAULT_FL_NOT_PRESENT], 1);
    vio_tx_stats st;
    vio_tx_stats_get(tx, &st);
    ck_assert_uint_eq(st.blocked, 1);
    ck_assert_uint_eq(st.packets, 17);
    vio_iommu_destroy(mmu);
    vio_tenants_destroy(tn);
}
END_TEST

START_TEST(t_config_rejected)
{
    vio_err err = {{0}};
    cfg.mrrs = 32;
    ck_assert_int_eq(vio_tx_create(&cfg, &tx, &err), VIO_EINVAL);
    ck_assert_ptr_null(tx);
    setup();
    cfg.mem_read = NULL;
    ck_assert_int_eq(vio_tx_create(&cfg, &tx, NULL), VIO_EINVAL);
}
END_TEST

int main(void)
{
    Suite *su = suite_create("txpath");
    TCase *tc = tcase_create("tx");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, t_single_frame_is_the_sum_of_its_costs);
    tcase_add_test(tc, t_polling_sees_the_next_tick);
    tcase_add_test(tc, t_reap_takes_no_signal);
    tcase_add_test(tc, t_tags_bound_throughput);
    tcase_add_test(tc, t_device_read_hit_rate);
    tcase_add_test(tc, t_tx_reads_only_own_memory);
    tcase_add_test(tc, t_config_rejected);
    suite_add_tcase(su, tc);
    return vio_test_run_suite(su);
}
