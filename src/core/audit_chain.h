/* The tamper-evident audit chain.
 *
 * Each row's hash is SHA-256 over its own fields and the previous row's hash, so editing,
 * deleting or reordering any row breaks every hash from that row on. The first row's
 * prev_hash is AUDIT_GENESIS_HASH. Fields are serialised with length prefixes so no two
 * different rows serialise alike. */
#ifndef EXOSAFE_AUDIT_CHAIN_H
#define EXOSAFE_AUDIT_CHAIN_H

#include <stdbool.h>
#include <stdint.h>

#define AUDIT_HASH_HEX 65
#define AUDIT_GENESIS_HASH "0000000000000000000000000000000000000000000000000000000000000000"

typedef struct audit_row {
	int64_t id;              /* the row's place in its chain (audit_log.seq; the same as the
	                          * table's id in chain 0 until a clinic is migrated in) */
	int64_t chain;           /* 0: the database's own chain; else a migrated clinic's (0019);
	                          * not covered by the hash */
	int64_t at;              /* unix seconds, UTC */
	int64_t actor_id;        /* 0 for the system or an anonymous client */
	char actor_role[16];
	char action[64];         /* e.g. "auth.login", "patient.profile.read" */
	char object[128];        /* e.g. "patient:12" */
	char detail[512];        /* short free text, never a password or token */
	char prev_hash[AUDIT_HASH_HEX];
	char hash[AUDIT_HASH_HEX];
} audit_row;

/* Computes row's hash from its fields and row->prev_hash into out (hex, NUL-terminated).
 * Returns 0, or -1 when libsodium is not initialised. */
int audit_chain_hash(const audit_row *row, char out[AUDIT_HASH_HEX]);

/* Verification state, fed one row at a time in id order. */
typedef struct audit_verifier {
	int64_t rows_checked;          /* over every chain */
	int64_t chains;                /* chains seen */
	int64_t chain;                 /* the chain being walked, then the broken one */
	int64_t expected_id;           /* ids are dense: a gap means a deleted row */
	char expected_prev[AUDIT_HASH_HEX];
	bool broken;
	int64_t broken_id;             /* the first row found wrong */
	char reason[160];
} audit_verifier;

void audit_verifier_init(audit_verifier *v);
/* Checks the next row, fed chain by chain in order of id; a row of another chain than the last
 * starts that chain afresh (id 1, the genesis hash). Returns true while the chain is intact; once broken, stays broken
 * and keeps the first broken row and its reason. */
bool audit_verifier_feed(audit_verifier *v, const audit_row *row);

#endif
