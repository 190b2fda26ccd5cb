/* The intake catalogue: the real data folder loads, the consent hash is the hash of the text
 * shown, the consent text says what the seed requires and makes no advertising claims, and a
 * broken data folder fails with the file named. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "service/intake_catalog.h"
#include "testutil.h"

static void test_real_data_loads(void **state)
{
	(void)state;
	char err[512] = "";
	intake_catalog *c = intake_catalog_load("data", err, sizeof err);
	if (c == NULL)
		fail_msg("data: %s", err);
	const questionnaire *q = intake_current_questionnaire(c, "exosome-cream");
	assert_non_null(q);
	/* Version 2 added the lesion, past-cancer and cancer-date questions; version 1 stays
	 * loaded so answers stored against it still display with its items and options. */
	assert_int_equal(questionnaire_version(q), 2);
	assert_ptr_equal(intake_questionnaire(c, "exosome-cream", 2), q);
	assert_non_null(intake_questionnaire(c, "exosome-cream", 1));
	assert_null(intake_questionnaire(c, "exosome-cream", 3));
	assert_null(intake_current_questionnaire(c, "nothing"));
	const screening_rules *r = intake_rules_for(c, q);
	assert_non_null(r);
	assert_int_equal(screening_rule_count(r), 19);
	assert_int_equal(screening_rule_count(intake_rules_for(c, intake_questionnaire(c, "exosome-cream", 1))), 16);

	/* Version 2 is current; version 1 stays loaded so acceptances of it still verify. */
	const consent_text *t = intake_current_consent(c, "exosome-cream-consent");
	assert_non_null(t);
	assert_int_equal(t->version, 2);
	assert_ptr_equal(intake_consent(c, "exosome-cream-consent", 2), t);
	const consent_text *v1 = intake_consent(c, "exosome-cream-consent", 1);
	assert_non_null(v1);
	assert_null(v1->changes_ja);
	assert_non_null(t->changes_ja);
	assert_non_null(t->changes_en);
	assert_string_not_equal(v1->sha256_ja, t->sha256_ja);
	assert_null(intake_consent(c, "exosome-cream-consent", 9));
	assert_null(intake_current_consent(c, "nothing"));
	unsigned char digest[crypto_hash_sha256_BYTES];
	char hex[65];
	crypto_hash_sha256(digest, (const unsigned char *)t->text_ja, strlen(t->text_ja));
	sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
	assert_string_equal(t->sha256_ja, hex);
	crypto_hash_sha256(digest, (const unsigned char *)t->text_en, strlen(t->text_en));
	sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
	assert_string_equal(t->sha256_en, hex);
	assert_int_equal(strlen(t->sha256_ja), 64);
	assert_string_not_equal(t->sha256_ja, t->sha256_en);
	intake_catalog_free(c);
}

/* Removes every occurrence of phrase (ASCII case-insensitive) from s, in place. */
static void strip_phrase(char *s, const char *phrase)
{
	size_t n = strlen(phrase);
	char *p;
	while ((p = strcasestr(s, phrase)) != NULL)
		memmove(p, p + n, strlen(p + n) + 1);
}

static void test_consent_says_what_the_seed_requires(void **state)
{
	(void)state;
	char err[512];
	intake_catalog *c = intake_catalog_load("data", err, sizeof err);
	assert_non_null(c);
	const consent_text *t = intake_current_consent(c, "exosome-cream-consent");
	static const char *const ja_needs[] = {
		"未承認", "医薬品副作用被害救済制度", "赤み", "腫れ", "かゆみ", "発熱", "だるさ", "頭痛", "吐き気",
		"アレルギー反応", "アナフィラキシー", "長期の安全性は確立されていません", "製造", "保管", "検査結果",
		"使用をやめて", "119", "いつでも取り消す", "自由診療", "自己負担", "22,000円(税込)", "1か月",
	};
	static const char *const en_needs[] = {
		"unapproved", "Relief System", "redness", "swelling", "itching", "fever", "fatigue", "headache",
		"nausea", "allergic", "anaphylaxis", "Long-term safety has not been established", "storage", "lot",
		"stop using", "119", "withdraw", "self-paid", "22,000 JPY including tax", "one month",
	};
	/* Version 2: what a product made from human cells must disclose (issue 13), and what the
	 * product is, in the words the pages and the public notes use. */
	static const char *const ja_v2_needs[] = {
		"ドナー", "ウイルス", "プリオン", "ウインドウ期", "HBV", "HCV", "HIV", "HTLV-1", "梅毒",
		"ドナーの検査（要約）", "ウシ胎児血清(FBS)", "動物に由来する", "生物由来製品感染等被害救済制度",
		"日本で承認された医薬品ではない未承認品で、医師が処方します。",
	};
	static const char *const en_v2_needs[] = {
		"donor", "virus", "Prions", "window period", "HBV", "HCV", "HIV", "HTLV-1", "syphilis",
		"Donor screening (summary)", "fetal bovine serum (FBS)", "animal origin", "Relief System for Infections",
		"It is an unapproved product, not a medicine approved in Japan, prescribed by a doctor.",
	};
	for (size_t i = 0; i < sizeof ja_v2_needs / sizeof ja_v2_needs[0]; i++)
		if (strstr(t->text_ja, ja_v2_needs[i]) == NULL)
			fail_msg("the Japanese consent text does not say \"%s\"", ja_v2_needs[i]);
	for (size_t i = 0; i < sizeof en_v2_needs / sizeof en_v2_needs[0]; i++)
		if (strstr(t->text_en, en_v2_needs[i]) == NULL)
			fail_msg("the English consent text does not say \"%s\"", en_v2_needs[i]);
	/* A 塗り薬 is a medicine; the product is not an approved one. */
	assert_null(strstr(t->text_ja, "塗り薬"));
	for (size_t i = 0; i < sizeof ja_needs / sizeof ja_needs[0]; i++)
		if (strstr(t->text_ja, ja_needs[i]) == NULL)
			fail_msg("the Japanese consent text does not say \"%s\"", ja_needs[i]);
	for (size_t i = 0; i < sizeof en_needs / sizeof en_needs[0]; i++)
		if (strstr(t->text_en, en_needs[i]) == NULL)
			fail_msg("the English consent text does not say \"%s\"", en_needs[i]);

	/* No advertising claims; "safety has not been established" is the one allowed use. */
	static const char *const banned[] = {
		"安全", "必ず", "絶対", "確実", "最高", "最先端", "No.1", "ナンバーワン", "副作用なし", "100%",
		"safe", "guarantee", "always", "best", "no side effect", "risk-free", "proven",
	};
	char *ja = strdup(t->text_ja), *en = strdup(t->text_en);
	assert_non_null(ja);
	assert_non_null(en);
	strip_phrase(ja, "安全性は確立されていません");
	strip_phrase(en, "safety has not been established");
	for (size_t i = 0; i < sizeof banned / sizeof banned[0]; i++)
		if (strcasestr(ja, banned[i]) != NULL || strcasestr(en, banned[i]) != NULL)
			fail_msg("the consent text makes a claim: \"%s\"", banned[i]);
	free(ja);
	free(en);
	intake_catalog_free(c);
}

/* ---- broken data folders ---- */

static void write_file(const char *dir, const char *sub, const char *name, const char *text)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s/%s", dir, sub, name);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
	assert_int_equal(fclose(f), 0);
}

static void copy_real(const char *dir, const char *sub, const char *name)
{
	char src[256];
	snprintf(src, sizeof src, "data/%s/%s", sub, name);
	char *text = slurp(src);
	write_file(dir, sub, name, text);
	free(text);
}

static const char *const subs[] = {"questionnaires", "screening", "consent"};

/* A temporary data folder holding copies of the real files. */
static void make_data_dir(char *dir, size_t len)
{
	snprintf(dir, len, "/tmp/exosafe-catalog-XXXXXX");
	assert_non_null(mkdtemp(dir));
	for (size_t i = 0; i < 3; i++) {
		char path[512];
		snprintf(path, sizeof path, "%s/%s", dir, subs[i]);
		assert_int_equal(mkdir(path, 0700), 0);
	}
	copy_real(dir, "questionnaires", "exosome-cream-v1.json");
	copy_real(dir, "screening", "exosome-cream-v1.json");
	copy_real(dir, "consent", "exosome-cream-consent-v1.json");
}

static void remove_data_dir(const char *dir)
{
	for (size_t i = 0; i < 3; i++) {
		char path[512];
		snprintf(path, sizeof path, "%s/%s", dir, subs[i]);
		DIR *d = opendir(path);
		if (d == NULL)
			continue;
		struct dirent *e;
		while ((e = readdir(d)) != NULL) {
			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			char file[1024];
			snprintf(file, sizeof file, "%s/%s", path, e->d_name);
			unlink(file);
		}
		closedir(d);
		rmdir(path);
	}
	rmdir(dir);
}

/* Loads dir, which must fail with every want string in the message. */
static void expect_failure(const char *dir, const char *what, const char *want1, const char *want2)
{
	char err[1024] = "";
	intake_catalog *c = intake_catalog_load(dir, err, sizeof err);
	if (c != NULL) {
		intake_catalog_free(c);
		fail_msg("%s: the broken data folder loaded", what);
	}
	if (strstr(err, want1) == NULL || (want2 != NULL && strstr(err, want2) == NULL))
		fail_msg("%s: error \"%s\" does not mention \"%s\" and \"%s\"", what, err, want1, want2 ? want2 : "");
}

static void test_copy_of_real_data_loads(void **state)
{
	(void)state;
	char dir[64];
	make_data_dir(dir, sizeof dir);
	write_file(dir, "consent", "README.txt", "not JSON, and not read");
	write_file(dir, "consent", ".hidden.json", "{");
	char err[512];
	intake_catalog *c = intake_catalog_load(dir, err, sizeof err);
	if (c == NULL)
		fail_msg("%s", err);
	intake_catalog_free(c);
	remove_data_dir(dir);
}

static void test_invalid_json_names_the_file(void **state)
{
	(void)state;
	char dir[64];
	make_data_dir(dir, sizeof dir);
	write_file(dir, "questionnaires", "broken-v2.json", "{\"resourceType\": \"Questionnaire\",");
	expect_failure(dir, "invalid JSON", "questionnaires/broken-v2.json", "invalid JSON");
	remove_data_dir(dir);
}

static void test_rule_naming_unknown_item(void **state)
{
	(void)state;
	char dir[64];
	make_data_dir(dir, sizeof dir);
	char *text = slurp("data/screening/exosome-cream-v1.json");
	char *p = strstr(text, "\"item\": \"anaphylaxis\"");
	assert_non_null(p);
	memcpy(p, "\"item\": \"anaphylaxiz\"", strlen("\"item\": \"anaphylaxiz\""));
	write_file(dir, "screening", "exosome-cream-v1.json", text);
	free(text);
	expect_failure(dir, "unknown item", "screening/exosome-cream-v1.json", "rule \"prior-anaphylaxis\": names item \"anaphylaxiz\"");
	remove_data_dir(dir);
}

static void test_bad_level(void **state)
{
	(void)state;
	char dir[64];
	make_data_dir(dir, sizeof dir);
	char *text = slurp("data/screening/exosome-cream-v1.json");
	char *p = strstr(text, "\"level\": \"info\"");
	assert_non_null(p);
	memcpy(p, "\"level\": \"note\"", strlen("\"level\": \"note\""));
	write_file(dir, "screening", "exosome-cream-v1.json", text);
	free(text);
	expect_failure(dir, "bad level", "screening/exosome-cream-v1.json", "level \"note\"");
	remove_data_dir(dir);
}

static void test_duplicate_questionnaire_version(void **state)
{
	(void)state;
	char dir[64];
	make_data_dir(dir, sizeof dir);
	char *text = slurp("data/questionnaires/exosome-cream-v1.json");
	write_file(dir, "questionnaires", "zz-copy.json", text);
	free(text);
	expect_failure(dir, "duplicate questionnaire", "questionnaires/zz-copy.json", "defined twice");
	remove_data_dir(dir);
}

static void test_duplicate_consent_version(void **state)
{
	(void)state;
	char dir[64];
	make_data_dir(dir, sizeof dir);
	char *text = slurp("data/consent/exosome-cream-consent-v1.json");
	write_file(dir, "consent", "zz-copy.json", text);
	free(text);
	expect_failure(dir, "duplicate consent", "consent/zz-copy.json", "defined twice");
	remove_data_dir(dir);
}

static void test_duplicate_rules(void **state)
{
	(void)state;
	char dir[64];
	make_data_dir(dir, sizeof dir);
	char *text = slurp("data/screening/exosome-cream-v1.json");
	write_file(dir, "screening", "zz-copy.json", text);
	free(text);
	expect_failure(dir, "duplicate rules", "screening/zz-copy.json", "already has screening rules");
	remove_data_dir(dir);
}

static void test_rules_for_missing_questionnaire_version(void **state)
{
	(void)state;
	char dir[64];
	make_data_dir(dir, sizeof dir);
	write_file(dir, "screening", "exosome-cream-v7.json",
	           "{\"questionnaire\":\"exosome-cream\",\"questionnaire_version\":7,\"rules\":[]}");
	expect_failure(dir, "missing version", "screening/exosome-cream-v7.json", "version 7");
	remove_data_dir(dir);
}

static void test_bad_consent(void **state)
{
	(void)state;
	char dir[64];
	make_data_dir(dir, sizeof dir);
	write_file(dir, "consent", "other-v1.json",
	           "{\"id\":\"other\",\"version\":1,\"title\":{\"ja\":\"t\",\"en\":\"t\"},\"text\":{\"ja\":\"本文\"}}");
	expect_failure(dir, "consent without English", "consent/other-v1.json", "text needs");
	remove_data_dir(dir);
}

static void test_missing_folder(void **state)
{
	(void)state;
	char dir[64];
	make_data_dir(dir, sizeof dir);
	char path[512];
	snprintf(path, sizeof path, "%s/consent/exosome-cream-consent-v1.json", dir);
	unlink(path);
	snprintf(path, sizeof path, "%s/consent", dir);
	rmdir(path);
	expect_failure(dir, "missing folder", "/consent", "cannot open the folder");
	remove_data_dir(dir);
}

static void test_second_version_becomes_current(void **state)
{
	(void)state;
	char dir[64];
	make_data_dir(dir, sizeof dir);
	char *text = slurp("data/questionnaires/exosome-cream-v1.json");
	char *p = strstr(text, "\"version\": 1");
	assert_non_null(p);
	p[strlen("\"version\": ")] = '2';
	write_file(dir, "questionnaires", "exosome-cream-v2.json", text);
	free(text);
	char err[512];
	intake_catalog *c = intake_catalog_load(dir, err, sizeof err);
	if (c == NULL)
		fail_msg("%s", err);
	const questionnaire *q2 = intake_current_questionnaire(c, "exosome-cream");
	assert_int_equal(questionnaire_version(q2), 2);
	assert_null(intake_rules_for(c, q2));   /* no rules for v2 yet */
	assert_non_null(intake_rules_for(c, intake_questionnaire(c, "exosome-cream", 1)));
	intake_catalog_free(c);
	remove_data_dir(dir);
}

static void count_version(void *ctx, const consent_text *t)
{
	int *seen = ctx;
	seen[seen[0] + 1] = t->version;
	seen[0]++;
}

/* The highest consent version is current; each later version must say what changed. */
static void test_consent_versions_and_changes(void **state)
{
	(void)state;
	char dir[64];
	make_data_dir(dir, sizeof dir);
	char *v2 = slurp("data/consent/exosome-cream-consent-v2.json");
	char *p = strstr(v2, "\"version\": 2");
	assert_non_null(p);
	p[strlen("\"version\": ")] = '3';   /* a third version, with the same changes text */
	write_file(dir, "consent", "exosome-cream-consent-v3.json", v2);
	copy_real(dir, "consent", "exosome-cream-consent-v2.json");
	char err[512];
	intake_catalog *c = intake_catalog_load(dir, err, sizeof err);
	if (c == NULL)
		fail_msg("%s", err);
	assert_int_equal(intake_current_consent(c, "exosome-cream-consent")->version, 3);
	int seen[8] = {0};
	intake_consent_each_since(c, "exosome-cream-consent", 1, count_version, seen);
	assert_int_equal(seen[0], 2);
	assert_int_equal(seen[1], 2);
	assert_int_equal(seen[2], 3);
	memset(seen, 0, sizeof seen);
	intake_consent_each_since(c, "exosome-cream-consent", 3, count_version, seen);
	assert_int_equal(seen[0], 0);
	memset(seen, 0, sizeof seen);
	intake_consent_each_since(c, "exosome-cream-consent", 0, count_version, seen);
	assert_int_equal(seen[0], 3);
	intake_catalog_free(c);

	/* Version 3 without "changes": refused, naming the file and the field. */
	char *no_changes = strstr(v2, "\"changes\"");
	assert_non_null(no_changes);
	no_changes[1] = 'X';   /* "Xhanges": an unknown key, so "changes" is missing */
	write_file(dir, "consent", "exosome-cream-consent-v3.json", v2);
	expect_failure(dir, "consent v3 without changes", "consent/exosome-cream-consent-v3.json", "changes");
	free(v2);
	remove_data_dir(dir);

	/* Version 1 with "changes": nothing came before it. */
	make_data_dir(dir, sizeof dir);
	write_file(dir, "consent", "other-v1.json",
	           "{\"id\":\"other\",\"version\":1,\"title\":{\"ja\":\"t\",\"en\":\"t\"},"
	           "\"changes\":{\"ja\":\"c\",\"en\":\"c\"},\"text\":{\"ja\":\"本文\",\"en\":\"text\"}}");
	expect_failure(dir, "consent v1 with changes", "consent/other-v1.json", "version 1 has no previous version");
	remove_data_dir(dir);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_data_loads),
		cmocka_unit_test(test_consent_versions_and_changes),
		cmocka_unit_test(test_consent_says_what_the_seed_requires),
		cmocka_unit_test(test_copy_of_real_data_loads),
		cmocka_unit_test(test_invalid_json_names_the_file),
		cmocka_unit_test(test_rule_naming_unknown_item),
		cmocka_unit_test(test_bad_level),
		cmocka_unit_test(test_duplicate_questionnaire_version),
		cmocka_unit_test(test_duplicate_consent_version),
		cmocka_unit_test(test_duplicate_rules),
		cmocka_unit_test(test_rules_for_missing_questionnaire_version),
		cmocka_unit_test(test_bad_consent),
		cmocka_unit_test(test_missing_folder),
		cmocka_unit_test(test_second_version_becomes_current),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
