/* certlink-server: the memory of verified passwords (see pwcache.h). */
#include "pwcache.h"

#include <pthread.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#define MAC_LEN 32

struct entry {
	unsigned char mac[MAC_LEN];
	time_t verified;
	int used;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned char key[32];
static int have_key;
static EVP_MAC *hmac;
static struct entry table[SRV_PWCACHE_SLOTS];

/* The process's key, made on first use. Called with lock held. */
static int key_ready(void)
{
	if (!hmac)
		hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (!have_key)
		have_key = hmac && RAND_priv_bytes(key, sizeof(key)) == 1;
	return have_key;
}

static int update(EVP_MAC_CTX *ctx, const char *s)
{
	/* The NUL ends each part, so no two (user, password, stored) give the same input. */
	return EVP_MAC_update(ctx, (const unsigned char *)s, strlen(s) + 1);
}

/* HMAC(key, user NUL password NUL stored NUL). Called with lock held. 0 or -1. */
static int mac_of(const char *user, const char *password, const char *stored, unsigned char out[MAC_LEN])
{
	OSSL_PARAM params[] = { OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA256", 0),
		                OSSL_PARAM_construct_end() };
	EVP_MAC_CTX *ctx;
	size_t len = 0;
	int ok;

	if (!key_ready() || !(ctx = EVP_MAC_CTX_new(hmac)))
		return -1;
	ok = EVP_MAC_init(ctx, key, sizeof(key), params) && update(ctx, user) && update(ctx, password) &&
	     update(ctx, stored) && EVP_MAC_final(ctx, out, &len, MAC_LEN) && len == MAC_LEN;
	EVP_MAC_CTX_free(ctx);
	return ok ? 0 : -1;
}

static int live(const struct entry *e, time_t now)
{
	return e->used && now >= e->verified && now - e->verified < SRV_PWCACHE_TTL;
}

int srv_pwcache_hit(const char *user, const char *password, const char *stored, time_t now)
{
	unsigned char mac[MAC_LEN];
	int i, found = 0;

	if (!user || !password || !stored || !*stored)
		return 0;
	pthread_mutex_lock(&lock);
	if (mac_of(user, password, stored, mac) == 0) {
		/* Every entry is compared, in constant time, whatever matches. */
		for (i = 0; i < SRV_PWCACHE_SLOTS; i++) {
			if (!live(&table[i], now)) {
				OPENSSL_cleanse(&table[i], sizeof(table[i]));
				continue;
			}
			found |= CRYPTO_memcmp(table[i].mac, mac, MAC_LEN) == 0;
		}
	}
	pthread_mutex_unlock(&lock);
	OPENSSL_cleanse(mac, sizeof(mac));
	return found;
}

void srv_pwcache_add(const char *user, const char *password, const char *stored, time_t now)
{
	unsigned char mac[MAC_LEN];
	struct entry *slot = NULL;
	int i;

	if (!user || !password || !stored || !*stored)
		return;
	pthread_mutex_lock(&lock);
	if (mac_of(user, password, stored, mac) == 0) {
		for (i = 0; i < SRV_PWCACHE_SLOTS; i++) {
			struct entry *e = &table[i];
			if (live(e, now) && CRYPTO_memcmp(e->mac, mac, MAC_LEN) == 0) {
				slot = e; /* the same password verified again: its time starts anew */
				break;
			}
			/* Otherwise a free or expired entry, else the oldest. */
			if (!slot || (live(slot, now) && (!live(e, now) || e->verified < slot->verified)))
				slot = e;
		}
		memcpy(slot->mac, mac, MAC_LEN);
		slot->verified = now;
		slot->used = 1;
	}
	pthread_mutex_unlock(&lock);
	OPENSSL_cleanse(mac, sizeof(mac));
}

void srv_pwcache_wipe(void)
{
	pthread_mutex_lock(&lock);
	OPENSSL_cleanse(table, sizeof(table));
	OPENSSL_cleanse(key, sizeof(key));
	have_key = 0;
	EVP_MAC_free(hmac);
	hmac = NULL;
	pthread_mutex_unlock(&lock);
}
