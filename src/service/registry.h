/* The safety officer's cross-clinic lot alert (issue 18): one manufacturer's lot quarantined in
 * every clinic of the database that holds it, in one transaction. */
#ifndef EXOSAFE_SERVICE_REGISTRY_H
#define EXOSAFE_SERVICE_REGISTRY_H

#include <stdbool.h>
#include <stdint.h>

#include "service/service.h"
#include "store/store.h"

typedef enum registry_rc {
	REGISTRY_OK = 0,
	REGISTRY_NOT_FOUND,   /* no clinic holds that product's lot number; nothing written */
	REGISTRY_ERROR,       /* storage failure; rolled back, store->errmsg says why */
} registry_rc;

#define REGISTRY_ALERT_MAX_CLINICS 256

/* What the alert did at one clinic. */
typedef struct registry_alert_clinic {
	int64_t clinic_id;
	char clinic_name[401];
	int64_t lot_id;
	char status_before[16];
	char status[16];           /* after: quarantined when it was received or released */
	bool alert_raised;         /* false: the lot had a registry alert already */
} registry_alert_clinic;

typedef struct registry_alert_result {
	int count;
	registry_alert_clinic clinics[REGISTRY_ALERT_MAX_CLINICS];
} registry_alert_result;

/* Raises the lot alert "registry" on every clinic's receipt of product_id's lot lot_number
 * (ae_raise_lot_alert: each clinic's staff see it in their lot-alert queue; a received or
 * released lot is quarantined, and releasing it again is each clinic's pharmacist's decision),
 * and appends a "registry.lot_alert" audit row by the officer naming the lot, the clinics and
 * the reason; all in one transaction, whatever the store's scope (restored after).
 * Errors: REGISTRY_NOT_FOUND, REGISTRY_ERROR. */
registry_rc registry_lot_alert(store *s, const actor *by, int64_t product_id, const char *lot_number,
                               const char *reason, int64_t now, registry_alert_result *out);

#endif
