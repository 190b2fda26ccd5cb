/* bench/coldchain: how fast is a logger file read and evaluated, and stored?
 *
 * Writes a deterministic logger CSV of N readings (default 10 million: a header, then
 * "2026-01-01T00:00:00+09:00,4.6" a minute apart, a random walk around 5 °C with an excursion
 * now and then) into a temporary directory, and a 1-million-reading file beside it, then in one
 * run prints:
 *   - `wc -l` on the big file (the floor: reading the bytes and finding the line ends),
 *   - exosafe's parse + excursion + MKT (temp_csv feeding coldchain_eval, read() in 256 KiB
 *     chunks): seconds, readings/s and the ratio to wc -l,
 *   - peak RSS (getrusage) after the 1M run and after the 10M run: flat memory means equal,
 *   - storing every reading in SQLite through the store (store_reading_put in one
 *     transaction, the path `exosafe import-temps` takes, parse included): rows/s,
 *   - for reference, SQLite's bare prepared INSERT into the same readings(logger_id, at,
 *     celsius, PRIMARY KEY(logger_id, at)) WITHOUT ROWID table, one transaction, values from
 *     memory (no parsing): rows/s.
 * Files are read from the page cache in every case (each is read once before it is timed).
 *
 *   bench_coldchain [--readings N] [--small N] [--dir DIR] [--keep] [--no-store]
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/coldchain.h"
#include "core/temp_csv.h"
#include "store/store.h"

enum { CHUNK = 256 * 1024 };
static const int64_t BASE_TIME = INT64_C(1767193200);  /* 2026-01-01T00:00:00+09:00 */

typedef struct options {
	int64_t readings, small;
	const char *dir;
	int keep, no_store;
} options;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double peak_rss_mib(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_maxrss / 1024.0;  /* ru_maxrss is in KiB on Linux */
}

/* Gregorian date of a day count since 1970-01-01 (Howard Hinnant's civil_from_days). */
static void civil(int64_t z, int *y, int *m, int *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

/* The generator's temperature in tenths of a degree: a bounded random walk around 5.0 °C,
 * with a warm spell (door open) once in about 20,000 readings. Deterministic. */
typedef struct walk {
	uint64_t state;
	int tenths;
	int warm_left;
} walk;

static int walk_next(walk *w)
{
	w->state = w->state * 6364136223846793005u + 1442695040888963407u;
	uint32_t r = (uint32_t)(w->state >> 33);
	if (w->warm_left > 0) {
		w->warm_left--;
		w->tenths += w->warm_left > 10 ? 3 : -4;
	} else if (r % 20000 == 0) {
		w->warm_left = 20;
	} else {
		w->tenths += (int)(r % 3) - 1;
		if (w->tenths < 30)
			w->tenths = 30;
		if (w->tenths > 70)
			w->tenths = 70;
	}
	return w->tenths;
}

/* Writes n readings; returns the file size, or -1. */
static long long generate(const char *path, int64_t n)
{
	FILE *f = fopen(path, "wb");
	if (f == NULL) {
		fprintf(stderr, "bench_coldchain: %s: %s\n", path, strerror(errno));
		return -1;
	}
	static char buf[1 << 20];
	size_t len = 0;
	len += (size_t)sprintf(buf, "timestamp,temperature_c\n");
	walk w = {42, 50, 0};
	int64_t day = -1;
	char date[16] = "";
	for (int64_t i = 0; i < n; i++) {
		int64_t local = BASE_TIME + 9 * 3600 + i * 60;
		if (local / 86400 != day) {
			int y, m, d;
			day = local / 86400;
			civil(day, &y, &m, &d);
			snprintf(date, sizeof date, "%04d-%02d-%02d", y, m, d);
		}
		int sod = (int)(local % 86400), t = walk_next(&w);
		char *p = buf + len;
		memcpy(p, date, 10);
		p[10] = 'T';
		p[11] = (char)('0' + sod / 36000);
		p[12] = (char)('0' + sod / 3600 % 10);
		p[13] = ':';
		p[14] = (char)('0' + sod / 60 % 60 / 10);
		p[15] = (char)('0' + sod / 60 % 10);
		memcpy(p + 16, ":00+09:00,", 10);
		p += 26;
		if (t < 0) {
			*p++ = '-';
			t = -t;
		}
		if (t >= 100)
			*p++ = (char)('0' + t / 100);
		*p++ = (char)('0' + t / 10 % 10);
		*p++ = '.';
		*p++ = (char)('0' + t % 10);
		*p++ = '\n';
		len = (size_t)(p - buf);
		if (len > sizeof buf - 64) {
			fwrite(buf, 1, len, f);
			len = 0;
		}
	}
	fwrite(buf, 1, len, f);
	if (fclose(f) != 0)
		return -1;
	struct stat st;
	stat(path, &st);
	return (long long)st.st_size;
}

/* Reads the whole file once so that every timing starts from the page cache. */
static void warm(const char *path)
{
	int fd = open(path, O_RDONLY);
	static char buf[CHUNK];
	while (fd >= 0 && read(fd, buf, sizeof buf) > 0)
		;
	if (fd >= 0)
		close(fd);
}

/* Times `wc -l` on the file, best of three. */
static double time_wc(const char *path, long long *lines)
{
	char cmd[1200];
	snprintf(cmd, sizeof cmd, "wc -l < '%s'", path);
	double best = 1e9;
	for (int i = 0; i < 3; i++) {
		double t0 = now_s();
		FILE *p = popen(cmd, "r");
		if (p == NULL || fscanf(p, "%lld", lines) != 1) {
			if (p)
				pclose(p);
			return -1;
		}
		pclose(p);
		double t = now_s() - t0;
		if (t < best)
			best = t;
	}
	return best;
}

typedef struct eval_run {
	coldchain_eval ev;
	int64_t episodes_seen, gaps_seen;
	int64_t now;               /* "now" for the plausibility check: after the file's last reading */
	store *s;                  /* when storing: each reading goes to reading_put */
	int64_t logger_id;
	int store_failed;
} eval_run;

static void count_episode(void *ctx, const excursion_episode *e)
{
	(void)e;
	((eval_run *)ctx)->episodes_seen++;
}

static void count_gap(void *ctx, const data_gap *g)
{
	(void)g;
	((eval_run *)ctx)->gaps_seen++;
}

static int on_reading(void *ctx, const temp_reading *r, long line)
{
	eval_run *run = ctx;
	(void)line;
	coldchain_feed(&run->ev, r);
	if (run->s != NULL) {
		int added;
		if (store_reading_put(run->s, run->logger_id, r->at, r->celsius, &added) != STORE_OK) {
			run->store_failed = 1;
			return 1;
		}
	}
	return 0;
}

/* Parses and evaluates the file (storing each reading when run->s is set). Returns seconds,
 * or -1 on a parse error. */
static double parse_file(const char *path, eval_run *run)
{
	coldchain_limits lim = {2.0, 8.0, 0};
	coldchain_begin(&run->ev, &lim, count_episode, count_gap, run);
	temp_csv *p = temp_csv_new(9 * 3600, run->now, on_reading, run);
	int fd = open(path, O_RDONLY);
	if (p == NULL || fd < 0) {
		temp_csv_free(p);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	static char buf[CHUNK];
	temp_csv_error err;
	int rc = 0;
	double t0 = now_s();
	ssize_t n;
	while (rc == 0 && (n = read(fd, buf, sizeof buf)) > 0)
		rc = temp_csv_feed(p, buf, (size_t)n, &err);
	if (rc == 0)
		rc = temp_csv_finish(p, &err);
	coldchain_finish(&run->ev);
	double t = now_s() - t0;
	close(fd);
	temp_csv_free(p);
	if (rc != 0) {
		fprintf(stderr, "bench_coldchain: %s:%ld: %s\n", path, err.line, err.reason);
		return -1;
	}
	return t;
}

static int exec_sql(sqlite3 *db, const char *sql)
{
	char *msg = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		fprintf(stderr, "bench_coldchain: %s\n", msg ? msg : sqlite3_errmsg(db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

/* ====================================================================================== *
 * STORE: every reading through the application's store, store_reading_put, inside one     *
 * transaction, as `exosafe import-temps` does. Parse + evaluate included in the time.      *
 * ====================================================================================== */
static double time_store(const char *csv_path, const char *db_path, int64_t now, int64_t *rows)
{
	char err[256];
	unlink(db_path);
	store *s = store_sqlite_open(db_path, err, sizeof err);
	if (s == NULL) {
		fprintf(stderr, "bench_coldchain: %s\n", err);
		return -1;
	}
	int version;
	logger_record l = {0};
	snprintf(l.code, sizeof l.code, "BENCH-1");
	l.created_at = BASE_TIME;
	if (store_migrate(s, &version) != STORE_OK || store_logger_insert(s, &l) != STORE_OK) {
		fprintf(stderr, "bench_coldchain: store: %s\n", s->errmsg);
		store_close(s);
		return -1;
	}
	eval_run run = {.now = now, .s = s, .logger_id = l.id};
	double t0 = now_s();
	if (store_begin(s) != STORE_OK) {
		store_close(s);
		return -1;
	}
	double parse = parse_file(csv_path, &run);
	if (parse < 0 || run.store_failed || store_commit(s) != STORE_OK) {
		fprintf(stderr, "bench_coldchain: store: %s\n", s->errmsg);
		store_rollback(s);
		store_close(s);
		return -1;
	}
	double t = now_s() - t0;
	*rows = run.ev.readings;
	store_close(s);
	return t;
}

/* The reference: SQLite's bare prepared INSERT into the same table shape, one transaction,
 * the values computed in memory (no file, no parsing), default pragmas but for the journal. */
static double time_raw_insert(const char *db_path, int64_t n)
{
	sqlite3 *db;
	unlink(db_path);
	if (sqlite3_open(db_path, &db) != SQLITE_OK)
		return -1;
	if (exec_sql(db, "PRAGMA journal_mode=WAL; CREATE TABLE readings (logger_id INTEGER NOT NULL, at INTEGER NOT NULL,"
	                 " celsius REAL NOT NULL, PRIMARY KEY (logger_id, at)) WITHOUT ROWID") != 0) {
		sqlite3_close(db);
		return -1;
	}
	sqlite3_stmt *st;
	sqlite3_prepare_v2(db, "INSERT INTO readings (logger_id, at, celsius) VALUES (1, ?, ?)", -1, &st, NULL);
	walk w = {42, 50, 0};
	double t0 = now_s();
	exec_sql(db, "BEGIN");
	for (int64_t i = 0; i < n; i++) {
		sqlite3_bind_int64(st, 1, BASE_TIME + i * 60);
		sqlite3_bind_double(st, 2, walk_next(&w) / 10.0);
		if (sqlite3_step(st) != SQLITE_DONE) {
			fprintf(stderr, "bench_coldchain: %s\n", sqlite3_errmsg(db));
			break;
		}
		sqlite3_reset(st);
	}
	exec_sql(db, "COMMIT");
	double t = now_s() - t0;
	sqlite3_finalize(st);
	sqlite3_close(db);
	return t;
}

static int parse_args(int argc, char **argv, options *o)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--readings") == 0 && i + 1 < argc)
			o->readings = strtoll(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--small") == 0 && i + 1 < argc)
			o->small = strtoll(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
			o->dir = argv[++i];
		else if (strcmp(argv[i], "--keep") == 0)
			o->keep = 1;
		else if (strcmp(argv[i], "--no-store") == 0)
			o->no_store = 1;
		else {
			fprintf(stderr, "usage: bench_coldchain [--readings N] [--small N] [--dir DIR] [--keep] [--no-store]\n");
			return -1;
		}
	}
	if (o->readings < 1 || o->small < 1 || o->small > o->readings) {
		fprintf(stderr, "bench_coldchain: need 1 <= --small <= --readings\n");
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	options o = {10 * 1000 * 1000, 1000 * 1000, NULL, 0, 0};
	if (parse_args(argc, argv, &o) != 0)
		return 2;
	char dir[1024];
	if (o.dir) {
		snprintf(dir, sizeof dir, "%s", o.dir);
		mkdir(dir, 0700);
	} else {
		const char *tmp = getenv("TMPDIR");
		snprintf(dir, sizeof dir, "%s/bench_coldchain.XXXXXX", tmp && *tmp ? tmp : "/tmp");
		if (mkdtemp(dir) == NULL) {
			perror("bench_coldchain: mkdtemp");
			return 1;
		}
	}
	char big[1100], small[1100], db[1100], raw[1100];
	snprintf(big, sizeof big, "%s/logger-%" PRId64 ".csv", dir, o.readings);
	snprintf(small, sizeof small, "%s/logger-%" PRId64 ".csv", dir, o.small);
	snprintf(db, sizeof db, "%s/store.db", dir);
	snprintf(raw, sizeof raw, "%s/raw.db", dir);

	printf("bench_coldchain: %" PRId64 " readings (and %" PRId64 " for the memory comparison) in %s\n", o.readings,
	       o.small, dir);
	double t0 = now_s();
	long long size_small = generate(small, o.small), size_big = generate(big, o.readings);
	if (size_small < 0 || size_big < 0)
		return 1;
	printf("  generated %.1f MB and %.1f MB in %.1f s\n", size_big / 1e6, size_small / 1e6, now_s() - t0);
	warm(small);
	warm(big);
	int status = 0;

	/* Memory first, small then big, before anything else raises the high-water mark. */
	/* The files end BASE_TIME + N minutes: "now" is then, so that every reading is plausible. */
	const int64_t files_end = BASE_TIME + (o.readings > o.small ? o.readings : o.small) * 60;
	eval_run run = {.now = files_end};
	double t_small = parse_file(small, &run);
	double rss_small = peak_rss_mib();
	double t_big = parse_file(big, &run), t_big2;
	double rss_big = peak_rss_mib();
	eval_run again = {.now = files_end};
	t_big2 = parse_file(big, &again);  /* best of two */
	if (t_small < 0 || t_big < 0 || t_big2 < 0)
		return 1;
	if (t_big2 < t_big)
		t_big = t_big2;
	long long lines;
	double t_wc = time_wc(big, &lines);

	printf("\n  %-44s %8.3f s   %lld lines (%.0f MB/s)\n", "wc -l", t_wc, lines, size_big / 1e6 / t_wc);
	printf("  %-44s %8.3f s   %.2f M readings/s   %.1f× wc -l\n", "parse + excursion + MKT (temp_csv, coldchain)",
	       t_big, (double)run.ev.readings / t_big / 1e6, t_big / t_wc);
	printf("  %-44s %8s     target ≥ 5 M readings/s: %s\n", "", "",
	       (double)run.ev.readings / t_big >= 5e6 ? "met" : "NOT MET");
	printf("    %" PRId64 " readings, %" PRId64 " episodes (%" PRId64 " s outside), %" PRId64 " gaps, "
	       "interval %" PRId64 " s, min %.1f max %.1f °C, MKT %.3f °C\n",
	       run.ev.readings, run.ev.episodes, run.ev.seconds_outside, run.ev.gaps, run.ev.interval_seconds,
	       run.ev.min_seen, run.ev.max_seen, coldchain_mkt_celsius(&run.ev));
	printf("  %-44s %8.3f s   %.2f M readings/s (%" PRId64 " readings)\n", "same, small file", t_small,
	       (double)o.small / t_small / 1e6, o.small);
	printf("  %-44s %8.1f MiB after %" PRId64 ", %.1f MiB after %" PRId64 " readings: %s\n", "peak RSS", rss_small,
	       o.small, rss_big, o.readings, rss_big - rss_small < 1.0 ? "flat" : "GROWS");

	if (!o.no_store) {
		int64_t rows = 0;
		double t_store = time_store(big, db, files_end, &rows);
		if (t_store < 0) {
			status = 1;
		} else {
			printf("  %-44s %8.3f s   %.0f rows/s (parse included)   target ≥ 500,000: %s\n",
			       "store: reading_put, one transaction", t_store, (double)rows / t_store,
			       (double)rows / t_store >= 5e5 ? "met" : "NOT MET");
		}
		double t_raw = time_raw_insert(raw, o.readings);
		if (t_raw < 0)
			status = 1;
		else
			printf("  %-44s %8.3f s   %.0f rows/s (values from memory)\n", "reference: bare prepared INSERT", t_raw,
			       (double)o.readings / t_raw);
	}

	if (!o.keep) {
		const char *suffixes[] = {"", "-wal", "-shm", "-journal"};
		for (int i = 0; i < 4; i++) {
			char p[1200];
			snprintf(p, sizeof p, "%s%s", db, suffixes[i]);
			unlink(p);
			snprintf(p, sizeof p, "%s%s", raw, suffixes[i]);
			unlink(p);
		}
		unlink(big);
		unlink(small);
		if (!o.dir)
			rmdir(dir);
	}
	return status;
}
