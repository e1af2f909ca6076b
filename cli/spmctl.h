/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

/* Exit codes, as spmctl(8) documents them. */
enum {
        SPMCTL_EXIT_OK = 0,
        SPMCTL_EXIT_FAILURE = 1,
        SPMCTL_EXIT_USAGE = 2,
        SPMCTL_EXIT_CHANGES = 2,    /* plan: changes pending */
};

typedef struct spmctl_context {
        bool json;
        bool legend;                /* print table headers and footers */
        bool user_bus;              /* talk to spmd on the user bus */
        bool ask_password;          /* allow interactive polkit authentication */
        bool runtime;               /* changes last until reboot only */
        bool unit;                  /* grant/revoke name a systemd unit */
        const char *online;         /* classify: online type, NULL: default */
} spmctl_context;

/* A verb gets argv with argv[0] = the verb name and returns the exit code. */
typedef int (*spmctl_verb_fn)(int argc, char *argv[], spmctl_context *ctx);

int verb_status(int argc, char *argv[], spmctl_context *ctx);
int verb_nodes(int argc, char *argv[], spmctl_context *ctx);
int verb_devices(int argc, char *argv[], spmctl_context *ctx);
int verb_cgroups(int argc, char *argv[], spmctl_context *ctx);
int verb_policy(int argc, char *argv[], spmctl_context *ctx);
int verb_plan(int argc, char *argv[], spmctl_context *ctx);
int verb_reload(int argc, char *argv[], spmctl_context *ctx);
int verb_monitor(int argc, char *argv[], spmctl_context *ctx);
int verb_classify(int argc, char *argv[], spmctl_context *ctx);
int verb_online(int argc, char *argv[], spmctl_context *ctx);
int verb_offline(int argc, char *argv[], spmctl_context *ctx);
int verb_grant(int argc, char *argv[], spmctl_context *ctx);
int verb_revoke(int argc, char *argv[], spmctl_context *ctx);
int verb_verify(int argc, char *argv[], spmctl_context *ctx);

/* The daemon's part of "status": printed (or written to w as one JSON
 * value when w is given). 1 printed, 0 spmd not running, <0 error. */
struct json_writer;
int spmctl_daemon_status(spmctl_context *ctx, struct json_writer *w);

/* Policy helpers shared by "policy check" and "plan" (spmctl-policy.c). */
struct spm_policy;
struct spm_diags;
int spmctl_load_policy(char **paths, struct spm_policy **ret, struct spm_diags *d);
void spmctl_print_diags(const struct spm_diags *d);

/* Print "spmctl: <message>" to stderr; returns SPMCTL_EXIT_FAILURE. */
int spmctl_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
