/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "attr.h"
#include "macro.h"
#include "tap.h"

static char *dir;

static char *put(const char *name, const void *data, size_t len) {
        char *p = NULL;
        int fd;

        if (asprintf(&p, "%s/%s", dir, name) < 0)
                abort();
        fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0 || write(fd, data, len) != (ssize_t) len)
                abort();
        close(fd);
        return p;
}

#define PUT(name, s) put(name, s, strlen(s))

static void test_read_strips_one_newline(void) {
        _cleanup_free_ char *p1 = PUT("a", "online\n"), *p2 = PUT("b", "x\n\n"), *p3 = PUT("c", ""),
                            *p4 = PUT("d", "\n"), *v = NULL;

        CHECK_INT(spm_attr_read(p1, &v), 0);
        CHECK_STREQ(v, "online");
        v = mfree(v);
        CHECK_INT(spm_attr_read(p2, &v), 0);
        CHECK_STREQ(v, "x\n");
        v = mfree(v);
        CHECK_INT(spm_attr_read(p3, &v), 0);
        CHECK_STREQ(v, "");
        v = mfree(v);
        CHECK_INT(spm_attr_read(p4, &v), 0);   /* the kernel's empty node list */
        CHECK_STREQ(v, "");
}

static void test_read_errors(void) {
        _cleanup_free_ char *missing = NULL, *nul = NULL, *big = NULL, *v = NULL;
        char *huge;

        CHECK(asprintf(&missing, "%s/nope", dir) > 0);
        CHECK_INT(spm_attr_read(missing, &v), -ENOENT);
        CHECK(v == NULL);

        nul = put("nul", "1\0002\n", 4);
        CHECK_INT(spm_attr_read(nul, &v), -EBADMSG);
        CHECK(v == NULL);

        CHECK_INT(spm_attr_read(dir, &v), -EISDIR);

        huge = malloc(SPM_ATTR_MAX_SIZE + 10);
        memset(huge, 'a', SPM_ATTR_MAX_SIZE + 10);
        big = put("big", huge, SPM_ATTR_MAX_SIZE + 10);
        free(huge);
        CHECK_INT(spm_attr_read(big, &v), -EFBIG);
        CHECK(v == NULL);
}

static void test_read_large_multi_page(void) {
        _cleanup_free_ char *p = NULL, *v = NULL;
        char *data = malloc(20000);

        memset(data, 'z', 20000);
        data[19999] = '\n';
        p = put("multi", data, 20000);
        free(data);
        CHECK_INT(spm_attr_read(p, &v), 0);
        CHECK_INT(v ? strlen(v) : 0, 19999);
}

static void test_typed_reads(void) {
        uint64_t u = 99;
        int i = 99;
        bool b = false;
        spm_nodemask m;
        _cleanup_free_ char *p1 = PUT("dec", "1071644672\n"), *p2 = PUT("hex0x", "0x240000000\n"),
                            *p3 = PUT("hexbare", "8000000\n"), *p4 = PUT("neg", "-1\n"),
                            *p5 = PUT("garbage", "banana\n"), *p6 = PUT("huge", "99999999999999999999999\n"),
                            *p7 = PUT("empty", "\n"), *p8 = PUT("bool1", "1\n"), *p9 = PUT("bool2", "2\n"),
                            *p10 = PUT("list", "0-2\n"), *p11 = PUT("badlist", "0-2,\n"),
                            *p12 = PUT("trail", "12abc\n"), *p13 = PUT("intbig", "4294967296\n"),
                            *p14 = PUT("plus", "+5\n");

        CHECK_INT(spm_attr_read_u64_at(AT_FDCWD, p1, &u), 0);
        CHECK_U64(u, 1071644672);
        CHECK_INT(spm_attr_read_hex_at(AT_FDCWD, p2, &u), 0);
        CHECK_U64(u, 0x240000000);
        CHECK_INT(spm_attr_read_hex_at(AT_FDCWD, p3, &u), 0);   /* block_size_bytes */
        CHECK_U64(u, 0x8000000);
        CHECK_INT(spm_attr_read_int_at(AT_FDCWD, p4, &i), 0);
        CHECK_INT(i, -1);

        u = 7;
        CHECK_INT(spm_attr_read_u64_at(AT_FDCWD, p4, &u), -EINVAL); /* no sign for unsigned */
        CHECK_INT(spm_attr_read_u64_at(AT_FDCWD, p5, &u), -EINVAL);
        CHECK_INT(spm_attr_read_u64_at(AT_FDCWD, p6, &u), -ERANGE);
        CHECK_INT(spm_attr_read_u64_at(AT_FDCWD, p7, &u), -ENODATA);
        CHECK_INT(spm_attr_read_u64_at(AT_FDCWD, p12, &u), -EINVAL);
        CHECK_INT(spm_attr_read_u64_at(AT_FDCWD, p14, &u), -EINVAL);
        CHECK_U64(u, 7);   /* untouched on error */
        CHECK_INT(spm_attr_read_int_at(AT_FDCWD, p13, &i), -ERANGE);
        CHECK_INT(spm_attr_read_int_at(AT_FDCWD, p6, &i), -ERANGE);
        CHECK_INT(spm_attr_read_hex_at(AT_FDCWD, p5, &u), -EINVAL); /* "banana" is not hex: 'n' */

        CHECK_INT(spm_attr_read_bool_at(AT_FDCWD, p8, &b), 0);
        CHECK(b);
        CHECK_INT(spm_attr_read_bool_at(AT_FDCWD, p9, &b), -EINVAL);

        CHECK_INT(spm_attr_read_nodemask_at(AT_FDCWD, p10, &m), 0);
        CHECK_MASK(m, "0-2");
        CHECK_INT(spm_attr_read_nodemask_at(AT_FDCWD, p11, &m), -EINVAL);
        CHECK_INT(spm_attr_read_nodemask_at(AT_FDCWD, p7, &m), 0);
        CHECK(spm_nodemask_is_empty(&m));

        {
                _cleanup_free_ char *x = PUT("hexonly0x", "0x\n");
                CHECK_INT(spm_attr_read_hex_at(AT_FDCWD, x, &u), -EINVAL);
        }
}

static void test_write_is_one_exact_write(void) {
        _cleanup_free_ char *p = PUT("w", "old-and-longer\n"), *v = NULL;
        struct stat st;

        /* O_WRONLY without O_TRUNC: on a regular file the tail of the old
         * content remains, which shows no newline or NUL was added */
        CHECK_INT(spm_attr_write(p, "new"), 0);
        CHECK_INT(spm_attr_read(p, &v), 0);
        CHECK_STREQ(v, "new-and-longer");
        CHECK(stat(p, &st) == 0 && st.st_size == 15);
}

static void test_write_errors(void) {
        _cleanup_free_ char *missing = NULL, *ro = PUT("ro", "x\n");

        CHECK(asprintf(&missing, "%s/missing", dir) > 0);
        CHECK_INT(spm_attr_write(missing, "1"), -ENOENT);  /* never creates */
        CHECK_INT(spm_attr_write(dir, "1"), -EISDIR);
        /* /dev/full: write(2) fails with ENOSPC, passed up as -ENOSPC */
        CHECK_INT(spm_attr_write("/dev/full", "1"), -ENOSPC);
        chmod(ro, 0444);
        if (geteuid() != 0)
                CHECK_INT(spm_attr_write(ro, "1"), -EACCES);
}

static void test_write_verify(void) {
        _cleanup_free_ char *v = NULL;

        /* a directory cannot be written: a real failure whatever it holds */
        CHECK_INT(spm_attr_write_verify(dir, "x", NULL), -EISDIR);

        /* regular file: write succeeds → 0 */
        {
                _cleanup_free_ char *p = PUT("wv", "0\n");
                CHECK_INT(spm_attr_write_verify(p, "1", NULL), 0);
                CHECK_INT(spm_attr_read(p, &v), 0);
                CHECK_STREQ(v, "1");
        }

        CHECK(spm_attr_equal_nodemask("0,1", "0-1"));
        CHECK(spm_attr_equal_nodemask("", ""));
        CHECK(!spm_attr_equal_nodemask("0", "0-1"));
        CHECK(!spm_attr_equal_nodemask("garbage", "garbage"));
}

/* A failing write whose re-read also fails (/dev/full reads endless NULs)
 * reports the write's errno, not the read's. The "already so" outcome needs
 * an attribute that refuses a write while holding the value; the simulated
 * kernel's memoryN/state and driver bind provide those for real. */
static void test_write_verify_reread_fails(void) {
        CHECK_INT(spm_attr_write_verify("/dev/full", "1", NULL), -ENOSPC);
        CHECK_INT(spm_attr_write_verify("/nonexistent/attr", "1", NULL), -ENOENT);
}

static void test_readlink_basename(void) {
        _cleanup_free_ char *l = NULL, *v = NULL;

        CHECK(asprintf(&l, "%s/driver", dir) > 0);
        CHECK(symlink("../../../bus/dax/drivers/kmem", l) == 0);
        CHECK_INT(spm_readlink_basename_at(AT_FDCWD, l, &v), 0);
        CHECK_STREQ(v, "kmem");
        v = mfree(v);
        CHECK_INT(spm_readlink_basename_at(AT_FDCWD, dir, &v), -EINVAL);  /* not a link */
        CHECK(spm_attr_exists_at(AT_FDCWD, l));
        CHECK(!spm_attr_exists_at(AT_FDCWD, "/nonexistent/x"));
}

int main(void) {
        dir = tap_tmpdir();

        TEST(test_read_strips_one_newline);
        TEST(test_read_errors);
        TEST(test_read_large_multi_page);
        TEST(test_typed_reads);
        TEST(test_write_is_one_exact_write);
        TEST(test_write_errors);
        TEST(test_write_verify);
        TEST(test_write_verify_reread_fails);
        TEST(test_readlink_basename);
        return tap_done();
}
