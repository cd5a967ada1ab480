/* certlink core: text a person reads must read as it was sent.
 *
 * Some characters change how the text around them is shown without being seen themselves: Unicode format
 * characters (general category Cf: zero-width space and joiners, soft hyphen, the bidirectional embeddings,
 * overrides, isolates and marks, tag characters, ...), the line and paragraph separators U+2028/U+2029, and
 * the C0 and C1 controls (which also move a terminal's cursor). "Corp<U+202E>exe.pdf" shows as
 * "Corpfdp.exe"; "ad<U+200B>min" shows as "admin". This module is the one list of them: the link parser
 * refuses them (core/link.c), and text that comes from a server (service name, messages, certificate names)
 * is escaped with it before any front end shows it.
 *
 * The Cf list is that of Unicode 15.1 (DerivedGeneralCategory.txt, "; Cf").
 */
#ifndef CL_TEXT_H
#define CL_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Unicode general category Cf (Unicode 15.1). */
bool cl_text_is_format(uint32_t cp);

/* Characters a shown value must not contain: C0 and C1 controls, DEL, Cf, U+2028 and U+2029. */
bool cl_text_is_hidden(uint32_t cp);

/* Strict UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF): the length of the sequence at S
 * (at most LEN octets) and its code point in *CP, or 0 when S does not start with a valid sequence. */
size_t cl_text_utf8_decode(const unsigned char *s, size_t len, uint32_t *cp);

/* Escape for display: each hidden character becomes "<U+XXXX>", each octet that is not valid UTF-8
 * "<0xXX>"; a newline stays when KEEP_NEWLINES, a tab becomes a space. The result is cut at a character
 * boundary to fit SIZE (NUL included). IN and OUT may be the same buffer. */
#define CL_TEXT_KEEP_NEWLINES 1u
void cl_text_escape(const char *in, char *out, size_t size, unsigned flags);

/* Does S need cl_text_escape() (any hidden character, invalid UTF-8, a tab or a newline)? */
bool cl_text_needs_escape(const char *s, unsigned flags);

/* How many terminal columns UTF-8 text S takes: 2 for an East Asian wide or fullwidth character (CJK,
 * kana, hangul, fullwidth forms: Japanese takes two columns a character), 0 for a combining mark, a format
 * character or a control, 1 for the rest (an invalid octet counts 1). The C library's wcwidth() decides
 * what it knows in the current locale; the built-in East Asian Width table when it does not (a C locale).
 * Columns of a table line up when padded by this width, never by bytes. */
size_t cl_text_width(const char *s);

#endif
