/* The interrupt and exit path of one pinned vCPU under KVM on Intel VT-x: what
 * it costs a host core to signal the guest, what the guest's core pays to take
 * the interrupt, and the exits a guest makes on its own (HLT when idle, virtio
 * kicks through ioeventfd, EOI without APICv). Plain C, no engine: callers pass
 * the time and get costs back.
 *
 * Two delivery modes, as KVM configures them:
 *  - VIO_VCPU_EMULATED (no APICv): the sender sets the vector in the virtual
 *    LAPIC's IRR and kicks the vCPU. A running vCPU is forced out by an IPI (an
 *    external-interrupt exit); KVM injects the vector on the next VM entry; the
 *    guest's EOI is an APIC write that exits again.
 *  - VIO_VCPU_POSTED (APICv with posted interrupts, Intel SDM vol. 3C, 30.6):
 *    the sender sets the vector's bit in the posted-interrupt descriptor's PIR
 *    and its ON bit; if ON was clear and SN is clear it sends the notification
 *    vector (NV) to the target core (NDST). A core in guest mode takes it without
 *    an exit: the processor moves PIR into the virtual IRR and delivers the
 *    interrupt (virtual-interrupt delivery); EOI is virtualized, no exit.
 * Either way a vCPU that is not in guest mode is not interrupted: while KVM
 * halt-polls after a HLT exit the poll loop notices the pending interrupt; once
 * the polling window has run out the vCPU thread sleeps and the sender wakes it
 * (the scheduler round trip that halt polling exists to avoid). While blocked
 * the descriptor's NV is KVM's wake-up vector.
 *
 * Halt polling follows KVM's adaptive window (virt/kvm/kvm_main.c, kvm_vcpu_halt):
 * the per-vCPU window starts at 0, grows (x grow, at least grow_start) after a
 * halt that was short but outlasted the window, shrinks (/ shrink) after a halt
 * longer than the maximum, and is capped at halt_poll_ns. Polling burns the
 * target core in root mode (host time) to save the wake-up latency. */
#ifndef VIOSIM_VCPU_H
#define VIOSIM_VCPU_H

#include "viosim/time.h"
#include "viosim/viosim.h"

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum vio_vcpu_mode { VIO_VCPU_EMULATED = 0, VIO_VCPU_POSTED };

enum vio_vcpu_state {
    VIO_VCPU_RUNNING = 0, /* in guest mode */
    VIO_VCPU_HALT_POLL,   /* took a HLT exit; KVM polls for a wake-up event in root mode */
    VIO_VCPU_BLOCKED,     /* the polling window ran out: the vCPU thread sleeps */
};

/* The interrupt-state line of a vCPU: posted, the posted-interrupt descriptor
 * (PIR and ON share its 64-byte line); emulated, the virtual APIC page's IRR.
 * Senders update it with a locked read-modify-write, and the target updates it
 * when it takes the interrupt (posted-interrupt processing clears ON and PIR;
 * KVM clears the IRR bit it injects). `rmw` performs one such access by `core`
 * at `now` through a coherence model and returns its latency, so a cross-core
 * transfer is paid only where another core really holds the line. NULL: no
 * model, every send takes the line from the target's core (`c2c_cycles`). */
typedef struct vio_vcpu_line {
    vio_ps (*rmw)(void *ctx, uint32_t core, uint64_t addr, vio_ps now);
    void *ctx;
    uint64_t addr;
} vio_vcpu_line;

/* A sender that is no core (VT-d's interrupt remapping posting for a device):
 * its write of the descriptor is not run through `rmw`. */
#define VIO_VCPU_SENDER_DEVICE UINT32_MAX

/* Costs in cycles of the target's clock unless the name says otherwise. */
typedef struct vio_vcpu_config {
    uint32_t freq_mhz;
    enum vio_vcpu_mode mode;
    uint32_t exit_entry_cycles; /* VM exit + KVM's exit dispatch + VM entry (a hypercall round trip) */
    uint32_t inject_cycles;     /* emulated: KVM takes the vector from the vIRR and injects it at entry */
    uint32_t eoi_cycles;        /* emulated: KVM's emulation of the EOI write, on top of its exit */
    uint32_t pi_deliver_cycles; /* posted: PIR -> vIRR and virtual-interrupt delivery in the target */
    uint32_t pi_post_cycles;    /* sender: locked update of PIR and ON (or of the vIRR without APICv) */
    uint32_t c2c_cycles;        /* that line comes from the target's core on each send */
    uint32_t ipi_send_cycles;   /* sender: the ICR write of a notification or kick IPI */
    uint32_t ipi_latency_ns;    /* ICR write until the target core takes the IPI */
    uint32_t wake_ns;           /* blocked: wake the vCPU thread and schedule it in, over a polled wake */
    uint32_t kick_cycles;       /* ioeventfd: match the doorbell address, signal the eventfd (exit extra) */
    uint64_t halt_poll_ns;      /* KVM halt_poll_ns: the largest polling window; 0 = no polling */
    uint64_t halt_poll_grow_start_ns;
    uint32_t halt_poll_grow, halt_poll_shrink;
    uint64_t guest_halt_poll_ns; /* the guest's own idle polling before HLT (cpuidle-haltpoll); 0 = HLT at once */
    uint8_t notification_vector; /* NV while the vCPU can run */
    uint8_t wakeup_vector;       /* NV while it is blocked */
    uint32_t core;               /* the vCPU's own (pinned) core, for `line` */
    vio_vcpu_line line;          /* its interrupt-state line through a coherence model (rmw NULL: none) */
} vio_vcpu_config;

/* What one operation cost. */
typedef struct vio_vcpu_cost {
    vio_ps sender;   /* on the sending core */
    vio_ps latency;  /* from the send (or the exit) until the guest runs again / enters its handler */
    vio_ps guest;    /* target core time spent in the path: exits, injection, EOI, entry */
    vio_ps poll;     /* target core time spent halt polling in root mode (host time) */
    vio_ps spin;     /* target core time the guest spent polling in guest mode before it would HLT */
    vio_ps eoi;      /* the part of `guest` paid inside the guest's handler (EOI exits without APICv) */
    vio_ps line;     /* the target's own access to the interrupt-state line (in `latency` and `guest`) */
    uint32_t exits;  /* VM exits taken, the HLT exit of the idle period it ends included */
    int notified;    /* an IPI (notification or kick) or a wake-up was sent */
} vio_vcpu_cost;

typedef struct vio_vcpu_stats {
    uint64_t exits_hlt, exits_irq, exits_eoi, exits_kick, exits_other;
    uint64_t wakeups_polled, wakeups_blocked;
    uint64_t notifications, notifications_suppressed; /* posted: IPIs sent / not needed (ON set, SN, not in guest) */
    vio_ps poll_ps;
} vio_vcpu_stats;

#define VIO_VCPU_NO_IRQ (-1)

typedef struct vio_vcpu vio_vcpu;

int vio_vcpu_create(const vio_vcpu_config *cfg, vio_vcpu **out, vio_err *err);
void vio_vcpu_destroy(vio_vcpu *v);

/* The state at time t (the halt-poll window ends at a fixed time after the HLT exit). */
enum vio_vcpu_state vio_vcpu_state_at(const vio_vcpu *v, vio_ps t);

/* The guest executes HLT at `now` with nothing to do: a HLT exit, then polling
 * for the current window, then blocking. Its cost is paid at the wake-up. */
void vio_vcpu_halt(vio_vcpu *v, vio_ps now);
/* The guest runs out of work at `now`: it polls in guest mode for
 * guest_halt_poll_ns (still RUNNING: a posted interrupt then needs no exit),
 * then executes HLT as vio_vcpu_halt. */
void vio_vcpu_idle(vio_vcpu *v, vio_ps now);

/* Another core sends interrupt `vector` to this vCPU at `now`. Fills *out with
 * the sender's cost, the latency until the guest enters its handler, and the
 * target core time; a halted vCPU is woken (and its polling window adapted).
 * The guest's EOI is included (an exit without APICv). */
void vio_vcpu_deliver(vio_vcpu *v, uint8_t vector, vio_ps now, vio_vcpu_cost *out);

/* The same, sent by core `sender` (a host worker; VIO_VCPU_SENDER_DEVICE for the
 * interrupt-remapping hardware): with `line`, the sender's and the target's
 * accesses to the interrupt-state line go through the coherence model.
 * vio_vcpu_deliver is this from an unknown core (it pays `c2c_cycles`). */
void vio_vcpu_deliver_from(vio_vcpu *v, uint32_t sender, uint8_t vector, vio_ps now, vio_vcpu_cost *out);

/* What vio_vcpu_idle(idle_at) then vio_vcpu_deliver(now) would cost, without
 * changing anything (the datapath asks before the event happens). The line's
 * accesses are left out (they would change the caches): `latency` excludes
 * the target's access, which vio_vcpu_deliver_from reports in `line`. */
void vio_vcpu_preview_wake(const vio_vcpu *v, vio_ps idle_at, uint8_t vector, vio_ps now, vio_vcpu_cost *out);

/* Only the sender's half: post (or set in the vIRR) without the target taking it,
 * e.g. to see notifications coalesce while ON is set. vio_vcpu_deliver = send + take. */
void vio_vcpu_send(vio_vcpu *v, uint8_t vector, vio_ps now, vio_vcpu_cost *out);
void vio_vcpu_send_from(vio_vcpu *v, uint32_t sender, uint8_t vector, vio_ps now, vio_vcpu_cost *out);
/* The target takes what is pending (the notification arrived, or it re-enters). */
void vio_vcpu_take(vio_vcpu *v, vio_ps now, vio_vcpu_cost *out);

/* A synchronous exit the guest makes (hypercall, MSR write, MMIO doorbell)
 * whose handler costs `handler_cycles`; if `irq` is a vector, the handler raises
 * that interrupt for this vCPU (an emulated timer firing) and it is delivered at
 * the VM entry, EOI included. */
void vio_vcpu_exit(vio_vcpu *v, uint32_t handler_cycles, int irq, vio_ps now, vio_vcpu_cost *out);

/* A virtio kick (a doorbell write to the notify register): an exit that KVM's
 * ioeventfd turns into an eventfd signal to the host worker. Also the
 * copy-on-fetch doorbell. */
void vio_vcpu_kick(vio_vcpu *v, vio_ps now, vio_vcpu_cost *out);

/* The set posted-interrupt descriptor of VIO_VCPU_POSTED (Intel SDM 30.6): */
int vio_vcpu_pi_pir(const vio_vcpu *v, uint8_t vector); /* PIR bit */
int vio_vcpu_pi_on(const vio_vcpu *v);                  /* outstanding notification */
int vio_vcpu_pi_sn(const vio_vcpu *v);                  /* suppress notification */
uint8_t vio_vcpu_pi_nv(const vio_vcpu *v, vio_ps t);    /* notification vector in force at t */
/* Set SN (a preempted vCPU: KVM sets SN so senders do not IPI a core running something else). */
void vio_vcpu_set_sn(vio_vcpu *v, int sn);
/* Whether `vector` is pending in the virtual IRR (delivered vectors are cleared). */
int vio_vcpu_irr(const vio_vcpu *v, uint8_t vector);

void vio_vcpu_get_stats(const vio_vcpu *v, vio_vcpu_stats *out);
/* Zero the counters, keeping the vCPU's state: the end of a warm-up. */
void vio_vcpu_reset_stats(vio_vcpu *v);
/* The current adaptive polling window (KVM's vcpu->halt_poll_ns). */
uint64_t vio_vcpu_poll_window_ns(const vio_vcpu *v);

/* virtio's event index (VIRTIO_F_EVENT_IDX, virtio 1.1 2.7.10): the other side
 * asked to be notified when the index passes `event_idx`; after moving from
 * `old_idx` to `new_idx` a notification is needed iff event_idx lies in
 * [old_idx, new_idx). Free-running 16-bit indices, as in vring_need_event(). */
static inline int vio_vring_need_event(uint16_t event_idx, uint16_t new_idx, uint16_t old_idx)
{
    return (uint16_t)(new_idx - event_idx - 1) < (uint16_t)(new_idx - old_idx);
}

#ifdef __cplusplus
}
#endif
#endif
