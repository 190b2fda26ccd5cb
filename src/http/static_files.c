#include "http/static_files.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct {
	const char *ext;
	const char *type;
} mime_types[] = {
	{".html", "text/html; charset=utf-8"},
	{".css", "text/css; charset=utf-8"},
	{".js", "text/javascript; charset=utf-8"},
	{".mjs", "text/javascript; charset=utf-8"},
	{".json", "application/json; charset=utf-8"},
	{".svg", "image/svg+xml"},
	{".png", "image/png"},
	{".ico", "image/x-icon"},
	{".webmanifest", "application/manifest+json"},
};

static const char *mime_for(const char *path)
{
	const char *dot = strrchr(path, '.');
	if (dot == NULL || strchr(dot, '/') != NULL)
		return NULL;
	for (size_t i = 0; i < sizeof mime_types / sizeof mime_types[0]; i++)
		if (strcmp(dot, mime_types[i].ext) == 0)
			return mime_types[i].type;
	return NULL;
}

static int path_is_safe(const char *url)
{
	if (url[0] != '/' || strlen(url) > 512)
		return 0;
	for (const char *p = url; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (!(c == '/' || c == '-' || c == '_' || c == '.' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		      (c >= 'A' && c <= 'Z')))
			return 0;
		/* No segment may start with a dot: rules out "..", hidden files and ".git". */
		if (c == '/' && p[1] == '.')
			return 0;
	}
	return strstr(url, "//") == NULL;
}

struct MHD_Response *static_file_response(const char *web_root, const char *url, unsigned *status)
{
	char rel[600], full[PATH_MAX], resolved[PATH_MAX];
	snprintf(rel, sizeof rel, "%s", strcmp(url, "/") == 0 ? "/index.html" : url);
	if (!path_is_safe(rel))
		return NULL;
	const char *type = mime_for(rel);
	if (type == NULL)
		return NULL;
	if (snprintf(full, sizeof full, "%s%s", web_root, rel) >= (int)sizeof full)
		return NULL;
	if (realpath(full, resolved) == NULL)
		return NULL;
	size_t root_len = strlen(web_root);
	if (strncmp(resolved, web_root, root_len) != 0 || resolved[root_len] != '/')
		return NULL;
	int fd = open(resolved, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return NULL;
	}
	/* MHD owns fd from here and closes it with the response. */
	struct MHD_Response *r = MHD_create_response_from_fd((uint64_t)st.st_size, fd);
	if (r == NULL) {
		close(fd);
		return NULL;
	}
	MHD_add_response_header(r, "Content-Type", type);
	*status = MHD_HTTP_OK;
	return r;
}
