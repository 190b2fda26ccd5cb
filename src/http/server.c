/* libmicrohttpd glue: a pool of store connections, request body collection with a size
 * limit, and the dispatch that runs for every API request in this order:
 * route → session → role → CSRF → body (type, size, JSON, fields) → handler. */
#include "http/server.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/credentials.h"
#include "core/ctcae.h"
#include "http/http.h"
#include "http/security_headers.h"
#include "http/static_files.h"
#include "service/accounts.h"
#include "service/clinic.h"
#include "service/coldchain_alarm.h"
#include "service/intake.h"
#include "service/mail_events.h"
#include "service/mail_sender.h"
#include "service/ae.h"
#include "service/audit_writer.h"
#include "clock.h"

/* Connections are handed to one request at a time; SQLite connections are not shared. */
typedef struct store_pool {
	pthread_mutex_t lock;
	pthread_cond_t available;
	store **free_list;
	int free_count;
	int size;
} store_pool;

typedef struct server {
	server_config cfg;
	intake_catalog *catalog;
	ctcae_table *ctcae;
	char web_root[PATH_MAX];
	store_pool pool;
	audit_writer *audit;  /* audited reads' rows, group-committed on its own connection */
} server;

static int pool_open(store_pool *p, const char *path, int size)
{
	char err[300];
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->available, NULL);
	p->free_list = calloc((size_t)size, sizeof *p->free_list);
	if (p->free_list == NULL)
		return -1;
	for (int i = 0; i < size; i++) {
		store *s = store_sqlite_open(path, err, sizeof err);
		if (s == NULL) {
			fprintf(stderr, "exosafe: %s\n", err);
			return -1;
		}
		p->free_list[p->free_count++] = s;
		p->size++;
	}
	return 0;
}

static void pool_close(store_pool *p)
{
	for (int i = 0; i < p->free_count; i++)
		store_close(p->free_list[i]);
	free(p->free_list);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->available);
}

static store *pool_take(store_pool *p)
{
	pthread_mutex_lock(&p->lock);
	while (p->free_count == 0)
		pthread_cond_wait(&p->available, &p->lock);
	store *s = p->free_list[--p->free_count];
	pthread_mutex_unlock(&p->lock);
	return s;
}

static void pool_give(store_pool *p, store *s)
{
	/* A handler that forgot to finish its transaction must not leak it to the next one. */
	store_rollback(s);
	pthread_mutex_lock(&p->lock);
	p->free_list[p->free_count++] = s;
	pthread_cond_signal(&p->available);
	pthread_mutex_unlock(&p->lock);
}

/* ---- the cold-chain watch: a thread that checks for silent sensors every minute ---- */

enum { COLDCHAIN_WATCH_SECONDS = 60 };

typedef struct coldchain_watch {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stop;
	bool started;
	server *srv;
} coldchain_watch;

static void *coldchain_watch_run(void *arg)
{
	coldchain_watch *w = arg;
	const server_config *cfg = &w->srv->cfg;
	coldchain_alarm_settings settings = {cfg->data_dir, cfg->mail.public_url};
	pthread_mutex_lock(&w->lock);
	while (!w->stop) {
		pthread_mutex_unlock(&w->lock);
		store *s = pool_take(&w->srv->pool);
		if (coldchain_check_silent(s, &settings, clock_now(), NULL) != STORE_OK)
			fprintf(stderr, "exosafe: cold-chain check: %s\n", s->errmsg);
		pool_give(&w->srv->pool, s);
		/* The wait is on the system's monotonic time: exosafe's clock may be set elsewhere. */
		struct timespec until;
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec += COLDCHAIN_WATCH_SECONDS;
		pthread_mutex_lock(&w->lock);
		while (!w->stop && pthread_cond_timedwait(&w->wake, &w->lock, &until) == 0)
			;
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

/* Starts the watch; returns 0, or -1 (the server then runs without it, and says so). */
static int coldchain_watch_start(coldchain_watch *w, server *srv)
{
	pthread_condattr_t attr;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->wake, &attr);
	pthread_condattr_destroy(&attr);
	w->stop = false;
	w->srv = srv;
	w->started = pthread_create(&w->thread, NULL, coldchain_watch_run, w) == 0;
	return w->started ? 0 : -1;
}

static void coldchain_watch_stop(coldchain_watch *w)
{
	if (w->started) {
		pthread_mutex_lock(&w->lock);
		w->stop = true;
		pthread_cond_signal(&w->wake);
		pthread_mutex_unlock(&w->lock);
		pthread_join(w->thread, NULL);
	}
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->wake);
}

/* Matches path against a route pattern, capturing {id} segments as positive integers. */
static bool route_matches(const char *pattern, const char *path, request *req)
{
	int ids = 0;
	while (*pattern && *path) {
		if (strncmp(pattern, "{id}", 4) == 0) {
			char *end;
			errno = 0;
			long long v = strtoll(path, &end, 10);
			if (end == path || errno != 0 || v <= 0 || !(path[0] >= '1' && path[0] <= '9') || ids >= MAX_PATH_IDS)
				return false;
			req->path_ids[ids++] = v;
			path = end;
			pattern += 4;
			continue;
		}
		if (*pattern != *path)
			return false;
		pattern++;
		path++;
	}
	if (*pattern != '\0' || *path != '\0')
		return false;
	req->path_id_count = ids;
	return true;
}

static bool is_state_changing(const char *method)
{
	return strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0;
}

static bool content_type_is_json(const char *ct)
{
	if (ct == NULL)
		return false;
	size_t n = strlen("application/json");
	if (strncasecmp(ct, "application/json", n) != 0)
		return false;
	const char *rest = ct + n;
	while (*rest == ' ')
		rest++;
	if (*rest == '\0')
		return true;
	return *rest == ';' && strcasestr(rest, "charset=utf-8") != NULL;
}

static bool check_csrf(request *req)
{
	const char *sent = request_header(req, "X-CSRF-Token");
	if (sent == NULL)
		return false;
	if (req->signed_in)
		return token_equal(sent, req->session.csrf_token);
	const char *cookie = request_cookie(req, "exosafe_csrf");
	return cookie != NULL && strlen(cookie) >= 32 && token_equal(sent, cookie);
}

static void dispatch_api(server *srv, request *req)
{
	const route *found = NULL;
	bool path_known = false;
	for (int i = 0; i < api_route_count; i++) {
		if (!route_matches(api_routes[i].path, req->path, req))
			continue;
		path_known = true;
		if (strcmp(api_routes[i].method, req->method) == 0) {
			found = &api_routes[i];
			break;
		}
	}
	if (found == NULL) {
		if (path_known)
			reply_error(req, 405, "method_not_allowed", NULL, NULL);
		else
			reply_error(req, 404, "not_found", NULL, NULL);
		return;
	}

	if (found->roles & ACCESS_DEVICE) {
		found->handler(req);
		return;
	}

	const char *token = request_cookie(req, "exosafe_session");
	if (token != NULL) {
		accounts_rc rc = accounts_session_resolve(req->db, &srv->cfg.session, token, clock_now(),
		                                          &req->session, &req->user);
		if (rc == ACCOUNTS_ERROR) {
			reply_internal(req, "session lookup");
			return;
		}
		req->signed_in = rc == ACCOUNTS_OK;
	}

	if (!(found->roles & ACCESS_PUBLIC)) {
		if (!req->signed_in) {
			reply_error(req, 401, "unauthenticated", NULL, NULL);
			return;
		}
		if (!(found->roles & req->user.role)) {
			reply_error(req, 403, "forbidden", NULL, NULL);
			return;
		}
	}

	if (is_state_changing(req->method)) {
		if (!check_csrf(req)) {
			reply_error(req, 403, "csrf_failed", NULL, NULL);
			return;
		}
		if (req->body_too_large) {
			reply_error(req, 413, "body_too_large", NULL, NULL);
			return;
		}
		if (req->body_len > 0 && found->fields != ROUTE_RAW_BODY &&
		    !content_type_is_json(request_header(req, "Content-Type"))) {
			reply_error(req, 415, "unsupported_media_type", NULL, NULL);
			return;
		}
		if (found->fields == ROUTE_RAW_BODY) {
			/* The handler checks the bytes and their type itself. */
		} else if (!input_validate(req, found->fields)) {
			return;
		}
	}
	found->handler(req);
}

/* Per-connection state between libmicrohttpd's callbacks. */
typedef struct pending {
	char *body;
	size_t len;
	size_t limit;
	bool too_large;
} pending;

/* File uploads (certificates, logger files, sensor batches) may be larger than JSON bodies. */
static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n > m && strcmp(s + n - m, suffix) == 0;
}

static bool is_upload(const char *method, const char *url)
{
	if (strcmp(method, "POST") != 0)
		return false;
	if (strncmp(url, "/api/v1/lots/", 13) == 0 && ends_with(url, "/certificates"))
		return true;
	if (strncmp(url, "/api/v1/adverse-events/", 23) == 0 && ends_with(url, "/photo"))
		return true;
	return strncmp(url, "/api/v1/loggers/", 16) == 0 && (ends_with(url, "/import") || ends_with(url, "/readings"));
}

static void client_address(struct MHD_Connection *conn, char *out, size_t outlen)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	snprintf(out, outlen, "unknown");
	if (ci == NULL || ci->client_addr == NULL)
		return;
	socklen_t len = ci->client_addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	getnameinfo(ci->client_addr, len, out, (socklen_t)outlen, NULL, 0, NI_NUMERICHOST);
}

static enum MHD_Result send_reply(struct MHD_Connection *conn, request *req)
{
	bool raw = req->raw_body != NULL && req->reply == NULL;
	char *text = raw ? req->raw_body : req->reply ? json_dumps(req->reply, JSON_COMPACT) : strdup("{}");
	if (raw)
		req->raw_body = NULL;
	if (text == NULL)
		return MHD_NO;
	struct MHD_Response *r =
		MHD_create_response_from_buffer(raw ? req->raw_len : strlen(text), text, MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", raw ? req->raw_content_type : "application/json; charset=utf-8");
	if (raw && req->raw_filename[0]) {
		char disposition[128];
		snprintf(disposition, sizeof disposition, "attachment; filename=\"%s\"", req->raw_filename);
		MHD_add_response_header(r, "Content-Disposition", disposition);
	}
	security_headers_add(r, true, req->raw_csp[0] ? req->raw_csp : NULL);
	for (int i = 0; i < req->cookie_count; i++)
		MHD_add_response_header(r, "Set-Cookie", req->set_cookies[i]);
	enum MHD_Result ret = MHD_queue_response(conn, (unsigned)req->status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result send_static(server *srv, struct MHD_Connection *conn, const char *method, const char *url)
{
	unsigned status = MHD_HTTP_NOT_FOUND;
	struct MHD_Response *r = NULL;
	if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0)
		r = static_file_response(srv->web_root, url, &status);
	if (r == NULL) {
		static char not_found[] = "<!doctype html><html lang=\"ja\"><meta charset=\"utf-8\"><title>404</title>"
		                                "<p>ページが見つかりません / Page not found</p><p><a href=\"/\">exosafe</a></p></html>";
		status = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0 ? MHD_HTTP_NOT_FOUND : MHD_HTTP_METHOD_NOT_ALLOWED;
		r = MHD_create_response_from_buffer(sizeof not_found - 1, not_found, MHD_RESPMEM_PERSISTENT);
		if (r == NULL)
			return MHD_NO;
		MHD_add_response_header(r, "Content-Type", "text/html; charset=utf-8");
	}
	security_headers_add(r, false, NULL);
	enum MHD_Result ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
	(void)version;
	server *srv = cls;
	pending *p = *con_cls;
	if (p == NULL) {
		p = calloc(1, sizeof *p);
		if (p == NULL)
			return MHD_NO;
		p->limit = is_upload(method, url) ? srv->cfg.max_upload_bytes : srv->cfg.max_body_bytes;
		*con_cls = p;
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		/* Past the limit the rest is read and dropped, so the client gets a clean 413. */
		if (!p->too_large) {
			if (p->len + *upload_data_size > p->limit) {
				p->too_large = true;
				free(p->body);
				p->body = NULL;
				p->len = 0;
			} else {
				char *grown = realloc(p->body, p->len + *upload_data_size + 1);
				if (grown == NULL)
					return MHD_NO;
				memcpy(grown + p->len, upload_data, *upload_data_size);
				p->body = grown;
				p->len += *upload_data_size;
				p->body[p->len] = '\0';
			}
		}
		*upload_data_size = 0;
		return MHD_YES;
	}

	if (strncmp(url, "/api/", 5) != 0)
		return send_static(srv, conn, method, url);

	request req = {0};
	req.cfg = &srv->cfg;
	req.catalog = srv->catalog;
	req.ctcae = srv->ctcae;
	req.connection = conn;
	req.method = method;
	req.path = url;
	req.body = p->body;
	req.body_len = p->len;
	req.body_too_large = p->too_large;
	req.status = 200;
	req.lang = lang_from_accept_language(MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Accept-Language"));
	client_address(conn, req.client_address, sizeof req.client_address);

	req.audit = srv->audit;
	req.db = pool_take(&srv->pool);
	dispatch_api(srv, &req);
	pool_give(&srv->pool, req.db);

	enum MHD_Result ret = send_reply(conn, &req);
	json_decref(req.reply);
	json_decref(req.input);
	free(req.raw_body);
	return ret;
}

/* Percent-decodes a URL or query argument in place. A decoded NUL becomes 0x01 so that a
 * path like "/index.html%00.png" cannot be cut short into "/index.html": the static file
 * check refuses control characters, and validators refuse them in arguments. */
static size_t unescape_url(void *cls, struct MHD_Connection *conn, char *s)
{
	(void)cls;
	(void)conn;
	char *out = s;
	for (const char *in = s; *in; in++) {
		if (in[0] == '%' && isxdigit((unsigned char)in[1]) && isxdigit((unsigned char)in[2])) {
			char hex[3] = {in[1], in[2], '\0'};
			char c = (char)strtol(hex, NULL, 16);
			*out++ = c == '\0' ? '\x01' : c;
			in += 2;
		} else {
			*out++ = *in;
		}
	}
	*out = '\0';
	return (size_t)(out - s);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)conn;
	(void)toe;
	pending *p = *con_cls;
	if (p != NULL) {
		free(p->body);
		free(p);
		*con_cls = NULL;
	}
}

static int find_admin(void *ctx, const user_record *u)
{
	if (u->role == ROLE_ADMIN) {
		*(bool *)ctx = true;
		return 1;
	}
	return 0;
}

/* Resolves the mode and decides whether this database may be served (README, "The clinic's
 * details"): production refuses demo data outright, and incomplete details when no admin
 * exists to complete them on the set-up page; with an admin it serves, in the set-up-needed
 * state, and says so. Returns 0 to go on, -1 (reason printed) to stop. */
static int clinic_startup_check(store *s, server_config *cfg)
{
	clinic_profile p;
	if (clinic_profile_get(s, &p) != CLINIC_OK) {
		fprintf(stderr, "exosafe: %s\n", s->errmsg);
		return -1;
	}
	cfg->mode = clinic_resolve_mode(cfg->mode, &p);
	if (cfg->mode == MODE_DEMO) {
		fprintf(stderr, "exosafe: demo mode: every page is marked デモ (demo); not for patients\n");
		return 0;
	}
	if (p.is_demo) {
		fprintf(stderr, "exosafe: %s holds exosafe demo's fictional clinic and accounts with published passwords;\n"
		                "  it cannot be served in production mode. Serve it with --mode demo, or create a new database\n"
		                "  with exosafe init for real use.\n", cfg->db_path);
		return -1;
	}
	const char *missing[CLINIC_FIELD_COUNT];
	int n = clinic_profile_missing(&p, missing);
	if (n == 0)
		return 0;
	char names[256] = "";
	for (int i = 0; i < n; i++) {
		size_t len = strlen(names);
		snprintf(names + len, sizeof names - len, "%s%s", i ? ", " : "", missing[i]);
	}
	bool admin = false;
	if (store_user_list(s, find_admin, &admin) != STORE_OK) {
		fprintf(stderr, "exosafe: %s\n", s->errmsg);
		return -1;
	}
	if (!admin) {
		fprintf(stderr, "exosafe: the clinic's details are incomplete (missing: %s) and there is no admin account\n"
		                "  to complete them. Either give them to 'exosafe init --db %s --clinic-name ... (see\n"
		                "  exosafe init --help)', or create an admin with 'exosafe user add --db %s --role admin\n"
		                "  --email E --name N' and complete them on /clinic-settings.html after logging in.\n",
		        names, cfg->db_path, cfg->db_path);
		return -1;
	}
	fprintf(stderr, "exosafe: the clinic's details are incomplete (missing: %s): an admin is sent to\n"
	                "  /clinic-settings.html on log-in; until then patient pages say so and recall notices,\n"
	                "  exports and bank-transfer orders are refused.\n", names);
	return 0;
}

/* Frees what server_open loaded. */
static void server_close(server *srv)
{
	audit_writer_stop(srv->audit);
	pool_close(&srv->pool);
	intake_catalog_free(srv->catalog);
	ctcae_free(srv->ctcae);
}

/* Drops sessions past their limits and log-in failures outside the window (best effort). */
static void purge_expired(store *s, const server_config *cfg)
{
	int64_t now = clock_now();
	if (store_begin(s) == STORE_OK) {
		if (store_session_purge(s, now - cfg->session.idle_seconds, now - cfg->session.absolute_seconds) == STORE_OK &&
		    store_login_failure_purge(s, now - cfg->login.window_seconds) == STORE_OK)
			store_commit(s);
		else
			store_rollback(s);
	}
}

/* Loads what the server needs before it listens: the web folder, the data catalogues and the
 * database pool (an initialised schema, the clinic's details checked, expired rows purged).
 * Prints why and returns -1 on failure, with nothing left open. */
static int server_open(server *srv, const server_config *cfg)
{
	srv->cfg = *cfg;
	if (realpath(cfg->web_root, srv->web_root) == NULL) {
		fprintf(stderr, "exosafe: web folder %s: %s\n", cfg->web_root, strerror(errno));
		return -1;
	}
	char err[512];
	srv->catalog = intake_catalog_load(cfg->data_dir, err, sizeof err);
	if (srv->catalog == NULL) {
		fprintf(stderr, "exosafe: data folder %s: %s\n", cfg->data_dir, err);
		return -1;
	}
	srv->ctcae = ae_load_ctcae(cfg->data_dir, err, sizeof err);
	if (srv->ctcae == NULL) {
		fprintf(stderr, "exosafe: %s\n", err);
		intake_catalog_free(srv->catalog);
		return -1;
	}
	if (pool_open(&srv->pool, cfg->db_path, cfg->threads + 1) != 0) {
		server_close(srv);
		return -1;
	}
	store *s = srv->pool.free_list[0];
	int version = 0;
	if (store_schema_version(s, &version) != STORE_OK || version == 0) {
		fprintf(stderr, "exosafe: database %s is not initialised; run: exosafe init --db %s\n", cfg->db_path,
		        cfg->db_path);
		server_close(srv);
		return -1;
	}
	if (clinic_startup_check(s, &srv->cfg) != 0) {
		server_close(srv);
		return -1;
	}
	purge_expired(s, cfg);
	store *audit_store = store_sqlite_open(cfg->db_path, err, sizeof err);
	if (audit_store == NULL || (srv->audit = audit_writer_start(audit_store, err, sizeof err)) == NULL) {
		fprintf(stderr, "exosafe: audit writer: %s\n", err);
		server_close(srv);
		return -1;
	}
	return 0;
}

/* Patients who accepted an older consent version are told once about the current one
 * (publishing a version is adding its file and restarting). */
static void tell_consent_update(server *srv, const server_config *cfg)
{
	mail_settings mail = mail_settings_from_config(cfg);
	const consent_text *ct = intake_current_consent(srv->catalog, INTAKE_CONSENT_ID);
	store *s = srv->pool.free_list[0];
	int64_t told = 0;
	if (ct != NULL && ct->version > 1 &&
	    mail_event_consent_updated(s, &mail, ct->id, ct->version, ct->title_ja, &told) != STORE_OK)
		fprintf(stderr, "exosafe: mail about consent version %d not queued: %s\n", ct->version, s->errmsg);
	else if (told > 0)
		fprintf(stderr, "exosafe: mail: %lld patients told about consent version %d\n", (long long)told, ct->version);
}

int server_run(const server_config *cfg)
{
	server srv = {0};
	if (server_open(&srv, cfg) != 0)
		return 1;

	struct sockaddr_in addr = {0};
	addr.sin_family = AF_INET;
	addr.sin_port = htons((uint16_t)cfg->port);
	if (inet_pton(AF_INET, cfg->bind_address, &addr.sin_addr) != 1) {
		fprintf(stderr, "exosafe: bind address %s is not an IPv4 address\n", cfg->bind_address);
		server_close(&srv);
		return 1;
	}

	/* Block the stop signals in every thread MHD starts; the main thread waits for them. */
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);

	struct MHD_Daemon *d = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, (uint16_t)cfg->port, NULL, NULL, on_request, &srv,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr, MHD_OPTION_THREAD_POOL_SIZE, (unsigned)cfg->threads,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)cfg->connection_timeout_seconds, MHD_OPTION_CONNECTION_LIMIT,
		(unsigned)256, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(256 * 1024), MHD_OPTION_NOTIFY_COMPLETED,
		on_completed, &srv, MHD_OPTION_UNESCAPE_CALLBACK, unescape_url, NULL, MHD_OPTION_END);
	if (d == NULL) {
		fprintf(stderr, "exosafe: cannot listen on %s:%d (in use or not allowed)\n", cfg->bind_address, cfg->port);
		server_close(&srv);
		return 1;
	}
	fprintf(stderr, "exosafe: listening on http://%s:%d (database %s)\n", cfg->bind_address, cfg->port, cfg->db_path);
	coldchain_watch watch = {0};
	if (coldchain_watch_start(&watch, &srv) != 0)
		fprintf(stderr, "exosafe: cannot start the cold-chain watch: silent sensors will not raise alarms\n");
	tell_consent_update(&srv, cfg);
	/* The sender runs even without an SMTP relay: it then sends nothing, and the admins'
	 * mail page says that mail is not configured while messages wait in the outbox. */
	char err[512];
	mail_sender *sender = mail_sender_start(cfg, err, sizeof err);
	if (sender == NULL)
		fprintf(stderr, "exosafe: mail sender not started: %s\n", err);
	else if (cfg->mail.smtp_url[0] == '\0' || cfg->mail.from[0] == '\0')
		fprintf(stderr, "exosafe: mail: no [mail] smtp_url and from; messages stay queued\n");

	int sig = 0;
	sigwait(&stop, &sig);
	fprintf(stderr, "exosafe: stopping on signal %d\n", sig);
	coldchain_watch_stop(&watch);
	MHD_stop_daemon(d);
	mail_sender_stop(sender);
	server_close(&srv);
	return 0;
}
