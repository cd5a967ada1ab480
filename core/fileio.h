/* certlink core: safe file helpers.
 *
 * Secret files are created 0600 from the first byte (O_CREAT|O_EXCL|O_NOFOLLOW), state files are replaced
 * atomically (temp file in the same directory, fsync, rename, fsync the directory), reads are capped, and
 * writers of shared state serialize on an advisory lock with a timeout. Every function returns CL_OK or
 * CL_E_LOCAL with a message naming the path and the system error.
 */
#ifndef CL_FILEIO_H
#define CL_FILEIO_H

#include "error.h"

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Create PATH as a new regular file with exactly MODE (umask does not widen or narrow it), refusing an
 * existing file or a symbolic link. Returns an O_WRONLY|O_CLOEXEC descriptor, or -1 with err set. */
int cl_fileio_create(const char *path, mode_t mode, struct cl_error *err);

/* cl_fileio_create() with mode 0600: for keys, passwords and other secrets. */
int cl_fileio_create_secret(const char *path, struct cl_error *err);

/* Write all of BUF to FD, retrying short writes and EINTR. WHAT names the file in the message. */
enum cl_status cl_fileio_write_all(int fd, const void *buf, size_t len, const char *what,
                                   struct cl_error *err);

/* Create PATH (must not exist) with MODE, write DATA, fsync, close. On failure nothing is left behind. */
enum cl_status cl_fileio_write_new(const char *path, const void *data, size_t len, mode_t mode,
                                   struct cl_error *err);

/* Replace PATH atomically with DATA and MODE: readers see the old or the new content, never a mix, and a
 * crash at any point leaves one of them. The temp file (".NAME.tmp-XXXXXX" beside PATH) is 0600 until it
 * is complete, so secrets are never readable by others. A symbolic link at PATH is replaced, not followed. */
enum cl_status cl_fileio_replace(const char *path, const void *data, size_t len, mode_t mode,
                                 struct cl_error *err);

/* Remove temp files a crashed cl_fileio_replace() of PATH left behind (overwriting them first, as they may
 * hold secrets). Only safe while holding the lock that serializes writers of PATH. */
void cl_fileio_remove_stale_temps(const char *path);

/* fsync a directory so a rename or unlink in it is durable. */
enum cl_status cl_fileio_fsync_dir(const char *dir, struct cl_error *err);

/* mkdir -p: create PATH and missing parents; every directory created gets exactly MODE. An existing PATH
 * must be a directory. */
enum cl_status cl_fileio_mkdirs(const char *path, mode_t mode, struct cl_error *err);

/* A private directory: cl_fileio_mkdirs(path, 0700), then PATH must be a real directory (not a symlink)
 * owned by the effective user; group/other permissions, if any, are removed. */
enum cl_status cl_fileio_private_dir(const char *path, struct cl_error *err);

/* Read all of PATH (at most MAX bytes; a larger file is an error, not truncated) into a new NUL-terminated
 * buffer. Growing the buffer never leaves copies behind, so this is safe for secrets; free a secret with
 * cl_fileio_free_secret(), anything else with free(). LEN may be NULL. */
enum cl_status cl_fileio_read(const char *path, size_t max, char **out, size_t *len, struct cl_error *err);

/* Like cl_fileio_read(), but a missing file is CL_OK with *out == NULL. */
enum cl_status cl_fileio_read_optional(const char *path, size_t max, char **out, size_t *len,
                                       struct cl_error *err);

/* Like cl_fileio_read_optional(), for a text file a parser and an editor work on (desktop entries,
 * mimeapps.list): it must be a regular file, and one holding a NUL byte is refused, since a parser would stop
 * there and a rewrite would lose the rest. */
enum cl_status cl_fileio_read_text(const char *path, size_t max, char **out, struct cl_error *err);

/* Wipe (OPENSSL_cleanse) and free LEN bytes (plus the NUL of cl_fileio_read()). Accepts NULL. */
void cl_fileio_free_secret(char *buf, size_t len);

/* Take an exclusive flock() on LOCKPATH (created 0600 if missing), waiting at most TIMEOUT_MS
 * (0: try once). On success *fd holds the lock until cl_fileio_unlock(). A timeout is CL_E_LOCAL with
 * code "locked". The lock dies with the process, so a crashed holder never blocks others. */
enum cl_status cl_fileio_lock(const char *lockpath, unsigned timeout_ms, int *fd, struct cl_error *err);

/* Release and close a lock from cl_fileio_lock(). Accepts -1. */
void cl_fileio_unlock(int fd);

/* Overwrite a key or other secret file with zeros, fsync, then unlink it. A missing file is CL_OK; a
 * symbolic link is unlinked without touching its target. Best effort against later recovery: journaling
 * file systems and SSDs may keep old blocks. */
enum cl_status cl_fileio_delete_secret(const char *path, struct cl_error *err);

/* Unlink PATH (a symbolic link itself, never its target), then fsync its directory so the removal is
 * durable. A missing PATH is CL_OK. *removed (may be NULL) says whether something was removed. For files
 * that hold no secret; see cl_fileio_delete_secret() for those. */
enum cl_status cl_fileio_remove(const char *path, bool *removed, struct cl_error *err);

/* Does PATH exist (without following a final symlink)? */
bool cl_fileio_exists(const char *path);

#endif
