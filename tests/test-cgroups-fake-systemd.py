#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A small stand-in for systemd's manager object, for tests/test-cgroups.py.

It owns org.freedesktop.systemd1 on the bus in DBUS_SESSION_BUS_ADDRESS and
implements what spmd uses: Subscribe() and SetUnitProperties() with
AllowedMemoryNodes, which it applies as systemd does, by writing the unit
cgroup's cpuset.mems below SPM_CGROUP_ROOT (it refuses init.scope, to
exercise spmd's fallback). Every call is appended to the
log file given as the first argument (one JSON object per line).

For the tests it also offers org.spmd.test.FakeSystemd:
  Reapply(s unit, s mems)  rewrite the unit's cpuset.mems as a re-apply of
                           its unit file would, then emit Reloading(true)
                           and Reloading(false);
  NewUnit(s path)          create the cgroup and emit UnitNew.
"""

import json
import os
import sys

import dbus
import dbus.service
from dbus.mainloop.glib import DBusGMainLoop
from gi.repository import GLib

NAME = "org.freedesktop.systemd1"
PATH = "/org/freedesktop/systemd1"
MANAGER = "org.freedesktop.systemd1.Manager"
TEST = "org.spmd.test.FakeSystemd"
ROOT = os.environ["SPM_CGROUP_ROOT"]
LOG = sys.argv[1]


class NoSuchUnit(dbus.DBusException):
    _dbus_error_name = "org.freedesktop.systemd1.NoSuchUnit"


class InvalidArgs(dbus.DBusException):
    _dbus_error_name = "org.freedesktop.DBus.Error.InvalidArgs"


def unit_dir(unit):
    for top, dirs, _files in os.walk(ROOT):
        if unit in dirs:
            return os.path.join(top, unit)
    return None


def write_mems(d, value):
    fd = os.open(os.path.join(d, "cpuset.mems"), os.O_WRONLY)
    try:
        os.write(fd, value.encode() if value else b"\n")
    finally:
        os.close(fd)


def mask_to_list(data):
    nodes = [i * 8 + b for i, byte in enumerate(data) for b in range(8) if byte & (1 << b)]
    return ",".join(str(n) for n in nodes)


def record(**what):
    with open(LOG, "a") as f:
        f.write(json.dumps(what) + "\n")


class Manager(dbus.service.Object):
    @dbus.service.method(MANAGER, in_signature="", out_signature="")
    def Subscribe(self):
        record(call="Subscribe")

    @dbus.service.method(MANAGER, in_signature="sba(sv)", out_signature="")
    def SetUnitProperties(self, unit, runtime, props):
        d = unit_dir(str(unit))
        values = {}
        for key, value in props:
            if key == "AllowedMemoryNodes":
                values[str(key)] = mask_to_list(bytes(value))
        record(call="SetUnitProperties", unit=str(unit), runtime=bool(runtime), props=values,
               sig=props.signature if hasattr(props, "signature") else None)
        if d is None:
            raise NoSuchUnit("Unit %s not loaded." % unit)
        if str(unit) == "init.scope":
            # refuses, as a systemd may for a unit it keeps to itself
            raise InvalidArgs("Cannot set properties of init.scope.")
        if "AllowedMemoryNodes" in values:
            write_mems(d, values["AllowedMemoryNodes"])

    @dbus.service.signal(MANAGER, signature="b")
    def Reloading(self, active):
        pass

    @dbus.service.signal(MANAGER, signature="so")
    def UnitNew(self, unit, path):
        pass

    @dbus.service.method(TEST, in_signature="ss", out_signature="")
    def Reapply(self, unit, mems):
        self.Reloading(True)
        write_mems(unit_dir(str(unit)), str(mems))
        self.Reloading(False)

    @dbus.service.method(TEST, in_signature="s", out_signature="")
    def NewUnit(self, path):
        os.mkdir(os.path.join(ROOT, str(path)))
        unit = os.path.basename(str(path))
        self.UnitNew(unit, PATH + "/unit/" + unit.replace(".", "_2e").replace("-", "_2d"))


def main():
    DBusGMainLoop(set_as_default=True)
    bus = dbus.bus.BusConnection(os.environ["DBUS_SESSION_BUS_ADDRESS"])
    Manager(bus, PATH)
    bus.request_name(NAME)
    GLib.MainLoop().run()


if __name__ == "__main__":
    main()
