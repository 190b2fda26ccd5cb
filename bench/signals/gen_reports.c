/* bench/signals/gen_reports: a synthetic spontaneous-report extract for exosafe signals.
 *
 *   gen_reports [--reports N] [--products P] [--events E] [--signals K] [--seed S]
 *               [--lots L] [--shuffle] [--truth FILE]
 *
 * Writes report_id,product,event (with --lots: report_id,product,lot,event) to standard
 * output, one row per product×event pair of each report, as registry extracts list them.
 * Background: each report names 1–3 products (70/22/8%) and 1–4 events (45/30/15/10%),
 * drawn by popularity with Zipf-like weights 1/(rank + 10)^1.1; the events are drawn given
 * the report's first product with weights popularity × RR, where each product×event pair has
 * its own background relative risk RR = exp(0.4·Z), Z standard normal (real reporting is
 * overdispersed: a pure-Poisson background would make MGPS's second component a point mass).
 * Planted signals: K pairs (product, event) of
 * moderately popular products get the event added to a report naming the product with
 * probability 0.5%–5%, a relative risk of roughly 2 to 30 over the event's background; --truth
 * writes them as product,event,probability. About 1% of rows are written twice (a pair
 * repeated within a report, which must count once). --shuffle writes the rows in random order
 * (small files only: they are held in memory). Deterministic for a seed. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng_state;

static uint64_t rng_next(void)
{
	uint64_t z = (rng_state += UINT64_C(0x9e3779b97f4a7c15));
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static double rng_unit(void)
{
	return (double)(rng_next() >> 11) * 0x1.0p-53;
}

/* Draws an index from the cumulative weights cum[0..n). */
static int draw(const double *cum, int n)
{
	double u = rng_unit() * cum[n - 1];
	int lo = 0, hi = n - 1;
	while (lo < hi) {
		int mid = (lo + hi) / 2;
		if (cum[mid] > u)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* A standard normal number that depends only on (p, e) and the seed (Box–Muller on a hash). */
static double pair_normal(uint64_t seed, int p, int e)
{
	uint64_t saved = rng_state;
	rng_state = seed ^ ((uint64_t)p << 32 | (uint32_t)e) * UINT64_C(0xd6e8feb86659fd93);
	double u1 = 1.0 - rng_unit(), u2 = rng_unit();
	rng_state = saved;
	return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

static double *zipf_cumulative(int n)
{
	double *cum = malloc((size_t)n * sizeof *cum), s = 0.0;
	if (cum == NULL)
		return NULL;
	for (int i = 0; i < n; i++) {
		s += 1.0 / pow(i + 10.0, 1.1);
		cum[i] = s;
	}
	return cum;
}

typedef struct planted {
	int product, event;
	double prob;
} planted;

typedef struct row {
	uint32_t report;
	uint16_t lot;
	int product, event;
} row;

static void usage(void)
{
	fputs("usage: gen_reports [--reports N] [--products P] [--events E] [--signals K] [--seed S] [--lots L]\n"
	      "                   [--shuffle] [--truth FILE]\n",
	      stderr);
}

int main(int argc, char **argv)
{
	long long reports = 10000000;
	int products = 2000, events = 5000, signals = 50, lots = 0, shuffle = 0;
	uint64_t seed = 1;
	const char *truth = NULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--shuffle") == 0) {
			shuffle = 1;
			continue;
		}
		if (v == NULL) {
			usage();
			return 2;
		}
		if (strcmp(a, "--reports") == 0)
			reports = atoll(v);
		else if (strcmp(a, "--products") == 0)
			products = atoi(v);
		else if (strcmp(a, "--events") == 0)
			events = atoi(v);
		else if (strcmp(a, "--signals") == 0)
			signals = atoi(v);
		else if (strcmp(a, "--seed") == 0)
			seed = strtoull(v, NULL, 10);
		else if (strcmp(a, "--lots") == 0)
			lots = atoi(v);
		else if (strcmp(a, "--truth") == 0)
			truth = v;
		else {
			usage();
			return 2;
		}
		i++;
	}
	if (reports < 1 || products < 4 || events < 8 || signals < 0 || lots < 0 || lots > 60000) {
		usage();
		return 2;
	}
	rng_state = seed * UINT64_C(0x2545f4914f6cdd1d) + 1;
	double *pcum = zipf_cumulative(products), *ecum = zipf_cumulative(events);
	planted *plant = calloc((size_t)signals + 1, sizeof *plant);
	int *first_plant = malloc((size_t)products * sizeof *first_plant), *next_plant = malloc(((size_t)signals + 1) * sizeof *next_plant);
	/* Per product, the cumulative event weights popularity × RR. */
	double *cond = malloc((size_t)products * (size_t)events * sizeof *cond);
	if (!pcum || !ecum || !plant || !first_plant || !next_plant || !cond)
		return 1;
	for (int p = 0; p < products; p++) {
		double s = 0.0, *row_cum = cond + (size_t)p * (size_t)events;
		for (int e = 0; e < events; e++) {
			s += (ecum[e] - (e ? ecum[e - 1] : 0.0)) * exp(0.4 * pair_normal(seed, p, e));
			row_cum[e] = s;
		}
	}
	for (int p = 0; p < products; p++)
		first_plant[p] = -1;
	FILE *tf = truth ? fopen(truth, "w") : NULL;
	if (truth && tf == NULL) {
		perror(truth);
		return 1;
	}
	if (tf)
		fputs("product,event,probability\n", tf);
	for (int k = 0; k < signals; k++) {
		/* Products ranked 5%..40% of the list, events anywhere past the first 20. */
		plant[k].product = products / 20 + (int)(rng_unit() * (products * 0.35));
		plant[k].event = 20 + (int)(rng_unit() * (events - 20));
		plant[k].prob = 0.005 * pow(10.0, rng_unit());
		next_plant[k] = first_plant[plant[k].product];
		first_plant[plant[k].product] = k;
		if (tf)
			fprintf(tf, "P%04d,E%04d,%.5f\n", plant[k].product, plant[k].event, plant[k].prob);
	}
	if (tf)
		fclose(tf);

	row *held = NULL;
	size_t n_held = 0, cap_held = 0;
	static char buf[1 << 16];
	setvbuf(stdout, buf, _IOFBF, sizeof buf);
	fputs(lots ? "report_id,product,lot,event\n" : "report_id,product,event\n", stdout);
	for (long long r = 0; r < reports; r++) {
		int prod[3], ev[12], lot[3], np, ne;
		double u = rng_unit();
		np = u < 0.70 ? 1 : u < 0.92 ? 2 : 3;
		u = rng_unit();
		ne = u < 0.45 ? 1 : u < 0.75 ? 2 : u < 0.90 ? 3 : 4;
		for (int i = 0; i < np; i++) {
			prod[i] = draw(pcum, products);
			lot[i] = lots ? (int)(rng_unit() * lots) : 0;
		}
		for (int j = 0; j < ne; j++)
			ev[j] = draw(cond + (size_t)prod[0] * (size_t)events, events);
		for (int i = 0; i < np; i++)
			for (int k = first_plant[prod[i]]; k >= 0; k = next_plant[k])
				if (ne < 12 && rng_unit() < plant[k].prob)
					ev[ne++] = plant[k].event;
		/* Distinct products and events (a report names each once; repeats are added below). */
		int m = 0;
		for (int i = 0; i < np; i++) {
			int dup = 0;
			for (int x = 0; x < m; x++)
				dup |= prod[x] == prod[i];
			if (!dup) {
				lot[m] = lot[i];
				prod[m++] = prod[i];
			}
		}
		np = m;
		m = 0;
		for (int j = 0; j < ne; j++) {
			int dup = 0;
			for (int x = 0; x < m; x++)
				dup |= ev[x] == ev[j];
			if (!dup)
				ev[m++] = ev[j];
		}
		ne = m;
		for (int i = 0; i < np; i++) {
			for (int j = 0; j < ne; j++) {
				int times = rng_unit() < 0.01 ? 2 : 1;
				for (int t = 0; t < times; t++) {
					if (shuffle) {
						if (n_held == cap_held) {
							cap_held = cap_held ? cap_held * 2 : 4096;
							held = realloc(held, cap_held * sizeof *held);
							if (held == NULL)
								return 1;
						}
						held[n_held++] = (row){(uint32_t)r, (uint16_t)lot[i], prod[i], ev[j]};
					} else if (lots) {
						printf("R%08lld,P%04d,L%04d-%02d,E%04d\n", r + 1, prod[i], prod[i], lot[i], ev[j]);
					} else {
						printf("R%08lld,P%04d,E%04d\n", r + 1, prod[i], ev[j]);
					}
				}
			}
		}
	}
	if (shuffle) {
		for (size_t i = n_held; i > 1; i--) {
			size_t j = (size_t)(rng_next() % i);
			row t = held[i - 1];
			held[i - 1] = held[j];
			held[j] = t;
		}
		for (size_t i = 0; i < n_held; i++) {
			if (lots)
				printf("R%08" PRIu32 ",P%04d,L%04d-%02d,E%04d\n", held[i].report + 1, held[i].product, held[i].product,
				       held[i].lot, held[i].event);
			else
				printf("R%08" PRIu32 ",P%04d,E%04d\n", held[i].report + 1, held[i].product, held[i].event);
		}
	}
	free(held);
	free(pcum);
	free(ecum);
	free(cond);
	free(plant);
	free(first_plant);
	free(next_plant);
	return fflush(stdout) == 0 ? 0 : 1;
}
