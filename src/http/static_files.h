#ifndef EXOSAFE_STATIC_FILES_H
#define EXOSAFE_STATIC_FILES_H

#include <microhttpd.h>

/* Serves a file under web_root (an absolute, resolved path) for url. Only known extensions,
 * no dot-segments, nothing outside web_root. Returns the response and sets *status, or
 * returns NULL when there is no such file (the caller answers 404). */
struct MHD_Response *static_file_response(const char *web_root, const char *url, unsigned *status);

#endif
