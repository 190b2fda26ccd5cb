/* The intake catalogue: every questionnaire, rule set and consent text under the data
 * folder, loaded and checked once at start-up (see intake_catalog.h).
 *
 * Files are read in name order so errors are reproducible. Questionnaires load first, since
 * each rule file is checked against the questionnaire version it names. Nothing is kept
 * from a load that fails. */
#include "service/intake_catalog.h"

#include <dirent.h>
#include <errno.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/text.h"

#define CATALOG_MAX_FILE (4L * 1024 * 1024)
#define CATALOG_MAX_FILES 1000

typedef struct rules_entry {
	const questionnaire *q;
	screening_rules *rules;
} rules_entry;

struct intake_catalog {
	questionnaire **questionnaires;
	size_t n_questionnaires;
	rules_entry *rules;
	size_t n_rules;
	consent_text **consents;
	size_t n_consents;
};

__attribute__((format(printf, 4, 5))) static int report(char *err, size_t errlen, const char *path, const char *fmt,
                                                        ...)
{
	char reason[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof reason, fmt, ap);
	va_end(ap);
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s: %s", path, reason);
	return -1;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_names(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* Lists the *.json files of dir (no hidden files), sorted. Returns 0, or -1 with err set. */
static int list_json(const char *dir, char ***names_out, size_t *n_out, char *err, size_t errlen)
{
	*names_out = NULL;
	*n_out = 0;
	DIR *d = opendir(dir);
	if (d == NULL)
		return report(err, errlen, dir, "cannot open the folder: %s", strerror(errno));
	char **names = NULL;
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		if (e->d_name[0] == '.' || len < 6 || strcmp(e->d_name + len - 5, ".json") != 0)
			continue;
		if (n == CATALOG_MAX_FILES) {
			closedir(d);
			free_names(names, n);
			return report(err, errlen, dir, "more than %d files", CATALOG_MAX_FILES);
		}
		char **grown = realloc(names, (n + 1) * sizeof *names);
		char *copy = strdup(e->d_name);
		if (grown == NULL || copy == NULL) {
			free(copy);
			closedir(d);
			free_names(grown != NULL ? grown : names, n);
			return report(err, errlen, dir, "out of memory");
		}
		names = grown;
		names[n++] = copy;
	}
	closedir(d);
	if (n > 0)
		qsort(names, n, sizeof *names, compare_names);
	*names_out = names;
	*n_out = n;
	return 0;
}

/* Reads a whole text file. Returns a NUL-terminated buffer the caller frees, or NULL with
 * err set. */
static char *read_text(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		report(err, errlen, path, "cannot open: %s", strerror(errno));
		return NULL;
	}
	char *buf = malloc(CATALOG_MAX_FILE + 1);
	if (buf == NULL) {
		fclose(f);
		report(err, errlen, path, "out of memory");
		return NULL;
	}
	size_t n = fread(buf, 1, CATALOG_MAX_FILE + 1, f);
	int bad = ferror(f);
	fclose(f);
	if (bad || n > CATALOG_MAX_FILE) {
		free(buf);
		if (bad)
			report(err, errlen, path, "read error");
		else
			report(err, errlen, path, "larger than %ld bytes", CATALOG_MAX_FILE);
		return NULL;
	}
	buf[n] = '\0';
	if (strlen(buf) != n) {
		free(buf);
		report(err, errlen, path, "contains a NUL byte");
		return NULL;
	}
	return buf;
}

static void consent_free(consent_text *t)
{
	if (t == NULL)
		return;
	free(t->title_ja);
	free(t->title_en);
	free(t->text_ja);
	free(t->text_en);
	free(t->changes_ja);
	free(t->changes_en);
	free(t);
}

void intake_catalog_free(intake_catalog *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n_rules; i++)
		screening_free(c->rules[i].rules);
	free(c->rules);
	for (size_t i = 0; i < c->n_questionnaires; i++)
		questionnaire_free(c->questionnaires[i]);
	free(c->questionnaires);
	for (size_t i = 0; i < c->n_consents; i++)
		consent_free(c->consents[i]);
	free(c->consents);
	free(c);
}

static int load_questionnaire(intake_catalog *c, const char *path, const char *text, char *err, size_t errlen)
{
	char why[512];
	questionnaire *q = questionnaire_parse(text, why, sizeof why);
	if (q == NULL)
		return report(err, errlen, path, "%s", why);
	if (intake_questionnaire(c, questionnaire_id(q), questionnaire_version(q)) != NULL) {
		report(err, errlen, path, "questionnaire %s version %d is defined twice", questionnaire_id(q),
		       questionnaire_version(q));
		questionnaire_free(q);
		return -1;
	}
	questionnaire **grown = realloc(c->questionnaires, (c->n_questionnaires + 1) * sizeof *grown);
	if (grown == NULL) {
		questionnaire_free(q);
		return report(err, errlen, path, "out of memory");
	}
	c->questionnaires = grown;
	c->questionnaires[c->n_questionnaires++] = q;
	return 0;
}

static int load_rules(intake_catalog *c, const char *path, const char *text, char *err, size_t errlen)
{
	/* Peek at which questionnaire the rules are for; screening_parse checks the rest. */
	json_error_t jerr;
	json_t *root = json_loads(text, 0, &jerr);
	if (root == NULL)
		return report(err, errlen, path, "invalid JSON at line %d: %s", jerr.line, jerr.text);
	const char *qid = json_string_value(json_object_get(root, "questionnaire"));
	const json_t *qver = json_object_get(root, "questionnaire_version");
	const questionnaire *q = NULL;
	if (qid != NULL && json_is_integer(qver))
		q = intake_questionnaire(c, qid, (int)json_integer_value(qver));
	if (q == NULL) {
		if (qid == NULL || !json_is_integer(qver))
			report(err, errlen, path, "\"questionnaire\" (id) and \"questionnaire_version\" (integer) are required");
		else
			report(err, errlen, path, "names questionnaire %s version %lld, which the data folder does not have", qid,
			       (long long)json_integer_value(qver));
		json_decref(root);
		return -1;
	}
	json_decref(root);
	if (intake_rules_for(c, q) != NULL)
		return report(err, errlen, path, "questionnaire %s version %d already has screening rules",
		              questionnaire_id(q), questionnaire_version(q));
	char why[512];
	screening_rules *r = screening_parse(text, q, why, sizeof why);
	if (r == NULL)
		return report(err, errlen, path, "%s", why);
	rules_entry *grown = realloc(c->rules, (c->n_rules + 1) * sizeof *grown);
	if (grown == NULL) {
		screening_free(r);
		return report(err, errlen, path, "out of memory");
	}
	c->rules = grown;
	c->rules[c->n_rules++] = (rules_entry){.q = q, .rules = r};
	return 0;
}

static int bilingual_text(const json_t *obj, const char *lang, char **out)
{
	const char *s = json_string_value(json_object_get(obj, lang));
	if (s == NULL || *s == '\0' || !text_is_clean(s, 1))
		return -1;
	*out = strdup(s);
	return *out == NULL ? -1 : 0;
}

static void hash_hex(const char *text, char out[65])
{
	unsigned char digest[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(digest, (const unsigned char *)text, strlen(text));
	sodium_bin2hex(out, 65, digest, sizeof digest);
}

static int load_consent(intake_catalog *c, const char *path, const char *text, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *root = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL)
		return report(err, errlen, path, "invalid JSON at line %d: %s", jerr.line, jerr.text);
	consent_text *t = calloc(1, sizeof *t);
	const char *id = json_string_value(json_object_get(root, "id"));
	const json_t *version = json_object_get(root, "version");
	const char *problem = NULL;
	if (t == NULL)
		problem = "out of memory";
	else if (id == NULL || *id == '\0' || strlen(id) >= sizeof t->id)
		problem = "id must be a string of 1 to 63 characters";
	else if (!json_is_integer(version) || json_integer_value(version) < 1 || json_integer_value(version) > 1000000)
		problem = "version must be a positive integer";
	else if (bilingual_text(json_object_get(root, "title"), "ja", &t->title_ja) != 0 ||
	         bilingual_text(json_object_get(root, "title"), "en", &t->title_en) != 0)
		problem = "title needs non-empty \"ja\" and \"en\" without control characters";
	else if (bilingual_text(json_object_get(root, "text"), "ja", &t->text_ja) != 0 ||
	         bilingual_text(json_object_get(root, "text"), "en", &t->text_en) != 0)
		problem = "text needs non-empty \"ja\" and \"en\" without control characters";
	else if (json_integer_value(version) == 1 && json_object_get(root, "changes") != NULL)
		problem = "changes: version 1 has no previous version to compare with";
	else if (json_integer_value(version) > 1 &&
	         (bilingual_text(json_object_get(root, "changes"), "ja", &t->changes_ja) != 0 ||
	          bilingual_text(json_object_get(root, "changes"), "en", &t->changes_en) != 0))
		problem = "changes (what changed from the previous version) needs non-empty \"ja\" and \"en\" "
		          "without control characters";
	else if (intake_consent(c, id, (int)json_integer_value(version)) != NULL)
		problem = "this consent id and version are defined twice";
	if (problem != NULL) {
		consent_free(t);
		json_decref(root);
		return report(err, errlen, path, "%s", problem);
	}
	snprintf(t->id, sizeof t->id, "%s", id);
	t->version = (int)json_integer_value(version);
	json_decref(root);
	hash_hex(t->text_ja, t->sha256_ja);
	hash_hex(t->text_en, t->sha256_en);
	consent_text **grown = realloc(c->consents, (c->n_consents + 1) * sizeof *grown);
	if (grown == NULL) {
		consent_free(t);
		return report(err, errlen, path, "out of memory");
	}
	c->consents = grown;
	c->consents[c->n_consents++] = t;
	return 0;
}

typedef int (*loader)(intake_catalog *c, const char *path, const char *text, char *err, size_t errlen);

static int load_folder(intake_catalog *c, const char *data_dir, const char *sub, loader load, char *err,
                       size_t errlen)
{
	char dir[4096];
	if ((size_t)snprintf(dir, sizeof dir, "%s/%s", data_dir, sub) >= sizeof dir)
		return report(err, errlen, data_dir, "path too long");
	char **names;
	size_t n;
	if (list_json(dir, &names, &n, err, errlen) != 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char path[4096 + 256];
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		char *text = read_text(path, err, errlen);
		if (text == NULL || load(c, path, text, err, errlen) != 0) {
			free(text);
			free_names(names, n);
			return -1;
		}
		free(text);
	}
	free_names(names, n);
	return 0;
}

intake_catalog *intake_catalog_load(const char *data_dir, char *err, size_t errlen)
{
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	intake_catalog *c = calloc(1, sizeof *c);
	if (c == NULL) {
		report(err, errlen, data_dir, "out of memory");
		return NULL;
	}
	if (load_folder(c, data_dir, "questionnaires", load_questionnaire, err, errlen) != 0 ||
	    load_folder(c, data_dir, "screening", load_rules, err, errlen) != 0 ||
	    load_folder(c, data_dir, "consent", load_consent, err, errlen) != 0) {
		intake_catalog_free(c);
		return NULL;
	}
	return c;
}

const questionnaire *intake_questionnaire(const intake_catalog *c, const char *id, int version)
{
	for (size_t i = 0; i < c->n_questionnaires; i++)
		if (questionnaire_version(c->questionnaires[i]) == version &&
		    strcmp(questionnaire_id(c->questionnaires[i]), id) == 0)
			return c->questionnaires[i];
	return NULL;
}

const questionnaire *intake_current_questionnaire(const intake_catalog *c, const char *id)
{
	const questionnaire *best = NULL;
	for (size_t i = 0; i < c->n_questionnaires; i++)
		if (strcmp(questionnaire_id(c->questionnaires[i]), id) == 0 &&
		    (best == NULL || questionnaire_version(c->questionnaires[i]) > questionnaire_version(best)))
			best = c->questionnaires[i];
	return best;
}

const screening_rules *intake_rules_for(const intake_catalog *c, const questionnaire *q)
{
	for (size_t i = 0; i < c->n_rules; i++)
		if (c->rules[i].q == q)
			return c->rules[i].rules;
	return NULL;
}

const consent_text *intake_consent(const intake_catalog *c, const char *id, int version)
{
	for (size_t i = 0; i < c->n_consents; i++)
		if (c->consents[i]->version == version && strcmp(c->consents[i]->id, id) == 0)
			return c->consents[i];
	return NULL;
}

const consent_text *intake_current_consent(const intake_catalog *c, const char *id)
{
	const consent_text *best = NULL;
	for (size_t i = 0; i < c->n_consents; i++)
		if (strcmp(c->consents[i]->id, id) == 0 && (best == NULL || c->consents[i]->version > best->version))
			best = c->consents[i];
	return best;
}

void intake_consent_each_since(const intake_catalog *c, const char *id, int after_version,
                               void (*fn)(void *ctx, const consent_text *t), void *ctx)
{
	/* Versions are few (one file each): find the next higher one each time, no sorting. */
	for (;;) {
		const consent_text *next = NULL;
		for (size_t i = 0; i < c->n_consents; i++)
			if (c->consents[i]->version > after_version && strcmp(c->consents[i]->id, id) == 0 &&
			    (next == NULL || c->consents[i]->version < next->version))
				next = c->consents[i];
		if (next == NULL)
			return;
		fn(ctx, next);
		after_version = next->version;
	}
}
