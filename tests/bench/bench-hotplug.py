#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""bench-hotplug: hot-add of a dax device until every block is online in
ZONE_MOVABLE, spmd against the minimal writer (hotplug-floor: exactly the
needed sysfs writes and the zone reads), in the same run, on the simulated
kernel. Prints a table; not a test.

For each case the simulated kernel is started once, with spmd running
(--bus=none, policy: pmem devices on the odd nodes from 11 SPM/online_movable).
The repetitions alternate: the floor on a fresh device on an even node
(which the policy leaves alone) while spmd is stopped, then, once spmd has
looked at that device and is idle (its debug log quiet for 0.5 s), spmd on a
fresh device on an odd node.

Timing (as anchor-baselines §A): one clock and one poller for both,
hotplug-wait. Floor: from the fork of fork+exec+wait of hotplug-floor;
spmd: from the SIGCONT that resumes it with the device's uevents already
queued. Both until the poller (1 ms period, memoryLAST first, then every
block) reads every block online and Movable. The "kernel" column models
the kernel's own work (add_memory + onlining), which the simulated kernel
does not have: a delay on the onlining write(s), the same for both. "ratio"
is of the medians; "paired" the median of spmd/floor within each rep.

Figures, 7 reps, on a shared 2-CPU development VM (FUSE model; noisy,
ratios are what matters), spmd before (full snapshot before every pass,
cgroup tree re-read, look-again pass at once) and after the scoped read
(tests/bench/hotplug.md has the details):

  case                                  kernel     floor    before  after (paired)
  spm-v2 + state v7, 1 GiB (8 blocks)   20 ms/blk  338 ms   1.40x   1.06x (1.06x)
  spm-v2 + state v7, 8 GiB (64 blocks)  20 ms/blk  2643 ms  1.19x   1.01x (1.01x)
  stock, per block, 1 GiB (8 blocks)    20 ms/blk  182 ms   1.73x   1.06x (1.06x)
  spm-v2 + state v7, 1 GiB (8 blocks)   none       25 ms    8.8x    1.26x (1.36x)
  spm-v2 + state v7, 8 GiB (64 blocks)  none       88 ms    7.8x    1.26x (1.14x)
  stock, per block, 1 GiB (8 blocks)    none       23 ms    6.0x    1.63x (1.67x)

Without a kernel cost what remains is spmd's scoped read of the new device
(about 20 attributes) and the executor's read-backs (every write judged by
the kernel's state: per block a state read the floor does not do), against
a floor of about 15 file operations.

  bench-hotplug.py [REPS]
"""

import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from testlib import wait_for as _wait_for  # noqa: E402

B = os.environ.get("SPM_BUILDDIR", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "build"))
SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
RUN = os.environ.get("SPM_SIMKERNEL_RUN", os.path.join(SRC, "simkernel", "simkernel-run"))
SIMCTL = os.environ.get("SPM_SIMCTL", os.path.join(B, "tests", "simkernel", "spm-simctl"))
SPMD = os.environ.get("SPMD", os.path.join(B, "daemon", "spmd"))
FLOOR = os.environ.get("SPM_HOTPLUG_FLOOR", os.path.join(B, "tests", "bench", "hotplug-floor"))
WAIT = os.environ.get("SPM_HOTPLUG_WAIT", os.path.join(B, "tests", "bench", "hotplug-wait"))
SCEN = os.environ.get("SPM_SIMKERNEL_SCENARIOS", os.path.join(SRC, "simkernel", "scenarios"))

# spmd's devices get the odd nodes from 11 up; the floor's, the even ones,
# are left alone
POLICY = """[Pool fast]
[Device all]
MatchProvider=pmem
MatchTargetNode=%s
Class=spm
Pool=fast
Online=online_movable
"""


def wait_for(cond, timeout=30.0, step=0.001):
    return _wait_for(cond, timeout, step)


class Sim:
    def __init__(self, tmp, scenario):
        self.envfile = os.path.join(tmp, "env")
        self.holder = subprocess.Popen([RUN, "--scenario", os.path.join(SCEN, scenario), "--", "sh", "-c",
                                        'env -0 > "$1.tmp" && mv "$1.tmp" "$1"; exec cat >/dev/null', "sh",
                                        self.envfile], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
        if not wait_for(lambda: os.path.exists(self.envfile) or self.holder.poll() is not None):
            raise RuntimeError("no simulated kernel")
        if self.holder.poll() is not None:
            sys.exit(77 if self.holder.returncode == 77 else 1)
        with open(self.envfile) as f:
            self.env = dict(kv.split("=", 1) for kv in f.read().split("\0") if "=" in kv)
        os.unlink(self.envfile)
        self.sysfs = self.env["SPM_SYSFS_ROOT"]

    def ctl(self, *args):
        p = subprocess.run([SIMCTL] + [str(a) for a in args], capture_output=True, text=True,
                           env=dict(os.environ, SPM_SIMKERNEL_CONTROL=self.env["SPM_SIMKERNEL_CONTROL"]))
        if p.returncode != 0:
            raise RuntimeError("spm-simctl %s: %s" % (args, p.stdout + p.stderr))
        return p.stdout.strip()

    def read(self, rel):
        try:
            with open(os.path.join(self.sysfs, rel)) as f:
                return f.read().strip()
        except OSError:
            return None

    def real(self, rel):
        d, f = os.path.split(rel)
        return os.path.join(os.path.relpath(os.path.realpath(os.path.join(self.sysfs, d)), self.sysfs), f)

    def blocks(self, dev):
        bs = int(self.read("devices/system/memory/block_size_bytes"), 16)
        s = int(self.read("bus/dax/devices/%s/mapping0/start" % dev), 0)
        e = int(self.read("bus/dax/devices/%s/mapping0/end" % dev), 0)
        return list(range(s // bs, (e + 1) // bs))

    def close(self):
        self.holder.stdin.close()
        self.holder.wait(timeout=30)


def add(sim, node, size, cost_ms, whole, provider="pmem"):
    dev = sim.ctl("add-dax", "node=%d" % node, "size=%s" % size, "provider=" + provider).split()[-1]
    blocks = sim.blocks(dev)
    if cost_ms:
        if whole:
            sim.ctl("delay", sim.real("bus/dax/devices/%s/state" % dev), cost_ms * len(blocks))
        else:
            for b in blocks:
                sim.ctl("delay", "devices/system/memory/memory%d/state" % b, cost_ms)
    return dev, blocks


def timed(sim, env, blocks, how):
    """ms from the start (SIGCONT or fork) until hotplug-wait sees every
    block online and Movable; the poller runs without the preload, what it
    starts gets it."""
    env = dict(env)
    pre = env.pop("LD_PRELOAD", None)
    if pre and how[0] == "run":
        env["HOTPLUG_WAIT_CHILD_PRELOAD"] = pre
    p = subprocess.run([WAIT, sim.sysfs, str(blocks[0]), str(blocks[-1])] + how, env=env,
                       capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError("%s: %s" % (how[0], p.stderr.strip()))
    return float(p.stdout.strip()) / 1000.0


def wait_idle(logname, quiet=0.5, timeout=30.0):
    """spmd has finished its passes: its log has not grown for quiet s."""
    end = time.time() + timeout
    last, since = -1, time.time()
    while time.time() < end:
        size = os.path.getsize(logname)
        if size != last:
            last, since = size, time.time()
        elif time.time() - since >= quiet:
            return
        time.sleep(0.05)


def run_case(tmp, scenario, size, whole, spm, cost_ms, reps):
    sim = Sim(tmp, scenario)
    floor, daemon = [], []
    try:
        sim.ctl("auto-online", "offline")
        node = 10
        pol = os.path.join(tmp, "etc")
        os.makedirs(pol, exist_ok=True)
        with open(os.path.join(pol, "50-bench.conf"), "w") as f:
            f.write(POLICY % ",".join(str(11 + 2 * i) for i in range(reps)))
        env = dict(sim.env, SPM_POLICY_ETC_DIR=pol, SPM_POLICY_RUN_DIR=os.path.join(tmp, "run"),
                   SPM_POLICY_LIB_DIR=os.path.join(tmp, "lib"))
        env.pop("NOTIFY_SOCKET", None)
        log = open(os.path.join(tmp, "spmd.log"), "w")
        spmd = subprocess.Popen([SPMD, "--bus=none", "--log-target=console", "--log-level=debug"], env=env,
                                stderr=log)
        try:
            for _ in range(reps):
                # the floor, on a device the policy leaves alone (even node),
                # with spmd stopped: nothing else reads sysfs meanwhile
                wait_idle(log.name)   # coldplug, or the last rep's passes
                spmd.send_signal(signal.SIGSTOP)
                dev, blocks = add(sim, node, size, cost_ms, whole)
                node += 1
                args = [FLOOR, "state" if whole else "blocks", dev] + (["spm"] if spm else [])
                floor.append(timed(sim, sim.env, blocks, ["run"] + args))
                spmd.send_signal(signal.SIGCONT)

                # spmd, once it has looked at the floor's device: from
                # SIGCONT with the new device's uevents queued
                wait_idle(log.name)
                spmd.send_signal(signal.SIGSTOP)
                dev, blocks = add(sim, node, size, cost_ms, whole)
                node += 1
                daemon.append(timed(sim, sim.env, blocks, ["cont", str(spmd.pid)]))
        finally:
            spmd.send_signal(signal.SIGCONT)
            spmd.terminate()
            spmd.wait(timeout=10)
            log.close()
    finally:
        sim.ctl("clear-faults")
        sim.close()
    return floor, daemon


def main():
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    cases = [
        ("spm-v2 + state v7, 1 GiB (8 blocks)", "spm-v2-hotplug-v7.ini", "1G", True, True),
        ("spm-v2 + state v7, 8 GiB (64 blocks)", "spm-v2-hotplug-v7.ini", "8G", True, True),
        ("stock, per block, 1 GiB (8 blocks)", "stock-6.12.ini", "1G", False, False),
    ]
    print("%-40s %10s %10s %10s %10s %8s %8s" % ("case", "kernel", "floor ms", "spmd ms", "spmd-floor", "ratio",
                                                "paired"))
    for cost in (0, 20):
        for label, scen, size, whole, spm in cases:
            with tempfile.TemporaryDirectory(prefix="spm-bench-hotplug-") as tmp:
                floor, daemon = run_case(tmp, scen, size, whole, spm, cost, reps)
            f, d = statistics.median(floor), statistics.median(daemon)
            paired = statistics.median(x / y for x, y in zip(daemon, floor))
            print("%-40s %10s %10.1f %10.1f %10.1f %7.2fx %7.2fx" % (label, "%d ms/blk" % cost if cost else "none",
                                                                        f, d, d - f, d / f, paired))
            sys.stdout.flush()
    print("(medians of %d reps; ratio: of the medians; paired: median of spmd/floor of the same rep; kernel: "
          "modelled cost of adding+onlining one block, as a write delay)" % reps)


if __name__ == "__main__":
    main()
