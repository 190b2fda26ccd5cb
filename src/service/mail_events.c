/* The patients' e-mails (list and dedupe keys in mail_events.h). */
#include "service/mail_events.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/carrier_tracking.h"
#include "core/clinic_profile.h"
#include "core/payment.h"
#include "core/timefmt.h"
#include "service/clinic.h"
#include "service/mail.h"

mail_settings mail_settings_from_config(const server_config *cfg)
{
	return (mail_settings){cfg->data_dir, cfg->mail.public_url, (int64_t)cfg->mail.reminder_hours_before * 3600};
}

/* The language of a patient's mail: the account's (users.lang, set at sign-up), Japanese
 * when none is recorded. */
static const char *patient_lang(const user_record *u)
{
	return strcmp(u->lang, "en") == 0 ? "en" : "ja";
}

/* "2026年12月3日(木) 10:00" / "Thu 3 Dec 2026, 10:00 (Japan time)": a call's time in JST. */
static void format_jst(int64_t t, const char *lang, char *out, size_t outlen)
{
	time_t local = (time_t)(t + JST_OFFSET_SECONDS);
	struct tm tm;
	gmtime_r(&local, &tm);
	static const char *const days_ja[] = {"日", "月", "火", "水", "木", "金", "土"};
	static const char *const days_en[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char *const months_en[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	if (strcmp(lang, "en") == 0)
		snprintf(out, outlen, "%s %d %s %d, %02d:%02d (Japan time)", days_en[tm.tm_wday], tm.tm_mday,
		         months_en[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min);
	else
		snprintf(out, outlen, "%d年%d月%d日(%s) %02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
		         days_ja[tm.tm_wday], tm.tm_hour, tm.tm_min);
}

/* Renders kind for user and queues it. extra: the event's own placeholders; name, link base
 * and the clinic's details are added here. */
static store_rc queue(store *s, const mail_settings *mail, const user_record *user, const char *kind,
                      const char *dedupe_key, int64_t not_before, const char *page, const mail_var *extra,
                      size_t nextra)
{
	/* The clinic's details as an admin set them (read per mail: they may change). */
	clinic_profile clinic;
	if (clinic_profile_of(s, user, &clinic) != CLINIC_OK)
		return STORE_ERROR;
	mail_var vars[16];
	char link[700];
	snprintf(link, sizeof link, "%s%s", mail->public_url, page);
	size_t n = 0;
	vars[n++] = (mail_var){"name", user->name};
	vars[n++] = (mail_var){"link", link};
	vars[n++] = (mail_var){"clinic_name", clinic.name};
	vars[n++] = (mail_var){"clinic_phone", clinic.phone};
	for (size_t i = 0; i < nextra && n < sizeof vars / sizeof vars[0]; i++)
		vars[n++] = extra[i];
	mail_item item = {.recipient_user_id = user->id, .to_address = user->email, .kind = kind,
	                  .not_before = not_before, .dedupe_key = dedupe_key};
	return mail_render_enqueue(s, mail->data_dir, patient_lang(user), &item, vars, n);
}

store_rc mail_event_booked(store *s, const mail_settings *mail, const booking_record *b)
{
	if (mail == NULL)
		return STORE_OK;
	user_record user;
	if (store_user_by_id(s, b->patient_id, &user) != STORE_OK)
		return STORE_ERROR;
	char when[80], key[96];
	format_jst(b->starts_at, patient_lang(&user), when, sizeof when);
	mail_var vars[] = {{"when", when}, {"doctor_name", b->doctor_name}};
	snprintf(key, sizeof key, "booking_confirmation:%lld", (long long)b->id);
	if (queue(s, mail, &user, "booking_confirmation", key, 0, "/book.html", vars, 2) != STORE_OK)
		return STORE_ERROR;
	/* The reminder waits in the outbox until its time; a call booked closer than the lead
	 * time gets none (the confirmation has just told the time). The key holds the start, so
	 * a reminder of another slot is never mistaken for it. */
	int64_t remind_at = b->starts_at - mail->reminder_seconds;
	if (remind_at <= b->created_at)
		return STORE_OK;
	snprintf(key, sizeof key, "booking_reminder:%lld:%lld", (long long)b->id, (long long)b->starts_at);
	return queue(s, mail, &user, "booking_reminder", key, remind_at, "/book.html", vars, 2);
}

store_rc mail_event_booking_cancelled(store *s, const mail_settings *mail, int64_t booking_id)
{
	if (mail == NULL)
		return STORE_OK;
	char prefix[64];
	snprintf(prefix, sizeof prefix, "booking_reminder:%lld:", (long long)booking_id);
	return store_mail_cancel(s, prefix, NULL);
}

store_rc mail_event_decided(store *s, const mail_settings *mail, const decision_record *d)
{
	if (mail == NULL)
		return STORE_OK;
	user_record user;
	if (store_user_by_id(s, d->patient_id, &user) != STORE_OK)
		return STORE_ERROR;
	bool approved = strcmp(d->decision, "approved") == 0;
	char key[64], quantity[16];
	snprintf(key, sizeof key, "treatment_decision:%lld", (long long)d->id);
	snprintf(quantity, sizeof quantity, "%d", d->quantity);
	mail_var vars[] = {{"product", d->product}, {"quantity", quantity}, {"valid_until", d->valid_until}};
	return queue(s, mail, &user, approved ? "treatment_approved" : "treatment_declined", key, 0,
	             approved ? "/order.html" : "/status.html", vars, approved ? 3 : 0);
}

/* "12,345": yen with thousands separators. */
static void format_yen(int64_t v, char *out, size_t outlen)
{
	char digits[32];
	int n = snprintf(digits, sizeof digits, "%lld", (long long)(v < 0 ? -v : v));
	size_t o = 0;
	if (v < 0 && o + 1 < outlen)
		out[o++] = '-';
	for (int i = 0; i < n && o + 1 < outlen; i++) {
		out[o++] = digits[i];
		if ((n - i - 1) % 3 == 0 && i + 1 < n && o + 1 < outlen)
			out[o++] = ',';
	}
	out[o] = '\0';
}

store_rc mail_event_order_placed(store *s, const mail_settings *mail, const order_record *o, const char *product_name)
{
	if (mail == NULL)
		return STORE_OK;
	user_record user;
	if (store_user_by_id(s, o->patient_id, &user) != STORE_OK)
		return STORE_ERROR;
	const payment_method *pm = payment_method_find(o->payment_method);
	bool en = strcmp(patient_lang(&user), "en") == 0;
	char key[64], order_id[24], quantity[16], total[40], how[1400];
	snprintf(key, sizeof key, "order_payment:%lld", (long long)o->id);
	snprintf(order_id, sizeof order_id, "%lld", (long long)o->id);
	snprintf(quantity, sizeof quantity, "%d", o->quantity);
	format_yen(o->total_jpy, total, sizeof total);
	/* Bank transfers need the account; the other methods are settled with the clinic or the
	 * carrier, and the page says how. */
	if (strcmp(o->payment_method, "bank_transfer") == 0) {
		/* Orders by transfer are refused until the clinic has an account (handlers_orders.c). */
		clinic_profile clinic;
		if (clinic_profile_of(s, &user, &clinic) != CLINIC_OK)
			return STORE_ERROR;
		const char *type = clinic_account_type_label(clinic.bank_account_type, en);
		char bank[1100];
		if (clinic_profile_has_bank(&clinic))
			snprintf(bank, sizeof bank, "%s %s %s %s %s", clinic.bank_name, clinic.bank_branch, type,
			         clinic.bank_account_number, clinic.bank_account_holder);
		else
			snprintf(bank, sizeof bank, "%s", en ? "the clinic will tell you" : "クリニックからご案内します");
		snprintf(how, sizeof how, en ? "Transfer to: %s\nPlease put order number %s in the transfer name."
		                             : "お振込先: %s\nお振込みの際、お名前の前にご注文番号 %s をご記入ください。",
		         bank, order_id);
	} else
		snprintf(how, sizeof how, en ? "Payment: %s. See the order page for how to pay." : "お支払い方法: %s。お支払いの手順はご注文のページをご覧ください。",
		         pm ? (en ? pm->label_en : pm->label_ja) : o->payment_method);
	mail_var vars[] = {{"order_id", order_id}, {"product", product_name}, {"quantity", quantity},
	                   {"total_jpy", total}, {"payment_instructions", how}};
	return queue(s, mail, &user, "order_payment", key, 0, "/order.html", vars, 5);
}

store_rc mail_event_shipped(store *s, const mail_settings *mail, const order_record *o, const shipment_record *sh)
{
	if (mail == NULL)
		return STORE_OK;
	user_record user;
	if (store_user_by_id(s, o->patient_id, &user) != STORE_OK)
		return STORE_ERROR;
	bool en = strcmp(patient_lang(&user), "en") == 0;
	char key[64], order_id[24], url[CARRIER_URL_MAX], tracking_line[CARRIER_URL_MAX + 64];
	snprintf(key, sizeof key, "order_shipped:%lld", (long long)o->id);
	snprintf(order_id, sizeof order_id, "%lld", (long long)o->id);
	if (carrier_tracking_url(sh->carrier, sh->tracking_number, url) == 0)
		snprintf(tracking_line, sizeof tracking_line, en ? "Track the parcel: %s\n" : "配送状況の確認: %s\n", url);
	else
		tracking_line[0] = '\0';
	mail_var vars[] = {{"order_id", order_id}, {"carrier", sh->carrier}, {"tracking_number", sh->tracking_number},
	                   {"tracking_line", tracking_line}};
	return queue(s, mail, &user, "order_shipped", key, 0, "/status.html", vars, 4);
}

typedef struct recall_ctx {
	store *s;
	const mail_settings *mail;
	const lot_record *lot;
	store_rc rc;
} recall_ctx;

static int queue_recall(void *arg, const recall_recipient *r)
{
	recall_ctx *c = arg;
	if (r->track_id == 0 || r->email[0] == '\0')
		return 0;
	user_record user;
	if (store_user_by_id(c->s, r->patient_id, &user) != STORE_OK) {
		c->rc = STORE_ERROR;
		return 1;
	}
	char key[64];
	/* mail_event_recall_counts counts by this key's prefix. */
	snprintf(key, sizeof key, "recall:%lld:%lld", (long long)c->lot->id, (long long)r->track_id);
	mail_var vars[] = {{"product", c->lot->product_name_ja}, {"lot_number", c->lot->lot_number}};
	c->rc = queue(c->s, c->mail, &user, "recall_notice", key, 0, "/home.html", vars, 2);
	return c->rc != STORE_OK;
}

store_rc mail_event_recalled(store *s, const mail_settings *mail, const lot_record *lot)
{
	if (mail == NULL)
		return STORE_OK;
	recall_ctx c = {s, mail, lot, STORE_OK};
	if (store_recall_recipients(s, lot->id, queue_recall, &c) != STORE_OK)
		return STORE_ERROR;
	return c.rc;
}

store_rc mail_event_recall_counts(store *s, int64_t lot_id, mail_counts *out)
{
	char prefix[48];
	snprintf(prefix, sizeof prefix, "recall:%lld:", (long long)lot_id);
	return store_mail_count(s, prefix, out);
}

typedef struct consent_ctx {
	store *s;
	const mail_settings *mail;
	const char *consent_id;
	int version;
	const char *title;
	int64_t queued;
	store_rc rc;
} consent_ctx;

static int queue_consent(void *arg, const user_record *u)
{
	consent_ctx *c = arg;
	char key[160], version[16];
	snprintf(key, sizeof key, "consent_updated:%s:%d:%lld", c->consent_id, c->version, (long long)u->id);
	snprintf(version, sizeof version, "%d", c->version);
	mail_var vars[] = {{"consent_title", c->title}, {"version", version}};
	mail_counts before;
	if (store_mail_count(c->s, key, &before) != STORE_OK) {
		c->rc = STORE_ERROR;
		return 1;
	}
	c->rc = queue(c->s, c->mail, u, "consent_updated", key, 0, "/consent.html", vars, 2);
	if (before.queued + before.sent + before.failed + before.cancelled == 0)
		c->queued++;
	return c->rc != STORE_OK;
}

store_rc mail_event_consent_updated(store *s, const mail_settings *mail, const char *consent_id, int version,
                                    const char *title, int64_t *queued)
{
	*queued = 0;
	if (mail == NULL)
		return STORE_OK;
	if (store_begin(s) != STORE_OK)
		return STORE_ERROR;
	consent_ctx c = {s, mail, consent_id, version, title, 0, STORE_OK};
	if (store_consent_outdated(s, consent_id, version, queue_consent, &c) != STORE_OK || c.rc != STORE_OK) {
		store_rollback(s);
		return STORE_ERROR;
	}
	if (store_commit(s) != STORE_OK)
		return STORE_ERROR;
	*queued = c.queued;
	return STORE_OK;
}
