#include "core/lot_state.h"

#include <assert.h>
#include <string.h>

static const char *const names[LOT_STATUS_COUNT] = {
	"received", "quarantine", "released", "depleted", "expired", "recalled", "destroyed",
};

/* edges[from][to]: the machine, as a table one can read. */
static const bool edges[LOT_STATUS_COUNT][LOT_STATUS_COUNT] = {
	/*               rec    quar   rel    depl   exp    recall destr */
	[LOT_RECEIVED] = {false, true, false, false, false, false, false},
	[LOT_QUARANTINE] = {false, false, true, false, false, true, true},
	[LOT_RELEASED] = {false, true, false, true, true, true, false},
	[LOT_DEPLETED] = {false, false, false, false, false, true, false},
	[LOT_EXPIRED] = {false, false, false, false, false, true, true},
	[LOT_RECALLED] = {false, false, false, false, false, false, false},
	[LOT_DESTROYED] = {false, false, false, false, false, false, false},
};

const char *lot_status_name(lot_status s)
{
	return (unsigned)s < LOT_STATUS_COUNT ? names[s] : NULL;
}

int lot_status_from_name(const char *name)
{
	for (int i = 0; name && i < LOT_STATUS_COUNT; i++)
		if (strcmp(names[i], name) == 0)
			return i;
	return -1;
}

bool lot_transition_exists(lot_status from, lot_status to)
{
	if ((unsigned)from >= LOT_STATUS_COUNT || (unsigned)to >= LOT_STATUS_COUNT)
		return false;
	return edges[from][to];
}

bool lot_status_final(lot_status s)
{
	return s == LOT_RECALLED || s == LOT_DESTROYED;
}

bool lot_status_dispensable(lot_status s)
{
	return s == LOT_RELEASED;
}

lot_transition_rc lot_transition_check(lot_status from, lot_status to, const lot_transition_facts *facts)
{
	if (!lot_transition_exists(from, to))
		return LOT_TRANSITION_ILLEGAL;
	/* Invariants of the table: nothing leaves a final state, nothing returns to received. */
	assert(!lot_status_final(from));
	assert(to != LOT_RECEIVED);
	if (!facts->has_reason)
		return LOT_TRANSITION_NEEDS_REASON;
	if (to == LOT_RELEASED) {
		if (!facts->by_pharmacist)
			return LOT_TRANSITION_NEEDS_PHARMACIST;
		if (!facts->required_tests_passed)
			return LOT_TRANSITION_TESTS_MISSING;
	}
	/* Destroying or recalling stock is a quality decision; quarantine may be automatic. */
	if ((to == LOT_DESTROYED || to == LOT_RECALLED) && !facts->by_pharmacist && !facts->by_system)
		return LOT_TRANSITION_NEEDS_PHARMACIST;
	return LOT_TRANSITION_OK;
}
