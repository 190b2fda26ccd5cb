/* The one place response security headers are set. */
#ifndef EXOSAFE_SECURITY_HEADERS_H
#define EXOSAFE_SECURITY_HEADERS_H

#include <microhttpd.h>
#include <stdbool.h>

/* Adds CSP (no inline script), nosniff, frame denial, referrer policy and cache rules. */
void security_headers_add(struct MHD_Response *response, bool is_api);

#endif
