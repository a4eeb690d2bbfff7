/* Pass 3 of loading: rules that relate two values, checked once every value is
 * known to be individually valid. Flow destinations and packet sizes against
 * the NIC buffer are checked while flows load (scenario_load.c), where the
 * exact JSON path of the offending entry is at hand. */
#include "scenario_internal.h"

#include <stdio.h>
#include <string.h>

/* A cache is ways x sets x 64-byte lines: the size must split into whole sets. */
static int check_cache(const vio__ld *ld, const char *name, const vio_cache_params *c)
{
    unsigned long long bytes = c->size_kib * 1024ull, way_bytes = c->ways * 64ull;
    if (bytes % way_bytes != 0) {
        char path[64];
        snprintf(path, sizeof path, "platform.%s.size_kib", name);
        return vio__ld_fail(ld, path,
                            "expected a multiple of ways x 64 B = %llu B, got %llu KiB (it would give %.2f sets)",
                            way_bytes, (unsigned long long)c->size_kib, (double)bytes / (double)way_bytes);
    }
    return VIO_OK;
}

static int check_core(const vio__ld *ld, const char *path, uint32_t core)
{
    uint32_t cores = ld->s->platform.cores;
    if (core >= cores)
        return vio__ld_fail(ld, path, "core %u does not exist (platform has %u cores)", core, cores);
    return VIO_OK;
}

int vio__ld_check(const vio__ld *ld)
{
    const vio_scenario *s = ld->s;
    const vio_platform *pf = &s->platform;
    int rc;
    char path[64];
    if ((rc = check_cache(ld, "l1", &pf->l1)) || (rc = check_cache(ld, "l2", &pf->l2)) ||
        (rc = check_cache(ld, "llc", &pf->llc)))
        return rc;
    if (pf->io_ways > pf->llc.ways)
        return vio__ld_fail(ld, "platform.io_ways", "expected at most platform.llc.ways (%u), got %u",
                            pf->llc.ways, pf->io_ways);
    if ((rc = check_core(ld, "host.core", s->host.core)))
        return rc;
    /* Each VM owns its core: the model has no vCPU scheduler, and the host core runs the host path. */
    for (uint32_t i = 0; i < s->nvms; i++) {
        snprintf(path, sizeof path, "vms[%u].core", i);
        if ((rc = check_core(ld, path, s->vms[i].core)))
            return rc;
        if (s->vms[i].core == s->host.core)
            return vio__ld_fail(ld, path, "core %u is the host core (host.core)", s->vms[i].core);
        for (uint32_t j = 0; j < i; j++)
            if (s->vms[j].core == s->vms[i].core)
                return vio__ld_fail(ld, path, "core %u is already used by vms[%u]", s->vms[i].core, j);
    }
    for (uint32_t i = 0; i < s->nvariants; i++) {
        const vio_variant *v = &s->variants[i];
        /* Waiting for N packets with no timer would strand the last few forever. */
        if (v->coalesce_packets > 1 && v->coalesce_ns == 0) {
            snprintf(path, sizeof path, "variants[%u].coalesce_ns", i);
            return vio__ld_fail(ld, path,
                                "expected a timeout > 0 when coalesce_packets is %u (or the last packets would "
                                "never raise an interrupt)",
                                v->coalesce_packets);
        }
        if (v->copy == VIO_COPY_LLC_ON_FETCH) {
            snprintf(path, sizeof path, "variants[%u].copy", i);
            return vio__ld_fail(ld, path,
                                "\"llc-on-fetch\" is not simulated in this version (use \"llc\" for the eager copy)");
        }
    }
    for (uint32_t i = 0; i < s->nvariants; i++)
        for (uint32_t j = 0; j < i; j++)
            if (strcmp(s->variants[i].name, s->variants[j].name) == 0) {
                snprintf(path, sizeof path, "variants[%u].name", i);
                return vio__ld_fail(ld, path, "duplicate variant name \"%s\" (also variants[%u])",
                                    s->variants[i].name, j);
            }
    return VIO_OK;
}
