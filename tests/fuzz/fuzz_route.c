/* HTTP routing (http/route_match.c) against the real table (routes.c): the URL percent-decoded
 * as libmicrohttpd's unescape callback does (url_unescape), then the route looked up for the
 * method. Input: the method up to the first newline, then the raw path.
 *
 * Properties: decoding never grows the text, leaves no NUL inside it and returns its length;
 * a found route has the method asked for, and writing its pattern with the captured ids gives
 * back the path exactly (nothing matched loosely); a route that a plain segment-by-segment
 * matcher accepts is found (or the path is known, for another method). */
#include <inttypes.h>
#include <string.h>

#include "fuzz_common.h"
#include "http/route_match.h"

/* The reference: {id} is [1-9][0-9]* fitting in int64; everything else byte for byte. */
static bool reference_matches(const char *pattern, const char *path)
{
	int ids = 0;
	while (*pattern) {
		if (strncmp(pattern, "{id}", 4) == 0) {
			if (!(*path >= '1' && *path <= '9') || ids == MAX_PATH_IDS)
				return false;
			const char *digits = path;
			while (*path >= '0' && *path <= '9')
				path++;
			size_t n = (size_t)(path - digits);
			if (n > 19 || (n == 19 && strncmp(digits, "9223372036854775807", 19) > 0))
				return false;
			ids++;
			pattern += 4;
			continue;
		}
		if (*pattern++ != *path++)
			return false;
	}
	return *path == '\0';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t method_len = nl ? (size_t)(nl - data) : 0;
	size_t path_len = nl ? size - method_len - 1 : size;
	char *method = malloc(method_len + 1), *path = malloc(path_len + 1);
	if (method == NULL || path == NULL)
		abort();
	memcpy(method, data, method_len);
	method[method_len] = '\0';
	memcpy(path, nl ? nl + 1 : data, path_len);
	path[path_len] = '\0';

	size_t raw_len = strlen(path);
	bool had_percent = strchr(path, '%') != NULL;
	char *raw = strdup(path);
	size_t decoded_len = url_unescape(path);
	FUZZ_CHECK(decoded_len == strlen(path));
	FUZZ_CHECK(decoded_len <= raw_len);
	if (!had_percent)
		FUZZ_CHECK(strcmp(raw, path) == 0);
	free(raw);

	int64_t ids[MAX_PATH_IDS];
	int id_count = -1;
	bool path_known;
	const char *m = strlen(method) == method_len ? method : "";
	const route *found = route_find(api_routes, api_route_count, m, path, ids, &id_count, &path_known);
	if (found != NULL) {
		FUZZ_CHECK(path_known);
		FUZZ_CHECK(strcmp(found->method, m) == 0);
		FUZZ_CHECK(id_count >= 0 && id_count <= MAX_PATH_IDS);
		/* The pattern with the ids written in must be the path itself. */
		char rebuilt[4096];
		size_t at = 0;
		int used = 0;
		for (const char *p = found->path; *p && at < sizeof rebuilt - 32;) {
			if (strncmp(p, "{id}", 4) == 0) {
				FUZZ_CHECK(used < id_count && ids[used] > 0);
				at += (size_t)snprintf(rebuilt + at, sizeof rebuilt - at, "%" PRId64, ids[used++]);
				p += 4;
			} else {
				rebuilt[at++] = *p++;
			}
		}
		rebuilt[at] = '\0';
		FUZZ_CHECK(used == id_count);
		FUZZ_CHECK(strcmp(rebuilt, path) == 0);
	}
	bool reference_known = false;
	const route *reference_found = NULL;
	for (int i = 0; i < api_route_count; i++) {
		if (!reference_matches(api_routes[i].path, path))
			continue;
		reference_known = true;
		if (reference_found == NULL && strcmp(api_routes[i].method, m) == 0)
			reference_found = &api_routes[i];
	}
	FUZZ_CHECK(reference_known == path_known);
	FUZZ_CHECK(reference_found == found);
	free(method);
	free(path);
	return 0;
}
