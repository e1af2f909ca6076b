# SPDX-License-Identifier: LGPL-2.1-or-later
"""TAP output for the Python integration tests (meson protocol 'tap')."""

import sys


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def result(self, ok, name, diag=None):
        """Record one case; on failure print diag as TAP diagnostics."""
        self.n += 1
        if not ok:
            self.failed += 1
            if diag is not None:
                for line in str(diag).splitlines():
                    print("# " + line)
        print(("ok" if ok else "not ok") + " %d - %s" % (self.n, name))
        sys.stdout.flush()

    def done(self):
        print("1..%d" % self.n)
        return 1 if self.failed else 0
