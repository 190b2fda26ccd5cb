/* The HTTP layer's shared types: one request as the handlers see it, the routing table,
 * and the input validation table. No SQL here: handlers reach storage through store.h and
 * the service layer. */
#ifndef EXOSAFE_HTTP_H
#define EXOSAFE_HTTP_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "service/intake_catalog.h"
#include "store/store.h"

typedef enum lang { LANG_JA = 0, LANG_EN = 1 } lang;

/* Input validation, declared per route and run before any handler (kcgi's keys table). */
typedef enum field_type { FIELD_STRING, FIELD_INTEGER, FIELD_BOOLEAN, FIELD_OBJECT, FIELD_NUMBER, FIELD_ARRAY } field_type;

enum field_flags {
	FIELD_RAW = 1 << 0,        /* not normalised or trimmed (passwords) */
	FIELD_LOWERCASE = 1 << 1,  /* ASCII-lower-cased after normalisation (e-mail) */
	FIELD_MULTILINE = 1 << 2,  /* newlines and tabs allowed */
	/* After NFKC, before the length checks: the number as typed made into the stored form
	 * (jp_phone_tidy / jp_postal_tidy: hyphen-like characters, spaces, "+81", 〒, and for
	 * postal codes "1500001" becomes "150-0001"). */
	FIELD_PHONE = 1 << 3,
	FIELD_POSTAL_CODE = 1 << 4,
};

typedef struct field_spec {
	const char *name;
	field_type type;
	bool required;
	int min_chars, max_chars;      /* strings: length in code points after normalisation */
	int64_t min_value, max_value;  /* integers and numbers */
	unsigned flags;
	/* Returns NULL when the value is fine, or a reason key for the message catalogue. */
	const char *(*check)(const char *value);
} field_spec;

#define MAX_PATH_IDS 4
#define MAX_COOKIES 3

typedef struct request {
	const server_config *cfg;
	const intake_catalog *catalog;
	const struct ctcae_table *ctcae;
	store *db;
	struct audit_writer *audit;       /* the group-committing audit writer; NULL: store_audit_now */
	/* Set by the server: audit rows are handed to the writer and the reply waits for them by
	 * suspending the connection (audit_wait.h); unset, request_audit waits on the thread. */
	bool audit_async;
	struct audit_wait *audit_wait;    /* the rows in flight, made at the first; owned by the server */
	const char *method;
	const char *path;
	lang lang;
	char client_address[64];

	/* Body as received, and after validation the normalised input object (owned). */
	char *body;
	size_t body_len;
	bool body_too_large;
	/* A device route's handler is called once before the body arrives, with this set: it
	 * checks the device's key (replying only when wrong) and returns. */
	bool awaiting_body;
	json_t *input;
	int64_t path_ids[MAX_PATH_IDS];  /* {id} segments of the route's path, in order */
	int path_id_count;

	/* Set when a valid session cookie came with the request. */
	bool signed_in;
	session_record session;
	user_record user;

	/* The answer the handler builds. */
	int status;
	json_t *reply;                    /* owned; serialised as the body */
	char set_cookies[MAX_COOKIES][256];
	int cookie_count;
	/* A non-JSON answer (a file download): owned, sent instead of reply when set. */
	char *raw_body;
	size_t raw_len;
	char raw_content_type[64];
	char raw_filename[64];
	char raw_csp[256];                /* replaces the default Content-Security-Policy when set */
	int retry_after;                  /* seconds for a Retry-After header; 0: none */
	/* Set by reply_internal when the store's transaction met a serialization failure (it was
	 * rolled back): the server runs the handler again (dispatch_body). */
	bool rerun_wanted;

	void *connection;                 /* struct MHD_Connection *, for header look-ups */
} request;

typedef void (*route_handler)(request *req);

#define ACCESS_PUBLIC (1u << 16)          /* anyone, signed in or not */
/* A device with its own key (a connected temperature sensor): no session, no CSRF token;
 * the handler authenticates the key before anything else. */
#define ACCESS_DEVICE (1u << 17)

typedef struct route {
	const char *method;
	const char *path;                 /* "/api/v1/users" or with "{id}" segments */
	unsigned roles;                   /* user_role bits, or ACCESS_PUBLIC */
	const field_spec *fields;         /* accepted body fields; NULL: the body must be empty or {} */
	route_handler handler;
} route;

/* A route's fields set to this takes the body as raw bytes (file uploads); the handler
 * checks its type. Such routes get max_upload_bytes instead of max_body_bytes. */
extern const field_spec ROUTE_RAW_BODY[];

extern const route api_routes[];
extern const int api_route_count;

/* Replies. Each replaces any earlier reply. reply_json takes ownership of body. */
void reply_json(request *req, int status, json_t *body);
/* An error {"error":{"code","message","field"}}; reason is a message key (NULL: the code's
 * own message), field may be NULL. */
void reply_error(request *req, int status, const char *code, const char *field, const char *reason);
/* The {code, message, field} object reply_error sends (new reference), for replies that carry
 * several. */
json_t *error_json(request *req, const char *code, const char *field, const char *reason);
/* Logs the store's error and replies to it: 503 database_unavailable when the database cannot
 * be reached, 503 database_busy when it was busy or a serialization failure persisted (both with
 * Retry-After), else 500 internal. After a serialization failure it asks for the handler to be
 * run again (rerun_wanted). */
void reply_internal(request *req, const char *what);
/* A file download: takes ownership of body (malloc'd). */
void reply_raw(request *req, int status, char *body, size_t len, const char *content_type, const char *filename);
/* Queues a Set-Cookie header. */
void reply_cookie(request *req, const char *name, const char *value, bool http_only, int max_age);

/* Reads a header of the request, or NULL. */
const char *request_header(request *req, const char *name);
const char *request_cookie(request *req, const char *name);
const char *request_query(request *req, const char *name);
/* A validated string input field, or NULL when absent. */
const char *input_string(request *req, const char *name);
/* A validated integer input field, or def when absent. */
int64_t input_int(request *req, const char *name, int64_t def);
/* A validated number input field, or def when absent. */
double input_number(request *req, const char *name, double def);
/* A validated array input field (borrowed), or NULL when absent. max_chars bounds its length. */
const json_t *input_array(request *req, const char *name);
/* A validated boolean input field, or def when absent. */
bool input_bool(request *req, const char *name, bool def);
/* A validated object input field (borrowed), or NULL when absent. */
const json_t *input_object(request *req, const char *name);
/* Parses query parameter name as an integer in [min, max]; def when absent. Replies 400 and
 * returns false when present but not such an integer. */
bool query_int(request *req, const char *name, int64_t def, int64_t min, int64_t max, int64_t *out);

/* A staff list's search and paging parameters, ?q=&status=&limit=&offset= (list_params.c). */
typedef struct list_params {
	list_filter filter;            /* points into text and kana */
	char text[401];                /* q, normalised, without spaces */
	char kana[401];                /* the same folded to katakana */
} list_params;

/* Reads the parameters; status must be one of statuses (NULL-terminated). limit defaults to
 * default_limit (1 to 500). Replies 400 naming the parameter and returns false on a bad one. */
bool list_params_read(request *req, const char *const *statuses, int default_limit, list_params *out);
/* Adds total, limit and offset to a list's reply object. */
void list_page_set(json_t *reply, const list_params *p, int64_t total);

/* Validates body against fields; on success req->input holds the normalised object and true
 * is returned; otherwise an error reply is set and false returned. Every field is checked: the
 * reply names the first bad field in error.field (and its code and message), and lists all of
 * them in error.fields as [{field, code, message}], so a form can mark each at once. */
bool input_validate(request *req, const field_spec *fields);

/* Message catalogue (Japanese and English). */
const char *message_text(lang l, const char *key);
/* Writes the message of key in l into out (cap bytes, always terminated), each {name} replaced
 * by values[i] where names[i] is name (n pairs); a placeholder without a value stays as it is.
 * Returns out. */
const char *message_format(lang l, const char *key, const char *const *names, const char *const *values, size_t n,
                           char *out, size_t cap);
const char *field_label(lang l, const char *field);
lang lang_from_accept_language(const char *header);

/* JSON views shared by handlers. */
json_t *json_user(const user_record *u, const patient_profile *profile);

#endif
