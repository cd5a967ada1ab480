/* Unit tests for core/text.c: the Cf list (Unicode 15.1) and the escaping of server text for display. */
#include "text.h"

#include <locale.h>

#include "check.h"

/* Every range of Unicode 15.1's "; Cf" lines: both ends are format characters, the code points just
 * outside are not (where they are not themselves in the list). */
static const unsigned cf[][2] = {
	{ 0x00ad, 0x00ad },   { 0x0600, 0x0605 },   { 0x061c, 0x061c },   { 0x06dd, 0x06dd },
	{ 0x070f, 0x070f },   { 0x0890, 0x0891 },   { 0x08e2, 0x08e2 },   { 0x180e, 0x180e },
	{ 0x200b, 0x200f },   { 0x202a, 0x202e },   { 0x2060, 0x2064 },   { 0x2066, 0x206f },
	{ 0xfeff, 0xfeff },   { 0xfff9, 0xfffb },   { 0x110bd, 0x110bd }, { 0x110cd, 0x110cd },
	{ 0x13430, 0x1343f }, { 0x1bca0, 0x1bca3 }, { 0x1d173, 0x1d17a }, { 0xe0001, 0xe0001 },
	{ 0xe0020, 0xe007f },
};

static void test_format_list(void)
{
	size_t n = sizeof(cf) / sizeof(cf[0]);
	unsigned total = 0;

	for (size_t i = 0; i < n; i++) {
		for (unsigned cp = cf[i][0]; cp <= cf[i][1]; cp++)
			CHECK(cl_text_is_format(cp));
		total += cf[i][1] - cf[i][0] + 1;
		if (i == 0 || cf[i - 1][1] < cf[i][0] - 1)
			CHECK(!cl_text_is_format(cf[i][0] - 1));
		if (i + 1 == n || cf[i][1] + 1 < cf[i + 1][0])
			CHECK(!cl_text_is_format(cf[i][1] + 1));
	}
	/* Unicode 15.1 has 170 format characters */
	CHECK_INT_EQ(total, 170);
	/* letters, digits, CJK, emoji and the plain space are text */
	CHECK(!cl_text_is_hidden('a') && !cl_text_is_hidden(' ') && !cl_text_is_hidden(0x3042) &&
	      !cl_text_is_hidden(0x1f600) && !cl_text_is_hidden(0x00e9));
	/* controls and separators are hidden, though not Cf */
	CHECK(cl_text_is_hidden(0x1b) && cl_text_is_hidden(0x7f) && cl_text_is_hidden(0x85) &&
	      cl_text_is_hidden(0x2028) && cl_text_is_hidden(0x2029) && !cl_text_is_format(0x2028));
}

static void escaped(const char *in, unsigned flags, const char *want)
{
	char out[256];

	cl_text_escape(in, out, sizeof(out), flags);
	CHECK_STR_EQ(out, want);
	CHECK_INT_EQ(cl_text_needs_escape(in, flags), strcmp(in, want) != 0);
}

static void test_escape(void)
{
	char buf[32];

	escaped("Example Corp", 0, "Example Corp");
	escaped("証明書サービス", 0, "証明書サービス");
	/* a right-to-left override turns "Corp<RLO>fdp.exe" into "Corpexe.pdf" on screen */
	escaped("Corp\xe2\x80\xae"
	        "fdp.exe",
	        0, "Corp<U+202E>fdp.exe");
	escaped("ad\xe2\x80\x8bmin", 0, "ad<U+200B>min");
	escaped("a\xc2\xad"
	        "b",
	        0, "a<U+00AD>b");
	escaped("tag\xf3\xa0\x81\xa1", 0, "tag<U+E0061>");
	escaped("\x1b[31mred", 0, "<U+001B>[31mred");
	escaped("a\xc2\x85"
	        "b",
	        0, "a<U+0085>b");
	escaped("bad\xff", 0, "bad<0xFF>");
	escaped("line\nbreak", 0, "line<U+000A>break");
	escaped("line\nbreak", CL_TEXT_KEEP_NEWLINES, "line\nbreak");
	escaped("tab\there", 0, "tab here");
	/* cut at a character boundary, never inside an escape or a UTF-8 sequence */
	cl_text_escape("abc\xe2\x80\xae", buf, 8, 0);
	CHECK_STR_EQ(buf, "abc");
	cl_text_escape("ab\xe3\x81\x82", buf, 5, 0);
	CHECK_STR_EQ(buf, "ab");
	/* in place */
	snprintf(buf, sizeof(buf), "x\xe2\x80\x8by");
	cl_text_escape(buf, buf, sizeof(buf), 0);
	CHECK_STR_EQ(buf, "x<U+200B>y");
}

/* Display width: what `certlink list` pads its columns by (issue 10: Japanese columns lined up by bytes). */
static void test_width(const char *locale)
{
	printf("display width in the %s locale\n", locale);
	CHECK_INT_EQ(cl_text_width(""), 0);
	CHECK_INT_EQ(cl_text_width(NULL), 0);
	CHECK_INT_EQ(cl_text_width("installed"), 9);
	/* kana and kanji take two columns each: 3 characters, 9 bytes, 6 columns */
	CHECK_INT_EQ(cl_text_width("ストア"), 6);
	CHECK_INT_EQ(cl_text_width("インストール済み"), 16);
	CHECK_INT_EQ(cl_text_width("承認待ち"), 8);
	CHECK_INT_EQ(cl_text_width("CN=山田 太郎"), 12);
	CHECK_INT_EQ(cl_text_width("サブジェクト / サーバー"), 23);
	/* fullwidth forms are wide, halfwidth katakana is not */
	CHECK_INT_EQ(cl_text_width("ＡＢ"), 4);
	CHECK_INT_EQ(cl_text_width("ｱｲｳ"), 3);
	/* a combining accent and a zero-width space take no column; an invalid octet one */
	CHECK_INT_EQ(cl_text_width("e\xcc\x81"), 1);
	CHECK_INT_EQ(cl_text_width("a\u200bb"), 2);
	CHECK_INT_EQ(cl_text_width("a\377b"), 3);
}

int main(void)
{
	test_format_list();
	test_escape();
	/* the built-in table (a C locale: wcwidth() knows nothing beyond ASCII) and the C library's */
	setlocale(LC_CTYPE, "C");
	test_width("C");
	if (setlocale(LC_CTYPE, "C.UTF-8"))
		test_width("C.UTF-8");
	return check_done();
}
