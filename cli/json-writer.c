/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <inttypes.h>
#include <stdlib.h>

#include "json-writer.h"
#include "macro.h"
#include "strutil.h"

/* Before any value: a comma unless it is the first in its container, or
 * nothing right after a key. */
static void value_prefix(json_writer *w) {
        if (w->after_key) {
                w->after_key = false;
                return;
        }
        if (w->depth > 0) {
                if (!w->first[w->depth])
                        fputs(", ", w->f);
                w->first[w->depth] = false;
        }
}

void json_begin(json_writer *w, FILE *f) {
        *w = (json_writer) { .f = f };
}

void json_end(json_writer *w) {
        fputc('\n', w->f);
}

static void open_container(json_writer *w, char c) {
        value_prefix(w);
        fputc(c, w->f);
        if (w->depth + 1 < JSON_MAX_DEPTH)
                w->depth++;
        w->first[w->depth] = true;
}

static void close_container(json_writer *w, char c) {
        fputc(c, w->f);
        if (w->depth > 0)
                w->depth--;
}

void json_object_open(json_writer *w) {
        open_container(w, '{');
}
void json_object_close(json_writer *w) {
        close_container(w, '}');
}
void json_array_open(json_writer *w) {
        open_container(w, '[');
}
void json_array_close(json_writer *w) {
        close_container(w, ']');
}

static void put_quoted(json_writer *w, const char *s) {
        _cleanup_free_ char *q = json_quote(s);

        /* json_quote fails only on out-of-memory; null keeps the document
         * well-formed. */
        fputs(q ?: "null", w->f);
}

void json_key(json_writer *w, const char *key) {
        value_prefix(w);
        put_quoted(w, key);
        fputs(": ", w->f);
        w->after_key = true;
}

void json_string(json_writer *w, const char *s) {
        value_prefix(w);
        if (s)
                put_quoted(w, s);
        else
                fputs("null", w->f);
}

void json_u64(json_writer *w, uint64_t v) {
        value_prefix(w);
        fprintf(w->f, "%" PRIu64, v);
}

void json_int(json_writer *w, int64_t v) {
        value_prefix(w);
        fprintf(w->f, "%" PRId64, v);
}

void json_bool(json_writer *w, bool b) {
        value_prefix(w);
        fputs(b ? "true" : "false", w->f);
}

void json_null(json_writer *w) {
        value_prefix(w);
        fputs("null", w->f);
}

void json_nodemask(json_writer *w, const spm_nodemask *m) {
        json_array_open(w);
        SPM_NODEMASK_FOREACH(n, m)
                json_int(w, n);
        json_array_close(w);
}

void json_kv_string(json_writer *w, const char *key, const char *s) {
        json_key(w, key);
        json_string(w, s);
}

void json_kv_u64(json_writer *w, const char *key, uint64_t v) {
        json_key(w, key);
        json_u64(w, v);
}

void json_kv_int(json_writer *w, const char *key, int64_t v) {
        json_key(w, key);
        json_int(w, v);
}

void json_kv_bool(json_writer *w, const char *key, bool b) {
        json_key(w, key);
        json_bool(w, b);
}

void json_kv_int_or_null(json_writer *w, const char *key, int64_t v) {
        json_key(w, key);
        if (v < 0)
                json_null(w);
        else
                json_int(w, v);
}

void json_kv_tristate(json_writer *w, const char *key, int v) {
        json_key(w, key);
        if (v < 0)
                json_null(w);
        else
                json_bool(w, v > 0);
}

void json_kv_nodemask(json_writer *w, const char *key, const spm_nodemask *m) {
        json_key(w, key);
        json_nodemask(w, m);
}
