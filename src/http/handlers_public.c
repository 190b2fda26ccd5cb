/* Public safety disclosure: products and lots as anyone may see them, without personal
 * data. This is the "clinic that discloses" of the seed. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "http/handlers.h"
#include "service/followup.h"
#include "http/kept.h"

/* A lot's public page summarises its storage readings (excursions, MKT) and reads five
 * tables; computing it per request made it the slowest page anyone can ask for. Its answer and
 * the product page's are kept (kept.h) until the next commit; a stay still open summarises
 * readings up to now, so a lot's answer also ends when time reaches the next reading already
 * stored after it (a logger clock ahead of ours). */
typedef struct next_reading {
	store *db;
	int64_t after;          /* the first instant the answer did not cover */
	int64_t first;          /* the earliest reading at or after it, of any open stay */
	bool failed;
} next_reading;

static int first_reading(void *ctx, int64_t at, double celsius)
{
	(void)celsius;
	int64_t *out = ctx;
	*out = at;
	return 1;
}

static int open_stay_next(void *ctx, const lot_exposure *e)
{
	next_reading *n = ctx;
	if (e->to_at != 0)
		return 0;
	int64_t at = INT64_MAX;
	if (store_readings_range(n->db, e->logger_id, n->after, INT64_MAX, first_reading, &at) != STORE_OK) {
		n->failed = true;
		return 1;
	}
	if (at < n->first)
		n->first = at;
	return 0;
}

/* Until when a lot's answer built at now holds (for its open stays' readings); 0 when it
 * cannot be told (then it is not kept). */
static int64_t lot_valid_before(store *db, int64_t lot_id, int64_t now)
{
	next_reading n = {db, now + 1, INT64_MAX, false};
	if (store_exposures_of_lot(db, lot_id, open_stay_next, &n) != STORE_OK || n.failed)
		return 0;
	return n.first;
}

/* The notes the seed requires wherever the product is presented. The first says what the product
 * is in the words the consent text (data/consent) and the pages' notice.unapproved use. */
static json_t *mandatory_notes(void)
{
	return json_pack("{s:[s, s, s], s:[s, s, s]}", "ja", "本製品は、エクソソームを含む外用クリームです。"
	                 "日本で承認された医薬品ではない未承認品で、医師が処方します。",
	                 "かゆみやアレルギー反応などの副作用が起こることがあります。赤み、腫れ、発熱、だるさ、頭痛、吐き気が報告されています。",
	                 "医薬品副作用被害救済制度の対象ではありません。長期の安全性についての根拠はまだありません。", "en",
	                 "This product is a topical cream containing exosomes. "
	                 "It is an unapproved product, not a medicine approved in Japan, prescribed by a doctor.",
	                 "Side effects such as itching or allergic reactions may occur; redness, swelling, fever, fatigue, "
	                 "headache and nausea have been reported.",
	                 "No national relief system covers harm. There is no evidence yet of long-term safety.");
}

static int add_public_lot(void *ctx, const lot_record *l)
{
	json_t *j = json_lot(l);
	json_object_del(j, "quantity_available");
	json_object_del(j, "quantity_received");
	json_object_del(j, "storage_location");
	json_array_append_new(ctx, j);
	return 0;
}

static int add_public_product(void *ctx, const product_record *p)
{
	json_array_append_new(ctx, json_product(p));
	return 0;
}

void handle_public_products(request *req)
{
	json_t *list = json_array();
	if (store_product_list(req->db, add_public_product, list) != STORE_OK) {
		json_decref(list);
		reply_internal(req, "list products");
		return;
	}
	reply_json(req, 200, json_pack("{s:o, s:o}", "products", list, "notes", mandatory_notes()));
}

static int add_public_clinic(void *ctx, const clinic_profile *c)
{
	/* The name only: which clinics a patient can register with. An unnamed clinic (not yet
	 * set up) is not offered. */
	if (c->name[0] != '\0')
		json_array_append_new(ctx, json_pack("{s:I, s:s}", "id", (json_int_t)c->id, "name", c->name));
	return 0;
}

void handle_public_clinics(request *req)
{
	json_t *list = json_array();
	if (store_clinic_list(req->db, add_public_clinic, list) != STORE_OK) {
		json_decref(list);
		reply_internal(req, "list clinics");
		return;
	}
	reply_json(req, 200, json_pack("{s:o}", "clinics", list));
}

static void public_product(request *req);

void handle_public_product(request *req)
{
	uint64_t generation;
	if (store_data_generation(req->db, &generation) != STORE_OK) {
		public_product(req);
		return;
	}
	char key[48];
	snprintf(key, sizeof key, "public-product:%lld", (long long)req->path_ids[0]);
	if (kept_reply(req, key, generation))
		return;
	public_product(req);
	kept_store(req, key, generation, INT64_MAX);
}

static void public_product(request *req)
{
	product_record p;
	store_rc rc = store_product_get(req->db, req->path_ids[0], &p);
	if (rc != STORE_OK) {
		if (rc == STORE_NOT_FOUND)
			reply_error(req, 404, "not_found", NULL, NULL);
		else
			reply_internal(req, "read product");
		return;
	}
	json_t *lots = json_array();
	if (store_lot_list(req->db, p.id, add_public_lot, lots) != STORE_OK) {
		json_decref(lots);
		reply_internal(req, "list lots");
		return;
	}
	/* The follow-up summary when the clinic discloses it (small cells suppressed). */
	json_t *followup;
	if (followup_public_summary(req->db, p.id, &followup) != FOLLOWUP_OK) {
		json_decref(lots);
		reply_internal(req, "follow-up summary");
		return;
	}
	reply_json(req, 200, json_pack("{s:o, s:o, s:o, s:o}", "product", json_product(&p), "lots", lots, "notes",
	                               mandatory_notes(), "followup", followup));
}

static void public_lot(request *req);

void handle_public_lot(request *req)
{
	uint64_t generation;
	int64_t now = clock_now();
	if (store_data_generation(req->db, &generation) != STORE_OK) {
		public_lot(req);
		return;
	}
	char key[48];
	snprintf(key, sizeof key, "public-lot:%lld", (long long)req->path_ids[0]);
	if (kept_reply(req, key, generation))
		return;
	public_lot(req);
	if (req->status == 200) {
		int64_t valid_before = lot_valid_before(req->db, req->path_ids[0], now);
		if (valid_before > 0)
			kept_store(req, key, generation, valid_before);
	}
}

static void public_lot(request *req)
{
	lot_record lot;
	store_rc rc = store_lot_get(req->db, req->path_ids[0], &lot);
	if (rc != STORE_OK) {
		if (rc == STORE_NOT_FOUND)
			reply_error(req, 404, "not_found", NULL, NULL);
		else
			reply_internal(req, "read lot");
		return;
	}
	product_record p;
	json_t *j = json_lot_detail(req->db, &lot, false);
	if (j == NULL || store_product_get(req->db, lot.product_id, &p) != STORE_OK) {
		json_decref(j);
		reply_internal(req, "lot detail");
		return;
	}
	json_t *storage = lot_storage_json(req, lot.id, true);
	if (storage == NULL) {
		json_decref(j);
		reply_internal(req, "storage history");
		return;
	}
	json_object_set_new(j, "storage", storage);
	reply_json(req, 200, json_pack("{s:o, s:o, s:o}", "lot", j, "product", json_product(&p), "notes", mandatory_notes()));
}

void handle_public_certificate(request *req)
{
	certificate_record c;
	store_rc rc = store_certificate_get(req->db, req->path_ids[0], &c);
	if (rc != STORE_OK) {
		if (rc == STORE_NOT_FOUND)
			reply_error(req, 404, "not_found", NULL, NULL);
		else
			reply_internal(req, "read certificate");
		return;
	}
	/* The stored name is the uploader's; the download gets a neutral, safe one. */
	char filename[64];
	const char *ext = strcmp(c.content_type, "application/pdf") == 0 ? "pdf" : strcmp(c.content_type, "image/png") == 0 ? "png" : "jpg";
	snprintf(filename, sizeof filename, "certificate-%lld.%s", (long long)c.id, ext);
	reply_raw(req, 200, (char *)c.data, (size_t)c.size_bytes, c.content_type, filename);
	c.data = NULL;
}
