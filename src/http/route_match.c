/* Route matching and URL decoding (see route_match.h). */
#include "http/route_match.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

bool route_path_matches(const char *pattern, const char *path, int64_t ids[MAX_PATH_IDS], int *id_count)
{
	int ids_found = 0;
	while (*pattern && *path) {
		if (strncmp(pattern, "{id}", 4) == 0) {
			char *end;
			errno = 0;
			long long v = strtoll(path, &end, 10);
			if (end == path || errno != 0 || v <= 0 || !(path[0] >= '1' && path[0] <= '9') ||
			    ids_found >= MAX_PATH_IDS)
				return false;
			ids[ids_found++] = v;
			path = end;
			pattern += 4;
			continue;
		}
		if (strncmp(pattern, "{token}", 7) == 0) {
			/* A link token (base64url): the handler reads it from the path. */
			size_t n = strspn(path, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");
			if (n < 16 || n > 128)
				return false;
			path += n;
			pattern += 7;
			continue;
		}
		if (*pattern != *path)
			return false;
		pattern++;
		path++;
	}
	if (*pattern != '\0' || *path != '\0')
		return false;
	*id_count = ids_found;
	return true;
}

const route *route_find(const route *routes, int count, const char *method, const char *path,
                        int64_t ids[MAX_PATH_IDS], int *id_count, bool *path_known)
{
	*path_known = false;
	for (int i = 0; i < count; i++) {
		if (!route_path_matches(routes[i].path, path, ids, id_count))
			continue;
		*path_known = true;
		if (strcmp(routes[i].method, method) == 0)
			return &routes[i];
	}
	return NULL;
}

size_t url_unescape(char *s)
{
	char *out = s;
	for (const char *in = s; *in; in++) {
		if (in[0] == '%' && isxdigit((unsigned char)in[1]) && isxdigit((unsigned char)in[2])) {
			char hex[3] = {in[1], in[2], '\0'};
			char c = (char)strtol(hex, NULL, 16);
			*out++ = c == '\0' ? '\x01' : c;
			in += 2;
		} else {
			*out++ = *in;
		}
	}
	*out = '\0';
	return (size_t)(out - s);
}
