#include "core/ctcae.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Strings are borrowed from the parsed document, which lives as long as the table. */
struct ctcae_table {
	json_t *root;
	ctcae_term *terms;
	const char **symptom_store; /* every term's symptoms, one block */
	int count;
	const char *meddra_version;
};

static const char *const known_symptoms[] = {
	"redness", "swelling", "itching", "fever", "fatigue", "headache", "nausea", "allergic_reaction",
};

__attribute__((format(printf, 3, 4))) static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	if (err == NULL || errlen == 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static bool is_snake_case(const char *s)
{
	if (*s < 'a' || *s > 'z')
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	return true;
}

static bool is_meddra_code(const char *s)
{
	if (*s == '\0')
		return true; /* not known */
	size_t n = strlen(s);
	if (n != 8)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static bool is_known_symptom(const char *s)
{
	for (size_t i = 0; i < sizeof known_symptoms / sizeof known_symptoms[0]; i++)
		if (strcmp(s, known_symptoms[i]) == 0)
			return true;
	return false;
}

/* The non-empty string member key of obj, or NULL. */
static const char *text_member(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));
	return s != NULL && *s != '\0' ? s : NULL;
}

/* Fills term from its JSON object; on failure writes a reason that names the term. */
static int parse_term(const json_t *jt, int index, ctcae_term *term, const char ***symptom_next, char *err,
                      size_t errlen)
{
	if (!json_is_object(jt)) {
		set_err(err, errlen, "terms[%d]: not an object", index);
		return -1;
	}
	const char *code = text_member(jt, "code");
	if (code == NULL || !is_snake_case(code)) {
		set_err(err, errlen, "terms[%d]: \"code\" must be a snake_case string", index);
		return -1;
	}
	term->code = code;
	term->name_en = text_member(jt, "term");
	if (term->name_en == NULL) {
		set_err(err, errlen, "terms[%d] (%s): \"term\" (the CTCAE v5.0 term) is missing", index, code);
		return -1;
	}
	term->name_ja = text_member(jt, "ja");
	if (term->name_ja == NULL) {
		set_err(err, errlen, "terms[%d] (%s): \"ja\" (the Japanese name) is missing", index, code);
		return -1;
	}
	term->meddra_code = json_string_value(json_object_get(jt, "meddra_code"));
	if (term->meddra_code == NULL || !is_meddra_code(term->meddra_code)) {
		set_err(err, errlen, "terms[%d] (%s): \"meddra_code\" must be 8 digits or \"\"", index, code);
		return -1;
	}
	const json_t *soc = json_object_get(jt, "soc");
	term->soc_en = text_member(soc, "en");
	term->soc_ja = text_member(soc, "ja");
	if (term->soc_en == NULL || term->soc_ja == NULL) {
		set_err(err, errlen, "terms[%d] (%s): \"soc\" needs \"en\" and \"ja\"", index, code);
		return -1;
	}

	const json_t *grades = json_object_get(jt, "grades");
	if (!json_is_array(grades) || json_array_size(grades) == 0) {
		set_err(err, errlen, "terms[%d] (%s): \"grades\" must be a non-empty array", index, code);
		return -1;
	}
	size_t gi;
	const json_t *jg;
	json_array_foreach(grades, gi, jg) {
		const json_t *num = json_object_get(jg, "grade");
		if (!json_is_integer(num) || json_integer_value(num) < 1 || json_integer_value(num) > CTCAE_MAX_GRADE) {
			set_err(err, errlen, "terms[%d] (%s): grades[%zu].grade must be an integer 1–5", index, code, gi);
			return -1;
		}
		int g = (int)json_integer_value(num);
		if (term->grade_en[g] != NULL) {
			set_err(err, errlen, "terms[%d] (%s): grade %d is listed twice", index, code, g);
			return -1;
		}
		term->grade_en[g] = text_member(jg, "en");
		term->grade_ja[g] = text_member(jg, "ja");
		if (term->grade_en[g] == NULL || term->grade_ja[g] == NULL) {
			set_err(err, errlen, "terms[%d] (%s): grade %d needs \"en\" and \"ja\" descriptions", index, code, g);
			return -1;
		}
	}

	/* CTCAE grades are a contiguous range (1–3, 3–5, …), so "allowed grades lo–hi" is exact. */
	for (int g = 1, seen = 0, gap = 0; g <= CTCAE_MAX_GRADE; g++) {
		if (term->grade_en[g] == NULL) {
			gap = seen;
			continue;
		}
		if (gap) {
			set_err(err, errlen, "terms[%d] (%s): grades must be contiguous (grade %d follows a gap)", index, code, g);
			return -1;
		}
		seen = 1;
	}

	const json_t *symptoms = json_object_get(jt, "symptoms");
	if (!json_is_array(symptoms)) {
		set_err(err, errlen, "terms[%d] (%s): \"symptoms\" must be an array", index, code);
		return -1;
	}
	term->symptoms = *symptom_next;
	term->symptom_count = 0;
	size_t si;
	const json_t *js;
	json_array_foreach(symptoms, si, js) {
		const char *s = json_string_value(js);
		if (s == NULL || !is_known_symptom(s)) {
			set_err(err, errlen,
			        "terms[%d] (%s): symptoms[%zu] must be one of redness, swelling, itching, fever, fatigue, "
			        "headache, nausea, allergic_reaction",
			        index, code, si);
			return -1;
		}
		**symptom_next = s;
		(*symptom_next)++;
		term->symptom_count++;
	}
	return 0;
}

ctcae_table *ctcae_parse(const char *json_text, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *root = json_loads(json_text ? json_text : "", JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		set_err(err, errlen, "not valid JSON (line %d: %s)", jerr.line, jerr.text);
		return NULL;
	}
	const json_t *terms = json_object_get(root, "terms");
	if (!json_is_array(terms) || json_array_size(terms) == 0) {
		set_err(err, errlen, "\"terms\" must be a non-empty array");
		json_decref(root);
		return NULL;
	}
	const char *meddra_version = text_member(root, "meddra_version");
	if (meddra_version == NULL) {
		set_err(err, errlen, "\"meddra_version\" is missing");
		json_decref(root);
		return NULL;
	}

	size_t n = json_array_size(terms), symptom_total = 0;
	for (size_t i = 0; i < n; i++)
		symptom_total += json_array_size(json_object_get(json_array_get(terms, i), "symptoms"));
	ctcae_table *t = calloc(1, sizeof *t);
	if (t == NULL) {
		set_err(err, errlen, "out of memory");
		json_decref(root);
		return NULL;
	}
	t->root = root;
	t->meddra_version = meddra_version;
	t->terms = calloc(n, sizeof *t->terms);
	t->symptom_store = calloc(symptom_total + 1, sizeof *t->symptom_store);
	if (t->terms == NULL || t->symptom_store == NULL) {
		set_err(err, errlen, "out of memory");
		ctcae_free(t);
		return NULL;
	}
	const char **symptom_next = t->symptom_store;
	for (size_t i = 0; i < n; i++) {
		if (parse_term(json_array_get(terms, i), (int)i, &t->terms[i], &symptom_next, err, errlen) != 0) {
			ctcae_free(t);
			return NULL;
		}
		for (size_t j = 0; j < i; j++)
			if (strcmp(t->terms[j].code, t->terms[i].code) == 0) {
				set_err(err, errlen, "terms[%zu] (%s): the code is used twice", i, t->terms[i].code);
				ctcae_free(t);
				return NULL;
			}
		t->count++;
	}
	return t;
}

void ctcae_free(ctcae_table *t)
{
	if (t == NULL)
		return;
	free(t->terms);
	free(t->symptom_store);
	json_decref(t->root);
	free(t);
}

int ctcae_count(const ctcae_table *t)
{
	return t ? t->count : 0;
}

const ctcae_term *ctcae_at(const ctcae_table *t, int index)
{
	if (t == NULL || index < 0 || index >= t->count)
		return NULL;
	return &t->terms[index];
}

const ctcae_term *ctcae_find(const ctcae_table *t, const char *code)
{
	if (t == NULL || code == NULL)
		return NULL;
	for (int i = 0; i < t->count; i++)
		if (strcmp(t->terms[i].code, code) == 0)
			return &t->terms[i];
	return NULL;
}

const char *ctcae_meddra_version(const ctcae_table *t)
{
	return t ? t->meddra_version : NULL;
}

bool ctcae_grade_allowed(const ctcae_term *term, int grade)
{
	return term != NULL && grade >= 1 && grade <= CTCAE_MAX_GRADE && term->grade_en[grade] != NULL;
}

bool ctcae_term_has_symptom(const ctcae_term *term, const char *symptom)
{
	if (term == NULL || symptom == NULL)
		return false;
	for (int i = 0; i < term->symptom_count; i++)
		if (strcmp(term->symptoms[i], symptom) == 0)
			return true;
	return false;
}

int ctcae_check(const ctcae_table *t, const char *code, int grade, char *err, size_t errlen)
{
	const ctcae_term *term = ctcae_find(t, code);
	if (term == NULL) {
		set_err(err, errlen, "%s: not a CTCAE term exosafe knows", code ? code : "(no term)");
		return -1;
	}
	if (ctcae_grade_allowed(term, grade))
		return 0;
	int lo = 0, hi = 0;
	for (int g = 1; g <= CTCAE_MAX_GRADE; g++)
		if (term->grade_en[g] != NULL) {
			if (lo == 0)
				lo = g;
			hi = g;
		}
	if (lo == hi)
		set_err(err, errlen, "%s (%s): grade %d is not defined; the only grade is %d", term->name_en, term->code,
		        grade, lo);
	else
		set_err(err, errlen, "%s (%s): grade %d is not defined; allowed grades %d–%d", term->name_en, term->code,
		        grade, lo, hi);
	return -1;
}
