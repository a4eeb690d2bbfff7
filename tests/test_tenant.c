/* Tenant table (Tag ID <-> queue pair <-> PASID), its enforcement through the
 * IOMMU, and owner tags proving that no tenant's DMA lands in another's memory. */
#include "support.h"
#include "viosim/iommu.h"
#include "viosim/tenant.h"

#include <string.h>

#define RID 0x0300u

static vio_tenants *t;
static vio_iommu *m;
static uint64_t walk_reads;

static vio_ps read_cb(void *ctx, uint64_t addr, vio_ps now)
{
    (void)ctx;
    (void)addr;
    (void)now;
    walk_reads++;
    return 40 * VIO_PS_PER_NS;
}

/* Three tenants: two in VMs, one container on the host; Tag IDs added out of order. */
static const vio_tenant tenants[] = {
    {.tag = 2, .queue_pair = 1, .pasid = 0x200, .vm = 1},
    {.tag = 1, .queue_pair = 0, .pasid = 0x100, .vm = 0},
    {.tag = 7, .queue_pair = 5, .pasid = 0x7000, .vm = VIO_TENANT_HOST},
};
#define NT (sizeof tenants / sizeof tenants[0])

static void setup(void)
{
    vio_err err = {{0}};
    ck_assert_int_eq(vio_tenants_create(RID, &t, &err), VIO_OK);
    for (size_t i = 0; i < NT; i++)
        ck_assert_msg(vio_tenants_add(t, &tenants[i], &err) == VIO_OK, "%s", err.msg);
    m = NULL;
    walk_reads = 0;
}

static void teardown(void)
{
    vio_tenants_destroy(t);
    vio_iommu_destroy(m);
}

/* An IOMMU programmed from the table; each tenant's IOVA 0x10000.. maps 16 KiB of
 * its own buffer at 0x100000000 * tag. */
static void make_iommu(void)
{
    vio_iommu_config cfg;
    vio_iommu_config_default(&cfg);
    cfg.read_line = read_cb;
    vio_err err = {{0}};
    ck_assert_int_eq(vio_iommu_create(&cfg, &m, &err), VIO_OK);
    ck_assert_msg(vio_tenants_program_iommu(t, m, &err) == VIO_OK, "%s", err.msg);
    for (size_t i = 0; i < NT; i++) {
        uint64_t buf = 0x100000000ull * (uint64_t)tenants[i].tag;
        ck_assert_int_eq(vio_iommu_map(m, tenants[i].pasid, 0x10000, buf, 0x4000, VIO_PAGE_4K, true, &err),
                         VIO_OK);
        ck_assert_int_eq(vio_tenants_add_region(t, buf, 0x4000, tenants[i].tag, &err), VIO_OK);
    }
}

/* A DMA the device makes for queue pair `qp`; a TLP carries no queue pair, so `qp`
 * only documents the caller's intent. */
static vio_iommu_result dma(uint32_t qp, uint32_t pasid, uint64_t iova, uint32_t len)
{
    (void)qp;
    vio_dma_req req = {.requester_id = RID, .pasid = pasid, .iova = iova, .len = len, .kind = VIO_DMA_RX_WRITE};
    vio_iommu_result r;
    ck_assert_int_eq(vio_iommu_translate(m, &req, 0, &r), VIO_OK);
    return r;
}

START_TEST(t_add_and_lookup)
{
    ck_assert_uint_eq(vio_tenants_count(t), 3);
    vio_tenant d;
    static const int32_t order[] = {1, 2, 7}; /* iteration is in Tag ID order */
    for (size_t i = 0; i < 3; i++) {
        ck_assert_int_eq(vio_tenants_at(t, i, &d), VIO_OK);
        ck_assert_int_eq(d.tag, order[i]);
    }
    ck_assert_int_eq(vio_tenants_at(t, 3, &d), VIO_EINVAL);
    ck_assert_int_eq(vio_tenants_get(t, 7, &d), VIO_OK);
    ck_assert_uint_eq(d.queue_pair, 5);
    ck_assert_uint_eq(d.pasid, 0x7000);
    ck_assert_int_eq(d.vm, VIO_TENANT_HOST);
    ck_assert_int_eq(vio_tenants_get(t, 3, &d), VIO_EINVAL);
    ck_assert_int_eq(vio_tenants_tag_of_qp(t, 1), 2);
    ck_assert_int_eq(vio_tenants_tag_of_qp(t, 2), VIO_TAG_NONE);
    ck_assert_int_eq(vio_tenants_tag_of_pasid(t, 0x100), 1);
    ck_assert_int_eq(vio_tenants_tag_of_pasid(t, 0x101), VIO_TAG_NONE);
    ck_assert_uint_eq(vio_tenants_pasid_for_qp(t, 5), 0x7000);
    ck_assert_uint_eq(vio_tenants_pasid_for_qp(t, 9), VIO_PASID_NONE);
}
END_TEST

START_TEST(t_add_rejected)
{
    static const struct { vio_tenant d; const char *msg; } bad[] = {
        {{.tag = 1, .queue_pair = 9, .pasid = 0x900}, "already registered"},
        {{.tag = 9, .queue_pair = 1, .pasid = 0x900}, "queue pair 1 already belongs to tag 2"},
        {{.tag = 9, .queue_pair = 9, .pasid = 0x100}, "already belongs to tag 1"},
        {{.tag = -3, .queue_pair = 9, .pasid = 0x900}, ">= 0"},
        {{.tag = 9, .queue_pair = 9, .pasid = 1u << 20}, "20 bits"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        vio_err err = {{0}};
        ck_assert_int_eq(vio_tenants_add(t, &bad[i].d, &err), VIO_EINVAL);
        ck_assert_msg(strstr(err.msg, bad[i].msg) != NULL, "case %zu: '%s'", i, err.msg);
    }
    ck_assert_uint_eq(vio_tenants_count(t), 3);
    ck_assert_int_eq(vio_tenants_tag_of_qp(t, 9), VIO_TAG_NONE);
}
END_TEST

START_TEST(t_mapping_both_ways)
{
    /* queue pair -> tag -> PASID and PASID -> tag -> queue pair close the loop. */
    for (size_t i = 0; i < NT; i++) {
        uint32_t qp = tenants[i].queue_pair;
        uint32_t pasid = vio_tenants_pasid_for_qp(t, qp);
        ck_assert_uint_eq(pasid, tenants[i].pasid);
        vio_tenant d;
        ck_assert_int_eq(vio_tenants_get(t, vio_tenants_tag_of_pasid(t, pasid), &d), VIO_OK);
        ck_assert_uint_eq(d.queue_pair, qp);
        for (size_t j = 0; j < NT; j++)
            ck_assert(vio_tenants_qp_accepts(t, qp, tenants[j].pasid) == (i == j));
    }
    ck_assert(!vio_tenants_qp_accepts(t, 0, 0x555));
    /* The IOMMU holds one present first-level entry per tenant; every tenant maps
     * the SAME IOVAs (overlapping spaces) onto its own buffer. */
    make_iommu();
    for (size_t i = 0; i < NT; i++) {
        uint32_t qp = tenants[i].queue_pair;
        vio_iommu_pasid_entry pe;
        ck_assert(vio_iommu_get_pasid(m, RID, tenants[i].pasid, &pe));
        ck_assert(pe.present);
        ck_assert_uint_eq(pe.fl_table, tenants[i].pasid);
        vio_iommu_result r = dma(qp, vio_tenants_pasid_for_qp(t, qp), 0x10100, 64);
        ck_assert_int_eq(r.fault, VIO_IOMMU_OK);
        ck_assert_int_eq(vio_tenants_owner_of(t, r.phys), tenants[i].tag);
        for (size_t j = 0; j < NT; j++) {
            if (j == i)
                continue;
            /* A wrong PASID stamp is the DEVICE's to refuse: the IOMMU sees only
             * (requester, PASID, address), so a device that stamped tenant j's
             * PASID on queue pair i would reach j's buffer at the same IOVA. This
             * is the limit of the IOMMU, and why the device takes the PASID from
             * the host-programmed queue context. */
            ck_assert(!vio_tenants_qp_accepts(t, qp, tenants[j].pasid));
            r = dma(qp, tenants[j].pasid, 0x10100, 64);
            ck_assert_int_eq(r.fault, VIO_IOMMU_OK);
            vio_owner_check c;
            ck_assert_int_eq(vio_tenants_check_dma(t, tenants[i].tag, r.phys, 64, &c), VIO_OK);
            ck_assert_uint_eq(c.foreign_bytes, 64);
            ck_assert_int_eq(c.first_foreign, tenants[j].tag);
        }
    }
    /* A request without a PASID uses RID_PASID 0, left not present: blocked. */
    ck_assert_int_eq(dma(0, VIO_PASID_NONE, 0x10100, 64).fault, VIO_IOMMU_FAULT_PASID_NOT_PRESENT);
    vio_iommu_stats s;
    vio_iommu_stats_get(m, &s);
    ck_assert_uint_eq(s.performed, NT * NT);
    ck_assert_uint_eq(s.blocked, 1);
}
END_TEST

START_TEST(t_program_iommu_overwrites)
{
    vio_iommu_config cfg;
    vio_iommu_config_default(&cfg);
    cfg.read_line = read_cb;
    ck_assert_int_eq(vio_iommu_create(&cfg, &m, NULL), VIO_OK);
    /* A stale entry (another table) for PASID 0x100 is replaced by the tenant's. */
    vio_iommu_pasid_entry stale = {.present = true, .pgtt = VIO_PGTT_FIRST_LEVEL, .did = 9, .fl_table = 42};
    ck_assert_int_eq(vio_iommu_set_pasid(m, RID, 0x100, &stale, NULL), VIO_OK);
    vio_err err = {{0}};
    ck_assert_msg(vio_tenants_program_iommu(t, m, &err) == VIO_OK, "%s", err.msg);
    vio_iommu_pasid_entry pe;
    ck_assert(vio_iommu_get_pasid(m, RID, 0x100, &pe));
    ck_assert_uint_eq(pe.fl_table, 0x100);
    ck_assert(vio_iommu_get_pasid(m, RID, 0, &pe)); /* RID_PASID written, not present */
    ck_assert(!pe.present);
}
END_TEST

START_TEST(t_regions_and_owner)
{
    vio_err err = {{0}};
    ck_assert_int_eq(vio_tenants_add_region(t, 0x1000, 0x1000, 1, &err), VIO_OK);
    ck_assert_int_eq(vio_tenants_add_region(t, 0x3000, 0x2000, 2, &err), VIO_OK);
    ck_assert_int_eq(vio_tenants_add_region(t, 0x2000, 0x1000, 7, &err), VIO_OK); /* between */
    ck_assert_int_eq(vio_tenants_owner_of(t, 0xfff), VIO_TAG_NONE);
    ck_assert_int_eq(vio_tenants_owner_of(t, 0x1000), 1);
    ck_assert_int_eq(vio_tenants_owner_of(t, 0x1fff), 1);
    ck_assert_int_eq(vio_tenants_owner_of(t, 0x2000), 7);
    ck_assert_int_eq(vio_tenants_owner_of(t, 0x4fff), 2);
    ck_assert_int_eq(vio_tenants_owner_of(t, 0x5000), VIO_TAG_NONE);
    ck_assert_int_eq(vio_tenants_add_region(t, 0x4fff, 0x10, 1, &err), VIO_EINVAL);
    ck_assert_msg(strstr(err.msg, "overlaps") != NULL, "%s", err.msg);
    ck_assert_int_eq(vio_tenants_add_region(t, 0x0, 0x10000, 1, NULL), VIO_EINVAL); /* covers */
    ck_assert_int_eq(vio_tenants_add_region(t, 0x8000, 0x1000, 3, NULL), VIO_EINVAL); /* no tag */
    ck_assert_int_eq(vio_tenants_add_region(t, 0x8000, 0, 1, NULL), VIO_EINVAL);
    ck_assert_int_eq(vio_tenants_add_region(t, UINT64_MAX - 10, 0x100, 1, NULL), VIO_EINVAL);
    ck_assert_int_eq(vio_tenants_owner_of(t, 0x8000), VIO_TAG_NONE);
}
END_TEST

START_TEST(t_check_dma_counts)
{
    ck_assert_int_eq(vio_tenants_add_region(t, 0x1000, 0x1000, 1, NULL), VIO_OK);
    ck_assert_int_eq(vio_tenants_add_region(t, 0x2000, 0x1000, 2, NULL), VIO_OK);
    vio_owner_check c;
    ck_assert_int_eq(vio_tenants_check_dma(t, 1, 0x1100, 0x100, &c), VIO_OK);
    ck_assert_uint_eq(c.own_bytes, 0x100);
    ck_assert_uint_eq(c.foreign_bytes, 0);
    ck_assert_int_eq(c.first_foreign, VIO_TAG_NONE);
    ck_assert_int_eq(vio_tenants_check_dma(t, 1, 0x1800, 0x1000, &c), VIO_OK);
    ck_assert_uint_eq(c.own_bytes, 0x800);
    ck_assert_uint_eq(c.foreign_bytes, 0x800);
    ck_assert_int_eq(c.first_foreign, 2);
    ck_assert_int_eq(vio_tenants_check_dma(t, 1, 0x2f00, 0x200, &c), VIO_OK);
    ck_assert_uint_eq(c.foreign_bytes, 0x100);
    ck_assert_uint_eq(c.unowned_bytes, 0x100);
    ck_assert_int_eq(vio_tenants_check_dma(t, VIO_TAG_NONE, 0x1f00, 0x200, &c), VIO_OK);
    ck_assert_uint_eq(c.foreign_bytes, 0x200); /* no tenant owns anything */
    ck_assert_int_eq(c.first_foreign, 1);
    ck_assert_int_eq(vio_tenants_check_dma(t, 9, 0x1000, 0x10, &c), VIO_EINVAL);
    ck_assert_int_eq(vio_tenants_check_dma(t, 1, UINT64_MAX, 2, &c), VIO_EINVAL);
    vio_isolation_stats s;
    ck_assert_int_eq(vio_tenants_isolation(t, 1, &s), VIO_OK);
    ck_assert_uint_eq(s.dmas, 3);
    ck_assert_uint_eq(s.bytes, 0x100 + 0x1000 + 0x200);
    ck_assert_uint_eq(s.own_bytes, 0x100 + 0x800);
    ck_assert_uint_eq(s.foreign_bytes, 0x800 + 0x100);
    ck_assert_uint_eq(s.unowned_bytes, 0x100);
    ck_assert_uint_eq(s.breached_dmas, 2);
    ck_assert_int_eq(vio_tenants_isolation(t, 2, &s), VIO_OK);
    ck_assert_uint_eq(s.dmas, 0);
    ck_assert_int_eq(vio_tenants_isolation(t, VIO_TAG_NONE, &s), VIO_OK); /* everything */
    ck_assert_uint_eq(s.dmas, 4);
    ck_assert_uint_eq(s.foreign_bytes, 0x900 + 0x200);
    ck_assert_uint_eq(s.breached_dmas, 3);
    ck_assert_int_eq(vio_tenants_isolation(t, 9, &s), VIO_EINVAL);
}
END_TEST

/* Every tenant writes every byte of its 16 KiB IOVA window, 1 KiB at a time, on its
 * own queue pair; each performed DMA is checked against the owner tags. */
static void run_traffic(void)
{
    for (size_t i = 0; i < NT; i++) {
        uint32_t qp = tenants[i].queue_pair;
        for (uint64_t off = 0; off < 0x4000; off += 0x400) {
            vio_iommu_result r = dma(qp, vio_tenants_pasid_for_qp(t, qp), 0x10000 + off, 0x400);
            ck_assert_int_eq(r.fault, VIO_IOMMU_OK);
            vio_owner_check c;
            ck_assert_int_eq(vio_tenants_check_dma(t, vio_tenants_tag_of_qp(t, qp), r.phys, 0x400, &c),
                             VIO_OK);
        }
    }
}

START_TEST(t_isolation_proof)
{
    make_iommu();
    run_traffic();
    vio_isolation_stats s;
    vio_tenants_isolation(t, VIO_TAG_NONE, &s);
    ck_assert_uint_eq(s.dmas, NT * 16);
    ck_assert_uint_eq(s.own_bytes, NT * 0x4000);
    ck_assert_uint_eq(s.foreign_bytes, 0);
    ck_assert_uint_eq(s.unowned_bytes, 0);
    /* Per tenant: its context/PASID entries, a 4-level walk for the first page and
     * one PTE read for each of the 3 others (the PDE cache holds the rest). */
    ck_assert_uint_eq(walk_reads, 2 + NT * 2 + NT * (4 + 3));
    /* A host bug maps tenant 1's last IOVA page onto tenant 2's buffer: the same
     * traffic now breaches isolation and the owner check must say so. */
    ck_assert_int_eq(vio_iommu_unmap(m, 0x100, 0x13000, 0x1000, NULL), VIO_OK);
    ck_assert_int_eq(vio_iommu_map(m, 0x100, 0x13000, 0x200000000ull, 0x1000, VIO_PAGE_4K, true, NULL),
                     VIO_OK);
    run_traffic();
    ck_assert_int_eq(vio_tenants_isolation(t, 1, &s), VIO_OK);
    ck_assert_uint_eq(s.foreign_bytes, 0x1000);
    ck_assert_uint_eq(s.breached_dmas, 4);
    ck_assert_int_eq(vio_tenants_isolation(t, 2, &s), VIO_OK);
    ck_assert_uint_eq(s.foreign_bytes, 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tenant");
    TCase *tc = tcase_create("table");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, t_add_and_lookup);
    tcase_add_test(tc, t_add_rejected);
    tcase_add_test(tc, t_mapping_both_ways);
    tcase_add_test(tc, t_program_iommu_overwrites);
    suite_add_tcase(s, tc);
    TCase *to = tcase_create("owners");
    tcase_add_checked_fixture(to, setup, teardown);
    tcase_add_test(to, t_regions_and_owner);
    tcase_add_test(to, t_check_dma_counts);
    tcase_add_test(to, t_isolation_proof);
    suite_add_tcase(s, to);
    return vio_test_run_suite(s);
}
