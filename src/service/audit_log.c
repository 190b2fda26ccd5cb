#include "service/audit_log.h"

static int verify_row(void *ctx, const audit_row *row)
{
	audit_verifier_feed(ctx, row);
	return 0;
}

store_rc audit_log_verify(store *s, audit_verifier *out)
{
	audit_verifier_init(out);
	return store_audit_each(s, verify_row, out);
}
