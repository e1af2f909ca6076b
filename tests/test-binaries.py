#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Drive the real spmctl and spmd binaries against the fixture hosts.

Prints TAP. Environment: SPMCTL and SPMD (binary paths), SPM_TEST_SRCDIR.
"""

import json
import os
import shutil
import subprocess
import tempfile
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from taplib import Tap  # noqa: E402

SRCDIR = os.environ.get("SPM_TEST_SRCDIR", os.path.dirname(os.path.abspath(__file__)))
SPMCTL = os.environ["SPMCTL"]
SPMD = os.environ["SPMD"]
FIXTURES = os.path.join(SRCDIR, "fixtures")

STATUS_KEYS = ["source", "daemon", "features", "memory", "nodes", "devices", "cxl_regions", "unreadable_attributes",
               "restricted_attributes"]
FEATURE_KEYS = ["marking", "private_nodes", "hotplug", "sysram_view", "cgroup", "cpuset",
                "cxl_sysram_online_type", "memmap_on_memory", "isolation"]
NODE_KEYS = ["node", "class", "online", "has_memory", "has_normal_memory", "has_cpu",
             "has_private_memory", "mem_total_kb", "mem_free_kb", "cpulist", "distance", "memory_blocks"]
DEVICE_KEYS = ["name", "provider", "cxl_region", "driver", "target_node", "numa_node", "size", "ranges",
               "ranges_readable", "spm_node", "protected_memory", "memmap_on_memory", "hotplug_attr", "hotplug_state",
               "memory_blocks", "memory_blocks_online"]
REGION_KEYS = ["name", "uuid", "mode", "size", "spm_node", "driver", "dax_device", "memdev_serials"]

TAP = Tap()
result = TAP.result


# Empty policy directories: the host's /etc/spm.d must never leak in.
EMPTY_POLICY = tempfile.mkdtemp(prefix="spm-test-policy-")


def run(argv, sysfs=None, env_extra=None):
    env = dict(os.environ, SPM_POLICY_ETC_DIR=EMPTY_POLICY, SPM_POLICY_RUN_DIR=EMPTY_POLICY,
               SPM_POLICY_LIB_DIR=EMPTY_POLICY)
    for k in ("SPM_SYSFS_ROOT", "SPM_CGROUP_ROOT", "JOURNAL_STREAM"):
        env.pop(k, None)
    if sysfs:
        env["SPM_SYSFS_ROOT"] = sysfs
    if env_extra:
        env.update(env_extra)
    p = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def fixture(name):
    return os.path.join(FIXTURES, name, "sys")


def fixture_names():
    return sorted(d for d in os.listdir(FIXTURES) if os.path.isdir(os.path.join(FIXTURES, d, "sys")))


def check_usage():
    rc, out, err = run([SPMCTL, "--version"])
    result(rc == 0 and out.startswith("spmctl "), "spmctl --version", (rc, out, err))
    rc, out, err = run([SPMCTL, "--help"])
    result(rc == 0 and "status" in out and "--json" in out, "spmctl --help lists verbs and options", (rc, out))
    rc, out, err = run([SPMCTL])
    result(rc == 2 and "Usage" in err, "spmctl without a verb is a usage error", (rc, err))
    rc, out, err = run([SPMCTL, "frobnicate"])
    result(rc == 2 and "Unknown command 'frobnicate'" in err, "unknown verb: exit 2, named", (rc, err))
    rc, out, err = run([SPMCTL, "--no-such-option", "status"])
    result(rc == 2, "unknown option: exit 2", (rc, err))
    rc, out, err = run([SPMCTL, "nodes", "extra"])
    result(rc == 2 and "fewer arguments" in err, "too many arguments: exit 2", (rc, err))


def check_schema(doc, fx):
    problems = []
    if list(doc.keys()) != STATUS_KEYS:
        problems.append("status keys %s" % list(doc.keys()))
    if doc.get("source") != "kernel":
        problems.append("source %r" % doc.get("source"))
    if list(doc["features"].keys()) != FEATURE_KEYS:
        problems.append("feature keys %s" % list(doc["features"].keys()))
    for node in doc["nodes"]:
        if list(node.keys()) != NODE_KEYS:
            problems.append("node keys %s" % list(node.keys()))
        if node["class"] not in ("sysram", "spm", "private", "memoryless", "offline"):
            problems.append("node class %r" % node["class"])
    for dev in doc["devices"]:
        if list(dev.keys()) != DEVICE_KEYS:
            problems.append("device keys %s" % list(dev.keys()))
        if dev["provider"] not in ("cxl", "hmem", "pmem", "unknown"):
            problems.append("provider %r" % dev["provider"])
        if dev["ranges_readable"] and dev["memory_blocks_online"] > dev["memory_blocks"]:
            problems.append("%s: more blocks online than it has" % dev["name"])
    for reg in doc["cxl_regions"]:
        if list(reg.keys()) != REGION_KEYS:
            problems.append("region keys %s" % list(reg.keys()))
    return problems


def check_every_fixture():
    for fx in fixture_names():
        rc, out, err = run([SPMCTL, "--json", "status"], sysfs=fixture(fx))
        try:
            doc = json.loads(out)
        except ValueError as e:
            result(False, "%s: --json status is JSON" % fx, "%s\n%s\n%s" % (e, out, err))
            continue
        problems = check_schema(doc, fx)
        result(rc == 0 and not problems, "%s: --json status follows the schema" % fx, "\n".join(problems) or err)

        rc, out, err = run([SPMCTL, "status"], sysfs=fixture(fx))
        result(rc == 0 and "no daemon consulted" in out and "Isolation:" in out,
               "%s: status table says where the data came from" % fx, (rc, out, err))

        for verb in ("nodes", "devices"):
            rc, out, err = run([SPMCTL, "--json", verb], sysfs=fixture(fx))
            try:
                json.loads(out)
                ok = rc == 0
            except ValueError:
                ok = False
            result(ok, "%s: --json %s" % (fx, verb), (rc, out, err))


def check_spm_v2_meaning():
    rc, out, err = run([SPMCTL, "--json", "status"], sysfs=fixture("spm-v2"))
    doc = json.loads(out)
    f = doc["features"]
    result(f["marking"] == "spm-v2" and f["isolation"] == "hard" and f["sysram_view"] == "cpuset.mems.sysram",
           "spm-v2: features name the series and hard isolation", f)
    classes = {nd["node"]: nd["class"] for nd in doc["nodes"]}
    result(classes.get(2) == "spm" and classes.get(0) == "sysram", "spm-v2: node 2 is SPM, node 0 SysRAM", classes)

    rc, out, err = run([SPMCTL, "--json", "status"], sysfs=fixture("stock-6.12"))
    f = json.loads(out)["features"]
    result(f["marking"] == "none" and f["isolation"] == "soft", "stock-6.12: soft isolation", f)


def check_failures():
    rc, out, err = run([SPMCTL, "status"], sysfs="/nonexistent/sysroot")
    result(rc == 1 and "/nonexistent/sysroot" in err and "No such file" in err,
           "missing sysfs root: exit 1 naming the path and errno", (rc, out, err))

    rc, out, err = run([SPMCTL, "--json", "status"], sysfs=fixture("malformed"))
    ok = rc == 0
    try:
        ok = ok and json.loads(out)["unreadable_attributes"] > 0
    except (ValueError, KeyError):
        ok = False
    result(ok, "malformed host: still answers, counts unreadable attributes", (rc, out[:500], err))


def check_cgroups():
    rc, out, err = run([SPMCTL, "cgroups"], sysfs=fixture("spm-v2"))
    result(rc == 0 and "/spmd/app" in out and "spmd is not running" in out, "cgroups lists the tree, says where from",
           (rc, out, err))
    rc, out, err = run([SPMCTL, "--json", "cgroups", "/spmd"], sysfs=fixture("spm-v2"))
    try:
        doc = json.loads(out)
        paths = [c["path"] for c in doc["cgroups"]]
        app = [c for c in doc["cgroups"] if c["path"] == "/spmd/app"][0]
        ok = (rc == 0 and doc["source"] == "kernel" and paths == ["/spmd", "/spmd/app"] and
              list(app.keys()) == ["path", "mems", "effective", "sysram", "rule", "unit", "delegated"] and
              app["mems"] == "2" and app["sysram"] == "")
    except (ValueError, KeyError, IndexError):
        ok = False
    result(ok, "cgroups --json PATH: the subtree only, schema", (rc, out, err))
    rc, out, err = run([SPMCTL, "cgroups", "spm"], sysfs=fixture("spm-v2"))
    result(rc == 0 and "No cgroups below /spm." in out, "a prefix matches whole path components", (rc, out))


def check_unprivileged():
    """An unprivileged user cannot read the root-only dax files (0400):
    the reader must say so, not show zero blocks."""
    if os.geteuid() != 0:
        result(True, "unprivileged reader # SKIP needs root to drop privileges")
        return
    tmp = tempfile.mkdtemp(prefix="spm-test-host-")
    try:
        os.chmod(tmp, 0o755)
        host = os.path.join(tmp, "sys")
        shutil.copytree(fixture("spm-v2"), host, symlinks=True)
        dev = os.path.realpath(os.path.join(host, "bus/dax/devices/dax0.0"))
        n = 0
        for root, dirs, files in os.walk(dev):
            for f in files:
                if f in ("resource", "start", "end", "page_offset"):
                    os.chmod(os.path.join(root, f), 0o400)
                    n += 1
        p = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", SPMCTL, "--json",
                            "status"], capture_output=True, text=True, timeout=30,
                           env=dict(os.environ, SPM_SYSFS_ROOT=host, SPM_POLICY_ETC_DIR=EMPTY_POLICY,
                                    SPM_POLICY_RUN_DIR=EMPTY_POLICY, SPM_POLICY_LIB_DIR=EMPTY_POLICY))
        if p.returncode == 126 or "Permission denied" in p.stderr:
            result(True, "unprivileged reader # SKIP the build directory is not reachable for uid 65534")
            return
        doc = json.loads(p.stdout)
        d0 = [d for d in doc["devices"] if d["name"] == "dax0.0"][0]
        result(doc["restricted_attributes"] == n and doc["unreadable_attributes"] == 0 and
               d0["ranges_readable"] is False and d0["memory_blocks"] is None and d0["memory_blocks_online"] is None,
               "unprivileged: root-only files are counted as restricted, block counts unknown (not 0)",
               (n, doc["restricted_attributes"], doc["unreadable_attributes"], d0))
        p = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", SPMCTL, "devices"],
                           capture_output=True, text=True, timeout=30, env=dict(os.environ, SPM_SYSFS_ROOT=host))
        result(p.returncode == 0 and "restricted" in p.stdout and "? (root only)" in p.stdout,
               "unprivileged: the table says the blocks need root", p.stdout)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def check_spmd():
    rc, out, err = run([SPMD, "--version"])
    result(rc == 0 and out.startswith("spmd "), "spmd --version", (rc, out, err))
    rc, out, err = run([SPMD, "--log-level=loud"])
    result(rc == 2 and "Invalid log level 'loud'" in err, "spmd: bad option value is exit 2, named", (rc, err))
    rc, out, err = run([SPMD, "extra"])
    result(rc == 2, "spmd: positional arguments refused", (rc, err))
    rc, out, err = run([SPMD, "--once", "--dry-run", "--bus=none", "--log-target=console", "--udev-source=kernel"], sysfs=fixture("spm-v2"))
    result(rc == 0 and "Device 'dax0.0' found" in err, "spmd --once on spm-v2 logs each device once", (rc, err))


def main():
    check_usage()
    check_every_fixture()
    check_spm_v2_meaning()
    check_failures()
    check_cgroups()
    check_unprivileged()
    check_spmd()
    return TAP.done()


if __name__ == "__main__":
    try:
        rc = main()
    finally:
        os.rmdir(EMPTY_POLICY)
    sys.exit(rc)
