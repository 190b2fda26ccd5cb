/* The one place response security headers are set. */
#ifndef EXOSAFE_SECURITY_HEADERS_H
#define EXOSAFE_SECURITY_HEADERS_H

#include <microhttpd.h>
#include <stdbool.h>

/* Adds CSP (no inline script), nosniff, frame denial, referrer policy and cache rules.
 * csp, when not NULL, replaces the default policy (for a document that needs a stricter or
 * different one, such as a printable notice with its own style). */
void security_headers_add(struct MHD_Response *response, bool is_api, const char *csp);

#endif
