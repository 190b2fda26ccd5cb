#include "core/audit_chain.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

static void hash_bytes(crypto_hash_sha256_state *st, const void *data, uint64_t len)
{
	unsigned char prefix[8];
	for (int i = 0; i < 8; i++)
		prefix[i] = (unsigned char)(len >> (56 - 8 * i));
	crypto_hash_sha256_update(st, prefix, sizeof prefix);
	crypto_hash_sha256_update(st, data, len);
}

static void hash_text(crypto_hash_sha256_state *st, const char *text)
{
	hash_bytes(st, text, strlen(text));
}

static void hash_int(crypto_hash_sha256_state *st, int64_t value)
{
	char buf[32];
	int n = snprintf(buf, sizeof buf, "%lld", (long long)value);
	hash_bytes(st, buf, (uint64_t)n);
}

int audit_chain_hash(const audit_row *row, char out[AUDIT_HASH_HEX])
{
	crypto_hash_sha256_state st;
	unsigned char digest[crypto_hash_sha256_BYTES];

	if (crypto_hash_sha256_init(&st) != 0)
		return -1;
	hash_text(&st, "exosafe-audit-v1");
	hash_int(&st, row->id);
	hash_int(&st, row->at);
	hash_int(&st, row->actor_id);
	hash_text(&st, row->actor_role);
	hash_text(&st, row->action);
	hash_text(&st, row->object);
	hash_text(&st, row->detail);
	hash_text(&st, row->prev_hash);
	crypto_hash_sha256_final(&st, digest);
	sodium_bin2hex(out, AUDIT_HASH_HEX, digest, sizeof digest);
	return 0;
}

void audit_verifier_init(audit_verifier *v)
{
	memset(v, 0, sizeof *v);
	v->expected_id = 1;
	memcpy(v->expected_prev, AUDIT_GENESIS_HASH, AUDIT_HASH_HEX);
}

static bool verifier_fail(audit_verifier *v, int64_t id, const char *reason)
{
	v->broken = true;
	v->broken_id = id;
	snprintf(v->reason, sizeof v->reason, "%s", reason);
	return false;
}

bool audit_verifier_feed(audit_verifier *v, const audit_row *row)
{
	char computed[AUDIT_HASH_HEX];

	if (v->broken)
		return false;
	if (v->chains == 0 || row->chain != v->chain) {
		v->chains++;
		v->chain = row->chain;
		v->expected_id = 1;
		memcpy(v->expected_prev, AUDIT_GENESIS_HASH, AUDIT_HASH_HEX);
	}
	v->rows_checked++;
	if (row->id != v->expected_id) {
		char reason[160];
		snprintf(reason, sizeof reason, "expected row %lld next, found row %lld (a row was deleted or renumbered)",
		         (long long)v->expected_id, (long long)row->id);
		return verifier_fail(v, row->id, reason);
	}
	if (strcmp(row->prev_hash, v->expected_prev) != 0)
		return verifier_fail(v, row->id, "prev_hash does not match the previous row (a row was deleted, inserted or reordered)");
	if (audit_chain_hash(row, computed) != 0 || sodium_memcmp(computed, row->hash, AUDIT_HASH_HEX - 1) != 0 ||
	    strlen(row->hash) != AUDIT_HASH_HEX - 1)
		return verifier_fail(v, row->id, "hash does not match the row's contents (the row was edited)");
	memcpy(v->expected_prev, row->hash, AUDIT_HASH_HEX);
	v->expected_id = row->id + 1;
	return true;
}
