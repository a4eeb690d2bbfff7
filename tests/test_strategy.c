/* Registered strategies and policies (viosim/strategy.h): every row of every
 * axis loads BY NAME to that row, an unknown name is an error listing every
 * row, every row has the ops its callers need. */
#include "support.h"

#include "datapath/strategies/strategies.h"

#include <stdio.h>
#include <string.h>

/* Two VMs, each with a tenant, so tenants[].adversary can name any row (one
 * attacking needs a victim other than itself). */
static const char *SCENARIO = "{\"platform\": {\"cldemote\": true}, \"vms\": [{\"core\": 1}, {\"core\": 2}],"
                              " \"traffic\": {\"flows\": [{\"dst\": 0, \"rate_gbps\": 1}]},"
                              " \"variants\": [{\"name\": \"v\"}],"
                              " \"tenants\": [{\"vm\": 0, \"tag\": 0, \"pasid\": 256, \"victim\": 1},"
                              "               {\"vm\": 1, \"tag\": 1, \"pasid\": 257}]}";

/* "variants[].copy" -> "variants[0].copy" */
static void first_element(const char *path, char *out, size_t cap)
{
    const char *b = strstr(path, "[]");
    if (b)
        snprintf(out, cap, "%.*s[0]%s", (int)(b - path), path, b + 2);
    else
        snprintf(out, cap, "%s", path);
}

/* Where the loader stored row p of scenario s: p->offset into the struct of its scope. */
static int stored(const vio_scenario *s, const vio_param *p)
{
    const char *base = (const char *)s;
    if (!strncmp(p->path, "variants[].", 11))
        base = (const char *)&s->variants[0];
    else if (!strncmp(p->path, "tenants[].", 10))
        base = (const char *)&s->tenants[0];
    ck_assert_msg(!strchr(p->path + (base == (const char *)s ? 0 : 10), '['), "%s: unexpected scope", p->path);
    int v;
    memcpy(&v, base + p->offset, sizeof v);
    return v;
}

START_TEST(test_every_row_loads_by_name)
{
    size_t checked = 0;
    for (const vio_param *p = vio_params_table(); p->path; p++) {
        const vio_axis *a = vio_param_axis(p);
        if (p->type != VIO_PT_ENUM || !p->choices || p->choices[0] != '@')
            continue;
        ck_assert_msg(a != NULL, "%s: choices %s name no registered axis", p->path, p->choices);
        char path[96];
        first_element(p->path, path, sizeof path);
        /* Walk the rows backwards: a loader that took positions, or the first row,
         * would store the wrong index for all but one. */
        for (size_t i = a->count; i-- > 0;) {
            char set[160];
            snprintf(set, sizeof set, "%s=\"%s\"", path, vio_axis_name(a, i));
            /* skx18 needs an LLC of 18 slices x 2^k sets: Skylake-SP's 24.75 MiB, 11 ways */
            const char *sets[] = {set, "platform.llc.size_kib=25344"};
            vio_scenario *s = vio_test_load(SCENARIO, sets, strcmp(vio_axis_name(a, i), "skx18") ? 1 : 2);
            ck_assert_msg(stored(s, p) == (int)i, "%s: \"%s\" loaded as row %d", p->path, vio_axis_name(a, i),
                          stored(s, p));
            /* ... and the canonical scenario keeps the name, not the index. */
            char quoted[80];
            snprintf(quoted, sizeof quoted, "\"%s\"", vio_axis_name(a, i));
            ck_assert_msg(strstr(s->canonical_json, quoted) != NULL, "%s: %s", p->path, quoted);
            vio_scenario_destroy(s);
            checked++;
        }
    }
    /* dma 2, copy 3, copy_engine 6, notify 3, iommu 3, io_control 2, adversary 5, 3 x replacement 4, index 3, preset 3 */
    ck_assert_uint_ge(checked, 35);
}
END_TEST

START_TEST(test_unknown_name_lists_every_row)
{
    const char *sets[] = {"variants[0].copy=\"nope\""};
    vio_scenario *s = NULL;
    vio_err err = {{0}};
    ck_assert_int_eq(vio_scenario_load_string(SCENARIO, "t.json", sets, 1, &s, &err), VIO_EINVAL);
    ck_assert_ptr_null(s);
    /* The message names the override, the JSON path, and every row. */
    char want[512] = "--set variants[0].copy=\\\"nope\\\": variants[0].copy: expected one of ";
    for (size_t i = 0; i < vio_axis_copy.count; i++)
        snprintf(want + strlen(want), sizeof want - strlen(want), "%s\"%s\"", i ? ", " : "",
                 vio_axis_name(&vio_axis_copy, i));
    strcat(want, ", got \"nope\"");
    ck_assert_str_eq(err.msg, want);
    ck_assert(strstr(err.msg, "\"guest\", \"llc\", \"llc-on-fetch\"") != NULL);
    /* A name is matched whole: a prefix or a longer name is not a row. */
    ck_assert_int_eq(vio_axis_find(&vio_axis_copy, "ll", 2), -1);
    ck_assert_int_eq(vio_axis_find(&vio_axis_copy, "llc-on-fetch-x", 14), -1);
    ck_assert_int_eq(vio_axis_find(&vio_axis_copy, "llc-on-fetch", 3), vio_axis_find(&vio_axis_copy, "llc", 3));
    /* Not a string: the same list. */
    const char *num[] = {"variants[0].notify=3"};
    err = (vio_err){{0}};
    ck_assert_int_eq(vio_scenario_load_string(SCENARIO, "t.json", num, 1, &s, &err), VIO_EINVAL);
    ck_assert_msg(strstr(err.msg, "variants[0].notify: expected one of \"exit\", \"posted\", \"poll\"") != NULL, "%s",
                  err.msg);
}
END_TEST

START_TEST(test_every_axis_is_well_formed)
{
    size_t n = 0;
    for (const vio_axis *const *a = vio_axes(); *a; a++, n++) {
        ck_assert_msg((*a)->key && (*a)->title && (*a)->count > 0, "axis %zu", n);
        for (const vio_axis *const *b = vio_axes(); b != a; b++)
            ck_assert_msg(strcmp((*a)->key, (*b)->key) != 0, "axis %s registered twice", (*a)->key);
        if ((*a)->param) /* the parameter it names takes exactly these rows */
            ck_assert_ptr_eq(vio_param_axis(vio_params_find((*a)->param)), *a);
        for (size_t i = 0; i < (*a)->count; i++) {
            const char *name = vio_axis_name(*a, i), *help = vio_axis_help(*a, i);
            ck_assert_msg(name && *name && !strchr(name, '|') && !strchr(name, ' '), "%s row %zu", (*a)->key, i);
            ck_assert_msg(help && strlen(help) > 10 && !strchr(help, '\n'), "%s %s: one-line help", (*a)->key, name);
            ck_assert_int_eq(vio_axis_find(*a, name, strlen(name)), (int)i); /* names are unique */
        }
        ck_assert_ptr_null(vio_axis_name(*a, (*a)->count));
    }
    ck_assert_uint_eq(n, 14);
}
END_TEST

START_TEST(test_every_strategy_has_its_ops)
{
    for (size_t i = 0; i < vio_axis_copy.count; i++) {
        const dp_copy_strategy *c = vio_axis_row(&vio_axis_copy, i);
        ck_assert_msg(c->ops.host_packet != NULL, "copy %s", c->name);
        ck_assert(c->guest_steps >= 1 && c->guest_steps <= 2 + (c->ops.must_fetch != NULL));
    }
    for (size_t i = 0; i < vio_axis_notify.count; i++) {
        const dp_notify_strategy *t = vio_axis_row(&vio_axis_notify, i);
        ck_assert_msg(t->ops.noticed && t->ops.latency && t->ops.take, "notify %s", t->name);
    }
    for (size_t i = 0; i < vio_axis_dma.count; i++) {
        const dp_dma_strategy *d = vio_axis_row(&vio_axis_dma, i);
        ck_assert(d->target == VIO_DMA_TO_DRAM || d->target == VIO_DMA_TO_LLC_DDIO);
    }
    /* The behaviours the rows claim, by name. */
    const dp_copy_strategy *fetch = vio_axis_row(&vio_axis_copy, (size_t)vio_axis_find(&vio_axis_copy, "llc-on-fetch", 12));
    ck_assert(fetch->ops.must_fetch != NULL);
    const dp_notify_strategy *poll = vio_axis_row(&vio_axis_notify, (size_t)vio_axis_find(&vio_axis_notify, "poll", 4));
    ck_assert(poll->spins);
    const dp_adversary *none = vio_axis_row(&vio_axis_adversary, (size_t)vio_axis_find(&vio_axis_adversary, "none", 4));
    ck_assert_int_eq(none->attack, VIO_ADV_NONE);
    ck_assert(!none->needs_victim);
    const dp_iommu_mode *off = vio_axis_row(&vio_axis_iommu, (size_t)vio_axis_find(&vio_axis_iommu, "off", 3));
    ck_assert_uint_eq(off->page_size, 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("strategy");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_every_row_loads_by_name);
    tcase_add_test(tc, test_unknown_name_lists_every_row);
    tcase_add_test(tc, test_every_axis_is_well_formed);
    tcase_add_test(tc, test_every_strategy_has_its_ops);
    suite_add_tcase(s, tc);
    return vio_test_run_suite(s);
}
