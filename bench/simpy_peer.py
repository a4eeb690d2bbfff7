#!/usr/bin/env python3
"""SimPy 2 peer of viosim's reduced receive pipeline, for viosim-bench.

Usage: simpy_peer.py SCENARIO.json   (the canonical scenario: `viosim check`
output without its first line, or what viosim-bench writes)
Prints one JSON line: packets, delivered, dropped, mean latency (ns), events
and the wall time of the simulation alone (imports and parsing excluded).

The model is the one lib/src/datapath runs when the scenario has
"platform.ideal_memory": true, host budget 1, VM budget 1, copy guest (cpu) and
notify exit, written the way a SimPy 2 user would: every packet is a Process
that queues for Resources.
  NIC     Poisson arrivals merged on one wire (lib/src/models/traffic.c); a
          packet is dropped when its queue's ring slot is not free yet. The slot
          is taken at arrival and freed when the host has finished the packet.
  PCIe    one FIFO link: payload then descriptor write, each ceil(bytes/MPS)
          TLPs with per-TLP overhead, then the one-way latency.
  host    one worker core (Resource): irq_cycles if it was idle, then
          batch_cycles plus the signals it owes (below) and classify_cycles;
          the packet is dropped if the guest's ring slot is not free (vhost then
          wants a kick); the copy and descriptor stores are free (ideal memory).
  guest   one vCPU per VM (Resource). Idle (no NAPI poll in progress): the
          emulated interrupt of lib/src/models/vcpu.c: halt polling in guest
          mode, KVM's adaptive halt-poll window or a blocked thread (wake_ns),
          the rest of the HLT exit, injection; the delivering host worker owes
          notify_cycles + the vIRR set (+ the kick IPI unless the vCPU was
          halt-polling), paid at its next batch (dp_host.c's debt); then the
          guest's irq_cycles and the EOI exit. Then process_cycles; latency is
          measured from the packet's last bit at the NIC to the end of
          process_cycles. A kick (exit + kick_cycles) follows when vhost asked.
The one difference: viosim's worker serves its queues round-robin (vhost's
work list), the peer's host Resource first come, first served; with one VM
the two agree to the picosecond, with the four of bench/scenarios/reduced.json
the mean latency by about 0.07 %.
The arrival stream is the very same as viosim's: the peer uses viosim's
generator (xoshiro256** seeded by splitmix64, one stream per flow), so both
simulators see identical arrivals and their mean latencies must agree.
"""
import json
import math
import sys
import time

from SimPy.Simulation import (Process, Resource, activate, hold, initialize, now, release, request,
                              simulate)

MASK = (1 << 64) - 1
ETH_WIRE_OVERHEAD = 20  # preamble + SFD + inter-frame gap (IEEE 802.3)


def llround(v):
    """C llround for v >= 0: nearest integer, halves away from zero."""
    r = math.floor(v)
    return r + 1 if v - r >= 0.5 else r



ATANH_COEF = [1.0 / float(2 * k + 1) for k in range(13)]


def portable_log(x):
    """viosim's lib/src/rng.c portable_log, operation for operation (the same bits)."""
    m, e = math.frexp(x)
    if m < 0.70710678118654752440:
        m *= 2.0
        e -= 1
    s = (m - 1.0) / (m + 1.0)
    s2 = s * s
    poly = ATANH_COEF[12]
    for k in range(11, -1, -1):
        poly = poly * s2 + ATANH_COEF[k]
    return 2.0 * s * poly + float(e) * 0.69314718055994530942

class Rng:
    """xoshiro256** seeded through splitmix64, bit for bit lib/src/rng.c."""

    def __init__(self, seed, stream):
        x = seed ^ ((stream * 0xd1342543de82ef95 + 0x2545f4914f6cdd1d) & MASK)
        self.s = []
        for _ in range(4):
            x = (x + 0x9e3779b97f4a7c15) & MASK
            z = x
            z = ((z ^ (z >> 30)) * 0xbf58476d1ce4e5b9) & MASK
            z = ((z ^ (z >> 27)) * 0x94d049bb133111eb) & MASK
            self.s.append(z ^ (z >> 31))

    def next(self):
        s0, s1, s2, s3 = self.s
        x = (s1 * 5) & MASK
        result = ((((x << 7) | (x >> 57)) & MASK) * 9) & MASK
        t = (s1 << 17) & MASK
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = ((s3 << 45) | (s3 >> 19)) & MASK
        self.s = [s0, s1, s2, s3]
        return result

    def uniform(self):
        return (self.next() >> 11) * 2.0 ** -53

    def exp_ps(self, mean_ps):
        return llround(-portable_log(1.0 - self.uniform()) * mean_ps)


def bytes_to_ps(nbytes, mbps):
    return (nbytes * 8000000 + mbps - 1) // mbps


class Traffic:
    """Per-flow streams merged in time order onto one wire (lib/src/traffic.c)."""

    def __init__(self, tr, seed, wire_mbps):
        self.flows = tr["flows"]
        self.limit = tr["packets"]
        self.wire_mbps = wire_mbps
        self.produced = 0
        self.wire_free = 0
        load = tr.get("load", 1.0) or 1.0
        self.st = []
        for i, f in enumerate(self.flows):
            rng = Rng(seed, 0x7261666600000000 + i)  # stream "traf"+i
            st = {"rng": rng, "ps_per_pkt": 0.0, "ps_per_byte": 0.0}
            if f.get("rate_pps", 0) > 0:
                st["ps_per_pkt"] = 1e12 / (f["rate_pps"] * load)
            else:
                st["ps_per_byte"] = 8e3 / (f["rate_gbps"] * load)
            st["next_bytes"] = self.draw_size(f, rng)
            gap = self.draw_gap(f, st, st["next_bytes"])
            st["next_gen"] = int(rng.uniform() * float(gap))
            self.st.append(st)

    @staticmethod
    def draw_size(f, rng):
        if "size_mix" not in f:
            return f["size"]
        mix = f["size_mix"]
        total = 0.0
        for m in mix:
            total += m["weight"]
        u = rng.uniform() * total
        for m in mix:
            if u < m["weight"]:
                return m["bytes"]
            u -= m["weight"]
        return mix[-1]["bytes"]

    @staticmethod
    def draw_gap(f, st, nbytes):
        if st["ps_per_pkt"] > 0:
            mean = st["ps_per_pkt"]
        else:
            mean = st["ps_per_byte"] * (nbytes + ETH_WIRE_OVERHEAD)
        if f.get("arrival", "poisson") == "constant":
            return llround(mean)
        return st["rng"].exp_ps(mean)

    def next(self):
        """(last-bit time in ps, bytes, flow index), or None when exhausted."""
        if self.produced >= self.limit:
            return None
        best = 0
        for i in range(1, len(self.st)):
            if self.st[i]["next_gen"] < self.st[best]["next_gen"]:
                best = i
        st = self.st[best]
        nbytes = st["next_bytes"]
        start = max(st["next_gen"], self.wire_free)
        self.wire_free = start + bytes_to_ps(nbytes + ETH_WIRE_OVERHEAD, self.wire_mbps)
        self.produced += 1
        st["next_bytes"] = self.draw_size(self.flows[best], st["rng"])
        st["next_gen"] += self.draw_gap(self.flows[best], st, st["next_bytes"])
        return self.wire_free, nbytes, best


NEVER = 1 << 64


class VCpu:
    """One vCPU's emulated-interrupt path (lib/src/models/vcpu.c, notify exit, no
    APICv), with ideal memory: the interrupt-state line costs nothing. Only the
    state the reduced pipeline reaches: idle since the end of the last batch
    (guest halt polling, then KVM's adaptive halt-poll window, then blocked)."""

    def __init__(self, irq, cyc):
        self.x = cyc(irq["exit_entry_cycles"])
        self.inject = cyc(irq["inject_cycles"])
        self.eoi = self.x + cyc(irq["eoi_cycles"])  # the EOI exits (no APICv)
        self.post = cyc(irq["pi_post_cycles"])  # the sender's locked set of the vIRR bit
        self.ipi_send = cyc(irq["ipi_send_cycles"])
        self.ipi_lat = irq["ipi_latency_ns"] * 1000
        self.wake = irq["wake_ns"] * 1000
        self.kick = self.x + cyc(irq["kick_cycles"])
        self.guest_poll = irq["guest_halt_poll_ns"] * 1000
        self.max_ns = irq["halt_poll_ns"]
        self.grow_start = irq["halt_poll_grow_start_ns"]
        self.grow = irq["halt_poll_grow"]
        self.shrink = irq["halt_poll_shrink"]
        self.poll_ns = 0  # KVM's vcpu->halt_poll_ns

    def adapt(self, halt_ns):
        """kvm_vcpu_halt's grow_halt_poll_ns / shrink_halt_poll_ns."""
        mx = self.max_ns
        if mx == 0:
            self.poll_ns = 0
        elif halt_ns <= self.poll_ns:
            pass
        elif self.poll_ns and halt_ns > mx:
            val = self.poll_ns // self.shrink if self.shrink else 0
            self.poll_ns = 0 if val < self.grow_start else val
        elif self.poll_ns < mx and halt_ns < mx and self.grow:
            val = max(self.poll_ns * self.grow, self.grow_start)
            self.poll_ns = min(val, mx)

    def deliver(self, idle_at, now):
        """The interrupt raised at `now`, the vCPU idle since `idle_at`:
        (latency until the handler runs, the sender's cost)."""
        halt_at = idle_at + self.guest_poll
        window = self.poll_ns * 1000

        def state(t):  # 0 running (guest polling), 1 halt-polling, 2 blocked
            return 0 if t < halt_at else 1 if t < halt_at + window else 2

        st = state(now)
        sender = self.post
        arrive = 0
        if st != 1:  # a kick IPI (halt polling sees the vIRR bit itself)
            sender += self.ipi_send
            if st == 0:
                arrive = self.ipi_lat
        t = now + arrive
        st = state(t)
        if st == 0:  # caught polling in guest mode: the IPI's exit, injection at entry
            return arrive + self.x + self.inject, sender
        entry = self.x - self.x // 2  # the rest of the HLT exit's round trip
        lat = entry + self.inject if st == 1 else self.wake + entry + self.inject
        self.adapt((t - halt_at) // 1000)
        return arrive + lat, sender


class Model:
    def __init__(self, sc):
        p, h, irq = sc["platform"], sc["host"], sc["irq"]
        v = sc["variants"][0]
        self.check(sc, p, h, v)
        mhz = p["freq_mhz"]

        def cyc(c):  # vio_cycles_to_ps: rounded once per cost
            return (c * 1000000 + mhz // 2) // mhz

        pcie = p["pcie"]

        def xfer(nbytes):
            tlps = max(1, -(-nbytes // pcie["tlp_payload"]))
            return bytes_to_ps(nbytes + tlps * pcie["tlp_overhead"], pcie["bandwidth_mbps"])

        self.xfer = xfer
        self.xfer_desc = xfer(16)
        self.pcie_latency = pcie["latency_ns"] * 1000
        self.host_irq = cyc(h["irq_cycles"])
        self.host_batch = cyc(h["batch_cycles"])
        self.host_classify = cyc(h["classify_cycles"])
        self.host_notify = cyc(h["notify_cycles"])
        self.vm_irq = [cyc(vm["irq_cycles"]) for vm in sc["vms"]]
        self.vm_process = [cyc(vm["process_cycles"]) for vm in sc["vms"]]
        self.vcpu = [VCpu(irq, cyc) for _ in sc["vms"]]
        self.nic_entries = p["nic"]["ring_entries"]
        self.dst = [f["dst"] for f in sc["traffic"]["flows"]]
        self.traffic = Traffic(sc["traffic"], sc["seed"], p["nic"]["wire_mbps"])
        n = len(sc["vms"])
        # Rings as viosim keeps them: when each slot is free again, and how many
        # descriptors were produced (a slot is produced % entries).
        self.nic_free = [[0] * self.nic_entries for _ in range(n)]
        self.nic_produced = [0] * n
        self.ring_free = [[0] * vm["ring_entries"] for vm in sc["vms"]]
        self.ring_produced = [0] * n
        self.want_kick = [False] * n
        self.host_busy_until = 0
        self.host_debt = 0  # the signals of the guests' interrupts, paid at the next batch
        self.vm_busy_until = [0] * n
        self.pcie = Resource(capacity=1, name="pcie")
        self.host = Resource(capacity=1, name="host")
        self.vms = [Resource(capacity=1, name="vm%d" % i) for i in range(n)]
        self.offered = self.delivered = self.dropped = 0
        self.latency_sum = 0

    @staticmethod
    def check(sc, p, h, v):
        """The peer models only the reduced pipeline; refuse anything else."""
        need = [
            (p.get("ideal_memory") is True, "platform.ideal_memory must be true"),
            (h["budget"] == 1, "host.budget must be 1"),
            (not h.get("workers"), "one host worker (host.workers empty)"),
            (all(vm["budget"] == 1 for vm in sc["vms"]), "vms[].budget must be 1"),
            (all(vm.get("kind", "vm") == "vm" and vm.get("service", "fixed") == "fixed" and not vm.get("forward")
                 for vm in sc["vms"]), "vms[]: kind vm, service fixed, no forwarding"),
            (len(sc["variants"]) == 1, "exactly one variant"),
            (v["copy"] == "guest" and v["notify"] == "exit", "variant copy=guest, notify=exit"),
            (v.get("copy_engine", "auto") in ("auto", "cpu"), "variant copy_engine auto or cpu"),
            (v.get("io_sched", "vhost") == "vhost" and v.get("io_control", "none") == "none"
             and v.get("iommu", "off") == "off", "io_sched vhost, io_control none, iommu off"),
            (v["coalesce_packets"] <= 1 and not v["host_poll"], "no coalescing, no host polling"),
            (p["nic"]["queues"] == 0, "platform.nic.queues must be 0 (one queue per VM)"),
            (sc["traffic"].get("warmup_packets", 0) == 0, "no warm-up packets"),
            (all(isinstance(f["dst"], int) for f in sc["traffic"]["flows"]), "unicast flows only"),
        ]
        for ok, what in need:
            if not ok:
                sys.exit("simpy_peer: not a reduced-pipeline scenario: " + what)


class Packet(Process):
    def run(self, m, t_arrive, nbytes, q, slot):
        # NIC -> PCIe: payload then descriptor write-back, then the link's latency.
        yield request, self, m.pcie
        yield hold, self, m.xfer(nbytes) + m.xfer_desc
        yield release, self, m.pcie
        yield hold, self, m.pcie_latency
        # Host worker: an interrupt if it was idle when the packet landed, the
        # batch (with the signals it owes), classification; the copy and the
        # descriptor cost nothing with ideal memory.
        host_idle = m.host.n == 1 and not m.host.waitQ and now() > m.host_busy_until
        yield request, self, m.host
        t = now() + (m.host_irq if host_idle else 0) + m.host_batch + m.host_debt + m.host_classify
        m.host_debt = 0
        ring = m.ring_free[q]
        delivered = ring[m.ring_produced[q] % len(ring)] <= t
        if delivered:
            gslot = m.ring_produced[q] % len(ring)
            m.ring_produced[q] += 1
            ring[gslot] = NEVER
        else:
            m.want_kick[q] = True  # vhost asks for a kick when buffers come back
            m.dropped += 1
        m.nic_free[q][slot] = t  # the NIC descriptor is back once the host is done
        m.host_busy_until = t
        yield hold, self, t - now()
        yield release, self, m.host
        if not delivered:
            return
        # Guest: woken by an emulated interrupt if idle, else taken by NAPI.
        core = m.vms[q]
        vm_idle = core.n == 1 and not core.waitQ and now() > m.vm_busy_until[q]
        yield request, self, core
        if vm_idle:
            lat, sender = m.vcpu[q].deliver(m.vm_busy_until[q], now())
            yield hold, self, lat
            m.host_debt += m.host_notify + sender
            t = now() + m.vm_irq[q] + m.vcpu[q].eoi + m.vm_process[q]
        else:
            t = now() + m.vm_process[q]
        m.delivered += 1
        m.latency_sum += t - t_arrive
        ring[gslot] = t
        if m.want_kick[q] and ring[m.ring_produced[q] % len(ring)] <= t:
            t += m.vcpu[q].kick  # buffers back after vhost ran out: the kick it asked for
            m.want_kick[q] = False
        m.vm_busy_until[q] = t
        yield hold, self, t - now()
        yield release, self, core


class Nic(Process):
    def run(self, m):
        while True:
            a = m.traffic.next()
            if a is None:
                return
            t, nbytes, flow = a
            yield hold, self, t - now()
            m.offered += 1
            q = m.dst[flow]  # one queue per VM
            slot = m.nic_produced[q] % m.nic_entries
            if m.nic_free[q][slot] > t:  # no free descriptor: dropped on the floor
                m.dropped += 1
                continue
            m.nic_produced[q] += 1
            m.nic_free[q][slot] = NEVER
            p = Packet()
            activate(p, p.run(m, t, nbytes, q, slot))


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: simpy_peer.py SCENARIO.json")
    with open(sys.argv[1]) as f:
        sc = json.load(f)
    t0 = time.perf_counter()
    initialize()
    m = Model(sc)
    nic = Nic()
    activate(nic, nic.run(m))
    simulate(until=1e300)
    wall = time.perf_counter() - t0
    mean_ns = m.latency_sum / m.delivered / 1000.0 if m.delivered else 0.0
    print(json.dumps({"packets": m.offered, "delivered": m.delivered, "dropped": m.dropped,
                      "latency_mean_ns": mean_ns, "wall_seconds": wall}))


if __name__ == "__main__":
    main()
