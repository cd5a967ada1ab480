/* Unit tests of core/key.c: key kinds from the server's words, generation, description, the renewal check,
 * and key files (0600 from creation, no clobbering, not through a symlink, size cap, no password prompt). */
#include "check.h"
#include "key.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/pem.h>

static char dir[256];

static void path_in_dir(char *out, size_t size, const char *name)
{
	snprintf(out, size, "%s/%s", dir, name);
}

static void test_spec_parse(void)
{
	struct cl_key_spec spec = { 0 };
	struct cl_error err;
	char desc[CL_KEY_DESC_SIZE];

	CHECK_INT_EQ(cl_key_spec_parse("rsa", 3072, NULL, &spec, &err), CL_OK);
	CHECK_INT_EQ(spec.type, CL_KEY_RSA);
	CHECK_INT_EQ(spec.bits, 3072);
	cl_key_spec_describe(&spec, desc);
	CHECK_STR_EQ(desc, "RSA 3072");
	CHECK_INT_EQ(cl_key_spec_parse("ec", 0, "P-384", &spec, &err), CL_OK);
	CHECK_INT_EQ(spec.type, CL_KEY_EC);
	cl_key_spec_describe(&spec, desc);
	CHECK_STR_EQ(desc, "EC P-384");

	CHECK_INT_EQ(cl_key_spec_parse("rsa", 1024, NULL, &spec, &err), CL_E_REFUSED);
	CHECK(strstr(err.msg, "1024") != NULL);
	CHECK_INT_EQ(cl_key_spec_parse("rsa", 2049, NULL, &spec, &err), CL_E_REFUSED);
	CHECK_INT_EQ(cl_key_spec_parse("ec", 0, "P-521", &spec, &err), CL_E_REFUSED);
	CHECK_INT_EQ(cl_key_spec_parse("ec", 256, NULL, &spec, &err), CL_E_REFUSED);
	CHECK_INT_EQ(cl_key_spec_parse("dsa", 2048, NULL, &spec, &err), CL_E_REFUSED);
	CHECK_INT_EQ(cl_key_spec_parse(NULL, 2048, NULL, &spec, &err), CL_E_REFUSED);
}

static void test_generate_all(void)
{
	static const struct {
		enum cl_key_type type;
		int bits;
		const char *desc;
	} kinds[] = {
		{ CL_KEY_RSA, 2048, "RSA 2048" }, { CL_KEY_RSA, 3072, "RSA 3072" },
		{ CL_KEY_RSA, 4096, "RSA 4096" }, { CL_KEY_EC, 256, "EC P-256" },
		{ CL_KEY_EC, 384, "EC P-384" },
	};
	struct cl_error err;

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		struct cl_key_spec spec = { kinds[i].type, kinds[i].bits }, got = { 0 };
		EVP_PKEY *key = NULL;
		char desc[CL_KEY_DESC_SIZE];

		CHECK_INT_EQ(cl_key_generate(&spec, &key, &err), CL_OK);
		CHECK(key != NULL);
		if (!key)
			continue;
		cl_key_describe(key, desc);
		CHECK_STR_EQ(desc, kinds[i].desc);
		CHECK_INT_EQ(cl_key_get_spec(key, &got, &err), CL_OK);
		CHECK_INT_EQ(got.type, kinds[i].type);
		CHECK_INT_EQ(got.bits, kinds[i].bits);
		CHECK_INT_EQ(cl_key_check(key, &spec, &err), CL_OK);
		if (kinds[i].type == CL_KEY_EC)
			CHECK(EVP_PKEY_is_a(key, "EC"));
		else
			CHECK_INT_EQ(EVP_PKEY_get_bits(key), kinds[i].bits);
		EVP_PKEY_free(key);
	}
	{
		struct cl_key_spec bad = { CL_KEY_RSA, 1024 };
		EVP_PKEY *key = (EVP_PKEY *)1;

		CHECK_INT_EQ(cl_key_generate(&bad, &key, &err), CL_E_LOCAL);
		CHECK(key == NULL);
	}
}

static void test_check_mismatch(void)
{
	struct cl_key_spec rsa2048 = { CL_KEY_RSA, 2048 }, rsa3072 = { CL_KEY_RSA, 3072 },
	                   p256 = { CL_KEY_EC, 256 }, p384 = { CL_KEY_EC, 384 };
	EVP_PKEY *rsa = NULL, *ec = NULL, *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	struct cl_error err;
	char desc[CL_KEY_DESC_SIZE];

	CHECK_INT_EQ(cl_key_generate(&rsa2048, &rsa, &err), CL_OK);
	CHECK_INT_EQ(cl_key_generate(&p256, &ec, &err), CL_OK);
	CHECK_INT_EQ(cl_key_check(rsa, &rsa3072, &err), CL_E_REFUSED);
	CHECK_STR_EQ(err.msg, "the existing key is RSA 2048 but the server now asks for RSA 3072");
	CHECK_INT_EQ(cl_key_check(rsa, &p256, &err), CL_E_REFUSED);
	CHECK_STR_EQ(err.msg, "the existing key is RSA 2048 but the server now asks for EC P-256");
	CHECK_INT_EQ(cl_key_check(ec, &p384, &err), CL_E_REFUSED);
	CHECK_STR_EQ(err.msg, "the existing key is EC P-256 but the server now asks for EC P-384");
	CHECK(ed != NULL);
	cl_key_describe(ed, desc);
	CHECK_STR_EQ(desc, "unsupported key");
	CHECK_INT_EQ(cl_key_check(ed, &p256, &err), CL_E_REFUSED);
	CHECK(strstr(err.msg, "EC P-256") != NULL);
	CHECK(strstr(err.msg, "ED25519") != NULL);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(ec);
	EVP_PKEY_free(ed);
}

static void write_file(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	CHECK(f != NULL);
	if (!f)
		return;
	CHECK_INT_EQ(fwrite(data, 1, len, f), len);
	fclose(f);
}

static int count_dir_entries(void)
{
	char cmd[300];
	FILE *p;
	int n = -1;

	snprintf(cmd, sizeof(cmd), "ls -A '%s' | wc -l", dir);
	p = popen(cmd, "r");
	if (p && fscanf(p, "%d", &n) != 1)
		n = -1;
	if (p)
		pclose(p);
	return n;
}

static void test_save_load(void)
{
	struct cl_key_spec p256 = { CL_KEY_EC, 256 };
	EVP_PKEY *key = NULL, *back = NULL;
	struct cl_error err;
	char path[300], link_path[300], target[300], head[32] = "";
	struct stat st;
	FILE *f;
	mode_t old_umask = umask(0);

	CHECK_INT_EQ(cl_key_generate(&p256, &key, &err), CL_OK);
	path_in_dir(path, sizeof(path), "new.key");
	/* umask 0 must not widen the mode: the file is 0600 from creation. */
	CHECK_INT_EQ(cl_key_save(key, path, &err), CL_OK);
	umask(old_umask);
	CHECK_INT_EQ(stat(path, &st), 0);
	CHECK_INT_EQ(st.st_mode & 07777, 0600);
	f = fopen(path, "r");
	CHECK(f && fgets(head, sizeof(head), f));
	if (f)
		fclose(f);
	CHECK_STR_EQ(head, "-----BEGIN PRIVATE KEY-----\n");
	CHECK_INT_EQ(count_dir_entries(), 1); /* no temporary file left behind */

	CHECK_INT_EQ(cl_key_load(path, &back, &err), CL_OK);
	CHECK(back && EVP_PKEY_eq(key, back) == 1);
	EVP_PKEY_free(back);

	/* never replaces an existing file, and leaves it intact */
	CHECK_INT_EQ(cl_key_save(key, path, &err), CL_E_LOCAL);
	CHECK(strstr(err.msg, "File exists") != NULL);
	CHECK_INT_EQ(count_dir_entries(), 1);
	CHECK_INT_EQ(cl_key_load(path, &back, &err), CL_OK);
	EVP_PKEY_free(back);

	/* never writes through a symlink, dangling or not */
	path_in_dir(link_path, sizeof(link_path), "link.key");
	path_in_dir(target, sizeof(target), "target.key");
	CHECK_INT_EQ(symlink(target, link_path), 0);
	CHECK_INT_EQ(cl_key_save(key, link_path, &err), CL_E_LOCAL);
	CHECK_INT_EQ(access(target, F_OK), -1);
	unlink(link_path);

	unlink(path);
	EVP_PKEY_free(key);
}

static int fixed_password(char *buf, int size, int rwflag, void *u)
{
	snprintf(buf, (size_t)size, "pw");
	return 2;
}

static void test_load_refuses(void)
{
	struct cl_key_spec p256 = { CL_KEY_EC, 256 };
	EVP_PKEY *key = NULL, *back = NULL;
	struct cl_error err;
	char path[300];
	char *big;
	BIO *bio;
	BUF_MEM *mem;

	path_in_dir(path, sizeof(path), "garbage.key");
	write_file(path, "not a key\n", 10);
	CHECK_INT_EQ(cl_key_load(path, &back, &err), CL_E_LOCAL);
	CHECK(back == NULL);
	CHECK(strstr(err.msg, "garbage.key") != NULL);
	unlink(path);

	path_in_dir(path, sizeof(path), "big.key");
	big = calloc(1, CL_KEY_FILE_MAX + 2);
	memset(big, 'A', CL_KEY_FILE_MAX + 1);
	write_file(path, big, CL_KEY_FILE_MAX + 1);
	CHECK_INT_EQ(cl_key_load(path, &back, &err), CL_E_LOCAL);
	CHECK(strstr(err.msg, "too large") != NULL);
	unlink(path);
	free(big);

	path_in_dir(path, sizeof(path), "missing.key");
	CHECK_INT_EQ(cl_key_load(path, &back, &err), CL_E_LOCAL);

	/* an encrypted key fails cleanly instead of prompting on the terminal */
	CHECK_INT_EQ(cl_key_generate(&p256, &key, &err), CL_OK);
	bio = BIO_new(BIO_s_mem());
	CHECK(PEM_write_bio_PKCS8PrivateKey(bio, key, EVP_aes_256_cbc(), NULL, 0, fixed_password, NULL) == 1);
	BIO_get_mem_ptr(bio, &mem);
	path_in_dir(path, sizeof(path), "encrypted.key");
	write_file(path, mem->data, mem->length);
	CHECK_INT_EQ(cl_key_load(path, &back, &err), CL_E_LOCAL);
	CHECK(back == NULL);
	unlink(path);
	BIO_free(bio);
	EVP_PKEY_free(key);

	CHECK_INT_EQ(cl_key_load(dir, &back, &err), CL_E_LOCAL); /* a directory */
}

int main(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/test-key-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	test_spec_parse();
	test_generate_all();
	test_check_mismatch();
	test_save_load();
	test_load_refuses();
	rmdir(dir);
	CHECK_INT_EQ(access(dir, F_OK), -1); /* every file the test made was removed */
	return check_done();
}
