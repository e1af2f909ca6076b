/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "table.h"

struct table {
        size_t n_columns;
        char **cells;               /* rows * columns, header row first */
        size_t n_rows;              /* including the header */
};

table *table_new(size_t n_columns, const char *const headers[]) {
        table *t = calloc(1, sizeof(table));

        if (!t)
                return NULL;
        t->n_columns = n_columns;
        if (table_add_row(t, headers) < 0)
                return table_free(t);
        return t;
}

table *table_free(table *t) {
        if (!t)
                return NULL;
        for (size_t i = 0; i < t->n_rows * t->n_columns; i++)
                free(t->cells[i]);
        free(t->cells);
        free(t);
        return NULL;
}

int table_add_row(table *t, const char *const cells[]) {
        char **n = reallocarray(t->cells, (t->n_rows + 1) * t->n_columns, sizeof(char *));

        if (!n)
                return -ENOMEM;
        t->cells = n;

        for (size_t c = 0; c < t->n_columns; c++) {
                char *s = strdup(cells[c] ?: "-");
                if (!s) {
                        for (size_t k = 0; k < c; k++)
                                free(t->cells[t->n_rows * t->n_columns + k]);
                        return -ENOMEM;
                }
                t->cells[t->n_rows * t->n_columns + c] = s;
        }
        t->n_rows++;
        return 0;
}

size_t table_rows(const table *t) {
        return t->n_rows - 1;
}

void table_print(const table *t, FILE *f, bool legend) {
        size_t *w = calloc(t->n_columns, sizeof(size_t));

        if (!w)
                return;

        for (size_t r = legend ? 0 : 1; r < t->n_rows; r++)
                for (size_t c = 0; c < t->n_columns; c++)
                        w[c] = MAX(w[c], strlen(t->cells[r * t->n_columns + c]));

        for (size_t r = legend ? 0 : 1; r < t->n_rows; r++) {
                for (size_t c = 0; c < t->n_columns; c++) {
                        const char *s = t->cells[r * t->n_columns + c];
                        if (c + 1 == t->n_columns)
                                fputs(s, f);          /* no trailing blanks */
                        else
                                fprintf(f, "%-*s  ", (int) w[c], s);
                }
                fputc('\n', f);
        }
        free(w);
}
