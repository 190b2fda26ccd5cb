/* The packing slip that goes into each shipment's parcel: who it is for, what is in it (each
 * lot with its expiry, so a recall can be traced from the parcel), the order number, and whom
 * to call. Japanese first, with an English line per heading; HTML with every value escaped,
 * printable on A4 without script. Pure. */
#ifndef EXOSAFE_PACKING_SLIP_H
#define EXOSAFE_PACKING_SLIP_H

#include <stdint.h>

typedef struct packing_slip_line {
	const char *lot_number;
	const char *expires_on;         /* YYYY-MM-DD */
	int quantity;
} packing_slip_line;

typedef struct packing_slip {
	const char *clinic_name;
	const char *clinic_phone;
	int64_t order_id;
	int64_t ordered_at;             /* unix seconds; shown as a JST date */
	const char *patient_name;
	const char *postal_code;
	const char *address;
	const char *phone;
	const char *product_name;
	const char *storage;            /* the product's storage range, e.g. "2.0〜8.0 ℃" */
	int quantity;                   /* ordered */
	const packing_slip_line *lines; /* the dispensed lots */
	int nlines;
	const char *carrier;            /* "" before shipping */
	const char *tracking_number;
	int64_t shipped_at;             /* 0 before shipping */
} packing_slip;

/* Returns a newly allocated, complete HTML document (UTF-8), or NULL when memory runs out.
 * The caller frees it. Its only style is a <style> element (the server's CSP must allow it). */
char *packing_slip_html(const packing_slip *slip);

#endif
