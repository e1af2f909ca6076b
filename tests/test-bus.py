#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The real spmd on a private D-Bus, against a copy of a fixture host.

Starts a private dbus-daemon, runs spmd --bus=user on a writable copy of
the spm-v2 fixture, and checks the org.spmd.spm1 objects, properties,
methods and signals with busctl. Prints TAP.
"""

import concurrent.futures
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from taplib import Tap  # noqa: E402
from testlib import PrivateBus as Bus, wait_for  # noqa: E402

SRCDIR = os.environ.get("SPM_TEST_SRCDIR", os.path.dirname(os.path.abspath(__file__)))
SPMD = os.environ["SPMD"]
SPMCTL = os.environ.get("SPMCTL")
NAME = "org.spmd.spm1"
PATH = "/org/spmd/spm1"
MGR = "org.spmd.spm1.Manager"

TAP = Tap()
result = TAP.result


def busctl(bus, *args):
    return bus.busctl(*args)


def prop(bus, path, iface, name):
    rc, data, err = busctl(bus, "get-property", NAME, path, iface, name)
    return data["data"] if rc == 0 else ("ERROR", err)


def plan(bus):
    rc, data, err = busctl(bus, "call", NAME, PATH, MGR, "Plan")
    return json.loads(data["data"][0]) if rc == 0 else None


def spmctl(bus, *args, env_extra=None):
    env = dict(os.environ, DBUS_SESSION_BUS_ADDRESS=bus.address)
    env.update(env_extra or {})
    p = subprocess.run([SPMCTL, "--user"] + list(args), capture_output=True, text=True, timeout=30, env=env)
    return p.returncode, p.stdout, p.stderr


def check_spmctl_status(bus, sysfs):
    rc, out, err = spmctl(bus, "status", env_extra={"SPM_SYSFS_ROOT": sysfs})
    result(rc == 0 and "Daemon:          spmd " in out and "Policy:          loaded" in out,
           "spmctl status shows the daemon's state", (rc, out, err))
    rc, out, err = spmctl(bus, "--json", "status", env_extra={"SPM_SYSFS_ROOT": sysfs})
    d = json.loads(out).get("daemon") if rc == 0 else None
    result(isinstance(d, dict) and list(d.keys()) == ["version", "policy_state", "policy_error", "settled",
                                                      "pending_actions", "reconciles", "resyncs", "uevents"]
           and d["policy_state"] == "loaded", "spmctl --json status has the daemon object", (rc, out, err))


def check_policy(bus, etc):
    result(prop(bus, PATH, MGR, "PolicyState") == "loaded" and prop(bus, PATH, MGR, "PolicyError") == "",
           "the policy in the search path is loaded", prop(bus, PATH, MGR, "PolicyState"))
    p = plan(bus)
    result(p is not None and p["changes"] == len(p["actions"]) == prop(bus, PATH, MGR, "PendingActions") and
           any(a["action"] == "cgroup-mems" for a in p["actions"]),
           "Plan() returns the pending plan as JSON", p)

    bad = os.path.join(etc, "60-bad.conf")
    with open(bad, "w") as f:
        f.write("[Pool fast]\nOnline=sideways\n")
    rc, data, err = busctl(bus, "call", NAME, PATH, MGR, "Reload")
    result(rc != 0 and "60-bad.conf:2:" in err, "Reload with a broken file fails naming file:line", (rc, err))
    result(prop(bus, PATH, MGR, "PolicyState") == "rejected" and "60-bad.conf:2:" in prop(bus, PATH, MGR, "PolicyError"),
           "PolicyState/PolicyError say why", (prop(bus, PATH, MGR, "PolicyState"), prop(bus, PATH, MGR, "PolicyError")))
    wait_for(lambda: prop(bus, PATH, MGR, "Settled") is True)
    p2 = plan(bus)
    result(p2 is not None and p2["changes"] == p["changes"], "the last good policy stays in force", p2)

    rc, out, err = spmctl(bus, "reload")
    result(rc == 1 and "60-bad.conf:2:" in err, "spmctl reload reports the policy error and exits 1", (rc, out, err))

    os.unlink(bad)
    rc, out, err = spmctl(bus, "reload")
    result(rc == 0, "spmctl reload exits 0 once the policy is good", (rc, out, err))
    rc, data, err = busctl(bus, "call", NAME, PATH, MGR, "Reload")
    result(rc == 0 and prop(bus, PATH, MGR, "PolicyState") == "loaded" and prop(bus, PATH, MGR, "PolicyError") == "",
           "fixing the file and reloading takes it", (rc, err))


def check_changes(bus, etc, run):
    """Classify, Grant, Revoke and Verify: drop-ins, no-ops, errors."""
    # persistent classify of the unbound dax1.0 into pool accel
    rc, data, err = busctl(bus, "call", NAME, PATH, MGR, "Classify", "ssssb", "dax1.0", "spm", "accel", "", "false")
    files = sorted(os.listdir(etc))
    dropins = [f for f in files if f.startswith("90-spmctl-device-")]
    result(rc == 0 and len(dropins) == 1, "Classify writes one device drop-in under the persistent directory",
           (rc, err, files))
    text = open(os.path.join(etc, dropins[0])).read() if dropins else ""
    result("Class=spm\nPool=accel\n" in text and "MatchResource=0x" in text and "dax1.0" in text,
           "the drop-in names the device by its physical range", text)
    rc, data, err = busctl(bus, "call", NAME, PATH, MGR, "Classify", "ssssb", "dax1.0", "spm", "accel", "", "false")
    result(rc == 0 and sorted(os.listdir(etc)) == files, "Classify again is a no-op", (rc, err))
    wait_for(lambda: prop(bus, PATH, MGR, "Settled") is True)
    p = plan(bus)
    result(p is not None and any(a["object"] == "dax1.0" for a in p["actions"]),
           "the next pass plans the change for the device", p)

    for args, want, name in (
            (("nope9.9", "spm", "accel", "", "false"), "NoSuchDevice", "unknown device"),
            (("dax1.0", "fast", "", "", "false"), "InvalidArgs", "unknown class"),
            (("dax1.0", "spm", "", "", "false"), "InvalidArgs", "spm without a pool"),
            (("dax1.0", "sysram", "accel", "", "false"), "InvalidArgs", "a pool without spm"),
            (("dax1.0", "spm", "nopool", "", "false"), "NoSuchPool", "unknown pool"),
            (("dax1.0", "spm", "accel", "offline", "false"), "InvalidArgs", "offline is not an online type")):
        rc, data, err = busctl(bus, "call", NAME, PATH, MGR, "Classify", "ssssb", *args)
        result(rc != 0 and sorted(os.listdir(etc)) == files, "Classify refuses %s, writes nothing" % name, (rc, err))
        rc, out, err2 = call_as_root_dbus_send(bus, "Classify", "string:" + args[0], "string:" + args[1],
                                              "string:" + args[2], "string:" + args[3], "boolean:" + args[4])
        result(want in err2, "  ... with the error %s" % want, err2)

    # runtime grant to a cgroup path, then revoke it again
    rc, data, err = busctl(bus, "call", NAME, PATH, MGR, "Grant", "ssasb", "cgroup", "/spmd/app", "1", "accel", "true")
    rdrop = [f for f in os.listdir(run) if f.startswith("90-spmctl-cgroup-")] if os.path.isdir(run) else []
    result(rc == 0 and len(rdrop) == 1, "Grant --runtime writes a cgroup drop-in under the runtime directory",
           (rc, err))
    text = open(os.path.join(run, rdrop[0])).read() if rdrop else ""
    result("Path=spmd/app\nPools=accel\n" in text, "the drop-in grants the pool to that path", text)
    rc, data, err = busctl(bus, "call", NAME, PATH, MGR, "Grant", "ssasb", "cgroup", "spmd/app", "1", "accel", "true")
    result(rc == 0 and ("Pools=accel\n" in open(os.path.join(run, rdrop[0])).read() if rdrop else False),
           "granting again changes nothing", (rc, err))
    rc, data, err = busctl(bus, "call", NAME, PATH, MGR, "Revoke", "ssasb", "cgroup", "spmd/app", "1", "accel", "true")
    text = open(os.path.join(run, rdrop[0])).read() if rdrop else ""
    result(rc == 0 and "Pools=\n" in text, "Revoke leaves the path without the pool", (rc, err, text))
    rc, data, err = busctl(bus, "call", NAME, PATH, MGR, "Grant", "ssasb", "unit", "a/b.service", "1", "accel", "true")
    result(rc != 0 and "Invalid unit" in err, "a unit name with a slash is refused", (rc, err))

    rc, data, err = busctl(bus, "call", NAME, PATH, MGR, "Verify")
    ok = rc == 0
    if ok:
        n, js = data["data"]
        doc = json.loads(js)
        ok = n == doc["changes"] == len(doc["actions"])
    result(ok, "Verify plans against the kernel as it is now", (rc, data, err))

    for method, sig in (("Classify", ("string:dax1.0", "string:sysram", "string:", "string:", "boolean:false")),
                        ("Offline", ("string:dax0.0", "boolean:false")),
                        ("Grant", ("string:cgroup", "string:x", "array:string:accel", "boolean:true")),
                        ("Revoke", ("string:cgroup", "string:y", "array:string:accel", "boolean:true"))):
        if method == "Revoke":
            # something to revoke: otherwise the call is a no-op, answered
            # before authorization like every no-op
            busctl(bus, "call", NAME, PATH, MGR, "Grant", "ssasb", "cgroup", "y", "1", "accel", "true")
        before = sorted(os.listdir(etc)) + sorted(os.listdir(run))
        rc, out, err = call_as_nobody(bus, method, *sig)
        after = sorted(os.listdir(etc)) + sorted(os.listdir(run))
        result(rc != 0 and "AccessDenied" in err and before == after,
               "an unprivileged %s is refused before anything is written" % method, (rc, err))


def check_list_cgroups(bus):
    rc, data, err = busctl(bus, "call", NAME, PATH, MGR, "ListCgroups", "s", "/spmd")
    rows = data["data"][0] if rc == 0 else []
    result(rc == 0 and [r[0] for r in rows] == ["/spmd", "/spmd/app"], "ListCgroups lists a subtree", (rc, data, err))
    rc, out, err = spmctl(bus, "--json", "cgroups")
    try:
        doc = json.loads(out)
        ok = rc == 0 and doc["source"] == "daemon" and any(c["path"] == "/spmd/app" for c in doc["cgroups"])
    except (ValueError, KeyError):
        ok = False
    result(ok, "spmctl cgroups asks spmd when it runs", (rc, out, err))


def check_spmctl_changes(bus, etc, run):
    rc, out, err = spmctl(bus, "classify", "dax1.0", "sysram")
    result(rc == 0, "spmctl classify", (rc, out, err))
    text = "".join(open(os.path.join(etc, f)).read() for f in os.listdir(etc) if f.startswith("90-spmctl-device-"))
    result("Class=sysram\n" in text, "spmctl classify replaced the device's drop-in", text)
    rc, out, err = spmctl(bus, "classify", "dax1.0", "spm", "nopool")
    result(rc == 1 and "No pool 'nopool'" in err, "spmctl classify with an unknown pool: exit 1, named", (rc, err))
    rc, out, err = spmctl(bus, "--online=online_kernel", "--runtime", "classify", "dax1.0", "spm", "accel")
    text = "".join(open(os.path.join(run, f)).read() for f in os.listdir(run) if f.startswith("90-spmctl-device-"))
    result(rc == 0 and "Online=online_kernel\n" in text, "spmctl --runtime --online= classify", (rc, err, text))
    rc, out, err = spmctl(bus, "--unit", "grant", "batch.slice", "accel")
    result(rc == 0 and any("Unit=batch.slice" in open(os.path.join(etc, f)).read() for f in os.listdir(etc)),
           "spmctl --unit grant", (rc, err))
    rc, out, err = spmctl(bus, "--unit", "revoke", "batch.slice", "accel")
    result(rc == 0, "spmctl --unit revoke", (rc, err))
    rc, out, err = spmctl(bus, "grant", "spmd", "nopool")
    result(rc == 1 and "No pool 'nopool'" in err, "spmctl grant with an unknown pool: exit 1", (rc, err))
    wait_for(lambda: prop(bus, PATH, MGR, "Settled") is True)
    rc, out, err = spmctl(bus, "verify")
    result(rc in (0, 2) and ("pending" in out or "what the policy says" in out), "spmctl verify", (rc, out, err))
    rc, out, err = spmctl(bus, "--json", "verify")
    ok = rc in (0, 2)
    try:
        ok = ok and (json.loads(out)["changes"] == 0) == (rc == 0)
    except (ValueError, KeyError):
        ok = False
    result(ok, "spmctl --json verify: the exit code follows the changes", (rc, out, err))


def call_as_root_dbus_send(bus, method, *args):
    p = subprocess.run(["dbus-send", "--bus=" + bus.address, "--print-reply", "--dest=" + NAME, PATH,
                        MGR + "." + method] + list(args), capture_output=True, text=True, timeout=30)
    return p.returncode, p.stdout, p.stderr


def call_as_nobody(bus, method, *args):
    """Call a Manager method as an unprivileged user (uid 65534). dbus-send,
    not busctl: busctl replaces the text of AccessDenied errors with its own,
    and the text is what these tests check."""
    p = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                        "dbus-send", "--bus=" + bus.address, "--print-reply", "--dest=" + NAME, PATH,
                        MGR + "." + method] + list(args),
                       capture_output=True, text=True, timeout=30)
    return p.returncode, p.stdout, p.stderr


def check_authorization(bus, env):
    count = prop(bus, PATH, MGR, "ReconcileCount")
    rc, data, err = busctl(bus, "call", NAME, PATH, MGR, "Reload")
    result(rc == 0 and wait_for(lambda: prop(bus, PATH, MGR, "ReconcileCount") > count),
           "root may Reload without polkit, and it resyncs", (rc, err))

    rc, out, err = call_as_nobody(bus, "ListDevices")
    result(rc == 0 and "dax0.0" in out, "read-only methods are open to unprivileged callers", (rc, out, err))

    rc, out, err = call_as_nobody(bus, "Reload")
    result(rc != 0 and "polkit is not available" in err, "without polkit an unprivileged Reload is refused",
           (rc, out, err))

    # a mock polkitd on the same bus: denies until told otherwise
    mock_env = dict(env, DBUS_SESSION_BUS_ADDRESS=bus.address)
    polkit = subprocess.Popen(["/usr/bin/python3", "-m", "dbusmock", "--session", "--template", "polkitd"],
                              env=mock_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        up = wait_for(lambda: busctl(bus, "status", "org.freedesktop.PolicyKit1")[0] == 0)
        result(up, "mock polkitd is on the bus")
        count = prop(bus, PATH, MGR, "ReconcileCount")
        rc, out, err = call_as_nobody(bus, "Reload")
        time.sleep(0.3)
        result(rc != 0 and "Not authorized" in err and prop(bus, PATH, MGR, "ReconcileCount") == count,
               "polkit says no: refused, nothing done", (rc, out, err))

        busctl(bus, "call", "org.freedesktop.PolicyKit1", "/org/freedesktop/PolicyKit1/Authority",
               "org.freedesktop.DBus.Mock", "SetAllowed", "as", "1", "org.spmd.spm1.reload")
        rc, out, err = call_as_nobody(bus, "Reload")
        result(rc == 0 and wait_for(lambda: prop(bus, PATH, MGR, "ReconcileCount") > count),
               "polkit says yes: the call goes through after the asynchronous check", (rc, out, err))

        # many callers at once, half of them waiting on polkit
        with concurrent.futures.ThreadPoolExecutor(max_workers=16) as pool:
            jobs = [pool.submit(call_as_nobody, bus, "Reload") for _ in range(20)]
            jobs += [pool.submit(busctl, bus, "call", NAME, PATH, MGR, "ListDevices") for _ in range(20)]
            jobs += [pool.submit(busctl, bus, "get-property", NAME, PATH, MGR, "Settled") for _ in range(20)]
            rcs = [j.result()[0] for j in jobs]
        result(rcs == [0] * len(rcs) and prop(bus, PATH, MGR, "Version"),
               "60 concurrent clients (20 through polkit) all answered", rcs)
    finally:
        polkit.terminate()
        polkit.wait(timeout=10)


def main():
    tmp = tempfile.mkdtemp(prefix="spm-bus-test-")
    os.chmod(tmp, 0o755)  # the unprivileged caller must reach the socket
    host = os.path.join(tmp, "host")
    shutil.copytree(os.path.join(SRCDIR, "fixtures", "spm-v2"), host, symlinks=True)
    bus = Bus(tmp)
    # Private policy directories: never the host's /etc/spm.d.
    policy_dirs = {k: os.path.join(tmp, d) for k, d in
                   (("SPM_POLICY_ETC_DIR", "etc"), ("SPM_POLICY_RUN_DIR", "run"), ("SPM_POLICY_LIB_DIR", "lib"))}
    for d in policy_dirs.values():
        os.mkdir(d)
    shutil.copy(os.path.join(SRCDIR, "..", "conf", "accelerator-memory.conf"),
                os.path.join(policy_dirs["SPM_POLICY_ETC_DIR"], "50-accel.conf"))
    env = dict(os.environ, SPM_SYSFS_ROOT=os.path.join(host, "sys"), DBUS_SESSION_BUS_ADDRESS=bus.address,
               **policy_dirs)
    env.pop("JOURNAL_STREAM", None)
    log = open(os.path.join(tmp, "spmd.log"), "w")
    spmd = subprocess.Popen([SPMD, "--bus=user", "--dry-run", "--udev-source=kernel", "--log-target=console",
                             "--log-level=debug"], env=env, stderr=log)
    monitor = None
    try:
        up = wait_for(lambda: prop(bus, PATH, MGR, "Settled") is True)
        result(up, "spmd takes the name and settles after coldplug",
               open(os.path.join(tmp, "spmd.log")).read())
        if not up:
            return

        result(prop(bus, PATH, MGR, "IsolationLevel") == "hard", "IsolationLevel is hard on SPM v2")
        result(prop(bus, PATH, MGR, "SPMNodes") == [2], "SPMNodes", prop(bus, PATH, MGR, "SPMNodes"))
        result(prop(bus, PATH, MGR, "SysRAMNodes") == [0, 1], "SysRAMNodes", prop(bus, PATH, MGR, "SysRAMNodes"))
        feats = prop(bus, PATH, MGR, "KernelFeatures")
        result(isinstance(feats, dict) and feats.get("marking") == "spm-v2" and feats.get("cgroup") == "v2",
               "KernelFeatures", feats)
        result(isinstance(prop(bus, PATH, MGR, "Version"), str), "Version")
        result(prop(bus, PATH, MGR, "ReconcileCount") >= 1, "ReconcileCount counts the coldplug pass")

        rc, data, err = busctl(bus, "call", NAME, PATH, MGR, "ListNodes")
        nodes = data["data"][0] if rc == 0 else []
        result(rc == 0 and [x[0] for x in nodes] == sorted(x[0] for x in nodes) and
               any(x[0] == 2 and x[1] == "spm" and x[5] == "/org/spmd/spm1/node/2" for x in nodes),
               "ListNodes returns every node with class and path", (rc, data, err))

        rc, data, err = busctl(bus, "call", NAME, PATH, MGR, "ListDevices")
        devs = data["data"][0] if rc == 0 else []
        d0 = [x for x in devs if x[0] == "dax0.0"]
        result(rc == 0 and d0 and d0[0][2] == "kmem" and d0[0][3] == 2 and d0[0][6] == 7 and
               d0[0][7] == "/org/spmd/spm1/device/dax0_2e0", "ListDevices: dax0.0 on kmem, 7 blocks online",
               (rc, data, err))

        dpath = "/org/spmd/spm1/device/dax0_2e0"
        result(prop(bus, dpath, "org.spmd.spm1.Device", "SPM") == "yes", "Device.SPM of dax0.0")
        result(prop(bus, dpath, "org.spmd.spm1.Device", "Provider") == "pmem", "Device.Provider of dax0.0",
               prop(bus, dpath, "org.spmd.spm1.Device", "Provider"))
        result(prop(bus, "/org/spmd/spm1/node/2", "org.spmd.spm1.Node", "Class") == "spm", "Node 2 Class")
        result(prop(bus, "/org/spmd/spm1/node/0", "org.spmd.spm1.Node", "HasCPU") is True, "Node 0 HasCPU")

        rc, data, err = busctl(bus, "get-property", NAME, "/org/spmd/spm1/device/nope", "org.spmd.spm1.Device", "State")
        result(rc != 0 and ("Unknown object" in err or "UnknownObject" in err),
               "an unknown device path is an unknown object", (rc, err))
        rc, data, err = busctl(bus, "get-property", NAME, "/org/spmd/spm1/node/02", "org.spmd.spm1.Node", "Id")
        result(rc != 0, "a non-canonical node path is refused", (rc, data, err))

        p = subprocess.run(["busctl", "--address=" + bus.address, "tree", "--list", NAME],
                           capture_output=True, text=True)
        result("/org/spmd/spm1/node/2" in p.stdout and "/org/spmd/spm1/device/dax2_2e0" in p.stdout,
               "tree enumerates node and device objects", p.stdout + p.stderr)

        # Take one of dax0.0's blocks offline in the host copy, ask for a
        # resync, and expect the change on the bus.
        monitor = subprocess.Popen(["busctl", "--address=" + bus.address, "monitor", "--json=short", NAME],
                                   stdout=subprocess.PIPE, text=True)
        ctl_monitor = subprocess.Popen([SPMCTL, "--user", "--json", "monitor"], stdout=subprocess.PIPE,
                                       stderr=subprocess.DEVNULL, text=True,
                                       env=dict(os.environ, DBUS_SESSION_BUS_ADDRESS=bus.address))
        time.sleep(0.3)
        blk = os.path.join(host, "sys/devices/system/memory/memory41/state")
        with open(blk, "w") as f:
            f.write("offline\n")
        before = prop(bus, PATH, MGR, "ReconcileCount")
        spmd.send_signal(signal.SIGHUP)
        changed = wait_for(lambda: prop(bus, dpath, "org.spmd.spm1.Device", "MemoryBlocksOnline") == 6)
        result(changed and prop(bus, dpath, "org.spmd.spm1.Device", "State") == "partial",
               "a resync after SIGHUP shows the offlined block", prop(bus, dpath, "org.spmd.spm1.Device", "State"))
        result(prop(bus, PATH, MGR, "ResyncCount") >= 2 and prop(bus, PATH, MGR, "ReconcileCount") > before,
               "the reload counted as a resync")
        time.sleep(0.3)
        monitor.terminate()
        out, _ = monitor.communicate(timeout=10)
        ctl_monitor.send_signal(signal.SIGINT)
        ctl_out, _ = ctl_monitor.communicate(timeout=10)
        lines = [json.loads(l) for l in ctl_out.splitlines() if l.startswith("{")]
        result({"signal": "DeviceStateChanged", "device": "dax0.0", "state": "partial"} in lines and
               ctl_monitor.returncode == 0,
               "spmctl monitor --json prints the signal and stops cleanly on SIGINT", (ctl_monitor.returncode, ctl_out))
        msgs = [json.loads(l) for l in out.splitlines() if l.startswith("{")]
        members = [m.get("member") for m in msgs]
        state_sig = [m for m in msgs if m.get("member") == "DeviceStateChanged"]
        result(state_sig and state_sig[0]["payload"]["data"] == ["dax0.0", "partial"],
               "DeviceStateChanged signal names the device and its new state", members)
        props = [m for m in msgs if m.get("member") == "PropertiesChanged" and m.get("path") == dpath]
        result(props and "MemoryBlocksOnline" in props[0]["payload"]["data"][1],
               "PropertiesChanged on the device carries MemoryBlocksOnline", props)

        check_spmctl_status(bus, os.path.join(host, "sys"))
        check_policy(bus, policy_dirs["SPM_POLICY_ETC_DIR"])
        check_changes(bus, policy_dirs["SPM_POLICY_ETC_DIR"], policy_dirs["SPM_POLICY_RUN_DIR"])
        check_spmctl_changes(bus, policy_dirs["SPM_POLICY_ETC_DIR"], policy_dirs["SPM_POLICY_RUN_DIR"])
        check_list_cgroups(bus)
        check_authorization(bus, env)

        spmd.send_signal(signal.SIGTERM)
        rc = spmd.wait(timeout=10)
        result(rc == 0, "SIGTERM stops spmd cleanly", rc)
        rc, out, err = spmctl(bus, "reload")
        result(rc == 1 and "spmd is not running" in err, "spmctl reload without the daemon says so", (rc, err))
        rc, out, err = spmctl(bus, "status", env_extra={"SPM_SYSFS_ROOT": os.path.join(host, "sys")})
        result(rc == 0 and "Daemon:          not running" in out and "no daemon consulted" in out,
               "spmctl status without the daemon reads the kernel and says so", (rc, out, err))
    finally:
        if monitor and monitor.poll() is None:
            monitor.kill()
        if spmd.poll() is None:
            spmd.kill()
            spmd.wait()
        bus.stop()
        log.close()
        if os.environ.get("SPM_TEST_SHOW_LOG"):
            print(open(os.path.join(tmp, "spmd.log")).read(), file=sys.stderr)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
    sys.exit(TAP.done())
