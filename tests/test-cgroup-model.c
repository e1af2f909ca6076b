/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The cgroup model kept across passes: the path index, patching by
 * writes, removals, subtrees read again, directories rescanned, and the
 * root's files not read twice. */

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup-model.h"
#include "macro.h"
#include "tap.h"

static char *root;

static void put(const char *rel, const char *text) {
        _cleanup_free_ char *p = NULL;
        FILE *f;

        CHECK(asprintf(&p, "%s/%s", root, rel) > 0);
        f = fopen(p, "we");
        CHECK(f);
        if (f) {
                fputs(text, f);
                fclose(f);
        }
}

static void cgroup(const char *rel, const char *mems) {
        _cleanup_free_ char *p = NULL, *m = NULL, *e = NULL, *c = NULL;

        CHECK(asprintf(&p, "%s/%s", root, rel) > 0);
        CHECK(mkdir(p, 0755) == 0);
        CHECK(asprintf(&m, "%s/cpuset.mems", rel) > 0);
        CHECK(asprintf(&e, "%s/cpuset.mems.effective", rel) > 0);
        CHECK(asprintf(&c, "%s/cgroup.procs", rel) > 0);
        put(m, mems);
        put(e, "0-1\n");
        put(c, "");
}

static void rm_cgroup(const char *rel) {
        static const char *const files[] = { "cpuset.mems", "cpuset.mems.effective", "cgroup.procs" };
        _cleanup_free_ char *p = NULL;

        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                _cleanup_free_ char *f = NULL;

                CHECK(asprintf(&f, "%s/%s/%s", root, rel, files[i]) > 0);
                (void) unlink(f);
        }
        CHECK(asprintf(&p, "%s/%s", root, rel) > 0);
        CHECK(rmdir(p) == 0);
}

/* Every cgroup is found under its own path, and parents come first. */
static void check_consistent(const spm_cgroup_model *m) {
        for (size_t i = 0; i < m->tree->n; i++) {
                const spm_cgroup *g = &m->tree->cgroups[i];

                CHECK_INT(spm_cgroup_model_find(m, g->path), (int) i);
                if (i > 0)
                        CHECK(g->parent >= 0 && (size_t) g->parent < i &&
                              g->depth == m->tree->cgroups[g->parent].depth + 1);
        }
}

static void test_model(void) {
        _cleanup_(spm_cgroup_model_freep) spm_cgroup_model *m = NULL;
        spm_cgroup_tree *t = NULL;
        spm_cpuset rootcs = {};
        spm_nodemask mask;
        int i, n;

        root = tap_tmpdir();
        CHECK_INT(setenv("SPM_CGROUP_ROOT", root, 1), 0);
        put("cgroup.controllers", "cpuset\n");
        put("cpuset.mems.effective", "0-1\n");
        cgroup("a", "\n");
        cgroup("a/x", "0\n");
        cgroup("a/x/deep", "\n");
        cgroup("b", "1\n");

        /* the root's files as the caller read them: not read again */
        CHECK_INT(spm_nodemask_parse("0-2", &rootcs.effective, NULL), 0);
        rootcs.effective_present = true;
        CHECK_INT(spm_cgroup_tree_load_with_root(&rootcs, &t), 0);
        if (!t)
                return;
        CHECK_MASK(t->cgroups[0].cpuset->effective, "0-2");
        CHECK_INT(t->n, 5);
        CHECK_INT(spm_cgroup_model_new(t, &m), 0);
        if (!m)
                return;
        check_consistent(m);
        CHECK_INT(spm_cgroup_model_find(m, "nope"), -ENOENT);

        /* a write lands in the model */
        i = spm_cgroup_model_find(m, "a/x/deep");
        CHECK(i > 0);
        CHECK_INT(spm_nodemask_parse("0", &mask, NULL), 0);
        spm_cgroup_model_set_mems(m, i, &mask);
        CHECK_MASK(m->tree->cgroups[i].cpuset->mems, "0");

        /* a new cgroup with a child created before anyone looked */
        cgroup("a/new", "\n");
        cgroup("a/new/kid", "1\n");
        n = (int) m->tree->n;
        i = spm_cgroup_model_load(m, "a/new");
        CHECK(i > 0);
        CHECK_INT(m->tree->n, (size_t) n + 2);
        i = spm_cgroup_model_find(m, "a/new/kid");
        CHECK(i > 0);
        if (i > 0)
                CHECK_MASK(m->tree->cgroups[i].cpuset->mems, "1");
        check_consistent(m);

        /* a file is no cgroup */
        put("a/notes", "x\n");
        CHECK_INT(spm_cgroup_model_load(m, "a/notes"), -ESRCH);
        CHECK_INT(spm_cgroup_model_find(m, "a/notes"), -ENOENT);

        /* its parent unknown: the caller must look further up */
        CHECK_INT(spm_cgroup_model_load(m, "zz/top"), -ENOENT);
        /* gone: dropped, with its subtree */
        rm_cgroup("a/x/deep");
        rm_cgroup("a/x");
        CHECK_INT(spm_cgroup_model_load(m, "a/x"), -ESRCH);
        CHECK_INT(spm_cgroup_model_find(m, "a/x"), -ENOENT);
        CHECK_INT(spm_cgroup_model_find(m, "a/x/deep"), -ENOENT);
        CHECK_INT(m->tree->n, 5);
        check_consistent(m);

        /* a rescan finds what came and went */
        cgroup("b/one", "\n");
        cgroup("b/two", "\n");
        cgroup("b/two/inner", "\n");
        i = spm_cgroup_model_find(m, "b");
        CHECK_INT(spm_cgroup_model_rescan(m, i), 2);
        CHECK(spm_cgroup_model_find(m, "b/two/inner") > 0);
        rm_cgroup("b/one");
        CHECK_INT(spm_cgroup_model_rescan(m, spm_cgroup_model_find(m, "b")), 1);
        CHECK_INT(spm_cgroup_model_find(m, "b/one"), -ENOENT);
        CHECK_INT(spm_cgroup_model_rescan(m, spm_cgroup_model_find(m, "b")), 0);
        check_consistent(m);

        /* files read again; gone means dropped */
        put("b/cpuset.mems", "0-1\n");
        i = spm_cgroup_model_find(m, "b");
        CHECK_INT(spm_cgroup_model_reread(m, i), i);
        CHECK_MASK(m->tree->cgroups[i].cpuset->mems, "0-1");
        rm_cgroup("b/two/inner");
        i = spm_cgroup_model_find(m, "b/two/inner");
        CHECK_INT(spm_cgroup_model_reread(m, i), -ESRCH);
        CHECK_INT(spm_cgroup_model_find(m, "b/two/inner"), -ENOENT);

        /* removing below the root only */
        CHECK_INT(spm_cgroup_model_remove(m, 0), -EINVAL);
        CHECK_INT(spm_cgroup_model_remove(m, spm_cgroup_model_find(m, "a")), 0);
        CHECK_INT(spm_cgroup_model_find(m, "a/new/kid"), -ENOENT);
        check_consistent(m);
}

/* Thousands of cgroups: the index finds every one, before and after
 * subtrees are dropped from the middle. */
static void test_many(void) {
        _cleanup_(spm_cgroup_model_freep) spm_cgroup_model *m = NULL;
        spm_cgroup_tree *t = NULL;
        char name[32];
        int k;

        CHECK_INT(spm_cgroup_tree_new(NULL, &t), 0);
        if (!t)
                return;
        for (unsigned i = 0; i < 40; i++) {
                snprintf(name, sizeof name, "p%u", i);
                k = spm_cgroup_tree_add(t, 0, name, NULL);
                for (unsigned j = 0; j < 50 && k > 0; j++) {
                        snprintf(name, sizeof name, "c%u", j);
                        CHECK(spm_cgroup_tree_add(t, k, name, NULL) > 0);
                }
        }
        CHECK_INT(spm_cgroup_model_new(t, &m), 0);
        if (!m)
                return;
        CHECK_INT(m->tree->n, 1 + 40 + 40 * 50);
        check_consistent(m);
        CHECK_INT(spm_cgroup_model_remove(m, spm_cgroup_model_find(m, "p7")), 0);
        CHECK_INT(spm_cgroup_model_remove(m, spm_cgroup_model_find(m, "p39/c49")), 0);
        CHECK_INT(m->tree->n, 1 + 39 + 39 * 50 - 1);
        CHECK_INT(spm_cgroup_model_find(m, "p7/c3"), -ENOENT);
        CHECK(spm_cgroup_model_find(m, "p8/c3") > 0);
        check_consistent(m);
}

int main(void) {
        TEST(test_model);
        TEST(test_many);
        return tap_done();
}
