#!/usr/bin/env python3
"""SimPy 2 peer of viosim's reduced receive pipeline, for viosim-bench.

Usage: simpy_peer.py SCENARIO.json   (the canonical scenario: `viosim check`
output without its first line, or what viosim-bench writes)
Prints one JSON line: packets, delivered, dropped, mean latency (ns), events
and the wall time of the simulation alone (imports and parsing excluded).

The model is the one lib/src/dp_stages.c runs when the scenario has
"platform.ideal_memory": true, host budget 1 and VM budget 1, written the way a
SimPy 2 user would: every packet is a Process that queues for Resources.
  NIC     Poisson arrivals merged on one wire (lib/src/traffic.c); a packet is
          dropped when its queue's ring has no free descriptor. A descriptor is
          taken at arrival and returned when the host has finished the packet.
  PCIe    one FIFO link: payload then descriptor write, each ceil(bytes/MPS)
          TLPs with per-TLP overhead, then the one-way latency.
  host    one core (Resource): irq_cycles if it was idle, then batch_cycles +
          classify_cycles; drop if the guest ring is full; else notify_cycles.
  guest   one core per VM (Resource): exit+inject+irq cycles if it was idle
          (no NAPI poll in progress), then process_cycles; latency is measured
          from the packet's last bit at the NIC to the end of process_cycles.
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
        self.host_pre = cyc(h["batch_cycles"]) + cyc(h["classify_cycles"])
        self.host_notify = cyc(h["notify_cycles"])
        self.vm_wake = [cyc(irq["exit_entry_cycles"] + irq["emulated_inject_cycles"]) + cyc(vm["irq_cycles"])
                        for vm in sc["vms"]]
        self.vm_process = [cyc(vm["process_cycles"]) for vm in sc["vms"]]
        self.ring_entries = [vm["ring_entries"] for vm in sc["vms"]]
        self.nic_entries = p["nic"]["ring_entries"]
        self.dst = [f["dst"] for f in sc["traffic"]["flows"]]
        self.traffic = Traffic(sc["traffic"], sc["seed"], p["nic"]["wire_mbps"])
        n = len(sc["vms"])
        self.nic_used = [0] * n
        self.ring_used = [0] * n
        self.pcie = Resource(capacity=1, name="pcie")
        self.host = Resource(capacity=1, name="host")
        self.vms = [Resource(capacity=1, name="vm%d" % i) for i in range(n)]
        self.offered = self.delivered = self.dropped = 0
        self.latency_sum = 0
        self.holds = 0

    @staticmethod
    def check(sc, p, h, v):
        """The peer models only the reduced pipeline; refuse anything else."""
        need = [
            (p.get("ideal_memory") is True, "platform.ideal_memory must be true"),
            (h["budget"] == 1, "host.budget must be 1"),
            (all(vm["budget"] == 1 for vm in sc["vms"]), "vms[].budget must be 1"),
            (len(sc["variants"]) == 1, "exactly one variant"),
            (v["copy"] == "guest" and v["notify"] == "exit", "variant copy=guest, notify=exit"),
            (v["coalesce_packets"] <= 1 and not v["host_poll"], "no coalescing, no host polling"),
            (p["nic"]["queues"] == 0, "platform.nic.queues must be 0 (one queue per VM)"),
            (all(isinstance(f["dst"], int) for f in sc["traffic"]["flows"]), "unicast flows only"),
        ]
        for ok, what in need:
            if not ok:
                sys.exit("simpy_peer: not a reduced-pipeline scenario: " + what)


class Packet(Process):
    def run(self, m, t_arrive, nbytes, vm):
        yield request, self, m.pcie
        yield hold, self, m.xfer(nbytes) + m.xfer_desc
        yield release, self, m.pcie
        yield hold, self, m.pcie_latency
        host_idle = m.host.n == 1 and not m.host.waitQ
        yield request, self, m.host
        yield hold, self, (m.host_irq if host_idle else 0) + m.host_pre
        delivered = m.ring_used[vm] < m.ring_entries[vm]
        if delivered:
            m.ring_used[vm] += 1
            yield hold, self, m.host_notify
        else:
            m.dropped += 1
        yield release, self, m.host
        m.nic_used[vm] -= 1
        if not delivered:
            return
        core = m.vms[vm]
        vm_idle = core.n == 1 and not core.waitQ
        yield request, self, core
        yield hold, self, (m.vm_wake[vm] if vm_idle else 0) + m.vm_process[vm]
        yield release, self, core
        m.ring_used[vm] -= 1
        m.delivered += 1
        m.latency_sum += now() - t_arrive


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
            if m.nic_used[q] == m.nic_entries:
                m.dropped += 1
                continue
            m.nic_used[q] += 1
            p = Packet()
            activate(p, p.run(m, t, nbytes, q))


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
