#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""What spmd's scoped re-read (a pass after uevents reads only what they
name) could get wrong, on the simulated kernel:

- a device removed between its uevent and the read: left out, nothing
  breaks, the next hot-add is onlined;
- a device B that changed without a uevent (the events were lost) while
  device A was hot-added: the pass for A does not read B; B's next look
  comes with the next uevent that names B or one of its blocks (then all of
  B is read), or with a full read (the resync after SIGHUP/Reload(), lost
  events, restart);
- the look at what a pass changed: Settled stays false until it ran, it
  reads the device once for all the uevents the changes raised, and it
  does not hold up the next hot-add;
- a reload plans the new policy before anything of sysfs is read, and the
  resync comes as the pass after it; READY=1 comes with that pass's status.
"""

import importlib.util
import os
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from taplib import Tap  # noqa: E402

_spec = importlib.util.spec_from_file_location(
    "devices", os.path.join(os.path.dirname(os.path.abspath(__file__)), "test-devices.py"))
devices = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(devices)

TAP = Tap()
result = TAP.result
wait_for = devices.wait_for

POLICY = """[Pool fast]
[Device all]
MatchProvider=pmem
Class=spm
Pool=fast
Online=online_movable
"""


def add(sim, node, size="256M"):
    rc, out = sim.ctl("add-dax", "node=%d" % node, "size=%s" % size, "provider=pmem")
    return out.split()[-1] if rc == 0 else None


def removed_before_read(sim):
    wait_for(sim.settled)
    sim.spmd.send_signal(signal.SIGSTOP)
    name = add(sim, 20)
    rc, out = sim.ctl("remove-dax", name)
    sim.ctl("sync")
    mark = len(sim.logtext())
    sim.spmd.send_signal(signal.SIGCONT)
    ok = wait_for(sim.settled)
    result(name and rc == 0 and ok and sim.spmd.poll() is None,
           "a device removed between its uevent and the read: spmd settles", (name, rc, out))
    log = sim.logtext()[mark:]
    result(sim.dev(name, "ManagedState") is None and "Failed to" not in log,
           "the removed device is left out, nothing failed", log[-2000:])

    other = add(sim, 21)
    ok = other and sim.wait_state(other, ("online",)) and wait_for(lambda: sim.online_movable(other))
    result(ok, "the next hot-add is onlined", (other, sim.dev(other, "ManagedState") if other else None))


def silent_change(sim):
    wait_for(sim.settled)
    b = add(sim, 22, "512M")
    ok = b and sim.wait_state(b, ("online",)) and wait_for(lambda: sim.online_movable(b))
    result(ok, "device B onlined", b)
    # Settled does not wait for the quiet window of memory uevents: wait
    # until the pass for B's own block uevents has run too
    wait_for(sim.settled)
    wait_for(lambda: devices.quiet_for(sim, 0.3)[0], 10)
    blocks = [i for i, _, _ in sim.blocks(b)]

    # another agent offlines all but the last block of B; its uevents are lost
    sim.ctl("drop-uevents", 100000)
    for i in blocks[:-1]:
        sim.ctl("write", "devices/system/memory/memory%d/state" % i, "offline")
    sim.ctl("sync")
    sim.ctl("clear-faults")

    count = sim.count("ReconcileCount")
    a = add(sim, 23)
    ok = a and sim.wait_state(a, ("online",)) and wait_for(lambda: sim.online_movable(a))
    wait_for(sim.settled)
    result(ok and sim.count("ReconcileCount") > count, "device A hot-added while B changed silently", a)
    offline = [s for _, s, _ in sim.blocks(b)].count("offline")
    result(offline == len(blocks) - 1,
           "the pass for A did not read B (%d of %d blocks offline, as the other agent left them)"
           % (offline, len(blocks)))

    # B's next look: a uevent naming one of its blocks reads all of B
    sim.ctl("write", "devices/system/memory/memory%d/state" % blocks[-1], "offline")
    ok = wait_for(lambda: sim.online_movable(b), 20)
    result(ok, "a uevent for one block of B: spmd reads all of B and onlines it again", sim.blocks(b))

    # and a full read finds any other silent change
    sim.ctl("drop-uevents", 100000)
    for i in blocks:
        sim.ctl("write", "devices/system/memory/memory%d/state" % i, "offline")
    sim.ctl("sync")
    sim.ctl("clear-faults")
    time.sleep(0.3)
    sim.spmd.send_signal(signal.SIGHUP)
    ok = wait_for(lambda: sim.online_movable(b), 20)
    result(ok, "SIGHUP (a full read) finds a silent change of B", sim.blocks(b))


def look_again(sim):
    wait_for(sim.settled)
    mark = len(sim.logtext())
    name = add(sim, 24, "1G")
    ok = name and sim.wait_state(name, ("online",)) and wait_for(sim.settled)
    log = sim.logtext()[mark:]
    result(ok and sim.dev(name, "ManagedState") == "online" and sim.online_movable(name),
           "Settled after a hot-add: the device already reads online", sim.dev(name, "ManagedState"))
    reads = [line for line in log.splitlines() if "Read " in line and "named block" in line]
    full = [line for line in log.splitlines() if "snapshot" in line and "Reconcile #" in line]
    result(1 <= len(reads) <= 3 and not full,
           "a hot-add is read in scoped passes only (%d), never in full" % len(reads), log[-3000:])


def back_to_back(sim):
    """A hot-add while the look at the previous one waits for its uevents
    to settle is not held by that window."""
    wait_for(sim.settled)
    mark = len(sim.logtext())
    w = add(sim, 25)
    x = add(sim, 26)
    ok = w and x and all(sim.wait_state(n, ("online",)) for n in (w, x)) and \
        wait_for(lambda: sim.online_movable(w) and sim.online_movable(x))
    result(ok, "two hot-adds back to back are both onlined", (w, x))
    lines = sim.logtext()[mark:].splitlines()
    at = [i for i, line in enumerate(lines) if line.endswith("uevent add dax %s" % x)]
    queued = [line for line in lines[at[0]:] if "Reconcile queued" in line][:1] if at else []
    result(queued and queued[0].endswith("(uevent)"),
           "the second hot-add's pass is queued by its own uevent, not by the quiet window", queued)


class Notify:
    """A NOTIFY_SOCKET drained all along, as systemd does: a unix datagram
    queue holds only a few messages, and sd_notify() blocks on a full one."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.sock.settimeout(0.2)
        self.msgs = []
        self.lock = threading.Lock()
        self.running = True
        self.thread = threading.Thread(target=self.drain, daemon=True)
        self.thread.start()

    def drain(self):
        while self.running:
            try:
                m = self.sock.recv(4096).decode()
            except socket.timeout:
                continue
            with self.lock:
                self.msgs.append(m)

    def take(self):
        with self.lock:
            out, self.msgs = self.msgs, []
        return out

    def close(self):
        self.running = False
        self.thread.join()
        self.sock.close()


def reload_plans_first(sim, notify):
    """A reload plans the new policy on what spmd knows, without reading
    sysfs first; the full read (a resync) is the pass after it. systemd
    hears RELOADING=1 at once and READY=1 with the status of that pass."""
    wait_for(sim.settled)
    notify.take()
    mark = len(sim.logtext())
    sim.spmd.send_signal(signal.SIGHUP)
    time.sleep(0.2)
    ok = wait_for(sim.settled)
    time.sleep(0.3)     # the drain thread's last recv
    msgs = notify.take()
    ready = [m for m in msgs if "READY=1" in m]
    result(msgs and msgs[0].startswith("RELOADING=1") and "READY=1" not in msgs[0] and
           ready and "STATUS=" in ready[0],
           "SIGHUP: RELOADING=1, then READY=1 with the status once the pass is done", msgs)
    lines = sim.logtext()[mark:].splitlines()
    passes = [line for line in lines if "Reconcile #" in line]
    result(ok and len(passes) >= 2 and "on the known state" in passes[0] and "(resync)" in passes[1],
           "SIGHUP: a pass on the known state, then a resync", passes)
    reads = [line for line in lines[:[i for i, line in enumerate(lines) if "Reconcile #" in line][0]]
             if "snapshot" in line or "Read " in line] if passes else ["no pass"]
    result(not reads, "nothing of sysfs is read before the reload's plan", reads)


def main():
    if not all(os.environ.get(v) for v in ("SPMD", "SPM_SIMKERNEL_RUN", "SPM_SIMCTL", "SPM_SIMKERNEL_SCENARIOS")) or \
            not os.path.exists("/dev/fuse") or not shutil.which("fusermount3") or \
            not shutil.which("dbus-daemon") or not shutil.which("busctl"):
        print("1..0 # SKIP no /dev/fuse, simulated kernel, dbus-daemon or busctl")
        sys.exit(77)
    with tempfile.TemporaryDirectory(prefix="spm-scoped-test-") as tmp:
        notify = Notify(os.path.join(tmp, "notify"))
        try:
            sim = devices.Sim(tmp, "spm-v2-hotplug-v7.ini", POLICY, "v7",
                              env={"NOTIFY_SOCKET": os.path.join(tmp, "notify")})
        except RuntimeError as e:
            result(False, "simulated kernel starts", e)
            return
        try:
            wait_for(sim.settled, 30)
            removed_before_read(sim)
            silent_change(sim)
            look_again(sim)
            back_to_back(sim)
            reload_plans_first(sim, notify)
            alive = sim.spmd.poll() is None
            sim.stop()
            result(alive and sim.spmd.returncode == 0, "spmd still running, stops cleanly", sim.spmd.returncode)
        finally:
            sim.close()
            notify.close()
            if os.environ.get("SPM_TEST_SHOW_LOG"):
                print(open(sim.logname).read(), file=sys.stderr)


if __name__ == "__main__":
    main()
    sys.exit(TAP.done())
