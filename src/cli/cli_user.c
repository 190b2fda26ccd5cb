/* exosafe user add: create a staff account from the command line. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/text.h"
#include "core/validate.h"
#include <sodium.h>

#include "service/accounts.h"

static const char user_usage[] =
	"usage: exosafe user add --db PATH --role doctor|pharmacist|admin|safety_officer --email E --name N\n"
	"                        [--clinic ID] < password\n"
	"\n"
	"Creates a staff account of clinic ID (default 1, the clinic of a one-clinic installation;\n"
	"exosafe clinic add makes more), or a safety officer, who belongs to no clinic and sees\n"
	"every clinic's adverse events, lots and signals de-identified (no --clinic).\n"
	"The password is read from the first line of standard input\n"
	"(at least 10 characters), so it never appears in the process list or shell history.\n"
	"Patients sign up on the web. The creation is written to the audit log.\n";

/* Reads one line from stdin into buf without its line ending; -1 when nothing was read. */
static int read_password(char *buf, size_t len)
{
	if (fgets(buf, (int)len, stdin) == NULL)
		return -1;
	size_t n = strlen(buf);
	if (n == len - 1 && buf[n - 1] != '\n')
		return -2;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	return 0;
}

static int user_add(int argc, char **argv)
{
	const char *db = NULL, *role = NULL, *email_arg = NULL, *name_arg = NULL, *clinic_arg = NULL;
	const cli_option opts[] = {
		{"db", &db}, {"role", &role}, {"email", &email_arg}, {"name", &name_arg}, {"clinic", &clinic_arg}, {NULL},
	};
	int status = cli_parse_options("user add", user_usage, argc, argv, opts, NULL);
	if (status != CLI_CONTINUE)
		return status;
	if (db == NULL || role == NULL || email_arg == NULL || name_arg == NULL)
		return cli_usage_error("user add", "--db, --role, --email and --name are all required");
	bool officer = strcmp(role, "safety_officer") == 0;
	if (validate_staff_role(role) != NULL && !officer)
		return cli_usage_error("user add", "--role must be doctor, pharmacist, admin or safety_officer, got '%s'", role);
	if (officer && clinic_arg != NULL)
		return cli_usage_error("user add", "a safety officer belongs to no clinic: leave out --clinic");
	int64_t clinic_id;
	if (cli_parse_clinic("user add", clinic_arg, &clinic_id) != 0)
		return 2;

	char *email = text_normalize(email_arg), *name = text_normalize(name_arg);
	int rc = 2;
	if (email == NULL || name == NULL) {
		rc = cli_usage_error("user add", "--email and --name must be valid UTF-8");
		goto out;
	}
	for (char *p = email; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	if (validate_email(email) != NULL) {
		rc = cli_usage_error("user add", "--email '%s' is not a valid e-mail address", email);
		goto out;
	}
	long name_len = text_char_count(name);
	if (name_len < 1 || name_len > 100 || !text_is_clean(name, 0)) {
		rc = cli_usage_error("user add", "--name must be 1 to 100 printable characters");
		goto out;
	}
	char password[1100];
	int pr = read_password(password, sizeof password);
	if (pr != 0) {
		fprintf(stderr, "exosafe user add: %s\n",
		        pr == -1 ? "no password on standard input" : "password line too long (at most 256 characters)");
		rc = 2;
		goto out;
	}
	const char *why = validate_password(password);
	if (why != NULL) {
		fprintf(stderr, "exosafe user add: password must be %d to %d characters\n", PASSWORD_MIN_CHARS,
		        PASSWORD_MAX_CHARS);
		rc = 2;
		goto out;
	}

	store *s = cli_open_store(db, 1);
	if (s == NULL) {
		rc = 1;
		goto out;
	}
	if (!officer && cli_scope_clinic(s, "user add", clinic_id) != 0) {
		sodium_memzero(password, sizeof password);
		store_close(s);
		rc = 1;
		goto out;
	}
	user_record user = {.clinic_id = officer ? 0 : clinic_id};
	snprintf(user.email, sizeof user.email, "%s", email);
	snprintf(user.name, sizeof user.name, "%s", name);
	user.role = role_from_name(role);
	actor system = {.id = 0, .role = ROLE_NONE};
	switch (accounts_create(s, &system, "user.create", &user, password, NULL)) {
	case ACCOUNTS_OK:
		if (officer)
			printf("created %s %s (id %lld) of no clinic\n", role, user.email, (long long)user.id);
		else
			printf("created %s %s (id %lld) of clinic %lld\n", role, user.email, (long long)user.id,
			       (long long)clinic_id);
		rc = 0;
		break;
	case ACCOUNTS_EMAIL_TAKEN:
		fprintf(stderr, "exosafe user add: %s is already registered; nothing was changed\n", user.email);
		rc = 1;
		break;
	default:
		fprintf(stderr, "exosafe user add: %s; nothing was changed\n", s->errmsg);
		rc = 1;
		break;
	}
	sodium_memzero(password, sizeof password);
	store_close(s);
out:
	free(email);
	free(name);
	return rc;
}

int cli_user(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "add") == 0)
		return user_add(argc - 1, argv + 1);
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(user_usage, stdout);
		return 0;
	}
	return cli_usage_error("user", "expected the subcommand 'add'");
}
