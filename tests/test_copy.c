/* The copy engines (copy.h): one destination line followed through the host's
 * and the guest's caches for every engine (where it is after the copy, what the
 * guest's read costs and where it hits), the copy engine's writes counted as
 * DDIO writes into the I/O ways, its queue and completion modes; and the
 * cross-core transfer cost paid only where another core really holds the line. */
#include "support.h"
#include "viosim/copy.h"

#define HOST 0u
#define GUEST 1u
#define SRC 0x200000ull /* a NIC receive buffer */
#define DST 0x400040ull /* the copy's destination line */
#define FREQ 2000u

/* A Skylake-SP-like hierarchy: L1 + L2 per core, a non-inclusive 11-way LLC with
 * a snoop filter, DDIO into the top 2 ways. */
static vio_memsys_config skx_like(int non_inclusive)
{
    vio_memsys_config c = {
        .cores = 4, .freq_mhz = FREQ,
        .l1 = {.size_bytes = 32 * 1024, .ways = 8}, .l1_hit_cycles = 4,
        .l2_enabled = 1, .l2 = {.size_bytes = 256 * 1024, .ways = 8}, .l2_hit_cycles = 14,
        .llc = {.size_bytes = 704 * 1024, .ways = 11}, .llc_hit_cycles = 50, .c2c_cycles = 120,
        .io_ways = 2, .dram_latency_ns = 90, .dram_bandwidth_mbps = 1000000, .mlp = 1,
        .non_inclusive = non_inclusive, .sf_ways = 12,
    };
    return c;
}

static vio_memsys *make_ms(const vio_memsys_config *c)
{
    vio_memsys *ms = NULL;
    vio_err err = {{0}};
    ck_assert_msg(vio_memsys_create(c, &ms, &err) == VIO_OK, "%s", err.msg);
    return ms;
}

static vio_copier_config copier_cfg(enum vio_dma_completion completion, enum vio_dma_target target)
{
    vio_copier_config k = {
        .freq_mhz = FREQ, .cldemote_cycles = 4, .dma_submit_cycles = 200, .dma_latency_ns = 500,
        .dma_bandwidth_mbps = 80000, .dma_completion = completion, .dma_irq_cycles = 1000, .dma_target = target,
        .dma_desc_cycles = 20,
    };
    return k;
}

static vio_copier *make_copier(const vio_copier_config *k, vio_memsys *ms)
{
    vio_copier *c = NULL;
    vio_err err = {{0}};
    ck_assert_msg(vio_copier_create(k, ms, &c, &err) == VIO_OK, "%s", err.msg);
    return c;
}

static vio_ps cyc(uint32_t n) { return vio_cycles_to_ps(n, FREQ); }

/* Is DST in the LLC, and in which way (-1: not there)? */
static int llc_way(const vio_memsys *ms)
{
    const vio_cache *llc = vio_memsys_llc(ms);
    int64_t s = vio_cache_find(llc, DST / VIO_LINE_BYTES);
    return s < 0 ? -1 : (int)vio_cache_way_of(llc, s);
}

/* What one line's journey looks like for one engine. */
typedef struct journey {
    int llc_way;              /* where DST sits in the LLC after the copy (-1: absent) */
    enum vio_level guest_lvl; /* where the guest's read of it hit */
    vio_ps guest_lat;         /* and what it cost */
    enum vio_level host_lvl;  /* where the host's own read of it hits afterwards */
    vio_copy_cost cost;
    vio_memsys_stats before, after;
} journey;

static journey follow(enum vio_copy_engine e, int non_inclusive, enum vio_dma_target target)
{
    vio_memsys_config mc = skx_like(non_inclusive);
    vio_memsys *ms = make_ms(&mc);
    vio_copier_config kc = copier_cfg(VIO_DMA_POLL, target);
    vio_copier *c = make_copier(&kc, ms);
    journey j;
    /* The packet arrives by DDIO into the NIC buffer. */
    vio_memsys_dma_write(ms, VIO_DMA_TO_LLC_DDIO, SRC, 64, 0);
    vio_memsys_get_stats(ms, &j.before);
    vio_copier_copy(c, e, HOST, SRC, DST, 64, 1000, &j.cost);
    vio_memsys_get_stats(ms, &j.after);
    j.llc_way = llc_way(ms);
    j.guest_lat = vio_memsys_read(ms, GUEST, DST, j.cost.done, &j.guest_lvl);
    vio_memsys_read(ms, HOST, DST, j.cost.done + j.guest_lat, &j.host_lvl);
    vio_copier_destroy(c);
    vio_memsys_destroy(ms);
    return j;
}

START_TEST(test_cpu_copy_leaves_the_line_modified_in_the_host)
{
    for (int ni = 0; ni <= 1; ni++) {
        journey j = follow(VIO_ENGINE_CPU, ni, VIO_DMA_TO_LLC_DDIO);
        /* Read for ownership from DRAM (the destination was never cached). */
        ck_assert_uint_eq(j.after.dram_reads, j.before.dram_reads + 1);
        if (ni)
            ck_assert_int_eq(j.llc_way, -1); /* non-inclusive: a fill goes to the private caches only */
        /* The guest's read is a real cross-core transfer: HITM. */
        ck_assert_int_eq(j.guest_lvl, VIO_LVL_REMOTE);
        ck_assert_uint_eq(j.guest_lat, cyc(120));
        /* The host keeps a clean copy in its L1. */
        ck_assert_int_eq(j.host_lvl, VIO_LVL_L1);
    }
}
END_TEST

START_TEST(test_cldemote_moves_the_line_to_the_llc)
{
    for (int ni = 0; ni <= 1; ni++) {
        vio_memsys_config mc = skx_like(ni);
        vio_memsys *ms = make_ms(&mc);
        vio_copier_config kc = copier_cfg(VIO_DMA_POLL, VIO_DMA_TO_LLC_DDIO);
        vio_copier *c = make_copier(&kc, ms);
        vio_copy_cost cost;
        vio_memsys_dma_write(ms, VIO_DMA_TO_LLC_DDIO, SRC, 64, 0);
        vio_copier_copy(c, VIO_ENGINE_CPU_CLDEMOTE, HOST, SRC, DST, 64, 1000, &cost);
        vio_copier_stats cs;
        vio_copier_get_stats(c, &cs);
        ck_assert_uint_eq(cs.lines_demoted, 1);
        /* In the LLC, dirty (the core's modified data went down), in an ordinary way. */
        int way = llc_way(ms);
        ck_assert_int_ge(way, 0);
        const vio_cache *llc = vio_memsys_llc(ms);
        ck_assert(vio_cache_flags(llc, vio_cache_find(llc, DST / 64)) & VIO_LINE_DIRTY);
        vio_memsys_stats st;
        vio_memsys_get_stats(ms, &st);
        ck_assert_uint_eq(st.dma_lines, 1); /* only the NIC's write: a demote is no device write */
        /* The store paid its read for ownership plus the CLDEMOTE's issue. */
        vio_ps read_src = cyc(50), rfo = cyc(50) + 90000;
        ck_assert_uint_eq(cost.core, read_src + rfo + cyc(4));
        enum vio_level lvl;
        vio_ps lat = vio_memsys_read(ms, GUEST, DST, cost.done, &lvl);
        ck_assert_int_eq(lvl, VIO_LVL_LLC);
        ck_assert_uint_eq(lat, cyc(50));
        /* The host's private caches no longer hold it. */
        vio_memsys_read(ms, HOST, DST, cost.done + lat, &lvl);
        ck_assert_int_eq(lvl, VIO_LVL_LLC);
        /* CLDEMOTE of a line the core does not hold does nothing. */
        vio_copier_store(c, VIO_ENGINE_CPU_CLDEMOTE, 2, DST + 4096, 16, 0);
        vio_copier_get_stats(c, &cs);
        ck_assert_uint_eq(cs.lines_demoted, 2); /* that store's own line was demoted, nothing else */
        vio_copier_destroy(c);
        vio_memsys_destroy(ms);
    }
}
END_TEST

START_TEST(test_nt_stores_go_to_dram)
{
    for (int ni = 0; ni <= 1; ni++) {
        vio_memsys_config mc = skx_like(ni);
        vio_memsys *ms = make_ms(&mc);
        vio_copier_config kc = copier_cfg(VIO_DMA_POLL, VIO_DMA_TO_LLC_DDIO);
        vio_copier *c = make_copier(&kc, ms);
        /* The destination is cached in the host (a stale earlier copy) and the guest. */
        vio_memsys_stream(ms, HOST, VIO_STREAM_WRITE, DST, 64, 0);
        vio_memsys_read(ms, GUEST, DST, 0, NULL);
        vio_memsys_dma_write(ms, VIO_DMA_TO_LLC_DDIO, SRC, 64, 0);
        vio_memsys_stats b, a;
        vio_memsys_get_stats(ms, &b);
        vio_copy_cost cost;
        vio_copier_copy(c, VIO_ENGINE_CPU_NT, HOST, SRC, DST, 64, 1000, &cost);
        vio_memsys_get_stats(ms, &a);
        ck_assert_uint_eq(a.dram_writes, b.dram_writes + 1);
        ck_assert_uint_eq(a.dram_reads, b.dram_reads); /* no read for ownership */
        ck_assert_uint_ge(a.back_invalidations, b.back_invalidations + 2); /* both private copies */
        ck_assert_int_eq(llc_way(ms), -1);
        /* The store holds its write-combining buffer until memory takes the line. */
        ck_assert_uint_eq(cost.core, cyc(50) + 90000);
        enum vio_level lvl;
        vio_ps lat = vio_memsys_read(ms, GUEST, DST, cost.done, &lvl);
        ck_assert_int_eq(lvl, VIO_LVL_DRAM);
        ck_assert_uint_eq(lat, cyc(50) + 90000);
        vio_copier_destroy(c);
        vio_memsys_destroy(ms);
    }
}
END_TEST

START_TEST(test_dma_engine_writes_are_ddio_writes_into_the_io_ways)
{
    for (int ni = 0; ni <= 1; ni++) {
        journey j = follow(VIO_ENGINE_DMA, ni, VIO_DMA_TO_LLC_DDIO);
        /* One more device write, allocated in an I/O way (9 or 10 of 11). */
        ck_assert_uint_eq(j.after.dma_lines, j.before.dma_lines + 1);
        ck_assert_uint_eq(j.after.dma_llc_hits, j.before.dma_llc_hits); /* a miss: allocated */
        ck_assert_int_ge(j.llc_way, 9);
        /* The core never touched the data. */
        ck_assert_uint_eq(j.after.l1_hits + j.after.l1_misses, j.before.l1_hits + j.before.l1_misses);
        ck_assert_int_eq(j.guest_lvl, VIO_LVL_LLC);
        ck_assert_uint_eq(j.guest_lat, cyc(50));
        ck_assert_int_eq(j.host_lvl, VIO_LVL_LLC);
        /* Polled: submit, engine latency, the source read (an LLC hit), 64 B at
         * 80 Gb/s, then the completion record's read. */
        vio_ps expect = cyc(200) + 500000 + cyc(50) + vio_bytes_to_ps(64, 80000) + cyc(50);
        ck_assert_uint_eq(j.cost.core, expect);
        ck_assert_uint_eq(j.cost.done, 1000 + expect);
        /* Without DDIO the engine writes DRAM: the guest misses. */
        journey d = follow(VIO_ENGINE_DMA, ni, VIO_DMA_TO_DRAM);
        ck_assert_int_eq(d.llc_way, -1);
        ck_assert_int_eq(d.guest_lvl, VIO_LVL_DRAM);
    }
}
END_TEST

START_TEST(test_ideal_store_is_the_upper_bound)
{
    journey cases[VIO_ENGINE_COUNT];
    for (int e = 0; e < (int)VIO_ENGINE_COUNT; e++)
        cases[e] = follow((enum vio_copy_engine)e, 1, VIO_DMA_TO_LLC_DDIO);
    journey id = cases[VIO_ENGINE_IDEAL];
    ck_assert_int_ge(id.llc_way, 0);
    ck_assert_int_eq(id.guest_lvl, VIO_LVL_LLC);
    ck_assert_int_eq(id.host_lvl, VIO_LVL_LLC);
    ck_assert_uint_eq(id.cost.core, cyc(50) + cyc(50)); /* read the source, one LLC store */
    /* No real engine gives the guest a cheaper read, nor costs the host less. */
    for (int e = 0; e < (int)VIO_ENGINE_COUNT; e++) {
        ck_assert_uint_ge(cases[e].guest_lat, id.guest_lat);
        ck_assert_uint_ge(cases[e].cost.core, id.cost.core);
    }
    /* And the guest's read orders as the coherence model says. */
    ck_assert_uint_lt(cases[VIO_ENGINE_CPU_CLDEMOTE].guest_lat, cases[VIO_ENGINE_CPU].guest_lat);
    ck_assert_uint_lt(cases[VIO_ENGINE_CPU].guest_lat, cases[VIO_ENGINE_CPU_NT].guest_lat);
}
END_TEST

START_TEST(test_dma_engine_queue_and_completion)
{
    vio_memsys_config mc = skx_like(1);
    vio_memsys *ms = make_ms(&mc);
    vio_copier_config kc = copier_cfg(VIO_DMA_INTERRUPT, VIO_DMA_TO_LLC_DDIO);
    vio_copier *c = make_copier(&kc, ms);
    vio_memsys_dma_write(ms, VIO_DMA_TO_LLC_DDIO, SRC, 1536, 0);
    vio_copy_cost a, b;
    vio_copier_copy(c, VIO_ENGINE_DMA, HOST, SRC, DST, 1536, 0, &a);
    vio_copier_copy(c, VIO_ENGINE_DMA, HOST, SRC, DST + 4096, 1536, 0, &b);
    /* Interrupt mode: the core pays the submission now and the handler later. */
    ck_assert_uint_eq(a.core, cyc(200));
    ck_assert_uint_eq(a.debt, cyc(1000));
    /* The engine streams one descriptor at a time: the second waits for the first. */
    vio_ps stream = vio_bytes_to_ps(1536, 80000);
    ck_assert_uint_eq(b.done - a.done, stream);
    vio_copier_stats cs;
    vio_copier_get_stats(c, &cs);
    ck_assert_uint_eq(cs.dma_descriptors, 2);
    ck_assert_uint_eq(cs.dma_lines, 48);
    ck_assert_uint_eq(cs.dma_queue_ps, stream);
    vio_copier_destroy(c);
    vio_memsys_destroy(ms);
}
END_TEST

/* poll-async (DPDK's dmadev over DSA): N copies staged in one burst pay ONE
 * doorbell and N descriptor writes; the engine pays its per-submission latency
 * once for the batch; the batch's completion record is written after its last
 * copy, and batches complete in submission order. */
START_TEST(test_dma_burst_pays_one_doorbell)
{
    vio_memsys_config mc = skx_like(1);
    vio_memsys *ms = make_ms(&mc);
    vio_copier_config kc = copier_cfg(VIO_DMA_ASYNC, VIO_DMA_TO_LLC_DDIO);
    vio_copier *c = make_copier(&kc, ms);
    enum { N = 8 };
    vio_dma_desc d[N];
    for (uint32_t i = 0; i < N; i++) {
        d[i] = (vio_dma_desc){SRC + i * 2048, DST + i * 2048, 1536};
        vio_memsys_dma_write(ms, VIO_DMA_TO_LLC_DDIO, d[i].src, 1536, 0); /* the NIC's: in the LLC */
    }
    vio_ps done;
    vio_ps core = vio_copier_submit(c, HOST, d, N, 0, &done);
    /* The core: N descriptors and one doorbell, and it does not wait for the engine. */
    ck_assert_uint_eq(core, cyc(200) + N * cyc(20));
    vio_copier_stats cs;
    vio_copier_get_stats(c, &cs);
    ck_assert_uint_eq(cs.dma_doorbells, 1);
    ck_assert_uint_eq(cs.dma_batched, N);
    ck_assert_uint_eq(cs.dma_descriptors, N);
    ck_assert_uint_eq(cs.copies[VIO_ENGINE_DMA], N);
    ck_assert_uint_eq(cs.dma_lines, N * 24);
    /* The batch completes after the doorbell, one engine latency, a source read
     * (an LLC hit) and the N copies streamed back to back: no copy of the batch
     * is complete earlier, and the latency is paid once, not N times. */
    vio_ps stream = vio_bytes_to_ps(1536, 80000);
    ck_assert_uint_eq(done, core + 500000 + cyc(50) + N * stream);
    ck_assert_uint_lt(done, core + N * 500000);
    /* The copies are DDIO writes: the guest reads each from the LLC. */
    enum vio_level lvl;
    vio_memsys_read(ms, GUEST, d[N - 1].dst, done, &lvl);
    ck_assert_int_eq(lvl, VIO_LVL_LLC);
    /* A second burst submitted before the first is done waits for the engine:
     * completions come in submission order. */
    vio_ps done2;
    vio_dma_desc one = {SRC, DST + 64 * 2048, 1536};
    vio_ps core2 = vio_copier_submit(c, HOST, &one, 1, core, &done2);
    ck_assert_uint_eq(core2, cyc(200)); /* a burst of one: the work descriptor is the doorbell */
    ck_assert_uint_gt(done2, done);
    ck_assert_uint_eq(done2, done + stream); /* behind the first batch's data, its latency overlapped */
    vio_copier_get_stats(c, &cs);
    ck_assert_uint_eq(cs.dma_doorbells, 2);
    ck_assert_uint_eq(cs.dma_batched, N);
    /* Reading a completion record is an LLC hit. */
    ck_assert_uint_eq(vio_copier_poll_cost(c), cyc(50));
    vio_copier_destroy(c);
    vio_memsys_destroy(ms);
}
END_TEST

/* Item 5: platform.c2c_cycles is paid exactly where the directory says another
 * core holds the line, and nowhere else. */
START_TEST(test_c2c_only_when_another_core_holds_the_line)
{
    vio_ps lat[2][4];
    enum vio_level lvl[2][4];
    const uint32_t c2c[2] = {100, 300};
    for (int k = 0; k < 2; k++) {
        vio_memsys_config mc = skx_like(1);
        mc.l2_enabled = 0; /* evicting from a 32 KiB L1 is enough to leave the private caches */
        mc.c2c_cycles = c2c[k];
        vio_memsys *ms = make_ms(&mc);
        const uint64_t X = 0x40000, Y = 0x80140, Z = 0xC0280;
        /* 0: modified in core 0 -> HITM. */
        vio_memsys_stream(ms, HOST, VIO_STREAM_WRITE, X, 64, 0);
        lat[k][0] = vio_memsys_read(ms, GUEST, X, 0, &lvl[k][0]);
        /* 1: written by core 0, then evicted from its L1 (8 lines of its set) -> LLC. */
        vio_memsys_stream(ms, HOST, VIO_STREAM_WRITE, Y, 64, 0);
        for (uint64_t n = 1; n <= 8; n++)
            vio_memsys_read(ms, HOST, Y + n * 64 * 64, 0, NULL);
        lat[k][1] = vio_memsys_read(ms, GUEST, Y, 0, &lvl[k][1]);
        /* 2: held by nobody -> DRAM. */
        lat[k][2] = vio_memsys_read(ms, GUEST, Z, 0, &lvl[k][2]);
        /* 3: the guest's second read: its own L1. */
        lat[k][3] = vio_memsys_read(ms, GUEST, X, 0, &lvl[k][3]);
        vio_memsys_destroy(ms);
    }
    ck_assert_int_eq(lvl[0][0], VIO_LVL_REMOTE);
    ck_assert_uint_eq(lat[0][0], cyc(100));
    ck_assert_uint_eq(lat[1][0], cyc(300));
    ck_assert_int_eq(lvl[0][1], VIO_LVL_LLC);
    ck_assert_int_eq(lvl[0][2], VIO_LVL_DRAM);
    ck_assert_int_eq(lvl[0][3], VIO_LVL_L1);
    for (int i = 1; i < 4; i++) {
        ck_assert_int_eq(lvl[0][i], lvl[1][i]);
        ck_assert_uint_eq(lat[0][i], lat[1][i]); /* c2c_cycles changes nothing else */
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("copy");
    TCase *tc = tcase_create("copy");
    tcase_add_test(tc, test_cpu_copy_leaves_the_line_modified_in_the_host);
    tcase_add_test(tc, test_cldemote_moves_the_line_to_the_llc);
    tcase_add_test(tc, test_nt_stores_go_to_dram);
    tcase_add_test(tc, test_dma_engine_writes_are_ddio_writes_into_the_io_ways);
    tcase_add_test(tc, test_ideal_store_is_the_upper_bound);
    tcase_add_test(tc, test_dma_engine_queue_and_completion);
    tcase_add_test(tc, test_dma_burst_pays_one_doorbell);
    tcase_add_test(tc, test_c2c_only_when_another_core_holds_the_line);
    suite_add_tcase(s, tc);
    return vio_test_run_suite(s);
}
