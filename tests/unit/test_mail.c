/* The mail outbox: template rendering (placeholders, malformed templates, header injection),
 * queuing inside a transaction (rolled back with it), deduplication, due selection with
 * not_before, sent / retry / failed marking, cancelling by key prefix, counts, and the
 * password-reset token store. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <unistd.h>

#include "clock.h"
#include "core/carrier_tracking.h"
#include "core/mail_message.h"
#include "core/text.h"
#include "service/mail.h"
#include "service/mail_sender.h"
#include <sodium.h>
#include "store/store.h"

#include "testutil_store.h"

typedef struct fixture {
	char dir[64];
	char path[128];
	store *s;
	int64_t user_id;
} fixture;

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof *f);
	if (test_store_open("mail", f->dir, f->path, &f->s) != 0)
		return -1;
	user_record u = {.role = ROLE_PATIENT, .created_at = 1795564800};
	snprintf(u.email, sizeof u.email, "p@example.jp");
	snprintf(u.name, sizeof u.name, "患者");
	snprintf(u.password_hash, sizeof u.password_hash, "x");
	if (store_user_insert(f->s, &u) != STORE_OK)
		return -1;
	f->user_id = u.id;
	clock_set(1795564800);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;
	int rc = test_store_close(f->dir, f->s);
	free(f);
	return rc;
}

static void test_template_render(void **state)
{
	(void)state;
	mail_var vars[] = {{"name", "山田 花子"}, {"n", "3"}};
	char *subject, *body, err[256];
	assert_int_equal(mail_template_render("Subject: {{name}} 様へ\r\n\r\nこんにちは {{name}} 様、{{n}} 件。\n", vars, 2,
	                                      &subject, &body, err, sizeof err),
	                 0);
	assert_string_equal(subject, "山田 花子 様へ");
	assert_string_equal(body, "こんにちは 山田 花子 様、3 件。\n");
	free(subject);
	free(body);

	/* A placeholder without a value is an error, not an empty string in a patient's mail. */
	assert_int_equal(mail_template_render("Subject: x\n\n{{missing}}\n", vars, 2, &subject, &body, err, sizeof err), -1);
	assert_null(subject);
	assert_non_null(strstr(err, "{{missing}}"));
	assert_int_equal(mail_template_render("Subject: x\n\n{{Name}}\n", vars, 2, &subject, &body, err, sizeof err), -1);
	assert_non_null(strstr(err, "malformed"));
	assert_int_equal(mail_template_render("Subject: x\n\n{{name\n", vars, 2, &subject, &body, err, sizeof err), -1);
	assert_int_equal(mail_template_render("Hello\n\nbody", vars, 2, &subject, &body, err, sizeof err), -1);
	assert_int_equal(mail_template_render("Subject: x\nbody", vars, 2, &subject, &body, err, sizeof err), -1);
	assert_int_equal(mail_template_render("Subject: {{n}}", vars, 2, &subject, &body, err, sizeof err), -1);
	/* A value with a line break must not add a header. */
	mail_var evil[] = {{"name", "x\r\nBcc: all@example.jp"}};
	assert_int_equal(mail_template_render("Subject: {{name}}\n\nb\n", evil, 1, &subject, &body, err, sizeof err), -1);
	assert_non_null(strstr(err, "line break"));
	mail_var empty[] = {{"name", ""}};
	assert_int_equal(mail_template_render("Subject: {{name}}\n\nb\n", empty, 1, &subject, &body, err, sizeof err), -1);
	/* A single brace is text. */
	assert_int_equal(mail_template_render("Subject: a {b}\n\n{ok}\n", vars, 2, &subject, &body, err, sizeof err), 0);
	assert_string_equal(body, "{ok}\n");
	free(subject);
	free(body);
}

/* Every template in data/mail renders in both languages with the variables it documents,
 * and refuses a path outside data/mail. */
static void test_render_files(void **state)
{
	(void)state;
	mail_var vars[] = {{"clinic_name", "テストクリニック"}, {"clinic_phone", "03-1234-5678"}, {"name", "山田"},
	                   {"link", "https://clinic.example.jp/reset.html#t=abc"}, {"valid_minutes", "60"}};
	char *subject, *body, err[512];
	assert_int_equal(mail_render("data", "password_reset", "ja", vars, 5, &subject, &body, err, sizeof err), 0);
	assert_string_equal(subject, "【テストクリニック】パスワード再設定のご案内");
	assert_non_null(strstr(body, "https://clinic.example.jp/reset.html#t=abc"));
	free(subject);
	free(body);
	assert_int_equal(mail_render("data", "password_reset", "en", vars, 5, &subject, &body, err, sizeof err), 0);
	assert_string_equal(subject, "[テストクリニック] Resetting your password");
	free(subject);
	free(body);
	assert_int_equal(mail_render("data", "../consent/x", "ja", vars, 5, &subject, &body, err, sizeof err), -1);
	assert_int_equal(mail_render("data", "password_reset", "fr", vars, 5, &subject, &body, err, sizeof err), -1);
	assert_int_equal(mail_render("data", "no_such_kind", "ja", vars, 5, &subject, &body, err, sizeof err), -1);
	assert_non_null(strstr(err, "no_such_kind.ja.txt"));
	assert_int_equal(mail_render("data", "password_reset", "ja", vars, 4, &subject, &body, err, sizeof err), -1);
	assert_non_null(strstr(err, "{{valid_minutes}}"));
}

static int count_fn(void *ctx, const mail_record *m)
{
	(void)m;
	(*(int *)ctx)++;
	return 0;
}

static int first_id_fn(void *ctx, const mail_record *m)
{
	*(int64_t *)ctx = m->id;
	return 1;
}

static void test_enqueue_and_send(void **state)
{
	fixture *f = *state;
	store *s = f->s;
	int64_t now = clock_now();
	mail_item m = {.recipient_user_id = f->user_id, .to_address = "p@example.jp", .kind = "booking_confirmation",
	               .subject = "ご予約", .body_text = "本文\n", .dedupe_key = "booking:1"};

	/* Rolled back with the caller's transaction. */
	assert_int_equal(store_begin(s), STORE_OK);
	assert_int_equal(mail_enqueue(s, &m), STORE_OK);
	store_rollback(s);
	mail_counts c;
	assert_int_equal(store_mail_count(s, "", &c), STORE_OK);
	assert_int_equal(c.queued, 0);

	/* Queued once per dedupe key; the second is quietly not queued. */
	assert_int_equal(store_begin(s), STORE_OK);
	assert_int_equal(mail_enqueue(s, &m), STORE_OK);
	assert_int_equal(mail_enqueue(s, &m), STORE_OK);
	mail_item later = m;
	later.dedupe_key = "reminder:1:100";
	later.kind = "booking_reminder";
	later.not_before = now + 3600;
	assert_int_equal(mail_enqueue(s, &later), STORE_OK);
	assert_int_equal(store_commit(s), STORE_OK);
	assert_int_equal(store_mail_count(s, "", &c), STORE_OK);
	assert_int_equal(c.queued, 2);
	/* Stamped by the clock when queued: a loaded machine may be a second past now by then, so
	 * "due now" below asks at the clock's time after the queueing, not at now. */
	int64_t queued_by = clock_now();
	assert_true(c.oldest_queued_at >= now && c.oldest_queued_at <= queued_by);

	/* Bad items change nothing. */
	mail_item bad = m;
	bad.dedupe_key = NULL;
	bad.to_address = "not an address";
	assert_int_equal(mail_enqueue(s, &bad), STORE_ERROR);
	bad.to_address = "p@example.jp";
	bad.subject = "a\r\nBcc: x@example.jp";
	assert_int_equal(mail_enqueue(s, &bad), STORE_ERROR);
	bad.subject = "";
	assert_int_equal(mail_enqueue(s, &bad), STORE_ERROR);

	/* Only the first is due now; the reminder becomes due at its not_before. */
	int n = 0;
	assert_int_equal(store_mail_due(s, queued_by, 10, count_fn, &n), STORE_OK);
	assert_int_equal(n, 1);
	n = 0;
	assert_int_equal(store_mail_due(s, now + 3600, 10, count_fn, &n), STORE_OK);
	assert_int_equal(n, 2);

	int64_t id = 0;
	assert_int_equal(store_mail_due(s, queued_by, 10, first_id_fn, &id), STORE_OK);
	mail_record r;
	assert_int_equal(store_mail_get(s, id, &r), STORE_OK);
	assert_string_equal(r.subject, "ご予約");
	assert_string_equal(r.body_text, "本文\n");
	assert_string_equal(r.status, "queued");
	assert_int_equal(r.recipient_user_id, f->user_id);
	mail_record_clear(&r);

	/* A failed attempt moves the next try; it is not due before then. */
	assert_int_equal(store_mail_mark_attempt(s, id, 1, now + 60, "connection refused", false), STORE_OK);
	n = 0;
	assert_int_equal(store_mail_due(s, now + 59, 10, count_fn, &n), STORE_OK);
	assert_int_equal(n, 0);
	assert_int_equal(store_mail_mark_sent(s, id, now + 61), STORE_OK);
	assert_int_equal(store_mail_mark_sent(s, id, now + 62), STORE_NOT_FOUND);
	assert_int_equal(store_mail_get(s, id, &r), STORE_OK);
	assert_string_equal(r.status, "sent");
	assert_int_equal(r.attempts, 2);
	assert_int_equal(r.sent_at, now + 61);
	mail_record_clear(&r);

	/* Cancelling by prefix withdraws the queued reminder, and only it. */
	int64_t cancelled = -1;
	assert_int_equal(store_mail_cancel(s, "reminder:1:", &cancelled), STORE_OK);
	assert_int_equal(cancelled, 1);
	assert_int_equal(store_mail_cancel(s, "booking:", &cancelled), STORE_OK);
	assert_int_equal(cancelled, 0); /* already sent: stays sent */
	assert_int_equal(store_mail_count(s, "", &c), STORE_OK);
	assert_int_equal(c.sent, 1);
	assert_int_equal(c.cancelled, 1);
	assert_int_equal(c.queued, 0);
	assert_int_equal(store_mail_count(s, "reminder:", &c), STORE_OK);
	assert_int_equal(c.sent, 0);
	assert_int_equal(c.cancelled, 1);

	/* A message that failed for good. */
	mail_item third = m;
	third.dedupe_key = "x%_:1";
	assert_int_equal(mail_enqueue(s, &third), STORE_OK);
	id = 0;
	assert_int_equal(store_mail_due(s, clock_now(), 10, first_id_fn, &id), STORE_OK);
	assert_true(id > 0);
	assert_int_equal(store_mail_mark_attempt(s, id, 8, now, "550 no such user", true), STORE_OK);
	assert_int_equal(store_mail_count(s, "x%_", &c), STORE_OK);
	assert_int_equal(c.failed, 1);
	assert_int_equal(store_mail_count(s, "x%%", &c), STORE_OK);
	assert_int_equal(c.failed, 0);
	n = 0;
	assert_int_equal(store_mail_list(s, "failed", 10, count_fn, &n), STORE_OK);
	assert_int_equal(n, 1);
	n = 0;
	assert_int_equal(store_mail_list(s, NULL, 10, count_fn, &n), STORE_OK);
	assert_int_equal(n, 3);
}

static void test_reset_tokens(void **state)
{
	fixture *f = *state;
	store *s = f->s;
	reset_token_record t = {.user_id = f->user_id, .created_at = 100, .expires_at = 3700};
	snprintf(t.token_hash, sizeof t.token_hash, "%064d", 7);
	assert_int_equal(store_reset_token_insert(s, &t), STORE_OK);
	reset_token_record got;
	assert_int_equal(store_reset_token_get(s, t.token_hash, &got), STORE_OK);
	assert_int_equal(got.user_id, f->user_id);
	assert_int_equal(got.used_at, 0);
	assert_int_equal(store_reset_token_use(s, t.token_hash, 200), STORE_OK);
	assert_int_equal(store_reset_token_use(s, t.token_hash, 300), STORE_CONFLICT);
	assert_int_equal(store_reset_token_use(s, "unknown", 300), STORE_NOT_FOUND);
	assert_int_equal(store_reset_token_get(s, t.token_hash, &got), STORE_OK);
	assert_int_equal(got.used_at, 200);

	session_record sess = {.user_id = f->user_id, .created_at = 1, .last_seen_at = 1};
	snprintf(sess.token_hash, sizeof sess.token_hash, "a");
	assert_int_equal(store_session_insert(s, &sess), STORE_OK);
	snprintf(sess.token_hash, sizeof sess.token_hash, "b");
	assert_int_equal(store_session_insert(s, &sess), STORE_OK);
	int64_t deleted = 0;
	assert_int_equal(store_session_delete_user(s, f->user_id, &deleted), STORE_OK);
	assert_int_equal(deleted, 2);
	assert_int_equal(store_user_set_password(s, f->user_id, "new-hash"), STORE_OK);
	user_record u;
	assert_int_equal(store_user_by_id(s, f->user_id, &u), STORE_OK);
	assert_string_equal(u.password_hash, "new-hash");
	assert_int_equal(store_user_set_password(s, 9999, "h"), STORE_NOT_FOUND);
}

/* Decodes one "=?UTF-8?B?...?=" word into out; returns its length. */
static size_t decode_word(const char *w, size_t n, char *out, size_t outlen)
{
	assert_true(n > 12);
	assert_memory_equal(w, "=?UTF-8?B?", 10);
	assert_memory_equal(w + n - 2, "?=", 2);
	size_t len = 0;
	assert_int_equal(sodium_base642bin((unsigned char *)out, outlen, w + 10, n - 12, NULL, &len, NULL,
	                                   sodium_base64_VARIANT_ORIGINAL),
	                 0);
	return len;
}

/* RFC 2047: words of at most 75 characters, split between whole UTF-8 characters, decoding
 * back to the text; plain ASCII that fits stays as it is. */
static void test_header_encode(void **state)
{
	(void)state;
	char *s = mail_header_encode("Booking confirmed", 9);
	assert_string_equal(s, "Booking confirmed");
	free(s);
	const char *text = "【テスト美容クリニック】ご予約の確認：2026年12月3日（木）10:00〜10:15 のお電話の予約を承りました";
	s = mail_header_encode(text, 9);
	char joined[1024] = "";
	size_t total = 0;
	for (char *p = s; *p;) {
		char *end = strstr(p, "?=");
		assert_non_null(end);
		end += 2;
		assert_true(end - p <= 75);
		char piece[128];
		size_t n = decode_word(p, (size_t)(end - p), piece, sizeof piece);
		/* Each word holds whole characters: valid UTF-8 on its own. */
		piece[n] = '\0';
		assert_true(text_char_count(piece) >= 0);
		memcpy(joined + total, piece, n);
		total += n;
		if (*end == '\0')
			break;
		assert_memory_equal(end, "\r\n ", 3);
		p = end + 3;
	}
	joined[total] = '\0';
	assert_string_equal(joined, text);
	free(s);
}

static void test_message_build(void **state)
{
	(void)state;
	char err[256];
	mail_message_in in = {.from_address = "noreply@clinic.example.jp", .from_name = "テストクリニック",
	                      .to_address = "p@example.jp", .subject = "ご予約の確認", .body_text = "一行目\n二行目",
	                      .date = 1796256000 /* 2026-12-03T00:00:00Z, a Thursday */, .message_id = "x-1@clinic.example.jp"};
	char *m = mail_message_build(&in, err, sizeof err);
	assert_non_null(m);
	assert_non_null(strstr(m, "Date: Thu, 03 Dec 2026 00:00:00 +0000\r\n"));
	assert_non_null(strstr(m, "To: <p@example.jp>\r\n"));
	assert_non_null(strstr(m, "Subject: =?UTF-8?B?44GU5LqI57SE44Gu56K66KqN?=\r\n"));
	assert_non_null(strstr(m, "<noreply@clinic.example.jp>\r\n"));
	assert_non_null(strstr(m, "Message-ID: <x-1@clinic.example.jp>\r\n"));
	assert_non_null(strstr(m, "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n"));
	/* The body: canonical CRLF text, base64. */
	const char *body = strstr(m, "\r\n\r\n") + 4;
	char decoded[256];
	size_t len = 0;
	assert_int_equal(sodium_base642bin((unsigned char *)decoded, sizeof decoded, body, strlen(body), "\r\n", &len, NULL,
	                                   sodium_base64_VARIANT_ORIGINAL),
	                 0);
	decoded[len] = '\0';
	assert_string_equal(decoded, "一行目\r\n二行目\r\n");
	/* No line longer than 78 characters. */
	for (const char *p = m, *nl; (nl = strstr(p, "\r\n")) != NULL; p = nl + 2)
		assert_true(nl - p <= 78);
	free(m);

	mail_message_in bad = in;
	bad.to_address = "p@example.jp>\r\nBcc: x@example.jp";
	assert_null(mail_message_build(&bad, err, sizeof err));
	bad = in;
	bad.subject = "a\nb";
	assert_null(mail_message_build(&bad, err, sizeof err));
	bad = in;
	bad.body_text = "\xff\xfe";
	assert_null(mail_message_build(&bad, err, sizeof err));
}

static void test_retry_delay(void **state)
{
	(void)state;
	mail_config mc = {.retry_base_seconds = 60, .retry_max_seconds = 6 * 3600, .max_attempts = 12};
	assert_int_equal(mail_retry_delay(&mc, 1), 60);
	assert_int_equal(mail_retry_delay(&mc, 2), 120);
	assert_int_equal(mail_retry_delay(&mc, 3), 240);
	assert_int_equal(mail_retry_delay(&mc, 9), 15360);   /* 60 × 2^8 */
	assert_int_equal(mail_retry_delay(&mc, 10), 6 * 3600); /* 30720 capped */
	assert_int_equal(mail_retry_delay(&mc, 100), 6 * 3600);
}

/* Every template in data/mail renders in ja and en with the placeholders the services give
 * (service/mail_events.c, service/password_reset.c, service/coldchain_alarm.c, service/followup.c): a typo in a template fails here, not in a
 * patient's mailbox. Both languages of each kind exist. */
static void test_all_templates_render(void **state)
{
	(void)state;
	static const mail_var vars[] = {
		{"name", "山田"}, {"link", "https://x.example/p"}, {"clinic_name", "C"}, {"clinic_phone", "03"},
		{"valid_minutes", "60"}, {"when", "2026年12月3日(木) 10:00"}, {"doctor_name", "医師"}, {"product", "P"},
		{"quantity", "2"}, {"valid_until", "2027-01-01"}, {"order_id", "7"}, {"total_jpy", "44,000"},
		{"payment_instructions", "振込"}, {"carrier", "ヤマト運輸"}, {"tracking_number", "1"},
		{"tracking_line", ""}, {"consent_title", "T"}, {"version", "3"}, {"lot_number", "L-1"},
		/* the cold-chain alarms (service/coldchain_alarm.c) */
		{"allowance_minutes", "60"}, {"first_at", "a"}, {"last_at", "b"}, {"interval_minutes", "10"},
		{"logger_code", "F-1"}, {"minutes_outside", "90"}, {"minutes", "30"}, {"peak", "9.1"}, {"place", "冷蔵庫"},
		{"range", "2–8"}, {"resumed", "c"}, {"since", "d"},
		/* the follow-up check-ins (service/followup.c) */
		{"day", "14"}, {"due_date", "2026-12-03"},
	};
	DIR *d = opendir("data/mail");
	assert_non_null(d);
	struct dirent *e;
	int files = 0;
	while ((e = readdir(d)) != NULL) {
		size_t n = strlen(e->d_name);
		if (n < 8 || strcmp(e->d_name + n - 7, ".ja.txt") != 0)
			continue;
		char kind[64];
		snprintf(kind, sizeof kind, "%.*s", (int)(n - 7), e->d_name);
		for (int l = 0; l < 2; l++) {
			char *subject, *body, err[512];
			if (mail_render("data", kind, l ? "en" : "ja", vars, sizeof vars / sizeof vars[0], &subject, &body, err,
			                sizeof err) != 0)
				fail_msg("%s (%s): %s", kind, l ? "en" : "ja", err);
			assert_non_null(strstr(body, "https://x.example/p"));
			free(subject);
			free(body);
			files++;
		}
	}
	closedir(d);
	assert_true(files >= 18);
}

/* The tracking links of the three carriers; anything else, or a number that cannot go into a
 * URL, gets none. */
static void test_carrier_tracking(void **state)
{
	(void)state;
	char url[CARRIER_URL_MAX];
	assert_int_equal(carrier_tracking_url("ヤマト運輸", "1234-5678-9012", url), 0);
	assert_string_equal(url, "https://jizen.kuronekoyamato.co.jp/jizen/servlet/crjz.b.NQ0010?id=123456789012");
	assert_int_equal(carrier_tracking_url("クロネコヤマト 宅急便", "123456789012", url), 0);
	assert_int_equal(carrier_tracking_url("Sagawa Express", "1234 5678 9012", url), 0);
	assert_string_equal(url, "https://k2k.sagawa-exp.co.jp/p/web/okurijosearch.do?okurijoNo=123456789012");
	assert_int_equal(carrier_tracking_url("佐川急便", "123456789012", url), 0);
	assert_int_equal(carrier_tracking_url("日本郵便(ゆうパック)", "1234-5678-9012", url), 0);
	assert_string_equal(url, "https://trackings.post.japanpost.jp/services/srv/search/direct?reqCodeNo1=123456789012"
	                         "&searchKind=S002&locale=ja");
	assert_int_equal(carrier_tracking_url("Japan Post EMS", "EJ123456789JP", url), 0);
	assert_int_equal(carrier_tracking_url("西濃運輸", "123456789012", url), -1);
	assert_string_equal(url, "");
	assert_int_equal(carrier_tracking_url("ヤマト運輸", "12&id=3", url), -1);
	assert_int_equal(carrier_tracking_url("ヤマト運輸", "１２３", url), -1);
	assert_int_equal(carrier_tracking_url("ヤマト運輸", "---", url), -1);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_template_render),
		cmocka_unit_test(test_render_files),
		cmocka_unit_test(test_header_encode),
		cmocka_unit_test(test_message_build),
		cmocka_unit_test(test_retry_delay),
		cmocka_unit_test(test_all_templates_render),
		cmocka_unit_test(test_carrier_tracking),
		cmocka_unit_test_setup_teardown(test_enqueue_and_send, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset_tokens, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
