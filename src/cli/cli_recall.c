/* exosafe recall: recall a lot and list everyone who received it. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "config.h"
#include "core/recall_notice.h"
#include "core/timefmt.h"
#include "service/mail_events.h"
#include "service/recall.h"
#include "service/trace.h"
#include "clock.h"

static const char recall_usage[] =
	"usage: exosafe recall --db PATH --lot LOT [--product CODE] [--clinic ID] [--reason TEXT]\n"
	"                      [--format csv|json] [--notices FILE]\n"
	"\n"
	"Marks the lot recalled (its remaining stock can no longer be dispensed), then prints every\n"
	"patient and shipment that received units of it, with contact data, to standard output.\n"
	"Running it again on a recalled lot only lists. Both are written to the audit log.\n"
	"  --lot LOT        the lot number\n"
	"  --product CODE   the product, when several products have a lot with that number\n"
	"  --clinic ID      the clinic whose lot it is, when several clinics of the database hold it\n"
	"  --reason TEXT    why (recorded in the lot's history; default: ordered from the CLI)\n"
	"  --format FMT     csv (default) or json\n"
	"  --notices FILE   also write a printable Japanese notice per patient (HTML) to FILE\n";

static json_t *iso_or_null(int64_t t)
{
	char iso[ISO8601_LEN];
	if (t == 0)
		return json_null();
	time_iso8601(t, iso);
	return json_string(iso);
}

static void print_json(const lot_record *lot, const recall_list *r)
{
	json_t *list = json_array();
	for (int i = 0; i < r->n; i++) {
		const recall_recipient *x = &r->rows[i];
		json_array_append_new(list, json_pack("{s:I, s:s, s:s, s:s, s:s, s:I, s:i, s:o, s:s, s:s, s:s, s:s, s:o, s:o}",
		                                      "patient_id", (json_int_t)x->patient_id, "name", x->patient_name,
		                                      "name_kana", x->name_kana, "email", x->email, "phone", x->phone,
		                                      "order_id", (json_int_t)x->order_id, "quantity", x->quantity,
		                                      "dispensed_at", iso_or_null(x->dispensed_at), "postal_code",
		                                      x->ship_postal_code, "address", x->ship_address, "carrier", x->carrier,
		                                      "tracking_number", x->tracking_number, "shipped_at",
		                                      iso_or_null(x->shipped_at), "delivered_at", iso_or_null(x->delivered_at)));
		json_object_set_new(json_array_get(list, json_array_size(list) - 1), "status",
		                    x->track_status[0] ? json_string(x->track_status) : json_null());
	}
	json_t *out = json_pack("{s:{s:I, s:s, s:s, s:s}, s:o}", "lot", "id", (json_int_t)lot->id, "lot_number",
	                        lot->lot_number, "product_code", lot->product_code, "status", "recalled", "recipients", list);
	json_dumpf(out, stdout, JSON_INDENT(2));
	fputc('\n', stdout);
	json_decref(out);
}

static int write_notices(const char *path, const clinic_profile *clinic, const lot_record *lot, const char *reason,
                         int64_t now, const recall_list *r)
{
	char *html = recall_notices_html(r, clinic, lot, reason, now);
	if (html == NULL)
		return -1;
	FILE *f = fopen(path, "w");
	int rc = f != NULL && fputs(html, f) >= 0 ? 0 : -1;
	if (f != NULL && fclose(f) != 0)
		rc = -1;
	free(html);
	return rc;
}

int cli_recall(int argc, char **argv)
{
	const char *db = NULL, *lot_number = NULL, *product = NULL, *format = "csv", *notices = NULL, *clinic_arg = NULL;
	const char *reason = "リコール(exosafe recall コマンド) / recall ordered from the command line";
	const cli_option opts[] = {
		{"db", &db}, {"lot", &lot_number}, {"product", &product}, {"reason", &reason}, {"format", &format},
		{"notices", &notices}, {"clinic", &clinic_arg}, {NULL},
	};
	int status = cli_parse_options("recall", recall_usage, argc, argv, opts, NULL);
	if (status != CLI_CONTINUE)
		return status;
	if (db == NULL || lot_number == NULL)
		return cli_usage_error("recall", "--db and --lot are required");
	if (strcmp(format, "csv") != 0 && strcmp(format, "json") != 0)
		return cli_usage_error("recall", "--format must be csv or json, got '%s'", format);
	if (*reason == '\0')
		return cli_usage_error("recall", "--reason must not be empty");
	int64_t clinic_id;
	if (cli_parse_clinic("recall", clinic_arg, &clinic_id) != 0)
		return 2;

	store *s = cli_open_store(db, 1);
	if (s == NULL)
		return 1;
	lot_record lots[16];
	int found = 0;
	int rc = 1;
	recall_list r = {0};
	if (clinic_arg != NULL && cli_scope_clinic(s, "recall", clinic_id) != 0)
		goto out;
	if (trace_find_lots(s, lot_number, product, lots, 16, &found) != TRACE_OK) {
		fprintf(stderr, "exosafe recall: %s\n", s->errmsg);
		goto out;
	}
	if (found == 0) {
		fprintf(stderr, "exosafe recall: no lot %s%s%s; nothing was changed\n", lot_number, product ? " of product " : "",
		        product ? product : "");
		goto out;
	}
	if (found > 1 && (product != NULL || strcmp(lots[0].product_code, lots[1].product_code) == 0)) {
		/* One product's lot received by several clinics of a chain: each clinic recalls its own
		 * receipt (its patients, its notices). */
		fprintf(stderr, "exosafe recall: lot %s is held by %d clinics of this database; name one with --clinic:\n",
		        lot_number, found);
		for (int i = 0; i < found && i < 16; i++)
			fprintf(stderr, "  clinic %lld\n", (long long)lots[i].clinic_id);
		rc = 2;
		goto out;
	}
	if (found > 1) {
		fprintf(stderr, "exosafe recall: lot number %s exists for several products; name one with --product:\n",
		        lot_number);
		for (int i = 0; i < found && i < 16; i++)
			fprintf(stderr, "  %s\n", lots[i].product_code);
		rc = 2;
		goto out;
	}
	lot_record *lot = &lots[0];
	/* Checked before the recall: notices without the clinic's phone would tell no one whom to call. */
	clinic_profile clinic;
	if (notices != NULL && cli_clinic_for_documents(s, "recall", &clinic) != 0)
		goto out;
	actor system = {.id = 0, .role = ROLE_NONE};
	int64_t now = clock_now();
	/* Recipients are told by e-mail too (queued; `exosafe serve` or `exosafe mail send-due`
	 * delivers them). The CLI reads no INI file: the mails carry the default clinic details. */
	server_config mail_cfg;
	config_defaults(&mail_cfg);
	mail_settings mail = mail_settings_from_config(&mail_cfg);
	trace_rc trc = trace_recall(s, &mail, &system, lot->id, reason, now);
	if (trc != TRACE_OK) {
		fprintf(stderr, "exosafe recall: cannot recall lot %s (%s): %s\n", lot_number, lot->status,
		        trc == TRACE_ILLEGAL_TRANSITION ? "not allowed from its status" : s->errmsg);
		goto out;
	}
	if (recall_recipients_read(s, &system, lot->id, "recall.recipients.read", &r) != TRACE_OK) {
		fprintf(stderr, "exosafe recall: %s\n", s->errmsg);
		goto out;
	}
	if (strcmp(format, "json") == 0) {
		print_json(lot, &r);
	} else {
		char *csv = recall_recipients_csv(&r);
		if (csv == NULL) {
			fprintf(stderr, "exosafe recall: out of memory\n");
			goto out;
		}
		fputs(csv, stdout);
		free(csv);
	}
	if (notices != NULL && write_notices(notices, &clinic, lot, reason, now, &r) != 0) {
		fprintf(stderr, "exosafe recall: cannot write notices to %s\n", notices);
		goto out;
	}
	fprintf(stderr, "lot %s of %s is recalled; %d deliveries listed\n", lot->lot_number, lot->product_code, r.n);
	rc = 0;
out:
	recall_list_free(&r);
	store_close(s);
	return rc;
}
