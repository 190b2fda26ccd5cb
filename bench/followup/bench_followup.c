/* bench/followup: the follow-up statistics of issue 17 over a synthetic cohort, in C.
 *
 *     bench_followup --input COHORT.csv --output NUMBERS.f64 [--alpha A] [--upper-limit T]
 *                    [--min-events M] [--threads N] [--verbose]
 *
 * COHORT.csv (written by bench/followup/bench_followup.py, one row a check-in, missed ones
 * too): patient,product,lot,delivered_at,due_at,answered_at,symptoms — delivered_at is the
 * delivery whose lot was in use at the check-in (unix seconds), answered_at 0 for a missed
 * check-in, symptoms a bit mask over the 9 checklist symptoms (0: nothing changed). A
 * patient's rows come in answer order (the generator writes them by day offset).
 *
 * The method of CONTRACT17.md section 4: per product a unit is a patient (entry = first
 * delivery of the product), per lot a (patient, lot) exposure (entry = first delivery with the
 * lot); a unit is followed with one answered check-in; event = the first answered check-in
 * with a symptom, censored at the last answered one otherwise. Per product and per lot: units
 * followed, person-days, events, per-symptom incidence with Clopper–Pearson 95%, the
 * Kaplan–Meier curve with its log(−log) band (core/followup_stats.h), and per lot the
 * sequential MaxSPRT the server runs (core/maxsprt_lots.h: each product's at-risk answered
 * check-ins replayed in answer order, expected per check-in from the other lots' prospective
 * share for the same (previous day, day) from the lot's entry, day = round((due_at − entry) /
 * 86400) as in src/service/followup_summary.c).
 *
 * Prints on stdout "seconds S cpu C" (wall and process CPU time, all threads', from reading the
 * file to having every number; the writing of the numbers is not timed; --verbose adds each
 * phase's times and page faults; --threads N, default 2, for the products' statistics and the
 * lots' tests) and writes every number as raw doubles to NUMBERS.f64 in the order
 * bench/followup/reference.py writes them (write_group). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <malloc.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/followup_stats.h"
#include "core/maxsprt.h"
#include "core/maxsprt_lots.h"

#define N_SYMPTOMS 9
#define USAGE                                                                                  \
	"usage: bench_followup --input COHORT.csv --output NUMBERS.f64 [--alpha A] [--upper-limit T] " \
	"[--min-events M] [--threads N] [--verbose]"
#define HEADER "patient,product,lot,delivered_at,due_at,answered_at,symptoms"

/* A row as kept, in its lot's chunks (the lot and its product are the lot's): times as
 * unsigned 32-bit Unix seconds (to 2106), 20 bytes a row instead of 32, since on this virtual
 * machine freshly touched memory is the dearest part of the run (first touch 0.2-0.8 GB/s). */
typedef struct {
	int32_t patient;
	uint32_t symptoms;
	uint32_t delivered_at, due_at, answered_at;
} keyed_row;

/* The rows go straight from the parser into their lot's chain of chunks (file order within
 * a lot), instead of into one array that a counting sort then copied lot by lot: that array
 * was 24 MiB more fresh memory and two more passes. The products' grouping reads its lots'
 * chunks (a unit's numbers are a minimum, a maximum and an OR: row order does not matter). */
#define CHUNK_ROWS 2048
typedef struct row_chunk {
	struct row_chunk *next;
	size_t n;
	keyed_row rows[CHUNK_ROWS];
} row_chunk;

typedef struct {
	row_chunk *first, *last;
	size_t n;
	int32_t product;
	int32_t next_of_product; /* the product's next lot id (ascending), 0: none */
} lot_rows;

typedef struct {
	lot_rows *lots;          /* by lot id, 0 .. max_lot */
	int32_t *first_lot_of;   /* by product id: its smallest lot id, 0: none */
	int32_t max_patient, max_product, max_lot;
	size_t n;
} cohort;

/* One unit (a patient of a product, or a patient's exposure to a lot); times as in
 * keyed_row (16 bytes a unit, not 32: less fresh memory to touch). */
#define NO_EVENT UINT32_MAX
typedef struct {
	uint32_t entry;         /* first delivery */
	uint32_t first_event;   /* answered_at of the first answered check-in with a symptom, or NO_EVENT */
	uint32_t last_answered; /* answered_at of the last answered check-in, or 0 */
	uint32_t symptoms;      /* OR over the answered check-ins */
} unit_acc;

/* What one product or lot comes to. */
typedef struct {
	int32_t id, product;
	int64_t followed, events, follow_seconds;
	fs_incidence incidence[N_SYMPTOMS];
	fs_km_step *steps;
	ptrdiff_t n_steps;
	double expected, llr, cv;
	int state;              /* -1 product; lots: 0 no_baseline, 1 monitoring, 2 signal, 3 ended */
	int64_t observed, signal_look; /* lots: events in the test; the look that signalled, 0: none */
} group_result;

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Minor page faults of the process so far (--verbose: fresh memory is this machine's dearest
 * cost, so the breakdown shows it per phase). */
static long minor_faults(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

typedef struct {
	const char *name;
	double wall, cpu;
	long faults;
} phase_mark;

static phase_mark phase_now(const char *name)
{
	return (phase_mark){name, now_seconds(), cpu_seconds(), minor_faults()};
}

static void die(const char *msg)
{
	fprintf(stderr, "bench_followup: %s\n", msg);
	exit(1);
}

/* A large zeroed buffer in transparent huge pages where the kernel allows them (madvise mode):
 * on this virtual machine a page fault costs about 14 µs, and the 4 KiB pages of a 1M-row run
 * cost more than the arithmetic (25,000 faults, 0.36 s of system time). NumPy asks for huge
 * pages for its large arrays the same way (its default on Linux). Never freed: the process
 * ends after one run. */
static void *big(size_t bytes)
{
	bytes = bytes ? bytes : 1;
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		die("out of memory");
	madvise(p, bytes, MADV_HUGEPAGE);
	return p;
}

/* The file mapped read-only (MAP_POPULATE: its pages are the page cache's, mapped in one go,
 * neither copied nor freshly allocated). It must end with a newline (the parser stops at it). */
static const char *map_file(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0 || st.st_size == 0) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return NULL;
	*len = (size_t)st.st_size;
	if (((const char *)p)[*len - 1] != '\n')
		die("the input does not end with a newline");
	return p;
}

/* Eight ASCII digits as one little-endian word: all of them digits? And their value (s[0]
 * the most significant). The SWAR method of fast_float and simdjson (Lemire, "Number parsing
 * at a gigabyte per second", Software: Practice and Experience 51(8), 2021): three multiplies
 * instead of eight dependent multiply-adds. */
static int eight_digits(uint64_t word)
{
	return ((word & 0xF0F0F0F0F0F0F0F0u) | (((word + 0x0606060606060606u) & 0xF0F0F0F0F0F0F0F0u) >> 4)) ==
	       0x3333333333333333u;
}

static uint64_t eight_digits_value(uint64_t word)
{
	word -= 0x3030303030303030u;
	word = word * 10 + (word >> 8);
	return (((word & 0x000000FF000000FFu) * 0x000F424000000064u) +
	        (((word >> 16) & 0x000000FF000000FFu) * 0x0000271000000001u)) >> 32;
}

/* A non-negative decimal integer (at most 18 digits) ending at `end`; advances *p past the
 * terminator. The file is our own generator's fixed all-integer format (bench_followup.py),
 * so this reads it directly rather than through libcsv and strtoll: with them the reading
 * alone took longer than the statistics, and the digit loop's chain of dependent
 * multiply-adds was still most of the parse here until the 10-digit times went through
 * eight_digits_value (the whole parse 0.06 s -> see README). */
static int parse_field(const char **p, const char *limit, char end, int64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;
	int digits = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	if (limit - s >= 8) {
		uint64_t word;
		memcpy(&word, s, 8);
		if (eight_digits(word)) {
			v = eight_digits_value(word);
			s += 8;
			digits = 8;
		}
	}
#else
	(void)limit;
#endif
	for (; *s >= '0' && *s <= '9'; s++) {
		if (++digits > 18)
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (digits == 0)
		return -1;
	if (end == '\n' && *s == '\r')
		s++;
	if (*s != end)
		return -1;
	*p = s + 1;
	*out = (int64_t)v;
	return 0;
}

/* A fresh chunk from a bump allocator over big() regions (never freed, as the rest). */
typedef struct {
	char *base;
	size_t used, room;
} chunk_pool;

static row_chunk *chunk_new(chunk_pool *pool)
{
	if (pool->base == NULL || pool->room - pool->used < sizeof(row_chunk)) {
		pool->room = (size_t)64 << 20;
		pool->base = big(pool->room);
		pool->used = 0;
	}
	row_chunk *c = (row_chunk *)(void *)(pool->base + pool->used);
	pool->used += sizeof(row_chunk);
	c->next = NULL;
	c->n = 0;
	return c;
}

static cohort parse_cohort(const char *buf, size_t len)
{
	if (strncmp(buf, HEADER, strlen(HEADER)) != 0)
		die("the input does not start with the header " HEADER);
	const char *p = strchr(buf, '\n');
	if (p == NULL)
		die("the input has no rows");
	p++;
	/* Lot ids are 16-bit: a slot for each (pages of slots never touched cost nothing). */
	cohort c = {calloc((size_t)UINT16_MAX + 1, sizeof(lot_rows)), NULL, 0, 0, 0, 0};
	if (!c.lots)
		die("out of memory");
	chunk_pool pool = {0};
	while (p < buf + len) {
		/* A page ahead: the file's page-cache pages are 4 KiB ones, whose first line each
		 * stalled the loop (the hardware prefetcher stops at a page's end); parse 0.058 ->
		 * 0.045 s CPU, best of six. */
		__builtin_prefetch(p + 4096);
		int64_t v[7];
		const char ends[7] = {',', ',', ',', ',', ',', ',', '\n'};
		for (int i = 0; i < 7; i++)
			if (parse_field(&p, buf + len, ends[i], &v[i]) != 0) {
				fprintf(stderr, "bench_followup: row %zu: field %d is not a number\n", c.n + 2, i + 1);
				exit(1);
			}
		if (v[0] > INT32_MAX || v[1] > UINT16_MAX || v[2] > UINT16_MAX || v[3] > UINT32_MAX || v[4] > UINT32_MAX ||
		    v[5] >= UINT32_MAX /* NO_EVENT */ || v[6] >= (1 << N_SYMPTOMS))
			die("a patient, product or lot id, a time or a symptom mask is out of range");
		lot_rows *l = &c.lots[v[2]];
		if (l->last == NULL || l->last->n == CHUNK_ROWS) {
			row_chunk *chunk = chunk_new(&pool);
			if (l->last == NULL) {
				l->first = chunk;
				l->product = (int32_t)v[1];
			} else {
				l->last->next = chunk;
			}
			l->last = chunk;
		}
		if (l->product != v[1]) {
			fprintf(stderr, "bench_followup: row %zu: lot %" PRId64 " is of product %d, not %" PRId64 "\n", c.n + 2,
			        v[2], l->product, v[1]);
			exit(1);
		}
		l->last->rows[l->last->n++] = (keyed_row){(int32_t)v[0], (uint32_t)v[6], (uint32_t)v[3], (uint32_t)v[4],
		                                          (uint32_t)v[5]};
		l->n++;
		c.n++;
		if (v[0] > c.max_patient)
			c.max_patient = (int32_t)v[0];
		if (v[1] > c.max_product)
			c.max_product = (int32_t)v[1];
		if (v[2] > c.max_lot)
			c.max_lot = (int32_t)v[2];
	}
	c.first_lot_of = calloc((size_t)c.max_product + 1, sizeof *c.first_lot_of);
	if (!c.first_lot_of)
		die("out of memory");
	for (int32_t lot = c.max_lot; lot > 0; lot--)
		if (c.lots[lot].n > 0) {
			c.lots[lot].next_of_product = c.first_lot_of[c.lots[lot].product];
			c.first_lot_of[c.lots[lot].product] = lot;
		}
	return c;
}

/* Working memory of by_key, sized for n rows once and used by both groupings in turn. */
typedef struct {
	int32_t *stamp, *unit_of;
	unit_acc *units;
	fs_obs *obs;
	uint32_t *masks;
	int64_t *seconds;
	fs_km_step *steps;      /* the Kaplan–Meier steps of every group, one after the other */
	size_t steps_used, steps_room;
} scratch_space;

static scratch_space scratch_make(size_t n, int32_t max_patient)
{
	scratch_space w = {
		.stamp = big(((size_t)max_patient + 1) * sizeof(int32_t)),
		.unit_of = big(((size_t)max_patient + 1) * sizeof(int32_t)), .units = big(n * sizeof(unit_acc)),
		.obs = big(n * sizeof(fs_obs)), .masks = big(n * sizeof(uint32_t)), .seconds = big(n * sizeof(int64_t)),
		/* Units of the products plus units of the lots: at most a unit per row each. */
		.steps = big(2 * n * sizeof(fs_km_step)), .steps_used = 0, .steps_room = 2 * n,
	};
	return w;
}

/* The statistics of one group from its units. */
static void group_statistics(scratch_space *w, size_t n_units, group_result *g)
{
	size_t followed = 0;
	int64_t events = 0, total = 0;
	for (size_t u = 0; u < n_units; u++) {
		const unit_acc *unit = &w->units[u];
		if (unit->last_answered == 0)
			continue;
		int event = unit->first_event != NO_EVENT;
		int64_t s = (int64_t)(event ? unit->first_event : unit->last_answered) - (int64_t)unit->entry;
		w->seconds[followed] = s;
		w->obs[followed] = (fs_obs){(double)s / 86400.0, event};
		w->masks[followed] = unit->symptoms;
		events += event;
		total += s;
		followed++;
	}
	g->followed = (int64_t)followed;
	g->events = events;
	g->follow_seconds = total;
	if (fs_person_days(w->seconds, followed) != (double)total / 86400.0)
		die("fs_person_days disagrees");
	if (fs_symptom_incidence(w->masks, followed, N_SYMPTOMS, 0.95, g->incidence) != 0)
		die("fs_symptom_incidence failed");
	if (w->steps_room - w->steps_used < followed)
		die("no room for the steps");
	g->steps = w->steps + w->steps_used;
	g->n_steps = fs_kaplan_meier(w->obs, followed, 0.95, g->steps);
	if (g->n_steps < 0)
		die("fs_kaplan_meier failed");
	w->steps_used += (size_t)g->n_steps;
}

/* The units of the rows of a lot (lot != 0), or of a product's lots (lot == 0): units[0 ..
 * return), unit_of[patient] their index; stamp[patient] == key marks the patients seen for
 * this key (stamps start at -1). */
static size_t key_units(const cohort *co, int32_t key, int use_lot, int32_t *stamp, int32_t *unit_of, unit_acc *units)
{
	size_t n_units = 0;
	int32_t first = use_lot ? (co->lots[key].n > 0 ? key : 0) : co->first_lot_of[key];
	/* A lot's chunks, or each lot of a product's in turn. */
	for (int32_t lot = first; lot != 0; lot = use_lot ? 0 : co->lots[lot].next_of_product)
		for (const row_chunk *c = co->lots[lot].first; c != NULL; c = c->next)
			for (size_t r = 0; r < c->n; r++) {
				const keyed_row *row = &c->rows[r];
				unit_acc *u;
				if (stamp[row->patient] != key) {
					stamp[row->patient] = key;
					unit_of[row->patient] = (int32_t)n_units;
					u = &units[n_units++];
					*u = (unit_acc){row->delivered_at, NO_EVENT, 0, 0};
				} else {
					u = &units[unit_of[row->patient]];
				}
				if (row->delivered_at < u->entry)
					u->entry = row->delivered_at;
				if (row->answered_at != 0) {
					if (row->answered_at > u->last_answered)
						u->last_answered = row->answered_at;
					if (row->symptoms != 0 && row->answered_at < u->first_event)
						u->first_event = row->answered_at;
					u->symptoms |= row->symptoms;
				}
			}
	return n_units;
}

/* Groups the rows by key (product or lot), and within a group into one unit per patient; then
 * the statistics of each group. ids run 1..max_key; groups without rows are left out. */
static group_result *by_key(const cohort *co, int use_lot, scratch_space *w, size_t *n_groups)
{
	int32_t max_key = use_lot ? co->max_lot : co->max_product;
	group_result *groups = calloc((size_t)max_key + 1, sizeof *groups);
	if (!groups)
		die("out of memory");
	int32_t *stamp = w->stamp, *unit_of = w->unit_of;
	unit_acc *units = w->units;
	for (int32_t p = 0; p <= co->max_patient; p++)
		stamp[p] = -1;

	size_t out = 0;
	for (int32_t key = 1; key <= max_key; key++) {
		if (use_lot ? co->lots[key].n == 0 : co->first_lot_of[key] == 0)
			continue;
		size_t n_units = key_units(co, key, use_lot, stamp, unit_of, units);
		group_result *g = &groups[out++];
		g->id = key;
		g->product = use_lot ? co->lots[key].product : key;
		g->state = -1;
		g->expected = g->llr = g->cv = NAN;
		group_statistics(w, n_units, g);
	}
	*n_groups = out;
	return groups;
}

/* What a thread of the lots' tests works in, kept from one product to the next. */
typedef struct {
	int32_t *stamp, *unit_of, *prev_day;
	unit_acc *units;
	maxsprt_lot_checkin *replay;
} test_space;

/* One product's MaxSPRT: its lots lots[from_lot, to_lot). */
typedef struct {
	const cohort *co;
	group_result *lots;
	size_t from_lot, to_lot, n_rows;
	const maxsprt_lot_settings *settings;
	double cv;
} product_test;

/* The rows of one lot as core/maxsprt_lots takes them: a unit's answered check-ins up to and
 * including its first event, with the day from the unit's entry (day = round((due_at −
 * entry) / 86400), as src/service/followup_summary.c) of its previous answered check-in (0:
 * none) and of this one, appended to t->replay[*n_out ...]. */
static void replay_rows(const cohort *co, int32_t lot, test_space *t, size_t *n_out)
{
	key_units(co, lot, 1, t->stamp, t->unit_of, t->units);
	const lot_rows *l = &co->lots[lot];
	for (const row_chunk *c = l->first; c != NULL; c = c->next)
		for (size_t r = 0; r < c->n; r++)
			t->prev_day[t->unit_of[c->rows[r].patient]] = -1;
	for (const row_chunk *c = l->first; c != NULL; c = c->next)
		for (size_t r = 0; r < c->n; r++) {
			const keyed_row *row = &c->rows[r];
			int32_t u = t->unit_of[row->patient];
			if (row->answered_at == 0 || t->prev_day[u] == -2)
				continue;
			int64_t due = (int64_t)row->due_at - (int64_t)t->units[u].entry;
			int32_t day = due <= 0 ? 0 : (int32_t)((due + 43200) / 86400);
			int32_t prev = t->prev_day[u] < 0 ? 0 : t->prev_day[u];
			t->replay[(*n_out)++] = (maxsprt_lot_checkin){lot, row->patient, prev < day ? prev : day, day,
			                                              (int64_t)row->answered_at, row->symptoms != 0};
			t->prev_day[u] = row->symptoms != 0 ? -2 : day;
		}
}

static void run_product_test(void *arg, test_space *space)
{
	const product_test *t = arg;
	size_t n_rows = 0;
	for (size_t k = t->from_lot; k < t->to_lot; k++)
		replay_rows(t->co, t->lots[k].id, space, &n_rows);
	maxsprt_lot_result *res = NULL;
	size_t n_res = 0;
	if (maxsprt_lots_run(space->replay, n_rows, t->settings, &res, &n_res) != 0)
		die("maxsprt_lots_run failed");
	for (size_t k = t->from_lot, m = 0; k < t->to_lot; k++) {
		group_result *g = &t->lots[k];
		while (m < n_res && res[m].lot_id < g->id)
			m++;
		const maxsprt_lot_result *x = m < n_res && res[m].lot_id == g->id ? &res[m] : NULL;
		g->cv = t->cv;
		g->state = x ? (int)x->state : 0;
		if (x == NULL || x->state == MAXSPRT_LOT_NO_BASELINE)
			continue; /* expected and llr NAN, as the summary shows null */
		g->expected = x->expected;
		g->llr = x->llr;
		g->observed = x->observed;
		g->signal_look = x->signal_look;
	}
	free(res);
}

/* The products' statistics (by_key over the products), run as a task beside the lots' tests. */
typedef struct {
	const cohort *co;
	scratch_space *work;
	group_result *groups;
	size_t n_groups;
} product_statistics;

static void run_product_statistics(void *arg, test_space *unused)
{
	(void)unused;
	product_statistics *p = arg;
	p->groups = by_key(p->co, 0, p->work, &p->n_groups);
}

typedef struct {
	void (*run)(void *, test_space *);
	void *arg;
} task;

typedef struct {
	task *tasks;
	size_t n_tasks, next; /* next: the next task to take (under lock) */
	pthread_mutex_t lock;
	int32_t max_patient;
	size_t max_lot_rows, max_product_rows; /* what a test_space must hold */
} task_queue;

typedef struct {
	task_queue *queue;
	test_space space;
} worker;

static void *task_worker(void *arg)
{
	worker *w = arg;
	task_queue *q = w->queue;
	for (;;) {
		pthread_mutex_lock(&q->lock);
		size_t i = q->next < q->n_tasks ? q->next++ : q->n_tasks;
		pthread_mutex_unlock(&q->lock);
		if (i == q->n_tasks)
			return NULL;
		if (w->space.replay == NULL && q->tasks[i].run == run_product_test) {
			size_t patients = (size_t)q->max_patient + 1;
			w->space = (test_space){malloc(patients * sizeof(int32_t)), malloc(patients * sizeof(int32_t)),
			                        malloc(q->max_lot_rows * sizeof(int32_t)), malloc(q->max_lot_rows * sizeof(unit_acc)),
			                        malloc(q->max_product_rows * sizeof(maxsprt_lot_checkin))};
			if (!w->space.stamp || !w->space.unit_of || !w->space.prev_day || !w->space.units || !w->space.replay)
				die("out of memory");
			for (size_t p = 0; p < patients; p++)
				w->space.stamp[p] = -1;
		}
		q->tasks[i].run(q->tasks[i].arg, &w->space);
	}
}

/* Runs the queue's tasks on `threads` threads (this one and threads - 1 more), each taking the
 * next task in order when it is free. The tasks must not share what they write. */
static void run_tasks(task_queue *q, int threads)
{
	worker workers[16] = {0};
	pthread_t helpers[16];
	size_t n_workers = (size_t)(threads < 16 ? threads : 16);
	if (n_workers > q->n_tasks)
		n_workers = q->n_tasks > 0 ? q->n_tasks : 1;
	for (size_t h = 0; h < n_workers; h++)
		workers[h].queue = q;
	for (size_t h = 1; h < n_workers; h++)
		if (pthread_create(&helpers[h], NULL, task_worker, &workers[h]) != 0)
			die("cannot start a thread");
	task_worker(&workers[0]);
	for (size_t h = 1; h < n_workers; h++)
		pthread_join(helpers[h], NULL);
	for (size_t h = 0; h < n_workers; h++) {
		free(workers[h].space.stamp), free(workers[h].space.unit_of), free(workers[h].space.prev_day);
		free(workers[h].space.units), free(workers[h].space.replay);
	}
}

/* The products' statistics and the sequential MaxSPRT of each lot against its product's other
 * lots (core/maxsprt_lots over each product's rows: a product's lots are consecutive here), as
 * independent tasks on `threads` threads: the products' grouping (the lots' grouping has
 * finished with the scratch space by now) and one test per product, each writing only its own
 * results, the largest test first so that the last to start is a small one. Each thread
 * gathers a product's replay rows into its own buffer, reused from one product to the next
 * (one buffer for all the lots' rows was 32 MiB of fresh memory). The server runs one
 * product's test per request; here a run's 5 products share the cores. */
static void products_and_tests(product_statistics *stats, group_result *lots, size_t n_lots,
                               const maxsprt_lot_settings *settings, double cv, int threads)
{
	const cohort *co = stats->co;
	product_test *tests = calloc(n_lots ? n_lots : 1, sizeof *tests);
	task *tasks = calloc(n_lots + 1, sizeof *tasks);
	if (!tests || !tasks)
		die("out of memory");
	task_queue q = {tasks, 0, 0, PTHREAD_MUTEX_INITIALIZER, co->max_patient, 1, 1};
	size_t n_tests = 0;
	for (size_t i = 0, j; i < n_lots; i = j) {
		size_t rows = 0;
		for (j = i; j < n_lots && lots[j].product == lots[i].product; j++) {
			size_t in_lot = co->lots[lots[j].id].n;
			rows += in_lot;
			q.max_lot_rows = in_lot > q.max_lot_rows ? in_lot : q.max_lot_rows;
		}
		q.max_product_rows = rows > q.max_product_rows ? rows : q.max_product_rows;
		tests[n_tests++] = (product_test){co, lots, i, j, rows, settings, cv};
	}
	for (size_t x = 1; x < n_tests; x++)
		for (size_t y = x; y > 0 && tests[y].n_rows > tests[y - 1].n_rows; y--) {
			product_test t = tests[y];
			tests[y] = tests[y - 1];
			tests[y - 1] = t;
		}
	tasks[q.n_tasks++] = (task){run_product_statistics, stats};
	for (size_t k = 0; k < n_tests; k++)
		tasks[q.n_tasks++] = (task){run_product_test, &tests[k]};
	run_tasks(&q, threads);
	free(tasks);
	free(tests);
}

/* kind, id, product, followed, person-days, events, 9 × (units, proportion, lower, upper),
 * expected, llr, cv, state, observed, signal look, steps, then each step's 7 numbers. */
static void write_group(FILE *f, int kind, const group_result *g)
{
	double head[6] = {kind, g->id, g->product, (double)g->followed, (double)g->follow_seconds / 86400.0,
	                  (double)g->events};
	fwrite(head, sizeof(double), 6, f);
	for (int s = 0; s < N_SYMPTOMS; s++) {
		double v[4] = {(double)g->incidence[s].units, g->incidence[s].proportion, g->incidence[s].lower,
		               g->incidence[s].upper};
		fwrite(v, sizeof(double), 4, f);
	}
	double tail[7] = {g->expected, g->llr, g->cv, g->state, (double)g->observed, (double)g->signal_look,
	                  (double)g->n_steps};
	fwrite(tail, sizeof(double), 7, f);
	for (ptrdiff_t i = 0; i < g->n_steps; i++) {
		const fs_km_step *s = &g->steps[i];
		double v[7] = {s->time, (double)s->at_risk, (double)s->events, (double)s->censored, s->survival,
		               s->lower, s->upper};
		fwrite(v, sizeof(double), 7, f);
	}
}

int main(int argc, char **argv)
{
	const char *input = NULL, *output = NULL;
	double alpha = 0.05, upper_limit = 20.0;
	int min_events = 2, threads = 2, verbose = 0;
	static const struct option opts[] = {
		{"input", required_argument, NULL, 'i'}, {"output", required_argument, NULL, 'o'},
		{"alpha", required_argument, NULL, 'a'}, {"upper-limit", required_argument, NULL, 't'},
		{"min-events", required_argument, NULL, 'm'}, {"threads", required_argument, NULL, 'j'},
		{"verbose", no_argument, NULL, 'v'}, {NULL, 0, NULL, 0},
	};
	int c;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'i': input = optarg; break;
		case 'o': output = optarg; break;
		case 'a': alpha = strtod(optarg, NULL); break;
		case 't': upper_limit = strtod(optarg, NULL); break;
		case 'm': min_events = atoi(optarg); break;
		case 'j': threads = atoi(optarg); break;
		case 'v': verbose = 1; break;
		default: die(USAGE);
		}
	}
	if (input == NULL || output == NULL || threads < 1)
		die(USAGE);
	/* Keep freed memory in the heap for the next product's core/maxsprt_lots_run instead of
	 * giving it back to the kernel: glibc serves blocks from 128 KiB up with fresh mmaps and
	 * returns them on free(), so each of the 5 products' runs touched its ~24 MiB of working
	 * memory anew, and on this virtual machine a fresh 4 KiB page costs ~14 µs (21,000 faults,
	 * half the run's time in the kernel; 6,400 with this). One batch run per process; the
	 * server's long-lived heap reuses its memory the same way (glibc raises these thresholds
	 * itself after the first free). */
	mallopt(M_MMAP_THRESHOLD, 32 << 20);
	mallopt(M_TRIM_THRESHOLD, 1 << 30);
	/* One arena for all threads: a second thread's own arena would be fresh memory again. */
	mallopt(M_ARENA_MAX, 1);

	double t0 = now_seconds(), cpu0 = cpu_seconds();
	long faults0 = minor_faults();
	size_t len = 0;
	const char *buf = map_file(input, &len);
	if (buf == NULL) {
		fprintf(stderr, "bench_followup: %s: %s\n", input, strerror(errno));
		return 1;
	}
	phase_mark marks[6];
	int n_marks = 0;
	marks[n_marks++] = phase_now("map the file");
	cohort co = parse_cohort(buf, len);
	size_t n = co.n;
	marks[n_marks++] = phase_now("parse");
	size_t n_lots = 0;
	scratch_space work = scratch_make(n, co.max_patient);
	group_result *lots = by_key(&co, 1, &work, &n_lots);
	marks[n_marks++] = phase_now("lots: units, incidence, Kaplan-Meier");
	double cv;
	if (maxsprt_critical_value(upper_limit, min_events, alpha, &cv) != 0)
		die("maxsprt_critical_value refused the arguments");
	marks[n_marks++] = phase_now("critical value");
	const maxsprt_lot_settings settings = {alpha, upper_limit, min_events};
	product_statistics stats = {&co, &work, NULL, 0};
	products_and_tests(&stats, lots, n_lots, &settings, cv, threads);
	group_result *products = stats.groups;
	size_t n_products = stats.n_groups;
	marks[n_marks++] = phase_now("products: units, incidence, KM || lots: MaxSPRT");
	double t_end = marks[n_marks - 1].wall, cpu_end = marks[n_marks - 1].cpu;
	printf("seconds %.6f cpu %.6f\n", t_end - t0, cpu_end - cpu0);
	printf("read %.6f lots' units+statistics %.6f products' units+statistics and maxsprt %.6f\n",
	       marks[1].wall - t0, marks[2].wall - marks[1].wall, t_end - marks[2].wall);
	printf("rows %zu products %zu lots %zu cv %.17g threads %d\n", n, n_products, n_lots, cv, threads);
	if (verbose) {
		double w = t0, cp = cpu0;
		long f = faults0;
		for (int i = 0; i < n_marks; i++) {
			printf("  %-50s wall %.4f s cpu %.4f s page faults %ld\n", marks[i].name, marks[i].wall - w,
			       marks[i].cpu - cp, marks[i].faults - f);
			w = marks[i].wall, cp = marks[i].cpu, f = marks[i].faults;
		}
	}
	int states[4] = {0};
	for (size_t i = 0; i < n_lots; i++)
		states[lots[i].state]++;
	printf("lots: %d signal, %d ended, %d monitoring, %d no_baseline\n", states[2], states[3], states[1], states[0]);

	FILE *f = fopen(output, "wb");
	if (f == NULL)
		die("cannot write the output");
	for (size_t i = 0; i < n_products; i++)
		write_group(f, 1, &products[i]);
	for (size_t i = 0; i < n_lots; i++)
		write_group(f, 2, &lots[i]);
	if (fclose(f) != 0)
		die("cannot write the output");
	free(products);
	free(lots);
	return 0;
}
