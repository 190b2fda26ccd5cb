/* Screening rules over questionnaire answers (see screening.h).
 *
 * A parsed rule set keeps its JSON alive and borrows every string from it. Conditions are
 * compiled into a small tree once, checked against the questionnaire's items and types, so
 * evaluation never meets an item or a value kind it cannot compare. */
#include "core/screening.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json_def.h"
#include "core/text.h"

#define SC_MAX_DEPTH 16
#define SC_MAX_RULES 500

typedef enum cond_kind { COND_CMP, COND_ALL, COND_ANY, COND_NOT } cond_kind;
typedef enum cmp_op { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, OP_INCLUDES, OP_IN, OP_ANSWERED, OP_WITHIN_MONTHS } cmp_op;

typedef struct cond {
	cond_kind kind;
	const char *item;         /* COND_CMP: the linkId, borrowed */
	cmp_op op;
	const json_t *value;      /* COND_CMP: borrowed; NULL for "answered" */
	struct cond *kids;        /* COND_ALL, COND_ANY (n_kids) and COND_NOT (one) */
	size_t n_kids;
} cond;

typedef struct rule {
	const char *id;
	screening_level level;
	const char *reason_ja, *reason_en;
	cond when;
} rule;

struct screening_rules {
	json_t *root;
	rule *rules;
	size_t n_rules;
};

static const struct {
	const char *name;
	cmp_op op;
} cmp_ops[] = {
	{"=", OP_EQ},  {"!=", OP_NE}, {"<", OP_LT},               {"<=", OP_LE},          {">", OP_GT},
	{">=", OP_GE}, {"in", OP_IN}, {"includes", OP_INCLUDES}, {"answered", OP_ANSWERED},
	{"within_months", OP_WITHIN_MONTHS},
};

static const char *const level_names[] = {"block", "needs-attention", "info"};

const char *screening_level_name(screening_level level)
{
	if ((int)level < 0 || (size_t)level >= sizeof level_names / sizeof level_names[0])
		return "unknown";
	return level_names[level];
}

int screening_level_from_name(const char *name)
{
	for (size_t i = 0; name != NULL && i < sizeof level_names / sizeof level_names[0]; i++)
		if (strcmp(level_names[i], name) == 0)
			return (int)i;
	return -1;
}

static void cond_clear(cond *c)
{
	for (size_t i = 0; i < c->n_kids; i++)
		cond_clear(&c->kids[i]);
	free(c->kids);
	c->kids = NULL;
	c->n_kids = 0;
}

void screening_free(screening_rules *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n_rules; i++)
		cond_clear(&r->rules[i].when);
	free(r->rules);
	json_decref(r->root);
	free(r);
}

int screening_rule_count(const screening_rules *r)
{
	return (int)r->n_rules;
}

__attribute__((format(printf, 4, 5))) static screening_rules *fail(screening_rules *r, char *err, size_t errlen,
                                                                    const char *fmt, ...)
{
	if (err != NULL && errlen > 0) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	screening_free(r);
	return NULL;
}

__attribute__((format(printf, 3, 4))) static int why(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	return -1;
}

/* Is v a value item (of type, non-repeating) could hold? NULL or what is wrong. */
static const char *value_fits(const questionnaire *q, const char *item, int type, const json_t *v)
{
	switch ((questionnaire_item_type)type) {
	case QITEM_BOOLEAN:
		return json_is_boolean(v) ? NULL : "value must be true or false";
	case QITEM_INTEGER:
		return json_is_integer(v) ? NULL : "value must be an integer";
	case QITEM_DATE:
		return json_is_string(v) && questionnaire_is_date(json_string_value(v)) ? NULL
		                                                                        : "value must be a date YYYY-MM-DD";
	case QITEM_CHOICE:
		return json_is_string(v) && questionnaire_item_has_option(q, item, json_string_value(v))
		               ? NULL
		               : "value must be one of the item's option codes";
	case QITEM_STRING:
	case QITEM_TEXT:
		return json_is_string(v) ? NULL : "value must be a string";
	}
	return "unknown item type";
}

static int parse_cond(const json_t *j, const questionnaire *q, cond *out, int depth, char *buf, size_t len);

static int parse_list(const json_t *list, const char *name, const questionnaire *q, cond *out, int depth, char *buf,
                      size_t len)
{
	if (!json_is_array(list) || json_array_size(list) == 0)
		return why(buf, len, "\"%s\" needs a non-empty array of conditions", name);
	out->kids = calloc(json_array_size(list), sizeof *out->kids);
	if (out->kids == NULL)
		return why(buf, len, "out of memory");
	size_t i;
	const json_t *k;
	json_array_foreach(list, i, k) {
		out->n_kids = i + 1;
		if (parse_cond(k, q, &out->kids[i], depth + 1, buf, len) != 0)
			return -1;
	}
	return 0;
}

static int parse_compare(const json_t *j, const questionnaire *q, cond *out, char *buf, size_t len)
{
	out->kind = COND_CMP;
	out->item = json_string_value(json_object_get(j, "item"));
	const char *opname = json_string_value(json_object_get(j, "op"));
	out->value = json_object_get(j, "value");
	if (out->item == NULL || opname == NULL)
		return why(buf, len, "a condition needs \"item\" and \"op\" (or all / any / not)");
	int repeats = 0;
	int type = questionnaire_item_type_of(q, out->item, &repeats);
	if (type < 0)
		return why(buf, len, "names item \"%s\", which the questionnaire does not have", out->item);
	size_t k;
	for (k = 0; k < sizeof cmp_ops / sizeof cmp_ops[0]; k++)
		if (strcmp(cmp_ops[k].name, opname) == 0)
			break;
	if (k == sizeof cmp_ops / sizeof cmp_ops[0])
		return why(buf, len, "unknown op \"%s\" on item \"%s\"", opname, out->item);
	out->op = cmp_ops[k].op;
	const char *wrong = NULL;
	switch (out->op) {
	case OP_ANSWERED:
		if (out->value != NULL)
			wrong = "\"answered\" takes no value";
		break;
	case OP_INCLUDES:
		if (type != QITEM_CHOICE || !repeats)
			wrong = "\"includes\" needs a repeating choice";
		else if (out->value == NULL)
			wrong = "value is missing";
		else
			wrong = value_fits(q, out->item, type, out->value);
		break;
	case OP_IN:
		if (repeats) {
			wrong = "\"in\" does not apply to a repeating choice; use any + includes";
		} else if (!json_is_array(out->value) || json_array_size(out->value) == 0) {
			wrong = "\"in\" needs a non-empty array value";
		} else {
			size_t i;
			const json_t *v;
			json_array_foreach(out->value, i, v)
				if ((wrong = value_fits(q, out->item, type, v)) != NULL)
					break;
		}
		break;
	case OP_LT:
	case OP_LE:
	case OP_GT:
	case OP_GE:
		if (type != QITEM_INTEGER && type != QITEM_DATE)
			wrong = "<, <=, > and >= need an integer or a date item";
		else if (out->value == NULL)
			wrong = "value is missing";
		else
			wrong = value_fits(q, out->item, type, out->value);
		break;
	case OP_WITHIN_MONTHS:
		if (type != QITEM_DATE || repeats)
			wrong = "\"within_months\" needs a date item";
		else if (!json_is_integer(out->value) || json_integer_value(out->value) < 0 ||
		         json_integer_value(out->value) > 1200)
			wrong = "\"within_months\" needs a whole number of months from 0 to 1200";
		break;
	case OP_EQ:
	case OP_NE:
		if (repeats)
			wrong = "= and != do not apply to a repeating choice; use includes";
		else if (out->value == NULL)
			wrong = "value is missing";
		else
			wrong = value_fits(q, out->item, type, out->value);
		break;
	}
	if (wrong != NULL)
		return why(buf, len, "item \"%s\" op \"%s\": %s", out->item, opname, wrong);
	return 0;
}

static int parse_cond(const json_t *j, const questionnaire *q, cond *out, int depth, char *buf, size_t len)
{
	if (depth > SC_MAX_DEPTH)
		return why(buf, len, "conditions nest deeper than %d", SC_MAX_DEPTH);
	if (!json_is_object(j))
		return why(buf, len, "a condition must be an object");
	const json_t *all = json_object_get(j, "all"), *any = json_object_get(j, "any"), *neg = json_object_get(j, "not");
	int forms = (all != NULL) + (any != NULL) + (neg != NULL) + (json_object_get(j, "item") != NULL);
	if (forms != 1)
		return why(buf, len, "a condition is exactly one of {item, op, value}, {all}, {any} or {not}");
	if (all != NULL) {
		out->kind = COND_ALL;
		return parse_list(all, "all", q, out, depth, buf, len);
	}
	if (any != NULL) {
		out->kind = COND_ANY;
		return parse_list(any, "any", q, out, depth, buf, len);
	}
	if (neg != NULL) {
		out->kind = COND_NOT;
		out->kids = calloc(1, sizeof *out->kids);
		if (out->kids == NULL)
			return why(buf, len, "out of memory");
		out->n_kids = 1;
		return parse_cond(neg, q, &out->kids[0], depth + 1, buf, len);
	}
	return parse_compare(j, q, out, buf, len);
}

screening_rules *screening_parse(const char *json_text, const questionnaire *q, char *err, size_t errlen)
{
	json_t *root = json_def_load(json_text, err, errlen);
	if (root == NULL)
		return NULL;
	screening_rules *r = calloc(1, sizeof *r);
	if (r == NULL) {
		json_decref(root);
		return fail(NULL, err, errlen, "out of memory");
	}
	r->root = root;
	if (!json_is_object(root))
		return fail(r, err, errlen, "a rule file must be a JSON object");
	const char *qid = json_string_value(json_object_get(root, "questionnaire"));
	const json_t *qver = json_object_get(root, "questionnaire_version");
	if (qid == NULL || !json_is_integer(qver))
		return fail(r, err, errlen, "\"questionnaire\" (id) and \"questionnaire_version\" (integer) are required");
	if (strcmp(qid, questionnaire_id(q)) != 0 || json_integer_value(qver) != questionnaire_version(q))
		return fail(r, err, errlen, "the rules are for %s v%lld, not for %s v%d", qid,
		            (long long)json_integer_value(qver), questionnaire_id(q), questionnaire_version(q));
	const json_t *rules = json_object_get(root, "rules");
	if (!json_is_array(rules) || json_array_size(rules) == 0 || json_array_size(rules) > SC_MAX_RULES)
		return fail(r, err, errlen, "\"rules\" must be an array of 1 to %d rules", SC_MAX_RULES);
	r->rules = calloc(json_array_size(rules), sizeof *r->rules);
	if (r->rules == NULL)
		return fail(r, err, errlen, "out of memory");
	size_t i;
	const json_t *jr;
	json_array_foreach(rules, i, jr) {
		rule *ru = &r->rules[i];
		r->n_rules = i + 1;
		ru->id = json_string_value(json_object_get(jr, "id"));
		if (ru->id == NULL || !json_def_is_ident(ru->id))
			return fail(r, err, errlen, "rule %zu: id is missing or not an identifier (a-z, 0-9, _ and -)", i + 1);
		for (size_t k = 0; k < i; k++)
			if (strcmp(r->rules[k].id, ru->id) == 0)
				return fail(r, err, errlen, "rule \"%s\": id used twice", ru->id);
		const char *lname = json_string_value(json_object_get(jr, "level"));
		int level = screening_level_from_name(lname);
		if (level < 0)
			return fail(r, err, errlen, "rule \"%s\": level \"%s\" is not block, needs-attention or info", ru->id,
			            lname ? lname : "(none)");
		ru->level = (screening_level)level;
		const json_t *reason = json_object_get(jr, "reason");
		if (!json_def_is_bilingual(reason))
			return fail(r, err, errlen, "rule \"%s\": reason needs non-empty \"ja\" and \"en\"", ru->id);
		ru->reason_ja = json_string_value(json_object_get(reason, "ja"));
		ru->reason_en = json_string_value(json_object_get(reason, "en"));
		const json_t *when = json_object_get(jr, "when");
		if (when == NULL)
			return fail(r, err, errlen, "rule \"%s\": \"when\" is missing", ru->id);
		char buf[256];
		if (parse_cond(when, q, &ru->when, 0, buf, sizeof buf) != 0)
			return fail(r, err, errlen, "rule \"%s\": %s", ru->id, buf);
	}
	return r;
}

/* ---- evaluation ---- */

static int same_scalar(const json_t *a, const json_t *b, int *cmp)
{
	if (json_is_integer(a) && json_is_integer(b)) {
		json_int_t x = json_integer_value(a), y = json_integer_value(b);
		*cmp = (x > y) - (x < y);
		return 1;
	}
	if (json_is_boolean(a) && json_is_boolean(b)) {
		*cmp = json_is_true(a) - json_is_true(b);
		return 1;
	}
	if (json_is_string(a) && json_is_string(b)) {
		*cmp = strcmp(json_string_value(a), json_string_value(b));
		return 1;
	}
	return 0;
}

static int is_answered(const json_t *v)
{
	if (v == NULL || json_is_null(v))
		return 0;
	if (json_is_string(v) && json_string_length(v) == 0)
		return 0;
	if (json_is_array(v) && json_array_size(v) == 0)
		return 0;
	return 1;
}

/* Year*12 + month of a YYYY-MM-DD text (the day is ignored); -1 when it is not one. */
static long month_index(const char *date)
{
	if (date == NULL || !questionnaire_is_date(date))
		return -1;
	return strtol(date, NULL, 10) * 12 + strtol(date + 5, NULL, 10) - 1;
}

/* A date answered within value months of today, counted in calendar months with the days
 * ignored: a patient who knows only the month of a diagnosis is not pushed outside the
 * window by the day they pick. A date after today (a treatment planned) holds too. Without
 * a valid today the condition holds, so a block can never be lost to a missing clock. */
static int within_months(const json_t *v, const cond *c, const char *today)
{
	long answered = month_index(json_string_value(v)), now = month_index(today);
	if (answered < 0)
		return 0;
	if (now < 0)
		return 1;
	return now - answered <= (long)json_integer_value(c->value);
}

static int compare_holds(const cond *c, const json_t *answers, const char *today)
{
	const json_t *v = json_object_get(answers, c->item);
	if (!is_answered(v))
		return 0;
	int cmp = 0;
	size_t i;
	const json_t *e;
	switch (c->op) {
	case OP_ANSWERED:
		return 1;
	case OP_WITHIN_MONTHS:
		return within_months(v, c, today);
	case OP_INCLUDES:
		json_array_foreach(v, i, e)
			if (same_scalar(e, c->value, &cmp) && cmp == 0)
				return 1;
		return 0;
	case OP_IN:
		json_array_foreach(c->value, i, e)
			if (same_scalar(v, e, &cmp) && cmp == 0)
				return 1;
		return 0;
	case OP_EQ:
		return same_scalar(v, c->value, &cmp) && cmp == 0;
	case OP_NE:
		return same_scalar(v, c->value, &cmp) && cmp != 0;
	case OP_LT:
		return same_scalar(v, c->value, &cmp) && cmp < 0;
	case OP_LE:
		return same_scalar(v, c->value, &cmp) && cmp <= 0;
	case OP_GT:
		return same_scalar(v, c->value, &cmp) && cmp > 0;
	case OP_GE:
		return same_scalar(v, c->value, &cmp) && cmp >= 0;
	}
	return 0;
}

static int cond_holds(const cond *c, const json_t *answers, const char *today)
{
	switch (c->kind) {
	case COND_CMP:
		return compare_holds(c, answers, today);
	case COND_ALL:
		for (size_t i = 0; i < c->n_kids; i++)
			if (!cond_holds(&c->kids[i], answers, today))
				return 0;
		return 1;
	case COND_ANY:
		for (size_t i = 0; i < c->n_kids; i++)
			if (cond_holds(&c->kids[i], answers, today))
				return 1;
		return 0;
	case COND_NOT:
		return !cond_holds(&c->kids[0], answers, today);
	}
	return 0;
}

int screening_evaluate(const screening_rules *r, const json_t *answers, const char *today, screening_flag *flags,
                       int max_flags)
{
	if (!json_is_object(answers))
		return 0;
	int fired = 0;
	for (int level = SCREENING_BLOCK; level <= SCREENING_INFO; level++) {
		for (size_t i = 0; i < r->n_rules; i++) {
			const rule *ru = &r->rules[i];
			if ((int)ru->level != level || !cond_holds(&ru->when, answers, today))
				continue;
			if (flags != NULL && fired < max_flags)
				flags[fired] = (screening_flag){.rule_id = ru->id, .level = ru->level,
				                                .reason_ja = ru->reason_ja, .reason_en = ru->reason_en};
			fired++;
		}
	}
	return fired;
}

static void collect_items(const cond *c, const char **items, int max_items, int *n)
{
	if (c->kind == COND_CMP) {
		for (int i = 0; i < *n && i < max_items; i++)
			if (strcmp(items[i], c->item) == 0)
				return;
		if (*n < max_items)
			items[*n] = c->item;
		(*n)++;
		return;
	}
	for (size_t i = 0; i < c->n_kids; i++)
		collect_items(&c->kids[i], items, max_items, n);
}

int screening_rule_items(const screening_rules *r, const char *rule_id, const char **items, int max_items)
{
	for (size_t i = 0; rule_id != NULL && i < r->n_rules; i++) {
		if (strcmp(r->rules[i].id, rule_id) != 0)
			continue;
		int n = 0;
		collect_items(&r->rules[i].when, items, max_items, &n);
		return n;
	}
	return -1;
}
