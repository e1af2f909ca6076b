/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <systemd/sd-journal.h>

#include "log.h"
#include "macro.h"

int log_max_level_internal = LOG_INFO;
static bool to_journal;

static const char *const level_names[] = {
        "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
};

/* JOURNAL_STREAM is "DEV:INODE" of the stream systemd connected our stderr
 * to; if stderr is still that stream, the journal is listening. */
static bool stderr_is_journal(void) {
        const char *e = getenv("JOURNAL_STREAM");
        unsigned long long dev, ino;
        struct stat st;

        if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2)
                return false;
        if (fstat(STDERR_FILENO, &st) < 0)
                return false;
        return (unsigned long long) st.st_dev == dev && (unsigned long long) st.st_ino == ino;
}

void log_setup(log_target target, int level) {
        log_max_level_internal = level;
        switch (target) {
        case LOG_TARGET_JOURNAL:
                to_journal = true;
                break;
        case LOG_TARGET_CONSOLE:
                to_journal = false;
                break;
        default:
                to_journal = stderr_is_journal();
        }
}

void log_set_max_level(int level) {
        log_max_level_internal = level;
}

int log_get_max_level(void) {
        return log_max_level_internal;
}

int log_level_from_string(const char *s) {
        for (size_t i = 0; i < ELEMENTSOF(level_names); i++)
                if (streq(s, level_names[i]))
                        return (int) i;
        if (streq(s, "error"))
                return LOG_ERR;
        if (s[0] >= '0' && s[0] <= '7' && s[1] == 0)
                return s[0] - '0';
        return -EINVAL;
}

const char *log_level_to_string(int level) {
        if (level < 0 || level >= (int) ELEMENTSOF(level_names))
                return NULL;
        return level_names[level];
}

#define MAX_FIELDS 16

static int emit(int level, int error, const char *const *fields, const char *message) {
        if (to_journal) {
                struct iovec iov[MAX_FIELDS + 4];
                char prio[32], err[32], *msg = NULL;
                size_t n = 0;

                if (asprintf(&msg, "MESSAGE=%s", message) < 0)
                        return error;
                snprintf(prio, sizeof prio, "PRIORITY=%d", level);
                iov[n++] = (struct iovec) { msg, strlen(msg) };
                iov[n++] = (struct iovec) { prio, strlen(prio) };
                if (error != 0) {
                        snprintf(err, sizeof err, "ERRNO=%d", -error);
                        iov[n++] = (struct iovec) { err, strlen(err) };
                }
                for (size_t i = 0; fields && fields[i] && i < MAX_FIELDS; i++)
                        iov[n++] = (struct iovec) { (void *) fields[i], strlen(fields[i]) };

                /* If the journal socket is gone, fall through to stderr so
                 * nothing is lost. */
                if (sd_journal_sendv(iov, (int) n) >= 0) {
                        free(msg);
                        return error;
                }
                free(msg);
        }

        fprintf(stderr, "spmd: %s\n", message);
        return error;
}

int log_fullv(int level, int error, const char *const *fields, const char *fmt, va_list ap) {
        char *message = NULL;
        int saved = errno;

        if (level > log_max_level_internal)
                return error;

        /* %m means the error passed in, not whatever errno holds now */
        errno = error < 0 ? -error : error;
        if (vasprintf(&message, fmt, ap) < 0) {
                errno = saved;
                return error;
        }
        errno = saved;

        emit(level, error, fields, message);
        free(message);
        return error;
}

int log_full(int level, int error, const char *const *fields, const char *fmt, ...) {
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = log_fullv(level, error, fields, fmt, ap);
        va_end(ap);
        return r;
}
