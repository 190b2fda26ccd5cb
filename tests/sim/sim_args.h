/* The simulations' command line: [--lots N] [--seed S] [--check], with N at least min_lots. */
#ifndef EXOSAFE_SIM_ARGS_H
#define EXOSAFE_SIM_ARGS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
	int lots;                 /* simulated lots (default 10,000) */
	unsigned long long seed;  /* default 17: every run draws the same numbers */
	int check;                /* --check: the meson test's pass/fail exit */
} sim_args;

/* Fills args from argv; prints the usage (or the bound on --lots) for name and returns 2 on
 * anything else, 0 when the run can go on. */
static inline int sim_parse_args(int argc, char **argv, const char *name, int min_lots, sim_args *args)
{
	*args = (sim_args){.lots = 10000, .seed = 17};
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--lots") == 0 && i + 1 < argc)
			args->lots = atoi(argv[++i]);
		else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
			args->seed = strtoull(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--check") == 0)
			args->check = 1;
		else {
			fprintf(stderr, "usage: %s [--lots N] [--seed S] [--check]\n", name);
			return 2;
		}
	}
	if (args->lots < min_lots) {
		fprintf(stderr, "%s: --lots must be at least %d\n", name, min_lots);
		return 2;
	}
	return 0;
}

#endif
