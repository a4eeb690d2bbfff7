/* PASID-tagged I/O on the receive path (issue 4): isolation under every
 * adversary, the price of translation, and IOTLB reach. */
#include "support.h"

#include <stdio.h>
#include <string.h>

static json_t *run_isolation(const char *adversary, const char *victim_every)
{
    char adv[96];
    snprintf(adv, sizeof adv, "tenants[3].adversary=%s", adversary);
    const char *sets[] = {"traffic.packets=6000", adv, victim_every};
    vio_scenario *s = vio_test_load("pasid-isolation.json", sets, 3);
    json_t *doc = vio_test_run(s, VIO_ENGINE_SEQUENTIAL);
    vio_scenario_destroy(s);
    return doc;
}

static const json_t *tenant(const json_t *variant, int i)
{
    return json_array_get(json_object_get(json_object_get(variant, "iommu"), "tenants"), (size_t)i);
}

/* Under PASID translation no byte of any tenant's traffic lands in another's memory,
 * and the three well-behaved tenants lose nothing. */
static void assert_isolated(const json_t *doc)
{
    const char *names[] = {"pasid-4k", "pasid-2m"};
    for (int n = 0; n < 2; n++) {
        const json_t *v = vio_test_variant(doc, names[n]);
        ck_assert_msg(vio_test_num(v, "iommu.cross_tenant_bytes") == 0, "%s leaked", names[n]);
        for (int t = 0; t < 3; t++) {
            ck_assert(vio_test_num(tenant(v, t), "cross_tenant_bytes") == 0);
            ck_assert(vio_test_num(tenant(v, t), "blocked") == 0);
            ck_assert_msg(vio_test_num(tenant(v, t), "packets.delivered") == vio_test_num(tenant(v, t), "packets.offered"),
                          "%s: tenant %d lost packets", names[n], t);
        }
    }
}

START_TEST(test_foreign_buffer_blocked_fl_not_present)
{
    json_t *doc = run_isolation("foreign-buffer", "tenants[3].attack_every=3");
    assert_isolated(doc);
    const json_t *on = vio_test_variant(doc, "pasid-4k"), *off = vio_test_variant(doc, "no-iommu");
    double blocked = vio_test_num(tenant(on, 3), "blocked");
    ck_assert(blocked > 0);
    ck_assert(vio_test_num(on, "iommu.faults.fl_not_present") == blocked);
    ck_assert(vio_test_num(on, "packets.dropped_at.iommu") == blocked);
    ck_assert(vio_test_num(tenant(on, 3), "blocked_bytes") == blocked * 1500);
    /* About one DMA in three of the adversary's queue was malicious. */
    double offered = vio_test_num(tenant(on, 3), "packets.offered");
    ck_assert(blocked >= offered / 3 - 1 && blocked <= offered / 3 + 1);
    /* Without the IOMMU the very same descriptors write into the victim's buffers:
     * the owner tags see it, so the zero above is a proof, not an assumption. */
    ck_assert(vio_test_num(off, "iommu.cross_tenant_bytes") == blocked * 1500);
    ck_assert(vio_test_num(tenant(off, 3), "cross_tenant_bytes") == blocked * 1500);
    json_decref(doc);
}
END_TEST

START_TEST(test_foreign_tag_rejected_by_tag_table)
{
    json_t *doc = run_isolation("foreign-tag", "tenants[3].attack_every=5");
    assert_isolated(doc);
    const json_t *on = vio_test_variant(doc, "pasid-4k"), *off = vio_test_variant(doc, "no-iommu");
    ck_assert(vio_test_num(on, "iommu.rejected_posts") > 0);
    ck_assert(vio_test_num(on, "iommu.blocked") == 0);
    /* Regression (issue 8): one post in attack_every of the victim's descriptors is
     * the adversary's, whatever the adversary's own DMA count; the victim's first
     * descriptor (0) is attacked, so ceil(victim's descriptors / 5) posts. */
    double victim_dmas = vio_test_num(tenant(on, 0), "packets.offered");
    double expect = (double)(((uint64_t)victim_dmas + 4) / 5);
    ck_assert_msg(vio_test_num(tenant(on, 3), "rejected_posts") == expect, "rejected %.0f posts, expected %.0f of %.0f",
                  vio_test_num(tenant(on, 3), "rejected_posts"), expect, victim_dmas);
    ck_assert(vio_test_num(on, "iommu.rejected_posts") == expect);
    /* No Tag ID check and no IOMMU: the victim's packets land in the adversary's buffers. */
    ck_assert(vio_test_num(tenant(off, 0), "cross_tenant_bytes") > 0);
    ck_assert(vio_test_num(off, "iommu.cross_tenant_bytes") == vio_test_num(tenant(off, 0), "cross_tenant_bytes"));
    json_decref(doc);
}
END_TEST

START_TEST(test_wrong_pasid_refused_by_device)
{
    json_t *doc = run_isolation("wrong-pasid", "tenants[3].attack_every=2");
    assert_isolated(doc);
    const json_t *on = vio_test_variant(doc, "pasid-2m");
    /* The device-side check refuses every other request (the PASID comes from the
     * queue's context): the adversary keeps its own PASID, nothing is blocked by
     * the IOMMU and nothing leaks although all tenants use the same IOVAs. */
    double refused = vio_test_num(tenant(on, 3), "pasid_refused");
    double dmas = vio_test_num(tenant(on, 3), "packets.offered");
    ck_assert_msg(refused == (double)(((uint64_t)dmas + 1) / 2), "refused %.0f of %.0f", refused, dmas);
    ck_assert(vio_test_num(on, "iommu.pasid_refused") == refused);
    ck_assert(vio_test_num(on, "iommu.blocked") == 0);
    ck_assert(vio_test_num(tenant(on, 3), "packets.delivered") == dmas);
    ck_assert(vio_test_num(tenant(on, 3), "cross_tenant_bytes") == 0);
    json_decref(doc);
}
END_TEST

START_TEST(test_no_pasid_blocked)
{
    json_t *doc = run_isolation("no-pasid", "tenants[3].attack_every=1");
    assert_isolated(doc);
    const json_t *on = vio_test_variant(doc, "pasid-4k");
    /* Every DMA of the adversary's queue lacks a PASID: all of its packets are blocked. */
    ck_assert(vio_test_num(tenant(on, 3), "packets.delivered") == 0);
    /* They take RID_PASID 0, whose PASID-table entry is not present (fault 0x59). */
    ck_assert(vio_test_num(on, "iommu.faults.pasid_not_present") == vio_test_num(tenant(on, 3), "packets.offered"));
    json_decref(doc);
}
END_TEST

START_TEST(test_well_behaved_tenants_keep_throughput)
{
    json_t *doc = run_isolation("foreign-buffer", "tenants[3].attack_every=1");
    const json_t *off = vio_test_variant(doc, "no-iommu"), *on = vio_test_variant(doc, "pasid-2m");
    for (int t = 0; t < 3; t++)
        ck_assert(vio_test_num(tenant(on, t), "packets.delivered") == vio_test_num(tenant(off, t), "packets.delivered"));
    ck_assert(vio_test_num(tenant(on, 3), "packets.delivered") == 0);
    json_decref(doc);
}
END_TEST

START_TEST(test_tag_pasid_queue_pair_mapping_reported)
{
    json_t *doc = run_isolation("none", "tenants[3].attack_every=1");
    const json_t *on = vio_test_variant(doc, "pasid-4k");
    for (int t = 0; t < 4; t++) {
        ck_assert(vio_test_num(tenant(on, t), "tag") == 10 + t);
        ck_assert(vio_test_num(tenant(on, t), "pasid") == 4096 + t);
        ck_assert(vio_test_num(tenant(on, t), "queue_pair") == t);
        ck_assert(vio_test_num(tenant(on, t), "faults") == 0);
    }
    ck_assert(vio_test_num(on, "iommu.blocked") == 0);
    /* Three translations per packet: descriptor read, payload write, completion. */
    ck_assert(vio_test_num(on, "iommu.translations") == 3 * vio_test_num(on, "packets.delivered"));
    json_decref(doc);
}
END_TEST

static void pressure(const char *ring, double *hit4k, double *lat4k, double *hit2m, double *lat2m, double *lat_off)
{
    const char *sets[] = {"traffic.packets=8000", ring};
    vio_scenario *s = vio_test_load("iotlb-pressure.json", sets, 2);
    json_t *doc = vio_test_run(s, VIO_ENGINE_SEQUENTIAL);
    *hit4k = vio_test_num(vio_test_variant(doc, "pasid-4k"), "iommu.iotlb_hit_rate");
    *lat4k = vio_test_num(vio_test_variant(doc, "pasid-4k"), "latency_ns.mean");
    *hit2m = vio_test_num(vio_test_variant(doc, "pasid-2m"), "iommu.iotlb_hit_rate");
    *lat2m = vio_test_num(vio_test_variant(doc, "pasid-2m"), "latency_ns.mean");
    *lat_off = vio_test_num(vio_test_variant(doc, "no-iommu"), "latency_ns.mean");
    json_decref(doc);
    vio_scenario_destroy(s);
}

START_TEST(test_iotlb_reach_4k_versus_2m)
{
    /* 64 IOTLB entries x 4 KiB = 256 KiB of reach. Two tenants with 32 buffers of
     * 2 KiB fit; with 512 buffers each (2 MiB) they do not. 2 MiB pages always fit. */
    double h4s, l4s, h2s, l2s, los, h4b, l4b, h2b, l2b, lob;
    pressure("platform.nic.ring_entries=32", &h4s, &l4s, &h2s, &l2s, &los);
    pressure("platform.nic.ring_entries=512", &h4b, &l4b, &h2b, &l2b, &lob);
    ck_assert_msg(h4s > 0.99 && h4b < h4s - 0.1, "4k hit rate: fits %.3f, spills %.3f", h4s, h4b);
    /* A payload miss costs what its walk (~125 ns) takes beyond the ~86 ns in which
     * the frame's other five TLPs reach the root port (they wait behind it: posted
     * writes stay in order), about 40 ns; half the buffers' pages miss. */
    ck_assert_msg(l4b > l4s + 10, "4k latency: fits %.1f ns, spills %.1f ns", l4s, l4b);
    ck_assert_msg(h2s > 0.99 && h2b > 0.99, "2m hit rate: %.3f, %.3f", h2s, h2b);
    ck_assert_msg(l2b < l2s + 5, "2m latency: %.1f ns vs %.1f ns", l2s, l2b);
    /* Translation is never free: even hits cost the IOTLB lookup. */
    ck_assert(l2s > los);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pasid");
    TCase *tc = tcase_create("pasid");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_foreign_buffer_blocked_fl_not_present);
    tcase_add_test(tc, test_foreign_tag_rejected_by_tag_table);
    tcase_add_test(tc, test_wrong_pasid_refused_by_device);
    tcase_add_test(tc, test_no_pasid_blocked);
    tcase_add_test(tc, test_well_behaved_tenants_keep_throughput);
    tcase_add_test(tc, test_tag_pasid_queue_pair_mapping_reported);
    tcase_add_test(tc, test_iotlb_reach_4k_versus_2m);
    suite_add_tcase(s, tc);
    return vio_test_run_suite(s);
}
