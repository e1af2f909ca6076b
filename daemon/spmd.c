/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* spmd: keeps Specific Purpose Memory classified, online and fenced. */

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "macro.h"
#include "spmd-manager.h"

static void help(void) {
        printf("Usage: spmd [OPTIONS...]\n"
               "\n"
               "Watch for dax/CXL memory, classify it by the policy in spm.d(5), and keep\n"
               "it online and fenced off as the policy says.\n"
               "\n"
               "Options:\n"
               "  -h --help                  Show this help\n"
               "     --version               Show the version\n"
               "     --log-level=LEVEL       debug, info, notice, warning, err (default info)\n"
               "     --log-target=TARGET     auto, journal or console (default auto)\n"
               "     --udev-source=SOURCE    udev (after rules, default) or kernel\n"
               "     --once                  Reconcile once and exit\n"
               "     --bus=BUS               system (default), user, or none\n"
               "     --dry-run               Plan but change nothing\n"
               "\n"
               "See spmd(8).\n");
}

static int parse_argv(int argc, char *argv[], manager_config *c, int *level, log_target *target) {
        enum {
                ARG_VERSION = 0x100,
                ARG_LOG_LEVEL,
                ARG_LOG_TARGET,
                ARG_UDEV_SOURCE,
                ARG_ONCE,
                ARG_BUS,
                ARG_DRY_RUN,
        };
        static const struct option options[] = {
                { "help",        no_argument,       NULL, 'h' },
                { "version",     no_argument,       NULL, ARG_VERSION },
                { "log-level",   required_argument, NULL, ARG_LOG_LEVEL },
                { "log-target",  required_argument, NULL, ARG_LOG_TARGET },
                { "udev-source", required_argument, NULL, ARG_UDEV_SOURCE },
                { "once",        no_argument,       NULL, ARG_ONCE },
                { "bus",         required_argument, NULL, ARG_BUS },
                { "dry-run",     no_argument,       NULL, ARG_DRY_RUN },
                {}
        };
        int o;

        while ((o = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (o) {
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("spmd %s\n", PACKAGE_VERSION);
                        return 0;
                case ARG_LOG_LEVEL:
                        *level = log_level_from_string(optarg);
                        if (*level < 0) {
                                fprintf(stderr, "spmd: Invalid log level '%s'.\n", optarg);
                                return -EINVAL;
                        }
                        break;
                case ARG_LOG_TARGET:
                        if (streq(optarg, "auto"))
                                *target = LOG_TARGET_AUTO;
                        else if (streq(optarg, "journal"))
                                *target = LOG_TARGET_JOURNAL;
                        else if (streq(optarg, "console"))
                                *target = LOG_TARGET_CONSOLE;
                        else {
                                fprintf(stderr, "spmd: Invalid log target '%s'.\n", optarg);
                                return -EINVAL;
                        }
                        break;
                case ARG_UDEV_SOURCE:
                        if (streq(optarg, "udev"))
                                c->udev_kernel_source = false;
                        else if (streq(optarg, "kernel"))
                                c->udev_kernel_source = true;
                        else {
                                fprintf(stderr, "spmd: Invalid udev source '%s'.\n", optarg);
                                return -EINVAL;
                        }
                        break;
                case ARG_ONCE:
                        c->once = true;
                        break;
                case ARG_DRY_RUN:
                        c->apply = false;
                        break;
                case ARG_BUS:
                        if (streq(optarg, "system"))
                                c->bus = SPMD_BUS_SYSTEM;
                        else if (streq(optarg, "user"))
                                c->bus = SPMD_BUS_USER;
                        else if (streq(optarg, "none"))
                                c->bus = SPMD_BUS_NONE;
                        else {
                                fprintf(stderr, "spmd: Invalid bus '%s'.\n", optarg);
                                return -EINVAL;
                        }
                        break;
                default:
                        return -EINVAL;
                }

        if (optind < argc) {
                fprintf(stderr, "spmd: This program takes no arguments.\n");
                return -EINVAL;
        }
        return 1;
}

int main(int argc, char *argv[]) {
        _cleanup_(manager_freep) manager *m = NULL;
        manager_config config = { .bus = SPMD_BUS_SYSTEM, .apply = true };
        log_target target = LOG_TARGET_AUTO;
        int level = LOG_INFO, r;

        r = parse_argv(argc, argv, &config, &level, &target);
        if (r <= 0)
                return r == 0 ? EXIT_SUCCESS : 2;

        log_setup(target, level);

        r = manager_new(&config, &m);
        if (r < 0)
                return EXIT_FAILURE;

        r = manager_start(m);
        if (r < 0)
                return EXIT_FAILURE;

        log_debug("spmd %s running.", PACKAGE_VERSION);
        r = manager_run(m);
        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
