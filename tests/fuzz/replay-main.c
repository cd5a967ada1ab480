/* certlink fuzz replay: feeds files to a fuzz target's LLVMFuzzerTestOneInput() without libFuzzer, so each
 * seed corpus runs under ctest in every build (any compiler, with or without sanitizers).
 *   replay-NAME FILE-OR-DIRECTORY...     directories are read one level deep, in name order, dot files
 * skipped Each input sits in a buffer of exactly its size so that AddressSanitizer sees any read past its
 * end. Exits 1 if an input cannot be read or there was nothing to replay; a finding aborts inside the target.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	uint8_t *data;
	size_t size;
	int rc = -1;

	if (!f || fstat(fileno(f), &st) != 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		goto out;
	}
	size = (size_t)st.st_size;
	data = malloc(size > 0 ? size : 1);
	if (!data) {
		fprintf(stderr, "replay: %s: out of memory\n", path);
		goto out;
	}
	if (fread(data, 1, size, f) != size) {
		fprintf(stderr, "replay: %s: short read\n", path);
	} else {
		LLVMFuzzerTestOneInput(data, size);
		rc = 0;
	}
	free(data);
out:
	if (f)
		fclose(f);
	return rc;
}

static int not_hidden(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

/* Returns the number of inputs replayed, or -1 on a read error. */
static long replay_path(const char *path)
{
	struct dirent **names;
	struct stat st;
	long count = 0;
	int n;

	if (stat(path, &st) != 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return replay_file(path) == 0 ? 1 : -1;
	n = scandir(path, &names, not_hidden, alphasort);
	if (n < 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		char file[4096];

		if (count >= 0) {
			snprintf(file, sizeof(file), "%s/%s", path, names[i]->d_name);
			count = replay_file(file) == 0 ? count + 1 : -1;
		}
		free(names[i]);
	}
	free(names);
	return count;
}

int main(int argc, char **argv)
{
	long total = 0;

	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc; i++) {
		long n = replay_path(argv[i]);

		if (n < 0)
			return 1;
		total += n;
	}
	printf("replayed %ld inputs\n", total);
	return total > 0 ? 0 : 1;
}
