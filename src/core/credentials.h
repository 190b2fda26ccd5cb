/* Passwords and random tokens, through libsodium. sodium_init() must have succeeded. */
#ifndef EXOSAFE_CREDENTIALS_H
#define EXOSAFE_CREDENTIALS_H

#include <stdbool.h>
#include <stddef.h>

#define PASSWORD_HASH_MAX 128   /* crypto_pwhash_STRBYTES */
#define TOKEN_TEXT_MAX 64       /* base64url of 32 random bytes, NUL-terminated */
#define TOKEN_HASH_HEX 65

/* Hashes password with Argon2id (libsodium's interactive limits) into out.
 * Returns 0, or -1 when memory for the hash could not be had. */
int password_hash(const char *password, char out[PASSWORD_HASH_MAX]);
/* Returns true when password matches the stored Argon2id hash. */
bool password_verify(const char *stored_hash, const char *password);
/* A hash of a random password, so log-ins for unknown accounts take as long as real ones. */
const char *password_dummy_hash(void);

/* Fills out with 32 random bytes as base64url without padding. */
void token_random(char out[TOKEN_TEXT_MAX]);
/* Hex SHA-256 of token, for storing session tokens. */
void token_hash(const char *token, char out[TOKEN_HASH_HEX]);
/* Constant-time equality of two NUL-terminated tokens. */
bool token_equal(const char *a, const char *b);

#endif
