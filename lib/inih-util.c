/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <stdarg.h>
#include <string.h>

#include "inih-util.h"
#include "macro.h"

typedef struct reader_state {
        FILE *f;
        const spm_ini_callbacks *cb;
        void *userdata;
        char *buf;
        size_t bufsize;
        unsigned line;
        bool in_section;
        int fatal;              /* <0 stops the parse */
} reader_state;

static bool is_blank(char c) {
        return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static int report(reader_state *s, const char *fmt, ...) _printf_(2, 3);
static int report(reader_state *s, const char *fmt, ...) {
        _cleanup_free_ char *m = NULL;
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&m, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        return s->cb->error ? s->cb->error(s->userdata, s->line, m) : 0;
}

/* Only whitespace or a comment may follow a section header. */
static bool rest_is_empty(const char *p) {
        while (is_blank(*p))
                p++;
        return *p == 0 || *p == '#' || *p == ';';
}

/*
 * Check one line (without its newline). Returns 1 when inih may see it as
 * it is, 0 when it was reported and inih gets a blank line instead, or a
 * negative errno.
 */
static int check_line(reader_state *s, char *p, size_t len, int max) {
        char *q;
        int r;

        if (memchr(p, 0, len))
                return report(s, "line contains a NUL byte") ?: 0;
        /* inih needs room for "\n\0" and would split a longer line */
        if (len + 2 > (size_t) max)
                return report(s, "line is too long (%zu bytes, at most %d allowed)", len, max - 2) ?: 0;

        q = p;
        while (is_blank(*q))
                q++;
        if (*q == 0 || *q == '#' || *q == ';')
                return 1;
        if (q != p)
                return report(s, "line starts with whitespace; continuation lines are not supported") ?: 0;

        if (*p == '[') {
                char *end = strchr(p, ']');
                size_t n;

                if (!end)
                        return report(s, "section header lacks the closing ']'") ?: 0;
                if (!rest_is_empty(end + 1))
                        return report(s, "unexpected text after the section header") ?: 0;
                n = end - (p + 1);
                if (n == 0)
                        return report(s, "empty section header") ?: 0;
                if (n > SPM_INI_SECTION_MAX)
                        return report(s, "section header is too long (%zu bytes, at most %d allowed)",
                                      n, SPM_INI_SECTION_MAX) ?: 0;
                if (memchr(p + 1, ';', n) || memchr(p + 1, '#', n) || memchr(p + 1, '[', n))
                        return report(s, "section header contains '[', '#' or ';'") ?: 0;

                *end = 0;
                r = s->cb->section ? s->cb->section(s->userdata, p + 1, s->line) : 0;
                *end = ']';
                if (r < 0)
                        return r;
                s->in_section = true;
                return 1;
        }

        q = p;
        while (isalnum((unsigned char) *q))
                q++;
        if (q == p || (*q != '=' && !is_blank(*q)))
                return report(s, "expected 'Key=value', '[Section]' or a comment") ?: 0;
        {
                char *e = q;
                while (is_blank(*e))
                        e++;
                if (*e != '=')
                        return report(s, "expected 'Key=value', '[Section]' or a comment") ?: 0;
        }
        if (!s->in_section)
                return report(s, "key '%.*s' outside of a section", (int) (q - p), p) ?: 0;
        return 1;
}

static char *reader(char *str, int num, void *stream) {
        reader_state *s = stream;
        ssize_t n;
        size_t len;
        char *p;
        int r;

        if (s->fatal < 0 || num < 3)
                return NULL;

        errno = 0;
        n = getline(&s->buf, &s->bufsize, s->f);
        if (n < 0) {
                if (errno == ENOMEM)
                        s->fatal = -ENOMEM;
                else if (ferror(s->f))
                        s->fatal = errno > 0 ? -errno : -EIO;
                return NULL;
        }
        s->line++;

        p = s->buf;
        len = (size_t) n;
        if (len > 0 && p[len - 1] == '\n')
                p[--len] = 0;
        if (s->line == 1 && len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0) {
                p += 3;
                len -= 3;
        }

        r = check_line(s, p, len, num);
        if (r < 0) {
                s->fatal = r;
                return NULL;
        }
        if (r == 0) {
                strcpy(str, "\n");
                return str;
        }

        memcpy(str, p, len);
        str[len] = '\n';
        str[len + 1] = 0;
        return str;
}

static int handler(void *user, const char *section, const char *name, const char *value) {
        reader_state *s = user;
        int r;

        if (s->fatal < 0)
                return 1;
        if (s->cb->key) {
                r = s->cb->key(s->userdata, section, name, value ?: "", s->line);
                if (r < 0)
                        s->fatal = r;
        }
        /* Errors were reported through the callbacks; telling inih would
         * only make it remember a line number. */
        return 1;
}

int spm_ini_parse_stream(FILE *f, const spm_ini_callbacks *cb, void *userdata) {
        reader_state s = {
                .f = f,
                .cb = cb,
                .userdata = userdata,
        };
        int r;

        r = ini_parse_stream(reader, &s, handler, &s);
        free(s.buf);
        if (s.fatal < 0)
                return s.fatal;
        if (r == -2)
                return -ENOMEM;
        if (r < 0)
                return -EIO;
        if (r > 0) {
                /* Every line inih could refuse was refused by check_line()
                 * already; should a later inih disagree, still say where. */
                s.line = (unsigned) r;
                r = report(&s, "line could not be parsed");
                if (r < 0)
                        return r;
        }
        return 0;
}

int spm_ini_parse_file_at(int dirfd, const char *path, const spm_ini_callbacks *cb, void *userdata) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_fclose_ FILE *f = NULL;

        fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
        if (fd < 0)
                return negative_errno();
        f = fdopen(fd, "re");
        if (!f)
                return negative_errno();
        TAKE_FD(fd);

        return spm_ini_parse_stream(f, cb, userdata);
}

int spm_ini_parse_buffer(const void *data, size_t size, const spm_ini_callbacks *cb, void *userdata) {
        _cleanup_fclose_ FILE *f = NULL;

        if (size == 0)
                return 0;
        /* fmemopen() copies nothing and stops at size, NUL bytes included */
        f = fmemopen((void *) data, size, "r");
        if (!f)
                return negative_errno();
        return spm_ini_parse_stream(f, cb, userdata);
}
