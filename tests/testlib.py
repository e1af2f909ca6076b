# SPDX-License-Identifier: LGPL-2.1-or-later
"""Helpers shared by the Python integration tests."""

import json
import os
import subprocess
import time


class PrivateBus:
    """A private dbus-daemon (session type) listening in directory d, which
    any user may connect to (the authorization tests call as uid 65534)."""

    def __init__(self, d):
        conf = os.path.join(d, "bus.conf")
        with open(conf, "w") as f:
            f.write("""<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir=%s</listen>
  <policy context="default">
    <allow user="*"/>
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
""" % d)
        self.proc = subprocess.Popen(["dbus-daemon", "--config-file=" + conf, "--nofork", "--print-address=1"],
                                     stdout=subprocess.PIPE, text=True)
        self.address = self.proc.stdout.readline().strip()

    def busctl(self, *args):
        """busctl --json=short on this bus: (returncode, parsed output, stderr)."""
        p = subprocess.run(["busctl", "--address=" + self.address, "--json=short"] + list(args),
                           capture_output=True, text=True, timeout=30)
        data = None
        if p.returncode == 0 and p.stdout.strip():
            try:
                data = json.loads(p.stdout)
            except ValueError:
                data = p.stdout
        return p.returncode, data, p.stderr

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)


def wait_for(cond, timeout=10.0, step=0.05):
    """Poll cond until it is true or the time is up; its last answer."""
    end = time.time() + timeout
    while time.time() < end:
        if cond():
            return True
        time.sleep(step)
    return cond()
