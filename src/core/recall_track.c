#include "core/recall_track.h"

#include <string.h>

static const char *const names[RECALL_TRACK_STATUS_COUNT] = {"pending", "notified", "contacted", "returned", "destroyed"};

int recall_track_status_from_name(const char *name)
{
	for (int i = 0; name != NULL && i < RECALL_TRACK_STATUS_COUNT; i++)
		if (strcmp(name, names[i]) == 0)
			return i;
	return -1;
}

const char *recall_track_status_name(recall_track_status status)
{
	return names[status];
}

bool recall_track_is_closed(recall_track_status status)
{
	return status == RECALL_RETURNED || status == RECALL_DESTROYED;
}

bool recall_track_step_allowed(recall_track_status from, recall_track_status to)
{
	if (recall_track_is_closed(from))
		return to == from;
	return to >= from;
}
