/* certlink core: hidden characters and their escaping (see text.h). */
#include "text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Unicode 15.1, DerivedGeneralCategory.txt, every "; Cf" line, as ranges. */
static const uint32_t format_ranges[][2] = {
	{ 0x00ad, 0x00ad },   { 0x0600, 0x0605 },   { 0x061c, 0x061c },   { 0x06dd, 0x06dd },
	{ 0x070f, 0x070f },   { 0x0890, 0x0891 },   { 0x08e2, 0x08e2 },   { 0x180e, 0x180e },
	{ 0x200b, 0x200f },   { 0x202a, 0x202e },   { 0x2060, 0x2064 },   { 0x2066, 0x206f },
	{ 0xfeff, 0xfeff },   { 0xfff9, 0xfffb },   { 0x110bd, 0x110bd }, { 0x110cd, 0x110cd },
	{ 0x13430, 0x1343f }, { 0x1bca0, 0x1bca3 }, { 0x1d173, 0x1d17a }, { 0xe0001, 0xe0001 },
	{ 0xe0020, 0xe007f },
};

bool cl_text_is_format(uint32_t cp)
{
	for (size_t i = 0; i < sizeof(format_ranges) / sizeof(format_ranges[0]); i++)
		if (cp >= format_ranges[i][0] && cp <= format_ranges[i][1])
			return true;
	return false;
}

bool cl_text_is_hidden(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029 ||
	       cl_text_is_format(cp);
}

size_t cl_text_utf8_decode(const unsigned char *s, size_t len, uint32_t *cp)
{
	size_t n;
	uint32_t v, min;

	if (len == 0)
		return 0;
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2, v = s[0] & 0x1fu, min = 0x80;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3, v = s[0] & 0x0fu, min = 0x800;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4, v = s[0] & 0x07u, min = 0x10000;
	} else {
		return 0;
	}
	if (len < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (s[i] & 0x3fu);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return n;
}

/* What one character of S at I turns into: its own octets (*keep) or an escape written into ESC. Returns
 * how many octets of S it used. */
static size_t next_piece(const unsigned char *s, size_t len, size_t i, unsigned flags, char esc[16],
                         bool *keep)
{
	uint32_t cp;
	size_t n = cl_text_utf8_decode(s + i, len - i, &cp);

	*keep = false;
	if (n == 0) {
		snprintf(esc, 16, "<0x%02X>", s[i]);
		return 1;
	}
	if (cp == '\n' && (flags & CL_TEXT_KEEP_NEWLINES)) {
		*keep = true;
	} else if (cp == '\t') {
		snprintf(esc, 16, " ");
	} else if (cl_text_is_hidden(cp)) {
		snprintf(esc, 16, "<U+%04X>", (unsigned)cp);
	} else {
		*keep = true;
	}
	return n;
}

bool cl_text_needs_escape(const char *s, unsigned flags)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t len = strlen(s);
	char esc[16];
	bool keep;

	for (size_t i = 0; i < len;) {
		i += next_piece(u, len, i, flags, esc, &keep);
		if (!keep)
			return true;
	}
	return false;
}

void cl_text_escape(const char *in, char *out, size_t size, unsigned flags)
{
	size_t len, o = 0;
	unsigned char *copy;
	char esc[16];
	bool keep;

	if (size == 0)
		return;
	len = strlen(in);
	/* a copy, so that IN and OUT may be one buffer */
	copy = malloc(len + 1);
	if (!copy) {
		out[0] = '\0';
		return;
	}
	memcpy(copy, in, len + 1);
	for (size_t i = 0; i < len;) {
		size_t start = i, piece;
		const char *src;

		i += next_piece(copy, len, i, flags, esc, &keep);
		src = keep ? (const char *)copy + start : esc;
		piece = keep ? i - start : strlen(esc);
		if (o + piece >= size)
			break; /* cut before a whole character or escape that does not fit */
		memcpy(out + o, src, piece);
		o += piece;
	}
	out[o] = '\0';
	free(copy);
}
