/* Delivering the outbox (see mail_sender.h) through libcurl's SMTP client. */
#include "service/mail_sender.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "core/mail_message.h"
#include "service/clinic.h"

int64_t mail_retry_delay(const mail_config *mc, int attempts)
{
	int64_t delay = mc->retry_base_seconds;
	for (int i = 1; i < attempts && delay < mc->retry_max_seconds; i++)
		delay *= 2;
	return delay < mc->retry_max_seconds ? delay : mc->retry_max_seconds;
}

int mail_sender_global_init(void)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return -1;
	atexit(curl_global_cleanup);
	return 0;
}

typedef struct upload {
	const char *data;
	size_t left;
} upload;

static size_t read_upload(char *buf, size_t size, size_t nitems, void *ctx)
{
	upload *u = ctx;
	size_t n = size * nitems < u->left ? size * nitems : u->left;
	memcpy(buf, u->data, n);
	u->data += n;
	u->left -= n;
	return n;
}

/* Hands one message to the relay. Returns 0 when the relay accepted it; otherwise -1 with the
 * reason in err and *permanent set when the relay refused it for good (5xx). */
static int smtp_deliver(const mail_config *mc, const char *to, const char *message, char *err, size_t errlen,
                        bool *permanent)
{
	*permanent = false;
	CURL *curl = curl_easy_init();
	if (curl == NULL) {
		snprintf(err, errlen, "libcurl could not start");
		return -1;
	}
	char curl_err[CURL_ERROR_SIZE] = "";
	struct curl_slist *rcpt = curl_slist_append(NULL, to);
	upload u = {message, strlen(message)};
	curl_easy_setopt(curl, CURLOPT_URL, mc->smtp_url);
	curl_easy_setopt(curl, CURLOPT_MAIL_FROM, mc->from);
	curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(curl, CURLOPT_READFUNCTION, read_upload);
	curl_easy_setopt(curl, CURLOPT_READDATA, &u);
	curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, (long)mc->timeout_seconds);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, (long)(mc->timeout_seconds < 10 ? mc->timeout_seconds : 10));
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, curl_err);
	/* smtps:// is TLS from the start; on smtp:// STARTTLS is required when configured
	 * (CURLUSESSL_ALL: fail rather than send in clear), else used when the relay offers it. */
	curl_easy_setopt(curl, CURLOPT_USE_SSL, mc->require_tls ? (long)CURLUSESSL_ALL : (long)CURLUSESSL_TRY);
	if (mc->username[0]) {
		curl_easy_setopt(curl, CURLOPT_USERNAME, mc->username);
		curl_easy_setopt(curl, CURLOPT_PASSWORD, mc->password);
	}
	CURLcode rc = curl_easy_perform(curl);
	long reply = 0;
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply);
	curl_slist_free_all(rcpt);
	curl_easy_cleanup(curl);
	if (rc == CURLE_OK)
		return 0;
	*permanent = reply >= 500 && reply < 600;
	snprintf(err, errlen, "%s%s%s (SMTP %ld)", curl_easy_strerror(rc), curl_err[0] ? ": " : "", curl_err, reply);
	return -1;
}

/* The domain of the From address, for Message-IDs. */
static const char *from_domain(const char *from)
{
	const char *at = strrchr(from, '@');
	return at ? at + 1 : "localhost";
}

typedef struct due_ids {
	int64_t ids[64];
	int n;
} due_ids;

static int collect_due(void *ctx, const mail_record *m)
{
	due_ids *d = ctx;
	d->ids[d->n++] = m->id;
	return d->n == (int)(sizeof d->ids / sizeof d->ids[0]);
}

/* Records the outcome of one attempt in its own transaction. */
static int record_outcome(store *s, const mail_record *m, const mail_config *mc, bool sent, bool permanent,
                          const char *error, mail_send_result *out)
{
	if (store_begin(s) != STORE_OK)
		return -1;
	int64_t now = clock_now();
	store_rc rc;
	if (sent) {
		rc = store_mail_mark_sent(s, m->id, now);
		out->sent++;
	} else {
		int attempts = m->attempts + 1;
		bool failed = permanent || attempts >= mc->max_attempts;
		rc = store_mail_mark_attempt(s, m->id, attempts, now + mail_retry_delay(mc, attempts), error, failed);
		if (failed)
			out->failed++;
		else
			out->retrying++;
	}
	/* NOT_FOUND: another sender (the CLI beside the server) recorded it first. */
	if (rc != STORE_OK && rc != STORE_NOT_FOUND) {
		store_rollback(s);
		return -1;
	}
	return store_commit(s) == STORE_OK ? 0 : -1;
}

/* Makes *clinic the clinic m's recipient belongs to (kept when it is already), or the default
 * clinic's for a message to no account; 0, or -1 on a storage failure. */
static int from_clinic(store *s, const mail_record *m, int64_t default_clinic, clinic_profile *clinic)
{
	int64_t want = default_clinic;
	if (m->recipient_user_id > 0) {
		user_record u;
		store_rc rc = store_user_by_id(s, m->recipient_user_id, &u);
		if (rc == STORE_ERROR)
			return -1;
		if (rc == STORE_OK && u.clinic_id > 0)
			want = u.clinic_id;
	}
	if (clinic->id == want)
		return 0;
	return store_clinic_get(s, want, clinic) == STORE_OK ? 0 : -1;
}

int mail_send_due(store *s, const server_config *cfg, int limit, mail_send_result *out)
{
	const mail_config *mc = &cfg->mail;
	*out = (mail_send_result){0};
	out->configured = mc->smtp_url[0] != '\0' && mc->from[0] != '\0';
	if (!out->configured)
		return 0;
	due_ids due = {0};
	if (limit > (int)(sizeof due.ids / sizeof due.ids[0]))
		limit = (int)(sizeof due.ids / sizeof due.ids[0]);
	if (store_mail_due(s, clock_now(), limit, collect_due, &due) != STORE_OK)
		return -1;
	/* The From: display name is the recipient's clinic's (a chain's clinics share the outbox),
	 * read per batch: an admin may rename it. The store's clinic for a message to no account. */
	clinic_profile clinic;
	if (due.n > 0 && clinic_profile_get(s, &clinic) != CLINIC_OK)
		return -1;
	int64_t default_clinic = clinic.id;
	for (int i = 0; i < due.n; i++) {
		mail_record m;
		store_rc rc = store_mail_get(s, due.ids[i], &m);
		if (rc == STORE_NOT_FOUND)
			continue;
		if (rc != STORE_OK)
			return -1;
		if (strcmp(m.status, "queued") != 0) {
			mail_record_clear(&m);
			continue;
		}
		if (from_clinic(s, &m, default_clinic, &clinic) != 0) {
			mail_record_clear(&m);
			return -1;
		}
		char message_id[320], err[256] = "";
		snprintf(message_id, sizeof message_id, "exosafe-%lld-%lld@%.250s", (long long)m.id, (long long)m.created_at,
		         from_domain(mc->from));
		mail_message_in in = {.from_address = mc->from, .from_name = clinic.name, .to_address = m.to_address,
		                      .subject = m.subject, .body_text = m.body_text, .date = clock_now(),
		                      .message_id = message_id};
		char *text = mail_message_build(&in, err, sizeof err);
		bool permanent = true, sent = false;
		if (text != NULL) {
			sent = smtp_deliver(mc, m.to_address, text, err, sizeof err, &permanent) == 0;
			free(text);
		}
		if (!sent)
			snprintf(out->last_error, sizeof out->last_error, "%s", err);
		int failed = record_outcome(s, &m, mc, sent, permanent, err, out);
		mail_record_clear(&m);
		if (failed)
			return -1;
	}
	return 0;
}

struct mail_sender {
	server_config cfg;
	store *s;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stopping;
};

static void *sender_main(void *arg)
{
	mail_sender *ms = arg;
	for (;;) {
		mail_send_result r;
		if (mail_send_due(ms->s, &ms->cfg, 32, &r) != 0)
			fprintf(stderr, "exosafe: mail sender: %s\n", ms->s->errmsg);
		else if (r.sent || r.retrying || r.failed)
			fprintf(stderr, "exosafe: mail: %d sent, %d to retry, %d failed%s%s\n", r.sent, r.retrying, r.failed,
			        r.last_error[0] ? "; last error: " : "", r.last_error);
		pthread_mutex_lock(&ms->lock);
		if (!ms->stopping) {
			/* A condition timed wait needs the real clock: this is a wait, not a "now". */
			struct timespec until;
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_sec += ms->cfg.mail.poll_seconds;
			pthread_cond_timedwait(&ms->wake, &ms->lock, &until);
		}
		bool stop = ms->stopping;
		pthread_mutex_unlock(&ms->lock);
		if (stop)
			break;
	}
	return NULL;
}

mail_sender *mail_sender_start(const server_config *cfg, char *err, size_t errlen)
{
	mail_sender *ms = calloc(1, sizeof *ms);
	if (ms == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	ms->cfg = *cfg;
	ms->s = store_open_url(cfg->db_path, STORE_OPEN_CREATE, err, errlen);
	if (ms->s == NULL) {
		free(ms);
		return NULL;
	}
	pthread_mutex_init(&ms->lock, NULL);
	pthread_cond_init(&ms->wake, NULL);
	if (pthread_create(&ms->thread, NULL, sender_main, ms) != 0) {
		snprintf(err, errlen, "cannot start the mail sender thread");
		store_close(ms->s);
		pthread_mutex_destroy(&ms->lock);
		pthread_cond_destroy(&ms->wake);
		free(ms);
		return NULL;
	}
	return ms;
}

void mail_sender_stop(mail_sender *ms)
{
	if (ms == NULL)
		return;
	pthread_mutex_lock(&ms->lock);
	ms->stopping = true;
	pthread_cond_signal(&ms->wake);
	pthread_mutex_unlock(&ms->lock);
	pthread_join(ms->thread, NULL);
	store_close(ms->s);
	pthread_mutex_destroy(&ms->lock);
	pthread_cond_destroy(&ms->wake);
	free(ms);
}
