/* The IOMMU model (VT-d scalable mode): translation steps and their costs, the
 * caches, overlapping address spaces, nesting, walkers, ATS, faults and the log. */
#include "support.h"
#include "viosim/iommu.h"

#include <stdlib.h>
#include <string.h>

#define RID 0x0300u
#define NS VIO_PS_PER_NS
#define MAXREC 128
#define T0 (1000 * NS)

/* The read callback: records every read and charges `lat`, or, with `cache` set,
 * 80 ns on the first read of an address and 20 ns after (a toy cache, enough to
 * show that deterministic structure addresses make repeated reads hit). */
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

static const vio_iommu_context ctx_on = {.present = true, .pasid_enable = true, .dte = true,
                                         .max_pasid = VIO_PASID_MAX, .rid_pasid = 0};

static void create(void)
{
    vio_err err = {{0}};
    ck_assert_int_eq(vio_iommu_create(&cfg, &m, &err), VIO_OK);
    ck_assert_str_eq(err.msg, "");
}

static void context(const vio_iommu_context *ce)
{
    vio_err err = {{0}};
    ck_assert_msg(vio_iommu_set_context(m, RID, ce, &err) == VIO_OK, "%s", err.msg);
}

static void map(uint32_t table, uint64_t iova, uint64_t phys, uint64_t size, uint64_t pg, bool w)
{
    vio_err err = {{0}};
    ck_assert_msg(vio_iommu_map(m, table, iova, phys, size, pg, w, &err) == VIO_OK, "%s", err.msg);
}

/* PASID `pasid` present, first level, by the table of the same number. */
static void pasid_fl(uint32_t pasid, uint16_t did)
{
    vio_err err = {{0}};
    vio_iommu_pasid_entry pe = {.present = true, .pgtt = VIO_PGTT_FIRST_LEVEL, .did = did, .fl_table = pasid};
    ck_assert_msg(vio_iommu_set_pasid(m, RID, pasid, &pe, &err) == VIO_OK, "%s", err.msg);
}

/* The usual start: context present, PASID 5 mapped as given. */
static void start(uint64_t iova, uint64_t phys, uint64_t size, uint64_t pg, bool w)
{
    create();
    context(&ctx_on);
    map(5, iova, phys, size, pg, w);
    pasid_fl(5, 1);
}

static vio_iommu_result xlate_at(uint32_t pasid, uint64_t iova, vio_dma_kind k, vio_ps now)
{
    vio_dma_req req = {.requester_id = RID, .pasid = pasid, .iova = iova, .len = 64, .kind = k};
    vio_iommu_result r;
    ck_assert_int_eq(vio_iommu_translate(m, &req, now, &r), VIO_OK);
    return r;
}

static vio_iommu_result xlate(uint32_t pasid, uint64_t iova, vio_dma_kind k) { return xlate_at(pasid, iova, k, T0); }

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
    cfg.iotlb_ways = 64; /* beyond what the replacement module ranks */
    ck_assert_int_eq(vio_iommu_create(&cfg, &m, NULL), VIO_EINVAL);
    setup();
    cfg.devtlb_entries = 48; /* above 32 and not a multiple of 32 */
    ck_assert_int_eq(vio_iommu_create(&cfg, &m, NULL), VIO_EINVAL);
    setup();
    cfg.read_line = NULL;
    memset(&err, 0, sizeof err);
    ck_assert_int_eq(vio_iommu_create(&cfg, &m, &err), VIO_EINVAL);
    ck_assert(strstr(err.msg, "read_line") != NULL);
    setup();
    cfg.fault_log_entries = 0;
    ck_assert_int_eq(vio_iommu_create(&cfg, &m, NULL), VIO_EINVAL);
    setup();
    cfg.walkers = 0;
    ck_assert_int_eq(vio_iommu_create(&cfg, &m, NULL), VIO_EINVAL);
    setup();
    cfg.pt_base = 0x1234000;
    ck_assert_int_eq(vio_iommu_create(&cfg, &m, NULL), VIO_EINVAL);
}
END_TEST

START_TEST(t_map_and_entries_rejected)
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
    map(2, 0x13000, 0x90000000, 0x1000, VIO_PAGE_4K, true); /* same IOVA, other table: fine */
    vio_iommu_context bad = ctx_on;
    bad.max_pasid = 1u << 20;
    ck_assert_int_eq(vio_iommu_set_context(m, RID, &bad, NULL), VIO_EINVAL);
    vio_iommu_pasid_entry pe = {.present = true, .pgtt = (vio_iommu_pgtt)2, .fl_table = 1};
    ck_assert_int_eq(vio_iommu_set_pasid(m, RID, 1, &pe, NULL), VIO_EINVAL); /* SL-only: not modelled */
    pe.pgtt = VIO_PGTT_FIRST_LEVEL;
    ck_assert_int_eq(vio_iommu_set_pasid(m, RID, 1u << 20, &pe, NULL), VIO_EINVAL);
    ck_assert(!vio_iommu_get_pasid(m, RID, 1, NULL));
    ck_assert_int_eq(vio_iommu_set_pasid(m, RID, 1, &pe, NULL), VIO_OK);
    vio_iommu_pasid_entry back;
    ck_assert(vio_iommu_get_pasid(m, RID, 1, &back));
    ck_assert_uint_eq(back.fl_table, 1);
}
END_TEST

START_TEST(t_steps_and_costs)
{
    start(0x10000, 0x80000000, 0x4000, VIO_PAGE_4K, true);
    /* Cold: root + context entries, PASID directory + table entries, then a 4-level walk. */
    vio_iommu_result r = xlate(5, 0x11040, VIO_DMA_RX_WRITE);
    ck_assert_int_eq(r.fault, VIO_IOMMU_OK);
    ck_assert_int_eq(r.source, VIO_IOMMU_SRC_WALK);
    ck_assert_uint_eq(r.phys, 0x80001040);
    ck_assert_uint_eq(r.page_size, VIO_PAGE_4K);
    ck_assert_uint_eq(r.entry_reads, 4);
    ck_assert_uint_eq(r.walk_reads, 4);
    ck_assert_uint_eq(r.latency, 5 * NS + 4 * 50 * NS + 100 * NS + 4 * 50 * NS);
    ck_assert_uint_eq(rd.calls, 8);
    /* Warm: the context, PASID and IOTLB lookups hit; one lookup time. */
    r = xlate(5, 0x11800, VIO_DMA_RX_WRITE);
    ck_assert_int_eq(r.source, VIO_IOMMU_SRC_IOTLB);
    ck_assert_uint_eq(r.phys, 0x80001800);
    ck_assert_uint_eq(r.latency, 5 * NS);
    ck_assert_uint_eq(r.walk_reads + r.entry_reads, 0);
    /* The next page misses the IOTLB only: the PDE cache leaves one PTE read. */
    r = xlate(5, 0x12000, VIO_DMA_RX_WRITE);
    ck_assert_int_eq(r.source, VIO_IOMMU_SRC_WALK);
    ck_assert_uint_eq(r.walk_reads, 1);
    ck_assert_uint_eq(r.latency, 5 * NS + 100 * NS + 50 * NS);
    vio_iommu_stats s = stats();
    ck_assert_uint_eq(s.translations, 3);
    ck_assert_uint_eq(s.performed, 3);
    ck_assert_uint_eq(s.ctx_cache_hits, 2);
    ck_assert_uint_eq(s.ctx_cache_misses, 1);
    ck_assert_uint_eq(s.pasid_cache_hits, 2);
    ck_assert_uint_eq(s.pasid_cache_misses, 1);
    ck_assert_uint_eq(s.iotlb_hits, 1);
    ck_assert_uint_eq(s.iotlb_misses, 2);
    ck_assert_uint_eq(s.psc_hits[2], 1);
    ck_assert_uint_eq(s.walks, 2);
    ck_assert_uint_eq(s.walk_reads, 5);
    ck_assert_uint_eq(s.entry_reads, 4);
    ck_assert_uint_eq(s.walk_ps, 300 * NS + 150 * NS);
    ck_assert_uint_eq(s.devtlb_hits + s.devtlb_misses, 0); /* no ATS by default */
    vio_iommu_pasid_stats ps;
    ck_assert_int_eq(vio_iommu_pasid_stats_get(m, RID, 5, &ps), VIO_OK);
    ck_assert_uint_eq(ps.performed, 3);
    ck_assert_uint_eq(ps.performed_bytes, 192);
    ck_assert_int_eq(vio_iommu_pasid_stats_get(m, RID, 6, &ps), VIO_EINVAL);
}
END_TEST

START_TEST(t_walk_2m_three_levels)
{
    start(0x40000000, 0x100000000, VIO_PAGE_2M, VIO_PAGE_2M, true);
    vio_iommu_result r = xlate(5, 0x40012340, VIO_DMA_RX_WRITE);
    ck_assert_int_eq(r.fault, VIO_IOMMU_OK);
    ck_assert_uint_eq(r.walk_reads, 3);
    ck_assert_uint_eq(r.phys, 0x100012340);
    ck_assert_uint_eq(r.page_size, VIO_PAGE_2M);
    r = xlate(5, 0x401ff000, VIO_DMA_RX_WRITE); /* other end of the same 2 MiB page */
    ck_assert_int_eq(r.source, VIO_IOMMU_SRC_IOTLB);
    ck_assert_uint_eq(r.phys, 0x1001ff000);
}
END_TEST

START_TEST(t_walk_reads_through_callback)
{
    rd.cache = 1;
    cfg.psc_entries = 0; /* every walk reads all four levels */
    start(0x10000, 0x80000000, 0x2000, VIO_PAGE_4K, true);
    map(6, 0x10000, 0x90000000, 0x1000, VIO_PAGE_4K, true);
    pasid_fl(6, 2);
    xlate(5, 0x10000, VIO_DMA_DESC_READ);
    ck_assert_uint_eq(rd.calls, 8); /* 4 entry reads, then the walk */
    /* Walk reads are dependent: each is issued when the previous one returned. */
    ck_assert_uint_eq(rd.when[4], T0 + 5 * NS + 4 * 80 * NS + 100 * NS);
    for (int i = 5; i < 8; i++)
        ck_assert_uint_eq(rd.when[i], rd.when[i - 1] + 80 * NS);
    for (int i = 0; i < 8; i++) {
        ck_assert_uint_eq(rd.addr[i] % 8, 0);
        ck_assert_uint_ge(rd.addr[i], VIO_IOMMU_DEFAULT_PT_BASE - (1ull << 41));
        for (int j = 0; j < i; j++)
            ck_assert_uint_ne(rd.addr[i], rd.addr[j]);
    }
    /* The neighbouring page shares PML4E, PDPTE and PDE; its PTE is the next one. */
    vio_iommu_result r = xlate(5, 0x11000, VIO_DMA_DESC_READ);
    ck_assert_uint_eq(rd.calls, 12);
    for (int i = 0; i < 3; i++)
        ck_assert_uint_eq(rd.addr[8 + i], rd.addr[4 + i]);
    ck_assert_uint_eq(rd.addr[11], rd.addr[7] + 8);
    ck_assert_uint_eq(r.latency, 5 * NS + 100 * NS + 3 * 20 * NS + 80 * NS);
    /* Another PASID: its own PASID entry, then its own table. */
    r = xlate(6, 0x10000, VIO_DMA_DESC_READ);
    ck_assert_uint_eq(r.entry_reads, 2); /* its PASID directory and table entries; context cached */
    for (uint64_t i = 12; i < rd.calls; i++)
        for (int j = 4; j < 8; j++)
            ck_assert_uint_ne(rd.addr[i], rd.addr[j]);
    ck_assert_uint_eq(stats().walk_reads + stats().entry_reads, rd.calls);
}
END_TEST

START_TEST(t_overlapping_spaces)
{
    /* Three address spaces, all with the same IOVA range, each onto its own memory. */
    create();
    context(&ctx_on);
    for (uint32_t p = 1; p <= 3; p++) {
        map(p, 0x10000, 0x100000000ull * p, 0x4000, VIO_PAGE_4K, true);
        pasid_fl(p, (uint16_t)p);
    }
    for (int round = 0; round < 3; round++)
        for (uint32_t p = 1; p <= 3; p++)
            for (uint64_t off = 0; off < 0x4000; off += 0x800) {
                vio_iommu_result r = xlate(p, 0x10000 + off, VIO_DMA_RX_WRITE);
                ck_assert_int_eq(r.fault, VIO_IOMMU_OK);
                ck_assert_uint_eq(r.phys, 0x100000000ull * p + off); /* never another's */
                if (round > 0)
                    ck_assert_int_eq(r.source, VIO_IOMMU_SRC_IOTLB);
            }
    /* Two PASIDs sharing a domain id still keep apart: the IOTLB tags with both. */
    map(4, 0x10000, 0x400000000ull, 0x1000, VIO_PAGE_4K, true);
    pasid_fl(4, 1);
    ck_assert_uint_eq(xlate(4, 0x10000, VIO_DMA_RX_WRITE).phys, 0x400000000ull);
    ck_assert_uint_eq(xlate(1, 0x10000, VIO_DMA_RX_WRITE).phys, 0x100000000ull);
}
END_TEST

START_TEST(t_nested_two_dimensional_walk)
{
    cfg.psc_entries = 0;
    create();
    context(&ctx_on);
    map(7, 0x10000, 0x200000, 0x1000, VIO_PAGE_4K, true);   /* first level: GVA -> GPA */
    map(8, 0x200000, 0x90000000, 0x1000, VIO_PAGE_4K, false); /* second level: GPA -> HPA, read-only */
    vio_iommu_pasid_entry pe = {.present = true, .pgtt = VIO_PGTT_NESTED, .did = 3, .fl_table = 7, .sl_table = 8};
    ck_assert_int_eq(vio_iommu_set_pasid(m, RID, 7, &pe, NULL), VIO_OK);
    vio_iommu_result r = xlate(7, 0x10010, VIO_DMA_DESC_READ);
    ck_assert_int_eq(r.fault, VIO_IOMMU_OK);
    ck_assert_uint_eq(r.phys, 0x90000010);
    /* 4 first-level reads, each behind a 4-read second-level walk, then the
     * output's own second-level walk: 4 * (4 + 1) + 4 = 24. */
    ck_assert_uint_eq(r.walk_reads, 24);
    /* Rights combine: the second level is read-only. */
    ck_assert_int_eq(xlate(7, 0x10020, VIO_DMA_RX_WRITE).fault, VIO_IOMMU_FAULT_WRITE_DENIED);
    /* A GPA the second level does not map. */
    map(7, 0x11000, 0x300000, 0x1000, VIO_PAGE_4K, true);
    r = xlate(7, 0x11000, VIO_DMA_DESC_READ);
    ck_assert_int_eq(r.fault, VIO_IOMMU_FAULT_SL_DENIED);
    ck_assert_uint_eq(vio_iommu_fault_code(r.fault), 0x79);
    /* Changing the second level drops the PASID's cached translations. */
    ck_assert_int_eq(vio_iommu_unmap(m, 8, 0x200000, 0x1000, NULL), VIO_OK);
    ck_assert_int_eq(xlate(7, 0x10010, VIO_DMA_DESC_READ).fault, VIO_IOMMU_FAULT_SL_DENIED);
}
END_TEST

START_TEST(t_fault_context)
{
    create();
    map(5, 0x10000, 0x80000000, 0x1000, VIO_PAGE_4K, true);
    pasid_fl(5, 1);
    vio_iommu_result r = xlate(5, 0x10000, VIO_DMA_RX_WRITE); /* no context entry written */
    ck_assert_int_eq(r.fault, VIO_IOMMU_FAULT_CONTEXT_NOT_PRESENT);
    ck_assert_uint_eq(r.entry_reads, 2);
    vio_iommu_context ce = ctx_on;
    ce.pasid_enable = false;
    context(&ce);
    ck_assert_int_eq(xlate(5, 0x10000, VIO_DMA_RX_WRITE).fault, VIO_IOMMU_FAULT_PASID_DISABLED);
    ce = ctx_on;
    ce.max_pasid = 4;
    context(&ce);
    ck_assert_int_eq(xlate(5, 0x10000, VIO_DMA_RX_WRITE).fault, VIO_IOMMU_FAULT_PASID_TOO_LARGE);
    context(&ctx_on);
    ck_assert_int_eq(xlate(5, 0x10000, VIO_DMA_RX_WRITE).fault, VIO_IOMMU_OK);
    ce.present = false;
    context(&ce); /* a context torn down: its cached state must not outlive it */
    ck_assert_int_eq(xlate(5, 0x10000, VIO_DMA_RX_WRITE).fault, VIO_IOMMU_FAULT_CONTEXT_NOT_PRESENT);
    vio_iommu_stats s = stats();
    ck_assert_uint_eq(s.faults[VIO_IOMMU_FAULT_CONTEXT_NOT_PRESENT], 2);
    ck_assert_uint_eq(s.performed, 1);
}
END_TEST

START_TEST(t_fault_pasid_entries)
{
    start(0x10000, 0x80000000, 0x1000, VIO_PAGE_4K, true);
    /* PASID 0x1000: its block of 64 has no PASID-table page. */
    vio_iommu_result r = xlate(0x1000, 0x10000, VIO_DMA_RX_WRITE);
    ck_assert_int_eq(r.fault, VIO_IOMMU_FAULT_PASID_DIR_NOT_PRESENT);
    ck_assert_uint_eq(vio_iommu_fault_code(r.fault), 0x51);
    /* PASID 6 shares PASID 5's table page but has no entry; so has RID_PASID 0,
     * which a request without a PASID uses. */
    ck_assert_int_eq(xlate(6, 0x10000, VIO_DMA_RX_WRITE).fault, VIO_IOMMU_FAULT_PASID_NOT_PRESENT);
    r = xlate(VIO_PASID_NONE, 0x10000, VIO_DMA_RX_WRITE);
    ck_assert_int_eq(r.fault, VIO_IOMMU_FAULT_PASID_NOT_PRESENT);
    ck_assert_uint_eq(vio_iommu_fault_code(r.fault), 0x59);
    /* RID_PASID pointed at PASID 5: untagged requests now translate in its space. */
    vio_iommu_context ce = ctx_on;
    ce.rid_pasid = 5;
    context(&ce);
    r = xlate(VIO_PASID_NONE, 0x10010, VIO_DMA_RX_WRITE);
    ck_assert_int_eq(r.fault, VIO_IOMMU_OK);
    ck_assert_uint_eq(r.phys, 0x80000010);
    /* An entry cleared after use: the cached translation must not outlive Present. */
    ck_assert_int_eq(xlate(5, 0x10000, VIO_DMA_RX_WRITE).source, VIO_IOMMU_SRC_IOTLB);
    vio_iommu_pasid_entry pe = {.present = false, .pgtt = VIO_PGTT_FIRST_LEVEL, .did = 1, .fl_table = 5};
    ck_assert_int_eq(vio_iommu_set_pasid(m, RID, 5, &pe, NULL), VIO_OK);
    ck_assert_uint_ge(stats().invalidations, 1);
    ck_assert_int_eq(xlate(5, 0x10000, VIO_DMA_RX_WRITE).fault, VIO_IOMMU_FAULT_PASID_NOT_PRESENT);
    pasid_fl(5, 1);
    ck_assert_int_eq(xlate(5, 0x10000, VIO_DMA_RX_WRITE).source, VIO_IOMMU_SRC_WALK);
    vio_iommu_pasid_stats ps;
    ck_assert_int_eq(vio_iommu_pasid_stats_get(m, RID, 5, &ps), VIO_OK);
    ck_assert_uint_eq(ps.faults, 1);
}
END_TEST

START_TEST(t_fault_first_level)
{
    start(0x10000, 0x80000000, 0x1000, VIO_PAGE_4K, true);
    /* The walk stops at the first clear Present bit. */
    vio_iommu_result r = xlate(5, 0x11000, VIO_DMA_RX_WRITE); /* PTE clear */
    ck_assert_int_eq(r.fault, VIO_IOMMU_FAULT_FL_NOT_PRESENT);
    ck_assert_uint_eq(vio_iommu_fault_code(r.fault), 0x71);
    ck_assert_uint_eq(r.walk_reads, 4);
    ck_assert_uint_eq(xlate(5, 0x400000, VIO_DMA_RX_WRITE).walk_reads, 1);  /* PDE clear (PDPTE cached) */
    ck_assert_uint_eq(xlate(5, 0x40000000, VIO_DMA_RX_WRITE).walk_reads, 1); /* PDPTE clear (PML4E cached) */
    ck_assert_uint_eq(xlate(5, 1ull << 40, VIO_DMA_RX_WRITE).walk_reads, 1);  /* PML4E clear */
    /* Not canonical: bit 47 set without 63:48. Canonical high half: walked. */
    r = xlate(5, 1ull << 47, VIO_DMA_RX_WRITE);
    ck_assert_int_eq(r.fault, VIO_IOMMU_FAULT_NON_CANONICAL);
    ck_assert_uint_eq(r.walk_reads, 0);
    ck_assert_uint_eq(vio_iommu_fault_code(r.fault), 0x80);
    ck_assert_int_eq(xlate(5, 0xffff800000000000ull, VIO_DMA_RX_WRITE).fault, VIO_IOMMU_FAULT_FL_NOT_PRESENT);
    /* A fault is not cached: the next request walks again. */
    ck_assert_uint_ge(xlate(5, 0x11000, VIO_DMA_RX_WRITE).walk_reads, 1);
    ck_assert_uint_eq(stats().faults[VIO_IOMMU_FAULT_FL_NOT_PRESENT], 6);
}
END_TEST

START_TEST(t_fault_write_denied)
{
    start(0x10000, 0x80000000, 0x2000, VIO_PAGE_4K, false);
    ck_assert_int_eq(xlate(5, 0x10000, VIO_DMA_TX_READ).fault, VIO_IOMMU_OK);
    vio_iommu_result r = xlate(5, 0x10040, VIO_DMA_RX_WRITE);
    ck_assert_int_eq(r.fault, VIO_IOMMU_FAULT_WRITE_DENIED);
    ck_assert_int_eq(r.source, VIO_IOMMU_SRC_IOTLB); /* cached rights are checked too */
    ck_assert_uint_eq(r.phys, 0);
    ck_assert_uint_eq(vio_iommu_fault_code(r.fault), 0x85);
    r = xlate(5, 0x11000, VIO_DMA_CPL_WRITE);
    ck_assert_int_eq(r.fault, VIO_IOMMU_FAULT_WRITE_DENIED);
    ck_assert_int_eq(r.source, VIO_IOMMU_SRC_WALK);
    ck_assert_int_eq(xlate(5, 0x11000, VIO_DMA_DESC_READ).fault, VIO_IOMMU_OK);
    vio_iommu_stats s = stats();
    ck_assert_uint_eq(s.faults[VIO_IOMMU_FAULT_WRITE_DENIED], 2);
    ck_assert_uint_eq(s.performed, 2);
    ck_assert_uint_eq(s.blocked_bytes, 128);
}
END_TEST

/* Hit (1) or miss (0) of a 4 KiB-page sequence on a tiny IOTLB. */
static void expect_hits(const uint64_t *pages, const int *hit, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        vio_iommu_result r = xlate(5, pages[i] << 12, VIO_DMA_RX_WRITE);
        ck_assert_msg(r.source == (hit[i] ? VIO_IOMMU_SRC_IOTLB : VIO_IOMMU_SRC_WALK),
                      "access %zu (page %llu): expected %s, got %s", i, (unsigned long long)pages[i],
                      hit[i] ? "hit" : "miss", vio_iommu_source_name(r.source));
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
    cfg.iotlb_ways = 2; /* 4 sets */
    start(0, 0x80000000, 16 * VIO_PAGE_4K, VIO_PAGE_4K, true);
    /* The set index folds the tag (did 1 << 21 | PASID 5) in: pages 1, 5, 9 share a set. */
    static const uint64_t conflict[] = {1, 5, 9, 1, 5, 9, 1, 5, 9};
    static const int none[9] = {0};
    expect_hits(conflict, none, 9); /* 3 pages, 2 ways: thrash although 8 entries */
    static const uint64_t spread[] = {2, 3, 4, 2, 3, 4};
    static const int later[] = {0, 0, 0, 1, 1, 1};
    expect_hits(spread, later, 6);
}
END_TEST

/* IOTLB hit rate of `rounds` sweeps over `ws` bytes of 4 KiB buffers. */
static double sweep_hit_rate(uint64_t ws, uint64_t page_size, int rounds)
{
    setup();
    uint64_t mapped = (ws + page_size - 1) / page_size * page_size;
    start(0, 1ull << 32, mapped, page_size, true);
    for (int k = 0; k < rounds; k++)
        for (uint64_t a = 0; a < ws; a += VIO_PAGE_4K)
            ck_assert_int_eq(xlate(5, a, VIO_DMA_RX_WRITE).fault, VIO_IOMMU_OK);
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

START_TEST(t_walkers_back_pressure)
{
    /* Eight simultaneous misses on two walkers: they complete in pairs, one walk
     * time apart, so misses cap the translation RATE at walkers / walk time. */
    cfg.walkers = 2;
    start(0, 0x80000000, 16 * VIO_PAGE_4K, VIO_PAGE_4K, true);
    xlate_at(5, 0, VIO_DMA_RX_WRITE, 0); /* warm the context, PASID and PDE caches */
    const vio_ps walk = 100 * NS + 50 * NS; /* overhead + the PTE read */
    for (uint64_t i = 0; i < 8; i++) {
        vio_iommu_result r = xlate_at(5, (i + 1) << 12, VIO_DMA_RX_WRITE, T0);
        ck_assert_int_eq(r.source, VIO_IOMMU_SRC_WALK);
        ck_assert_uint_eq(r.walk_wait, (i / 2) * walk);
        ck_assert_uint_eq(r.latency, 5 * NS + (i / 2) * walk + walk);
    }
    vio_iommu_stats s = stats();
    ck_assert_uint_eq(s.walks_waited, 6);
    ck_assert_uint_eq(s.walk_wait_ps, (0 + 0 + 1 + 1 + 2 + 2 + 3 + 3) * walk);
    /* Enough walkers: nobody waits. */
    vio_iommu_destroy(m);
    setup();
    cfg.walkers = 8;
    start(0, 0x80000000, 16 * VIO_PAGE_4K, VIO_PAGE_4K, true);
    xlate_at(5, 0, VIO_DMA_RX_WRITE, 0);
    for (uint64_t i = 0; i < 8; i++)
        ck_assert_uint_eq(xlate_at(5, (i + 1) << 12, VIO_DMA_RX_WRITE, T0).latency, 5 * NS + walk);
    ck_assert_uint_eq(stats().walks_waited, 0);
}
END_TEST

START_TEST(t_ats_miss_costs_more)
{
    /* The same cold request without ATS and with a device TLB that misses. */
    start(0, 0x80000000, 4 * VIO_PAGE_4K, VIO_PAGE_4K, true);
    vio_ps plain = xlate(5, 0, VIO_DMA_RX_WRITE).latency;
    vio_iommu_destroy(m);
    setup();
    cfg.devtlb_entries = 2;
    cfg.devtlb_hit_ps = 1 * NS;
    start(0, 0x80000000, 4 * VIO_PAGE_4K, VIO_PAGE_4K, true);
    vio_iommu_result r = xlate(5, 0, VIO_DMA_RX_WRITE);
    ck_assert_int_eq(r.source, VIO_IOMMU_SRC_WALK);
    ck_assert_uint_eq(r.latency, plain + 1 * NS + VIO_IOMMU_DEFAULT_ATS_RTT_PS);
    ck_assert_uint_gt(r.latency, plain); /* a device-TLB miss never saves */
    r = xlate(5, 0x40, VIO_DMA_RX_WRITE);
    ck_assert_int_eq(r.source, VIO_IOMMU_SRC_DEVTLB);
    ck_assert_uint_eq(r.latency, 1 * NS);
    ck_assert_uint_eq(r.phys, 0x80000040);
    vio_iommu_stats s = stats();
    ck_assert_uint_eq(s.devtlb_hits, 1);
    ck_assert_uint_eq(s.devtlb_misses, 1);
    ck_assert_uint_eq(s.ats_ps, VIO_IOMMU_DEFAULT_ATS_RTT_PS);
    ck_assert_uint_eq(s.iotlb_hits + s.iotlb_misses, 1); /* the hit never reached the IOMMU */
    xlate(5, 0x1000, VIO_DMA_RX_WRITE);
    xlate(5, 0x2000, VIO_DMA_RX_WRITE); /* the device TLB (2 entries) drops page 0 */
    r = xlate(5, 0, VIO_DMA_RX_WRITE);
    ck_assert_int_eq(r.source, VIO_IOMMU_SRC_IOTLB);
    ck_assert_uint_eq(r.latency, 1 * NS + VIO_IOMMU_DEFAULT_ATS_RTT_PS + 5 * NS);
    /* Unmapping reaches the device TLB too. */
    ck_assert_int_eq(vio_iommu_unmap(m, 5, 0, VIO_PAGE_4K, NULL), VIO_OK);
    ck_assert_int_eq(xlate(5, 0, VIO_DMA_RX_WRITE).fault, VIO_IOMMU_FAULT_FL_NOT_PRESENT);
    /* A context without DTE refuses translation requests. */
    vio_iommu_context ce = ctx_on;
    ce.dte = false;
    context(&ce);
    r = xlate(5, 0x1000, VIO_DMA_RX_WRITE);
    ck_assert_int_eq(r.fault, VIO_IOMMU_FAULT_DTE_CLEAR);
    ck_assert_uint_eq(vio_iommu_fault_code(r.fault), 0x44);
}
END_TEST

START_TEST(t_fault_log_bounded)
{
    cfg.fault_log_entries = 4;
    create();
    vio_dma_req q = {.requester_id = RID, .pasid = 5, .len = 64, .kind = VIO_DMA_RX_WRITE};
    vio_iommu_result r;
    for (int i = 0; i < 6; i++) {
        q.iova = 0x1000ull * (uint64_t)(i + 1);
        ck_assert_int_eq(vio_iommu_translate(m, &q, (vio_ps)i * NS, &r), VIO_OK);
    }
    ck_assert_uint_eq(vio_iommu_fault_log_count(m), 4);
    vio_iommu_stats s = stats();
    ck_assert_uint_eq(s.fault_log_overflows, 2);
    ck_assert_uint_eq(s.faults[VIO_IOMMU_FAULT_CONTEXT_NOT_PRESENT], 6);
    vio_iommu_fault_record rec;
    for (size_t i = 0; i < 4; i++) { /* like VT-d, the log keeps the first faults */
        ck_assert_int_eq(vio_iommu_fault_log_at(m, i, &rec), VIO_OK);
        ck_assert_uint_eq(rec.addr, 0x1000 * (i + 1));
        ck_assert_uint_eq(rec.time, i * NS);
        ck_assert_int_eq(rec.reason, VIO_IOMMU_FAULT_CONTEXT_NOT_PRESENT);
        ck_assert_uint_eq(rec.requester_id, RID);
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
    while (vio_iommu_fault_log_pop(m, NULL)) {
    }
    ck_assert_uint_eq(vio_iommu_fault_log_count(m), 0);
}
END_TEST

START_TEST(t_unmap)
{
    start(0x10000, 0x80000000, 0x4000, VIO_PAGE_4K, true);
    map(5, 0x200000, 0x40000000, VIO_PAGE_2M, VIO_PAGE_2M, true);
    ck_assert_int_eq(xlate(5, 0x11000, VIO_DMA_RX_WRITE).fault, VIO_IOMMU_OK);
    uint64_t inv = stats().invalidations;
    ck_assert_int_eq(vio_iommu_unmap(m, 5, 0x11000, 0x1000, NULL), VIO_OK);
    ck_assert_uint_gt(stats().invalidations, inv);
    ck_assert_int_eq(xlate(5, 0x11000, VIO_DMA_RX_WRITE).fault, VIO_IOMMU_FAULT_FL_NOT_PRESENT);
    ck_assert_uint_eq(xlate(5, 0x10000, VIO_DMA_RX_WRITE).phys, 0x80000000);
    ck_assert_uint_eq(xlate(5, 0x13008, VIO_DMA_RX_WRITE).phys, 0x80003008);
    vio_err err = {{0}};
    ck_assert_int_eq(vio_iommu_unmap(m, 5, 0x11000, 0x1000, &err), VIO_EINVAL); /* gone */
    ck_assert(strstr(err.msg, "not wholly mapped") != NULL);
    ck_assert_int_eq(vio_iommu_unmap(m, 5, 0x10000, 0x4000, NULL), VIO_EINVAL);   /* hole */
    ck_assert_int_eq(vio_iommu_unmap(m, 5, 0x201000, 0x1000, NULL), VIO_EINVAL); /* cuts 2M */
    ck_assert_int_eq(vio_iommu_unmap(m, 9, 0x10000, 0x1000, NULL), VIO_EINVAL);
    map(5, 0x11000, 0xa0000000, 0x1000, VIO_PAGE_4K, true);
    ck_assert_uint_eq(xlate(5, 0x11000, VIO_DMA_RX_WRITE).phys, 0xa0000000);
    ck_assert_int_eq(vio_iommu_unmap(m, 5, 0x10000, 0x4000, NULL), VIO_OK);
    ck_assert_int_eq(vio_iommu_unmap(m, 5, 0x200000, VIO_PAGE_2M, NULL), VIO_OK);
    ck_assert_int_eq(xlate(5, 0x13000, VIO_DMA_RX_WRITE).fault, VIO_IOMMU_FAULT_FL_NOT_PRESENT);
    ck_assert_int_eq(xlate(5, 0x200000, VIO_DMA_RX_WRITE).fault, VIO_IOMMU_FAULT_FL_NOT_PRESENT);
}
END_TEST

START_TEST(t_malformed_requests)
{
    create();
    vio_iommu_result r;
    vio_dma_req q = {.requester_id = RID, .pasid = 5, .iova = 0xfc0, .len = 128, .kind = VIO_DMA_RX_WRITE};
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
    ck_assert_str_eq(vio_iommu_fault_reason_name(VIO_IOMMU_FAULT_FL_NOT_PRESENT), "fl_not_present");
    ck_assert_str_eq(vio_iommu_fault_reason_text(VIO_IOMMU_FAULT_PASID_NOT_PRESENT),
                     "Present bit in PASID Table Entry is clear");
    ck_assert_str_eq(vio_iommu_fault_reason_name(VIO_IOMMU_FAULT_COUNT), "unknown");
    for (int a = 1; a < VIO_IOMMU_FAULT_COUNT; a++) {
        ck_assert_uint_ge(vio_iommu_fault_code(a), 0x30); /* scalable-mode codes */
        for (int b = 0; b < a; b++) {
            ck_assert_str_ne(vio_iommu_fault_reason_name(a), vio_iommu_fault_reason_name(b));
            ck_assert_uint_gt(vio_iommu_fault_code(a), vio_iommu_fault_code(b)); /* enum in code order */
        }
    }
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
    const TTest *core[] = {t_config_rejected, t_map_and_entries_rejected, t_steps_and_costs, t_walk_2m_three_levels,
                           t_walk_reads_through_callback, t_overlapping_spaces, t_nested_two_dimensional_walk,
                           t_unmap, t_malformed_requests, t_names};
    const TTest *faults[] = {t_fault_context, t_fault_pasid_entries, t_fault_first_level, t_fault_write_denied,
                             t_fault_log_bounded};
    const TTest *caches[] = {t_iotlb_lru_eviction, t_iotlb_set_conflicts, t_iotlb_reach_4k_vs_2m,
                             t_walkers_back_pressure, t_ats_miss_costs_more};
    Suite *s = suite_create("iommu");
    suite_add_tcase(s, tcase("core", core, sizeof core / sizeof core[0]));
    suite_add_tcase(s, tcase("faults", faults, sizeof faults / sizeof faults[0]));
    suite_add_tcase(s, tcase("caches", caches, sizeof caches / sizeof caches[0]));
    return vio_test_run_suite(s);
}
