/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <ftw.h>

#include "macro.h"
#include "tap.h"

int tap_case_failed;
int tap_n, tap_failed, tap_skipped;

static char *tmpdirs[64];
static size_t n_tmpdirs;

void tap_fail_at(const char *file, int line, const char *fmt, ...) {
        va_list ap;

        tap_case_failed = 1;
        printf("# %s:%d: ", file, line);
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        printf("\n");
        fflush(stdout);
}

void tap_run(const char *name, void (*fn)(void)) {
        tap_case_failed = 0;
        fn();
        tap_n++;
        if (tap_case_failed)
                tap_failed++;
        printf("%s %d - %s\n", tap_case_failed ? "not ok" : "ok", tap_n, name);
        fflush(stdout);
}

void tap_skip(const char *name, const char *why) {
        tap_n++;
        tap_skipped++;
        printf("ok %d - %s # SKIP %s\n", tap_n, name, why);
        fflush(stdout);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        (void) st;
        (void) flag;
        (void) ftw;
        return remove(path);
}

int tap_done(void) {
        for (size_t i = 0; i < n_tmpdirs; i++) {
                nftw(tmpdirs[i], rm_entry, 16, FTW_DEPTH | FTW_PHYS);
                free(tmpdirs[i]);
        }
        printf("1..%d\n", tap_n);
        return tap_failed ? 1 : 0;
}

const char *tap_srcdir(void) {
        const char *s = getenv("SPM_TEST_SRCDIR");
        return s && *s ? s : ".";
}

char *tap_tmpdir(void) {
        char t[] = "/tmp/spm-test-XXXXXX";

        if (!mkdtemp(t) || n_tmpdirs >= ELEMENTSOF(tmpdirs)) {
                fprintf(stderr, "Bail out! cannot create a temporary directory\n");
                exit(2);
        }
        tmpdirs[n_tmpdirs++] = strdup(t);
        return tmpdirs[n_tmpdirs - 1];
}
