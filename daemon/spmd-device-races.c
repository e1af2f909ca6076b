/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "macro.h"
#include "spmd-device-races.h"
#include "spmd-manager.h"
#include "strutil.h"

static const char *decision(const manager *m) {
        spm_auto_online_mode mode = m->policy ? m->policy->auto_online : SPM_AUTO_ONLINE_TAKEOVER;

        return mode == SPM_AUTO_ONLINE_STEPASIDE ?
                "AutoOnline=stepaside: spmd leaves memory they online with another type as it is and reports it" :
                "AutoOnline=takeover: spmd re-adds memory they online with another type using the policy's type";
}

/* What a rule line does to memory, NULL if nothing we know of. */
static const char *rule_kind(const char *line) {
        if (strstr(line, "daxctl"))
                return "runs daxctl on dax devices";
        if (strstr(line, "SUBSYSTEM==\"memory\"") && strstr(line, "ATTR{state}"))
                return "onlines memory blocks";
        return NULL;
}

static void scan_file(manager *m, const char *path) {
        _cleanup_fclose_ FILE *f = NULL;
        char line[1024];
        unsigned n = 0;

        f = fopen(path, "re");
        if (!f)
                return;
        while (fgets(line, sizeof line, f)) {
                const char *k;

                n++;
                if (line[0] == '#' || !(k = rule_kind(line)))
                        continue;
                log_struct(LOG_NOTICE, LOG_FIELDS("SPM_AGENT=udev"),
                           "Another onlining agent: %s:%u %s; %s.", path, n, k, decision(m));
                return;
        }
}

void spmd_device_races_scan_rules(manager *m) {
        const char *dirs = secure_getenv("SPMD_UDEV_RULES_DIRS") ?:
                "/etc/udev/rules.d:/run/udev/rules.d:/usr/lib/udev/rules.d:/lib/udev/rules.d";
        _cleanup_free_ char *copy = strdup(dirs);
        char *save = NULL;

        if (!copy)
                return;
        for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
                _cleanup_(strv_freep) char **names = NULL;

                if (dir_list_at(AT_FDCWD, d, NULL, &names) < 0 || !names)
                        continue;
                for (char **n = names; *n; n++) {
                        _cleanup_free_ char *p = NULL;

                        if (!endswith(*n, ".rules") || asprintf(&p, "%s/%s", d, *n) < 0)
                                continue;
                        scan_file(m, p);
                }
        }
}

void spmd_device_races_check(manager *m, const spm_topology *t) {
        static int last = -2;

        if ((int) t->auto_online == last)
                return;
        last = (int) t->auto_online;
        if (IN_SET(t->auto_online, SPM_ONLINE_OFFLINE, SPM_ONLINE_INVALID))
                log_debug("auto_online_blocks=%s", t->auto_online == SPM_ONLINE_OFFLINE ? "offline" : "unknown");
        else
                log_struct(LOG_NOTICE, LOG_FIELDS("SPM_AGENT=auto_online_blocks"),
                           "auto_online_blocks=%s: the kernel onlines hot-added memory itself; %s.",
                           spm_online_type_to_string(t->auto_online), decision(m));
}
