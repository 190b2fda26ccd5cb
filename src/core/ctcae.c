#include "core/ctcae.h"

#include <csv.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/field_check.h"
#include "core/growth.h"
#include "core/text.h"

/* Strings for the catalogue, in blocks that never move. */
typedef struct text_block {
	struct text_block *next;
	size_t used, size;
	char data[];
} text_block;

/* Search keys of one term: its names folded for matching (see fold_key). */
typedef struct term_keys {
	char *en, *ja, *code;
} term_keys;

/* Common terms' strings are borrowed from the parsed document, which lives as long as the
 * table; the catalogue's are in blocks. */
struct ctcae_table {
	json_t *root;
	ctcae_term *terms;
	const char **symptom_store; /* every term's symptoms, one block */
	int count;
	const char *meddra_version;

	ctcae_term *extra;          /* catalogue terms outside the common list */
	int extra_count;
	const ctcae_term **catalogue; /* every catalogue term in NCI's order, NULL until added */
	int catalogue_count;
	term_keys *keys;            /* per catalogue_at index, or per common term without one */
	text_block *blocks;
};

static term_keys *make_keys(const ctcae_term *const *list, int n);
static void free_keys(term_keys *keys, int n);

static const char *const known_symptoms[] = {
	"redness", "swelling", "itching", "fever", "fatigue", "headache", "nausea", "allergic_reaction",
};

static bool is_snake_case(const char *s)
{
	if (*s < 'a' || *s > 'z')
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	return true;
}

bool ctcae_meddra_code_valid(const char *s)
{
	if (s == NULL || strlen(s) != 8)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static bool is_meddra_code(const char *s)
{
	return *s == '\0' /* not known */ || ctcae_meddra_code_valid(s);
}

/* "jcog" or "clinic" from member key of obj, def when absent; NULL when it is something else. */
static const char *ja_source_member(const json_t *obj, const char *key, const char *def)
{
	const json_t *v = json_object_get(obj, key);
	if (v == NULL)
		return def;
	const char *s = json_string_value(v);
	if (s != NULL && strcmp(s, "jcog") == 0)
		return "jcog";
	if (s != NULL && strcmp(s, "clinic") == 0)
		return "clinic";
	return NULL;
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

/* The term's "grades": each grade 1–5 at most once, with its English and Japanese text and
 * where the Japanese came from (the term's own source unless the grade names one). */
static int parse_grades(const json_t *jt, int index, const char *code, ctcae_term *term, char *err, size_t errlen)
{
	const json_t *grades = json_object_get(jt, "grades");
	if (!json_is_array(grades) || json_array_size(grades) == 0) {
		field_err(err, errlen, "terms[%d] (%s): \"grades\" must be a non-empty array", index, code);
		return -1;
	}
	size_t gi;
	const json_t *jg;
	json_array_foreach(grades, gi, jg) {
		const json_t *num = json_object_get(jg, "grade");
		if (!json_is_integer(num) || json_integer_value(num) < 1 || json_integer_value(num) > CTCAE_MAX_GRADE) {
			field_err(err, errlen, "terms[%d] (%s): grades[%zu].grade must be an integer 1–5", index, code, gi);
			return -1;
		}
		int g = (int)json_integer_value(num);
		if (term->grade_en[g] != NULL) {
			field_err(err, errlen, "terms[%d] (%s): grade %d is listed twice", index, code, g);
			return -1;
		}
		term->grade_en[g] = text_member(jg, "en");
		term->grade_ja[g] = text_member(jg, "ja");
		if (term->grade_en[g] == NULL || term->grade_ja[g] == NULL) {
			field_err(err, errlen, "terms[%d] (%s): grade %d needs \"en\" and \"ja\" descriptions", index, code, g);
			return -1;
		}
		term->grade_ja_source[g] = ja_source_member(jg, "ja_source", term->name_ja_source);
		if (term->grade_ja_source[g] == NULL) {
			field_err(err, errlen, "terms[%d] (%s): grade %d \"ja_source\" must be \"jcog\" or \"clinic\"", index,
			        code, g);
			return -1;
		}
	}
	return 0;
}

/* The term's "symptoms" (the seed's checklist words), appended at *symptom_next. */
static int parse_symptoms(const json_t *jt, int index, const char *code, ctcae_term *term,
                          const char ***symptom_next, char *err, size_t errlen)
{
	const json_t *symptoms = json_object_get(jt, "symptoms");
	if (!json_is_array(symptoms)) {
		field_err(err, errlen, "terms[%d] (%s): \"symptoms\" must be an array", index, code);
		return -1;
	}
	term->symptoms = *symptom_next;
	term->symptom_count = 0;
	size_t si;
	const json_t *js;
	json_array_foreach(symptoms, si, js) {
		const char *s = json_string_value(js);
		if (s == NULL || !is_known_symptom(s)) {
			field_err(err, errlen,
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

/* Fills term from its JSON object; on failure writes a reason that names the term. */
static int parse_term(const json_t *jt, int index, ctcae_term *term, const char ***symptom_next, char *err,
                      size_t errlen)
{
	if (!json_is_object(jt)) {
		field_err(err, errlen, "terms[%d]: not an object", index);
		return -1;
	}
	const char *code = text_member(jt, "code");
	if (code == NULL || !is_snake_case(code)) {
		field_err(err, errlen, "terms[%d]: \"code\" must be a snake_case string", index);
		return -1;
	}
	term->code = code;
	term->name_en = text_member(jt, "term");
	if (term->name_en == NULL) {
		field_err(err, errlen, "terms[%d] (%s): \"term\" (the CTCAE v5.0 term) is missing", index, code);
		return -1;
	}
	term->name_ja = text_member(jt, "ja");
	if (term->name_ja == NULL) {
		field_err(err, errlen, "terms[%d] (%s): \"ja\" (the Japanese name) is missing", index, code);
		return -1;
	}
	term->name_ja_source = ja_source_member(jt, "ja_source", "clinic");
	if (term->name_ja_source == NULL) {
		field_err(err, errlen, "terms[%d] (%s): \"ja_source\" must be \"jcog\" or \"clinic\"", index, code);
		return -1;
	}
	term->common = true;
	term->meddra_code = json_string_value(json_object_get(jt, "meddra_code"));
	if (term->meddra_code == NULL || !is_meddra_code(term->meddra_code)) {
		field_err(err, errlen, "terms[%d] (%s): \"meddra_code\" must be 8 digits or \"\"", index, code);
		return -1;
	}
	const json_t *soc = json_object_get(jt, "soc");
	term->soc_en = text_member(soc, "en");
	term->soc_ja = text_member(soc, "ja");
	if (term->soc_en == NULL || term->soc_ja == NULL) {
		field_err(err, errlen, "terms[%d] (%s): \"soc\" needs \"en\" and \"ja\"", index, code);
		return -1;
	}

	if (parse_grades(jt, index, code, term, err, errlen) != 0)
		return -1;
	return parse_symptoms(jt, index, code, term, symptom_next, err, errlen);
}

ctcae_table *ctcae_parse(const char *json_text, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *root = json_loads(json_text ? json_text : "", JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		field_err(err, errlen, "not valid JSON (line %d: %s)", jerr.line, jerr.text);
		return NULL;
	}
	const json_t *terms = json_object_get(root, "terms");
	if (!json_is_array(terms) || json_array_size(terms) == 0) {
		field_err(err, errlen, "\"terms\" must be a non-empty array");
		json_decref(root);
		return NULL;
	}
	const char *meddra_version = text_member(root, "meddra_version");
	if (meddra_version == NULL) {
		field_err(err, errlen, "\"meddra_version\" is missing");
		json_decref(root);
		return NULL;
	}

	size_t n = json_array_size(terms), symptom_total = 0;
	for (size_t i = 0; i < n; i++)
		symptom_total += json_array_size(json_object_get(json_array_get(terms, i), "symptoms"));
	ctcae_table *t = calloc(1, sizeof *t);
	if (t == NULL) {
		field_err(err, errlen, "out of memory");
		json_decref(root);
		return NULL;
	}
	t->root = root;
	t->meddra_version = meddra_version;
	t->terms = calloc(n, sizeof *t->terms);
	t->symptom_store = calloc(symptom_total + 1, sizeof *t->symptom_store);
	if (t->terms == NULL || t->symptom_store == NULL) {
		field_err(err, errlen, "out of memory");
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
				field_err(err, errlen, "terms[%zu] (%s): the code is used twice", i, t->terms[i].code);
				ctcae_free(t);
				return NULL;
			}
		t->count++;
	}
	const ctcae_term **list = malloc((size_t)n * sizeof *list);
	for (size_t i = 0; list != NULL && i < n; i++)
		list[i] = &t->terms[i];
	t->keys = list ? make_keys(list, (int)n) : NULL;
	free(list);
	if (t->keys == NULL) {
		field_err(err, errlen, "out of memory (or a name is not valid UTF-8)");
		ctcae_free(t);
		return NULL;
	}
	return t;
}

static void free_keys(term_keys *keys, int n)
{
	for (int i = 0; keys != NULL && i < n; i++) {
		free(keys[i].en);
		free(keys[i].ja);
		free(keys[i].code);
	}
	free(keys);
}

static void free_blocks(text_block *b)
{
	while (b != NULL) {
		text_block *next = b->next;
		free(b);
		b = next;
	}
}

void ctcae_free(ctcae_table *t)
{
	if (t == NULL)
		return;
	free_keys(t->keys, t->catalogue ? t->catalogue_count : t->count);
	free(t->catalogue);
	free(t->extra);
	free_blocks(t->blocks);
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

int ctcae_catalogue_count(const ctcae_table *t)
{
	if (t == NULL)
		return 0;
	return t->catalogue ? t->catalogue_count : t->count;
}

const ctcae_term *ctcae_catalogue_at(const ctcae_table *t, int index)
{
	if (t == NULL || index < 0 || index >= ctcae_catalogue_count(t))
		return NULL;
	return t->catalogue ? t->catalogue[index] : &t->terms[index];
}

const ctcae_term *ctcae_find(const ctcae_table *t, const char *code)
{
	if (t == NULL || code == NULL)
		return NULL;
	for (int i = 0; i < t->count; i++)
		if (strcmp(t->terms[i].code, code) == 0)
			return &t->terms[i];
	for (int i = 0; i < t->extra_count; i++)
		if (strcmp(t->extra[i].code, code) == 0)
			return &t->extra[i];
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

bool ctcae_is_other_specify(const ctcae_term *term)
{
	static const char suffix[] = " - Other, specify";
	if (term == NULL || term->name_en == NULL)
		return false;
	size_t n = strlen(term->name_en), k = sizeof suffix - 1;
	return n > k && strcmp(term->name_en + n - k, suffix) == 0;
}

int ctcae_check(const ctcae_table *t, const char *code, int grade, char *err, size_t errlen)
{
	const ctcae_term *term = ctcae_find(t, code);
	if (term == NULL) {
		field_err(err, errlen, "%s: not a CTCAE term exosafe knows", code ? code : "(no term)");
		return -1;
	}
	if (ctcae_grade_allowed(term, grade))
		return 0;
	int lo = 0, hi = 0, n = 0;
	char list[32] = "";
	for (int g = 1; g <= CTCAE_MAX_GRADE; g++)
		if (term->grade_en[g] != NULL) {
			if (lo == 0)
				lo = g;
			hi = g;
			size_t used = strlen(list);
			snprintf(list + used, sizeof list - used, "%s%d", n++ ? ", " : "", g);
		}
	if (lo == hi)
		field_err(err, errlen, "%s (%s): grade %d is not defined; the only grade is %d", term->name_en, term->code,
		        grade, lo);
	else if (hi - lo + 1 == n)
		field_err(err, errlen, "%s (%s): grade %d is not defined; allowed grades %d–%d", term->name_en, term->code,
		        grade, lo, hi);
	else /* NCI leaves gaps (Eosinophilia: 1 and 3) */
		field_err(err, errlen, "%s (%s): grade %d is not defined; allowed grades %s", term->name_en, term->code, grade,
		        list);
	return -1;
}

/* ---- the NCI catalogue ---- */

#define CATALOGUE_COLUMNS 11
#define CATALOGUE_MAX_TERMS 2000
#define BLOCK_SIZE 65536

/* A copy of s[0..n) in t's blocks, or NULL when memory runs out. */
static char *block_strndup(text_block **blocks, const char *s, size_t n)
{
	text_block *b = *blocks;
	if (b == NULL || b->size - b->used < n + 1) {
		size_t size = n + 1 > BLOCK_SIZE ? n + 1 : BLOCK_SIZE;
		b = malloc(sizeof *b + size);
		if (b == NULL)
			return NULL;
		b->next = *blocks;
		b->used = 0;
		b->size = size;
		*blocks = b;
	}
	char *copy = b->data + b->used;
	memcpy(copy, s, n);
	copy[n] = '\0';
	b->used += n + 1;
	return copy;
}

typedef struct catalogue_reader {
	text_block *blocks;
	ctcae_term *rows;
	int count;
	size_t cap;
	char *fields[CATALOGUE_COLUMNS];
	int field;               /* fields of the current record so far */
	int record;              /* records read, header included */
	bool failed;
	char *err;
	size_t errlen;
} catalogue_reader;

static void catalogue_fail(catalogue_reader *r, const char *why)
{
	if (!r->failed)
		field_err(r->err, r->errlen, "record %d (the header is 1): %s", r->record, why);
	r->failed = true;
}

static void on_catalogue_field(void *data, size_t len, void *ctx)
{
	catalogue_reader *r = ctx;
	if (r->failed)
		return;
	if (r->field >= CATALOGUE_COLUMNS) {
		r->field++;
		return;
	}
	char *copy = block_strndup(&r->blocks, data ? data : "", data ? len : 0);
	if (copy == NULL) {
		catalogue_fail(r, "out of memory");
		return;
	}
	/* Line breaks inside a cell (Hypertension's Adult/Pediatric parts) are CRLF in the file;
	 * kept as LF, like every other text exosafe holds. */
	char *w = copy;
	for (const char *p = copy; *p; p++)
		if (!(p[0] == '\r' && p[1] == '\n'))
			*w++ = *p;
	*w = '\0';
	r->fields[r->field++] = copy;
}

/* NCI's cell for "not defined" is " -"; R's NA marks an empty cell. */
static const char *defined_or_null(const char *cell)
{
	const char *s = cell;
	while (*s == ' ')
		s++;
	return strcmp(s, "-") == 0 || strcmp(cell, "NA") == 0 || *s == '\0' ? NULL : cell;
}

/* The code of a catalogue term: its English name in lower case, other characters as single
 * underscores ("Rash maculo-papular" → "rash_maculo_papular"). */
static char *code_from_name(text_block **blocks, const char *name)
{
	char buf[256];
	size_t n = 0;
	bool gap = false;
	for (const char *p = name; *p && n + 2 < sizeof buf; p++) {
		char c = *p;
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
			if (gap && n > 0)
				buf[n++] = '_';
			buf[n++] = c;
			gap = false;
		} else
			gap = true;
	}
	if (n == 0 || buf[0] < 'a' || buf[0] > 'z')
		return NULL;
	return block_strndup(blocks, buf, n);
}

static void on_catalogue_record(int terminator, void *ctx)
{
	catalogue_reader *r = ctx;
	(void)terminator;
	if (r->failed)
		return;
	r->record++;
	int fields = r->field;
	r->field = 0;
	if (fields != CATALOGUE_COLUMNS) {
		char why[80];
		snprintf(why, sizeof why, "%d columns, expected %d", fields, CATALOGUE_COLUMNS);
		catalogue_fail(r, why);
		return;
	}
	if (r->record == 1) {
		if (strcmp(r->fields[0], "MedDRA.Code") != 0 || strcmp(r->fields[2], "CTCAE.Term") != 0)
			catalogue_fail(r, "the header is not NCI's (MedDRA.Code, MedDRA.SOC, CTCAE.Term, Grade 1–5, …)");
		return;
	}
	if ((size_t)r->count == r->cap && r->cap >= CATALOGUE_MAX_TERMS) {
		catalogue_fail(r, "too many terms");
		return;
	}
	ctcae_term *grown = growth_reserve(r->rows, &r->cap, (size_t)r->count + 1, sizeof *grown);
	if (grown == NULL) {
		catalogue_fail(r, "out of memory");
		return;
	}
	r->rows = grown;
	ctcae_term *term = &r->rows[r->count];
	memset(term, 0, sizeof *term);
	term->meddra_code = r->fields[0];
	term->soc_en = r->fields[1];
	term->name_en = r->fields[2];
	term->definition = defined_or_null(r->fields[8]);
	int defined = 0;
	for (int g = 1; g <= CTCAE_MAX_GRADE; g++) {
		term->grade_en[g] = defined_or_null(r->fields[2 + g]);
		defined += term->grade_en[g] != NULL;
	}
	if (!ctcae_meddra_code_valid(term->meddra_code))
		catalogue_fail(r, "MedDRA.Code must be 8 digits");
	else if (*term->soc_en == '\0' || *term->name_en == '\0')
		catalogue_fail(r, "MedDRA.SOC and CTCAE.Term must not be empty");
	else if (defined == 0)
		catalogue_fail(r, "the term defines no grade");
	else if ((term->code = code_from_name(&r->blocks, term->name_en)) == NULL)
		catalogue_fail(r, "CTCAE.Term must start with a letter");
	else
		r->count++;
}

/* Checks common term c against its catalogue row; on a difference writes which. */
static int check_common(const ctcae_term *c, int index, const ctcae_term *row, char *err, size_t errlen)
{
	if (strcmp(c->meddra_code, row->meddra_code) != 0) {
		field_err(err, errlen, "terms[%d] (%s): meddra_code \"%s\" differs from NCI CTCAE v5.0 (%s)", index, c->code,
		        c->meddra_code, row->meddra_code);
		return -1;
	}
	if (strcmp(c->soc_en, row->soc_en) != 0) {
		field_err(err, errlen, "terms[%d] (%s): soc.en differs from NCI CTCAE v5.0 (%s)", index, c->code, row->soc_en);
		return -1;
	}
	for (int g = 1; g <= CTCAE_MAX_GRADE; g++) {
		if ((c->grade_en[g] == NULL) != (row->grade_en[g] == NULL)) {
			field_err(err, errlen, "terms[%d] (%s): grade %d is %s in NCI CTCAE v5.0", index, c->code, g,
			        row->grade_en[g] ? "defined" : "not defined");
			return -1;
		}
		if (c->grade_en[g] != NULL && strcmp(c->grade_en[g], row->grade_en[g]) != 0) {
			field_err(err, errlen, "terms[%d] (%s): grade %d text differs from NCI CTCAE v5.0", index, c->code, g);
			return -1;
		}
	}
	return 0;
}

static char *fold_key(const char *s);

/* Makes the search keys of the n terms at list. */
static term_keys *make_keys(const ctcae_term *const *list, int n)
{
	term_keys *keys = calloc((size_t)(n ? n : 1), sizeof *keys);
	if (keys == NULL)
		return NULL;
	for (int i = 0; i < n; i++) {
		keys[i].en = fold_key(list[i]->name_en);
		keys[i].code = fold_key(list[i]->code);
		keys[i].ja = list[i]->name_ja ? fold_key(list[i]->name_ja) : NULL;
		if (keys[i].en == NULL || keys[i].code == NULL || (list[i]->name_ja && keys[i].ja == NULL)) {
			free_keys(keys, n);
			return NULL;
		}
	}
	return keys;
}

int ctcae_add_catalogue(ctcae_table *t, const char *csv_text, size_t len, char *err, size_t errlen)
{
	if (t == NULL || csv_text == NULL || t->catalogue != NULL) {
		field_err(err, errlen, "the catalogue is missing or already added");
		return -1;
	}
	catalogue_reader r = {.err = err, .errlen = errlen};
	struct csv_parser parser;
	if (csv_init(&parser, CSV_STRICT | CSV_STRICT_FINI) != 0) {
		field_err(err, errlen, "out of memory");
		return -1;
	}
	if (csv_parse(&parser, csv_text, len, on_catalogue_field, on_catalogue_record, &r) != len ||
	    csv_fini(&parser, on_catalogue_field, on_catalogue_record, &r) != 0)
		catalogue_fail(&r, csv_error(&parser) == CSV_ENOMEM ? "out of memory" : "not valid CSV (a stray quote?)");
	csv_free(&parser);
	if (!r.failed && r.count == 0)
		catalogue_fail(&r, "no terms");

	/* Each row is a common term (matched by its English name, which NCI keeps unique) or an
	 * extra one; every common term must be found. */
	const ctcae_term **catalogue = r.failed ? NULL : calloc((size_t)r.count, sizeof *catalogue);
	ctcae_term *extra = r.failed ? NULL : calloc((size_t)r.count, sizeof *extra);
	int *row_of = r.failed ? NULL : malloc((size_t)(t->count ? t->count : 1) * sizeof *row_of);
	int extra_count = 0;
	if (!r.failed && (catalogue == NULL || extra == NULL || row_of == NULL))
		catalogue_fail(&r, "out of memory");
	for (int c = 0; row_of != NULL && c < t->count; c++)
		row_of[c] = -1;
	for (int i = 0; !r.failed && i < r.count; i++) {
		const ctcae_term *row = &r.rows[i];
		int common = -1;
		for (int c = 0; c < t->count && common < 0; c++)
			if (strcmp(t->terms[c].name_en, row->name_en) == 0)
				common = c;
		if (common >= 0) {
			if (check_common(&t->terms[common], common, row, err, errlen) != 0) {
				r.failed = true;
				break;
			}
			row_of[common] = i;
			catalogue[i] = &t->terms[common];
			continue;
		}
		const char *clash = ctcae_find(t, row->code) ? row->code : NULL;
		for (int k = 0; k < extra_count && clash == NULL; k++)
			if (strcmp(extra[k].code, row->code) == 0)
				clash = row->code;
		if (clash) {
			field_err(err, errlen, "catalogue term %s: the code %s is taken", row->name_en, clash);
			r.failed = true;
			break;
		}
		extra[extra_count] = *row;
		catalogue[i] = &extra[extra_count++];
	}
	for (int c = 0; !r.failed && c < t->count; c++)
		if (row_of[c] < 0) {
			field_err(err, errlen, "terms[%d] (%s): \"%s\" is not a term of NCI CTCAE v5.0", c, t->terms[c].code,
			        t->terms[c].name_en);
			r.failed = true;
		}
	term_keys *keys = NULL;
	if (!r.failed) {
		/* extra was filled in catalogue order, so catalogue[] already points at its final place. */
		keys = make_keys(catalogue, r.count);
		if (keys == NULL) {
			field_err(err, errlen, "out of memory");
			r.failed = true;
		}
	}
	if (r.failed) {
		free(row_of);
		free(r.rows);
		free(catalogue);
		free(extra);
		free_blocks(r.blocks);
		return -1;
	}
	/* The common terms learn NCI's definitions. */
	for (int c = 0; c < t->count; c++)
		t->terms[c].definition = r.rows[row_of[c]].definition;
	free(row_of);
	free(r.rows);
	free_keys(t->keys, t->count);
	t->keys = keys;
	t->catalogue = catalogue;
	t->catalogue_count = r.count;
	t->extra = extra;
	t->extra_count = extra_count;
	t->blocks = r.blocks;
	return 0;
}

/* ---- search ---- */

/* A name as the search compares it: NFKC-normalised, ASCII letters in lower case, ASCII
 * spaces and punctuation left out ("Rash maculo-papular" → "rashmaculopapular", "ＥＤＥＭＡ"
 * → "edema"); other characters (Japanese) kept. NULL when s is not valid UTF-8 or memory runs
 * out. The caller frees. */
static char *fold_key(const char *s)
{
	char *n = text_normalize(s);
	if (n == NULL)
		return NULL;
	char *w = n;
	for (const char *p = n; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c >= 'A' && c <= 'Z')
			*w++ = (char)(c - 'A' + 'a');
		else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80)
			*w++ = (char)c;
	}
	*w = '\0';
	return n;
}

/* 0 exact, 1 prefix, 2 contains, -1 no match. */
static int match_rank(const char *key, const char *q)
{
	if (key == NULL)
		return -1;
	if (strcmp(key, q) == 0)
		return 0;
	if (strncmp(key, q, strlen(q)) == 0)
		return 1;
	return strstr(key, q) != NULL ? 2 : -1;
}

typedef struct search_hit {
	int rank, other, index; /* other: 0 for common terms */
} search_hit;

static int compare_hits(const void *pa, const void *pb)
{
	const search_hit *a = pa, *b = pb;
	if (a->rank != b->rank)
		return a->rank - b->rank;
	if (a->other != b->other)
		return a->other - b->other;
	return a->index - b->index;
}

int ctcae_search(const ctcae_table *t, const char *query, const ctcae_term **out, int max)
{
	if (t == NULL || query == NULL || t->keys == NULL)
		return -1;
	char *q = fold_key(query);
	if (q == NULL || *q == '\0') {
		free(q);
		return -1;
	}
	int n = ctcae_catalogue_count(t), found = 0;
	search_hit *hits = malloc((size_t)(n ? n : 1) * sizeof *hits);
	if (hits == NULL) {
		free(q);
		return -1;
	}
	bool by_code = ctcae_meddra_code_valid(q);
	for (int i = 0; i < n; i++) {
		const ctcae_term *term = ctcae_catalogue_at(t, i);
		const term_keys *k = &t->keys[i];
		int rank = -1;
		if (by_code)
			rank = strcmp(term->meddra_code, q) == 0 ? 0 : -1;
		else {
			const int ranks[] = {match_rank(k->en, q), match_rank(k->ja, q), match_rank(k->code, q)};
			for (size_t r = 0; r < sizeof ranks / sizeof ranks[0]; r++)
				if (ranks[r] >= 0 && (rank < 0 || ranks[r] < rank))
					rank = ranks[r];
		}
		if (rank >= 0)
			hits[found++] = (search_hit){rank, term->common ? 0 : 1, i};
	}
	qsort(hits, (size_t)found, sizeof *hits, compare_hits);
	for (int i = 0; i < found && i < max; i++)
		out[i] = ctcae_catalogue_at(t, hits[i].index);
	free(hits);
	free(q);
	return found;
}
