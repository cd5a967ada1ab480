/* certlink registry: small file helpers for the desktop integration files.
 *
 * Everything the registry writes (.desktop entries, mimeapps.list, systemd units) is replaced atomically:
 * a temporary file in the same directory, fsync, rename, fsync of the directory. A reader (xdg-open, the
 * desktop's launcher, systemd) therefore sees the old file or the new one, never half of one.
 */
#ifndef CLR_FILEIO_H
#define CLR_FILEIO_H

#include <stddef.h>
#include <sys/types.h>

#include "error.h"

/* Files the registry reads (its own entries, mimeapps.list) are capped at this size before parsing. */
#define CLR_FILE_MAX (1024 * 1024)

/* Read a whole regular file into a NUL-terminated buffer (caller frees with free()). Refuses files over
 * `max` bytes and files containing NUL. A missing file is CL_E_LOCAL with *missing set (when not NULL). */
enum cl_status clr_file_read(const char *path, size_t max, char **out, int *missing, struct cl_error *err);

/* Create `dir` and its missing parents with `mode` (existing directories are left as they are). */
enum cl_status clr_file_mkdirs(const char *dir, mode_t mode, struct cl_error *err);

/* Replace `path` atomically with `len` bytes of `data`, file mode `mode`. The parent must exist. */
enum cl_status clr_file_write_atomic(const char *path, const char *data, size_t len, mode_t mode,
                                     struct cl_error *err);

/* Remove `path`, then fsync its directory. A missing file is not an error (*removed tells). */
enum cl_status clr_file_remove(const char *path, int *removed, struct cl_error *err);

/* Copy the directory part of `path` into `dir` (size `size`). Returns 0, or -1 when it does not fit. */
int clr_file_dirname(const char *path, char *dir, size_t size);

#endif
