/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The one place that talks to inih. libinih as shipped by distributions
 * (r55 in Debian bookworm) gives the key handler no line number, never
 * calls it for a section without keys, cuts lines longer than its buffer
 * (200 bytes) into pieces that it then parses as separate lines, folds
 * indented lines into the previous value and accepts "name:value". This
 * wrapper feeds inih through its own line reader, which numbers the lines,
 * checks each line's shape before inih sees it and hands inih a blank line
 * in place of every line it rejected, so inih's numbering stays the same as
 * ours and it never sees anything it would misread.
 *
 * Accepted lines: blank lines; comments starting with '#' or ';' (after
 * optional blanks); "[name]" optionally followed by a comment; and
 * "Key=value" where Key is made of letters and digits and starts the line.
 * A ';' preceded by a blank inside a value starts a comment (inih's rule).
 * A UTF-8 byte order mark at the start of the file is skipped. The last
 * line may lack its newline.
 */

#include <stddef.h>
#include <stdio.h>

/* Section names of this length or more are cut by inih (r55 keeps 49
 * bytes); we refuse them instead. */
#define SPM_INI_SECTION_MAX 48

typedef struct spm_ini_callbacks {
        /* A section header. Return 0, or -ENOMEM to stop. */
        int (*section)(void *userdata, const char *name, unsigned line);
        /* A key inside a section (section is the name of the current one).
         * Return 0, or -ENOMEM to stop. */
        int (*key)(void *userdata, const char *section, const char *key, const char *value, unsigned line);
        /* A line that is not acceptable; message is a complete sentence
         * fragment without location, e.g. "line is too long". */
        int (*error)(void *userdata, unsigned line, const char *message);
} spm_ini_callbacks;

/* Parse an open stream. Returns 0 when the whole input was read (errors in
 * it went to the callbacks), -ENOMEM or another -errno when reading
 * stopped. */
int spm_ini_parse_stream(FILE *f, const spm_ini_callbacks *cb, void *userdata);

/* Open path relative to dirfd (AT_FDCWD allowed) with O_NOFOLLOW, so a
 * symlink is refused with -ELOOP; callers resolve links they accept. */
int spm_ini_parse_file_at(int dirfd, const char *path, const spm_ini_callbacks *cb, void *userdata);

/* Parse a buffer that may contain anything, NUL bytes included. */
int spm_ini_parse_buffer(const void *data, size_t size, const spm_ini_callbacks *cb, void *userdata);
