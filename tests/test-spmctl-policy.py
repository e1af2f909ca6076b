#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""spmctl policy check and spmctl plan, run as binaries against the fixture
hosts and temporary policy directories. Prints TAP.

Environment: SPMCTL (binary path), SPM_TEST_SRCDIR.
"""

import json
import os
import subprocess
import sys
import tempfile

SRCDIR = os.environ.get("SPM_TEST_SRCDIR", os.path.dirname(os.path.abspath(__file__)))
SPMCTL = os.environ["SPMCTL"]
FIXTURES = os.path.join(SRCDIR, "fixtures")
CONF = os.path.join(SRCDIR, "..", "conf")

n = 0
failed = 0


def result(ok, name, diag=None):
    global n, failed
    n += 1
    if not ok:
        failed += 1
        for line in str(diag or "").splitlines():
            print("# " + line)
    print(("ok" if ok else "not ok") + " %d - %s" % (n, name))


def run(args, fixture="spm-v2", policy_dirs=None):
    env = dict(os.environ)
    env["SPM_SYSFS_ROOT"] = os.path.join(FIXTURES, fixture, "sys")
    env.pop("SPM_CGROUP_ROOT", None)
    d = policy_dirs or {}
    for key in ("ETC", "RUN", "LIB"):
        env["SPM_POLICY_%s_DIR" % key] = d.get(key, "/nonexistent-spm-policy-dir")
    p = subprocess.run([SPMCTL] + args, env=env, capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


GOOD = """[Pool accel]
[Device all-dax]
MatchProvider=cxl hmem pmem
Class=spm
Pool=accel
[Cgroup gpu]
Path=gpu.slice
Pools=accel
"""

BAD = """[Pool accel]
[Device d]
MatchSerial=7
Class=spm
Pool=nope
Bogus=1
"""

with tempfile.TemporaryDirectory() as tmp:
    etc = os.path.join(tmp, "etc")
    lib = os.path.join(tmp, "lib")
    os.mkdir(etc)
    os.mkdir(lib)
    with open(os.path.join(lib, "50-good.conf"), "w") as f:
        f.write(GOOD)
    bad = os.path.join(tmp, "bad.conf")
    with open(bad, "w") as f:
        f.write(BAD)

    # installed policy, found through the search path
    rc, out, err = run(["policy", "check"], policy_dirs={"ETC": etc, "LIB": lib})
    result(rc == 0 and "Policy is valid: 1 file" in out and err == "", "policy check: installed policy is valid",
           (rc, out, err))

    # /etc masks the vendor file: nothing left, still valid
    os.symlink("/dev/null", os.path.join(etc, "50-good.conf"))
    rc, out, err = run(["policy", "check"], policy_dirs={"ETC": etc, "LIB": lib})
    result(rc == 0 and "0 files" in out, "policy check: /dev/null mask", (rc, out, err))

    # errors: exit 1, file:line messages on stderr
    rc, out, err = run(["policy", "check", bad])
    want = [bad + ":6: unknown key Bogus= in [Device d]",
            bad + ":5: Pool=nope in [Device d]: no [Pool nope] is defined"]
    result(rc == 1 and all(w in err for w in want) and "2 errors" in err, "policy check: errors with places",
           (rc, out, err))

    rc, out, err = run(["--json", "policy", "check", bad])
    try:
        j = json.loads(out)
        ok = (rc == 1 and j["valid"] is False and j["errors"] == 2 and
              j["diagnostics"][0] == {"level": "error", "file": bad, "line": 6,
                                      "message": "unknown key Bogus= in [Device d]"})
    except (ValueError, KeyError, IndexError) as e:
        ok, out = False, "%s\n%s" % (e, out)
    result(ok, "policy check --json", (rc, out, err))

    # every shipped example on its own
    for name in sorted(os.listdir(CONF)):
        if name.endswith(".conf"):
            rc, out, err = run(["policy", "check", os.path.join(CONF, name)])
            result(rc == 0 and err == "", "policy check: example %s" % name, (rc, out, err))

    # the examples an operator may combine (all but the demo's) load together
    # from one directory: their section names do not collide
    with tempfile.TemporaryDirectory(prefix="spm-examples-") as etc:
        for name in os.listdir(CONF):
            if name.endswith(".conf") and name != "demo.conf":
                with open(os.path.join(CONF, name)) as src, open(os.path.join(etc, name), "w") as dst:
                    dst.write(src.read())
        rc, out, err = run(["policy", "check"], policy_dirs={"ETC": etc})
        result(rc == 0 and err == "", "policy check: the examples together in one directory", (rc, out, err))

    rc, out, err = run(["policy", "frobnicate"])
    result(rc == 2, "policy: unknown subcommand is a usage error", (rc, out, err))

    # plan: changes pending on the SPM v2 fixture
    good = os.path.join(lib, "50-good.conf")
    rc, out, err = run(["plan", good])
    result(rc == 2 and "mark-device" in out and "bind" in out and "no daemon consulted" in out,
           "plan: changes pending (exit 2)", (rc, out, err))

    rc, out, err = run(["--json", "plan", good])
    try:
        j = json.loads(out)
        steps = [a["step"] for a in j["actions"]]
        ok = (rc == 2 and j["source"] == "kernel" and j["changes"] == len(j["actions"]) > 0 and
              steps == list(range(1, len(steps) + 1)) and
              all(set(a) == {"step", "action", "object", "attribute", "value", "rule", "reason"}
                  for a in j["actions"]) and
              all(a["rule"].startswith(good) or a["rule"] == "default" for a in j["actions"]))
    except (ValueError, KeyError) as e:
        ok, out = False, "%s\n%s" % (e, out)
    result(ok, "plan --json: schema", (rc, out, err))

    # a policy that matches nothing and grants nothing: nothing to do on a
    # host whose cgroups already hold System RAM only
    empty = os.path.join(tmp, "empty.conf")
    with open(empty, "w") as f:
        f.write("[Daemon]\nLogLevel=info\n")
    rc, out, err = run(["plan", empty], fixture="empty")
    result(rc == 0 and "Nothing to do." in out, "plan: nothing to do (exit 0)", (rc, out, err))

    rc, out, err = run(["plan", bad])
    result(rc == 1 and "nothing planned" in err, "plan: a policy with errors plans nothing (exit 1)", (rc, out, err))

print("1..%d" % n)
sys.exit(1 if failed else 0)
