/* PASID-tagged IOMMU: translation path, costs, IOTLB behaviour, faults and log. */
#include "support.h"
#include "viosim/iommu.h"

#include <stdlib.h>
#include <string.h>

#define RID 0x0300u
#define NS VIO_PS_PER_NS
#define MAXREC 64

/* The walk-read callback: records every read and charges `lat`, or, with `cache`
 * set, 80 ns on the first read of an address and 20 ns after (a toy cache, enough
 * to show that deterministic PTE addresses make repeated walks hit). */
typedef struct reads {
    uint64_t calls;
    uint64_t addr[MAXREC];
    vio_ps when[MAXREC];
    vio_ps lat;
    int cache;
} reads;

static vio_ps read_cb(void *ctx, uint64_t addr, vio_ps now)
{
    reads *r = ctx;
    vio_ps lat = r->lat;
    if (r->cache) {
        lat = 80 * NS;
        for (uint64_t i = 0; i < r->calls && i < MAXREC; i++)
            if (r->addr[i] == addr)
                lat = 20 * NS;
    }
    if (r->calls < MAXREC) {
        r->addr[r->calls] = addr;
        r->when[r->calls] = now;
    }
    r->calls++;
    return lat;
}

static reads rd;
static vio_iommu_config cfg;
static vio_iommu *m;

static void setup(void)
{
    memset(&rd, 0, sizeof rd);
    rd.lat = 50 * NS;
    vio_iommu_config_default(&cfg);
    cfg.read_line = read_cb;
    cfg.read_ctx = &rd;
    m = NULL;
}

static void teardown(void) { vio_iommu_destroy(m); }

static void create(void)
{
    vio_err err = {{0}};
    ck_assert_int_eq(vio_iommu_create(&cfg, &m, &err), VIO_OK);
    ck_assert_str_eq(err.msg, "");
}

static void map(uint32_t pasid, uint64_t iova, uint64_t phys, uint64_t size, uint64_t pg, bool w)
{
    vio_err err = {{0}};
    ck_assert_msg(vio_iommu_map(m, pasid, iova, phys, size, pg, w, &err) == VIO_OK, "%s", err.msg);
}

static void bind(uint32_t pasid, uint32_t qp)
{
    vio_err err = {{0}};
    ck_assert_msg(vio_iommu_bind_pasid(m, pasid, RID, qp, &err) == VIO_OK, "%s", err.msg);
}

/* The usual start: an IOMMU with PASID 5 mapped as given and bound to queue pair 3. */
static void start(uint64_t iova, uint64_t phys, uint64_t size, uint64_t pg, bool w)
{
    create();
    map(5, iova, phys, size, pg, w);
    bind(5, 3);
}

static vio_iommu_result xlate(uint32_t qp, uint32_t pasid, uint64_t iova, vio_dma_kind k)
{
    vio_dma_req req = {.requester_id = RID, .queue_pair = qp, .pasid = pasid, .iova = iova,
                       .len = 64, .kind = k};
    vio_iommu_result r;
    ck_assert_int_eq(vio_iommu_translate(m, &req, 1000 * NS, &r), VIO_OK);
    return r;
}

static vio_iommu_stats stats(void)
{
    vio_iommu_stats s;
    vio_iommu_stats_get(m, &s);
    return s;
}

START_TEST(t_config_rejected)
{
    vio_err err = {{0}};
    cfg.iotlb_ways = 3; /* does not divide 64 */
    ck_assert_int_eq(vio_iommu_create(&cfg, &m, &err), VIO_EINVAL);
    ck_assert_ptr_null(m);
    ck_assert(strstr(err.msg, "iotlb_ways") != NULL);
    setup();
    cfg.read_line = NULL;
    memset(&err, 0, sizeof err);
    ck_assert_int_eq(vio_iommu_create(&cfg, &m, &err), VIO_EINVAL);
    ck_assert(strstr(err.msg, "read_line") != NULL);
    setup();
    cfg.fault_log_entries = 0;
    ck_assert_int_eq(vio_iommu_create(&cfg, &m, NULL), VIO_EINVAL);
    setup();
    cfg.pt_base = 0x1234;
    ck_assert_int_eq(vio_iommu_create(&cfg, &m, NULL), VIO_EINVAL);
}
END_TEST

START_TEST(t_map_rejected)
{
    create();
    vio_err err = {{0}};
    ck_assert_int_eq(vio_iommu_map(m, 1u << 20, 0, 0, 4096, VIO_PAGE_4K, true, &err), VIO_EINVAL);
    ck_assert(strstr(err.msg, "20 bits") != NULL);
    ck_assert_int_eq(vio_iommu_map(m, 1, 0, 0, 8192, 8192, true, NULL), VIO_EINVAL);
    ck_assert_int_eq(vio_iommu_map(m, 1, 0x1000, 0, VIO_PAGE_2M, VIO_PAGE_2M, true, NULL), VIO_EINVAL);
    ck_assert_int_eq(vio_iommu_map(m, 1, 0, 0, 0, VIO_PAGE_4K, true, NULL), VIO_EINVAL);
    ck_assert_int_eq(vio_iommu_map(m, 1, 1ull << 48, 0, 4096, VIO_PAGE_4K, true, NULL), VIO_EINVAL);
    map(1, 0x10000, 0x80000000, 0x4000, VIO_PAGE_4K, true);
    memset(&err, 0, sizeof err);
    ck_assert_int_eq(vio_iommu_map(m, 1, 0x13000, 0, 0x2000, VIO_PAGE_4K, true, &err), VIO_EINVAL);
    ck_assert(strstr(err.msg, "overlaps") != NULL);
    ck_assert_int_eq(vio_iommu_map(m, 1, 0, 0, VIO_PAGE_2M, VIO_PAGE_2M, true, NULL), VIO_EINVAL);
    map(2, 0x13000, 0x90000000, 0x1000, VIO_PAGE_4K, true); /* same IOVA, other PASID: fine */
}
END_TEST

START_TEST(t_walk_then_iotlb_hit)
{
    start(0x10000, 0x80000000, 0x4000, VIO_PAGE_4K, true);
    vio_iommu_result r = xlate(3, 5, 0x11040, VIO_DMA_RX_WRITE);
    ck_assert_int_eq(r.fault, VIO_IOMMU_OK);
    ck_assert_int_eq(r.source, VIO_IOMMU_SRC_WALK);
    ck_assert_uint_eq(r.phys, 0x80001040);
    ck_assert_uint_eq(r.page_size, VIO_PAGE_4K);
    ck_assert_uint_eq(r.walk_reads, 4);
    ck_assert_uint_eq(r.latency, 5 * NS + 100 * NS + 4 * 50 * NS); /* hit + overhead + 4 reads */
    ck_assert_uint_eq(rd.calls, 4);
    r = xlate(3, 5, 0x11800, VIO_DMA_RX_WRITE);
    ck_assert_int_eq(r.source, VIO_IOMMU_SRC_IOTLB);
    ck_assert_uint_eq(r.phys, 0x80001800);
    ck_assert_uint_eq(r.latency, 5 * NS);
    ck_assert_uint_eq(r.walk_reads, 0);
    ck_assert_uint_eq(rd.calls, 4);
    vio_iommu_stats s = stats();
    ck_assert_uint_eq(s.translations, 2);
    ck_assert_uint_eq(s.performed, 2);
    ck_assert_uint_eq(s.iotlb_hits, 1);
    ck_assert_uint_eq(s.iotlb_misses, 1);
    ck_assert_uint_eq(s.walks, 1);
    ck_assert_uint_eq(s.walk_reads, 4);
    ck_assert_uint_eq(s.walk_ps, 300 * NS);
    ck_assert_uint_eq(s.devtlb_hits + s.devtlb_misses, 0); /* off by default */
    vio_iommu_pasid_stats ps;
    ck_assert_int_eq(vio_iommu_pasid_stats_get(m, 5, &ps), VIO_OK);
    ck_assert_uint_eq(ps.performed, 2);
    ck_assert_uint_eq(ps.performed_bytes, 128);
}
END_TEST

START_TEST(t_walk_2m_three_levels)
{
    start(0x40000000, 0x100000000, VIO_PAGE_2M, VIO_PAGE_2M, true);
    vio_iommu_result r = xlate(3, 5, 0x40012340, VIO_DMA_RX_WRITE);
    ck_assert_int_eq(r.fault, VIO_IOMMU_OK);
    ck_assert_uint_eq(r.walk_reads, 3);
    ck_assert_uint_eq(r.phys, 0x100012340);
    ck_assert_uint_eq(r.page_size, VIO_PAGE_2M);
    ck_assert_uint_eq(r.latency, 5 * NS + 100 * NS + 3 * 50 * NS);
    r = xlate(3, 5, 0x401ff000, VIO_DMA_RX_WRITE); /* other end of the same 2 MiB page */
    ck_assert_int_eq(r.source, VIO_IOMMU_SRC_IOTLB);
    ck_assert_uint_eq(r.phys, 0x1001ff000);
}
END_TEST

START_TEST(t_walk_reads_through_callback)
{
    rd.cache = 1;
    start(0x10000, 0x80000000, 0x2000, VIO_PAGE_4K, true);
    map(6, 0x10000, 0x90000000, 0x1000, VIO_PAGE_4K, true);
    bind(6, 4);
    vio_iommu_result r = xlate(3, 5, 0x10000, VIO_DMA_DESC_READ);
    ck_assert_uint_eq(rd.calls, 4);
    ck_assert_uint_eq(r.latency, 5 * NS + 100 * NS + 4 * 80 * NS); /* all cold */
    /* Reads are dependent: each is issued when the previous one returned. */
    ck_assert_uint_eq(rd.when[0], 1000 * NS + 5 * NS + 100 * NS);
    for (int i = 1; i < 4; i++)
        ck_assert_uint_eq(rd.when[i], rd.when[i - 1] + 80 * NS);
    for (int i = 0; i < 4; i++) {
        ck_assert_uint_eq(rd.addr[i] % 8, 0);
        ck_assert_uint_ge(rd.addr[i], VIO_IOMMU_DEFAULT_PT_BASE);
        for (int j = 0; j < i; j++)
            ck_assert_uint_ne(rd.addr[i], rd.addr[j]);
    }
    /* The neighbouring page shares PML4E, PDPTE and PDE; its PTE is the next one. */
    r = xlate(3, 5, 0x11000, VIO_DMA_DESC_READ);
    ck_assert_uint_eq(rd.calls, 8);
    for (int i = 0; i < 3; i++)
        ck_assert_uint_eq(rd.addr[4 + i], rd.addr[i]);
    ck_assert_uint_eq(rd.addr[7], rd.addr[3] + 8);
    ck_assert_uint_eq(r.latency, 5 * NS + 100 * NS + 3 * 20 * NS + 80 * NS);
    /* Another PASID walks its own table. */
    xlate(4, 6, 0x10000, VIO_DMA_DESC_READ);
    ck_assert_uint_eq(rd.calls, 12);
    for (int i = 0; i < 4; i++)
        ck_assert_uint_ne(rd.addr[8 + i], rd.addr[i]);
    /* After an invalidation the same page is walked at the same addresses. */
    ck_assert_int_eq(vio_iommu_set_pasid_present(m, 5, false, NULL), VIO_OK);
    ck_assert_int_eq(vio_iommu_set_pasid_present(m, 5, true, NULL), VIO_OK);
    r = xlate(3, 5, 0x10000, VIO_DMA_DESC_READ);
    ck_assert_int_eq(r.source, VIO_IOMMU_SRC_WALK);
    for (int i = 0; i < 4; i++)
        ck_assert_uint_eq(rd.addr[12 + i], rd.addr[i]);
    ck_assert_uint_eq(r.latency, 5 * NS + 100 * NS + 4 * 20 * NS); /* warm walk */
    ck_assert_uint_eq(stats().walk_reads, rd.calls);
}
END_TEST

START_TEST(t_fault_no_pasid)
{
    start(0x10000, 0x80000000, 0x1000, VIO_PAGE_4K, true);
    vio_iommu_result r = xlate(3, VIO_PASID_NONE, 0x10000, VIO_DMA_RX_WRITE);
    ck_assert_int_eq(r.fault, VIO_IOMMU_FAULT_NO_PASID);
    ck_assert_uint_eq(r.phys, 0);
    ck_assert_uint_eq(r.latency, 5 * NS);
    ck_assert_uint_eq(rd.calls, 0);
    vio_iommu_stats s = stats();
    ck_assert_uint_eq(s.faults[VIO_IOMMU_FAULT_NO_PASID], 1);
    ck_assert_uint_eq(s.blocked, 1);
    ck_assert_uint_eq(s.performed, 0);
    vio_iommu_fault_record rec;
    ck_assert_int_eq(vio_iommu_fault_log_at(m, 0, &rec), VIO_OK);
    ck_assert_uint_eq(rec.pasid, VIO_PASID_NONE);
    ck_assert_int_eq(rec.reason, VIO_IOMMU_FAULT_NO_PASID);
    /* When PASIDs are optional, untagged requests use RID_PASID (here 5). */
    vio_iommu_destroy(m);
    cfg.require_pasid = false;
    cfg.rid_pasid = 5;
    start(0x10000, 0x80000000, 0x1000, VIO_PAGE_4K, true);
    r = xlate(1, VIO_PASID_NONE, 0x10010, VIO_DMA_RX_WRITE);
    ck_assert_int_eq(r.fault, VIO_IOMMU_OK);
    ck_assert_uint_eq(r.phys, 0x80000010);
}
END_TEST

START_TEST(t_fault_pasid_not_present)
{
    create();
    map(7, 0x10000, 0x80000000, 0x1000, VIO_PAGE_4K, true); /* mapped, never bound */
    vio_iommu_result r = xlate(3, 7, 0x10000, VIO_DMA_RX_WRITE);
    ck_assert_int_eq(r.fault, VIO_IOMMU_FAULT_PASID_NOT_PRESENT);
    r = xlate(3, 9, 0x10000, VIO_DMA_RX_WRITE); /* unknown PASID */
    ck_assert_int_eq(r.fault, VIO_IOMMU_FAULT_PASID_NOT_PRESENT);
    vio_iommu_pasid_stats ps;
    ck_assert_int_eq(vio_iommu_pasid_stats_get(m, 9, &ps), VIO_EINVAL);
    ck_assert_int_eq(vio_iommu_pasid_stats_get(m, 7, &ps), VIO_OK);
    ck_assert_uint_eq(ps.faults, 1);
    /* Torn down after use: the cached translation must not outlive Present. */
    bind(7, 3);
    ck_assert_int_eq(xlate(3, 7, 0x10000, VIO_DMA_RX_WRITE).fault, VIO_IOMMU_OK);
    ck_assert_int_eq(xlate(3, 7, 0x10000, VIO_DMA_RX_WRITE).source, VIO_IOMMU_SRC_IOTLB);
    ck_assert_int_eq(vio_iommu_set_pasid_present(m, 7, false, NULL), VIO_OK);
    ck_assert_uint_eq(stats().invalidations, 1);
    r = xlate(3, 7, 0x10000, VIO_DMA_RX_WRITE);
    ck_assert_int_eq(r.fault, VIO_IOMMU_FAULT_PASID_NOT_PRESENT);
    ck_assert_uint_eq(stats().faults[VIO_IOMMU_FAULT_PASID_NOT_PRESENT], 3);
    ck_assert_int_eq(vio_iommu_set_pasid_present(m, 7, true, NULL), VIO_OK);
    ck_assert_int_eq(xlate(3, 7, 0x10000, VIO_DMA_RX_WRITE).source, VIO_IOMMU_SRC_WALK);
    ck_assert_int_eq(vio_iommu_set_pasid_present(m, 9, true, NULL), VIO_EINVAL);
}
END_TEST

START_TEST(t_fault_pasid_qp_mismatch)
{
    start(0x10000, 0x80000000, 0x1000, VIO_PAGE_4K, true);
    map(6, 0x10000, 0x90000000, 0x1000, VIO_PAGE_4K, true);
    bind(6, 4);
    ck_assert_int_eq(xlate(3, 6, 0x10000, VIO_DMA_RX_WRITE).fault, VIO_IOMMU_FAULT_PASID_QP_MISMATCH);
    ck_assert_int_eq(xlate(4, 5, 0x10000, VIO_DMA_CPL_WRITE).fault, VIO_IOMMU_FAULT_PASID_QP_MISMATCH);
    vio_iommu_result r = xlate(4, 6, 0x10000, VIO_DMA_RX_WRITE);
    ck_assert_int_eq(r.fault, VIO_IOMMU_OK);
    ck_assert_uint_eq(r.phys, 0x90000000);
    /* Right queue pair number on another device is still another queue pair. */
    vio_dma_req req = {.requester_id = RID + 1, .queue_pair = 3, .pasid = 5, .iova = 0x10000,
                       .len = 64, .kind = VIO_DMA_RX_WRITE};
    ck_assert_int_eq(vio_iommu_translate(m, &req, 0, &r), VIO_OK);
    ck_assert_int_eq(r.fault, VIO_IOMMU_FAULT_PASID_QP_MISMATCH);
    ck_assert_uint_eq(stats().faults[VIO_IOMMU_FAULT_PASID_QP_MISMATCH], 3);
    ck_assert_uint_eq(rd.calls, 4); /* only the good request walked */
    /* The binding is one-to-one in both directions. */
    vio_err err = {{0}};
    ck_assert_int_eq(vio_iommu_bind_pasid(m, 5, RID, 4, &err), VIO_EINVAL);
    ck_assert(strstr(err.msg, "already") != NULL);
    ck_assert_int_eq(vio_iommu_bind_pasid(m, 8, RID, 3, NULL), VIO_EINVAL);
    ck_assert_int_eq(vio_iommu_bind_pasid(m, 5, RID, 3, NULL), VIO_OK); /* same triple */
    uint16_t rid;
    uint32_t qp;
    ck_assert(vio_iommu_pasid_binding(m, 6, &rid, &qp));
    ck_assert_uint_eq(rid, RID);
    ck_assert_uint_eq(qp, 4);
    ck_assert(!vio_iommu_pasid_binding(m, 8, NULL, NULL));
}
END_TEST

START_TEST(t_fault_not_mapped)
{
    start(0x10000, 0x80000000, 0x1000, VIO_PAGE_4K, true);
    /* The walk stops at the first non-present entry. */
    vio_iommu_result r = xlate(3, 5, 0x11000, VIO_DMA_RX_WRITE); /* PTE clear */
    ck_assert_int_eq(r.fault, VIO_IOMMU_FAULT_NOT_MAPPED);
    ck_assert_uint_eq(r.walk_reads, 4);
    ck_assert_uint_eq(r.latency, 5 * NS + 100 * NS + 4 * 50 * NS);
    ck_assert_uint_eq(xlate(3, 5, 0x400000, VIO_DMA_RX_WRITE).walk_reads, 3);  /* PDE clear */
    ck_assert_uint_eq(xlate(3, 5, 0x40000000, VIO_DMA_RX_WRITE).walk_reads, 2); /* PDPTE */
    ck_assert_uint_eq(xlate(3, 5, 1ull << 40, VIO_DMA_RX_WRITE).walk_reads, 1);  /* PML4E */
    r = xlate(3, 5, 1ull << 50, VIO_DMA_RX_WRITE); /* beyond 48 bits */
    ck_assert_int_eq(r.fault, VIO_IOMMU_FAULT_NOT_MAPPED);
    ck_assert_uint_eq(r.walk_reads, 0);
    /* A fault is not cached: the next request walks again. */
    ck_assert_uint_eq(xlate(3, 5, 0x11000, VIO_DMA_RX_WRITE).walk_reads, 4);
    vio_iommu_stats s = stats();
    ck_assert_uint_eq(s.faults[VIO_IOMMU_FAULT_NOT_MAPPED], 6);
    ck_assert_uint_eq(s.iotlb_misses, 6);
    ck_assert_uint_eq(s.walk_reads, 14);
}
END_TEST

START_TEST(t_fault_write_denied)
{
    start(0x10000, 0x80000000, 0x2000, VIO_PAGE_4K, false);
    ck_assert_int_eq(xlate(3, 5, 0x10000, VIO_DMA_TX_READ).fault, VIO_IOMMU_OK);
    vio_iommu_result r = xlate(3, 5, 0x10040, VIO_DMA_RX_WRITE);
    ck_assert_int_eq(r.fault, VIO_IOMMU_FAULT_WRITE_DENIED);
    ck_assert_int_eq(r.source, VIO_IOMMU_SRC_IOTLB); /* cached rights are checked too */
    ck_assert_uint_eq(r.phys, 0);
    r = xlate(3, 5, 0x11000, VIO_DMA_CPL_WRITE);
    ck_assert_int_eq(r.fault, VIO_IOMMU_FAULT_WRITE_DENIED);
    ck_assert_int_eq(r.source, VIO_IOMMU_SRC_WALK);
    ck_assert_int_eq(xlate(3, 5, 0x11000, VIO_DMA_DESC_READ).fault, VIO_IOMMU_OK);
    vio_iommu_stats s = stats();
    ck_assert_uint_eq(s.faults[VIO_IOMMU_FAULT_WRITE_DENIED], 2);
    ck_assert_uint_eq(s.performed, 2);
}
END_TEST

START_TEST(t_blocked_counters)
{
    start(0x10000, 0x80000000, 0x1000, VIO_PAGE_4K, false);
    map(6, 0x10000, 0x90000000, 0x1000, VIO_PAGE_4K, true);
    bind(6, 4);
    const struct { uint32_t qp, pasid, len; uint64_t iova; vio_dma_kind k; } reqs[] = {
        {3, 5, 100, 0x10000, VIO_DMA_RX_WRITE},  /* write denied */
        {3, 5, 200, 0x20000, VIO_DMA_TX_READ},   /* not mapped */
        {3, 6, 300, 0x10000, VIO_DMA_RX_WRITE},  /* mismatch, counted on PASID 6 */
        {4, 6, 1500, 0x10000, VIO_DMA_RX_WRITE}, /* performed */
        {4, VIO_PASID_NONE, 50, 0x10000, VIO_DMA_RX_WRITE},
    };
    for (size_t i = 0; i < sizeof reqs / sizeof reqs[0]; i++) {
        vio_dma_req q = {.requester_id = RID, .queue_pair = reqs[i].qp, .pasid = reqs[i].pasid,
                         .iova = reqs[i].iova, .len = reqs[i].len, .kind = reqs[i].k};
        vio_iommu_result r;
        ck_assert_int_eq(vio_iommu_translate(m, &q, 0, &r), VIO_OK);
    }
    vio_iommu_stats s = stats();
    ck_assert_uint_eq(s.translations, 5);
    ck_assert_uint_eq(s.blocked, 4);
    ck_assert_uint_eq(s.blocked_bytes, 100 + 200 + 300 + 50);
    ck_assert_uint_eq(s.performed, 1);
    for (int f = 1; f < VIO_IOMMU_FAULT_COUNT; f++)
        ck_assert_uint_eq(s.faults[f], f == VIO_IOMMU_FAULT_PASID_NOT_PRESENT ? 0 : 1);
    vio_iommu_pasid_stats p5, p6;
    vio_iommu_pasid_stats_get(m, 5, &p5);
    vio_iommu_pasid_stats_get(m, 6, &p6);
    ck_assert_uint_eq(p5.translations, 2);
    ck_assert_uint_eq(p5.faults, 2);
    ck_assert_uint_eq(p5.blocked_bytes, 300);
    ck_assert_uint_eq(p6.translations, 2);
    ck_assert_uint_eq(p6.faults, 1);
    ck_assert_uint_eq(p6.blocked_bytes, 300);
    ck_assert_uint_eq(p6.performed_bytes, 1500);
}
END_TEST

/* Hit (1) or miss (0) of a 4 KiB-page sequence on a tiny IOTLB. */
static void expect_hits(const uint64_t *pages, const int *hit, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        vio_iommu_result r = xlate(3, 5, pages[i] << 12, VIO_DMA_RX_WRITE);
        ck_assert_msg(r.source == (hit[i] ? VIO_IOMMU_SRC_IOTLB : VIO_IOMMU_SRC_WALK),
                      "access %zu (page %llu): expected %s, got %s", i,
                      (unsigned long long)pages[i], hit[i] ? "hit" : "miss",
                      vio_iommu_source_name(r.source));
    }
}

START_TEST(t_iotlb_lru_eviction)
{
    cfg.iotlb_entries = 4;
    cfg.iotlb_ways = 4;
    start(0, 0x80000000, 16 * VIO_PAGE_4K, VIO_PAGE_4K, true);
    /* p0..p3 fill; p0 becomes MRU so p4 evicts p1, the LRU; later p1 evicts p4,
     * and p4 then evicts p0. */
    static const uint64_t pages[] = {0, 1, 2, 3, 0, 4, 0, 2, 3, 1, 4, 0};
    static const int hit[] = {0, 0, 0, 0, 1, 0, 1, 1, 1, 0, 0, 0};
    expect_hits(pages, hit, 12);
    vio_iommu_stats s = stats();
    ck_assert_uint_eq(s.iotlb_hits, 4);
    ck_assert_uint_eq(s.iotlb_misses, 8);
}
END_TEST

START_TEST(t_iotlb_set_conflicts)
{
    cfg.iotlb_entries = 8;
    cfg.iotlb_ways = 2; /* 4 sets: pages 0, 4, 8 share a set */
    start(0, 0x80000000, 16 * VIO_PAGE_4K, VIO_PAGE_4K, true);
    static const uint64_t conflict[] = {0, 4, 8, 0, 4, 8, 0, 4, 8};
    static const int none[9] = {0};
    expect_hits(conflict, none, 9); /* 3 pages, 2 ways: thrash although 8 entries */
    static const uint64_t spread[] = {1, 2, 3, 1, 2, 3};
    static const int later[] = {0, 0, 0, 1, 1, 1};
    expect_hits(spread, later, 6);
}
END_TEST

/* IOTLB hit rate of `rounds` sweeps over `ws` bytes of 4 KiB buffers. */
static double sweep_hit_rate(uint64_t ws, uint64_t page_size, int rounds)
{
    setup();
    create();
    uint64_t mapped = (ws + page_size - 1) / page_size * page_size;
    map(5, 0, 1ull << 32, mapped, page_size, true);
    bind(5, 3);
    for (int k = 0; k < rounds; k++)
        for (uint64_t a = 0; a < ws; a += VIO_PAGE_4K)
            ck_assert_int_eq(xlate(3, 5, a, VIO_DMA_RX_WRITE).fault, VIO_IOMMU_OK);
    vio_iommu_stats s = stats();
    vio_iommu_destroy(m);
    m = NULL;
    return (double)s.iotlb_hits / (double)(s.iotlb_hits + s.iotlb_misses);
}

START_TEST(t_iotlb_reach_4k_vs_2m)
{
    /* Default IOTLB: 64 entries, so a reach of 256 KiB with 4 KiB pages and
     * 128 MiB with 2 MiB pages. */
    const uint64_t kib = 1024;
    for (uint64_t ws = 64 * kib; ws <= 4096 * kib; ws *= 2) {
        double h4 = sweep_hit_rate(ws, VIO_PAGE_4K, 8);
        double h2 = sweep_hit_rate(ws, VIO_PAGE_2M, 8);
        if (ws <= 256 * kib)
            ck_assert_msg(h4 >= 0.87, "ws %llu KiB 4K: hit rate %.3f", (unsigned long long)(ws / kib), h4);
        else
            ck_assert_msg(h4 <= 0.01, "ws %llu KiB 4K: hit rate %.3f", (unsigned long long)(ws / kib), h4);
        ck_assert_msg(h2 >= 0.99, "ws %llu KiB 2M: hit rate %.3f", (unsigned long long)(ws / kib), h2);
    }
}
END_TEST

START_TEST(t_devtlb_before_iotlb)
{
    cfg.devtlb_entries = 2;
    cfg.devtlb_hit_ps = 1 * NS;
    cfg.ats_miss_ps = 300 * NS;
    start(0, 0x80000000, 4 * VIO_PAGE_4K, VIO_PAGE_4K, true);
    vio_iommu_result r = xlate(3, 5, 0, VIO_DMA_RX_WRITE);
    ck_assert_int_eq(r.source, VIO_IOMMU_SRC_WALK);
    ck_assert_uint_eq(r.latency, 1 * NS + 300 * NS + 5 * NS + 100 * NS + 4 * 50 * NS);
    r = xlate(3, 5, 0x40, VIO_DMA_RX_WRITE);
    ck_assert_int_eq(r.source, VIO_IOMMU_SRC_DEVTLB);
    ck_assert_uint_eq(r.latency, 1 * NS);
    ck_assert_uint_eq(r.phys, 0x80000040);
    vio_iommu_stats s = stats();
    ck_assert_uint_eq(s.devtlb_hits, 1);
    ck_assert_uint_eq(s.devtlb_misses, 1);
    ck_assert_uint_eq(s.iotlb_hits + s.iotlb_misses, 1); /* the hit never reached it */
    xlate(3, 5, 0x1000, VIO_DMA_RX_WRITE);
    xlate(3, 5, 0x2000, VIO_DMA_RX_WRITE); /* devTLB (2 entries) drops page 0 */
    r = xlate(3, 5, 0, VIO_DMA_RX_WRITE);
    ck_assert_int_eq(r.source, VIO_IOMMU_SRC_IOTLB);
    ck_assert_uint_eq(r.latency, 1 * NS + 300 * NS + 5 * NS);
    s = stats();
    ck_assert_uint_eq(s.devtlb_misses, 4);
    ck_assert_uint_eq(s.iotlb_hits, 1);
}
END_TEST

START_TEST(t_fault_log_bounded)
{
    cfg.fault_log_entries = 4;
    create();
    vio_dma_req q = {.requester_id = RID, .queue_pair = 3, .pasid = 5, .len = 64, .kind = VIO_DMA_RX_WRITE};
    vio_iommu_result r;
    for (int i = 0; i < 6; i++) {
        q.iova = 0x1000ull * (uint64_t)(i + 1);
        ck_assert_int_eq(vio_iommu_translate(m, &q, (vio_ps)i * NS, &r), VIO_OK);
    }
    ck_assert_uint_eq(vio_iommu_fault_log_count(m), 4);
    vio_iommu_stats s = stats();
    ck_assert_uint_eq(s.fault_log_overflows, 2);
    ck_assert_uint_eq(s.faults[VIO_IOMMU_FAULT_PASID_NOT_PRESENT], 6);
    vio_iommu_fault_record rec;
    for (size_t i = 0; i < 4; i++) { /* like VT-d, the log keeps the first faults */
        ck_assert_int_eq(vio_iommu_fault_log_at(m, i, &rec), VIO_OK);
        ck_assert_uint_eq(rec.addr, 0x1000 * (i + 1));
        ck_assert_uint_eq(rec.time, i * NS);
        ck_assert_int_eq(rec.reason, VIO_IOMMU_FAULT_PASID_NOT_PRESENT);
        ck_assert_uint_eq(rec.requester_id, RID);
        ck_assert_uint_eq(rec.queue_pair, 3);
        ck_assert_uint_eq(rec.pasid, 5);
        ck_assert(rec.write);
    }
    ck_assert_int_eq(vio_iommu_fault_log_at(m, 4, &rec), VIO_EINVAL);
    ck_assert(vio_iommu_fault_log_pop(m, &rec));
    ck_assert_uint_eq(rec.addr, 0x1000);
    q.iova = 0x7000;
    q.kind = VIO_DMA_DESC_READ;
    vio_iommu_translate(m, &q, 7 * NS, &r);
    ck_assert_uint_eq(vio_iommu_fault_log_count(m), 4);
    ck_assert_int_eq(vio_iommu_fault_log_at(m, 3, &rec), VIO_OK);
    ck_assert_uint_eq(rec.addr, 0x7000);
    ck_assert(!rec.write);
    ck_assert_uint_eq(stats().fault_log_overflows, 2);
    while (vio_iommu_fault_log_pop(m, NULL)) {
    }
    ck_assert_uint_eq(vio_iommu_fault_log_count(m), 0);
}
END_TEST

START_TEST(t_unmap)
{
    start(0x10000, 0x80000000, 0x4000, VIO_PAGE_4K, true);
    map(5, 0x200000, 0x40000000, VIO_PAGE_2M, VIO_PAGE_2M, true);
    ck_assert_int_eq(xlate(3, 5, 0x11000, VIO_DMA_RX_WRITE).fault, VIO_IOMMU_OK);
    ck_assert_int_eq(vio_iommu_unmap(m, 5, 0x11000, 0x1000, NULL), VIO_OK);
    ck_assert_uint_eq(stats().invalidations, 1);
    ck_assert_int_eq(xlate(3, 5, 0x11000, VIO_DMA_RX_WRITE).fault, VIO_IOMMU_FAULT_NOT_MAPPED);
    ck_assert_uint_eq(xlate(3, 5, 0x10000, VIO_DMA_RX_WRITE).phys, 0x80000000);
    ck_assert_uint_eq(xlate(3, 5, 0x13008, VIO_DMA_RX_WRITE).phys, 0x80003008);
    vio_err err = {{0}};
    ck_assert_int_eq(vio_iommu_unmap(m, 5, 0x11000, 0x1000, &err), VIO_EINVAL); /* gone */
    ck_assert(strstr(err.msg, "not wholly mapped") != NULL);
    ck_assert_int_eq(vio_iommu_unmap(m, 5, 0x10000, 0x4000, NULL), VIO_EINVAL); /* hole */
    ck_assert_int_eq(vio_iommu_unmap(m, 5, 0x201000, 0x1000, NULL), VIO_EINVAL); /* cuts 2M */
    ck_assert_int_eq(vio_iommu_unmap(m, 9, 0x10000, 0x1000, NULL), VIO_EINVAL);
    map(5, 0x11000, 0xa0000000, 0x1000, VIO_PAGE_4K, true);
    ck_assert_uint_eq(xlate(3, 5, 0x11000, VIO_DMA_RX_WRITE).phys, 0xa0000000);
    ck_assert_int_eq(vio_iommu_unmap(m, 5, 0x10000, 0x4000, NULL), VIO_OK);
    ck_assert_int_eq(vio_iommu_unmap(m, 5, 0x200000, VIO_PAGE_2M, NULL), VIO_OK);
    ck_assert_int_eq(xlate(3, 5, 0x13000, VIO_DMA_RX_WRITE).fault, VIO_IOMMU_FAULT_NOT_MAPPED);
    ck_assert_uint_eq(xlate(3, 5, 0x200000, VIO_DMA_RX_WRITE).walk_reads, 1);
}
END_TEST

START_TEST(t_malformed_requests)
{
    create();
    vio_iommu_result r;
    vio_dma_req q = {.requester_id = RID, .queue_pair = 3, .pasid = 5, .iova = 0xfc0, .len = 128,
                     .kind = VIO_DMA_RX_WRITE};
    ck_assert_int_eq(vio_iommu_translate(m, &q, 0, &r), VIO_EINVAL); /* crosses 4 KiB */
    q.len = 0;
    ck_assert_int_eq(vio_iommu_translate(m, &q, 0, &r), VIO_EINVAL);
    q.len = 64;
    q.pasid = 1u << 20;
    ck_assert_int_eq(vio_iommu_translate(m, &q, 0, &r), VIO_EINVAL);
    ck_assert_uint_eq(stats().translations, 0);
}
END_TEST

START_TEST(t_names)
{
    ck_assert_str_eq(vio_iommu_fault_reason_name(VIO_IOMMU_OK), "ok");
    ck_assert_str_eq(vio_iommu_fault_reason_name(VIO_IOMMU_FAULT_NOT_MAPPED), "not_mapped");
    ck_assert_str_eq(vio_iommu_fault_reason_name(VIO_IOMMU_FAULT_COUNT), "unknown");
    for (int a = 0; a < VIO_IOMMU_FAULT_COUNT; a++)
        for (int b = 0; b < a; b++)
            ck_assert_str_ne(vio_iommu_fault_reason_name(a), vio_iommu_fault_reason_name(b));
    ck_assert_str_eq(vio_iommu_source_name(VIO_IOMMU_SRC_DEVTLB), "devtlb");
    ck_assert_str_eq(vio_iommu_source_name((vio_iommu_source)9), "unknown");
}
END_TEST

static TCase *tcase(const char *name, const TTest *const *tests, size_t n)
{
    TCase *tc = tcase_create(name);
    tcase_add_checked_fixture(tc, setup, teardown);
    for (size_t i = 0; i < n; i++)
        tcase_add_test(tc, tests[i]);
    return tc;
}

int main(void)
{
    const TTest *core[] = {t_config_rejected, t_map_rejected, t_walk_then_iotlb_hit, t_walk_2m_three_levels,
                           t_walk_reads_through_callback, t_unmap, t_malformed_requests, t_names};
    const TTest *faults[] = {t_fault_no_pasid, t_fault_pasid_not_present, t_fault_pasid_qp_mismatch,
                             t_fault_not_mapped, t_fault_write_denied, t_blocked_counters,
                             t_fault_log_bounded};
    const TTest *tlbs[] = {t_iotlb_lru_eviction, t_iotlb_set_conflicts, t_iotlb_reach_4k_vs_2m,
                           t_devtlb_before_iotlb};
    Suite *s = suite_create("iommu");
    suite_add_tcase(s, tcase("core", core, sizeof core / sizeof core[0]));
    suite_add_tcase(s, tcase("faults", faults, sizeof faults / sizeof faults[0]));
    suite_add_tcase(s, tcase("iotlb", tlbs, sizeof tlbs / sizeof tlbs[0]));
    return vio_test_run_suite(s);
}
