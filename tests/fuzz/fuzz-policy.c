/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* libFuzzer target: the spm.d(5) parser and validator on arbitrary bytes,
 * then every diagnostic formatted, so all paths that build messages run. */

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "macro.h"
#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(spm_policy_freep) spm_policy *p = NULL;
        spm_diags d = {};

        /* policy files are small; bigger inputs only slow the search */
        if (size > 64 * 1024)
                return 0;
        p = spm_policy_new();
        if (!p)
                return 0;
        if (spm_policy_parse_buffer(p, "fuzz.conf", data, size, &d) >= 0)
                (void) spm_policy_finish(p, &d);
        for (size_t i = 0; i < d.n; i++) {
                _cleanup_free_ char *s = NULL;
                (void) spm_diag_format(&d.items[i], &s);
        }
        spm_diags_clear(&d);
        return 0;
}
