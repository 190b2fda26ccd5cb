#include "http/security_headers.h"

static const char content_security_policy[] =
	"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
	"connect-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

void security_headers_add(struct MHD_Response *response, bool is_api, const char *csp)
{
	MHD_add_response_header(response, "Content-Security-Policy", csp ? csp : content_security_policy);
	MHD_add_response_header(response, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(response, "X-Frame-Options", "DENY");
	MHD_add_response_header(response, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(response, "Cross-Origin-Opener-Policy", "same-origin");
	MHD_add_response_header(response, "Permissions-Policy", "camera=(), microphone=(), geolocation=()");
	/* Health data must not linger in shared caches; static files revalidate. */
	MHD_add_response_header(response, "Cache-Control", is_api ? "no-store" : "no-cache");
}
