/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * Node list parser fuzzer. For any input that parses, the canonical text
 * must parse back to the same set and format to the same text again
 * (parse → format → parse → format is stable), and the reported error
 * offset of a rejected input must lie inside the input.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nodemask.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        spm_nodemask a, b;
        spm_nodemask_error e = {};
        char *s, *t1 = NULL, *t2 = NULL;
        int r;

        if (size > 16384)
                return 0;

        s = malloc(size + 1);
        if (!s)
                return 0;
        memcpy(s, data, size);
        s[size] = 0;

        r = spm_nodemask_parse(s, &a, &e);
        if (r < 0) {
                if (e.offset > strlen(s) || !e.reason)
                        abort();
                free(s);
                return 0;
        }

        if (spm_nodemask_format(&a, &t1) < 0)
                abort();
        if (spm_nodemask_parse(t1, &b, NULL) < 0)
                abort();
        if (!spm_nodemask_equal(&a, &b))
                abort();
        if (spm_nodemask_format(&b, &t2) < 0 || strcmp(t1, t2) != 0)
                abort();
        if (spm_nodemask_format_buf(&a, NULL, 0) != strlen(t1))
                abort();

        free(t1);
        free(t2);
        free(s);
        return 0;
}
