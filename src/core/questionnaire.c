/* Questionnaire definitions and answer validation (see questionnaire.h).
 *
 * A parsed questionnaire keeps the definition's JSON alive and borrows every string and
 * option from it, so there is one owner to free. Items are checked in definition order; an
 * enableWhen may only name an earlier item, so a single pass decides what is enabled. */
#include "core/questionnaire.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json_def.h"
#include "core/text.h"
#include "core/validate.h"

#define QN_ID_MAX JSON_DEF_ID_MAX /* ids, linkIds and codes fit answer_error.link_id */
#define QN_MAX_ITEMS 500
#define QN_DEFAULT_STRING_MAX 200
#define QN_DEFAULT_TEXT_MAX 2000
#define QN_MAX_LENGTH_LIMIT 20000

typedef enum enable_op { EW_EQ, EW_NE, EW_EXISTS, EW_LT, EW_GT, EW_LE, EW_GE, EW_INCLUDES } enable_op;

typedef struct enable_when {
	size_t question;          /* index of an earlier item */
	enable_op op;
	const json_t *answer;     /* borrowed from the definition */
} enable_when;

typedef struct qn_item {
	const char *link_id;      /* borrowed from the definition */
	questionnaire_item_type type;
	int required, repeats;
	int has_min, has_max;
	json_int_t min_value, max_value;
	long max_length;          /* in code points, strings and texts only */
	const json_t *options;    /* the answerOption array of a choice, borrowed */
	enable_when *conds;
	size_t n_conds;
	int enable_any;
} qn_item;

struct questionnaire {
	json_t *def;
	const char *id;
	int version;
	qn_item *items;
	size_t n_items;
};

static const struct {
	const char *name;
	questionnaire_item_type type;
} item_types[] = {
	{"boolean", QITEM_BOOLEAN}, {"integer", QITEM_INTEGER}, {"string", QITEM_STRING},
	{"text", QITEM_TEXT},       {"date", QITEM_DATE},       {"choice", QITEM_CHOICE},
};

static const struct {
	const char *name;
	enable_op op;
} enable_ops[] = {
	{"=", EW_EQ}, {"!=", EW_NE}, {"exists", EW_EXISTS}, {"<", EW_LT},
	{">", EW_GT}, {"<=", EW_LE}, {">=", EW_GE},         {"includes", EW_INCLUDES},
};

__attribute__((format(printf, 4, 5))) static questionnaire *fail(questionnaire *q, char *err, size_t errlen,
                                                                  const char *fmt, ...)
{
	if (err != NULL && errlen > 0) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	questionnaire_free(q);
	return NULL;
}

int questionnaire_is_date(const char *s)
{
	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return 0;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && !isdigit((unsigned char)s[i]))
			return 0;
	int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	int m = (s[5] - '0') * 10 + (s[6] - '0');
	int d = (s[8] - '0') * 10 + (s[9] - '0');
	return date_is_valid(y, m, d);
}

static long find_item(const questionnaire *q, const char *link_id, size_t before)
{
	for (size_t i = 0; i < before && i < q->n_items; i++)
		if (strcmp(q->items[i].link_id, link_id) == 0)
			return (long)i;
	return -1;
}

static int option_exists(const json_t *options, const char *code)
{
	size_t i;
	const json_t *opt;
	json_array_foreach(options, i, opt)
		if (strcmp(json_string_value(json_object_get(opt, "code")), code) == 0)
			return 1;
	return 0;
}

static int option_is_exclusive(const json_t *options, const char *code)
{
	size_t i;
	const json_t *opt;
	json_array_foreach(options, i, opt)
		if (strcmp(json_string_value(json_object_get(opt, "code")), code) == 0)
			return json_is_true(json_object_get(opt, "exclusive"));
	return 0;
}

/* Checks a choice item's answerOption list. Returns NULL or what is wrong with it. */
static const char *check_options(const json_t *options)
{
	if (!json_is_array(options) || json_array_size(options) == 0)
		return "a choice needs a non-empty answerOption array";
	size_t i;
	const json_t *opt;
	json_array_foreach(options, i, opt) {
		const char *code = json_string_value(json_object_get(opt, "code"));
		if (code == NULL || !json_def_is_ident(code))
			return "an answerOption code is missing or not an identifier (a-z, 0-9, _ and -)";
		if (!json_def_is_bilingual(json_object_get(opt, "display")))
			return "an answerOption display needs non-empty \"ja\" and \"en\"";
		const json_t *excl = json_object_get(opt, "exclusive");
		if (excl != NULL && !json_is_boolean(excl))
			return "an answerOption \"exclusive\" must be true or false";
		for (size_t j = 0; j < i; j++)
			if (strcmp(json_string_value(json_object_get(json_array_get(options, j), "code")), code) == 0)
				return "answerOption codes repeat";
	}
	return NULL;
}

/* Does a condition's answer fit the question it names? Returns NULL or the reason. */
static const char *check_condition(const qn_item *src, enable_op op, const json_t *answer)
{
	if (op == EW_EXISTS)
		return json_is_boolean(answer) ? NULL : "\"exists\" takes true or false";
	if (src->type == QITEM_CHOICE && src->repeats) {
		if (op != EW_EQ && op != EW_NE && op != EW_INCLUDES)
			return "a repeating choice takes only =, != , includes or exists";
	} else if (op == EW_INCLUDES) {
		return "\"includes\" needs a repeating choice";
	}
	if (op == EW_LT || op == EW_GT || op == EW_LE || op == EW_GE) {
		if (src->type != QITEM_INTEGER && src->type != QITEM_DATE)
			return "<, >, <= and >= need an integer or a date question";
	}
	switch (src->type) {
	case QITEM_BOOLEAN:
		return json_is_boolean(answer) ? NULL : "the answer must be true or false";
	case QITEM_INTEGER:
		return json_is_integer(answer) ? NULL : "the answer must be an integer";
	case QITEM_DATE:
		return json_is_string(answer) && questionnaire_is_date(json_string_value(answer)) ? NULL
		                                                                                  : "the answer must be a date YYYY-MM-DD";
	case QITEM_CHOICE:
		return json_is_string(answer) && option_exists(src->options, json_string_value(answer))
		               ? NULL
		               : "the answer must be one of the question's option codes";
	case QITEM_STRING:
	case QITEM_TEXT:
		return json_is_string(answer) ? NULL : "the answer must be a string";
	}
	return "unknown question type";
}

static questionnaire *parse_enable_when(questionnaire *q, qn_item *it, size_t index, const json_t *jit, char *err,
                                        size_t errlen)
{
	const json_t *ew = json_object_get(jit, "enableWhen");
	const json_t *behavior = json_object_get(jit, "enableBehavior");
	if (behavior != NULL) {
		const char *b = json_string_value(behavior);
		if (b == NULL || (strcmp(b, "all") != 0 && strcmp(b, "any") != 0))
			return fail(q, err, errlen, "item \"%s\": enableBehavior must be \"all\" or \"any\"", it->link_id);
		it->enable_any = strcmp(b, "any") == 0;
	}
	if (ew == NULL)
		return q;
	if (!json_is_array(ew) || json_array_size(ew) == 0)
		return fail(q, err, errlen, "item \"%s\": enableWhen must be a non-empty array", it->link_id);
	it->conds = calloc(json_array_size(ew), sizeof *it->conds);
	if (it->conds == NULL)
		return fail(q, err, errlen, "out of memory");
	size_t i;
	const json_t *c;
	json_array_foreach(ew, i, c) {
		const char *question = json_string_value(json_object_get(c, "question"));
		const char *opname = json_string_value(json_object_get(c, "operator"));
		const json_t *answer = json_object_get(c, "answer");
		if (question == NULL || opname == NULL || answer == NULL)
			return fail(q, err, errlen, "item \"%s\": enableWhen %zu needs question, operator and answer",
			            it->link_id, i + 1);
		long src = find_item(q, question, index);
		if (src < 0)
			return fail(q, err, errlen, "item \"%s\": enableWhen names \"%s\", which is not an earlier item",
			            it->link_id, question);
		size_t k;
		for (k = 0; k < sizeof enable_ops / sizeof enable_ops[0]; k++)
			if (strcmp(enable_ops[k].name, opname) == 0)
				break;
		if (k == sizeof enable_ops / sizeof enable_ops[0])
			return fail(q, err, errlen, "item \"%s\": unknown enableWhen operator \"%s\"", it->link_id, opname);
		const char *why = check_condition(&q->items[src], enable_ops[k].op, answer);
		if (why != NULL)
			return fail(q, err, errlen, "item \"%s\": enableWhen on \"%s\": %s", it->link_id, question, why);
		it->conds[i] = (enable_when){.question = (size_t)src, .op = enable_ops[k].op, .answer = answer};
		it->n_conds++;
	}
	return q;
}

static questionnaire *parse_item(questionnaire *q, size_t index, const json_t *jit, char *err, size_t errlen)
{
	qn_item *it = &q->items[index];
	if (!json_is_object(jit))
		return fail(q, err, errlen, "item %zu: not an object", index + 1);
	it->link_id = json_string_value(json_object_get(jit, "linkId"));
	if (it->link_id == NULL || !json_def_is_ident(it->link_id))
		return fail(q, err, errlen, "item %zu: linkId is missing or not an identifier (a-z, 0-9, _ and -, at most %d)",
		            index + 1, QN_ID_MAX);
	if (find_item(q, it->link_id, index) >= 0)
		return fail(q, err, errlen, "item \"%s\": linkId used twice", it->link_id);
	const char *type = json_string_value(json_object_get(jit, "type"));
	size_t k;
	for (k = 0; type != NULL && k < sizeof item_types / sizeof item_types[0]; k++)
		if (strcmp(item_types[k].name, type) == 0)
			break;
	if (type == NULL || k == sizeof item_types / sizeof item_types[0])
		return fail(q, err, errlen, "item \"%s\": unknown type \"%s\"", it->link_id, type ? type : "(none)");
	it->type = item_types[k].type;
	if (!json_def_is_bilingual(json_object_get(jit, "text")))
		return fail(q, err, errlen, "item \"%s\": text needs non-empty \"ja\" and \"en\"", it->link_id);

	const json_t *required = json_object_get(jit, "required"), *repeats = json_object_get(jit, "repeats");
	if ((required != NULL && !json_is_boolean(required)) || (repeats != NULL && !json_is_boolean(repeats)))
		return fail(q, err, errlen, "item \"%s\": required and repeats must be true or false", it->link_id);
	it->required = json_is_true(required);
	it->repeats = json_is_true(repeats);
	if (it->repeats && it->type != QITEM_CHOICE)
		return fail(q, err, errlen, "item \"%s\": only a choice can repeat", it->link_id);

	const json_t *options = json_object_get(jit, "answerOption");
	if (it->type == QITEM_CHOICE) {
		const char *why = check_options(options);
		if (why != NULL)
			return fail(q, err, errlen, "item \"%s\": %s", it->link_id, why);
		it->options = options;
	} else if (options != NULL) {
		return fail(q, err, errlen, "item \"%s\": answerOption on a %s item", it->link_id, type);
	}

	const json_t *minv = json_object_get(jit, "minValue"), *maxv = json_object_get(jit, "maxValue");
	if ((minv != NULL || maxv != NULL) && it->type != QITEM_INTEGER)
		return fail(q, err, errlen, "item \"%s\": minValue/maxValue on a %s item", it->link_id, type);
	if ((minv != NULL && !json_is_integer(minv)) || (maxv != NULL && !json_is_integer(maxv)))
		return fail(q, err, errlen, "item \"%s\": minValue and maxValue must be integers", it->link_id);
	it->has_min = minv != NULL;
	it->has_max = maxv != NULL;
	it->min_value = json_integer_value(minv);
	it->max_value = json_integer_value(maxv);
	if (it->has_min && it->has_max && it->min_value > it->max_value)
		return fail(q, err, errlen, "item \"%s\": minValue is above maxValue", it->link_id);

	const json_t *maxlen = json_object_get(jit, "maxLength");
	if (maxlen != NULL && it->type != QITEM_STRING && it->type != QITEM_TEXT)
		return fail(q, err, errlen, "item \"%s\": maxLength on a %s item", it->link_id, type);
	if (maxlen != NULL && (!json_is_integer(maxlen) || json_integer_value(maxlen) < 1 ||
	                       json_integer_value(maxlen) > QN_MAX_LENGTH_LIMIT))
		return fail(q, err, errlen, "item \"%s\": maxLength must be an integer from 1 to %d", it->link_id,
		            QN_MAX_LENGTH_LIMIT);
	it->max_length = maxlen != NULL ? (long)json_integer_value(maxlen)
	                                : (it->type == QITEM_TEXT ? QN_DEFAULT_TEXT_MAX : QN_DEFAULT_STRING_MAX);
	return parse_enable_when(q, it, index, jit, err, errlen);
}

questionnaire *questionnaire_parse(const char *json_text, char *err, size_t errlen)
{
	json_t *def = json_def_load(json_text, err, errlen);
	if (def == NULL)
		return NULL;
	questionnaire *q = calloc(1, sizeof *q);
	if (q == NULL) {
		json_decref(def);
		return fail(NULL, err, errlen, "out of memory");
	}
	q->def = def;
	if (!json_is_object(def))
		return fail(q, err, errlen, "a questionnaire must be a JSON object");
	const char *rt = json_string_value(json_object_get(def, "resourceType"));
	if (rt == NULL || strcmp(rt, "Questionnaire") != 0)
		return fail(q, err, errlen, "resourceType must be \"Questionnaire\"");
	q->id = json_string_value(json_object_get(def, "id"));
	if (q->id == NULL || !json_def_is_ident(q->id))
		return fail(q, err, errlen, "id is missing or not an identifier (a-z, 0-9, _ and -)");
	const json_t *version = json_object_get(def, "version");
	if (!json_is_integer(version) || json_integer_value(version) < 1 || json_integer_value(version) > 1000000)
		return fail(q, err, errlen, "version must be a positive integer");
	q->version = (int)json_integer_value(version);
	const char *status = json_string_value(json_object_get(def, "status"));
	if (status == NULL || (strcmp(status, "active") != 0 && strcmp(status, "retired") != 0 &&
	                       strcmp(status, "draft") != 0))
		return fail(q, err, errlen, "status must be \"active\", \"retired\" or \"draft\"");
	if (!json_def_is_bilingual(json_object_get(def, "title")))
		return fail(q, err, errlen, "title needs non-empty \"ja\" and \"en\"");
	const json_t *items = json_object_get(def, "item");
	if (!json_is_array(items) || json_array_size(items) == 0 || json_array_size(items) > QN_MAX_ITEMS)
		return fail(q, err, errlen, "item must be an array of 1 to %d items", QN_MAX_ITEMS);
	q->items = calloc(json_array_size(items), sizeof *q->items);
	if (q->items == NULL)
		return fail(q, err, errlen, "out of memory");
	size_t i;
	const json_t *jit;
	json_array_foreach(items, i, jit) {
		q->n_items = i + 1;   /* items before i are complete; item i is freed with them on error */
		if (parse_item(q, i, jit, err, errlen) == NULL)
			return NULL;
	}
	return q;
}

void questionnaire_free(questionnaire *q)
{
	if (q == NULL)
		return;
	for (size_t i = 0; i < q->n_items; i++)
		free(q->items[i].conds);
	free(q->items);
	json_decref(q->def);
	free(q);
}

const char *questionnaire_id(const questionnaire *q)
{
	return q->id;
}

int questionnaire_version(const questionnaire *q)
{
	return q->version;
}

const json_t *questionnaire_definition(const questionnaire *q)
{
	return q->def;
}

int questionnaire_item_type_of(const questionnaire *q, const char *link_id, int *repeats)
{
	long i = find_item(q, link_id, q->n_items);
	if (i < 0)
		return -1;
	if (repeats != NULL)
		*repeats = q->items[i].repeats;
	return (int)q->items[i].type;
}

int questionnaire_item_has_option(const questionnaire *q, const char *link_id, const char *code)
{
	long i = find_item(q, link_id, q->n_items);
	if (i < 0 || q->items[i].type != QITEM_CHOICE)
		return 0;
	return option_exists(q->items[i].options, code);
}

int questionnaire_item_count(const questionnaire *q)
{
	return (int)q->n_items;
}

const char *questionnaire_item_link_id(const questionnaire *q, int index)
{
	if (index < 0 || (size_t)index >= q->n_items)
		return NULL;
	return q->items[index].link_id;
}

/* ---- validation ---- */

typedef enum answer_state { ANS_ABSENT, ANS_VALID, ANS_INVALID } answer_state;
typedef enum enabled_state { EN_NO, EN_YES, EN_UNKNOWN } enabled_state;

typedef struct error_sink {
	answer_error *errors;
	int max, count;
} error_sink;

static void add_error(error_sink *sink, const char *link_id, const char *reason)
{
	if (sink->errors != NULL && sink->count < sink->max) {
		/* Cut on a character boundary: an unknown item's linkId is the patient's key, of any
		 * length, and half a UTF-8 character would keep the API from sending it (found by
		 * tests/fuzz/fuzz_questionnaire.c). */
		char *out = sink->errors[sink->count].link_id;
		size_t n = strlen(link_id), cap = sizeof sink->errors[sink->count].link_id - 1;
		if (n > cap) {
			n = cap;
			while (n > 0 && ((unsigned char)link_id[n] & 0xC0) == 0x80)
				n--;
		}
		memcpy(out, link_id, n);
		out[n] = '\0';
		snprintf(sink->errors[sink->count].reason, sizeof sink->errors[sink->count].reason, "%s", reason);
	}
	sink->count++;
}

/* Compares two scalars of one item type: <0, 0 or >0. */
static int compare_scalar(const json_t *a, const json_t *b)
{
	if (json_is_integer(a) && json_is_integer(b)) {
		json_int_t x = json_integer_value(a), y = json_integer_value(b);
		return (x > y) - (x < y);
	}
	if (json_is_boolean(a) && json_is_boolean(b))
		return json_is_true(a) - json_is_true(b);
	if (json_is_string(a) && json_is_string(b))
		return strcmp(json_string_value(a), json_string_value(b));
	return 2;   /* different kinds never match; parse-time checks make this unreachable */
}

static int op_holds(enable_op op, int cmp)
{
	switch (op) {
	case EW_EQ:
	case EW_INCLUDES:
		return cmp == 0;
	case EW_NE:
		return cmp != 0;
	case EW_LT:
		return cmp < 0;
	case EW_GT:
		return cmp > 0 && cmp != 2;
	case EW_LE:
		return cmp <= 0;
	case EW_GE:
		return cmp >= 0 && cmp != 2;
	case EW_EXISTS:
		break;
	}
	return 0;
}

static int condition_holds(const enable_when *c, answer_state state, const json_t *value)
{
	if (c->op == EW_EXISTS)
		return (state == ANS_VALID) == json_is_true(c->answer);
	if (state != ANS_VALID)
		return 0;
	if (json_is_array(value)) {
		size_t i;
		const json_t *code;
		json_array_foreach(value, i, code)
			if (op_holds(c->op, compare_scalar(code, c->answer)))
				return 1;
		return 0;
	}
	return op_holds(c->op, compare_scalar(value, c->answer));
}

static enabled_state item_enabled(const qn_item *it, const answer_state *states, json_t *const *values)
{
	if (it->n_conds == 0)
		return EN_YES;
	int any_true = 0, any_false = 0, unknown = 0;
	for (size_t i = 0; i < it->n_conds; i++) {
		const enable_when *c = &it->conds[i];
		if (states[c->question] == ANS_INVALID) {
			unknown = 1;
			continue;
		}
		if (condition_holds(c, states[c->question], values[c->question]))
			any_true = 1;
		else
			any_false = 1;
	}
	if (it->enable_any)
		return any_true ? EN_YES : unknown ? EN_UNKNOWN : EN_NO;
	return any_false ? EN_NO : unknown ? EN_UNKNOWN : EN_YES;
}

/* Checks and normalises one string answer. Returns NULL and sets *reason on error; returns
 * a new string (possibly empty) otherwise. */
static json_t *check_string(const qn_item *it, const json_t *raw, const char **reason)
{
	const char *s = json_string_value(raw);
	if (s == NULL) {
		*reason = "type";
		return NULL;
	}
	if (strlen(s) != json_string_length(raw)) {   /* an embedded NUL */
		*reason = "characters";
		return NULL;
	}
	char *norm = text_normalize(s);
	if (norm == NULL) {
		*reason = "characters";
		return NULL;
	}
	json_t *out = NULL;
	if (!text_is_clean(norm, it->type == QITEM_TEXT))
		*reason = "characters";
	else if (it->type == QITEM_DATE && *norm != '\0' && !questionnaire_is_date(norm))
		*reason = "date";
	else if (text_char_count(norm) > it->max_length)
		*reason = "length";
	else if ((out = json_string(norm)) == NULL)
		*reason = "memory";
	free(norm);
	return out;
}

static json_t *check_choice(const qn_item *it, const json_t *raw, const char **reason)
{
	if (!it->repeats) {
		if (!json_is_string(raw)) {
			*reason = "type";
			return NULL;
		}
		if (json_string_length(raw) > 0 && !option_exists(it->options, json_string_value(raw))) {
			*reason = "option";
			return NULL;
		}
		return json_incref((json_t *)(uintptr_t)raw);
	}
	if (!json_is_array(raw)) {
		*reason = "type";
		return NULL;
	}
	size_t i;
	const json_t *code;
	json_array_foreach(raw, i, code)
		if (!json_is_string(code)) {
			*reason = "type";
			return NULL;
		}
	json_array_foreach(raw, i, code) {
		const char *s = json_string_value(code);
		if (!option_exists(it->options, s)) {
			*reason = "option";
			return NULL;
		}
		for (size_t j = 0; j < i; j++)
			if (strcmp(json_string_value(json_array_get(raw, j)), s) == 0) {
				*reason = "duplicate";
				return NULL;
			}
	}
	if (json_array_size(raw) > 1)
		json_array_foreach(raw, i, code)
			if (option_is_exclusive(it->options, json_string_value(code))) {
				*reason = "exclusive";
				return NULL;
			}
	return json_incref((json_t *)(uintptr_t)raw);
}

/* Checks one present answer. Returns a new reference to the normalised value, or NULL with
 * *reason set. */
static json_t *check_answer(const qn_item *it, const json_t *raw, const char **reason)
{
	switch (it->type) {
	case QITEM_BOOLEAN:
		if (!json_is_boolean(raw)) {
			*reason = "type";
			return NULL;
		}
		return json_incref((json_t *)(uintptr_t)raw);
	case QITEM_INTEGER:
		if (!json_is_integer(raw)) {
			*reason = "type";
			return NULL;
		}
		if ((it->has_min && json_integer_value(raw) < it->min_value) ||
		    (it->has_max && json_integer_value(raw) > it->max_value)) {
			*reason = "range";
			return NULL;
		}
		return json_incref((json_t *)(uintptr_t)raw);
	case QITEM_STRING:
	case QITEM_TEXT:
	case QITEM_DATE:
		return check_string(it, raw, reason);
	case QITEM_CHOICE:
		return check_choice(it, raw, reason);
	}
	*reason = "type";
	return NULL;
}

static int is_empty_answer(const json_t *v)
{
	return (json_is_string(v) && json_string_length(v) == 0) || (json_is_array(v) && json_array_size(v) == 0);
}

int questionnaire_validate(const questionnaire *q, const json_t *answers, answer_error *errors, int max_errors,
                           json_t **normalized_out)
{
	error_sink sink = {.errors = errors, .max = max_errors < 0 ? 0 : max_errors, .count = 0};
	if (normalized_out != NULL)
		*normalized_out = NULL;
	if (!json_is_object(answers)) {
		add_error(&sink, "", "type");
		return sink.count;
	}
	answer_state *states = calloc(q->n_items, sizeof *states);
	json_t **values = calloc(q->n_items, sizeof *values);
	json_t *out = json_object();
	if (states == NULL || values == NULL || out == NULL) {
		free(states);
		free(values);
		json_decref(out);
		add_error(&sink, "", "memory");
		return sink.count;
	}
	for (size_t i = 0; i < q->n_items; i++) {
		const qn_item *it = &q->items[i];
		const json_t *raw = json_object_get(answers, it->link_id);
		int present = raw != NULL && !json_is_null(raw);
		enabled_state en = item_enabled(it, states, values);
		states[i] = ANS_ABSENT;
		if (en == EN_UNKNOWN) {
			/* It hangs on an invalid answer: that error is reported, this item is not judged. */
			states[i] = ANS_INVALID;
			continue;
		}
		if (en == EN_NO) {
			if (present)
				add_error(&sink, it->link_id, "not_enabled");
			continue;
		}
		if (!present) {
			if (it->required)
				add_error(&sink, it->link_id, "required");
			continue;
		}
		const char *reason = "type";
		json_t *v = check_answer(it, raw, &reason);
		if (v == NULL) {
			add_error(&sink, it->link_id, reason);
			states[i] = ANS_INVALID;
			continue;
		}
		if (is_empty_answer(v)) {
			json_decref(v);
			if (it->required)
				add_error(&sink, it->link_id, "required");
			continue;
		}
		states[i] = ANS_VALID;
		values[i] = v;
		if (json_object_set(out, it->link_id, v) != 0)
			add_error(&sink, it->link_id, "memory");
	}
	const char *key;
	const json_t *val;
	json_object_foreach((json_t *)(uintptr_t)answers, key, val)
		if (find_item(q, key, q->n_items) < 0)
			add_error(&sink, key, "unknown_item");

	for (size_t i = 0; i < q->n_items; i++)
		json_decref(values[i]);
	free(values);
	free(states);
	if (sink.count == 0 && normalized_out != NULL)
		*normalized_out = out;
	else
		json_decref(out);
	return sink.count;
}
