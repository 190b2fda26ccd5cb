/* Public safety disclosure: products and lots as anyone may see them, without personal
 * data. This is the "clinic that discloses" of the seed. */
#include <stdio.h>
#include <string.h>

#include "http/handlers.h"

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

void handle_public_product(request *req)
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
	reply_json(req, 200, json_pack("{s:o, s:o, s:o}", "product", json_product(&p), "lots", lots, "notes", mandatory_notes()));
}

void handle_public_lot(request *req)
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
