/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "attr.h"
#include "macro.h"

int spm_attr_read_at(int dirfd, const char *path, char **ret) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *buf = NULL;
        size_t len = 0, cap = 4096 + 1;

        fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return negative_errno();

        buf = malloc(cap);
        if (!buf)
                return -ENOMEM;

        for (;;) {
                ssize_t k;

                if (len + 1 >= cap) {
                        char *n;

                        cap *= 2;
                        n = realloc(buf, cap);
                        if (!n)
                                return -ENOMEM;
                        buf = n;
                }

                k = read(fd, buf + len, cap - len - 1);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                if (k == 0)
                        break;
                len += (size_t) k;
                if (len > SPM_ATTR_MAX_SIZE)
                        return -EFBIG;
        }

        if (memchr(buf, 0, len))
                return -EBADMSG;

        if (len > 0 && buf[len - 1] == '\n')
                len--;
        buf[len] = 0;

        *ret = TAKE_PTR(buf);
        return 0;
}

int spm_attr_read(const char *path, char **ret) {
        return spm_attr_read_at(AT_FDCWD, path, ret);
}

/* Trim blanks into a bounded copy; -ENODATA if nothing is left. */
static int trimmed(const char *s, char *buf, size_t size) {
        const char *e;
        size_t n;

        while (*s == ' ' || *s == '\t' || *s == '\n')
                s++;
        e = s + strlen(s);
        while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n'))
                e--;
        n = (size_t) (e - s);
        if (n == 0)
                return -ENODATA;
        if (n >= size)
                return -ERANGE; /* far longer than any number */
        memcpy(buf, s, n);
        buf[n] = 0;
        return 0;
}

static int parse_unsigned(const char *s, int base, uint64_t *ret) {
        char buf[72], *end;
        unsigned long long v;
        int r;

        r = trimmed(s, buf, sizeof buf);
        if (r < 0)
                return r;
        /* strtoull accepts a sign and leading blanks; we do not. */
        if (buf[0] == '-' || buf[0] == '+')
                return -EINVAL;
        if (base == 16 && (buf[0] == '0' && (buf[1] == 'x' || buf[1] == 'X')) && buf[2] == 0)
                return -EINVAL;

        errno = 0;
        v = strtoull(buf, &end, base);
        if (end == buf || *end)
                return -EINVAL;
        if (errno == ERANGE)
                return -ERANGE;

        *ret = v;
        return 0;
}

int spm_parse_u64(const char *s, uint64_t *ret) {
        return parse_unsigned(s, 10, ret);
}

int spm_parse_hex(const char *s, uint64_t *ret) {
        return parse_unsigned(s, 16, ret);
}

int spm_parse_int(const char *s, int *ret) {
        char buf[72], *end;
        long v;
        int r;

        r = trimmed(s, buf, sizeof buf);
        if (r < 0)
                return r;
        if (buf[0] == '+')
                return -EINVAL;

        errno = 0;
        v = strtol(buf, &end, 10);
        if (end == buf || *end)
                return -EINVAL;
        if (errno == ERANGE || v < INT_MIN || v > INT_MAX)
                return -ERANGE;

        *ret = (int) v;
        return 0;
}

#define DEFINE_TYPED_READ(name, type, parser)                                   \
        int name(int dirfd, const char *path, type *ret) {                     \
                _cleanup_free_ char *s = NULL;                                  \
                type v;                                                         \
                int r;                                                          \
                                                                                \
                r = spm_attr_read_at(dirfd, path, &s);                          \
                if (r < 0)                                                      \
                        return r;                                               \
                r = parser(s, &v);                                              \
                if (r < 0)                                                      \
                        return r;                                               \
                *ret = v;                                                       \
                return 0;                                                       \
        }

DEFINE_TYPED_READ(spm_attr_read_u64_at, uint64_t, spm_parse_u64)
DEFINE_TYPED_READ(spm_attr_read_hex_at, uint64_t, spm_parse_hex)
DEFINE_TYPED_READ(spm_attr_read_int_at, int, spm_parse_int)

static int parse_bool01(const char *s, bool *ret) {
        char buf[8];
        int r;

        r = trimmed(s, buf, sizeof buf);
        if (r < 0)
                return r;
        if (streq(buf, "0"))
                *ret = false;
        else if (streq(buf, "1"))
                *ret = true;
        else
                return -EINVAL;
        return 0;
}

DEFINE_TYPED_READ(spm_attr_read_bool_at, bool, parse_bool01)

static int parse_nodemask(const char *s, spm_nodemask *ret) {
        return spm_nodemask_parse(s, ret, NULL);
}

DEFINE_TYPED_READ(spm_attr_read_nodemask_at, spm_nodemask, parse_nodemask)

int spm_attr_write_at(int dirfd, const char *path, const char *value) {
        _cleanup_close_ int fd = -EBADF;
        size_t len = strlen(value);
        ssize_t k;

        fd = openat(dirfd, path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return negative_errno();

        do
                k = write(fd, value, len);
        while (k < 0 && errno == EINTR);

        if (k < 0)
                return negative_errno();
        if ((size_t) k != len)
                return -EIO;
        return 0;
}

int spm_attr_write(const char *path, const char *value) {
        return spm_attr_write_at(AT_FDCWD, path, value);
}

bool spm_attr_equal_nodemask(const char *wanted, const char *current) {
        spm_nodemask a, b;

        if (spm_nodemask_parse(wanted, &a, NULL) < 0 || spm_nodemask_parse(current, &b, NULL) < 0)
                return false;
        return spm_nodemask_equal(&a, &b);
}

int spm_attr_write_verify_at(int dirfd, const char *path, const char *value, spm_attr_equal_fn eq) {
        _cleanup_free_ char *cur = NULL;
        int r;

        r = spm_attr_write_at(dirfd, path, value);
        if (r >= 0)
                return 0;
        /* The attribute is not there, or we may not touch it: a re-read
         * cannot change the verdict. */
        if (IN_SET(r, -ENOENT, -EACCES, -EPERM))
                return r;

        if (spm_attr_read_at(dirfd, path, &cur) < 0)
                return r;

        if (eq ? eq(value, cur) : streq(value, cur))
                return 1;
        return r;
}

int spm_attr_write_verify(const char *path, const char *value, spm_attr_equal_fn eq) {
        return spm_attr_write_verify_at(AT_FDCWD, path, value, eq);
}

bool spm_attr_exists_at(int dirfd, const char *path) {
        struct stat st;

        if (fstatat(dirfd, path, &st, AT_SYMLINK_NOFOLLOW) >= 0)
                return true;
        return errno != ENOENT && errno != ENOTDIR;
}

int spm_readlink_basename_at(int dirfd, const char *path, char **ret) {
        char buf[PATH_MAX];
        ssize_t k;
        const char *b;
        char *s;

        k = readlinkat(dirfd, path, buf, sizeof buf - 1);
        if (k < 0)
                return negative_errno();
        buf[k] = 0;

        b = strrchr(buf, '/');
        b = b ? b + 1 : buf;
        if (!*b)
                return -EINVAL;

        s = strdup(b);
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}
