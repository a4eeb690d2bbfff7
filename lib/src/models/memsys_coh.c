/* Coherence of the memory hierarchy: private caches and their victims, the
 * directory (inclusive LLC or snoop filter), LLC fills and evictions, and
 * inbound device writes. See memsys.h for the model. */
#include "models/memsys_internal.h"
#include "models/cache_internal.h"

static uint64_t bit_of(uint32_t core) { return 1ULL << (core % 64u); }

/* The structure that keeps a privately held line's sharers and modified state. */
static vio_cache *dir_of(const vio_memsys *ms) { return ms->sf ? ms->sf : ms->llc; }

/* Does `core`'s private hierarchy hold `line`? (The L2 is inclusive of the L1.) */
static int holds(const vio_memsys *ms, uint32_t core, uint64_t line)
{
    const vio_cache *outer = ms->l2[core] ? ms->l2[core] : ms->l1[core];
    return vio__cache_find(outer, line) >= 0;
}

/* An L2 copy's aux word: its line's directory slot, and this bit when the L1 holds
 * the line too (see private_fill). */
#define AUX_IN_L1 (1u << 31)
#define AUX_SLOT(a) ((a) & ~AUX_IN_L1)

/* `line`'s slot in `core`'s L1, or -1. With an L2 (`s2`: the line's L2 slot, or -1),
 * the L1 is looked up only when the L2 copy says it holds the line too: the L2
 * includes the L1, and AUX_IN_L1 is set whenever the L1 has a copy. */
static int64_t l1_slot_of(const vio_memsys *ms, uint32_t core, uint64_t line, int64_t s2)
{
    const vio_cache *l2 = ms->l2[core];
    if (l2 && (s2 < 0 || !(vio__cache_aux(l2, s2) & AUX_IN_L1)))
        return -1;
    return vio__cache_find(ms->l1[core], line);
}

/* Remove `line` from `core`'s private caches; returns 1 (and *dirty) if it was there. */
static int drop_private(vio_memsys *ms, uint32_t core, uint64_t line, int *dirty)
{
    vio_cache *l1 = ms->l1[core], *l2 = ms->l2[core];
    vio_cache_victim v;
    int gone = 0;
    int64_t s2 = l2 ? vio__cache_find(l2, line) : -1;
    if (vio__cache_invalidate_at(l1, l1_slot_of(ms, core, line, s2), line, &v)) {
        gone = 1;
        *dirty |= (v.flags & VIO_LINE_DIRTY) != 0;
    }
    if (l2 && vio__cache_invalidate_at(l2, s2, line, &v)) { /* `s2`: the L1 drop changed no L2 slot */
        gone = 1;
        *dirty |= (v.flags & VIO_LINE_DIRTY) != 0;
    }
    return gone;
}

/* Back-invalidate the private copies held by `sharers` except `keep`; returns
 * whether one of them was modified (its data must then go to the next level). */
static int invalidate_inner(vio_memsys *ms, uint64_t line, uint64_t sharers, uint32_t keep)
{
    int dirty = 0;
    while (sharers) {
        unsigned b = (unsigned)__builtin_ctzll(sharers);
        sharers &= sharers - 1;
        for (uint32_t c = b; c < ms->cfg.cores; c += 64u)
            if (c != keep)
                ms->st.back_invalidations += (uint64_t)drop_private(ms, c, line, &dirty);
    }
    return dirty;
}

/* Make `core`'s copy (if modified) clean: another core's read snooped it out. */
static void downgrade(vio_memsys *ms, uint32_t core, uint64_t line)
{
    vio_cache *lv[2] = {ms->l1[core], ms->l2[core]};
    int64_t s2 = lv[1] ? vio__cache_find(lv[1], line) : -1, sl[2] = {l1_slot_of(ms, core, line, s2), s2};
    for (int i = 0; i < 2; i++)
        if (sl[i] >= 0)
            vio__cache_set_flags(lv[i], sl[i], vio__cache_flags(lv[i], sl[i]) & ~(uint32_t)VIO_LINE_DIRTY);
}

/* A line leaves the LLC: write back, count lost unread data and, when the LLC is
 * inclusive, back-invalidate the private copies (modified ones go to DRAM too). */
static void llc_evicted(vio_memsys *ms, const vio_cache_victim *v, vio_ps now)
{
    if (!v->valid)
        return;
    int dirty = (v->flags & VIO_LINE_DIRTY) != 0;
    if (!ms->sf)
        dirty |= invalidate_inner(ms, v->line, v->sharers, UINT32_MAX);
    if (dirty) {
        ms->st.dram_writes++;
        (void)vio__ms_dram_transfer(ms, now);
    }
    if (v->flags & VIO_LINE_DMA_UNREAD)
        ms->st.dma_unread_evictions++;
    if (v->flags & VIO_LINE_COPY_UNREAD)
        ms->st.llc_copy_unread_evictions++;
}

/* Fill `line` (not resident, in LLC set `set`) into the LLC's ways `mask`; returns its slot. */
static int64_t llc_fill(vio_memsys *ms, uint32_t set, uint64_t line, uint32_t mask, uint32_t flags, vio_ps now)
{
    vio_cache_victim v;
    int64_t s = vio__cache_fill_in(ms->llc, set, line, vio__cache_mask(ms->llc, mask), flags, &v);
    llc_evicted(ms, &v, now);
    return s;
}

/* Data coming down from a private cache (a victim, or a snooped modified line):
 * an inclusive LLC holds the line already; a non-inclusive one receives it, as
 * Skylake-SP's LLC is filled by L2 victims.
 * `s`: the line's LLC slot, or -1 if it is not there. */
static int64_t llc_receive_at(vio_memsys *ms, uint32_t set, uint64_t line, int64_t s, int dirty, uint32_t mask,
                              vio_ps now)
{
    if (s < 0 && !ms->sf) { /* inclusion broken: cannot happen; write to DRAM rather than lose data */
        if (dirty) {
            ms->st.dram_writes++;
            (void)vio__ms_dram_transfer(ms, now);
        }
        return -1;
    }
    if (s < 0)
        s = llc_fill(ms, set, line, mask, 0, now);
    if (dirty)
        vio__cache_set_flags(ms->llc, s, vio__cache_flags(ms->llc, s) | VIO_LINE_DIRTY);
    return s;
}

static int64_t llc_receive_in(vio_memsys *ms, uint32_t set, uint64_t line, int dirty, uint32_t mask, vio_ps now)
{
    return llc_receive_at(ms, set, line, vio__cache_find_in(ms->llc, set, line), dirty, mask, now);
}

static int64_t llc_receive(vio_memsys *ms, uint64_t line, int dirty, uint32_t mask, vio_ps now)
{
    return llc_receive_in(ms, vio__cache_set(ms->llc, line), line, dirty, mask, now);
}

/* `line` (in LLC set `set`, the directory's too) has left all of `core`'s private
 * caches (an eviction, not a back-invalidation). `s`: its directory slot, or -1 to
 * look it up. */
static void private_gone(vio_memsys *ms, uint32_t core, uint64_t line, uint32_t set, int64_t s, int dirty,
                         vio_ps now)
{
    vio_cache *d = dir_of(ms);
    if (s < 0)
        s = vio__cache_find_in(d, set, line);
    if (s >= 0) {
        uint64_t sh = vio__cache_sharers(d, s);
        int alias = 0; /* another core with the same sharer bit may still hold it */
        for (uint32_t c = core % 64u; c < ms->cfg.cores; c += 64u)
            alias |= c != core && holds(ms, c, line);
        if (!alias)
            sh &= ~bit_of(core);
        uint32_t f = vio__cache_flags(d, s);
        if (dirty)
            f &= ~(uint32_t)VIO_LINE_INNER_MODIFIED;
        if (ms->sf && sh == 0) {
            vio__cache_drop_slot(d, s); /* the holds() checks above changed no directory entry */
        } else {
            vio__cache_set_sharers(d, s, sh);
            vio__cache_set_flags(d, s, f);
        }
    }
    if (dirty)
        ms->st.inner_writebacks++;
    if (!ms->sf) {
        /* Inclusive: the LLC holds the line at its directory slot `s` (nothing above
         * moved it), so llc_receive_in's lookup would find it there. */
        if (dirty) {
            if (s >= 0)
                vio__cache_set_flags(ms->llc, s, vio__cache_flags(ms->llc, s) | VIO_LINE_DIRTY);
            else /* inclusion broken: cannot happen (llc_receive_in's answer) */
                (void)llc_receive_in(ms, set, line, dirty, ms->cat_mask[core], now);
        }
    } else { /* a victim of this core's caches: filled under its CAT class */
        (void)llc_receive_in(ms, set, line, dirty, ms->cat_mask[core], now);
    }
}

/* private_gone of a private victim whose aux word holds its directory slot. */
static void private_victim(vio_memsys *ms, uint32_t core, uint64_t line, uint32_t dslot, int dirty, vio_ps now)
{
    private_gone(ms, core, line, dslot / dir_of(ms)->ways, (int64_t)dslot, dirty, now);
}

/* Fill `line` (directory slot `dslot`) into `core`'s L2 (if any; `s2` >= 0: the L2
 * holds it there already) and L1, handling both victims. Returns its L1 slot.
 *
 * Each private copy keeps a slot in its aux word: an L2 copy (or an L1 copy without
 * an L2) its line's directory slot, an L1 copy under an L2 its line's L2 slot. They
 * stay valid while the copy lives: a directory entry (snoop filter, or inclusive LLC)
 * is dropped or moved only after every private copy of its line is gone (an SF or
 * inclusive-LLC victim back-invalidates them; invalidate_all_private precedes every
 * drop or move of a held line; private_gone drops it when no core holds the line),
 * and an L2 copy leaves only with its L1 copy (inclusion). So a victim's directory
 * update and move into the LLC, and a modified L1 victim's write-back into the L2,
 * need no lookup and no hash. An L2 copy's word also says whether the L1 holds its
 * line (AUX_IN_L1: set by the L1 fill, cleared when the L1 evicts the line; the other
 * ways out of the L1, back-invalidation and CLDEMOTE, remove the L2 copy too), so an
 * L2 victim or an L2 hit looks the L1 up only when the line is there. (Slots fit 31
 * bits: the parameter table bounds the LLC at 1 GiB, i.e. at most 2^29 snoop-filter
 * entries.) */
static int64_t private_fill(vio_memsys *ms, uint32_t core, uint64_t line, uint32_t dslot, int64_t s2, vio_ps now)
{
    vio_cache *l1 = ms->l1[core], *l2 = ms->l2[core];
    vio_cache_victim v;
    uint32_t vaux = 0;
    if (l2 && s2 < 0) {
        s2 = vio__cache_fill_aux(l2, vio__cache_set(l2, line), line, l2->all, 0, dslot, &v, &vaux);
        if (v.valid) { /* inclusion of the L1 in the L2: the L1 copy goes too */
            int dirty = (v.flags & VIO_LINE_DIRTY) != 0;
            vio_cache_victim v1;
            if ((vaux & AUX_IN_L1) && vio__cache_invalidate(l1, v.line, &v1))
                dirty |= (v1.flags & VIO_LINE_DIRTY) != 0;
            private_victim(ms, core, v.line, AUX_SLOT(vaux), dirty, now);
        }
    }
    int64_t slot = vio__cache_fill_aux(l1, vio__cache_set(l1, line), line, l1->all, 0, l2 ? (uint32_t)s2 : dslot,
                                       &v, &vaux);
    if (l2)
        vio__cache_set_aux(l2, s2, vio__cache_aux(l2, s2) | AUX_IN_L1);
    if (!v.valid)
        return slot;
    if (l2) { /* the L2 still holds it (at `vaux`): a modified L1 victim is written back into the L2 */
        uint32_t f = vio__cache_flags(l2, vaux);
        if (v.flags & VIO_LINE_DIRTY)
            f |= VIO_LINE_DIRTY;
        vio__cache_set_flags(l2, vaux, f);
        vio__cache_set_aux(l2, vaux, vio__cache_aux(l2, vaux) & ~AUX_IN_L1);
    } else {
        /* Only the victim's directory entry and the LLC change: `line`'s L1 slot stays. */
        private_victim(ms, core, v.line, vaux, (v.flags & VIO_LINE_DIRTY) != 0, now);
    }
    return slot;
}

/* Register `core` as a holder of `line` in the snoop filter (`s`: its slot, or -1
 * if it has none); an SF victim's holders are back-invalidated and their data sent
 * to the LLC. Returns the entry's slot. */
static int64_t sf_track(vio_memsys *ms, uint32_t set, uint64_t line, int64_t s, vio_ps now)
{
    if (s >= 0) /* `s`: the entry's slot as the caller found it (no SF change since) */
        return s;
    vio_cache_victim v;
    s = vio__cache_fill_in(ms->sf, set, line, ms->sf->all, 0, &v); /* `set`: the LLC's, the snoop filter's too */
    if (v.valid) {
        uint64_t before = ms->st.back_invalidations;
        int dirty = invalidate_inner(ms, v.line, v.sharers, UINT32_MAX);
        ms->st.sf_back_invalidations += ms->st.back_invalidations - before;
        /* Data of other cores, pushed out by the snoop filter: no class of service of
         * its own in the model, so any way. */
        (void)llc_receive(ms, v.line, dirty, VIO_CACHE_ALL_WAYS, now);
    }
    return s;
}

/* Private hit: the line's private slot, updated as the policy wants; 0 on a miss. */
static int private_hit(vio_memsys *ms, uint32_t core, uint64_t line, int cls, vio_ps now, enum vio_level *served,
                       vio_ps *lat, int64_t *l1_slot, int64_t *dslot)
{
    vio_cache *l1 = ms->l1[core], *l2 = ms->l2[core];
    /* The L2 includes the L1 (an L2 victim leaves the L1, a back-invalidation or
     * CLDEMOTE removes both copies, the L1 fills only from a line the L2 holds), so
     * a line missing from the L2 misses the L1 too: one lookup for the common miss. */
    int64_t s2 = l2 ? vio__cache_find(l2, line) : 0;
    int in_l1 = !l2 || (s2 >= 0 && (vio__cache_aux(l2, s2) & AUX_IN_L1)); /* see private_fill */
    int64_t s = in_l1 ? vio__cache_find(l1, line) : -1;
    vio__cache_count(l1, (enum vio_access_class)cls, s >= 0);
    *l1_slot = s;
    if (s >= 0) {
        vio__cache_touch(l1, s);
        ms->st.l1_hits++;
        *served = VIO_LVL_L1;
        *lat = ms->l1_ps;
        *dslot = l2 ? AUX_SLOT(vio__cache_aux(l2, s2)) : vio__cache_aux(l1, s); /* see private_fill */
        return 1;
    }
    ms->st.l1_misses++;
    if (!l2)
        return 0;
    s = s2;
    vio__cache_count(l2, (enum vio_access_class)cls, s >= 0);
    if (s < 0) {
        ms->st.l2_misses++;
        return 0;
    }
    vio__cache_touch(l2, s);
    ms->st.l2_hits++;
    *dslot = AUX_SLOT(vio__cache_aux(l2, s));
    *l1_slot = private_fill(ms, core, line, (uint32_t)*dslot, s, now);
    *served = VIO_LVL_L2;
    *lat = ms->l2_ps;
    return 1;
}

vio_ps vio__msx_core_access(vio_memsys *ms, uint32_t core, uint64_t line, int write, vio_ps now,
                           enum vio_level *served)
{
    ms->accesses++;
    int cls = write ? VIO_CLS_CPU_WRITE : VIO_CLS_CPU_READ;
    vio_ps lat = 0;
    int64_t l1s; /* `line`'s slot in this core's L1 once it is there */
    int64_t ds = -1; /* its directory slot */
    int in_private = private_hit(ms, core, line, cls, now, served, &lat, &l1s, &ds);
    vio_cache *d = dir_of(ms);
    if (!in_private) {
        /* Where is the line? Another core's private cache (the directory says so),
         * the LLC, or only DRAM. */
        /* The snoop filter has the LLC's sets and index: one set for both. */
        uint32_t set = vio__cache_set(ms->llc, line);
        int64_t ls = vio__cache_find_in(ms->llc, set, line);
        vio__cache_count(ms->llc, (enum vio_access_class)cls, ls >= 0);
        ds = ms->sf ? vio__cache_find_in(ms->sf, set, line) : ls;
        uint64_t others = ds >= 0 ? vio__cache_sharers(d, ds) & ~bit_of(core) : 0;
        uint32_t df = ds >= 0 ? vio__cache_flags(d, ds) : 0;
        if (others && (df & VIO_LINE_INNER_MODIFIED)) {
            /* Modified in another core's L1/L2: snooped out (HITM). The owner keeps a
             * clean copy; the data is written down to the LLC. */
            ms->st.c2c_transfers++;
            *served = VIO_LVL_REMOTE;
            lat = ms->c2c_ps;
            for (uint64_t o = others; o;) {
                unsigned b = (unsigned)__builtin_ctzll(o);
                o &= o - 1;
                for (uint32_t c = b; c < ms->cfg.cores; c += 64u)
                    if (c != core)
                        downgrade(ms, c, line);
            }
            vio__cache_set_flags(d, ds, df & ~(uint32_t)VIO_LINE_INNER_MODIFIED);
            /* The line's LLC slot now (the write-down may have filled it). `ls`: the
             * downgrades and the directory's flags changed no LLC slot. */
            int64_t now_in = llc_receive_at(ms, set, line, ls, 1, ms->cat_mask[core], now);
            if (ls >= 0)
                ms->st.llc_hits++;
            else
                ms->st.llc_misses++;
            ls = now_in;
        } else if (ls >= 0) {
            vio__cache_touch(ms->llc, ls);
            ms->st.llc_hits++;
            *served = VIO_LVL_LLC;
            lat = ms->llc_ps;
        } else if (others) {
            /* Non-inclusive: clean in another core's L2 only; that core forwards it. */
            ms->st.llc_misses++;
            ms->st.c2c_transfers++;
            *served = VIO_LVL_REMOTE;
            lat = ms->c2c_ps;
        } else {
            ms->st.llc_misses++;
            ms->st.dram_reads++;
            lat = ms->llc_ps + ms->dram_ps + vio__ms_dram_wait(ms, now);
            *served = VIO_LVL_DRAM;
            if (!ms->sf) /* inclusive: the fill allocates in the LLC too, in the core's CAT ways */
                ls = llc_fill(ms, set, line, ms->cat_mask[core], 0, now);
        }
        /* A core has now seen the line: it is no longer unread I/O data. `ls` is the
         * line's LLC slot here in every branch: a hit leaves it, an inclusive fill
         * sets it, the snoop's write-down returns it, and nothing else fills the LLC
         * with `line` (victim handling moves other lines only). */
        if (ls >= 0)
            vio__cache_set_flags(ms->llc, ls,
                                vio__cache_flags(ms->llc, ls) & ~(uint32_t)(VIO_LINE_DMA_UNREAD | VIO_LINE_COPY_UNREAD));
        /* The SF entry found above is still where it was: only LLC fills happened. */
        ds = ms->sf ? sf_track(ms, set, line, ds, now) : ls;
        vio__cache_set_sharers(d, ds, vio__cache_sharers(d, ds) | bit_of(core));
        l1s = private_fill(ms, core, line, (uint32_t)ds, -1, now);
    }
    if (!write)
        return lat;
    /* A store: own the line, invalidate every other copy, keep it modified here.
     * `ds`: the line's directory entry (a private hit read it from the copy's aux). */
    if (ds >= 0) {
        uint64_t others = vio__cache_sharers(d, ds) & ~bit_of(core);
        if (others)
            (void)invalidate_inner(ms, line, others, core); /* their data is overwritten by ours */
        vio__cache_set_sharers(d, ds, bit_of(core));
        vio__cache_set_flags(d, ds, vio__cache_flags(d, ds) | VIO_LINE_INNER_MODIFIED);
    }
    /* The other cores' invalidations leave this core's L1 alone: `l1s` still holds. */
    if (l1s >= 0)
        vio__cache_set_flags(ms->l1[core], l1s, vio__cache_flags(ms->l1[core], l1s) | VIO_LINE_DIRTY);
    return lat;
}

/* Drop every private copy of `line` (a full-line overwrite by a store to the LLC or a
 * device); returns whether one was modified. */
static int invalidate_all_private(vio_memsys *ms, uint32_t set, uint64_t line, int *was_private)
{
    vio_cache *d = dir_of(ms);
    int64_t ds = vio__cache_find_in(d, set, line); /* `set`: the LLC's, the snoop filter's too */
    *was_private = 0;
    if (ds < 0)
        return 0;
    uint64_t sh = vio__cache_sharers(d, ds);
    *was_private = sh != 0;
    int dirty = sh ? invalidate_inner(ms, line, sh, UINT32_MAX) : 0;
    if (ms->sf) {
        vio__cache_drop_slot(ms->sf, ds); /* the private invalidations changed no directory entry */
    } else {
        vio__cache_set_sharers(d, ds, 0);
        vio__cache_set_flags(d, ds, vio__cache_flags(d, ds) & ~(uint32_t)VIO_LINE_INNER_MODIFIED);
    }
    return dirty;
}

vio_ps vio__msx_core_write_llc(vio_memsys *ms, uint32_t core, uint64_t line, vio_ps now)
{
    ms->accesses++;
    int was_private;
    uint32_t set = vio__cache_set(ms->llc, line);
    (void)invalidate_all_private(ms, set, line, &was_private); /* the whole line is overwritten */
    int64_t s = vio__cache_find_in(ms->llc, set, line);
    vio__cache_count(ms->llc, VIO_CLS_CPU_WRITE, s >= 0);
    if (s >= 0) {
        ms->st.llc_hits++;
        vio__cache_touch(ms->llc, s);
    } else {
        ms->st.llc_misses++;
        s = llc_fill(ms, set, line, ms->cat_mask[core], 0, now);
    }
    vio__cache_set_sharers(ms->llc, s, 0);
    vio__cache_set_flags(ms->llc, s, VIO_LINE_DIRTY | VIO_LINE_COPY_UNREAD);
    return ms->llc_ps;
}

vio_ps vio__msx_io_read(vio_memsys *ms, uint64_t line, vio_ps now)
{
    ms->accesses++;
    uint32_t set = vio__cache_set(ms->llc, line);
    int64_t s = vio__cache_find_in(ms->llc, set, line);
    vio__cache_count(ms->llc, VIO_CLS_WALK, s >= 0);
    if (s >= 0) {
        vio__cache_touch(ms->llc, s);
        ms->st.llc_hits++;
        return ms->llc_ps;
    }
    ms->st.llc_misses++;
    ms->st.dram_reads++;
    vio_ps lat = ms->llc_ps + ms->dram_ps + vio__ms_dram_wait(ms, now);
    (void)llc_fill(ms, set, line, VIO_CACHE_ALL_WAYS, 0, now);
    return lat;
}

vio_ps vio__msx_dev_read(vio_memsys *ms, uint64_t line, vio_ps now, int *hit)
{
    ms->accesses++;
    ms->st.dev_read_lines++;
    uint32_t set = vio__cache_set(ms->llc, line);
    int64_t s = vio__cache_find_in(ms->llc, set, line);
    vio__cache_count(ms->llc, VIO_CLS_DEV_READ, s >= 0);
    vio_cache *d = dir_of(ms);
    int64_t ds = ms->sf ? vio__cache_find_in(ms->sf, set, line) : s;
    uint64_t holders = ds >= 0 ? vio__cache_sharers(d, ds) : 0;
    int modified = ds >= 0 && (vio__cache_flags(d, ds) & VIO_LINE_INNER_MODIFIED);
    if (holders && (modified || s < 0)) {
        /* The newest data is in a core's cache (modified there, or clean there and not
         * in a non-inclusive LLC): the home agent snoops it out; nothing changes state. */
        ms->st.dev_read_snoops++;
        *hit = 1;
        return ms->c2c_ps;
    }
    if (s >= 0) {
        ms->st.dev_read_llc_hits++;
        *hit = 1;
        return ms->llc_ps;
    }
    /* A miss is served from DRAM and fills nothing: DDIO allocates on writes only. */
    *hit = 0;
    ms->st.dram_reads++;
    return ms->llc_ps + ms->dram_ps + vio__ms_dram_wait(ms, now);
}

void vio__msx_dma_line(vio_memsys *ms, enum vio_dma_target target, uint64_t line, uint32_t bytes, vio_ps now)
{
    ms->accesses++;
    ms->st.dma_lines++;
    int partial = bytes < VIO_LINE_BYTES;
    ms->st.dma_partial_lines += (uint64_t)partial;
    uint32_t set = vio__cache_set(ms->llc, line);
    int64_t s = vio__cache_find_in(ms->llc, set, line);
    vio__cache_count(ms->llc, VIO_CLS_DMA_WRITE, s >= 0);
    /* The device's write owns the line: every private copy goes (a modified one is
     * merged into a partial write; a full-line write overwrites it). */
    int was_private;
    int private_dirty = invalidate_all_private(ms, set, line, &was_private);
    /* A partial write merges with the current data: from the LLC or the snooped
     * private copy when there is one, else read from DRAM first. */
    int need_read = partial && s < 0 && !was_private;
    (void)private_dirty; /* merged or overwritten: either way the device's line is the newest */
    if (target == VIO_DMA_TO_DRAM) {
        /* Non-DDIO: the write goes to memory and snoops out every cached copy. */
        if (need_read) {
            ms->st.dram_reads++;
            (void)vio__ms_dram_transfer(ms, now);
        }
        (void)vio__cache_invalidate_at(ms->llc, s, line, NULL); /* `s`: no LLC change since the lookup */
        ms->st.dram_writes++;
        (void)vio__ms_dram_transfer(ms, now);
        return;
    }
    if (s >= 0) {
        ms->st.dma_partial_llc_hits += (uint64_t)partial;
        uint32_t way = vio__cache_way_of(ms->llc, s);
        if (ms->reuse_mask && !((ms->io_mask | ms->reuse_mask) & (1u << way))) {
            /* The line sits in an ordinary way (a core pulled it there): a device
             * write places it in the second I/O region instead. Still a write hit. */
            ms->st.dma_llc_hits++;
            vio__cache_drop_slot(ms->llc, s);
            s = llc_fill(ms, set, line, ms->reuse_mask, 0, now);
            ms->st.dma_reuse_allocs++;
        } else {
            /* DDIO write update: the line is already in the LLC. */
            ms->st.dma_llc_hits++;
            vio__cache_touch(ms->llc, s);
        }
    } else {
        if (need_read) {
            ms->st.dram_reads++;
            (void)vio__ms_dram_transfer(ms, now);
        }
        /* Write allocate: only into the I/O ways, so a large ring evicts its own
         * unread packets ("leaky DMA"). A line a core held privately was written by
         * the device before and touched since: with a second region, it goes there. */
        uint32_t mask = (was_private && ms->reuse_mask) ? ms->reuse_mask : ms->io_mask;
        ms->st.dma_reuse_allocs += (uint64_t)(mask == ms->reuse_mask && ms->reuse_mask);
        s = llc_fill(ms, set, line, mask, 0, now);
    }
    vio__cache_set_sharers(ms->llc, s, 0);
    vio__cache_set_flags(ms->llc, s, VIO_LINE_DIRTY | VIO_LINE_DMA_UNREAD);
}

/* ---- primitives of the copy engines (memsys_copy.c) ---- */

int vio__msx_demote(vio_memsys *ms, uint32_t core, uint64_t line, vio_ps now)
{
    ms->accesses++;
    int dirty = 0;
    if (!drop_private(ms, core, line, &dirty))
        return 0; /* SDM: CLDEMOTE of a line the core does not hold does nothing */
    /* The same path as an eviction from the core's private caches: the directory
     * forgets the core, and the data (modified or not) goes to the LLC. */
    private_gone(ms, core, line, vio__cache_set(ms->llc, line), -1, dirty, now);
    return 1;
}

vio_ps vio__msx_core_write_nt(vio_memsys *ms, uint64_t line, vio_ps now)
{
    ms->accesses++;
    int was_private;
    uint32_t set = vio__cache_set(ms->llc, line);
    (void)invalidate_all_private(ms, set, line, &was_private); /* a full line: nothing to merge */
    int64_t s = vio__cache_find_in(ms->llc, set, line);
    vio__cache_count(ms->llc, VIO_CLS_CPU_WRITE, s >= 0);
    if (s >= 0)
        vio__cache_drop_slot(ms->llc, s); /* SDM: a cached copy is evicted */
    ms->st.dram_writes++;
    return ms->dram_ps + vio__ms_dram_wait(ms, now);
}
