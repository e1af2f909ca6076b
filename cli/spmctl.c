/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* spmctl: query and change SPM memory classification, grants and policy. */

#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "spmctl.h"

typedef struct verb {
        const char *name;
        int min_args, max_args;     /* not counting the verb itself */
        spmctl_verb_fn fn;
        const char *synopsis;
        const char *help;
} verb;

static const verb verbs[] = {
        { "status",  0, 0, verb_status,  "status",  "Show kernel features and a summary of SPM memory" },
        { "nodes",   0, 0, verb_nodes,   "nodes",   "List NUMA nodes and their class" },
        { "devices", 0, 0, verb_devices, "devices", "List dax devices and their memory" },
        { "cgroups", 0, 1, verb_cgroups, "cgroups [PATH]", "List cgroups, their memory masks and the rule for each" },
        { "policy",  1, INT_MAX, verb_policy, "policy check [PATH...]", "Validate policy files (default: the installed ones)" },
        { "plan",    0, INT_MAX, verb_plan,   "plan [PATH...]", "Show what the policy would change on this host" },
        { "classify", 2, 3, verb_classify, "classify DEVICE CLASS [POOL]", "Classify a device (spm POOL, sysram, ignore)" },
        { "offline", 1, 1, verb_offline, "offline DEVICE", "Take a device's memory away and keep it away" },
        { "online",  1, 1, verb_online,  "online DEVICE",  "Hand an offlined device back to the policy" },
        { "grant",   2, INT_MAX, verb_grant,  "grant CGROUP POOL...", "Let a cgroup (or --unit) use SPM pools" },
        { "revoke",  2, INT_MAX, verb_revoke, "revoke CGROUP POOL...", "Take SPM pools away from a cgroup (or --unit)" },
        { "verify",  0, 0, verb_verify,  "verify",  "Check that the host is what the policy says" },
        { "reload",  0, 0, verb_reload,  "reload",  "Make spmd re-read the policy and resync" },
        { "monitor", 0, 0, verb_monitor, "monitor", "Follow spmd's signals until interrupted" },
};

int spmctl_error(const char *fmt, ...) {
        va_list ap;

        fputs("spmctl: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        return SPMCTL_EXIT_FAILURE;
}

static void help(FILE *f) {
        fprintf(f,
                "Usage: spmctl [OPTIONS...] COMMAND ...\n"
                "\n"
                "Query and control Specific Purpose Memory (SPM) on this host.\n"
                "\n"
                "Commands:\n");
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                fprintf(f, "  %-30s %s\n", verbs[i].synopsis, verbs[i].help);
        fprintf(f,
                "\n"
                "Options:\n"
                "  -h --help                Show this help\n"
                "     --version             Show the version\n"
                "     --json                Print JSON (schema in spmctl(8))\n"
                "     --no-legend           Print tables without header lines\n"
                "     --user                Talk to spmd on the user bus\n"
                "     --no-ask-password     Do not ask for a password to authorize\n"
                "     --runtime             Make changes last until reboot only\n"
                "     --unit                grant/revoke: the target is a systemd unit\n"
                "     --online=TYPE         classify: online_movable, online_kernel or online\n"
                "\n"
                "Without a running daemon, read-only commands read the kernel's\n"
                "state directly and say so. See spmctl(8).\n");
}

/* Returns 1 to go on, 0 to exit successfully, <0 on a usage error. */
static int parse_argv(int argc, char *argv[], spmctl_context *ctx) {
        enum {
                ARG_VERSION = 0x100,
                ARG_JSON,
                ARG_NO_LEGEND,
                ARG_USER,
                ARG_NO_ASK_PASSWORD,
                ARG_RUNTIME,
                ARG_UNIT,
                ARG_ONLINE,
        };
        static const struct option options[] = {
                { "help",      no_argument, NULL, 'h' },
                { "version",   no_argument, NULL, ARG_VERSION },
                { "json",      no_argument, NULL, ARG_JSON },
                { "no-legend", no_argument, NULL, ARG_NO_LEGEND },
                { "user",      no_argument, NULL, ARG_USER },
                { "no-ask-password", no_argument, NULL, ARG_NO_ASK_PASSWORD },
                { "runtime",   no_argument, NULL, ARG_RUNTIME },
                { "unit",      no_argument, NULL, ARG_UNIT },
                { "online",    required_argument, NULL, ARG_ONLINE },
                {}
        };
        int c;

        /* "+" stops at the first non-option: the verb's own arguments are
         * left for the verb. */
        while ((c = getopt_long(argc, argv, "+h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help(stdout);
                        return 0;
                case ARG_VERSION:
                        printf("spmctl %s\n", PACKAGE_VERSION);
                        return 0;
                case ARG_JSON:
                        ctx->json = true;
                        break;
                case ARG_NO_LEGEND:
                        ctx->legend = false;
                        break;
                case ARG_USER:
                        ctx->user_bus = true;
                        break;
                case ARG_NO_ASK_PASSWORD:
                        ctx->ask_password = false;
                        break;
                case ARG_RUNTIME:
                        ctx->runtime = true;
                        break;
                case ARG_UNIT:
                        ctx->unit = true;
                        break;
                case ARG_ONLINE:
                        ctx->online = optarg;
                        break;
                case '?':
                        return -EINVAL;
                default:
                        return -EINVAL;
                }
        return 1;
}

int main(int argc, char *argv[]) {
        spmctl_context ctx = { .legend = true, .ask_password = true };
        const verb *v = NULL;
        int r, n;

        r = parse_argv(argc, argv, &ctx);
        if (r <= 0)
                return r == 0 ? SPMCTL_EXIT_OK : SPMCTL_EXIT_USAGE;

        if (optind >= argc) {
                help(stderr);
                return SPMCTL_EXIT_USAGE;
        }

        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (streq(verbs[i].name, argv[optind]))
                        v = &verbs[i];
        if (!v) {
                spmctl_error("Unknown command '%s'. See 'spmctl --help'.", argv[optind]);
                return SPMCTL_EXIT_USAGE;
        }

        n = argc - optind - 1;
        if (n < v->min_args || n > v->max_args) {
                spmctl_error("'%s' takes %s arguments. Usage: spmctl %s",
                             v->name, n < v->min_args ? "more" : "fewer", v->synopsis);
                return SPMCTL_EXIT_USAGE;
        }

        r = v->fn(argc - optind, argv + optind, &ctx);
        if (fflush(stdout) != 0 || ferror(stdout))
                return spmctl_error("Could not write output: %m");
        return r;
}
