/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Search path, same-name override, /dev/null masks, name order. */

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "macro.h"
#include "paths.h"
#include "policy-load.h"
#include "strutil.h"
#include "tap.h"

static char *etc, *run, *lib;

static void put(const char *dir, const char *name, const char *text) {
        _cleanup_free_ char *p = NULL;
        FILE *f;

        CHECK(asprintf(&p, "%s/%s", dir, name) > 0);
        f = fopen(p, "we");
        CHECK(f);
        if (!f)
                return;
        fputs(text, f);
        fclose(f);
}

static void setup(void) {
        char *base = tap_tmpdir();

        CHECK(asprintf(&etc, "%s/etc", base) > 0);
        CHECK(asprintf(&run, "%s/run", base) > 0);
        CHECK(asprintf(&lib, "%s/lib", base) > 0);
        CHECK(mkdir(etc, 0755) == 0);
        CHECK(mkdir(run, 0755) == 0);
        /* lib stays missing at first: a missing directory is fine */
        setenv("SPM_POLICY_ETC_DIR", etc, 1);
        setenv("SPM_POLICY_RUN_DIR", run, 1);
        setenv("SPM_POLICY_LIB_DIR", lib, 1);
        spm_paths_reset();
}

static char *basenames(char **files) {
        char *out = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&out, &size);

        for (char **i = files; i && *i; i++) {
                const char *dir = startswith(*i, etc) ? "etc" : startswith(*i, run) ? "run" : "lib";
                fprintf(f, "%s%s:%s", i == files ? "" : " ", dir, strrchr(*i, '/') + 1);
        }
        fclose(f);
        return out;
}

static void test_search_path(void) {
        _cleanup_strv_free_ char **files = NULL;
        _cleanup_free_ char *s = NULL;

        CHECK_INT(spm_policy_list_files(NULL, &files), 0);
        CHECK_INT(strv_length(files), 0);
        strv_free(TAKE_PTR(files));

        CHECK(mkdir(lib, 0755) == 0);
        put(lib, "10-vendor.conf", "[Pool vendor]\n");
        put(lib, "50-accel.conf", "[Pool libaccel]\n");
        put(run, "50-accel.conf", "[Pool runaccel]\n");
        put(etc, "50-accel.conf", "[Pool etcaccel]\n");
        put(run, "20-runtime.conf", "[Pool runtime]\n");
        put(etc, "90-local.conf", "[Pool local]\n");
        put(lib, "30-masked.conf", "[Pool masked]\n");
        put(etc, "README", "not a policy\n");
        put(etc, ".hidden.conf", "[Pool hidden]\n");
        {
                _cleanup_free_ char *m = NULL, *d = NULL;
                CHECK(asprintf(&m, "%s/30-masked.conf", etc) > 0);
                CHECK(symlink("/dev/null", m) == 0);
                CHECK(asprintf(&d, "%s/40-dir.conf", etc) > 0);
                CHECK(mkdir(d, 0755) == 0);
        }

        CHECK_INT(spm_policy_list_files(NULL, &files), 0);
        s = basenames(files);
        CHECK_STREQ(s, "lib:10-vendor.conf run:20-runtime.conf etc:50-accel.conf etc:90-local.conf");
}

static void test_load(void) {
        _cleanup_(spm_policy_freep) spm_policy *p = NULL;
        spm_diags d = {};

        /* continues from test_search_path's tree */
        CHECK_INT(spm_policy_load(NULL, &p, &d), 0);
        CHECK(p);
        if (p) {
                CHECK_INT(p->n_pools, 4);
                CHECK_STREQ(p->pools[0].name, "vendor");
                CHECK_STREQ(p->pools[1].name, "runtime");
                CHECK_STREQ(p->pools[2].name, "etcaccel");
                CHECK_STREQ(p->pools[3].name, "local");
                CHECK_INT(strv_length(p->files), 4);
        }
        /* four unused pools: warnings only */
        CHECK_INT(d.n_errors, 0);
        CHECK_INT(d.n_warnings, 4);
        spm_diags_clear(&d);
}

static void test_errors_reject(void) {
        _cleanup_(spm_policy_freep) spm_policy *p = NULL;
        _cleanup_free_ char *msg = NULL, *f = NULL;
        spm_diags d = {};

        /* a duplicate across files is reported with both places */
        put(etc, "95-dup.conf", "# again\n[Pool local]\n");
        CHECK_INT(spm_policy_load(NULL, &p, &d), -EINVAL);
        CHECK(!p);
        CHECK_INT(d.n_errors, 1);
        for (size_t i = 0; i < d.n; i++)
                if (d.items[i].level == SPM_DIAG_ERROR)
                        CHECK_INT(spm_diag_format(&d.items[i], &msg), 0);
        CHECK(asprintf(&f, "%s/95-dup.conf:2: duplicate section [Pool local], first defined at %s/90-local.conf:1", etc, etc) > 0);
        CHECK_STREQ(msg, f);
        spm_diags_clear(&d);
}

static void test_explicit_paths(void) {
        _cleanup_(spm_policy_freep) spm_policy *p = NULL;
        _cleanup_free_ char *file = NULL, *missing = NULL, *msg = NULL, *want = NULL;
        spm_diags d = {};

        CHECK(asprintf(&file, "%s/20-runtime.conf", run) > 0);
        {
                char *paths[] = { file, lib, NULL };
                CHECK_INT(spm_policy_load(paths, &p, &d), 0);
                /* the file, then lib's three files in name order */
                CHECK(p && p->n_pools == 4);
                if (p)
                        CHECK_STREQ(p->pools[2].name, "masked");
                spm_diags_clear(&d);
        }

        CHECK(asprintf(&missing, "%s/nope.conf", etc) > 0);
        {
                _cleanup_(spm_policy_freep) spm_policy *q = NULL;
                char *paths[] = { missing, NULL };
                CHECK_INT(spm_policy_load(paths, &q, &d), -EINVAL);
                CHECK_INT(d.n, 1);
                if (d.n == 1)
                        CHECK_INT(spm_diag_format(&d.items[0], &msg), 0);
                CHECK(asprintf(&want, "%s: cannot read file: No such file or directory", missing) > 0);
                CHECK_STREQ(msg, want);
                spm_diags_clear(&d);
        }
}

/* The shipped examples are valid policies, without warnings. */
static void test_examples(void) {
        static const char *const names[] = {
                "accelerator-memory.conf", "compressed-memory.conf", "demo.conf", "kubernetes.conf", "slow-tier.conf",
        };

        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                _cleanup_(spm_policy_freep) spm_policy *p = NULL;
                _cleanup_free_ char *path = NULL;
                spm_diags d = {};

                CHECK(asprintf(&path, "%s/../conf/%s", tap_srcdir(), names[i]) > 0);
                {
                        char *paths[] = { path, NULL };
                        CHECK_INT(spm_policy_load(paths, &p, &d), 0);
                }
                for (size_t k = 0; k < d.n; k++) {
                        _cleanup_free_ char *s = NULL;
                        if (spm_diag_format(&d.items[k], &s) >= 0)
                                printf("# %s\n", s);
                }
                CHECK_INT(d.n, 0);
                spm_diags_clear(&d);
        }
}

int main(void) {
        setup();
        TEST(test_search_path);
        TEST(test_load);
        TEST(test_errors_reject);
        TEST(test_explicit_paths);
        TEST(test_examples);
        free(etc);
        free(run);
        free(lib);
        return tap_done();
}
