/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Daemon logging. Under systemd (JOURNAL_STREAM names our stderr) messages
 * go to the journal with structured fields; otherwise to stderr as
 * "spmd: message". The *_errno variants take a negative errno, put it in
 * ERRNO= and %m, and return it, so error paths read
 *
 *         return log_error_errno(r, "Failed to online '%s': %m", dev);
 *
 * Per-object fields ride along as extra "KEY=value" strings:
 *
 *         log_struct(LOG_INFO, LOG_FIELDS("SPM_DEVICE=dax0.0", "SPM_NODE=2"),
 *                    "Device '%s' is online", "dax0.0");
 */

#include <stdarg.h>
#include <stdbool.h>
#include <syslog.h>

typedef enum log_target {
        LOG_TARGET_AUTO,            /* journal when JOURNAL_STREAM matches stderr */
        LOG_TARGET_JOURNAL,
        LOG_TARGET_CONSOLE,
} log_target;

void log_setup(log_target target, int max_level);
void log_set_max_level(int level);
int log_get_max_level(void);
int log_level_from_string(const char *s);  /* "debug".."emerg" or 0-7; -EINVAL */
const char *log_level_to_string(int level);

/*
 * Log a message with optional structured fields. fields is a NULL-terminated
 * array of "KEY=value" strings (or NULL). error is a negative errno or 0.
 * Returns error (so callers can return it), or 0 when error is 0.
 */
int log_fullv(int level, int error, const char *const *fields, const char *fmt, va_list ap)
        __attribute__((format(printf, 4, 0)));
int log_full(int level, int error, const char *const *fields, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

/* Messages above the level are dropped before their arguments are even
 * evaluated: a pass that writes thousands of cgroups has a debug line
 * for each. */
extern int log_max_level_internal;
#define log_debug(...)                                                          \
        (log_max_level_internal >= LOG_DEBUG ? log_full(LOG_DEBUG, 0, NULL, __VA_ARGS__) : 0)
#define log_info(...)    log_full(LOG_INFO, 0, NULL, __VA_ARGS__)
#define log_notice(...)  log_full(LOG_NOTICE, 0, NULL, __VA_ARGS__)
#define log_warning(...) log_full(LOG_WARNING, 0, NULL, __VA_ARGS__)
#define log_error(...)   log_full(LOG_ERR, 0, NULL, __VA_ARGS__)

#define log_debug_errno(e, ...)                                                 \
        (log_max_level_internal >= LOG_DEBUG ? log_full(LOG_DEBUG, (e), NULL, __VA_ARGS__) : (e))
#define log_info_errno(e, ...)    log_full(LOG_INFO, (e), NULL, __VA_ARGS__)
#define log_warning_errno(e, ...) log_full(LOG_WARNING, (e), NULL, __VA_ARGS__)
#define log_error_errno(e, ...)   log_full(LOG_ERR, (e), NULL, __VA_ARGS__)

/* Structured: log_struct(level, LOG_FIELDS("KEY=v", ...), fmt, ...) */
#define LOG_FIELDS(...) ((const char *const[]) { __VA_ARGS__, NULL })
#define log_struct(level, fields, ...) log_full((level), 0, (fields), __VA_ARGS__)
#define log_struct_errno(level, e, fields, ...) log_full((level), (e), (fields), __VA_ARGS__)

/* Message IDs for the key actions (journalctl MESSAGE_ID=...). */
#define SPM_MESSAGE_DEVICE_ONLINE   "MESSAGE_ID=5b0e0cb3a8a54f3f9d3a1c7b8e2f6a01"
#define SPM_MESSAGE_DEVICE_FAILED   "MESSAGE_ID=5b0e0cb3a8a54f3f9d3a1c7b8e2f6a02"
#define SPM_MESSAGE_NEEDS_REBOOT    "MESSAGE_ID=5b0e0cb3a8a54f3f9d3a1c7b8e2f6a03"
#define SPM_MESSAGE_POLICY_APPLIED  "MESSAGE_ID=5b0e0cb3a8a54f3f9d3a1c7b8e2f6a04"
#define SPM_MESSAGE_POLICY_REJECTED "MESSAGE_ID=5b0e0cb3a8a54f3f9d3a1c7b8e2f6a05"
