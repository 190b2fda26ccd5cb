/* The lot state machine. Pure: the caller supplies the facts (tests passed, who signs),
 * this decides whether a transition is legal.
 *
 *   received ──► quarantine ──► released ──► depleted | expired
 *                  ▲   │   │       │
 *                  │   │   │       └──► quarantine   (temperature excursion, safety signal)
 *                  │   │   └──► destroyed
 *                  │   └──► recalled
 *   released, depleted, expired, quarantine ──► recalled      (units may be with patients)
 *   expired ──► destroyed
 *
 * recalled and destroyed are final. Release needs every required release test passed and a
 * pharmacist's sign-off. */
#ifndef EXOSAFE_LOT_STATE_H
#define EXOSAFE_LOT_STATE_H

#include <stdbool.h>

typedef enum lot_status {
	LOT_RECEIVED = 0,
	LOT_QUARANTINE,
	LOT_RELEASED,
	LOT_DEPLETED,
	LOT_EXPIRED,
	LOT_RECALLED,
	LOT_DESTROYED,
	LOT_STATUS_COUNT
} lot_status;

typedef enum lot_transition_rc {
	LOT_TRANSITION_OK = 0,
	LOT_TRANSITION_ILLEGAL,        /* no such edge in the machine */
	LOT_TRANSITION_TESTS_MISSING,  /* release without every required test passed */
	LOT_TRANSITION_NEEDS_PHARMACIST,
	LOT_TRANSITION_NEEDS_REASON,   /* every transition is explained */
} lot_transition_rc;

typedef struct lot_transition_facts {
	bool required_tests_passed;    /* every required release test present and passed */
	bool by_pharmacist;            /* the actor is a pharmacist (quality) */
	bool has_reason;               /* a non-empty written reason */
	bool by_system;                /* automatic (cold chain, safety signal): no sign-off needed to quarantine */
} lot_transition_facts;

/* Returns the name ("received", …) or NULL for an out-of-range value. */
const char *lot_status_name(lot_status s);
/* Returns the status named, or -1. */
int lot_status_from_name(const char *name);
/* True when the machine has the edge from → to, whatever the facts. */
bool lot_transition_exists(lot_status from, lot_status to);
/* Decides a transition with its facts. */
lot_transition_rc lot_transition_check(lot_status from, lot_status to, const lot_transition_facts *facts);
/* True when units of a lot in this status may be dispensed. */
bool lot_status_dispensable(lot_status s);
/* True for the final states. */
bool lot_status_final(lot_status s);

#endif
