/* The actions the audit log records, each with what it means in words (Japanese and English).
 * One table: the audit page's filter accepts exactly these codes, and the page and the CSV
 * export show these labels. A code written by the code base but missing here is caught by
 * tests/http/audit-search.test.mjs, which reads every action in the log. Pure data. */
#ifndef EXOSAFE_AUDIT_ACTIONS_H
#define EXOSAFE_AUDIT_ACTIONS_H

#include <stddef.h>

typedef struct audit_action_label {
	const char *code;      /* as stored in audit_log.action */
	const char *label_ja;
	const char *label_en;
} audit_action_label;

extern const audit_action_label audit_actions[];
extern const size_t audit_action_count;

/* The entry for code, or NULL when the code is not a known action. */
const audit_action_label *audit_action_find(const char *code);

#endif
