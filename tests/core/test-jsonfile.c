/* Unit tests of core/jsonfile.c: depth scan, caps, trailing text, typed getters, time round trips. */
#include "check.h"
#include "fileio.h"
#include "jsonfile.h"
#include "tmpdir.h"

#include <stdlib.h>

static void test_depth(void)
{
	char deep[200];

	CHECK_INT_EQ(cl_jsonfile_depth("{}", 2, 16), 1);
	CHECK_INT_EQ(cl_jsonfile_depth("{\"a\":[[1]]}", 11, 16), 3);
	/* Brackets inside strings, with escaped quotes, do not count. */
	CHECK_INT_EQ(cl_jsonfile_depth("{\"a\\\"[[[\":\"]]{{\"}", 17, 16), 1);
	memset(deep, '[', 100);
	memset(deep + 100, ']', 100);
	CHECK_INT_EQ(cl_jsonfile_depth(deep, 200, 16), 17);
	CHECK_INT_EQ(cl_jsonfile_depth(deep, 200, 1000), 100);
}

static void test_parse(void)
{
	struct cl_error err;
	char deep[40001];
	cJSON *j;

	j = cl_jsonfile_parse("{\"a\":1}\n  ", 10, 4, "t", &err);
	CHECK(j != NULL);
	cJSON_Delete(j);
	CHECK(cl_jsonfile_parse("{\"a\":1} {}", 10, 4, "t", &err) == NULL);
	CHECK(strstr(err.msg, "unexpected text") != NULL);
	CHECK(cl_jsonfile_parse("{\"a\":1\0}", 8, 4, "t", &err) == NULL);
	CHECK(strstr(err.msg, "NUL") != NULL);
	CHECK(cl_jsonfile_parse("{\"a\":", 5, 4, "t", &err) == NULL);
	CHECK(strstr(err.msg, "invalid JSON") != NULL);
	CHECK(cl_jsonfile_parse("[[[[[1]]]]]", 11, 4, "t", &err) == NULL);
	CHECK(strstr(err.msg, "deeper than 4") != NULL);
	/* 20000 levels would overflow a recursive parser; the scan refuses it first. */
	memset(deep, '[', 20000);
	memset(deep + 20000, ']', 20000);
	CHECK(cl_jsonfile_parse(deep, 40000, 16, "t", &err) == NULL);
	CHECK_INT_EQ(err.status, CL_E_LOCAL);
}

static void test_files(void)
{
	struct cl_error err;
	cJSON *j = cJSON_CreateObject(), *back = NULL;
	char *text = NULL;

	cJSON_AddStringToObject(j, "name", "certlink");
	CHECK_INT_EQ(cl_jsonfile_save(tmpdir_path("a.json"), j, 0640, 1024, &err), CL_OK);
	CHECK_INT_EQ(tmpdir_mode(tmpdir_path("a.json")), 0640);
	CHECK_INT_EQ(cl_jsonfile_load(tmpdir_path("a.json"), 1024, 4, &back, &err), CL_OK);
	CHECK(back && cJSON_Compare(j, back, true));
	cJSON_Delete(back);
	/* Saved files end with a newline. */
	CHECK_INT_EQ(cl_fileio_read(tmpdir_path("a.json"), 1024, &text, NULL, &err), CL_OK);
	CHECK(text && text[strlen(text) - 1] == '\n');
	free(text);
	/* Too large to save: refused, old file kept. */
	cJSON_AddStringToObject(j, "pad", "0123456789012345678901234567890123456789");
	CHECK_INT_EQ(cl_jsonfile_save(tmpdir_path("a.json"), j, 0640, 40, &err), CL_E_LOCAL);
	CHECK(strstr(err.msg, "over its limit") != NULL);
	back = (cJSON *)1;
	CHECK_INT_EQ(cl_jsonfile_load(tmpdir_path("missing.json"), 1024, 4, &back, &err), CL_OK);
	CHECK(back == NULL);
	CHECK_INT_EQ(cl_jsonfile_load(tmpdir_path("a.json"), 10, 4, &back, &err), CL_E_LOCAL);
	CHECK(strstr(err.msg, "too large") != NULL);
	tmpdir_write(tmpdir_path("bad.json"), "{\"name\": certlink}");
	CHECK_INT_EQ(cl_jsonfile_load(tmpdir_path("bad.json"), 1024, 4, &back, &err), CL_E_LOCAL);
	CHECK(strstr(err.msg, "bad.json: invalid JSON") != NULL);
	cJSON_Delete(j);
}

static void test_getters(void)
{
	struct cl_error err;
	cJSON *j = cJSON_Parse(
	    "{\"s\":\"abc\",\"n\":42,\"f\":1.5,\"b\":true,\"z\":null,\"c\":\"a\\nb\",\"big\":1e300,"
	    "\"t\":\"2026-11-25T10:00:00Z\",\"bt\":\"2026-02-30T10:00:00Z\"}");
	char *s = NULL;
	int64_t n = 7, t = 0;
	bool b = false;

	CHECK(j != NULL);
	CHECK_INT_EQ(cl_jsonfile_get_string(j, "s", 3, true, &s, &err), CL_OK);
	CHECK_STR_EQ(s, "abc");
	CHECK_INT_EQ(cl_jsonfile_get_string(j, "s", 2, true, &s, &err), CL_E_LOCAL);
	CHECK(strstr(err.msg, "longer than 2") != NULL);
	CHECK_STR_EQ(s, "abc");
	CHECK_INT_EQ(cl_jsonfile_get_string(j, "c", 10, true, &s, &err), CL_E_LOCAL);
	CHECK(strstr(err.msg, "control character") != NULL);
	CHECK_INT_EQ(cl_jsonfile_get_string(j, "n", 10, true, &s, &err), CL_E_LOCAL);
	CHECK(strstr(err.msg, "\"n\" must be a string") != NULL);
	CHECK_INT_EQ(cl_jsonfile_get_string(j, "z", 10, false, &s, &err), CL_OK);
	CHECK_INT_EQ(cl_jsonfile_get_string(j, "z", 10, true, &s, &err), CL_E_LOCAL);
	CHECK_INT_EQ(cl_jsonfile_get_string(j, "absent", 10, false, &s, &err), CL_OK);
	CHECK_STR_EQ(s, "abc");
	free(s);

	CHECK_INT_EQ(cl_jsonfile_get_int(j, "n", 0, 100, true, &n, &err), CL_OK);
	CHECK_INT_EQ(n, 42);
	CHECK_INT_EQ(cl_jsonfile_get_int(j, "n", 0, 41, true, &n, &err), CL_E_LOCAL);
	CHECK_INT_EQ(cl_jsonfile_get_int(j, "f", 0, 100, true, &n, &err), CL_E_LOCAL);
	CHECK_INT_EQ(cl_jsonfile_get_int(j, "big", INT64_MIN, INT64_MAX, true, &n, &err), CL_E_LOCAL);
	CHECK_INT_EQ(cl_jsonfile_get_int(j, "s", 0, 100, true, &n, &err), CL_E_LOCAL);
	CHECK_INT_EQ(n, 42);

	CHECK_INT_EQ(cl_jsonfile_get_bool(j, "b", true, &b, &err), CL_OK);
	CHECK(b);
	CHECK_INT_EQ(cl_jsonfile_get_bool(j, "n", true, &b, &err), CL_E_LOCAL);
	CHECK_INT_EQ(cl_jsonfile_get_bool(j, "absent", true, &b, &err), CL_E_LOCAL);
	CHECK(strstr(err.msg, "\"absent\" is missing") != NULL);

	CHECK_INT_EQ(cl_jsonfile_get_time(j, "t", true, &t, &err), CL_OK);
	CHECK_INT_EQ(t, 1795600800);
	CHECK_INT_EQ(cl_jsonfile_get_time(j, "bt", true, &t, &err), CL_E_LOCAL);
	CHECK_INT_EQ(cl_jsonfile_get_time(j, "s", true, &t, &err), CL_E_LOCAL);
	cJSON_Delete(j);
}

static void test_time(void)
{
	char buf[21];
	int64_t t;
	cJSON *o = cJSON_CreateObject();

	cl_jsonfile_format_time(0, buf);
	CHECK_STR_EQ(buf, "1970-01-01T00:00:00Z");
	cl_jsonfile_format_time(1795600800, buf);
	CHECK_STR_EQ(buf, "2026-11-25T10:00:00Z");
	CHECK(cl_jsonfile_parse_time("2024-02-29T23:59:59Z", &t));
	CHECK(!cl_jsonfile_parse_time("2023-02-29T23:59:59Z", &t));
	CHECK(!cl_jsonfile_parse_time("2026-11-25T10:00:00", &t));
	CHECK(!cl_jsonfile_parse_time("2026-11-25 10:00:00Z", &t));
	CHECK(!cl_jsonfile_parse_time("2026-11-25T10:00:00+01:00", &t));
	CHECK(!cl_jsonfile_parse_time("2026-1x-25T10:00:00Z", &t));
	CHECK(!cl_jsonfile_parse_time("2026-11-25T24:00:00Z", &t));
	CHECK(cl_jsonfile_add_time(o, "never", 0));
	CHECK(cl_jsonfile_add_time(o, "when", 1795600800));
	CHECK(cl_jsonfile_add_string(o, "skipped", NULL));
	CHECK(cJSON_IsNull(cJSON_GetObjectItem(o, "never")));
	CHECK_STR_EQ(cJSON_GetStringValue(cJSON_GetObjectItem(o, "when")), "2026-11-25T10:00:00Z");
	CHECK(cJSON_GetObjectItem(o, "skipped") == NULL);
	cJSON_Delete(o);
}

int main(void)
{
	tmpdir_make("jsonfile");
	test_depth();
	test_parse();
	test_files();
	test_getters();
	test_time();
	tmpdir_remove();
	return check_done();
}
