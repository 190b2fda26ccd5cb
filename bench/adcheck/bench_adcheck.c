/* bench_adcheck: the advertising checker's speed over a generated Japanese corpus.
 *
 * Writes (once; again when its size differs) a deterministic corpus of clinic-page Japanese,
 * about one sentence in 150 breaking a rule, then in one run times exosafe's full rule set
 * over the whole file and `grep -c` of one pattern over the same file, and prints both in
 * MB/s. Target: at least 50 MB/s for exosafe.
 *
 * usage: bench_adcheck [--mb N] [--corpus PATH] [--rules DIR] [--pattern TEXT]
 *   defaults: 100 MB, var/adcheck-corpus.txt, data/adrules, 副作用なし */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "core/adcheck.h"
#include "service/adrules.h"
#include "../../tests/unit/testutil.h"

/* What a clinic's pages say, without a violation. */
static const char *const clean[] = {
	"エクソソームとは、細胞から分泌される小さな袋状の物質で、細胞間の情報伝達に関わっています。",
	"当院では、医師がお電話で問診を行い、使用できるかどうかを判断します。",
	"本品は医薬品ではなく、国内で承認された医薬品でもありません。",
	"同一の成分や性能を有する国内承認医薬品はありません。",
	"米国FDAでも承認されていません。",
	"製品は米国の製造会社から医師が個人輸入したものです。",
	"クリーム1本 22,000円(税込)、約1か月分です。",
	"1日1回塗布し、3か月の継続使用が目安です。",
	"副作用としてかゆみ、赤み、腫れ、アレルギー反応が起こることがあります。",
	"使用後に体調の変化があれば、使用をやめてクリニックにご連絡ください。",
	"保管は2〜8℃の冷蔵でお願いします。直射日光を避けてください。",
	"ご予約は電話または予約フォームで受け付けています。",
	"問診票には、既往歴やアレルギーの有無を正しくご記入ください。",
	"お届けまでの日数は地域によって異なります。",
	"妊娠中・授乳中の方は使用できません。",
	"長期使用の安全性については、十分な根拠がまだありません。",
	"効果には個人差があります。",
	"ご不明な点は、遠慮なく医師にお尋ねください。",
	"製品のロット番号と試験結果は、公開ページでご確認いただけます。",
	"医薬品副作用被害救済制度の対象にはなりません。",
	"息苦しさやじんましんが出たときは、すぐに119番に連絡してください。",
	"ＡＢＣクリニックは東京都渋谷区にあります。診療時間は10時から19時です。",
	"他院で治療中の方は、問診票にお書きください。",
	"最新のお知らせはトップページに掲載しています。",
	"安全な保管のため、冷蔵庫に入れてください。",
	"使用前後は手を洗ってください。",
	"必ず医師の指示に従ってご使用ください。",
	"効果は1回で実感できるとは限りません。",
};

/* Violations, about one sentence in 150. */
static const char *const violations[] = {
	"この施術で必ず効果が出ます。", "満足度１００％のエクソソーム療法。", "副作用なしで若返り!", "日本一の症例数。",
	"最先端の再生医療。", "今なら初回半額!", "患者様の声: 肌が見違えました。", "ダウンタイムなし。",
	"奇跡のクリーム。", "他院より効果が高いエクソソームです。",
};

/* xorshift64*: the same corpus on every machine. */
static uint64_t next_random(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ull;
}

static int write_corpus(const char *path, size_t bytes)
{
	FILE *f = fopen(path, "wb");
	if (f == NULL) {
		fprintf(stderr, "bench_adcheck: %s: %s\n", path, strerror(errno));
		return -1;
	}
	uint64_t seed = 0x5eed5eed5eedULL;
	size_t written = 0, nclean = sizeof clean / sizeof clean[0], nbad = sizeof violations / sizeof violations[0];
	while (written < bytes) {
		/* A paragraph of 1 to 6 sentences. */
		int sentences = 1 + (int)(next_random(&seed) % 6);
		for (int i = 0; i < sentences; i++) {
			uint64_t r = next_random(&seed);
			const char *s = r % 150 == 0 ? violations[(r / 150) % nbad] : clean[(r / 150) % nclean];
			size_t n = strlen(s);
			if (written + n + 1 > bytes)
				break;
			fwrite(s, 1, n, f);
			written += n;
		}
		fputc('\n', f);
		written++;
		if (bytes - written < 200) {
			while (written < bytes) {
				fputc('\n', f);
				written++;
			}
		}
	}
	if (fclose(f) != 0) {
		fprintf(stderr, "bench_adcheck: %s: write failed\n", path);
		return -1;
	}
	return 0;
}

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{"mb", required_argument, NULL, 'm'},      {"corpus", required_argument, NULL, 'c'},
		{"rules", required_argument, NULL, 'r'},   {"pattern", required_argument, NULL, 'p'},
		{"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
	};
	long mb = 100;
	const char *corpus = "var/adcheck-corpus.txt", *rules_dir = "data/adrules", *pattern = "副作用なし";
	int opt;
	while ((opt = getopt_long(argc, argv, "m:c:r:p:h", options, NULL)) != -1) {
		switch (opt) {
		case 'm':
			mb = strtol(optarg, NULL, 10);
			break;
		case 'c':
			corpus = optarg;
			break;
		case 'r':
			rules_dir = optarg;
			break;
		case 'p':
			pattern = optarg;
			break;
		default:
			fputs("usage: bench_adcheck [--mb N] [--corpus PATH] [--rules DIR] [--pattern TEXT]\n", opt == 'h' ? stdout : stderr);
			return opt == 'h' ? 0 : 2;
		}
	}
	if (mb < 1 || mb > 4096 || strchr(pattern, '\'') != NULL) {
		fputs("bench_adcheck: --mb must be 1..4096 and --pattern must not contain a quote\n", stderr);
		return 2;
	}
	size_t bytes = (size_t)mb * 1000 * 1000;
	struct stat st;
	if (stat(corpus, &st) != 0 || (size_t)st.st_size != bytes) {
		char dir[4096];
		snprintf(dir, sizeof dir, "%s", corpus);
		char *slash = strrchr(dir, '/');
		if (slash != NULL) {
			*slash = '\0';
			mkdir(dir, 0755);
		}
		printf("adcheck bench: writing a %ld MB corpus to %s\n", mb, corpus);
		fflush(stdout);
		if (write_corpus(corpus, bytes) != 0)
			return 1;
	}

	char err[512];
	adcheck_rules *rules = adrules_load_dir(rules_dir, err, sizeof err);
	if (rules == NULL) {
		fprintf(stderr, "bench_adcheck: %s\n", err);
		return 1;
	}
	size_t len = 0;
	double t0 = now();
	char *text = read_whole_file(corpus, &len);
	if (text == NULL) {
		fprintf(stderr, "bench_adcheck: cannot read %s\n", corpus);
		adcheck_rules_free(rules);
		return 1;
	}
	double t1 = now();
	adcheck_error aerr;
	adcheck_report *rep = adcheck_check(rules, text, len, ADCHECK_TEXT, &aerr);
	double t2 = now();
	if (rep == NULL) {
		fprintf(stderr, "bench_adcheck: %s\n", aerr.message);
		free(text);
		adcheck_rules_free(rules);
		return 1;
	}
	size_t direct = 0;
	for (const char *p = text; (p = strstr(p, pattern)) != NULL; p += strlen(pattern))
		direct++;

	char command[8192];
	snprintf(command, sizeof command, "LC_ALL=C.UTF-8 grep -c -- '%s' '%s'", pattern, corpus);
	double g0 = now();
	FILE *g = popen(command, "r");
	long grep_lines = -1;
	if (g != NULL) {
		if (fscanf(g, "%ld", &grep_lines) != 1)
			grep_lines = -1;
		pclose(g);
	}
	double g1 = now();

	double megabytes = (double)len / 1e6;
	printf("adcheck bench: %.1f MB of Japanese text, %zu rules\n", megabytes, adcheck_rule_count(rules));
	printf("  exosafe adcheck (all rules)  %8.1f MB/s  %6.2f s  %zu findings (read from disk: %.2f s)\n",
	       megabytes / (t2 - t1), t2 - t1, rep->count, t1 - t0);
	printf("  grep -c '%s'          %8.1f MB/s  %6.2f s  %ld lines\n", pattern, megabytes / (g1 - g0), g1 - g0,
	       grep_lines);
	size_t flagged = 0;
	for (size_t i = 0; i < rep->count; i++)
		flagged += strcmp(rep->findings[i].rule->id, "safety.no-side-effects") == 0;
	printf("  (the corpus holds \"%s\" %zu times; exosafe flagged safety.no-side-effects %zu times)\n", pattern, direct,
	       flagged);
	if (megabytes / (t2 - t1) < 50.0)
		printf("  below the 50 MB/s target\n");
	adcheck_report_free(rep);
	free(text);
	adcheck_rules_free(rules);
	return 0;
}
