/* certlink core: secret removal for diagnostics (see scrub.h). */
#include "scrub.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static const char *const secret_words[] = { "password",  "passwd", "passphrase", "secret",
	                                    "challenge", "token",  "private" };

#define N_WORDS (sizeof(secret_words) / sizeof(secret_words[0]))

/* A growing output buffer; ok turns false once an allocation failed. */
struct buf {
	char *p;
	size_t len, cap;
	bool ok;
};

static void put(struct buf *b, const char *s, size_t n)
{
	if (!b->ok)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->cap ? b->cap : 256);
		char *np;

		while (cap < b->len + n + 1)
			cap *= 2;
		np = realloc(b->p, cap);
		if (!np) {
			b->ok = false;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void put_mark(struct buf *b)
{
	put(b, CL_SCRUB_MARK, sizeof(CL_SCRUB_MARK) - 1);
}

static char *finish(struct buf *b)
{
	if (!b->ok) {
		free(b->p);
		return NULL;
	}
	if (!b->p)
		put(b, "", 0);
	return b->ok ? b->p : NULL;
}

/* The length of the secret word starting at S (case-insensitive), 0 when none does. */
static size_t word_at(const char *s)
{
	size_t i;

	for (i = 0; i < N_WORDS; i++) {
		size_t n = strlen(secret_words[i]);

		if (strncasecmp(s, secret_words[i], n) == 0)
			return n;
	}
	return 0;
}

bool cl_scrub_is_secret_name(const char *name)
{
	for (; name && *name; name++)
		if (word_at(name))
			return true;
	return false;
}

static bool name_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '-' || c == '.';
}

/* At S a secret word starts: if a name goes on from there and is followed by '=' or ':' and a value,
 * return the length up to the value and set *vlen to the value's length. */
static size_t assignment(const char *s, size_t *vstart, size_t *vlen)
{
	size_t i = word_at(s), j;
	char quote = 0;

	while (name_char(s[i]))
		i++;
	if (s[i] == '"' || s[i] == '\'')
		i++;
	while (s[i] == ' ' || s[i] == '\t')
		i++;
	if (s[i] != '=' && s[i] != ':')
		return 0;
	i++;
	while (s[i] == ' ' || s[i] == '\t')
		i++;
	if (s[i] == '"' || s[i] == '\'')
		quote = s[i++];
	for (j = i; s[j] && s[j] != '\n'; j++) {
		if (quote ? s[j] == quote : (isspace((unsigned char)s[j]) || strchr("&,;}]\"'", s[j])))
			break;
		if (quote && s[j] == '\\' && s[j + 1])
			j++;
	}
	if (j == i)
		return 0;
	*vstart = i;
	*vlen = j - i;
	return 1;
}

/* PEM private key block at S: its length, or 0. */
static size_t private_key_block(const char *s)
{
	const char *eol, *end;

	if (strncmp(s, "-----BEGIN ", 11) != 0)
		return 0;
	eol = strstr(s + 11, "-----");
	if (!eol || memchr(s, '\n', (size_t)(eol - s)))
		return 0;
	if (!memmem(s, (size_t)(eol - s), "PRIVATE KEY", 11) && !memmem(s, (size_t)(eol - s), "ENCRYPTED", 9))
		return 0;
	end = strstr(eol + 5, "-----END ");
	if (!end)
		return strlen(s); /* unterminated: everything after it goes */
	end = strstr(end + 9, "-----");
	return end ? (size_t)(end + 5 - s) : strlen(s);
}

/* "scheme://user:password@host": the length of "user:password", or 0. */
static size_t userinfo(const char *s)
{
	size_t i;
	bool colon = false;

	for (i = 0; s[i] && s[i] != '@'; i++) {
		if (s[i] == '/' || isspace((unsigned char)s[i]) || s[i] == '"')
			return 0;
		colon |= s[i] == ':';
	}
	return s[i] == '@' && colon ? i : 0;
}

static char *scrub_patterns(const char *s)
{
	struct buf b = { NULL, 0, 0, true };
	size_t i = 0, n, vs, vl;

	while (s[i]) {
		if ((n = private_key_block(s + i)) > 0) {
			put(&b, "[removed private key]", 21);
			i += n;
		} else if (strncmp(s + i, "://", 3) == 0 && (n = userinfo(s + i + 3)) > 0) {
			put(&b, "://", 3);
			put_mark(&b);
			i += 3 + n;
		} else if (word_at(s + i) && assignment(s + i, &vs, &vl)) {
			put(&b, s + i, vs);
			put_mark(&b);
			i += vs + vl;
		} else {
			put(&b, s + i, 1);
			i++;
		}
	}
	return finish(&b);
}

static char *replace_all(const char *s, const char *secret)
{
	struct buf b = { NULL, 0, 0, true };
	size_t n = strlen(secret);
	const char *hit;

	while ((hit = strstr(s, secret)) != NULL) {
		put(&b, s, (size_t)(hit - s));
		put_mark(&b);
		s = hit + n;
	}
	put(&b, s, strlen(s));
	return finish(&b);
}

char *cl_scrub_text(const char *text, size_t len, const char *const *secrets, size_t n_secrets)
{
	char *cur = malloc(len + 1), *next;
	size_t i;

	if (!cur)
		return NULL;
	for (i = 0; i < len; i++)
		cur[i] = text[i] ? text[i] : '?';
	cur[len] = '\0';
	/* known values first: a pattern pass could cut one in two and leave a piece behind */
	for (i = 0; i < n_secrets; i++) {
		if (!secrets[i] || strlen(secrets[i]) < CL_SCRUB_MIN_SECRET || !strstr(cur, secrets[i]))
			continue;
		next = replace_all(cur, secrets[i]);
		free(cur);
		if (!next)
			return NULL;
		cur = next;
	}
	next = scrub_patterns(cur);
	free(cur);
	return next;
}

void cl_scrub_json(cJSON *item)
{
	cJSON *child;

	for (child = item ? item->child : NULL; child; child = child->next) {
		if (child->string && cl_scrub_is_secret_name(child->string) && !cJSON_IsNull(child) &&
		    !cJSON_IsBool(child)) {
			cJSON *mark = cJSON_CreateString(CL_SCRUB_MARK);

			/* cJSON's allocator is malloc here (no hooks are installed), so the name may be
			 * strdup'd */
			if (mark)
				mark->string = strdup(child->string);
			if (mark && mark->string && cJSON_ReplaceItemViaPointer(item, child, mark)) {
				child = mark;
				continue;
			}
			cJSON_Delete(mark);
		}
		cl_scrub_json(child);
	}
}
