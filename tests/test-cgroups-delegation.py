#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Delegated cgroup subtrees, end to end on the simulated kernel.

systemd hands a unit's subtree to another manager (Delegate=yes) and marks
the unit's cgroup with the trusted.delegate xattr. Below that mark the
cgroups belong to the delegate: spmd writes their cpuset.mems directly,
even when a name looks like a unit, and only the units above (the
delegating unit itself included) go through systemd's SetUnitProperties.
Uses the simulated kernel, a private bus and the fake systemd1 of
tests/test-cgroups.py. Prints TAP; exits 77 without /dev/fuse or the
simulated kernel.
"""

import importlib.util
import json
import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("cgroups_test", os.path.join(HERE, "test-cgroups.py"))
cg = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cg)
result = cg.result

TREE = cg.SPM_KERNEL + """
[cgroup /]
subtree_control = +cpuset
[cgroup init.scope]
[cgroup system.slice]
subtree_control = +cpuset
[cgroup system.slice/runner.service]
subtree_control = +cpuset
mems = 0-1
delegate = yes
[cgroup system.slice/runner.service/ci-1]
mems = 0-1
[cgroup system.slice/runner.service/ci-2]
[cgroup system.slice/runner.service/inner.service]
[cgroup system.slice/plain.service]
"""

POLICY = cg.POLICY + """
[Cgroup ci-jobs]
Path=system.slice/runner.service/ci-*
Pools=fast
"""


def calls_for(s, unit):
    return [c for c in s.systemd_calls() if c.get("call") == "SetUnitProperties" and c.get("unit") == unit]


def list_cgroups(s, prefix):
    rc, data, err = s.bus.busctl("call", cg.NAME, cg.PATH, cg.MGR, "ListCgroups", "s", prefix)
    if rc != 0:
        return None
    return {row[0]: row for row in data["data"][0]}


def check_delegation():
    s = cg.Setup(TREE, POLICY, fake_systemd=True)
    if not s.ok():
        s.stop()
        return False
    sim = s.sim
    try:
        result(s.settled(), "spmd settles with a delegated subtree", s.logtext()[-3000:])
        base = "system.slice/runner.service"
        result(sim.eff(base + "/ci-1") == {0, 1, 2} and sim.eff(base + "/ci-2") == {0, 1, 2},
               "the cgroups the rule grants inside the delegated subtree reach the pool",
               (sim.eff(base + "/ci-1"), sim.eff(base + "/ci-2")))
        log = s.logtext()
        direct = [x for x in log.splitlines() if "Set cpuset.mems of '%s/ci-1'" % base in x]
        result(direct and not calls_for(s, "ci-1"), "inside the delegated subtree spmd writes cgroupfs itself",
               (direct, s.systemd_calls()))
        runner = calls_for(s, "runner.service")
        result(len(runner) >= 1 and runner[-1]["props"] == {"AllowedMemoryNodes": "0,1,2"} and
               sim.eff(base) == {0, 1, 2},
               "the delegating unit itself is widened through systemd", runner)
        result(sim.eff(base + "/inner.service") == {0, 1} and not calls_for(s, "inner.service") and
               any("Set cpuset.mems of '%s/inner.service'" % base in x for x in log.splitlines()),
               "a unit-like name inside the delegated subtree is narrowed directly, not through systemd",
               (sim.eff(base + "/inner.service"), calls_for(s, "inner.service")))
        result(sim.eff("system.slice/plain.service") == {0, 1} and len(calls_for(s, "plain.service")) >= 1,
               "a sibling unit outside the delegation is denied through systemd", calls_for(s, "plain.service"))

        rows = list_cgroups(s, "system.slice")
        ok = rows is not None and rows.get("/" + base + "/ci-1", [None] * 7)[6] is True and \
            rows.get("/" + base, [None] * 7)[6] is False and rows.get("/system.slice/plain.service", [None] * 7)[6] is False
        result(ok, "ListCgroups marks the cgroups below the delegation point (and only those) as delegated",
               json.dumps(rows, indent=1)[:3000])

        # the delegate creates a new group below the mark: it inherits the
        # widened runner.service, so spmd must narrow it, directly
        n = len(s.systemd_calls())
        os.mkdir(os.path.join(sim.root, base, "tmp-build"))
        lat = cg.latency_ms(lambda: sim.eff(base + "/tmp-build") == {0, 1}, timeout=10)
        result(lat is not None and len(s.systemd_calls()) == n,
               "a cgroup the delegate creates is narrowed directly (%s ms)" % (None if lat is None else "%.0f" % lat),
               (sim.eff(base + "/tmp-build"), s.systemd_calls()[n:]))

        # the mark goes away (the unit restarted without Delegate=): the
        # unit-like cgroup below it is now systemd's, a re-read sees that
        os.removexattr(os.path.join(sim.root, base), "trusted.delegate")
        result(os.listxattr(os.path.join(sim.root, base)) == [], "the simulated cgroupfs drops the mark")
        sim.write(base + "/inner.service", "cpuset.mems", "0-2")
        rc, data, err = s.bus.busctl("call", cg.NAME, cg.PATH, cg.MGR, "Verify")
        try:
            plan = json.loads(data["data"][1]) if rc == 0 else {}
        except (ValueError, KeyError, IndexError):
            plan = {}
        text = json.dumps(plan)
        result(rc == 0 and data["data"][0] >= 1 and "inner.service" in text and "AllowedMemoryNodes" in text,
               "Verify sees the drift and plans inner.service as a unit once the mark is gone", (rc, err, data))
        rc, data, err = s.bus.busctl("call", cg.NAME, cg.PATH, cg.MGR, "Reload")
        ok = cg.wait_for(lambda: len(calls_for(s, "inner.service")) >= 1 and
                         sim.eff(base + "/inner.service") == {0, 1}, timeout=10)
        result(rc == 0 and ok, "after a Reload, inner.service is repaired through systemd",
               (rc, err, calls_for(s, "inner.service"), sim.eff(base + "/inner.service")))
    finally:
        alive = s.stop()
    result(alive, "spmd (delegated subtree) was still running at the end")
    return True


def main():
    if not cg.SPMD or not cg.SIMKERNEL or not os.path.exists(cg.SIMKERNEL) or not cg.SIMCTL:
        print("1..0 # SKIP spmd or the simulated kernel is not built")
        return 77
    if not os.access("/dev/fuse", os.W_OK) or not shutil.which("fusermount3"):
        print("1..0 # SKIP no usable /dev/fuse")
        return 77
    if not check_delegation():
        print("1..0 # SKIP the simulated kernel did not start")
        return 77
    return cg.TAP.done()


if __name__ == "__main__":
    sys.exit(main())
