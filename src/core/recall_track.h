/* A recall's follow-up of one recipient, as a small state machine:
 *
 *   pending → notified → contacted → returned | destroyed
 *
 * A row moves forward only (a step may be skipped: staff who reach the patient by phone go
 * straight to contacted; a jar handed in at the clinic goes straight to returned). returned and
 * destroyed are final. Staying in the same state is allowed, to add notes. */
#ifndef EXOSAFE_RECALL_TRACK_H
#define EXOSAFE_RECALL_TRACK_H

#include <stdbool.h>

typedef enum recall_track_status {
	RECALL_PENDING,
	RECALL_NOTIFIED,
	RECALL_CONTACTED,
	RECALL_RETURNED,
	RECALL_DESTROYED,
} recall_track_status;

#define RECALL_TRACK_STATUS_COUNT 5

/* Returns the status named name, or -1 when it is not one. */
int recall_track_status_from_name(const char *name);
/* Returns the name of status ("pending", …). */
const char *recall_track_status_name(recall_track_status status);
/* Whether a row may move from `from` to `to` (see the header comment). */
bool recall_track_step_allowed(recall_track_status from, recall_track_status to);
/* Whether the status ends the follow-up (the jar is accounted for). */
bool recall_track_is_closed(recall_track_status status);

#endif
