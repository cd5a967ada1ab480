/* Unit tests of registry/mimeapps.c: [Default Applications] edits keep everything else byte for byte. */
#include "check.h"
#include "mimeapps.h"

#include <stdlib.h>

#define MIME "x-scheme-handler/certlink"
#define ID   "certlink-handler.desktop"

static void check_set(const char *in, const char *want)
{
	char *out = clr_mimeapps_set_default(in, MIME, ID);
	CHECK_STR_EQ(out, want);
	free(out);
}

static void check_remove(const char *in, const char *want, int want_changed)
{
	int changed = -1;
	char *out = clr_mimeapps_remove_default(in, MIME, ID, &changed);
	CHECK_STR_EQ(out, want);
	CHECK_INT_EQ(changed, want_changed);
	free(out);
}

static void test_get(void)
{
	char out[64];

	CHECK_INT_EQ(clr_mimeapps_get_default("", MIME, out, sizeof(out)), 0);
	CHECK_STR_EQ(out, "");
	CHECK_INT_EQ(clr_mimeapps_get_default("[Default Applications]\n" MIME "=a.desktop;b.desktop\n", MIME,
	                                      out, sizeof(out)),
	             1);
	CHECK_STR_EQ(out, "a.desktop");
	/* Another group's key is not a default. */
	CHECK_INT_EQ(
	    clr_mimeapps_get_default("[Added Associations]\n" MIME "=a.desktop;\n", MIME, out, sizeof(out)),
	    0);
	/* A longer MIME type that starts with ours is another key. */
	CHECK_INT_EQ(
	    clr_mimeapps_get_default("[Default Applications]\n" MIME "x=a.desktop\n", MIME, out, sizeof(out)),
	    0);
	CHECK_INT_EQ(clr_mimeapps_get_default("[Default Applications]\n" MIME " = a.desktop\r\n", MIME, out,
	                                      sizeof(out)),
	             1);
	CHECK_STR_EQ(out, "a.desktop");
	CHECK_INT_EQ(clr_mimeapps_get_default("[Default Applications]\n" MIME "=a-very-long-name.desktop\n",
	                                      MIME, out, 8),
	             -1);
}

static void test_set(void)
{
	check_set("", "[Default Applications]\n" MIME "=" ID ";\n");
	/* No group yet: appended after a blank line, the rest untouched (even without a final newline). */
	check_set("[Added Associations]\ntext/html=a.desktop;",
	          "[Added Associations]\ntext/html=a.desktop;\n\n"
	          "[Default Applications]\n" MIME "=" ID ";\n");
	/* Group present, key absent: the key goes first in the group. */
	check_set("# mine\n[Default Applications]\ntext/html=a.desktop\n\n[Added Associations]\nx=y\n",
	          "# mine\n[Default Applications]\n" MIME "=" ID
	          ";\ntext/html=a.desktop\n\n[Added Associations]\nx=y\n");
	/* Key present: ours first, the earlier choices kept after it as fallbacks, no duplicate. */
	check_set(
	    "[Default Applications]\n" MIME "=other.desktop;" ID ";third.desktop\ntext/html=a.desktop\n",
	    "[Default Applications]\n" MIME "=" ID ";other.desktop;third.desktop;\ntext/html=a.desktop\n");
	/* Only the [Default Applications] key changes. */
	check_set("[Added Associations]\n" MIME "=other.desktop;\n[Default Applications]\n",
	          "[Added Associations]\n" MIME "=other.desktop;\n[Default Applications]\n" MIME "=" ID
	          ";\n");
}

static void test_remove(void)
{
	check_remove("", "", 0);
	check_remove("[Default Applications]\n" MIME "=" ID "\ntext/html=a.desktop\n",
	             "[Default Applications]\ntext/html=a.desktop\n", 1);
	check_remove("[Default Applications]\n" MIME "=" ID ";other.desktop;\n",
	             "[Default Applications]\n" MIME "=other.desktop;\n", 1);
	/* Someone else's default is left alone. */
	check_remove("[Default Applications]\n" MIME "=other.desktop\n",
	             "[Default Applications]\n" MIME "=other.desktop\n", 0);
	check_remove("[Added Associations]\n" MIME "=" ID ";\n", "[Added Associations]\n" MIME "=" ID ";\n",
	             0);
	/* A name that merely contains ours is not ours. */
	check_remove("[Default Applications]\n" MIME "=x" ID "\n",
	             "[Default Applications]\n" MIME "=x" ID "\n", 0);
	/* Round trip from an existing file: set then remove gives back the earlier choices. */
	const char *orig = "[Default Applications]\ntext/html=a.desktop\n\n[Added Associations]\nx=y\n";
	char *set = clr_mimeapps_set_default(orig, MIME, ID);
	int changed;
	char *back = set ? clr_mimeapps_remove_default(set, MIME, ID, &changed) : NULL;
	CHECK_STR_EQ(back, orig);
	free(set);
	free(back);
}

int main(void)
{
	test_get();
	test_set();
	test_remove();
	return check_done();
}
