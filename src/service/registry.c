#include "service/registry.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "service/ae.h"

static int collect_lot(void *ctx, const registry_lot_row *r)
{
	registry_alert_result *out = ctx;
	if (out->count >= REGISTRY_ALERT_MAX_CLINICS)
		return 1;
	registry_alert_clinic *c = &out->clinics[out->count++];
	c->clinic_id = r->clinic_id;
	snprintf(c->clinic_name, sizeof c->clinic_name, "%s", r->clinic_name);
	c->lot_id = r->lot_id;
	snprintf(c->status_before, sizeof c->status_before, "%s", r->status);
	return 0;
}

/* Inside the open transaction: the alert at each clinic that holds the lot. */
static registry_rc alert_each(store *s, const actor *by, int64_t product_id, const char *lot_number,
                              const char *reason, int64_t now, registry_alert_result *out)
{
	for (int i = 0; i < out->count; i++) {
		registry_alert_clinic *c = &out->clinics[i];
		lot_record lot;
		if (store_lot_get(s, c->lot_id, &lot) != STORE_OK)
			return REGISTRY_ERROR;
		json_t *evidence = json_pack("{s:s, s:s, s:I, s:i}", "reason", reason, "lot_number", lot_number,
		                             "raised_by", (json_int_t)by->id, "clinics", out->count);
		if (evidence == NULL)
			return REGISTRY_ERROR;
		int raised = 0;
		if (ae_raise_lot_alert(s, true, &lot, "registry", evidence, now, &raised) != AE_OK)
			return REGISTRY_ERROR;
		c->alert_raised = raised > 0;
		if (store_lot_get(s, c->lot_id, &lot) != STORE_OK)
			return REGISTRY_ERROR;
		snprintf(c->status, sizeof c->status, "%s", lot.status);
	}
	char detail[600];
	snprintf(detail, sizeof detail, "lot=%s clinics=%d reason=%.400s", lot_number, out->count, reason);
	return service_audit(s, by, "registry.lot_alert", "product", product_id, detail) ? REGISTRY_OK : REGISTRY_ERROR;
}

registry_rc registry_lot_alert(store *s, const actor *by, int64_t product_id, const char *lot_number,
                               const char *reason, int64_t now, registry_alert_result *out)
{
	memset(out, 0, sizeof *out);
	/* The registry's write reaches every clinic's receipt of the lot: the officer's own scope
	 * (no clinic) would find none of them. */
	int64_t scope = s->clinic_scope;
	store_scope_clinic(s, STORE_SCOPE_ALL);
	registry_rc rc = REGISTRY_ERROR;
	if (store_begin(s) != STORE_OK)
		goto out;
	if (store_registry_lot_list(s, product_id, lot_number, collect_lot, out) != STORE_OK) {
		rc = service_rollback(s, REGISTRY_ERROR);
		goto out;
	}
	if (out->count == 0) {
		rc = service_rollback(s, REGISTRY_NOT_FOUND);
		goto out;
	}
	rc = alert_each(s, by, product_id, lot_number, reason, now, out);
	if (rc != REGISTRY_OK)
		rc = service_rollback(s, rc);
	else if (!service_commit(s))
		rc = REGISTRY_ERROR;
out:
	store_scope_clinic(s, scope);
	return rc;
}
