/* The libpq driver of the SQL access layer (sqldb.h; CONTRACT: implementation notes).
 *
 * - The store's SQL uses SQLite's ? and ?NNN; each statement text is rewritten once to $k
 *   (sqldb_pg_rewrite) and prepared once per connection (PQprepare), found again by its text
 *   in the connection's cache, as the SQLite store does with its statement cache.
 * - Parameters go as text (int64 "%lld", double "%.17g", which reads back to the same double),
 *   blobs as binary (bytea) with their length. Parameter types are left to PostgreSQL (0), except
 *   a parameter that is a blob at the statement's first run: bytea (OID 17).
 * - Results come as text; a bytea column is decoded from PostgreSQL's hex text by
 *   sqldb_column_blob. A boolean column reads as 1/0, as SQLite's comparisons do.
 * - Errors by SQLSTATE: class 23 is SQLDB_CONSTRAINT, 40001 and 40P01 SQLDB_RETRY (after which
 *   the transaction is rolled back here, as the contract says); a lost connection is SQLDB_ERROR
 *   "database connection lost", and the next prepare or exec resets it (PQreset), so the server
 *   keeps serving once the database is back. A reset loses the server's prepared statements:
 *   each is prepared again at its next run (the connection's generation tells).
 * - Unlike SQLite, a failed statement aborts PostgreSQL's whole transaction: every later
 *   statement fails until ROLLBACK, and COMMIT then rolls back (reported here as SQLDB_ERROR). */
#include "store/sql/sqldb.h"

#include "store/sql/sqldb_driver.h"
#include "store/sql/sqldb_pg.h"

#include <libpq-fe.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define BYTEA_OID 17
#define BOOL_OID 16
#define CACHE_BUCKETS 256

typedef struct pg_conn pg_conn;

typedef struct pg_stmt {
	struct sqldb_stmt base;    /* base.db: the connection (sqldb_driver.h) */
	char *sql;                 /* the store's text: the cache key */
	char *pg_sql;              /* rewritten with $k */
	uint32_t hash;
	sqldb_pg_params params;
	char name[24];             /* the server's prepared statement */
	unsigned prepared_gen;     /* the connection generation it was prepared in; 0: not yet */
	bool in_use;
	/* Bindings, per $k (index k - 1). */
	const char **values;
	int *lengths;
	int *formats;
	Oid *types;
	char (*numbuf)[32];
	/* The current run. */
	PGresult *res;
	int row;                   /* the current row; -1 before the first */
	int64_t changes;
	unsigned char **blobs;     /* decoded bytea of the current row, per column */
	size_t *blob_lens;
	int blob_cols;
	struct pg_stmt *next;      /* the cache bucket's chain */
} pg_stmt;

struct pg_conn {
	struct sqldb base;
	PGconn *pg;
	unsigned generation;       /* counts connections (1 at open, +1 per reset) */
	unsigned next_name;
	bool lost;                 /* the connection went away: reset before the next statement */
	char errmsg[512];
	pg_stmt *cache[CACHE_BUCKETS];
};

static const sqldb_driver pg_driver;

/* ---- rewriting ? to $k ---- */

char *sqldb_pg_rewrite(const char *sql, sqldb_pg_params *params)
{
	*params = (sqldb_pg_params){0};
	size_t len = strlen(sql);
	/* "?" (1 byte) becomes at most "$32766" (6 bytes): 6x the input bounds the output. */
	char *out = malloc(len * 6 + 1);
	int cap = 16;
	int *slot_of = calloc((size_t)cap + 1, sizeof *slot_of);
	if (out == NULL || slot_of == NULL)
		goto fail;
	size_t o = 0;
	const char *p = sql;
	while (*p != '\0') {
		if (*p == '\'' || *p == '"') {                  /* 'literal' or "identifier", '' escapes */
			char q = *p;
			out[o++] = *p++;
			while (*p != '\0') {
				if (*p == q && p[1] == q) {
					out[o++] = *p++;
					out[o++] = *p++;
				} else if (*p == q) {
					out[o++] = *p++;
					break;
				} else {
					out[o++] = *p++;
				}
			}
		} else if (p[0] == '-' && p[1] == '-') {         /* -- comment to the end of the line */
			while (*p != '\0' && *p != '\n')
				out[o++] = *p++;
		} else if (p[0] == '/' && p[1] == '*') {         /* block comment */
			const char *end = strstr(p + 2, "*/");
			size_t n = end ? (size_t)(end + 2 - p) : strlen(p);
			memcpy(out + o, p, n);
			o += n;
			p += n;
		} else if (*p == '$' && (p == sql || !(p[-1] == '_' || (p[-1] >= 'a' && p[-1] <= 'z') ||
		                                          (p[-1] >= 'A' && p[-1] <= 'Z') || (p[-1] >= '0' && p[-1] <= '9')))) {
			/* A dollar-quoted string $tag$...$tag$ (PL/pgSQL bodies) is copied whole. */
			const char *t = p + 1;
			while (*t == '_' || (*t >= 'a' && *t <= 'z') || (*t >= 'A' && *t <= 'Z') || (*t >= '0' && *t <= '9'))
				t++;
			if (*t == '$' && !(p[1] >= '0' && p[1] <= '9')) {
				size_t taglen = (size_t)(t + 1 - p);
				const char *end = p + taglen;
				while ((end = strchr(end, '$')) != NULL && strncmp(end, p, taglen) != 0)
					end++;
				size_t n = end ? (size_t)(end + taglen - p) : strlen(p);
				memcpy(out + o, p, n);
				o += n;
				p += n;
			} else {
				out[o++] = *p++;
			}
		} else if (*p == '?') {
			p++;
			long number;
			if (*p >= '0' && *p <= '9') {
				number = 0;
				while (*p >= '0' && *p <= '9') {
					number = number * 10 + (*p - '0');
					if (number > SQLDB_PG_MAX_NUMBER)
						goto fail;
					p++;
				}
				if (number == 0)
					goto fail;
			} else {
				number = params->max_number + 1;      /* SQLite: a plain ? follows the largest so far */
				if (number > SQLDB_PG_MAX_NUMBER)
					goto fail;
			}
			if (number > cap) {
				int ncap = cap;
				while (ncap < number)
					ncap *= 2;
				if (ncap > SQLDB_PG_MAX_NUMBER)
					ncap = SQLDB_PG_MAX_NUMBER;
				int *grown = realloc(slot_of, ((size_t)ncap + 1) * sizeof *slot_of);
				if (grown == NULL)
					goto fail;
				memset(grown + cap + 1, 0, (size_t)(ncap - cap) * sizeof *grown);
				slot_of = grown;
				cap = ncap;
			}
			if (number > params->max_number)
				params->max_number = (int)number;
			if (slot_of[number] == 0)
				slot_of[number] = ++params->count;
			o += (size_t)sprintf(out + o, "$%d", slot_of[number]);
		} else {
			out[o++] = *p++;
		}
	}
	out[o] = '\0';
	params->slot_of = slot_of;
	return out;
fail:
	free(out);
	free(slot_of);
	*params = (sqldb_pg_params){0};
	return NULL;
}

/* ---- errors ---- */

static void set_err(pg_conn *c, const char *msg)
{
	snprintf(c->errmsg, sizeof c->errmsg, "%s", msg ? msg : "");
	size_t n = strlen(c->errmsg);
	while (n > 0 && (c->errmsg[n - 1] == '\n' || c->errmsg[n - 1] == ' '))
		c->errmsg[--n] = '\0';
}

/* The sqldb_rc of a failed result (res may be NULL), with its message recorded. */
static sqldb_rc fail_rc(pg_conn *c, const PGresult *res)
{
	if (PQstatus(c->pg) == CONNECTION_BAD) {
		c->lost = true;
		set_err(c, "database connection lost");
		return SQLDB_ERROR;
	}
	set_err(c, res ? PQresultErrorMessage(res) : PQerrorMessage(c->pg));
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	if (state == NULL)
		return SQLDB_ERROR;
	if (strncmp(state, "23", 2) == 0)
		return SQLDB_CONSTRAINT;
	if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0) {
		/* The contract: after SQLDB_RETRY the transaction is rolled back. PostgreSQL leaves it
		 * aborted until ROLLBACK; the caller's own ROLLBACK then only draws a warning. */
		if (PQtransactionStatus(c->pg) == PQTRANS_INERROR)
			PQclear(PQexec(c->pg, "ROLLBACK"));
		return SQLDB_RETRY;
	}
	return SQLDB_ERROR;
}

/* Before a statement: a connection lost earlier is reset. False (message set) when it still
 * is down. */
static bool ensure_connected(pg_conn *c)
{
	if (!c->lost && PQstatus(c->pg) == CONNECTION_OK)
		return true;
	PQreset(c->pg);
	if (PQstatus(c->pg) != CONNECTION_OK) {
		c->lost = true;
		char why[sizeof c->errmsg];
		snprintf(why, sizeof why, "database connection lost; reconnecting: %s", PQerrorMessage(c->pg));
		set_err(c, why);
		return false;
	}
	c->lost = false;
	c->generation++;                /* the server's prepared statements went with the old session */
	return true;
}

/* Whether sql, trimmed, starts with word (any case) followed by a blank or its end. */
static bool starts_with_word(const char *sql, const char *word)
{
	while (*sql == ' ' || *sql == '\t' || *sql == '\n')
		sql++;
	size_t n = strlen(word);
	return strncasecmp(sql, word, n) == 0 && (sql[n] == '\0' || sql[n] == ' ' || sql[n] == '\t' ||
	                                          sql[n] == '\n' || sql[n] == ';');
}

/* A statement that can be sent again when the connection broke under it outside a
 * transaction: a SELECT changes nothing, and a BEGIN had not started anything. A pooled
 * connection learns that the server restarted only when it next sends; without this its first
 * request after every restart would fail although the server is back. An INSERT or UPDATE is
 * never sent twice: the server may have committed it before the connection went. */
static bool is_plain_read(const char *sql)
{
	return starts_with_word(sql, "SELECT");
}

static bool is_begin(const char *sql)
{
	return starts_with_word(sql, "BEGIN") || starts_with_word(sql, "START");
}

/* A transaction's start followed only by reads (the store's "BEGIN ...; SELECT
 * pg_advisory_xact_lock(...)"): sent again after a loss. Anything that writes or commits
 * is not. Our own SQL, with no ';' inside literals. */
static bool is_begin_and_reads(const char *sql)
{
	if (!is_begin(sql))
		return false;
	for (const char *semi = strchr(sql, ';'); semi != NULL; semi = strchr(semi + 1, ';')) {
		const char *next = semi + 1;
		while (*next == ' ' || *next == '\t' || *next == '\n')
			next++;
		if (*next != '\0' && *next != ';' && !starts_with_word(next, "SELECT"))
			return false;
	}
	return true;
}

/* After a failure: true (once, *allowed then cleared) when the connection was lost and is
 * back, so the caller sends the statement again. */
static bool resend_after_loss(pg_conn *c, bool *allowed)
{
	if (!*allowed || !c->lost)
		return false;
	*allowed = false;
	return ensure_connected(c);
}

/* ---- statements ---- */

static uint32_t hash_text(const char *s)
{
	uint32_t h = 2166136261u;     /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static void clear_blobs(pg_stmt *st)
{
	for (int i = 0; i < st->blob_cols; i++) {
		if (st->blobs[i] != NULL)
			PQfreemem(st->blobs[i]);
	}
	free(st->blobs);
	free(st->blob_lens);
	st->blobs = NULL;
	st->blob_lens = NULL;
	st->blob_cols = 0;
}

static void clear_result(pg_stmt *st)
{
	clear_blobs(st);
	PQclear(st->res);
	st->res = NULL;
	st->row = -1;
}

static void clear_bindings(pg_stmt *st)
{
	for (int k = 0; k < st->params.count; k++) {
		st->values[k] = NULL;
		st->lengths[k] = 0;
		st->formats[k] = 0;
	}
}

static void stmt_free(pg_stmt *st)
{
	clear_result(st);
	free(st->sql);
	free(st->pg_sql);
	free(st->params.slot_of);
	free(st->values);
	free(st->lengths);
	free(st->formats);
	free(st->types);
	free(st->numbuf);
	free(st);
}

static pg_stmt *stmt_new(pg_conn *c, const char *sql, uint32_t hash)
{
	pg_stmt *st = calloc(1, sizeof *st);
	if (st == NULL)
		return NULL;
	st->base.db = &c->base;
	st->hash = hash;
	st->row = -1;
	st->sql = strdup(sql);
	st->pg_sql = sqldb_pg_rewrite(sql, &st->params);
	if (st->sql == NULL || st->pg_sql == NULL) {
		set_err(c, st->sql ? "bad parameter number in SQL (?0 or above ?32766)" : "out of memory");
		stmt_free(st);
		return NULL;
	}
	size_t n = st->params.count > 0 ? (size_t)st->params.count : 1;
	st->values = calloc(n, sizeof *st->values);
	st->lengths = calloc(n, sizeof *st->lengths);
	st->formats = calloc(n, sizeof *st->formats);
	st->types = calloc(n, sizeof *st->types);
	st->numbuf = calloc(n, sizeof *st->numbuf);
	if (!st->values || !st->lengths || !st->formats || !st->types || !st->numbuf) {
		set_err(c, "out of memory");
		stmt_free(st);
		return NULL;
	}
	snprintf(st->name, sizeof st->name, "exo%u", ++c->next_name);
	return st;
}

static sqldb_stmt *pg_prepare(sqldb *db, const char *sql)
{
	pg_conn *c = (pg_conn *)db;
	if (!ensure_connected(c))
		return NULL;
	uint32_t hash = hash_text(sql);
	pg_stmt **bucket = &c->cache[hash % CACHE_BUCKETS];
	for (pg_stmt *st = *bucket; st != NULL; st = st->next) {
		if (!st->in_use && st->hash == hash && strcmp(st->sql, sql) == 0) {
			st->in_use = true;
			return &st->base;
		}
	}
	/* None free (or the first use): a fresh one, kept in the cache for the next caller. */
	pg_stmt *st = stmt_new(c, sql, hash);
	if (st == NULL)
		return NULL;
	st->next = *bucket;
	*bucket = st;
	st->in_use = true;
	return &st->base;
}

static void pg_release(sqldb_stmt *base)
{
	pg_stmt *st = (pg_stmt *)base;
	clear_result(st);
	clear_bindings(st);
	st->in_use = false;
}

/* The $k of the SQL's number idx, or -1 when the statement has none. */
static int slot(const pg_stmt *st, int idx)
{
	if (idx < 1 || idx > st->params.max_number)
		return -1;
	return st->params.slot_of[idx] - 1;
}

static void pg_bind_int64(sqldb_stmt *base, int idx, int64_t v)
{
	pg_stmt *st = (pg_stmt *)base;
	int k = slot(st, idx);
	if (k < 0)
		return;
	snprintf(st->numbuf[k], sizeof st->numbuf[k], "%" PRId64, v);
	st->values[k] = st->numbuf[k];
	st->formats[k] = 0;
}

static void pg_bind_double(sqldb_stmt *base, int idx, double v)
{
	pg_stmt *st = (pg_stmt *)base;
	int k = slot(st, idx);
	if (k < 0)
		return;
	/* %.17g reads back as the same double; PostgreSQL spells the non-finite ones its way. */
	if (isnan(v))
		snprintf(st->numbuf[k], sizeof st->numbuf[k], "NaN");
	else if (isinf(v))
		snprintf(st->numbuf[k], sizeof st->numbuf[k], "%s", v > 0 ? "Infinity" : "-Infinity");
	else
		snprintf(st->numbuf[k], sizeof st->numbuf[k], "%.17g", v);
	st->values[k] = st->numbuf[k];
	st->formats[k] = 0;
}

static void pg_bind_text(sqldb_stmt *base, int idx, const char *v)
{
	pg_stmt *st = (pg_stmt *)base;
	int k = slot(st, idx);
	if (k < 0)
		return;
	st->values[k] = v;
	st->formats[k] = 0;
}

static void pg_bind_blob(sqldb_stmt *base, int idx, const void *v, size_t len)
{
	pg_stmt *st = (pg_stmt *)base;
	int k = slot(st, idx);
	if (k < 0)
		return;
	/* A zero-length blob is an empty bytea, not NULL (as in SQLite with a non-NULL pointer). */
	st->values[k] = v ? (const char *)v : "";
	st->lengths[k] = (int)len;
	st->formats[k] = 1;
	if (st->prepared_gen == 0)
		st->types[k] = BYTEA_OID;
}

static void pg_bind_null(sqldb_stmt *base, int idx)
{
	pg_stmt *st = (pg_stmt *)base;
	int k = slot(st, idx);
	if (k < 0)
		return;
	st->values[k] = NULL;
	st->formats[k] = 0;
}

static sqldb_rc pg_step(sqldb_stmt *base)
{
	pg_stmt *st = (pg_stmt *)base;
	pg_conn *c = (pg_conn *)st->base.db;
	if (st->res != NULL) {                       /* the next row of the run */
		clear_blobs(st);
		if (++st->row < PQntuples(st->res))
			return SQLDB_ROW;
		clear_result(st);
		return SQLDB_DONE;
	}
	if (c->lost) {
		set_err(c, "database connection lost");
		return SQLDB_ERROR;
	}
	bool may_resend = PQtransactionStatus(c->pg) == PQTRANS_IDLE && is_plain_read(st->pg_sql);
again:
	if (st->prepared_gen != c->generation) {
		PGresult *r = PQprepare(c->pg, st->name, st->pg_sql, st->params.count, st->types);
		if (PQresultStatus(r) != PGRES_COMMAND_OK) {
			sqldb_rc rc = fail_rc(c, r);
			PQclear(r);
			if (resend_after_loss(c, &may_resend))
				goto again;
			return rc;
		}
		PQclear(r);
		st->prepared_gen = c->generation;
	}
	PGresult *r = PQexecPrepared(c->pg, st->name, st->params.count, st->values, st->lengths, st->formats, 0);
	ExecStatusType status = PQresultStatus(r);
	if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
		sqldb_rc rc = fail_rc(c, r);
		PQclear(r);
		if (resend_after_loss(c, &may_resend))
			goto again;
		return rc;
	}
	const char *tuples = PQcmdTuples(r);
	st->changes = tuples[0] ? strtoll(tuples, NULL, 10) : 0;
	if (status == PGRES_TUPLES_OK && PQntuples(r) > 0) {
		st->res = r;
		st->row = 0;
		return SQLDB_ROW;
	}
	PQclear(r);
	return SQLDB_DONE;
}

static int64_t pg_changes(const sqldb_stmt *base)
{
	return ((const pg_stmt *)base)->changes;
}

/* The current row's value of col as text, or NULL (SQL NULL, no row, no such column). */
static const char *value(pg_stmt *st, int col)
{
	if (st->res == NULL || st->row < 0 || col < 0 || col >= PQnfields(st->res) ||
	    PQgetisnull(st->res, st->row, col))
		return NULL;
	return PQgetvalue(st->res, st->row, col);
}

static bool pg_column_is_null(sqldb_stmt *base, int col)
{
	return value((pg_stmt *)base, col) == NULL;
}

static int64_t pg_column_int64(sqldb_stmt *base, int col)
{
	pg_stmt *st = (pg_stmt *)base;
	const char *v = value(st, col);
	if (v == NULL)
		return 0;
	if (PQftype(st->res, col) == BOOL_OID)
		return v[0] == 't';
	return strtoll(v, NULL, 10);
}

static double pg_column_double(sqldb_stmt *base, int col)
{
	const char *v = value((pg_stmt *)base, col);
	return v ? strtod(v, NULL) : 0.0;
}

static const char *pg_column_text(sqldb_stmt *base, int col)
{
	return value((pg_stmt *)base, col);
}

static const void *pg_column_blob(sqldb_stmt *base, int col, size_t *len_out)
{
	pg_stmt *st = (pg_stmt *)base;
	*len_out = 0;
	const char *v = value(st, col);
	if (v == NULL)
		return NULL;
	if (PQftype(st->res, col) != BYTEA_OID) {
		*len_out = (size_t)PQgetlength(st->res, st->row, col);
		return v;
	}
	/* bytea arrives as hex text: decoded once per row and column, freed at the next step. */
	if (st->blobs == NULL) {
		int n = PQnfields(st->res);
		st->blobs = calloc((size_t)n, sizeof *st->blobs);
		st->blob_lens = calloc((size_t)n, sizeof *st->blob_lens);
		if (st->blobs == NULL || st->blob_lens == NULL) {
			clear_blobs(st);
			return NULL;
		}
		st->blob_cols = n;
	}
	if (st->blobs[col] == NULL)
		st->blobs[col] = PQunescapeBytea((const unsigned char *)v, &st->blob_lens[col]);
	*len_out = st->blobs[col] ? st->blob_lens[col] : 0;
	/* An empty bytea decodes to a 0-byte buffer: still not NULL, as SQLite's x'' is not. */
	return st->blobs[col];
}

/* ---- connection ---- */

/* Whether sql is COMMIT (or its synonym END), in any case and spacing. */
static bool is_commit(const char *sql)
{
	while (*sql == ' ' || *sql == '\t' || *sql == '\n')
		sql++;
	size_t n = strncasecmp(sql, "COMMIT", 6) == 0 ? 6 : strncasecmp(sql, "END", 3) == 0 ? 3 : 0;
	if (n == 0)
		return false;
	sql += n;
	return *sql == '\0' || *sql == ';' || *sql == ' ' || *sql == '\t' || *sql == '\n';
}

static sqldb_rc pg_exec(sqldb *db, const char *sql)
{
	pg_conn *c = (pg_conn *)db;
	if (!ensure_connected(c))
		return SQLDB_ERROR;
	bool may_resend = PQtransactionStatus(c->pg) == PQTRANS_IDLE && is_begin_and_reads(sql);
	PGresult *r = PQexec(c->pg, sql);
	ExecStatusType status = PQresultStatus(r);
	sqldb_rc rc = SQLDB_DONE;
	if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK && status != PGRES_EMPTY_QUERY) {
		rc = fail_rc(c, r);
		if (resend_after_loss(c, &may_resend)) {
			PQclear(r);
			r = PQexec(c->pg, sql);
			status = PQresultStatus(r);
			rc = status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK ? SQLDB_DONE : fail_rc(c, r);
		}
	} else if (is_commit(sql) && strcmp(PQcmdStatus(r), "ROLLBACK") == 0) {
		/* PostgreSQL answers COMMIT of a transaction that an error aborted with success and the
		 * tag ROLLBACK: nothing was written, and the caller must not take it for a commit.
		 * (SQLite undoes only the failed statement, so its COMMIT keeps the rest.) */
		set_err(c, "COMMIT rolled back: a statement of the transaction had failed");
		rc = SQLDB_ERROR;
	}
	PQclear(r);
	return rc;
}

/* COPY ... TO STDOUT: PQgetCopyData gives one whole row per call (libpq's promise for COPY
 * OUT), in a buffer of its own that ends in the row's newline plus a NUL. */
static sqldb_rc pg_copy_out(sqldb *db, const char *sql, sqldb_copy_line_fn fn, void *ctx)
{
	pg_conn *c = (pg_conn *)db;
	if (!ensure_connected(c))
		return SQLDB_ERROR;
	PGresult *r = PQexec(c->pg, sql);
	ExecStatusType status = PQresultStatus(r);
	if (status != PGRES_COPY_OUT) {
		sqldb_rc rc = SQLDB_ERROR;
		if (status == PGRES_COPY_IN || status == PGRES_COPY_BOTH) {
			/* A COPY FROM STDIN would wait for data: ended here, so the connection goes on. */
			PQclear(r);
			PQputCopyEnd(c->pg, "not a COPY ... TO STDOUT statement");
			while ((r = PQgetResult(c->pg)) != NULL)
				PQclear(r);
			set_err(c, "not a COPY ... TO STDOUT statement");
			return SQLDB_ERROR;
		}
		if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY)
			set_err(c, "not a COPY ... TO STDOUT statement");
		else
			rc = fail_rc(c, r);
		PQclear(r);
		return rc;
	}
	bool binary = PQbinaryTuples(r) != 0;   /* COPY ... (FORMAT binary): rows as they come */
	PQclear(r);
	bool stopped = false;
	char *buf;
	int n;
	while ((n = PQgetCopyData(c->pg, &buf, 0)) > 0) {
		size_t len = (size_t)n;
		if (!binary && buf[len - 1] == '\n')
			buf[--len] = '\0';
		if (!stopped && fn(ctx, buf, len) != 0)
			stopped = true;           /* the rest is drained: the protocol has no clean stop */
		PQfreemem(buf);
	}
	/* -1: the COPY ended, and its result (success, or the query's error) follows; -2: the
	 * connection failed. Either way the results are read to the end, as libpq requires. */
	sqldb_rc rc = SQLDB_DONE;
	if (n == -2)
		rc = fail_rc(c, NULL);
	while ((r = PQgetResult(c->pg)) != NULL) {
		if (rc == SQLDB_DONE && PQresultStatus(r) != PGRES_COMMAND_OK)
			rc = fail_rc(c, r);
		PQclear(r);
	}
	return rc;
}

static const char *pg_errmsg(const sqldb *db)
{
	return ((const pg_conn *)db)->errmsg;
}

static void pg_close(sqldb *db)
{
	pg_conn *c = (pg_conn *)db;
	for (int b = 0; b < CACHE_BUCKETS; b++) {
		pg_stmt *st = c->cache[b];
		while (st != NULL) {
			pg_stmt *next = st->next;
			stmt_free(st);
			st = next;
		}
	}
	PQfinish(c->pg);
	free(c);
}

/* Warnings (ROLLBACK outside a transaction after a retry) are not errors: not printed. */
static void quiet_notice(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

/* The contract's text rule: text compares and sorts by its UTF-8 bytes, as in SQLite, which
 * holds for a UTF8 database with the C collation (C.UTF-8 sorts by code point: the same order).
 * Another collation would order names, dates-as-text and keyset pages differently, so such a
 * database is refused with what to do instead. */
static bool database_sorts_bytewise(PGconn *pg, char *err, size_t errlen)
{
	PGresult *r = PQexec(pg, "SELECT pg_encoding_to_char(encoding), datcollate FROM pg_database"
	                         " WHERE datname = current_database()");
	bool ok = false;
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
		snprintf(err, errlen, "cannot read the database's encoding and collation: %s", PQerrorMessage(pg));
	} else {
		const char *encoding = PQgetvalue(r, 0, 0), *collate = PQgetvalue(r, 0, 1);
		ok = strcmp(encoding, "UTF8") == 0 &&
		     (strcmp(collate, "C") == 0 || strcmp(collate, "POSIX") == 0 || strcasecmp(collate, "C.UTF-8") == 0 ||
		      strcasecmp(collate, "C.utf8") == 0);
		if (!ok)
			snprintf(err, errlen,
			         "the database has encoding %s and collation %s; exosafe needs UTF8 and C (text sorted by"
			         " its bytes, as in SQLite): CREATE DATABASE ... TEMPLATE template0 ENCODING 'UTF8'"
			         " LC_COLLATE 'C' LC_CTYPE 'C'",
			         encoding, collate);
	}
	PQclear(r);
	return ok;
}

sqldb *sqldb_pg_open(const char *url, char *err, size_t errlen)
{
	pg_conn *c = calloc(1, sizeof *c);
	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->base.drv = &pg_driver;
	c->base.dialect = SQLDB_POSTGRES;
	c->generation = 1;
	c->pg = PQconnectdb(url);
	if (c->pg == NULL || PQstatus(c->pg) != CONNECTION_OK) {
		snprintf(err, errlen, "cannot connect to PostgreSQL: %s", c->pg ? PQerrorMessage(c->pg) : "out of memory");
		size_t n = strlen(err);
		while (n > 0 && err[n - 1] == '\n')
			err[--n] = '\0';
		PQfinish(c->pg);
		free(c);
		return NULL;
	}
	/* The store's text is UTF-8 whatever the server's or the client's locale says. */
	if (PQsetClientEncoding(c->pg, "UTF8") != 0) {
		snprintf(err, errlen, "cannot set the client encoding to UTF8: %s", PQerrorMessage(c->pg));
		PQfinish(c->pg);
		free(c);
		return NULL;
	}
	PQsetNoticeProcessor(c->pg, quiet_notice, NULL);
	if (!database_sorts_bytewise(c->pg, err, errlen)) {
		PQfinish(c->pg);
		free(c);
		return NULL;
	}
	return &c->base;
}

static const sqldb_driver pg_driver = {
	.prepare = pg_prepare,
	.release = pg_release,
	.bind_int64 = pg_bind_int64,
	.bind_double = pg_bind_double,
	.bind_text = pg_bind_text,
	.bind_blob = pg_bind_blob,
	.bind_null = pg_bind_null,
	.step = pg_step,
	.changes = pg_changes,
	.column_is_null = pg_column_is_null,
	.column_int64 = pg_column_int64,
	.column_double = pg_column_double,
	.column_text = pg_column_text,
	.column_blob = pg_column_blob,
	.exec = pg_exec,
	.copy_out = pg_copy_out,
	.errmsg = pg_errmsg,
	.close = pg_close,
};
