/* Finding the route of an API request: a method and a decoded path against the routing table
 * (routes.c), with {id} segments captured; and the percent-decoding of URLs that runs before
 * it. Pure string work, kept apart from server.c so that tests/fuzz can drive it with hostile
 * paths against the real table without a server. */
#ifndef EXOSAFE_ROUTE_MATCH_H
#define EXOSAFE_ROUTE_MATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http/http.h"

/* Returns true when path matches pattern ("/api/v1/lots/{id}/recall"): every character equal,
 * each {id} a positive decimal integer without sign, leading zero or overflow, at most
 * MAX_PATH_IDS of them. On a match ids[0..*id_count) hold the {id} values in order; on no
 * match *id_count is left alone and ids may have been written. */
bool route_path_matches(const char *pattern, const char *path, int64_t ids[MAX_PATH_IDS], int *id_count);

/* Returns the first of routes[0..count) whose method is method and whose path matches path,
 * with its ids in ids and *id_count; or NULL, setting *path_known when some route's path
 * matched under another method (405 rather than 404). */
const route *route_find(const route *routes, int count, const char *method, const char *path,
                        int64_t ids[MAX_PATH_IDS], int *id_count, bool *path_known);

/* Percent-decodes s in place (a '%' not followed by two hex digits stays as it is) and
 * returns the new length. A decoded NUL becomes 0x01, so that "/index.html%00.png" cannot be
 * cut short into "/index.html": the static file check refuses control characters, and
 * validators refuse them in arguments. */
size_t url_unescape(char *s);

#endif
