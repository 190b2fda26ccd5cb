#include "core/credentials.h"

#include <sodium.h>
#include <string.h>

int password_hash(const char *password, char out[PASSWORD_HASH_MAX])
{
	_Static_assert(crypto_pwhash_STRBYTES <= PASSWORD_HASH_MAX, "hash buffer too small");
	return crypto_pwhash_str_alg(out, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
	                             crypto_pwhash_MEMLIMIT_INTERACTIVE, crypto_pwhash_ALG_ARGON2ID13);
}

bool password_verify(const char *stored_hash, const char *password)
{
	return crypto_pwhash_str_verify(stored_hash, password, strlen(password)) == 0;
}

const char *password_dummy_hash(void)
{
	/* Computed once per process; a benign race at start-up computes it twice at worst. */
	static char dummy[PASSWORD_HASH_MAX];
	if (dummy[0] == '\0') {
		char random_password[TOKEN_TEXT_MAX], h[PASSWORD_HASH_MAX];
		token_random(random_password);
		if (password_hash(random_password, h) == 0)
			memcpy(dummy, h, sizeof dummy);
	}
	return dummy;
}

void token_random(char out[TOKEN_TEXT_MAX])
{
	unsigned char bytes[32];
	randombytes_buf(bytes, sizeof bytes);
	sodium_bin2base64(out, TOKEN_TEXT_MAX, bytes, sizeof bytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

void token_hash(const char *token, char out[TOKEN_HASH_HEX])
{
	unsigned char digest[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(digest, (const unsigned char *)token, strlen(token));
	sodium_bin2hex(out, TOKEN_HASH_HEX, digest, sizeof digest);
}

bool token_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la != lb || la == 0)
		return false;
	return sodium_memcmp(a, b, la) == 0;
}
