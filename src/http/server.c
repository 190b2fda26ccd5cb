/* libmicrohttpd glue: a pool of store connections, request body collection with a size
 * limit, and the dispatch that runs for every API request in this order:
 * route → session → role → CSRF → announced size and type (all before any body byte is
 * read) → body (size, JSON, fields) → handler. */
#include "http/server.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/credentials.h"
#include "core/ctcae.h"
#include "http/http.h"
#include "http/route_match.h"
#include "http/security_headers.h"
#include "http/static_files.h"
#include "service/accounts.h"
#include "service/clinic.h"
#include "service/coldchain_alarm.h"
#include "service/intake.h"
#include "service/mail_events.h"
#include "service/mail_sender.h"
#include "service/ae.h"
#include "http/audit_wait.h"
#include "service/audit_writer.h"
#include "service/followup.h"
#include "clock.h"

/* Connections are handed to one request at a time; SQLite connections are not shared. */
typedef struct store_pool {
	pthread_mutex_t lock;
	pthread_cond_t available;
	store **free_list;
	int free_count;
	int size;
} store_pool;

/* ---- lingering close: a refused upload's connection is drained briefly before it is closed ----
 * A request refused on its headers (no session, too large) is answered before its body is
 * read, and libmicrohttpd then closes the connection. Closing a socket with unread bytes makes
 * the kernel send a reset, which can reach the client before it has read the answer, so it
 * sees "connection reset" instead of 401 or 413. As nginx does (lingering_close), the socket
 * is kept a moment longer and whatever the client still sends is read and dropped, with
 * nothing kept: at most LINGER_MAX sockets, each until the client has been silent for
 * LINGER_IDLE_MS (a client still sending its body, slowed by a busy machine, is not cut off
 * and sees its answer), and never longer than LINGER_TOTAL_MS (nginx's lingering_timeout and
 * lingering_time). */
enum { LINGER_MAX = 64, LINGER_IDLE_MS = 2000, LINGER_TOTAL_MS = 30000 };

typedef struct lingerer {
	pthread_t thread;
	pthread_mutex_t lock;
	int wake[2];                  /* a pipe: a new socket or stop */
	int fds[LINGER_MAX];
	int64_t until_ms[LINGER_MAX]; /* monotonic time at which the socket is closed */
	int64_t last_ms[LINGER_MAX];  /* the latest it may be kept: LINGER_TOTAL_MS after it came */
	int count;
	bool stop;
	bool started;
} lingerer;

typedef struct server {
	server_config cfg;
	intake_catalog *catalog;
	ctcae_table *ctcae;
	char web_root[PATH_MAX];
	store_pool pool;
	lingerer linger;
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
		store *s = store_open_url(path, STORE_OPEN_CREATE, err, sizeof err);
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
	s->fault = STORE_FAULT_NONE;   /* a fault is the request's own (reply_internal reads it) */
	return s;
}

static void pool_give(store_pool *p, store *s)
{
	/* A handler that forgot to finish its transaction must not leak it to the next one, nor
	 * its clinic to the next request's. */
	store_rollback(s);
	store_scope_clinic(s, STORE_SCOPE_ALL);
	pthread_mutex_lock(&p->lock);
	p->free_list[p->free_count++] = s;
	pthread_cond_signal(&p->available);
	pthread_mutex_unlock(&p->lock);
}

/* ---- periodic tasks: the cold-chain watch (silent sensors, every minute) and the follow-up
 * tick (due check-ins, every [followup] tick_seconds), each on its own thread ---- */

enum { COLDCHAIN_WATCH_SECONDS = 60 };

typedef struct periodic_task {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stop;
	bool started;
	server *srv;
	int seconds;                       /* between runs */
	bool wait_first;                   /* the first run after `seconds` (a run at start-up has been done) */
	void (*run)(server *srv, store *s); /* one run, on a pooled connection */
} periodic_task;

static void *periodic_task_run(void *arg)
{
	periodic_task *w = arg;
	pthread_mutex_lock(&w->lock);
	bool skip = w->wait_first;
	while (!w->stop) {
		pthread_mutex_unlock(&w->lock);
		if (!skip) {
			store *s = pool_take(&w->srv->pool);
			w->run(w->srv, s);
			pool_give(&w->srv->pool, s);
		}
		skip = false;
		/* The wait is on the system's monotonic time: exosafe's clock may be set elsewhere. */
		struct timespec until;
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec += w->seconds;
		pthread_mutex_lock(&w->lock);
		while (!w->stop && pthread_cond_timedwait(&w->wake, &w->lock, &until) == 0)
			;
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

/* Starts the task; returns 0, or -1 (the server then runs without it, and says so). */
static int periodic_task_start(periodic_task *w, server *srv, int seconds, bool wait_first,
                               void (*run)(server *srv, store *s))
{
	pthread_condattr_t attr;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->wake, &attr);
	pthread_condattr_destroy(&attr);
	w->stop = false;
	w->srv = srv;
	w->seconds = seconds;
	w->wait_first = wait_first;
	w->run = run;
	w->started = pthread_create(&w->thread, NULL, periodic_task_run, w) == 0;
	return w->started ? 0 : -1;
}

static void periodic_task_stop(periodic_task *w)
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

static void coldchain_watch_once(server *srv, store *s)
{
	const server_config *cfg = &srv->cfg;
	coldchain_alarm_settings settings = {cfg->data_dir, cfg->mail.public_url};
	if (coldchain_check_silent(s, &settings, clock_now(), NULL) != STORE_OK)
		fprintf(stderr, "exosafe: cold-chain check: %s\n", s->errmsg);
}

static void followup_tick_once(server *srv, store *s)
{
	followup_settings fs = followup_settings_from_config(&srv->cfg);
	if (followup_tick(s, &fs, clock_now(), NULL) != STORE_OK)
		fprintf(stderr, "exosafe: follow-up tick: %s\n", s->errmsg);
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

/* The route's body limit: file uploads (certificates, logger files, sensor batches, photos)
 * take raw bytes and may be larger than JSON bodies. */
static size_t body_limit(const server *srv, const route *found)
{
	return found->fields == ROUTE_RAW_BODY ? srv->cfg.max_upload_bytes : srv->cfg.max_body_bytes;
}

/* What the headers say about the body to come: *declared is Content-Length (0 when absent). */
static bool body_announced(request *req, unsigned long long *declared, bool *chunked)
{
	const char *length = request_header(req, "Content-Length");
	/* libmicrohttpd has refused a malformed Content-Length with 400 already. */
	*declared = length ? strtoull(length, NULL, 10) : 0;
	*chunked = request_header(req, "Transfer-Encoding") != NULL;
	return *declared > 0 || *chunked;
}

/* What the request's store connection shows (store.h clinic_scope): the signed-in user's clinic,
 * none for a user of no clinic, every clinic before anyone is known (log-in, sign-up, a device,
 * a check-in link: each finds its rows by a secret, not by a list). */
static void scope_request(request *req)
{
	if (req->db == NULL)
		return;
	int64_t scope = STORE_SCOPE_ALL;
	if (req->signed_in)
		scope = req->user.clinic_id > 0 ? req->user.clinic_id : STORE_SCOPE_NONE;
	store_scope_clinic(req->db, scope);
}

/* The first half of an API request's dispatch, run when its headers are complete and before
 * any body byte is read, so that a client without a session, role or CSRF token, or one
 * announcing too large a body, is answered at once instead of being buffered:
 * route → session → role → CSRF → Content-Length (and Content-Type) against the route.
 * Returns the route, or NULL with the error reply set. */
static const route *dispatch_head(server *srv, request *req)
{
	bool path_known;
	const route *found = route_find(api_routes, api_route_count, req->method, req->path, req->path_ids,
	                                &req->path_id_count, &path_known);
	if (found == NULL) {
		if (path_known)
			reply_error(req, 405, "method_not_allowed", NULL, NULL);
		else
			reply_error(req, 404, "not_found", NULL, NULL);
		return NULL;
	}

	unsigned long long declared = 0;
	bool chunked = false;
	bool has_body = body_announced(req, &declared, &chunked);
	/* A body's size must be known before it is read: chunked uploads are refused. */
	if (chunked) {
		reply_error(req, 411, "length_required", NULL, NULL);
		return NULL;
	}

	if (found->roles & ACCESS_DEVICE) {
		/* The handler checks the device's key first: called before the body, it answers a
		 * wrong key at once, and otherwise returns without a reply to be called again with
		 * the body. */
		if (has_body) {
			req->awaiting_body = true;
			found->handler(req);
			req->awaiting_body = false;
			if (req->reply != NULL || req->raw_body != NULL)
				return NULL;
		}
	} else {
		const char *token = request_cookie(req, "exosafe_session");
		if (token != NULL) {
			accounts_rc rc = accounts_session_resolve(req->db, &srv->cfg.session, token, clock_now(),
			                                          &req->session, &req->user);
			if (rc == ACCOUNTS_ERROR) {
				reply_internal(req, "session lookup");
				return NULL;
			}
			req->signed_in = rc == ACCOUNTS_OK;
			scope_request(req);
		}

		if (!(found->roles & ACCESS_PUBLIC)) {
			if (!req->signed_in) {
				reply_error(req, 401, "unauthenticated", NULL, NULL);
				return NULL;
			}
			if (!(found->roles & req->user.role)) {
				reply_error(req, 403, "forbidden", NULL, NULL);
				return NULL;
			}
		}

		if (is_state_changing(req->method) && !check_csrf(req)) {
			reply_error(req, 403, "csrf_failed", NULL, NULL);
			return NULL;
		}
	}

	if (declared > body_limit(srv, found)) {
		reply_error(req, 413, "body_too_large", NULL, NULL);
		return NULL;
	}
	if (declared > 0 && is_state_changing(req->method) && found->fields != ROUTE_RAW_BODY &&
	    !content_type_is_json(request_header(req, "Content-Type"))) {
		reply_error(req, 415, "unsupported_media_type", NULL, NULL);
		return NULL;
	}
	return found;
}

/* The second half, with the body read: its size, JSON and fields, then the handler. */
/* Runs of a handler whose transaction PostgreSQL rolled back for a serialization failure or a
 * deadlock (SQLSTATE 40001/40P01). The writers hold one lock, so the usual cause is gone
 * at the next run; the last failure is answered 503 database_busy. */
enum { HANDLER_RUNS = 3 };

/* Runs the handler, again while its store transaction was rolled back by a serialization
 * failure (reply_internal sets rerun_wanted): the database is as it was before the run, so the
 * run is simply repeated, its first answer dropped. Not when it committed anything, nor when
 * it has sent audit rows to the audit writer, which commits them on its own. */
static void run_handler(request *req, const route *found)
{
	for (int run = 1;; run++) {
		req->rerun_wanted = false;
		unsigned long commits = req->db->commits;
		found->handler(req);
		/* A handler with two transactions whose second failed keeps its answer: running it
		 * again would repeat the first. */
		if (!req->rerun_wanted || run == HANDLER_RUNS || req->audit_wait != NULL || req->db->commits != commits)
			return;
		fprintf(stderr, "exosafe: %s %s: serialization failure, running it again (%d of %d)\n", req->method,
		        req->path, run + 1, HANDLER_RUNS);
		json_decref(req->reply);
		req->reply = NULL;
		free(req->raw_body);
		req->raw_body = NULL;
		req->raw_filename[0] = '\0';
		req->raw_csp[0] = '\0';
		req->status = 200;
		req->cookie_count = 0;
		req->retry_after = 0;
		req->db->fault = STORE_FAULT_NONE;
	}
}

static void dispatch_body(request *req, const route *found)
{
	scope_request(req);
	if (found->roles & ACCESS_DEVICE) {
		run_handler(req, found);
		return;
	}
	if (is_state_changing(req->method)) {
		if (req->body_too_large) {
			reply_error(req, 413, "body_too_large", NULL, NULL);
			return;
		}
		if (found->fields == ROUTE_RAW_BODY) {
			/* The handler checks the bytes and their type itself. */
		} else if (!input_validate(req, found->fields)) {
			return;
		}
	}
	run_handler(req, found);
}

/* More query arguments than this are refused with 414 before libmicrohttpd stores them: each
 * takes ~48 bytes of the connection's 256 KiB memory pool, and once the pool is full
 * libmicrohttpd 0.9.75 can no longer answer and leaves the client waiting for the timeout.
 * No exosafe endpoint takes more than a handful. */
enum { MAX_QUERY_ARGUMENTS = 256 };

/* Per-request state between libmicrohttpd's callbacks: made when the request line arrives
 * (on_request_line), decided when the headers are complete (the first on_request call),
 * answered when the body is (the last). */
typedef struct pending {
	bool too_many_arguments;  /* the query string was cut: answered 414 */
	bool started;             /* the first on_request call has run */
	bool answered;            /* a reply is decided; any body still arriving is dropped */
	bool reply_waiting;       /* a request without a body: its reply is queued at the next call */
	bool static_waiting;      /* a static file request without a body, served at the next call */
	const route *found;       /* API requests: the route, checked before the body */
	request req;
	char *body;
	size_t len;
	size_t limit;
	bool too_large;
} pending;

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
	if (req->retry_after > 0) {
		char seconds[16];
		snprintf(seconds, sizeof seconds, "%d", req->retry_after);
		MHD_add_response_header(r, "Retry-After", seconds);
	}
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

/* Per-connection state (libmicrohttpd's socket context): whether the connection is to be
 * drained when it closes, because a request was answered before its body was read. */
typedef struct connection_state {
	bool linger;
} connection_state;

static void linger_on_close(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	if (ci != NULL && ci->socket_context != NULL)
		((connection_state *)ci->socket_context)->linger = true;
}

/* Sends the reply of a request whose handler has run, unless its audit rows are still in
 * flight: the connection is then suspended and this is called again once the audit writer
 * resumes it. A row that failed replaces the reply (and any download) with a 500. */
static enum MHD_Result answer(struct MHD_Connection *conn, request *req);
static enum MHD_Result answer_audited(struct MHD_Connection *conn, pending *p)
{
	request *req = &p->req;
	if (req->audit_wait != NULL) {
		if (audit_wait_suspend_if_pending(req->audit_wait)) {
			p->reply_waiting = true;
			return MHD_YES;
		}
		if (audit_wait_failed(req->audit_wait)) {
			free(req->raw_body);
			req->raw_body = NULL;
			req->cookie_count = 0;
			reply_internal(req, "audit row not written");
		}
	}
	return answer(conn, req);
}

/* Sends req's reply and frees what it held. */
static enum MHD_Result answer(struct MHD_Connection *conn, request *req)
{
	enum MHD_Result ret = send_reply(conn, req);
	json_decref(req->reply);
	json_decref(req->input);
	free(req->raw_body);
	req->reply = NULL;
	req->input = NULL;
	req->raw_body = NULL;
	return ret;
}

/* Called by libmicrohttpd when the request line is complete, before it parses the query
 * string: the request's state starts here. A query string with too many arguments is cut
 * off in libmicrohttpd's own line buffer (which it parses right after this returns), and
 * the request is answered 414 once its headers are in. */
static void *on_request_line(void *cls, const char *uri, struct MHD_Connection *conn)
{
	(void)cls;
	(void)conn;
	pending *p = calloc(1, sizeof *p);
	/* The line buffer is libmicrohttpd's and writable; strchr gives the pointer back as such. */
	char *query = strchr(uri, '?');
	if (p == NULL || query == NULL)
		return p;
	size_t arguments = 1;
	for (const char *c = query; *c; c++)
		arguments += *c == '&';
	if (arguments > MAX_QUERY_ARGUMENTS) {
		p->too_many_arguments = true;
		query[1] = '\0';
	}
	return p;
}

/* The first call for a request, with its headers complete and no body byte read: decides it
 * (dispatch_head) and answers at once when it is refused or has no body. */
static enum MHD_Result start_api(server *srv, struct MHD_Connection *conn, pending *p, const char *method,
                                 const char *url)
{
	request *req = &p->req;
	req->cfg = &srv->cfg;
	req->audit = srv->audit;
	req->catalog = srv->catalog;
	req->ctcae = srv->ctcae;
	req->connection = conn;
	req->method = method;
	req->path = url;
	req->status = 200;
	req->lang = lang_from_accept_language(MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Accept-Language"));
	req->audit_async = srv->audit != NULL;
	client_address(conn, req->client_address, sizeof req->client_address);

	unsigned long long declared = 0;
	bool chunked = false;
	bool has_body = body_announced(req, &declared, &chunked);
	req->db = pool_take(&srv->pool);
	p->found = dispatch_head(srv, req);
	if (p->found != NULL && has_body) {
		/* The store connection is not held while the body arrives. */
		pool_give(&srv->pool, req->db);
		req->db = NULL;
		p->limit = body_limit(srv, p->found);
		return MHD_YES;
	}
	if (p->found != NULL)
		dispatch_body(req, p->found);
	pool_give(&srv->pool, req->db);
	req->db = NULL;
	p->answered = true;
	if (has_body) {
		linger_on_close(conn);
		return answer(conn, req);
	}
	/* Queued at the next call: libmicrohttpd takes a reply queued during the call that
	 * brings the headers for an early answer and closes the connection after it, which would
	 * end keep-alive for every GET. A refused upload above is meant to be answered early. */
	p->reply_waiting = true;
	return MHD_YES;
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
		*con_cls = p;
	}
	if (!p->started) {
		p->started = true;
		/* Headers are in: from here the usual idle timeout applies (on_completed sets the
		 * short one again for the next request's headers). */
		MHD_set_connection_option(conn, MHD_CONNECTION_OPTION_TIMEOUT, (unsigned)srv->cfg.connection_timeout_seconds);
		/* A body still to come after an answer given now is drained, not reset. */
		if (MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length") != NULL ||
		    MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Transfer-Encoding") != NULL)
			if (p->too_many_arguments || strncmp(url, "/api/", 5) != 0)
				linger_on_close(conn);
		if (p->too_many_arguments) {
			p->answered = true;
			p->req.status = 200;
			p->req.lang = lang_from_accept_language(MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Accept-Language"));
			reply_error(&p->req, 414, "uri_too_long", NULL, NULL);
			return answer(conn, &p->req);
		}
		if (strncmp(url, "/api/", 5) != 0) {
			p->answered = true;
			bool has_body = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length") != NULL ||
			                MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Transfer-Encoding") != NULL;
			if (has_body)
				return send_static(srv, conn, method, url);
			/* Served at the next call, for keep-alive (see start_api). */
			p->static_waiting = true;
			return MHD_YES;
		}
		return start_api(srv, conn, p, method, url);
	}
	if (p->static_waiting) {
		p->static_waiting = false;
		return send_static(srv, conn, method, url);
	}
	if (p->reply_waiting) {
		p->reply_waiting = false;
		return answer_audited(conn, p);
	}
	if (*upload_data_size > 0) {
		/* Content-Length was checked before; past the limit (a client sending more than it
		 * announced) the rest is dropped, and so is a body after a reply. */
		if (!p->too_large && !p->answered) {
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
	if (p->answered)
		return MHD_YES;

	request *req = &p->req;
	req->body = p->body;
	req->body_len = p->len;
	req->body_too_large = p->too_large;
	req->db = pool_take(&srv->pool);
	dispatch_body(req, p->found);
	pool_give(&srv->pool, req->db);
	req->db = NULL;
	p->answered = true;
	return answer_audited(conn, p);
}

static int64_t monotonic_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void *lingerer_run(void *arg)
{
	lingerer *l = arg;
	char sink[16384];
	for (;;) {
		struct pollfd pfd[LINGER_MAX + 1];
		int n = 0;
		pthread_mutex_lock(&l->lock);
		if (l->stop) {
			for (int i = 0; i < l->count; i++)
				close(l->fds[i]);
			l->count = 0;
			pthread_mutex_unlock(&l->lock);
			return NULL;
		}
		int64_t now = monotonic_ms();
		for (int i = 0; i < l->count;) {
			if (now >= l->until_ms[i]) {
				close(l->fds[i]);
				l->fds[i] = l->fds[l->count - 1];
				l->last_ms[i] = l->last_ms[l->count - 1];
				l->until_ms[i] = l->until_ms[--l->count];
				continue;
			}
			pfd[n++] = (struct pollfd){.fd = l->fds[i], .events = POLLIN};
			i++;
		}
		pthread_mutex_unlock(&l->lock);
		pfd[n] = (struct pollfd){.fd = l->wake[0], .events = POLLIN};
		if (poll(pfd, (nfds_t)n + 1, 100) <= 0)
			continue;
		if (pfd[n].revents & POLLIN)
			while (read(l->wake[0], sink, sizeof sink) > 0)
				;
		for (int i = 0; i < n; i++) {
			if (!(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			ssize_t got;
			bool read_some = false;
			while ((got = recv(pfd[i].fd, sink, sizeof sink, MSG_DONTWAIT)) > 0)
				read_some = true;
			bool over = got == 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
			if (!over && !read_some)
				continue;
			/* The client finished or went away: close now rather than at the deadline; still
			 * sending: keep it another LINGER_IDLE_MS (up to its last_ms). */
			int64_t until = monotonic_ms() + LINGER_IDLE_MS;
			pthread_mutex_lock(&l->lock);
			for (int j = 0; j < l->count; j++)
				if (l->fds[j] == pfd[i].fd) {
					l->until_ms[j] = over ? 0 : until < l->last_ms[j] ? until : l->last_ms[j];
					break;
				}
			pthread_mutex_unlock(&l->lock);
		}
	}
}

/* A request line that starts with NUL bytes is answered 400 here, when the connection starts:
 * libmicrohttpd 0.9.75 takes a line whose first byte is NUL for a blank line (tolerated before
 * a request line), drops it, and would leave the client waiting for the timeout. The listening
 * socket defers accepting until data has arrived (TCP_DEFER_ACCEPT), so the first bytes can be
 * looked at without waiting; the line is read off so libmicrohttpd never sees it, the answer
 * written, and the connection closed once the client has read it (or at the header timeout). */
static void refuse_nul_request_line(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (ci == NULL)
		return;
	char first[512];
	ssize_t n = recv(ci->connect_fd, first, sizeof first, MSG_PEEK | MSG_DONTWAIT);
	if (n <= 0 || first[0] != '\0')
		return;
	if (recv(ci->connect_fd, first, (size_t)n, MSG_DONTWAIT) != n)
		return;
	static const char bad[] = "HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Type: text/plain\r\n"
	                          "Content-Length: 12\r\n\r\nBad request\n";
	if (send(ci->connect_fd, bad, sizeof bad - 1, MSG_NOSIGNAL | MSG_DONTWAIT) >= 0)
		shutdown(ci->connect_fd, SHUT_WR);
	linger_on_close(conn);
}

/* libmicrohttpd's connection notice: a connection marked by linger_on_close is handed, as a
 * duplicate of its socket, to the lingerer (libmicrohttpd closes its own right after). */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
	lingerer *l = cls;
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		*socket_context = calloc(1, sizeof(connection_state));
		refuse_nul_request_line(conn);
		return;
	}
	connection_state *state = *socket_context;
	bool linger = state != NULL && state->linger;
	free(state);
	*socket_context = NULL;
	if (!linger || !l->started)
		return;
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (ci == NULL)
		return;
	pthread_mutex_lock(&l->lock);
	if (l->count < LINGER_MAX) {
		int fd = dup(ci->connect_fd);
		if (fd >= 0) {
			int64_t now = monotonic_ms();
			l->fds[l->count] = fd;
			l->last_ms[l->count] = now + LINGER_TOTAL_MS;
			l->until_ms[l->count++] = now + LINGER_IDLE_MS;
			if (write(l->wake[1], "", 1) < 0) {
				/* The pipe is full: the thread is awake already. */
			}
		}
	}
	pthread_mutex_unlock(&l->lock);
}

/* Starts the lingerer; without it refused uploads are closed at once (and may see a reset). */
static void lingerer_start(lingerer *l)
{
	l->wake[0] = l->wake[1] = -1;
	pthread_mutex_init(&l->lock, NULL);
	if (pipe2(l->wake, O_NONBLOCK | O_CLOEXEC) != 0)
		return;
	l->started = pthread_create(&l->thread, NULL, lingerer_run, l) == 0;
}

static void lingerer_stop(lingerer *l)
{
	if (l->started) {
		pthread_mutex_lock(&l->lock);
		l->stop = true;
		pthread_mutex_unlock(&l->lock);
		if (write(l->wake[1], "", 1) < 0) {
			/* Full: the thread wakes anyway. */
		}
		pthread_join(l->thread, NULL);
		l->started = false;
	}
	if (l->wake[0] >= 0) {
		close(l->wake[0]);
		close(l->wake[1]);
	}
	pthread_mutex_destroy(&l->lock);
}

/* libmicrohttpd's unescape callback: url_unescape (route_match.h). */
static size_t unescape_url(void *cls, struct MHD_Connection *conn, char *s)
{
	(void)cls;
	(void)conn;
	return url_unescape(s);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)conn;
	(void)toe;
	pending *p = *con_cls;
	if (p != NULL) {
		audit_wait_release(p->req.audit_wait);
		json_decref(p->req.reply);
		json_decref(p->req.input);
		free(p->req.raw_body);
		free(p->body);
		free(p);
		*con_cls = NULL;
	}
	/* A kept-alive connection keeps the connection timeout while it waits for its next
	 * request: with the short header deadline here the server closed idle connections after
	 * 5 s, and a client that keeps them 4 s (Node's fetch) could, on a slow machine, send its
	 * next request into a connection being closed and see "fetch failed". */
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
	char label[1024];  /* the database as messages show it (store_db_label) */
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
		                "  with exosafe init for real use.\n", store_db_label(cfg->db_path, label, sizeof label));
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
		        names, store_db_label(cfg->db_path, label, sizeof label), label);
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

/* Drops sessions past their limits, log-in failures outside the window and browsers
 * remembered longer than their cookie lives (best effort: a failure is said and retried at
 * the next purge). Run at start and every purge_interval_seconds (purge_once). */
static void purge_expired(store *s, const server_config *cfg)
{
	int64_t now = clock_now();
	if (store_begin(s) == STORE_OK) {
		if (store_session_purge(s, now - cfg->session.idle_seconds, now - cfg->session.absolute_seconds) == STORE_OK &&
		    store_login_failure_purge(s, now - cfg->login.window_seconds) == STORE_OK &&
		    store_login_device_purge(s, now - ACCOUNTS_DEVICE_KEEP_SECONDS) == STORE_OK &&
		    store_commit(s) == STORE_OK)
			return;
		store_rollback(s);
	}
	fprintf(stderr, "exosafe: purge of expired sessions: %s\n", s->errmsg);
}

/* The purge while the server runs (a periodic_task every purge_interval_seconds). */
static void purge_once(server *srv, store *s)
{
	purge_expired(s, &srv->cfg);
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
	char err[1024];
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
	/* The database must exist (a mistyped path makes no new file) and have exactly the
	 * schema this program's migrations make: not older, not newer, nothing missing. */
	store *probe = store_open_url(cfg->db_path, STORE_OPEN_EXISTING, err, sizeof err);
	if (probe == NULL || store_schema_usable(probe, cfg->db_path, false, NULL, err, sizeof err) != 0) {
		fprintf(stderr, "exosafe: %s\n", err);
		if (probe != NULL)
			store_close(probe);
		intake_catalog_free(srv->catalog);
		ctcae_free(srv->ctcae);
		return -1;
	}
	store_close(probe);
	if (pool_open(&srv->pool, cfg->db_path, cfg->threads + 1) != 0) {
		server_close(srv);
		return -1;
	}
	store *s = srv->pool.free_list[0];
	if (clinic_startup_check(s, &srv->cfg) != 0) {
		server_close(srv);
		return -1;
	}
	purge_expired(s, cfg);
	store *audit_store = store_open_url(cfg->db_path, STORE_OPEN_CREATE, err, sizeof err);
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

	lingerer_start(&srv.linger);
	/* epoll, not select: libmicrohttpd splits the 256 connections among the worker threads, and
	 * with select a worker holding its share still accepted a new connection and closed it at
	 * once, so one address's 128 slow connections could get another address's health check
	 * refused. With epoll a full worker stops listening and the others accept. */
	struct MHD_Daemon *d = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG, (uint16_t)cfg->port, NULL, NULL, on_request, &srv,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr, MHD_OPTION_THREAD_POOL_SIZE, (unsigned)cfg->threads,
		/* The daemon's timeout is the short one for receiving headers; on_request raises it
		 * to connection_timeout_seconds once they are in (see header_timeout_seconds). */
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)cfg->header_timeout_seconds, MHD_OPTION_CONNECTION_LIMIT,
		(unsigned)256, MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)cfg->max_connections_per_address,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(256 * 1024), MHD_OPTION_URI_LOG_CALLBACK, on_request_line, NULL,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, &srv, MHD_OPTION_NOTIFY_CONNECTION, on_connection, &srv.linger,
		MHD_OPTION_UNESCAPE_CALLBACK, unescape_url, NULL, MHD_OPTION_END);
	if (d == NULL) {
		fprintf(stderr, "exosafe: cannot listen on %s:%d (in use or not allowed)\n", cfg->bind_address, cfg->port);
		lingerer_stop(&srv.linger);
		server_close(&srv);
		return 1;
	}
	/* Accept a connection only once its first bytes are in (refuse_nul_request_line), or after
	 * the header timeout. */
	const union MHD_DaemonInfo *listening = MHD_get_daemon_info(d, MHD_DAEMON_INFO_LISTEN_FD);
	int defer = cfg->header_timeout_seconds;
	if (listening == NULL ||
	    setsockopt(listening->listen_fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &defer, sizeof defer) != 0)
		fprintf(stderr, "exosafe: TCP_DEFER_ACCEPT not set: a request line of NUL bytes waits for the header timeout\n");
	char label[1024];
	fprintf(stderr, "exosafe: listening on http://%s:%d (database %s)\n", cfg->bind_address, cfg->port,
	        store_db_label(cfg->db_path, label, sizeof label));
	periodic_task purge = {0};
	if (periodic_task_start(&purge, &srv, srv.cfg.purge_interval_seconds, true, purge_once) != 0)
		fprintf(stderr, "exosafe: cannot start the purge thread: expired sessions go at the next start\n");
	periodic_task watch = {0}, followup = {0};
	if (periodic_task_start(&watch, &srv, COLDCHAIN_WATCH_SECONDS, false, coldchain_watch_once) != 0)
		fprintf(stderr, "exosafe: cannot start the cold-chain watch: silent sensors will not raise alarms\n");
	if (periodic_task_start(&followup, &srv, cfg->followup.tick_seconds, false, followup_tick_once) != 0)
		fprintf(stderr, "exosafe: cannot start the follow-up tick: run exosafe followup tick\n");
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
	periodic_task_stop(&followup);
	periodic_task_stop(&watch);
	periodic_task_stop(&purge);
	/* Every connection suspended on an audit row is resumed before libmicrohttpd stops
	 * (it refuses to stop with one still suspended). */
	audit_writer_drain(srv.audit);
	MHD_stop_daemon(d);
	lingerer_stop(&srv.linger);
	mail_sender_stop(sender);
	server_close(&srv);
	return 0;
}
