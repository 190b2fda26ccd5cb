/* exosafe signals: disproportionality statistics over a reports extract (core/safety_signal.h). */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <malloc.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "service/ae.h"
#include "core/safety_signal.h"
#include "core/safety_signal_csv.h"

static const char signals_usage[] =
	"usage: exosafe signals (--db PATH | --reports FILE.csv) [--by product|lot] [--min-count N]\n"
	"                       [--format csv|json] [--prior A1,B1,A2,B2,P]\n"
	"\n"
	"Screens product×event (or lot×event) pairs for disproportionate reporting and prints one\n"
	"row per pair reported at least N times, strongest first (EB05 descending, then EBGM):\n"
	"the 2×2 table a b c d, the expected count E, PRR with its 95% CI and Yates-corrected χ²,\n"
	"ROR with its 95% CI, IC (BCPNN) with its 95% credibility interval, and MGPS EBGM, EB05\n"
	"and EB95 under a two-gamma mixture prior fitted to the data by maximum likelihood, or\n"
	"DuMouchel's published prior when there are fewer than 50 pairs (the same rule as the\n"
	"API's GET /api/v1/signals). The prior, where it came from and its log-likelihood are\n"
	"printed on standard error (and in --format json). Formulas: docs/signals.md.\n"
	"  --reports FILE  a CSV with the header report_id,product,event (one row per pair named\n"
	"                  by a report), or report_id,product,lot,event; UTF-8. A bad row stops\n"
	"                  everything with its file, line and reason\n"
	"  --db PATH       the clinic database: every assessed adverse event, by its CTCAE terms\n"
	"  --by WHAT       product (default) or lot (needs the lot column)\n"
	"  --min-count N   only pairs with at least N reports (default 3; the fit uses every pair)\n"
	"  --format FMT    csv (default) or json\n"
	"  --prior LIST    use these MGPS hyperparameters α1,β1,α2,β2,P instead of fitting them\n";

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}


typedef struct progress_state {
	bool on;
	int last_percent;
	const char *last_phase;
} progress_state;

static void draw_bar(progress_state *p, const char *phase, double fraction)
{
	int percent = (int)(fraction * 100.0);
	if (percent > 100)
		percent = 100;
	if (percent == p->last_percent && phase == p->last_phase)
		return;
	if (p->last_phase && phase != p->last_phase && p->last_percent < 100)
		fputc('\n', stderr);
	p->last_percent = percent;
	p->last_phase = phase;
	char bar[31];
	int filled = percent * 30 / 100;
	for (int i = 0; i < 30; i++)
		bar[i] = i < filled ? '#' : '.';
	bar[30] = '\0';
	fprintf(stderr, "\r%-10s [%s] %3d%%", phase, bar, percent);
	if (percent == 100)
		fputc('\n', stderr);
	fflush(stderr);
}

static void on_progress(void *ctx, const char *phase, double fraction)
{
	progress_state *p = ctx;
	if (p->on)
		draw_bar(p, phase, fraction);
}

/* Lets the kernel drop a read part's pages from this process: the file stays in the page
 * cache, and the peak memory of a run does not include the whole extract. */
static void drop_pages(void *ctx, const char *begin, const char *end)
{
	(void)ctx;
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t from = ((uintptr_t)begin + page - 1) & ~(page - 1), to = (uintptr_t)end & ~(page - 1);
	if (to > from)
		madvise((void *)from, to - from, MADV_DONTNEED);
}

static void reading_progress(void *ctx, double fraction)
{
	progress_state *p = ctx;
	if (p->on)
		draw_bar(p, "reading", fraction);
}

/* Reads f with the stream reader into counter. Returns 2 on a read error, else the status. */
static int read_stream(FILE *f, long long total, signal_counter *counter, bool by_lot, progress_state *prog,
                       signal_csv_result *res)
{
	signal_csv_stream *s = signal_csv_stream_new(counter, by_lot);
	if (s == NULL) {
		*res = (signal_csv_result){.reason = "out of memory"};
		return SIGNAL_CSV_BAD_ROW;
	}
	static char chunk[1 << 18];
	size_t n;
	long long done = 0;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
		if (signal_csv_stream_feed(s, chunk, n) != SIGNAL_CSV_OK)
			break;
		done += (long long)n;
		if (prog->on && total > 0)
			draw_bar(prog, "reading", (double)done / (double)total);
	}
	bool read_error = ferror(f) != 0;
	int status = signal_csv_stream_finish(s, !read_error, res);
	return read_error ? 2 : status;
}

/* Reads the CSV into *counter (which may be replaced). Returns 0, or 1 after printing why. */
static int read_reports(const char *path, signal_counter **counter, bool by_lot, progress_state *prog)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		fprintf(stderr, "exosafe signals: %s: %s\n", path, strerror(errno));
		return 1;
	}
	struct stat st;
	long long total = fstat(fileno(f), &st) == 0 ? (long long)st.st_size : 0;
	signal_csv_result res = {0};
	int status = SIGNAL_CSV_NOT_SIMPLE;
	/* A regular file takes the parallel reader, which declines any file with a double quote
	 * (or anything else libcsv would read differently); a pipe, or a declined file, libcsv. */
	if (S_ISREG(st.st_mode) && total > 0 && (unsigned long long)total <= SIZE_MAX) {
		void *map = mmap(NULL, (size_t)total, PROT_READ, MAP_PRIVATE, fileno(f), 0);
		if (map != MAP_FAILED) {
			signal_csv_hooks hooks = {reading_progress, drop_pages, prog};
			signal_counter *joined = NULL;
			status = signal_csv_read_buffer(map, (size_t)total, by_lot, &hooks, &joined, &res);
			if (joined != NULL) {
				signal_counter_free(*counter);
				*counter = joined;
			}
			munmap(map, (size_t)total);
		}
	}
	if (status == SIGNAL_CSV_NOT_SIMPLE)
		status = read_stream(f, total, *counter, by_lot, prog, &res);
	fclose(f);
	int rc = 0;
	if (status == 2) {
		fprintf(stderr, "exosafe signals: %s: read error\n", path);
		rc = 1;
	} else if (status == SIGNAL_CSV_BAD_ROW) {
		fprintf(stderr, "%s:%ld: %s\nexosafe signals: nothing was computed\n", path, res.line, res.reason);
		rc = 1;
	} else if (res.columns == 0) {
		fprintf(stderr, "exosafe signals: %s is empty: expected the header report_id,product,event and one row per pair\n", path);
		rc = 1;
	} else if (signal_counter_rows(*counter) == 0) {
		fprintf(stderr, "exosafe signals: %s has a header but no reports\n", path);
		rc = 1;
	}
	return rc;
}

/* Counts the clinic's own cases into counter: each assessed report's suspected products (or
 * lots) × its terms. Returns 0, or 1 after printing why. */
static int read_database(const char *db, signal_counter *counter, bool by_lot)
{
	store *st = cli_open_store(db, 1);
	if (st == NULL)
		return 1;
	int rc = ae_signal_counts(st, by_lot, counter);
	if (rc != 0)
		fprintf(stderr, "exosafe signals: %s\n", st->errmsg);
	store_close(st);
	if (rc != 0)
		return 1;
	if (signal_counter_rows(counter) == 0) {
		fprintf(stderr, "exosafe signals: %s has no assessed adverse events with a suspected lot yet\n",
		        store_db_label(db, (char[1024]){0}, 1024));
		return 1;
	}
	return 0;
}

/* The output callback: stdout is checked for errors once, after the last write. */
static int write_stdout(void *ctx, const char *data, size_t len)
{
	(void)ctx;
	fwrite(data, 1, len, stdout);
	return 0;
}

static int parse_prior(const char *s, signal_prior *p)
{
	char tail;
	if (sscanf(s, "%lf,%lf,%lf,%lf,%lf%c", &p->alpha1, &p->beta1, &p->alpha2, &p->beta2, &p->p, &tail) != 5)
		return -1;
	bool ok = p->alpha1 > 0 && p->beta1 > 0 && p->alpha2 > 0 && p->beta2 > 0 && p->p > 0 && p->p < 1 &&
	          isfinite(p->alpha1) && isfinite(p->beta1) && isfinite(p->alpha2) && isfinite(p->beta2);
	return ok ? 0 : -1;
}

/* The counts and the prior, on standard error. */
static void print_summary(const signal_table *t, const signal_fit *fit, signal_prior_source source, size_t n_rows,
                          unsigned long min_count, bool by_lot)
{
	const signal_prior *p = &fit->prior;
	fprintf(stderr,
	        "exosafe signals: %u reports, %u %s, %u events, %zu pairs (%zu with a >= %lu)\n"
	        "MGPS prior %s: alpha1=%.10g beta1=%.10g alpha2=%.10g beta2=%.10g P=%.10g, log-likelihood %.12g",
	        t->reports, t->n_items, by_lot ? "lots" : "products", t->n_events, t->n_pairs, n_rows, min_count,
	        signal_prior_source_name(source), p->alpha1, p->beta1, p->alpha2, p->beta2, p->p, fit->loglik);
	if (source == SIGNAL_SOURCE_FITTED)
		fprintf(stderr, " (%d starts, %d BFGS iterations, %zu %s points)", fit->starts, fit->iterations, fit->points,
		        fit->squashed ? "squashed" : "exact");
	else if (source == SIGNAL_SOURCE_DEFAULT)
		fprintf(stderr, " (DuMouchel 1999: %zu pairs, too few to fit or the fit did not converge)", t->n_pairs);
	fputc('\n', stderr);
}

/* What the command line asks for. */
typedef struct signals_options {
	const char *db, *reports;
	bool by_lot, json, prior_given;
	unsigned long min_count;
	signal_prior prior;
} signals_options;

/* Parses argv into *o. Returns -1 when the command goes on, else its exit status (after --help,
 * or a usage error printed). */
static int parse_options(int argc, char **argv, signals_options *o)
{
	static const struct option opts[] = {
		{"db", required_argument, NULL, 'd'},     {"reports", required_argument, NULL, 'r'},
		{"by", required_argument, NULL, 'b'},     {"min-count", required_argument, NULL, 'm'},
		{"format", required_argument, NULL, 'f'}, {"prior", required_argument, NULL, 'p'},
		{"help", no_argument, NULL, 'h'},         {0},
	};
	const char *db = NULL, *reports = NULL, *by = "product", *format = "csv", *prior_arg = NULL;
	unsigned long min_count = 3;
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 'r': reports = optarg; break;
		case 'b': by = optarg; break;
		case 'f': format = optarg; break;
		case 'p': prior_arg = optarg; break;
		case 'm': {
			char *end;
			errno = 0;
			min_count = strtoul(optarg, &end, 10);
			if (errno || end == optarg || *end || optarg[0] == '-' || min_count < 1 || min_count > 1000000000UL)
				return cli_usage_error("signals", "--min-count must be a whole number from 1");
			break;
		}
		case 'h': fputs(signals_usage, stdout); return 0;
		default: return cli_usage_error("signals", "unknown or incomplete option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage_error("signals", "unexpected argument '%s'", argv[optind]);
	if ((db == NULL) == (reports == NULL))
		return cli_usage_error("signals", "give exactly one of --db PATH and --reports FILE.csv");
	if (strcmp(by, "product") != 0 && strcmp(by, "lot") != 0)
		return cli_usage_error("signals", "--by must be product or lot");
	if (strcmp(format, "csv") != 0 && strcmp(format, "json") != 0)
		return cli_usage_error("signals", "--format must be csv or json");
	signal_prior given = SIGNAL_PRIOR_DEFAULT;
	if (prior_arg && parse_prior(prior_arg, &given) < 0)
		return cli_usage_error("signals", "--prior must be five numbers α1,β1,α2,β2,P (all > 0, P < 1)");
	*o = (signals_options){db, reports, strcmp(by, "lot") == 0, strcmp(format, "json") == 0, prior_arg != NULL, min_count,
	                       prior_arg ? given : SIGNAL_PRIOR_DEFAULT};
	return -1;
}

int cli_signals(int argc, char **argv)
{
	signals_options o;
	int status = parse_options(argc, argv, &o);
	if (status >= 0)
		return status;
	const char *db = o.db, *reports = o.reports;
	const unsigned long min_count = o.min_count;
	const bool by_lot = o.by_lot, json = o.json;
	progress_state prog = {.on = isatty(STDERR_FILENO) != 0, .last_percent = -1};

	/* The phases allocate and free hundreds of megabytes in turn. Kept by malloc rather than
	 * given back to the kernel, freed memory is reused by the next phase without a page
	 * fault per 4 KiB (the kernel's share of a registry-sized run was a third). */
	mallopt(M_TRIM_THRESHOLD, INT_MAX);
	mallopt(M_MMAP_THRESHOLD, 1 << 30);

	/* Phase times, printed with the summary: where a registry-sized run spends its time. */
	double t_start = now_seconds(), t_read, t_count, t_fit, t_score;
	signal_counter *counter = signal_counter_new();
	if (counter == NULL) {
		fputs("exosafe signals: out of memory\n", stderr);
		return 1;
	}
	if (db != NULL ? read_database(db, counter, by_lot) != 0 : read_reports(reports, &counter, by_lot, &prog) != 0) {
		signal_counter_free(counter);
		return 1;
	}
	t_read = now_seconds();
	signal_table *t = signal_counter_finish(counter, on_progress, &prog);
	t_count = now_seconds();
	if (t == NULL) {
		fputs("exosafe signals: out of memory while counting\n", stderr);
		return 1;
	}
	signal_fit fit;
	signal_prior_source source = signal_choose_prior(t, o.prior_given ? &o.prior : NULL, &fit, on_progress, &prog);
	t_fit = now_seconds();
	signal_row *rows;
	size_t n_rows;
	uint32_t *order;
	if (signal_compute_ranked(t, &fit.prior, (uint32_t)min_count, &rows, &order, &n_rows, on_progress, &prog) < 0) {
		fputs("exosafe signals: out of memory while scoring\n", stderr);
		signal_table_free(t);
		return 1;
	}
	t_score = now_seconds();
	print_summary(t, &fit, source, n_rows, min_count, by_lot);
	static char outbuf[1 << 16];
	setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);
	int rc = 0;
	if (json ? signal_json_write(t, rows, order, n_rows, by_lot, (unsigned)min_count, &fit, source, write_stdout, NULL) < 0
	         : signal_csv_write(t, rows, order, n_rows, by_lot, write_stdout, NULL) < 0)
		rc = 1;
	if (rc)
		fputs("exosafe signals: out of memory while writing the output\n", stderr);
	else if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "exosafe signals: could not write the output: %s\n", strerror(errno));
		rc = 1;
	}
	else
		fprintf(stderr, "time: reading %.2f s, counting %.2f s, %s %.2f s, scoring %.2f s, writing %.2f s\n",
		        t_read - t_start, t_count - t_read, source == SIGNAL_SOURCE_FITTED ? "fitting" : "likelihood", t_fit - t_count,
		        t_score - t_fit, now_seconds() - t_score);
	free(rows);
	free(order);
	signal_table_free(t);
	return rc;
}
