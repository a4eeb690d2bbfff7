/* The interrupt and exit path of one vCPU; see vcpu.h for the mechanisms. */
#include "viosim/vcpu.h"

#include <stdlib.h>
#include <string.h>

struct vio_vcpu {
    vio_vcpu_config cfg;
    /* costs in picoseconds, converted once */
    vio_ps x_ps, inject_ps, eoi_ps, pi_deliver_ps, pi_post_ps, c2c_ps, ipi_send_ps, ipi_lat_ps, wake_ps, kick_ps;
    /* the posted-interrupt descriptor (PIR, ON, SN; NV and NDST are implied) */
    uint64_t pir[4];
    int on, sn;
    /* the virtual APIC's IRR (emulated mode: set by senders; posted: filled from PIR) */
    uint64_t virr[4];
    int kick_pending; /* emulated: a kick IPI is on its way, a second is not needed */
    /* halt */
    int halted;      /* idle: polling in guest mode until halt_at, then HLT */
    vio_ps idle_at, halt_at, window_ps;
    uint64_t poll_ns; /* KVM's adaptive vcpu->halt_poll_ns */
    vio_vcpu_stats st;
};

static vio_ps cyc(const vio_vcpu *v, uint64_t c) { return vio_cycles_to_ps(c, v->cfg.freq_mhz); }

int vio_vcpu_create(const vio_vcpu_config *cfg, vio_vcpu **out, vio_err *err)
{
    *out = NULL;
    if (cfg->freq_mhz == 0)
        return vio_err_set(err, VIO_EINVAL, "vcpu: freq_mhz must be > 0");
    if (cfg->mode != VIO_VCPU_EMULATED && cfg->mode != VIO_VCPU_POSTED)
        return vio_err_set(err, VIO_EINVAL, "vcpu: unknown delivery mode %d", (int)cfg->mode);
    vio_vcpu *v = calloc(1, sizeof *v);
    if (!v)
        return vio_err_set(err, VIO_ENOMEM, "vcpu: out of memory");
    v->cfg = *cfg;
    v->x_ps = cyc(v, cfg->exit_entry_cycles);
    v->inject_ps = cyc(v, cfg->inject_cycles);
    v->eoi_ps = cyc(v, cfg->eoi_cycles);
    v->pi_deliver_ps = cyc(v, cfg->pi_deliver_cycles);
    v->pi_post_ps = cyc(v, cfg->pi_post_cycles);
    v->c2c_ps = cyc(v, cfg->c2c_cycles);
    v->ipi_send_ps = cyc(v, cfg->ipi_send_cycles);
    v->ipi_lat_ps = (vio_ps)cfg->ipi_latency_ns * VIO_PS_PER_NS;
    v->wake_ps = (vio_ps)cfg->wake_ns * VIO_PS_PER_NS;
    v->kick_ps = cyc(v, cfg->kick_cycles);
    *out = v;
    return VIO_OK;
}

void vio_vcpu_destroy(vio_vcpu *v) { free(v); }

enum vio_vcpu_state vio_vcpu_state_at(const vio_vcpu *v, vio_ps t)
{
    if (!v->halted || t < v->halt_at)
        return VIO_VCPU_RUNNING;
    return t < v->halt_at + v->window_ps ? VIO_VCPU_HALT_POLL : VIO_VCPU_BLOCKED;
}

static void go_idle(vio_vcpu *v, vio_ps now, uint64_t guest_poll_ns)
{
    if (v->halted)
        return;
    v->halted = 1;
    v->idle_at = now;
    v->halt_at = now + guest_poll_ns * VIO_PS_PER_NS;
    /* The window is the one in force at this halt; it adapts when the halt ends. */
    v->window_ps = (vio_ps)v->poll_ns * VIO_PS_PER_NS;
}

void vio_vcpu_halt(vio_vcpu *v, vio_ps now) { go_idle(v, now, 0); }
void vio_vcpu_idle(vio_vcpu *v, vio_ps now) { go_idle(v, now, v->cfg.guest_halt_poll_ns); }

/* KVM's grow_halt_poll_ns / shrink_halt_poll_ns. */
static void grow_window(vio_vcpu *v)
{
    if (v->cfg.halt_poll_grow == 0)
        return;
    uint64_t val = v->poll_ns * v->cfg.halt_poll_grow;
    if (val < v->cfg.halt_poll_grow_start_ns)
        val = v->cfg.halt_poll_grow_start_ns;
    if (val > v->cfg.halt_poll_ns)
        val = v->cfg.halt_poll_ns;
    v->poll_ns = val;
}

static void shrink_window(vio_vcpu *v)
{
    uint64_t val = v->cfg.halt_poll_shrink ? v->poll_ns / v->cfg.halt_poll_shrink : 0;
    v->poll_ns = val < v->cfg.halt_poll_grow_start_ns ? 0 : val;
}

/* After a halt of `halt_ns` ended by a valid wake-up (kvm_vcpu_halt). */
static void adapt_window(vio_vcpu *v, uint64_t halt_ns)
{
    uint64_t max = v->cfg.halt_poll_ns;
    if (max == 0)
        v->poll_ns = 0;
    else if (halt_ns <= v->poll_ns)
        ; /* polling caught it (or the block was short): keep the window */
    else if (v->poll_ns && halt_ns > max)
        shrink_window(v); /* a long block: polling only wasted time */
    else if (v->poll_ns < max && halt_ns < max)
        grow_window(v); /* a short halt that outlasted the window */
}

static int bits_set(const uint64_t w[4])
{
    int n = 0;
    for (int i = 0; i < 4; i++)
        n += __builtin_popcountll(w[i]);
    return n;
}

static void set_bit(uint64_t w[4], uint8_t vector) { w[vector / 64] |= 1ULL << (vector % 64); }

/* The sender's locked update of the interrupt-state line: through the coherence
 * model when there is one (a cross-core transfer only if another core holds the
 * line), else the line is taken to come from the target's core every time. */
static vio_ps sender_line(vio_vcpu *v, uint32_t sender, vio_ps now)
{
    if (!v->cfg.line.rmw)
        return v->c2c_ps;
    if (sender == VIO_VCPU_SENDER_DEVICE)
        return 0;
    return v->cfg.line.rmw(v->cfg.line.ctx, sender, v->cfg.line.addr, now);
}

/* The target's update of it when it takes the interrupt (nothing without a model). */
static vio_ps target_line(vio_vcpu *v, vio_ps now)
{
    return v->cfg.line.rmw ? v->cfg.line.rmw(v->cfg.line.ctx, v->cfg.core, v->cfg.line.addr, now) : 0;
}

void vio_vcpu_send(vio_vcpu *v, uint8_t vector, vio_ps now, vio_vcpu_cost *out)
{
    vio_vcpu_line line = v->cfg.line;
    v->cfg.line.rmw = NULL; /* an unknown sender: the legacy constant */
    vio_vcpu_send_from(v, 0, vector, now, out);
    v->cfg.line = line;
}

void vio_vcpu_send_from(vio_vcpu *v, uint32_t sender, uint8_t vector, vio_ps now, vio_vcpu_cost *out)
{
    memset(out, 0, sizeof *out);
    enum vio_vcpu_state st = vio_vcpu_state_at(v, now);
    if (v->cfg.mode == VIO_VCPU_POSTED) {
        /* Post: lock-or the PIR bit, then test-and-set ON; both on the descriptor's
         * line, which the target's processor last wrote when it cleared ON. */
        out->sender += v->pi_post_ps + sender_line(v, sender, now);
        set_bit(v->pir, vector);
        if (v->on || v->sn) {
            /* A notification is outstanding (it will pick this vector up) or the
             * vCPU is not running: no IPI (SDM 30.6, posting rules). */
            v->st.notifications_suppressed++;
            return;
        }
        v->on = 1;
        if (st == VIO_VCPU_HALT_POLL) {
            /* Not in guest mode: KVM's poll loop sees ON (kvm_vcpu_check_block). */
            v->st.notifications_suppressed++;
            return;
        }
        /* In guest mode: IPI the notification vector. Blocked: NV is the wake-up
         * vector; the sender wakes the thread either way. */
        out->sender += v->ipi_send_ps;
        out->notified = 1;
        v->st.notifications++;
        return;
    }
    /* Emulated: set the vIRR bit (a locked set on the virtual APIC page, whose line
     * the target's KVM last wrote when it injected), then kick the vCPU out of
     * guest mode or wake it. */
    out->sender += v->pi_post_ps + sender_line(v, sender, now);
    set_bit(v->virr, vector);
    if (st == VIO_VCPU_HALT_POLL || v->kick_pending)
        return;
    out->sender += v->ipi_send_ps;
    out->notified = 1;
    v->kick_pending = 1;
}

void vio_vcpu_take(vio_vcpu *v, vio_ps now, vio_vcpu_cost *out)
{
    memset(out, 0, sizeof *out);
    int posted = v->cfg.mode == VIO_VCPU_POSTED;
    if (posted && v->on) {
        /* Posted-interrupt processing: ON cleared, PIR moved into the vIRR. */
        for (int i = 0; i < 4; i++) {
            v->virr[i] |= v->pir[i];
            v->pir[i] = 0;
        }
        v->on = 0;
    }
    int n = bits_set(v->virr);
    if (n == 0)
        return; /* nothing pending: a halted vCPU stays halted */
    memset(v->virr, 0, sizeof v->virr);
    v->kick_pending = 0;
    /* The target clears what it took on the line (ON and PIR, or the IRR bit). */
    vio_ps line = target_line(v, now);
    out->line = line;
    /* Per vector: its delivery, and (without APICv) the EOI that exits. */
    vio_ps deliver = (vio_ps)n * (posted ? v->pi_deliver_ps : v->inject_ps);
    vio_ps eoi = posted ? 0 : (vio_ps)n * (v->x_ps + v->eoi_ps);
    uint32_t eoi_exits = posted ? 0 : (uint32_t)n;
    v->st.exits_eoi += eoi_exits;
    out->eoi = eoi;
    enum vio_vcpu_state st = vio_vcpu_state_at(v, now);
    if (st == VIO_VCPU_RUNNING) {
        if (v->halted) { /* caught while polling in guest mode: no HLT happened */
            out->spin = now - v->idle_at;
            v->halted = 0;
        }
        if (posted) {
            out->latency = line + deliver;
            out->guest = line + deliver;
        } else {
            /* The kick IPI forces an external-interrupt exit; injection at re-entry. */
            out->latency = v->x_ps + line + deliver;
            out->guest = v->x_ps + line + deliver + eoi;
            out->exits = 1 + eoi_exits;
            v->st.exits_irq++;
        }
        return;
    }
    /* Halted: the HLT exit returns through the rest of its round trip. */
    uint64_t halt_ns = (now - v->halt_at) / VIO_PS_PER_NS;
    out->spin = v->halt_at - v->idle_at;
    v->st.exits_hlt++;
    vio_ps entry = v->x_ps - v->x_ps / 2;
    if (st == VIO_VCPU_HALT_POLL) {
        out->poll = now - v->halt_at;
        out->latency = entry + line + deliver;
        v->st.wakeups_polled++;
    } else {
        out->poll = v->window_ps;
        out->latency = v->wake_ps + entry + line + deliver;
        v->st.wakeups_blocked++;
    }
    out->guest = v->x_ps + line + deliver + eoi;
    out->exits = 1 + eoi_exits;
    v->st.poll_ps += out->poll;
    adapt_window(v, halt_ns);
    v->halted = 0;
}

void vio_vcpu_deliver(vio_vcpu *v, uint8_t vector, vio_ps now, vio_vcpu_cost *out)
{
    vio_vcpu_line line = v->cfg.line;
    v->cfg.line.rmw = NULL; /* an unknown sender: the legacy constant */
    vio_vcpu_deliver_from(v, 0, vector, now, out);
    v->cfg.line = line;
}

void vio_vcpu_deliver_from(vio_vcpu *v, uint32_t sender, uint8_t vector, vio_ps now, vio_vcpu_cost *out)
{
    vio_vcpu_cost s, t;
    enum vio_vcpu_state st = vio_vcpu_state_at(v, now);
    vio_vcpu_send_from(v, sender, vector, now, &s);
    /* An IPI to a running core arrives after its flight time; a polling loop
     * notices at once; a blocked thread's wake-up latency is in wake_ns. */
    vio_ps arrive = (st == VIO_VCPU_RUNNING && s.notified) ? v->ipi_lat_ps : 0;
    vio_vcpu_take(v, now + arrive, &t);
    *out = t;
    out->sender = s.sender;
    out->notified = s.notified;
    out->latency = arrive + t.latency;
}

void vio_vcpu_preview_wake(const vio_vcpu *v, vio_ps idle_at, uint8_t vector, vio_ps now, vio_vcpu_cost *out)
{
    vio_vcpu copy = *v; /* the model holds no pointers but the line's hook: a copy is a full what-if */
    copy.cfg.line.rmw = NULL; /* without touching the caches: no line costs */
    copy.c2c_ps = 0;
    go_idle(&copy, idle_at, copy.cfg.guest_halt_poll_ns);
    vio_vcpu_deliver(&copy, vector, now, out);
}

void vio_vcpu_exit(vio_vcpu *v, uint32_t handler_cycles, int irq, vio_ps now, vio_vcpu_cost *out)
{
    (void)now;
    memset(out, 0, sizeof *out);
    out->guest = v->x_ps + cyc(v, handler_cycles);
    out->exits = 1;
    v->st.exits_other++;
    if (irq >= 0 && irq < 256) {
        /* Raised for this vCPU by the exit's own handler (an emulated timer that
         * expired): the vCPU is in root mode, so nobody is kicked or notified
         * (KVM posts without an IPI); it is delivered by the VM entry that ends
         * this exit. Nothing is left of an exit to pay: delivery and EOI only. */
        if (v->cfg.mode == VIO_VCPU_POSTED) {
            out->guest += v->pi_deliver_ps;
        } else {
            out->guest += v->inject_ps + v->x_ps + v->eoi_ps;
            out->exits++;
            v->st.exits_eoi++;
        }
    }
    out->latency = out->guest;
}

void vio_vcpu_kick(vio_vcpu *v, vio_ps now, vio_vcpu_cost *out)
{
    (void)now;
    memset(out, 0, sizeof *out);
    out->guest = v->x_ps + v->kick_ps;
    out->latency = out->guest;
    out->exits = 1;
    out->notified = 1;
    v->st.exits_kick++;
}

int vio_vcpu_pi_pir(const vio_vcpu *v, uint8_t vector) { return (int)((v->pir[vector / 64] >> (vector % 64)) & 1); }
int vio_vcpu_pi_on(const vio_vcpu *v) { return v->on; }
int vio_vcpu_pi_sn(const vio_vcpu *v) { return v->sn; }
uint8_t vio_vcpu_pi_nv(const vio_vcpu *v, vio_ps t)
{
    return vio_vcpu_state_at(v, t) == VIO_VCPU_BLOCKED ? v->cfg.wakeup_vector : v->cfg.notification_vector;
}
void vio_vcpu_set_sn(vio_vcpu *v, int sn)
{
    v->sn = sn != 0;
    /* Clearing SN with posts pending: raise ON so the next entry (or poll) sees them,
     * as KVM does when it loads the vCPU again. */
    if (!v->sn && (v->pir[0] | v->pir[1] | v->pir[2] | v->pir[3]))
        v->on = 1;
}
int vio_vcpu_irr(const vio_vcpu *v, uint8_t vector) { return (int)((v->virr[vector / 64] >> (vector % 64)) & 1); }
void vio_vcpu_get_stats(const vio_vcpu *v, vio_vcpu_stats *out) { *out = v->st; }
void vio_vcpu_reset_stats(vio_vcpu *v) { v->st = (vio_vcpu_stats){0}; }
uint64_t vio_vcpu_poll_window_ns(const vio_vcpu *v) { return v->poll_ns; }
