/* certlink registry: mimeapps.list [Default Applications] editing (see mimeapps.h). */
#include "mimeapps.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GROUP "[Default Applications]"

/* A growable output buffer; `failed` sticks after the first allocation failure. */
struct buf {
	char *data;
	size_t len, cap;
	int failed;
};

static void put(struct buf *b, const char *s, size_t n)
{
	if (b->failed)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->len + n + 1) * 2;
		char *d = realloc(b->data, cap);
		if (!d) {
			b->failed = 1;
			return;
		}
		b->data = d;
		b->cap = cap;
	}
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

static void puts_(struct buf *b, const char *s)
{
	put(b, s, strlen(s));
}

static char *finish(struct buf *b)
{
	if (!b->failed && !b->data)
		put(b, "", 0);
	if (b->failed) {
		free(b->data);
		return NULL;
	}
	return b->data;
}

static int is_group_line(const char *line, size_t len)
{
	return len > 0 && line[0] == '[';
}

static int is_default_group(const char *line, size_t len)
{
	size_t glen = strlen(GROUP);

	while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\t' || line[len - 1] == '\r'))
		len--;
	return len == glen && memcmp(line, GROUP, glen) == 0;
}

/* When the line is "mime = value", return a pointer to the value (its length in *vlen), else NULL. */
static const char *key_value(const char *line, size_t len, const char *mime, size_t *vlen)
{
	size_t mlen = strlen(mime), i = mlen;

	if (len < mlen || strncasecmp(line, mime, mlen) != 0)
		return NULL;
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (i >= len || line[i] != '=')
		return NULL;
	i++;
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	*vlen = len - i;
	while (*vlen > 0 && (line[i + *vlen - 1] == '\r' || line[i + *vlen - 1] == ' '))
		(*vlen)--;
	return line + i;
}

/* Append the IDs of value[vlen] other than `skip` to b, each followed by ';'. Returns how many. */
static int put_ids_except(struct buf *b, const char *value, size_t vlen, const char *skip, int *skipped)
{
	size_t slen = strlen(skip);
	int kept = 0;

	for (size_t i = 0; i < vlen;) {
		size_t j = i;
		while (j < vlen && value[j] != ';')
			j++;
		size_t n = j - i;
		if (n == slen && memcmp(value + i, skip, n) == 0) {
			*skipped = 1;
		} else if (n > 0) {
			put(b, value + i, n);
			put(b, ";", 1);
			kept++;
		}
		i = j + 1;
	}
	return kept;
}

int clr_mimeapps_get_default(const char *text, const char *mime, char *out, size_t size)
{
	int in_group = 0;

	out[0] = '\0';
	for (const char *line = text; *line;) {
		size_t len = strcspn(line, "\n"), vlen, n;
		const char *value;

		if (is_group_line(line, len))
			in_group = is_default_group(line, len);
		else if (in_group && (value = key_value(line, len, mime, &vlen))) {
			n = 0;
			while (n < vlen && value[n] != ';')
				n++;
			if (n == 0)
				return 0;
			if (n >= size)
				return -1;
			memcpy(out, value, n);
			out[n] = '\0';
			return 1;
		}
		line += len;
		if (*line == '\n')
			line++;
	}
	return 0;
}

static void put_key(struct buf *b, const char *mime, const char *id)
{
	puts_(b, mime);
	puts_(b, "=");
	puts_(b, id);
	puts_(b, ";");
}

char *clr_mimeapps_set_default(const char *text, const char *mime, const char *id)
{
	const char *header_end = NULL, *key_line = NULL, *key_value_p = NULL;
	size_t key_len = 0, key_vlen = 0;
	struct buf b = { 0 };
	int in_group = 0, skipped;

	/* Find the first [Default Applications] header and the first line of `mime` inside such a group. */
	for (const char *line = text; *line && !key_line;) {
		size_t len = strcspn(line, "\n"), vlen;
		const char *value;

		if (is_group_line(line, len)) {
			in_group = is_default_group(line, len);
			if (in_group && !header_end)
				header_end = line + len + (line[len] == '\n');
		} else if (in_group && (value = key_value(line, len, mime, &vlen))) {
			key_line = line;
			key_len = len;
			key_value_p = value;
			key_vlen = vlen;
		}
		line += len + (line[len] == '\n');
	}

	if (key_line) {
		/* Ours first, the IDs that were there after it as fallbacks. */
		put(&b, text, (size_t)(key_line - text));
		put_key(&b, mime, id);
		put_ids_except(&b, key_value_p, key_vlen, id, &skipped);
		puts_(&b, "\n");
		const char *rest = key_line + key_len;
		puts_(&b, *rest == '\n' ? rest + 1 : rest);
	} else if (header_end) {
		put(&b, text, (size_t)(header_end - text));
		if (header_end[-1] != '\n')
			puts_(&b, "\n");
		put_key(&b, mime, id);
		puts_(&b, "\n");
		puts_(&b, header_end);
	} else {
		puts_(&b, text);
		if (b.len > 0 && b.data[b.len - 1] != '\n')
			puts_(&b, "\n");
		if (b.len > 0)
			puts_(&b, "\n");
		puts_(&b, GROUP "\n");
		put_key(&b, mime, id);
		puts_(&b, "\n");
	}
	return finish(&b);
}

char *clr_mimeapps_remove_default(const char *text, const char *mime, const char *id, int *changed)
{
	struct buf b = { 0 };
	int in_group = 0;

	*changed = 0;
	for (const char *line = text; *line;) {
		size_t len = strcspn(line, "\n"), vlen;
		const char *value;
		int has_nl = line[len] == '\n';

		if (is_group_line(line, len))
			in_group = is_default_group(line, len);
		if (!is_group_line(line, len) && in_group && (value = key_value(line, len, mime, &vlen))) {
			struct buf ids = { 0 };
			int skipped = 0, kept = put_ids_except(&ids, value, vlen, id, &skipped);

			if (ids.failed) {
				free(ids.data);
				free(b.data);
				return NULL;
			}
			if (!skipped) {
				put(&b, line, len + (size_t)has_nl);
			} else {
				*changed = 1;
				if (kept > 0) {
					puts_(&b, mime);
					puts_(&b, "=");
					puts_(&b, ids.data);
					puts_(&b, "\n");
				}
			}
			free(ids.data);
		} else {
			put(&b, line, len + (size_t)has_nl);
		}
		line += len + (size_t)has_nl;
	}
	return finish(&b);
}
