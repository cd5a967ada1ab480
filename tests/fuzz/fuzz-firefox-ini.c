/* libFuzzer target for the profiles.ini reader (core/firefox-profiles.c): any bytes as the file, which the
 * person's account (or any program it runs) can write.
 *
 * Every directory handed out must be absolute, shorter than PATH_MAX, free of control characters, and
 * either under the root the file was found in or absolute in the file itself. Every broken property
 * abort()s so libFuzzer keeps the input.
 */
#include "firefox-profiles.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ROOT "/home/p/.mozilla/firefox"

static void check_dir(const char *dir, void *data)
{
	size_t n = strlen(dir);

	(*(size_t *)data)++;
	if (dir[0] != '/' || n >= PATH_MAX)
		abort();
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)dir[i] < 0x20 || dir[i] == 0x7f)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text;
	size_t found = 0;

	if (size > CL_FIREFOX_INI_MAX)
		return 0; /* cl_firefox_find() never reads more */
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	cl_firefox_parse_ini(text, ROOT, check_dir, &found);
	if (found > size / 10 + 1) /* each profile takes at least a section header, IsRelative= and Path= */
		abort();
	free(text);
	return 0;
}
