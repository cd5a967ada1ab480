/* certlink core: hidden characters and their escaping (see text.h). */
#include "text.h"

#include <stdio.h>
#include <wchar.h>
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

/* ---- display width ---- */

struct cp_range {
	uint32_t lo, hi;
};

/* East Asian Width W and F (Unicode 15.1 EastAsianWidth.txt), merged into the blocks they fill; used only
 * when the C library cannot tell (wcwidth() is -1 in a locale that is not UTF-8). */
static const struct cp_range wide[] = {
	{ 0x1100, 0x115f },   { 0x231a, 0x231b },   { 0x2329, 0x232a },   { 0x23e9, 0x23ec },
	{ 0x23f0, 0x23f0 },   { 0x23f3, 0x23f3 },   { 0x25fd, 0x25fe },   { 0x2614, 0x2615 },
	{ 0x2648, 0x2653 },   { 0x267f, 0x267f },   { 0x2693, 0x2693 },   { 0x26a1, 0x26a1 },
	{ 0x26aa, 0x26ab },   { 0x26bd, 0x26be },   { 0x26c4, 0x26c5 },   { 0x26ce, 0x26ce },
	{ 0x26d4, 0x26d4 },   { 0x26ea, 0x26ea },   { 0x26f2, 0x26f3 },   { 0x26f5, 0x26f5 },
	{ 0x26fa, 0x26fa },   { 0x26fd, 0x26fd },   { 0x2705, 0x2705 },   { 0x270a, 0x270b },
	{ 0x2728, 0x2728 },   { 0x274c, 0x274c },   { 0x274e, 0x274e },   { 0x2753, 0x2755 },
	{ 0x2757, 0x2757 },   { 0x2795, 0x2797 },   { 0x27b0, 0x27b0 },   { 0x27bf, 0x27bf },
	{ 0x2b1b, 0x2b1c },   { 0x2b50, 0x2b50 },   { 0x2b55, 0x2b55 },   { 0x2e80, 0x303e },
	{ 0x3041, 0x3247 },   { 0x3250, 0x4dbf },   { 0x4e00, 0xa4cf },   { 0xa960, 0xa97f },
	{ 0xac00, 0xd7a3 },   { 0xf900, 0xfaff },   { 0xfe10, 0xfe19 },   { 0xfe30, 0xfe6f },
	{ 0xff00, 0xff60 },   { 0xffe0, 0xffe6 },   { 0x16fe0, 0x16fe4 }, { 0x16ff0, 0x16ff1 },
	{ 0x17000, 0x18cd5 }, { 0x18d00, 0x18d08 }, { 0x1aff0, 0x1b2fb }, { 0x1f004, 0x1f004 },
	{ 0x1f0cf, 0x1f0cf }, { 0x1f18e, 0x1f18e }, { 0x1f191, 0x1f19a }, { 0x1f200, 0x1f265 },
	{ 0x1f300, 0x1f320 }, { 0x1f32d, 0x1f335 }, { 0x1f337, 0x1f37c }, { 0x1f37e, 0x1f393 },
	{ 0x1f3a0, 0x1f3ca }, { 0x1f3cf, 0x1f3d3 }, { 0x1f3e0, 0x1f3f0 }, { 0x1f3f4, 0x1f3f4 },
	{ 0x1f3f8, 0x1f43e }, { 0x1f440, 0x1f440 }, { 0x1f442, 0x1f4fc }, { 0x1f4ff, 0x1f53d },
	{ 0x1f54b, 0x1f54e }, { 0x1f550, 0x1f567 }, { 0x1f57a, 0x1f57a }, { 0x1f595, 0x1f596 },
	{ 0x1f5a4, 0x1f5a4 }, { 0x1f5fb, 0x1f64f }, { 0x1f680, 0x1f6c5 }, { 0x1f6cc, 0x1f6cc },
	{ 0x1f6d0, 0x1f6d2 }, { 0x1f6d5, 0x1f6df }, { 0x1f6eb, 0x1f6ec }, { 0x1f6f4, 0x1f6fc },
	{ 0x1f7e0, 0x1f7eb }, { 0x1f7f0, 0x1f7f0 }, { 0x1f90c, 0x1f93a }, { 0x1f93c, 0x1f945 },
	{ 0x1f947, 0x1f9ff }, { 0x1fa70, 0x1faff }, { 0x20000, 0x2fffd }, { 0x30000, 0x3fffd },
};

/* Combining marks that take no column of their own (the common blocks), for the same fallback. */
static const struct cp_range combining[] = {
	{ 0x0300, 0x036f }, { 0x0483, 0x0489 }, { 0x0591, 0x05bd },   { 0x0610, 0x061a }, { 0x064b, 0x065f },
	{ 0x1ab0, 0x1aff }, { 0x1dc0, 0x1dff }, { 0x20d0, 0x20f0 },   { 0x302a, 0x302f }, { 0x3099, 0x309a },
	{ 0xfe00, 0xfe0f }, { 0xfe20, 0xfe2f }, { 0xe0100, 0xe01ef },
};

static bool in_ranges(const struct cp_range *r, size_t n, uint32_t cp)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (cp < r[mid].lo)
			hi = mid;
		else if (cp > r[mid].hi)
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

static size_t cp_width(uint32_t cp)
{
	int w = wcwidth((wchar_t)cp);

	if (w >= 0)
		return (size_t)w;
	if (cl_text_is_hidden(cp) || in_ranges(combining, sizeof(combining) / sizeof(combining[0]), cp))
		return 0;
	return in_ranges(wide, sizeof(wide) / sizeof(wide[0]), cp) ? 2 : 1;
}

size_t cl_text_width(const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t len = strlen((const char *)p), i = 0, width = 0;

	while (i < len) {
		uint32_t cp;
		size_t n = cl_text_utf8_decode(p + i, len - i, &cp);

		if (n == 0) { /* an octet that is not UTF-8: shown as one replacement character */
			width++;
			i++;
			continue;
		}
		width += cp_width(cp);
		i += n;
	}
	return width;
}
