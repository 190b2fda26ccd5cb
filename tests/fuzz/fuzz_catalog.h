/* The real intake catalogue (data/questionnaires, data/screening, data/consent), loaded once
 * per process for the questionnaire and screening harnesses. */
#ifndef EXOSAFE_FUZZ_CATALOG_H
#define EXOSAFE_FUZZ_CATALOG_H

#include "fuzz_common.h"
#include "service/intake_catalog.h"

/* The catalogue, loaded at the first call; a catalogue that does not load stops the run. */
static const intake_catalog *fuzz_catalog(void)
{
	static intake_catalog *catalog;
	if (catalog == NULL) {
		char err[512];
		catalog = intake_catalog_load(FUZZ_DATA_DIR, err, sizeof err);
		if (catalog == NULL) {
			fprintf(stderr, "fuzz: cannot load the catalogue in %s: %s\n", FUZZ_DATA_DIR, err);
			abort();
		}
	}
	return catalog;
}

/* Version 1 or 2 of exosome-cream (the newest when there is no such version). */
static const questionnaire *fuzz_questionnaire(int version)
{
	const questionnaire *q = intake_questionnaire(fuzz_catalog(), "exosome-cream", version);
	return q ? q : intake_current_questionnaire(fuzz_catalog(), "exosome-cream");
}

#endif
