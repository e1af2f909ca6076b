#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The real spmd against the simulated kernel, one run per interface
generation: boot with devices present, hot-add, uevent bursts, dropped
uevents, a failing write at each step, SIGKILL mid-operation and restart,
and the node-type latch. Then kmem blacklisted (spmd loads it through a fake
modprobe that calls spm-simctl: working, failing, missing, loading nothing,
and a device whose mark cannot be written), CXL region marking faults and
races, and what spmd does on a private v3 kernel. SPM_TEST_ONLY=<tag
prefix> runs a subset (stock, spm-v2-hotplug-v7, spm-v1, kmem, cxl, private-v3...). spmd runs under simkernel-run's umockdev preload
(so it uses its default /sys paths and its udev monitor gets the simulated
uevents) and offers org.spmd.spm1 on a private dbus-daemon. Prints TAP;
exits 77 without /dev/fuse or the simulated kernel.
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from taplib import Tap  # noqa: E402
from testlib import PrivateBus as Bus  # noqa: E402
from testlib import wait_for as _wait_for  # noqa: E402

SPMD = os.environ.get("SPMD")
RUN = os.environ.get("SPM_SIMKERNEL_RUN")
SIMCTL = os.environ.get("SPM_SIMCTL")
SCEN = os.environ.get("SPM_SIMKERNEL_SCENARIOS")
PATH = "/org/spmd/spm1"
MGR = "org.spmd.spm1.Manager"
DEV = "org.spmd.spm1.Device"

TAP = Tap()
result = TAP.result

POLICY_SPM = """[Pool fast]
[Device all]
MatchProvider=pmem hmem cxl
Class=spm
Pool=fast
Online=online_movable
"""

POLICY_SYSRAM = """[Device all]
MatchProvider=pmem hmem cxl
Class=sysram
Online=online_movable
"""

NAME = "org.spmd.spm1"
BURST = int(os.environ.get("SPM_TEST_BURST", "2000"))


def wait_for(cond, timeout=15.0, step=0.05):
    return _wait_for(cond, timeout, step)


def prop(bus, path, iface, name):
    p = subprocess.run(["busctl", "--address=" + bus.address, "--json=short", "get-property", NAME, path, iface,
                        name], capture_output=True, text=True, timeout=30)
    if p.returncode != 0:
        return None
    try:
        return json.loads(p.stdout)["data"]
    except ValueError:
        return None


def dev_path(name):
    return PATH + "/device/" + name.replace(".", "_2e")


class Sim:
    """One simulated kernel (simkernel-run around a process that waits on
    its stdin), one private bus, one spmd that can be killed and restarted."""

    def __init__(self, tmp, scenario, policy, tag, env=None, mark="spm_node"):
        self.extra_env = env or {}
        self.mark = mark            # the dax mark's name: spm_node (v2), protected_memory (v1)
        self.tmp = os.path.join(tmp, tag)
        os.mkdir(self.tmp)
        envfile = os.path.join(self.tmp, "env")
        self.holder = subprocess.Popen([RUN, "--scenario", os.path.join(SCEN, scenario), "--",
                                        "sh", "-c", 'env -0 > "$1.tmp" && mv "$1.tmp" "$1"; exec cat >/dev/null',
                                        "sh", envfile], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
        if not wait_for(lambda: os.path.exists(envfile) or self.holder.poll() is not None, 30):
            raise RuntimeError("simulated kernel did not start")
        if self.holder.poll() is not None:
            raise RuntimeError("simkernel-run exited %d" % self.holder.returncode)
        with open(envfile) as f:
            self.simenv = dict(kv.split("=", 1) for kv in f.read().split("\0") if "=" in kv)
        self.sysfs = self.simenv["SPM_SYSFS_ROOT"]
        self.bus = Bus(self.tmp)
        self.policy_dirs = {k: os.path.join(self.tmp, d) for k, d in
                            (("SPM_POLICY_ETC_DIR", "etc"), ("SPM_POLICY_RUN_DIR", "run"),
                             ("SPM_POLICY_LIB_DIR", "lib"))}
        for d in self.policy_dirs.values():
            os.mkdir(d)
        with open(os.path.join(self.policy_dirs["SPM_POLICY_ETC_DIR"], "50-test.conf"), "w") as f:
            f.write(policy)
        self.logname = os.path.join(self.tmp, "spmd.log")
        self.spmd = None
        self.start()

    def start(self):
        env = dict(self.simenv, DBUS_SESSION_BUS_ADDRESS=self.bus.address, **self.policy_dirs)
        env.pop("JOURNAL_STREAM", None)
        env.pop("NOTIFY_SOCKET", None)
        env.update(self.extra_env)      # (a test may give its own NOTIFY_SOCKET)
        self.log = open(self.logname, "a")
        self.spmd = subprocess.Popen([SPMD, "--bus=user", "--log-target=console", "--log-level=debug"],
                                     env=env, stderr=self.log)

    def stop(self, sig=signal.SIGTERM):
        if self.spmd and self.spmd.poll() is None:
            self.spmd.send_signal(sig)
            try:
                self.spmd.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.spmd.kill()
                self.spmd.wait()
        self.log.close()

    def close(self):
        self.stop()
        self.bus.stop()
        self.holder.stdin.close()
        self.holder.wait(timeout=30)

    def ctl(self, *args):
        env = dict(os.environ, SPM_SIMKERNEL_CONTROL=self.simenv["SPM_SIMKERNEL_CONTROL"])
        p = subprocess.run([SIMCTL] + [str(a) for a in args], env=env, capture_output=True, text=True, timeout=180)
        return p.returncode, p.stdout.strip()

    def read(self, rel):
        try:
            with open(os.path.join(self.sysfs, rel)) as f:
                return f.read().strip()
        except OSError:
            return None

    def real(self, rel):
        """Faults match the kernel object's own path, not the bus symlink."""
        d, f = os.path.split(rel)
        return os.path.join(os.path.relpath(os.path.realpath(os.path.join(self.sysfs, d)), self.sysfs), f)

    def logtext(self):
        with open(self.logname) as f:
            return f.read()

    def mgr(self, name):
        return prop(self.bus, PATH, MGR, name)

    def dev(self, name, p):
        return prop(self.bus, dev_path(name), DEV, p)

    def settled(self):
        """Settled, and no device in the middle of something."""
        if self.mgr("Settled") is not True:
            return False
        self.ctl("sync")
        return self.mgr("Settled") is True

    def wait_state(self, name, states, timeout=20):
        return wait_for(lambda: self.dev(name, "ManagedState") in states, timeout)

    def blocks(self, name):
        """(id, state, valid_zones) of every block in the device's range."""
        start = self.read("bus/dax/devices/%s/mapping0/start" % name)
        end = self.read("bus/dax/devices/%s/mapping0/end" % name)
        bs = self.read("devices/system/memory/block_size_bytes")
        if start is None or end is None or bs is None:
            return []
        bs = int(bs, 16)
        out = []
        for b in range(int(start, 0) // bs, (int(end, 0) + 1) // bs):
            st = self.read("devices/system/memory/memory%d/state" % b)
            if st is not None:
                out.append((b, st, self.read("devices/system/memory/memory%d/valid_zones" % b)))
        return out

    def online_movable(self, name):
        bl = self.blocks(name)
        return bool(bl) and all(s == "online" and z == "Movable" for _, s, z in bl)

    def no_online_blocks(self, name):
        return all(s != "online" for _, s, _ in self.blocks(name))

    def count(self, name):
        return self.mgr(name)


def quiet_for(sim, seconds):
    """ReconcileCount does not move for this long: no retry loop."""
    sim.ctl("sync")
    time.sleep(0.3)
    before = sim.count("ReconcileCount")
    time.sleep(seconds)
    after = sim.count("ReconcileCount")
    return before == after, (before, after)


def executed_lines(text):
    return [int(x) for x in re.findall(r"Executed (\d+) change", text)]


# ---- scenarios ----

def boot_checks(sim, tag, expect):
    up = wait_for(sim.settled, 30)
    result(up, "%s: spmd settles after coldplug" % tag, sim.logtext()[-3000:])
    for name, (state, spm) in expect.items():
        ok = sim.wait_state(name, (state,))
        result(ok, "%s: boot: %s is %s" % (tag, name, state),
               (sim.dev(name, "ManagedState"), sim.dev(name, "StateReason")))
        if state == "online":
            result(wait_for(lambda: sim.online_movable(name)), "%s: boot: %s blocks online in Movable" % (tag, name),
                   sim.blocks(name))
        if spm is not None:
            attr = "bus/dax/devices/%s/%s" % (name, sim.mark)
            result(sim.read(attr) == spm, "%s: boot: %s %s=%s" % (tag, name, sim.mark, spm), sim.read(attr))


def hotadd_checks(sim, tag, node, spm, extra=""):
    sim.settled()
    mark = len(sim.logtext())
    rc, out = sim.ctl("add-dax", "node=%d" % node, "size=512M", "provider=pmem", *extra.split())
    name = out.split()[-1] if rc == 0 else None
    result(rc == 0 and name, "%s: hot-add while running" % tag, out)
    if not name:
        return None
    ok = sim.wait_state(name, ("online",)) and wait_for(lambda: sim.online_movable(name))
    result(ok, "%s: hot-added %s onlined as online_movable" % (tag, name),
           (sim.dev(name, "ManagedState"), sim.dev(name, "StateReason"), sim.blocks(name)))
    ex = [n for n in executed_lines(sim.logtext()[mark:]) if n > 0]
    result(len(ex) == 1 and ex[0] >= 2, "%s: hot-add: every step ran in one pass" % tag, ex)
    if spm is not None:
        result(sim.read("bus/dax/devices/%s/%s" % (name, sim.mark)) == spm,
               "%s: hot-add: %s=%s" % (tag, sim.mark, spm))
    return name


def burst_checks(sim, tag):
    sim.settled()
    rc0, u0 = sim.count("ReconcileCount"), sim.count("UeventCount")
    t0 = time.time()
    rc, _ = sim.ctl("burst", BURST)
    sim.ctl("sync")
    got = wait_for(lambda: (sim.count("UeventCount") or 0) - u0 >= BURST, 120)
    secs = time.time() - t0
    wait_for(sim.settled)
    time.sleep(0.3)
    d = sim.count("ReconcileCount") - rc0
    result(rc == 0 and got and 1 <= d <= 10,
           "%s: a burst of %d memory uevents (%.1f s) costs %d reconcile(s)" % (tag, BURST, secs, d),
           (sim.count("UeventCount") - u0, d))


def drop_checks(sim, tag, node):
    sim.settled()
    sim.ctl("drop-uevents", 1000)
    rc, out = sim.ctl("add-dax", "node=%d" % node, "size=256M", "provider=pmem")
    name = out.split()[-1]
    time.sleep(0.5)
    missed = sim.dev(name, "ManagedState") != "online"
    sim.ctl("clear-faults")
    sim.spmd.send_signal(signal.SIGHUP)
    ok = sim.wait_state(name, ("online",)) and wait_for(lambda: sim.online_movable(name))
    result(ok, "%s: dropped uevents (device %s): a resync converges" % (tag, "missed" if missed else "seen"),
           (sim.dev(name, "ManagedState"), sim.blocks(name)))


def fault_case(sim, tag, step, path_fmt, node, expect_driver, name_hint):
    """Pause spmd, hot-add, arm a fault on the step's file, resume: the
    device ends failed with a reason, nothing half-done, spmd serving and
    not retrying; SIGHUP retries and converges."""
    sim.settled()
    sim.spmd.send_signal(signal.SIGSTOP)
    rc, out = sim.ctl("add-dax", "name=%s" % name_hint, "node=%d" % node, "size=256M", "provider=pmem")
    name = out.split()[-1]
    path = path_fmt.format(dev=name, block=(sim.blocks(name) or [(0,)])[0][0])
    if "{block}" in path_fmt:
        # the blocks exist only after kmem binds: predict the first one
        start = int(sim.read("bus/dax/devices/%s/mapping0/start" % name), 0)
        path = path_fmt.format(dev=name, block=start // int(sim.read("devices/system/memory/block_size_bytes"), 16))
    frc, fout = sim.ctl("fail", sim.real(path), 1, "EIO", 1)
    sim.ctl("sync")   # the add reaches spmd's socket before it runs again
    sim.spmd.send_signal(signal.SIGCONT)
    ok = sim.wait_state(name, ("failed",))
    reason = sim.dev(name, "StateReason")
    result(frc == 0 and ok and "Input/output error" in str(reason),
           "%s: fault at %s: %s failed with a reason" % (tag, step, name), (fout, sim.dev(name, "ManagedState"), reason))
    drv = os.path.basename(os.path.realpath(os.path.join(sim.sysfs, "bus/dax/devices/%s/driver" % name))) \
        if os.path.exists(os.path.join(sim.sysfs, "bus/dax/devices/%s/driver" % name)) else ""
    result(sim.no_online_blocks(name) and drv == expect_driver,
           "%s: fault at %s: rolled back (driver '%s', no online memory)" % (tag, step, drv),
           (drv, sim.blocks(name), reason))
    q, counts = quiet_for(sim, 1.0)
    result(q and sim.mgr("Version") is not None, "%s: fault at %s: spmd serves and does not retry" % (tag, step),
           counts)
    sim.spmd.send_signal(signal.SIGHUP)
    ok = sim.wait_state(name, ("online",)) and wait_for(lambda: sim.online_movable(name))
    result(ok, "%s: fault at %s: a reload retries and converges" % (tag, step),
           (sim.dev(name, "ManagedState"), sim.dev(name, "StateReason")))


def kill_case(sim, tag, node, path_fmt, name_hint):
    """SIGKILL while a write is in flight (delayed), restart: converges,
    no memory left online outside a kmem-bound device."""
    sim.settled()
    sim.spmd.send_signal(signal.SIGSTOP)
    rc, out = sim.ctl("add-dax", "name=%s" % name_hint, "node=%d" % node, "size=512M", "provider=pmem")
    name = out.split()[-1]
    start = int(sim.read("bus/dax/devices/%s/mapping0/start" % name), 0)
    block = start // int(sim.read("devices/system/memory/block_size_bytes"), 16)
    sim.ctl("delay", sim.real(path_fmt.format(dev=name, block=block + 1)), 1500)
    sim.ctl("sync")
    sim.spmd.send_signal(signal.SIGCONT)
    wait_for(lambda: sim.dev(name, "ManagedState") == "onlining", 10, 0.02)
    time.sleep(0.4)
    sim.stop(signal.SIGKILL)
    half = sim.blocks(name)
    sim.ctl("clear-faults")
    sim.start()
    ok = wait_for(sim.settled, 30) and sim.wait_state(name, ("online",)) and wait_for(lambda: sim.online_movable(name))
    result(ok, "%s: SIGKILL mid-online (%s) and restart converge" % (tag, ",".join(s for _, s, _ in half)),
           (sim.dev(name, "ManagedState"), sim.dev(name, "StateReason"), sim.blocks(name)))
    # every online block of the node belongs to the kmem-bound device
    bl = sim.blocks(name)
    nodeblocks = [f for f in os.listdir(os.path.join(sim.sysfs, "devices/system/node/node%d" % node))
                  if f.startswith("memory")]
    online = [b for b in nodeblocks if sim.read("devices/system/memory/%s/state" % b) == "online"]
    result(len(online) == len(bl) and os.path.basename(os.path.realpath(
        os.path.join(sim.sysfs, "bus/dax/devices/%s/driver" % name))) == "kmem",
        "%s: after the restart no online memory is leaked" % tag, (online, bl))


def dax_gone_case(sim, tag, node):
    """A dax device removed between the uevent and spmd's first write to it
    is not a failure, and the devices after it are still set up in the
    same pass."""
    sim.settled()
    mark = len(sim.logtext())
    sim.spmd.send_signal(signal.SIGSTOP)
    names = []
    for k in range(3):
        rc, out = sim.ctl("add-dax", "name=dax%d.0" % (40 + k), "node=%d" % (node + k), "size=256M",
                          "provider=pmem")
        names.append(out.split()[-1])
    first, gone, last = names
    sim.ctl("delay", sim.real("bus/dax/devices/%s/%s" % (first, sim.mark)), 1500)
    sim.ctl("sync")
    sim.spmd.send_signal(signal.SIGCONT)
    wait_for(lambda: ("mark-device '%s'" % first) in sim.logtext()[mark:], 30, 0.02)
    time.sleep(0.2)
    rc, _ = sim.ctl("remove-dax", gone)
    sim.ctl("clear-faults")
    ok = all(sim.wait_state(d, ("online",)) for d in (first, last)) and sim.online_movable(last)
    text = sim.logtext()[mark:]
    result(rc == 0 and ok, "%s: %s removed mid-pass; %s and %s still come up" % (tag, gone, first, last),
           [(d, sim.dev(d, "ManagedState"), sim.dev(d, "StateReason")) for d in (first, last)])
    failed = [x for x in text.splitlines() if gone in x and ("is failed" in x or "Failed to" in x)]
    result(not failed and ("'%s' went away" % gone) in text and "stopped at a failure" not in text,
           "%s: a dax device that went away is not reported as a failure" % tag, failed or text[-1500:])


def latch_case(sim, tag):
    """spm-v2: dax1.0 came up as System RAM at boot (needs-reboot, planned);
    remove it and hot-add an SPM device for the same node: the kmem probe
    refuses (EBUSY) → needs-reboot, rolled back, and no retry loop."""
    st = sim.dev("dax1.0", "ManagedState")
    result(st == "needs-reboot" and "reboot" in sim.dev("dax1.0", "StateReason"),
           "%s: a device bound as System RAM at boot while the policy wants SPM needs a reboot" % tag,
           (st, sim.dev("dax1.0", "StateReason")))
    sim.ctl("remove-dax", "dax1.0")
    wait_for(sim.settled)
    rc, out = sim.ctl("add-dax", "node=3", "size=512M", "provider=pmem")
    name = out.split()[-1]
    ok = sim.wait_state(name, ("needs-reboot",))
    result(ok and "latched" in str(sim.dev(name, "StateReason")),
           "%s: SPM hot-add into a node latched as System RAM: needs-reboot" % tag,
           (sim.dev(name, "ManagedState"), sim.dev(name, "StateReason")))
    with open(sim.simenv["SPM_SIMKERNEL_UEVENT_LOG"]) as f:
        n0 = len(f.read().splitlines())
    q, counts = quiet_for(sim, 1.5)
    with open(sim.simenv["SPM_SIMKERNEL_UEVENT_LOG"]) as f:
        n1 = len(f.read().splitlines())
    result(q and n0 == n1 and sim.no_online_blocks(name),
           "%s: the latch gives no retry loop (no passes, no uevents)" % tag, (counts, n0, n1))


def latch_v1_case(sim, tag):
    """spm-v1: dax1.0 came up as System RAM at boot, blocks offline. v1
    forgets a node's type with its last block, so once dax1.0 is removed an
    SPM device for the same node comes up (v2 would refuse it until
    reboot), and the node leaves cpuset.mems.default while staying in
    mems.effective."""
    st, why = sim.dev("dax1.0", "ManagedState"), sim.dev("dax1.0", "StateReason")
    result(st == "failed" and "reboot" not in why and "last block" in why and sim.no_online_blocks("dax1.0"),
           "%s: a device bound as System RAM at boot while the policy wants SPM is left alone, "
           "the reason saying that removing the node's memory frees it (not a reboot)" % tag, (st, why))
    sim.ctl("remove-dax", "dax1.0")
    wait_for(sim.settled)
    result(not os.path.exists(os.path.join(sim.sysfs, "devices/system/node/node3")),
        "%s: removing the node's last memory takes node 3 offline" % tag)
    rc, out = sim.ctl("add-dax", "node=3", "size=512M", "provider=pmem")
    name = out.split()[-1]
    ok = sim.wait_state(name, ("online",)) and wait_for(lambda: sim.online_movable(name))
    result(rc == 0 and ok, "%s: the node type was released: SPM hot-add into node 3 comes online" % tag,
           (out, sim.dev(name, "ManagedState"), sim.dev(name, "StateReason"), sim.blocks(name)))
    result(sim.read("bus/dax/devices/%s/protected_memory" % name) == "1",
           "%s: ... marked protected_memory=1" % tag, sim.read("bus/dax/devices/%s/protected_memory" % name))
    cg = os.path.join(sim.sysfs, "fs/cgroup")
    rd = lambda f: open(os.path.join(cg, f)).read().strip()
    eff, dflt = rd("cpuset.mems.effective"), rd("cpuset.mems.default")
    # the earlier cases hot-added SPM memory on more nodes: every one of
    # them is in effective, none in default
    nodes = set()
    for part in filter(None, eff.split(",")):
        a, _, b = part.partition("-")
        nodes.update(range(int(a), int(b or a) + 1))
    result(dflt == "0-1" and {0, 1, 2, 3} <= nodes and not os.path.exists(os.path.join(cg, "cpuset.mems.sysram")),
           "%s: root mems.effective holds nodes 2 and 3, mems.default only 0-1, no mems.sysram" % tag, (eff, dflt))


def spmctl_checks(sim, tag, marking, view, spm, sysram):
    """spmctl status/nodes on the simulated kernel, once through spmd on the
    private bus and once reading the kernel itself: the features name the
    series, and the nodes are classed SPM or System RAM."""
    spmctl = os.environ.get("SPMCTL") or os.path.join(os.path.dirname(os.path.dirname(SPMD)), "cli", "spmctl")
    if not os.access(spmctl, os.X_OK):
        result(True, "%s: spmctl # SKIP no spmctl next to spmd" % tag)
        return
    wait_for(sim.settled)
    base = dict(os.environ, SPM_SYSFS_ROOT=sim.sysfs, SPM_CGROUP_ROOT=sim.simenv["SPM_CGROUP_ROOT"],
                **sim.policy_dirs)
    for k in ("LD_PRELOAD", "UMOCKDEV_DIR", "DBUS_SESSION_BUS_ADDRESS", "JOURNAL_STREAM"):
        base.pop(k, None)
    for how, argv, env in (("through spmd", [spmctl, "--user"], dict(base, DBUS_SESSION_BUS_ADDRESS=sim.bus.address)),
                           ("from the kernel", [spmctl], base)):
        p = subprocess.run(argv + ["--json", "status"], env=env, capture_output=True, text=True, timeout=60)
        try:
            doc = json.loads(p.stdout)
            f = doc["features"]
            classes = {nd["node"]: nd["class"] for nd in doc["nodes"]}
        except (ValueError, KeyError, TypeError):
            result(False, "%s: spmctl --json status %s" % (tag, how), (p.returncode, p.stdout[-800:], p.stderr))
            continue
        result(p.returncode == 0 and f["marking"] == marking and f["sysram_view"] == view,
               "%s: spmctl status %s: marking %s, sysram view %s" % (tag, how, marking, view),
               (doc.get("source"), f))
        result(all(classes.get(n) == "spm" for n in spm) and all(classes.get(n) == "sysram" for n in sysram),
               "%s: spmctl status %s: nodes %s SPM, %s System RAM" % (tag, how, spm, sysram), classes)
        p = subprocess.run(argv + ["--no-legend", "nodes"], env=env, capture_output=True, text=True, timeout=60)
        rows = {int(ln.split()[0]): ln.split() for ln in p.stdout.splitlines() if ln.split() and ln.split()[0].isdigit()}
        result(p.returncode == 0 and all(n in rows and "spm" in rows[n] for n in spm) and
               all(n in rows and "sysram" in rows[n] for n in sysram),
               "%s: spmctl nodes %s classes them the same" % (tag, how), (p.returncode, p.stdout, p.stderr))


def takeover_check(sim, tag):
    ao = sim.read("devices/system/memory/auto_online_blocks")
    result(ao == "offline" and "AutoOnline=takeover" in sim.logtext(),
           "%s: auto_online_blocks=online was taken over (journal says so)" % tag, ao)


def call(sim, method, sig, *args):
    p = subprocess.run(["busctl", "--address=" + sim.bus.address, "call", NAME, PATH, MGR, method, sig] +
                       [str(a) for a in args], capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout + p.stderr


def offline_online_case(sim, tag, name):
    """Offline() takes the memory away and keeps it away; Online() hands the
    device back to the policy; busy memory leaves nothing changed."""
    etc = sim.policy_dirs["SPM_POLICY_ETC_DIR"]
    dropins = lambda: [f for f in os.listdir(etc) if f.startswith("90-spmctl-device-")]
    wait_for(sim.settled, 20)

    sim.ctl("busy", name, "1")
    rc, out = call(sim, "Offline", "sb", name, "false")
    sim.ctl("busy", name, "0")
    result(rc != 0 and "could not be taken offline" in out and "still online: memory" in out,
           "%s: Offline() of busy memory fails naming the blocks" % tag,
           out)
    result(dropins() == [] and sim.online_movable(name),
           "%s: ... and leaves the device online, no drop-in" % tag, (dropins(), sim.blocks(name)))

    # only the last block busy: a block-by-block unplug gets partway, then
    # must put back what it took offline
    last = sim.blocks(name)[-1][0]
    sim.ctl("busy", "memory%d" % last, "1")
    rc, out = call(sim, "Offline", "sb", name, "false")
    sim.ctl("busy", "memory%d" % last, "0")
    result(rc != 0 and ("memory%d" % last) in out, "%s: Offline() with one busy block fails naming it" % tag, out)
    result(dropins() == [] and sim.online_movable(name),
           "%s: ... and every block is back online Movable" % tag, sim.blocks(name))

    rc, out = call(sim, "Offline", "sb", name, "false")
    result(rc == 0, "%s: Offline()" % tag, out)
    result(wait_for(lambda: sim.no_online_blocks(name) and sim.read("bus/dax/devices/%s/driver" % name) is None, 10),
           "%s: the memory is unplugged and kmem unbound" % tag, (sim.blocks(name), sim.dev(name, "ManagedState")))
    text = "".join(open(os.path.join(etc, f)).read() for f in dropins())
    result("Class=ignore" in text, "%s: a Class=ignore drop-in keeps it offline" % tag, text)
    ok, counts = quiet_for(sim, 1.0)
    result(ok and sim.no_online_blocks(name), "%s: later passes leave it offline" % tag, counts)

    rc, out = call(sim, "Online", "s", name)
    result(rc == 0 and dropins() == [], "%s: Online() removes the drop-in" % tag, (out, dropins()))
    result(wait_for(lambda: sim.online_movable(name), 20), "%s: the policy brings the device back online" % tag,
           (sim.blocks(name), sim.dev(name, "ManagedState"), sim.dev(name, "StateReason")))
    rc, out = call(sim, "Online", "s", name)
    result(rc == 0, "%s: Online() again is a no-op" % tag, out)


def run_scenario(tmp, tag, scenario, policy, boot, node0, spm, faults=None, kill=None, latch=False,
                 takeover=False, extra="", offline=None, mark="spm_node", spmctl=None):
    try:
        sim = Sim(tmp, scenario, policy, tag, mark=mark)
    except RuntimeError as e:
        result(False, "%s: simulated kernel starts" % tag, e)
        return
    try:
        boot_checks(sim, tag, boot)
        if takeover:
            takeover_check(sim, tag)
        if offline:
            offline_online_case(sim, tag, offline)
        hotadd_checks(sim, tag, node0, spm, extra)
        burst_checks(sim, tag)
        drop_checks(sim, tag, node0 + 1)
        for i, (step, path) in enumerate(faults or []):
            fault_case(sim, tag, step, path, node0 + 2 + i, "device_dax", "dax%d.0" % (20 + i))
        if kill:
            kill_case(sim, tag, node0 + 8, kill, "dax30.0")
        if latch:
            dax_gone_case(sim, tag, node0 + 10)
            if latch == "v1":
                latch_v1_case(sim, tag)
            else:
                latch_case(sim, tag)
        if spmctl:
            spmctl_checks(sim, tag, **spmctl)
        alive = sim.spmd.poll() is None
        sim.stop()
        result(alive and sim.spmd.returncode == 0, "%s: spmd still running, stops cleanly" % tag,
               sim.spmd.returncode)
    finally:
        sim.close()
        if os.environ.get("SPM_TEST_SHOW_LOG"):
            print(open(sim.logname).read(), file=sys.stderr)


# ---- kmem blacklisted: spmd marks, then loads kmem itself ----

FAKE_MODPROBE = """#!/bin/sh
# modprobe for the tests: records its arguments and every dax device's mark
# and driver at the moment of the load, then does what $mode says
log=%(log)s
echo "args: $*" >> "$log"
for d in %(sysfs)s/bus/dax/devices/*; do
    drv=$(readlink "$d/driver" 2>/dev/null)
    echo "at-load ${d##*/} spm_node=$(cat "$d/spm_node") driver=${drv##*/}" >> "$log"
done
mode=$(cat %(mode)s)
case "$mode" in
load) exec env -u LD_PRELOAD %(simctl)s --control %(control)s load-kmem >/dev/null ;;
noop) exit 0 ;;
*) exit 1 ;;
esac
"""


class KmemSim(Sim):
    """kmem-absent.ini with a fake modprobe that calls spm-simctl."""

    def __init__(self, tmp, tag, mode, policy=POLICY_SPM, scenario="kmem-absent.ini", modprobe=None):
        self.mp_dir = os.path.join(tmp, tag + "-modprobe")
        os.mkdir(self.mp_dir)
        self.mp_log = os.path.join(self.mp_dir, "log")
        self.mp_mode = os.path.join(self.mp_dir, "mode")
        self.set_mode(mode)
        self.mp = modprobe or os.path.join(self.mp_dir, "modprobe")
        super().__init__(tmp, scenario, policy, tag, env={"SPMD_MODPROBE": self.mp})

    def set_mode(self, mode):
        with open(self.mp_mode, "w") as f:
            f.write(mode + "\n")

    def start(self):
        if not os.path.exists(os.path.join(self.mp_dir, "modprobe")):
            with open(os.path.join(self.mp_dir, "modprobe"), "w") as f:
                f.write(FAKE_MODPROBE % {"log": self.mp_log, "sysfs": self.sysfs, "mode": self.mp_mode,
                                         "simctl": SIMCTL, "control": self.simenv["SPM_SIMKERNEL_CONTROL"]})
            os.chmod(os.path.join(self.mp_dir, "modprobe"), 0o755)
        super().start()

    def mp_lines(self):
        try:
            with open(self.mp_log) as f:
                return f.read().splitlines()
        except OSError:
            return []

    def devices(self):
        return sorted(os.listdir(os.path.join(self.sysfs, "bus/dax/devices")))

    def driver(self, name):
        p = os.path.join(self.sysfs, "bus/dax/devices/%s/driver" % name)
        return os.path.basename(os.path.realpath(p)) if os.path.lexists(p) else ""

    def kmem_loaded(self):
        return os.path.isdir(os.path.join(self.sysfs, "bus/dax/drivers/kmem"))


def kmem_boot_case(tmp):
    """Boot with kmem absent: spmd marks every device, loads kmem once,
    and every device ends SPM, kmem-bound, online; at the load no device
    was bound and every one already carried its mark."""
    tag = "kmem-load"
    sim = KmemSim(tmp, tag, "load")
    try:
        devs = sim.devices()
        ok = wait_for(sim.settled, 30) and all(sim.wait_state(d, ("online",)) for d in devs)
        result(ok and len(devs) == 3, "%s: boot with kmem blacklisted: %s online" % (tag, " ".join(devs)),
               [(d, sim.dev(d, "ManagedState"), sim.dev(d, "StateReason")) for d in devs])
        args = [x for x in sim.mp_lines() if x.startswith("args:")]
        result(args == ["args: -q kmem"], "%s: spmd ran modprobe -q kmem once" % tag, sim.mp_lines())
        at = [x for x in sim.mp_lines() if x.startswith("at-load")]
        result(len(at) == 3 and all("spm_node=1 driver=" == x.split(" ", 2)[2][:18] and x.endswith("driver=")
                                    for x in at),
               "%s: at the load every device was marked and none was bound" % tag, at)
        result(all(sim.driver(d) == "kmem" and sim.read("bus/dax/devices/%s/spm_node" % d) == "1" and
                   sim.online_movable(d) for d in devs),
               "%s: every device SPM (spm_node=1 under kmem: marked before the bind), online Movable" % tag,
               [(d, sim.driver(d), sim.read("bus/dax/devices/%s/spm_node" % d), sim.blocks(d)) for d in devs])
        with open(sim.simenv["SPM_SIMKERNEL_UEVENT_LOG"]) as f:
            ev = f.read().splitlines()
        first_mod = next((i for i, x in enumerate(ev) if " module " in x), None)
        first_bind = next((i for i, x in enumerate(ev) if " bind dax " in x and "kmem" in x), None)
        result(first_mod is not None and first_bind is not None and first_mod < first_bind,
               "%s: no kmem bind before the module load (uevent log)" % tag, (first_mod, first_bind))
        sim.stop()
        result(sim.spmd.returncode == 0, "%s: spmd stops cleanly" % tag, sim.spmd.returncode)
    finally:
        sim.close()


def kmem_fail_case(tmp, tag, mode, expect, modprobe=None):
    """modprobe fails (or is missing, or loads nothing): every device is
    failed with a reason that says so, nothing is bound or added, spmd
    serves and does not retry; once modprobe works a reload converges."""
    sim = KmemSim(tmp, tag, mode, modprobe=modprobe)
    try:
        devs = sim.devices()
        ok = wait_for(sim.settled, 30) and all(sim.wait_state(d, ("failed",)) for d in devs)
        reasons = [str(sim.dev(d, "StateReason")) for d in devs]
        result(ok and all(expect in r and "kmem driver not loaded" in r for r in reasons),
               "%s: every device failed, reason: %s" % (tag, reasons[0] if reasons else None), reasons)
        result(not sim.kmem_loaded() and all(sim.driver(d) == "" and sim.blocks(d) == [] for d in devs) and
               sim.read("devices/system/node/has_memory") == "0",
               "%s: nothing half-applied: no driver bound, no memory added, no node gained memory" % tag,
               [(d, sim.driver(d), sim.blocks(d)) for d in devs])
        q, counts = quiet_for(sim, 1.0)
        runs = len([x for x in sim.mp_lines() if x.startswith("args:")])
        result(q and sim.mgr("Version") is not None and runs <= len(devs),
               "%s: spmd serves and does not retry (modprobe ran %d time(s) for %d devices)" % (tag, runs, len(devs)),
               counts)
        if modprobe is None:
            sim.set_mode("load")
            sim.spmd.send_signal(signal.SIGHUP)
            ok = all(sim.wait_state(d, ("online",)) for d in devs)
            result(ok and all(sim.online_movable(d) for d in devs),
                   "%s: with a working modprobe a reload converges" % tag,
                   [(d, sim.dev(d, "ManagedState"), sim.dev(d, "StateReason")) for d in devs])
        sim.stop()
        result(sim.spmd.returncode == 0, "%s: spmd stops cleanly" % tag, sim.spmd.returncode)
    finally:
        sim.close()


def kmem_unmarked_case(tmp):
    """dax0.0's mark cannot be written (EIO, every time): it fails and is
    held. The other devices still need kmem; loading it must not let kmem
    take dax0.0 unmarked (as System RAM, latching node 2 until reboot)."""
    tag = "kmem-unmarked"
    sim = KmemSim(tmp, tag, "load")
    try:
        # spmd is running already: stop it, arm the fault, restart
        sim.stop()
        sim.ctl("fail", sim.real("bus/dax/devices/dax0.0/spm_node"), 1, "EIO", 0)
        sim.start()
        others = [d for d in sim.devices() if d != "dax0.0"]
        ok = wait_for(sim.settled, 30) and sim.wait_state("dax0.0", ("failed",)) and \
            all(sim.wait_state(d, ("online",)) for d in others)
        result(ok, "%s: dax0.0 failed (its mark), the others online" % tag,
               [(d, sim.dev(d, "ManagedState"), sim.dev(d, "StateReason")) for d in sim.devices()])
        at = [x for x in sim.mp_lines() if x.startswith("at-load dax0.0")]
        result(sim.driver("dax0.0") != "kmem" and sim.blocks("dax0.0") == [] and
               sim.read("bus/dax/devices/dax0.0/spm_node") == "0" and at and "driver=device_dax" in at[0],
               "%s: kmem did not take the unmarked dax0.0 (kept on device_dax before the load)" % tag,
               (sim.driver("dax0.0"), sim.blocks("dax0.0"), at))
        result("Input/output error" in str(sim.dev("dax0.0", "StateReason")),
               "%s: dax0.0 keeps the reason of its own failure" % tag, sim.dev("dax0.0", "StateReason"))
        sim.ctl("clear-faults")
        sim.spmd.send_signal(signal.SIGHUP)
        ok = sim.wait_state("dax0.0", ("online",)) and wait_for(lambda: sim.online_movable("dax0.0"))
        result(ok and sim.read("bus/dax/devices/dax0.0/spm_node") == "1",
               "%s: after the fault a reload brings dax0.0 from device_dax to SPM online" % tag,
               (sim.dev("dax0.0", "ManagedState"), sim.dev("dax0.0", "StateReason"), sim.blocks("dax0.0")))
        sim.stop()
        result(sim.spmd.returncode == 0, "%s: spmd stops cleanly" % tag, sim.spmd.returncode)
    finally:
        sim.close()


# ---- CXL regions: marking faults and races ----

def region_dax(sim, region):
    """The dax device a region's probe created, None before."""
    d = os.path.join(sim.sysfs, "bus/cxl/devices", region, "dax_" + region)
    if not os.path.isdir(d):
        return None
    names = [n for n in os.listdir(d) if n.startswith("dax")]
    return names[0] if names else None


def region_bound(sim, region):
    return os.path.lexists(os.path.join(sim.sysfs, "bus/cxl/devices", region, "driver"))


def add_region_paused(sim, node, *extra):
    """spmd stopped, a CXL region added (and whatever extra() does), spmd
    resumed once the add is queued to it."""
    sim.settled()
    sim.spmd.send_signal(signal.SIGSTOP)
    rc, out = sim.ctl("add-region", "node=%d" % node, "size=512M")
    region = out.split()[-1] if rc == 0 else None
    for f in extra:
        f(region)
    sim.ctl("sync")
    sim.spmd.send_signal(signal.SIGCONT)
    return region


def region_fault_case(sim, tag, errno_name, node, retry):
    """regionZ/spm_node fails: the region is reported failed with the errno,
    its driver is not bound (so no dax device, no memory), no retry loop;
    a new trigger after the fault (a reload, or a "change" uevent of the
    region as udevadm trigger sends) marks it, binds it, and its dax
    device comes up SPM and online."""
    mark = len(sim.logtext())
    path = {}

    def arm(region):
        path["p"] = sim.real("bus/cxl/devices/%s/spm_node" % region)
        sim.ctl("fail", path["p"], 1, errno_name, 0)

    region = add_region_paused(sim, node, arm)
    text = lambda: sim.logtext()[mark:]
    msg = os.strerror(getattr(__import__("errno"), errno_name))
    ok = wait_for(lambda: ("Device '%s' is failed" % region) in text())
    line = next((x for x in text().splitlines() if ("Device '%s' is failed" % region) in x), "")
    result(ok and msg in line and "mark" in line.lower(),
           "%s: %s on %s/spm_node: the region is reported failed with the errno" % (tag, errno_name, region), line)
    result(not region_bound(sim, region) and region_dax(sim, region) is None,
           "%s: %s: the region's driver is not bound, no dax device, no memory" % (tag, errno_name),
           (region_bound(sim, region), region_dax(sim, region)))
    q, counts = quiet_for(sim, 1.0)
    result(q and sim.mgr("Version") is not None, "%s: %s: spmd serves and does not retry" % (tag, errno_name),
           counts)
    sim.ctl("clear-faults")
    if retry == "reload":
        sim.spmd.send_signal(signal.SIGHUP)
    else:
        sim.ctl("write", sim.real("bus/cxl/devices/%s/uevent" % region), "change")
    ok = wait_for(lambda: region_dax(sim, region) is not None, 20)
    dax = region_dax(sim, region)
    ok = ok and sim.wait_state(dax, ("online",)) and wait_for(lambda: sim.online_movable(dax))
    result(ok and sim.read("bus/dax/devices/%s/spm_node" % dax) == "1",
           "%s: %s: after the fault a %s marks the region and %s comes up SPM, online" % (tag, errno_name,
                                                                                         retry, dax),
           (dax, dax and sim.dev(dax, "ManagedState"), dax and sim.dev(dax, "StateReason")))


def region_bound_early_case(sim, tag, node, how):
    """The region's driver binds before spmd could mark it (a firmware
    region, or another agent binding cxl_region): its dax device comes up
    unmarked and kmem adds it as System RAM at once. spmd must report it
    (needs-reboot, the reason saying why) and must not online that memory."""
    def bind(region):
        if how == "agent":
            sim.ctl("write", "bus/cxl/drivers/cxl_region/bind", region)

    if how == "firmware":
        sim.settled()
        sim.spmd.send_signal(signal.SIGSTOP)
        rc, out = sim.ctl("add-region", "node=%d" % node, "size=512M", "auto=1")
        region = out.split()[-1]
        sim.ctl("sync")
        sim.spmd.send_signal(signal.SIGCONT)
    else:
        region = add_region_paused(sim, node, bind)
    dax = region_dax(sim, region)
    ok = dax is not None and sim.wait_state(dax, ("needs-reboot",))
    reason = dax and sim.dev(dax, "StateReason")
    result(ok and "System RAM" in str(reason) and "reboot" in str(reason),
           "%s: region bound before the mark (%s): %s is needs-reboot, saying why" % (tag, how, dax),
           (dax, dax and sim.dev(dax, "ManagedState"), reason))
    wait_for(sim.settled)
    result(dax and sim.blocks(dax) and sim.no_online_blocks(dax) and sim.read("bus/dax/devices/%s/spm_node" % dax) == "0",
           "%s: (%s) spmd did not online that System RAM" % (tag, how), dax and sim.blocks(dax))


def region_gone_case(sim, tag, node):
    """A region removed between the uevent and spmd's write: the write
    finds it gone (ENODEV/ENOENT). That is normal: no failure reported for
    it, and the rest of the plan still runs in the same pass."""
    sim.settled()
    mark = len(sim.logtext())
    sim.spmd.send_signal(signal.SIGSTOP)
    regions = []
    for k in range(3):
        rc, out = sim.ctl("add-region", "node=%d" % (node + k), "size=512M")
        regions.append(out.split()[-1])
    first, gone, last = regions
    # the first mark write takes a while: the second region goes meanwhile
    sim.ctl("delay", sim.real("bus/cxl/devices/%s/spm_node" % first), 1500)
    sim.ctl("sync")
    sim.spmd.send_signal(signal.SIGCONT)
    # remove it once spmd is inside that write (its debug line comes just
    # before), so the removal falls between the plan and the next write
    wait_for(lambda: ("mark-region '%s'" % first) in sim.logtext()[mark:], 30, 0.02)
    time.sleep(0.2)
    rc, _ = sim.ctl("remove-region", gone)
    sim.ctl("clear-faults")
    ok = wait_for(lambda: region_dax(sim, last) is not None and region_dax(sim, first) is not None, 20)
    dl = region_dax(sim, last)
    ok = ok and sim.wait_state(dl, ("online",))
    text = sim.logtext()[mark:]
    result(rc == 0 and ok, "%s: %s removed mid-pass; %s and %s still come up" % (tag, gone, first, last),
           (rc, region_dax(sim, first), dl, dl and sim.dev(dl, "ManagedState")))
    failed = [x for x in text.splitlines() if gone in x and ("is failed" in x or "Failed to" in x)]
    result(not failed and ("'%s' went away" % gone) in text,
           "%s: a region that went away is not reported as a failure" % tag, failed or text[-2000:])
    passes = [n for n in executed_lines(text) if n > 0]
    result(bool(passes) and "stopped at a failure" not in text,
           "%s: the pass did not stop at the vanished region" % tag, passes)


def region_runs(tmp, only):
    if only and not only.startswith("cxl"):
        return
    try:
        sim = Sim(tmp, "cxl-spm-v2.ini", POLICY_SPM, "cxl")
    except RuntimeError as e:
        result(False, "cxl: simulated kernel starts", e)
        return
    try:
        tag = "cxl"
        wait_for(sim.settled, 30)
        region_fault_case(sim, tag, "EIO", 4, "reload")
        region_fault_case(sim, tag, "EINVAL", 5, "change uevent")
        region_bound_early_case(sim, tag, 6, "firmware")
        region_bound_early_case(sim, tag, 7, "agent")
        region_gone_case(sim, tag, 8)
        alive = sim.spmd.poll() is None
        sim.stop()
        result(alive and sim.spmd.returncode == 0, "%s: spmd still running, stops cleanly" % tag,
               sim.spmd.returncode)
    finally:
        sim.close()

    # with kmem blacklisted the same early bind is recoverable: the dax
    # device comes up unbound, spmd marks it itself and binds kmem
    if only and only != "cxl-kmem-absent" and only != "cxl":
        return
    scen = os.path.join(tmp, "cxl-kmem-absent.ini")
    with open(scen, "w") as f:
        f.write("[kernel]\nmarking=spm-v2\nhotplug=v7\nauto_online_blocks=offline\nkmem=absent\npossible=0-7\n"
                "[node 0]\ncpus=0\nmemory=1G\n[cgroup /]\nsubtree_control=+cpuset\n")
    try:
        sim = KmemSim(tmp, "cxl-kmem-absent", "load", scenario=scen)
    except RuntimeError as e:
        result(False, "cxl-kmem-absent: simulated kernel starts", e)
        return
    try:
        tag = "cxl-kmem-absent"
        wait_for(sim.settled, 30)
        region = add_region_paused(sim, 5, lambda r: sim.ctl("write", "bus/cxl/drivers/cxl_region/bind", r))
        dax = region_dax(sim, region)
        ok = dax is not None and sim.wait_state(dax, ("online",)) and wait_for(lambda: sim.online_movable(dax))
        result(ok and sim.read("bus/dax/devices/%s/spm_node" % dax) == "1",
               "%s: region bound before the mark, kmem blacklisted: %s marked by spmd, SPM online" % (tag, dax),
               (dax, dax and sim.dev(dax, "ManagedState"), dax and sim.dev(dax, "StateReason")))
        sim.stop()
    finally:
        sim.close()


# ---- private v3: what spmd can and cannot do ----

def plan_json(sim):
    p = subprocess.run(["busctl", "--address=" + sim.bus.address, "--json=short", "call", NAME, PATH, MGR, "Plan"],
                       capture_output=True, text=True, timeout=60)
    try:
        return json.loads(json.loads(p.stdout)["data"][0])
    except (ValueError, KeyError, IndexError):
        return {}


def private_v3_runs(tmp, only):
    """Private v3 (no spm_node anywhere): spmd enables a private region
    whose private_type is set, and its memory comes online on the private
    node; it reports, naming the missing step, a private region without
    private_type, a RAM region, and a device on a node that is not
    private; it writes neither private_type nor anything of those."""
    tag = "private-v3"
    if only and only != tag:
        return
    try:
        sim = Sim(tmp, "private-v3-cxl.ini", POLICY_SPM, tag)
    except RuntimeError as e:
        result(False, "%s: simulated kernel starts" % tag, e)
        return
    try:
        wait_for(sim.settled, 30)
        dax = region_dax(sim, "region0")
        ok = dax is not None and sim.wait_state(dax, ("online",)) and wait_for(lambda: sim.online_movable(dax))
        result(ok and sim.read("devices/system/node/has_private_memory") == "2",
               "%s: region0 (private, private_type set) enabled by spmd; %s online on private node 2" % (tag, dax),
               (dax, dax and sim.dev(dax, "ManagedState"), dax and sim.dev(dax, "StateReason"),
                sim.read("devices/system/node/has_private_memory")))
        wait_for(sim.settled)
        blocked = {b.get("object"): b.get("reason", "") for b in plan_json(sim).get("blocked", [])}
        r1 = blocked.get("region1", "")
        result("private_type" in r1 and "before commit" in r1 and not region_bound(sim, "region1") and
               sim.read("bus/cxl/devices/region1/private_type") == "",
               "%s: region1 without private_type: reported, not enabled, no type written" % tag, (r1, blocked))
        r2 = blocked.get("region2", "")
        result("create_private_region" in r2 and not region_bound(sim, "region2"),
               "%s: region2 (RAM) cannot become private: reported naming create_private_region, not enabled" % tag,
               (r2, blocked))
        reason = str(sim.dev("dax9.0", "StateReason"))
        result(sim.dev("dax9.0", "ManagedState") == "failed" and "node 5 is not private" in reason and
               "create_private_region" in reason and sim.no_online_blocks("dax9.0"),
               "%s: dax9.0 on a node that is not private: failed, the reason names the missing step" % tag, reason)
        q, counts = quiet_for(sim, 1.0)
        result(q, "%s: no retry loop" % tag, counts)
        sim.stop()
        result(sim.spmd.returncode == 0, "%s: spmd stops cleanly" % tag, sim.spmd.returncode)
    finally:
        sim.close()


def kmem_runs(tmp, only):
    if only and not only.startswith("kmem"):
        return
    for name, fn in (("kmem-load", lambda: kmem_boot_case(tmp)),
                     ("kmem-fail", lambda: kmem_fail_case(tmp, "kmem-fail", "fail", "exited with status 1")),
                     ("kmem-missing", lambda: kmem_fail_case(tmp, "kmem-missing", "load", "cannot run",
                                                             modprobe="/nonexistent/sbin/modprobe")),
                     ("kmem-noop", lambda: kmem_fail_case(tmp, "kmem-noop", "noop", "did not appear")),
                     ("kmem-unmarked", lambda: kmem_unmarked_case(tmp))):
        if only and not name.startswith(only):
            continue
        try:
            fn()
        except RuntimeError as e:
            result(False, "%s: simulated kernel starts" % name, e)


def main():
    if not (SPMD and RUN and SIMCTL and SCEN) or not os.path.exists("/dev/fuse") or \
            not shutil.which("fusermount3") or not shutil.which("dbus-daemon") or not shutil.which("busctl"):
        print("1..0 # SKIP no /dev/fuse, simulated kernel, dbus-daemon or busctl")
        sys.exit(77)
    only = os.environ.get("SPM_TEST_ONLY")
    tmp = tempfile.mkdtemp(prefix="spm-devices-test-")
    per_block = [("mark", "bus/dax/devices/{dev}/spm_node"),
                 ("bind", "bus/dax/drivers/kmem/new_id"),
                 ("state", "bus/dax/devices/{dev}/state"),
                 ("block online", "devices/system/memory/memory{block}/state")]
    runs = [
        ("stock", "stock-6.12.ini", POLICY_SPM, {"dax0.0": ("online", None)}, 4, None,
         {"faults": [per_block[1], per_block[3]], "kill": "devices/system/memory/memory{block}/state",
          "takeover": True, "offline": "dax0.0"}),
        ("spm-v2-hotplug-v7", "spm-v2-hotplug-v7.ini", POLICY_SPM,
         {"dax0.0": ("online", "1"), "dax1.0": ("needs-reboot", "0")}, 4, "1",
         {"faults": per_block[:3], "kill": "bus/dax/devices/{dev}/state", "latch": True, "offline": "dax0.0"}),
        # v1 frees a node's type with its last block: not needs-reboot
        ("spm-v1", "spm-v1.ini", POLICY_SPM,
         {"dax0.0": ("online", "1"), "dax1.0": ("failed", "0")}, 4, "1",
         {"faults": [("mark", "bus/dax/devices/{dev}/protected_memory"), per_block[1], per_block[3]],
          "kill": "devices/system/memory/memory{block}/state", "latch": "v1", "offline": "dax0.0",
          "mark": "protected_memory",
          "spmctl": {"marking": "spm-v1", "view": "cpuset.mems.default", "spm": [2, 3], "sysram": [0, 1]}}),
        ("hotplug-v2", "hotplug-v2.ini", POLICY_SPM, {"dax0.0": ("online", None)}, 4, None,
         {"faults": [("state", "bus/dax/devices/{dev}/hotplug")]}),
        ("hotplug-v4", "hotplug-v4.ini", POLICY_SPM, {"dax0.0": ("online", None)}, 4, None,
         {"faults": [("state", "bus/dax/devices/{dev}/hotplug")]}),
        ("private-v4", "private-v4.ini", POLICY_SYSRAM, {"dax0.0": ("online", None)}, 4, None, {}),
    ]
    try:
        for tag, scen, pol, boot, node0, spm, kw in runs:
            if only and only != tag:
                continue
            run_scenario(tmp, tag, scen, pol, boot, node0, spm, **kw)
        kmem_runs(tmp, only)
        region_runs(tmp, only)
        private_v3_runs(tmp, only)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
    sys.exit(TAP.done())
