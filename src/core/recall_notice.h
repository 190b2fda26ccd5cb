/* The printable recall notice sent to each patient who received units of a recalled lot:
 * Japanese first (with a short English summary), HTML with every value escaped. Pure. */
#ifndef EXOSAFE_RECALL_NOTICE_H
#define EXOSAFE_RECALL_NOTICE_H

#include <stdint.h>

typedef struct recall_notice {
	const char *clinic_name;        /* e.g. "exosafe クリニック" */
	const char *clinic_phone;
	const char *product_name;
	const char *lot_number;
	const char *reason;             /* why the lot was recalled, as recorded */
	int64_t recalled_at;            /* unix seconds; shown in JST */
	const char *patient_name;
	const char *postal_code;
	const char *address;
	int quantity;                   /* units this patient received */
	int64_t dispensed_at;
	const char *tracking_number;    /* "" when not shipped */
	const char *clinic_address;     /* "〒100-0001 東京都…"; NULL or "" leaves the line out */
	const char *clinic_hours;       /* opening hours; NULL or "" leaves the line out */
} recall_notice;

/* Returns a newly allocated, complete HTML document (UTF-8) with one notice per element of
 * notices[0..count), each on its own printed page, or NULL when memory runs out. The caller
 * frees it. The page needs no script and no external resource; its only style is a <style>
 * element, so the server must send it with a CSP that allows that style (see handlers). */
char *recall_notice_html(const recall_notice *notices, int count);

/* Appends text to an HTML document escaped for element content and attribute values
 * (& < > " '). Returns a newly allocated string; NULL when memory runs out. */
char *html_escape(const char *text);

#endif
