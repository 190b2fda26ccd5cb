/* A line-oriented driver over core/followup_stats.h for tests/ref/followup_stats_ref.py, which
 * compares its answers with SciPy and an independent NumPy Kaplan–Meier. Reads stdin:
 *   cp K N CONF            → "RC LOWER UPPER"
 *   bq P A B               → "RC X"
 *   km CONF N, then N lines "TIME EVENT"  → "STEPS", then one line a step:
 *                            "TIME AT_RISK EVENTS CENSORED SURVIVAL LOWER UPPER"
 * Numbers are printed with %.17g (nan for NAN); a malformed line ends with status 2. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/followup_stats.h"

int main(void)
{
	char cmd[8];
	while (scanf("%7s", cmd) == 1) {
		if (strcmp(cmd, "cp") == 0) {
			long long k, n;
			double conf;
			if (scanf("%lld %lld %lf", &k, &n, &conf) != 3)
				return 2;
			fs_interval ci = {NAN, NAN};
			int rc = fs_clopper_pearson(k, n, conf, &ci);
			printf("%d %.17g %.17g\n", rc, ci.lower, ci.upper);
		} else if (strcmp(cmd, "bq") == 0) {
			double p, a, b, x = NAN;
			if (scanf("%lf %lf %lf", &p, &a, &b) != 3)
				return 2;
			int rc = fs_beta_quantile(p, a, b, &x);
			printf("%d %.17g\n", rc, x);
		} else if (strcmp(cmd, "km") == 0) {
			double conf;
			size_t n;
			if (scanf("%lf %zu", &conf, &n) != 2)
				return 2;
			fs_obs *obs = calloc(n ? n : 1, sizeof *obs);
			fs_km_step *steps = calloc(n ? n : 1, sizeof *steps);
			if (obs == NULL || steps == NULL)
				return 2;
			for (size_t i = 0; i < n; i++)
				if (scanf("%lf %d", &obs[i].time, &obs[i].event) != 2)
					return 2;
			ptrdiff_t m = fs_kaplan_meier(obs, n, conf, steps);
			printf("%td\n", m);
			for (ptrdiff_t i = 0; i < m; i++)
				printf("%.17g %lld %lld %lld %.17g %.17g %.17g\n", steps[i].time, (long long)steps[i].at_risk,
				       (long long)steps[i].events, (long long)steps[i].censored, steps[i].survival, steps[i].lower,
				       steps[i].upper);
			free(obs);
			free(steps);
		} else {
			return 2;
		}
	}
	return 0;
}
