/* certlink core: SHA-256 certificate fingerprints as people and links write them.
 *
 * Colon form "5F:3C:...:AB" (95 characters) is what certlink shows; plain hex "5f3c...ab" (64 characters) is
 * what links carry. Both parse, in either case.
 */
#ifndef CL_FINGERPRINT_H
#define CL_FINGERPRINT_H

#include <stdbool.h>
#include <stddef.h>

#define CL_FP_LEN       32 /* octets in a SHA-256 fingerprint */
#define CL_FP_TEXT_SIZE 96 /* colon form plus NUL */
#define CL_FP_HEX_SIZE  65 /* plain hex plus NUL */

/* Writes the colon-separated uppercase form, always NUL-terminated. */
void cl_fp_format(const unsigned char fp[CL_FP_LEN], char out[CL_FP_TEXT_SIZE]);

/* Writes 64 lowercase hex digits, always NUL-terminated. */
void cl_fp_format_hex(const unsigned char fp[CL_FP_LEN], char out[CL_FP_HEX_SIZE]);

/* Parses exactly len characters: 64 hex digits, or 32 pairs separated by single colons. Any case.
 * Returns false (fp unspecified) for anything else, including a mix of both forms. */
bool cl_fp_parse(const char *text, size_t len, unsigned char fp[CL_FP_LEN]);

#endif
