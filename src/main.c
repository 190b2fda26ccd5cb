/* exosafe: one binary, one subcommand per job. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "clock.h"
#include "service/mail_sender.h"

static const char main_usage[] =
	"usage: exosafe COMMAND [OPTIONS]\n"
	"\n"
	"exosafe is a clinic safety system for exosome therapy sold by telemedicine.\n"
	"\n"
	"Commands:\n"
	"  init          create or migrate the database\n"
	"  serve         run the web server (API and UI)\n"
	"  user add      create a staff account (password on standard input)\n"
	"  clinic add    add a clinic to a database shared by a chain of clinics\n"
	"  migrate       move a clinic's SQLite database into a shared PostgreSQL database\n"
	"  demo          load demo accounts into an empty database\n"
	"  audit verify  check the audit log's hash chain\n"
	"  backup        a checked copy of the database while the server runs\n"
	"  restore       put a backup in place as the database\n"
	"  recall        recall a lot and list every patient who received it\n"
	"  import-temps  import temperature-logger CSV files\n"
	"  coldchain report  excursions, MKT and a chart for a logger or a lot\n"
	"  coldchain check   silent sensors and excursion alarms, mailed to staff\n"
	"  adcheck       check advertising text against the medical advertising rules\n"
	"  signals       screen product×event pairs for safety signals (PRR, ROR, IC, MGPS)\n"
	"  mail          the outbox: list messages, send the due ones now\n"
	"  followup tick create the follow-up check-ins due now, mail them and remind\n"
	"  export        an adverse-event case as FHIR R4 (fhir) or ICH E2B(R3) (e2b); the intake as FHIR\n"
	"                (questionnaire, questionnaire-response, consent)\n"
	"\n"
	"Run 'exosafe COMMAND --help' for a command's options.\n"
	"\n"
	"Environment:\n"
	"  EXOSAFE_NOW   run at another instant (ISO 8601 UTC or epoch seconds); the clock advances from it\n";

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
} commands[] = {
	{"init", cli_init}, {"serve", cli_serve}, {"user", cli_user}, {"clinic", cli_clinic}, {"demo", cli_demo}, {"audit", cli_audit}, {"recall", cli_recall}, {"import-temps", cli_import_temps}, {"coldchain", cli_coldchain}, {"adcheck", cli_adcheck}, {"signals", cli_signals}, {"export", cli_export}, {"mail", cli_mail}, {"followup", cli_followup}, {"backup", cli_backup}, {"restore", cli_restore}, {"migrate", cli_migrate},
};

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs(main_usage, stderr);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
		fputs(main_usage, stdout);
		return 0;
	}
	if (sodium_init() < 0) {
		fputs("exosafe: libsodium could not be initialised\n", stderr);
		return 1;
	}
	if (mail_sender_global_init() != 0) {
		fputs("exosafe: libcurl could not be initialised\n", stderr);
		return 1;
	}
	char clock_err[160];
	if (clock_init_from_env(clock_err, sizeof clock_err) != 0) {
		fprintf(stderr, "exosafe: %s\n", clock_err);
		return 2;
	}
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "exosafe: unknown command '%s'\nRun 'exosafe --help' for the list of commands.\n", argv[1]);
	return 2;
}
