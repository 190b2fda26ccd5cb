/* exosafe demo: load demonstration accounts so a new user can try every role. */
#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"
#include "service/accounts.h"

static const char demo_usage[] =
	"usage: exosafe demo --db PATH\n"
	"\n"
	"Loads demo accounts (an admin, a doctor, a pharmacist and two patients) into an\n"
	"initialised, empty database and prints their log-ins. Refuses a database that already\n"
	"has users, so it can never add known passwords to a clinic's real data.\n";

typedef struct demo_account {
	user_role role;
	const char *email, *name, *password;
	patient_profile profile;
} demo_account;

static const demo_account demo_accounts[] = {
	{ROLE_ADMIN, "admin@clinic.example", "管理 太郎", "admin-demo-pass", {0}},
	{ROLE_DOCTOR, "doctor@clinic.example", "医師 一郎", "doctor-demo-pass", {0}},
	{ROLE_PHARMACIST, "pharmacist@clinic.example", "薬剤 花子", "pharmacist-demo-pass", {0}},
	{ROLE_PATIENT, "hanako@patient.example", "山田 花子", "patient-demo-pass",
	 {0, "ヤマダ ハナコ", "1985-04-01", "female", "090-1234-5678", "150-0001", "東京都渋谷区神宮前1-2-3"}},
	{ROLE_PATIENT, "taro@patient.example", "佐藤 太郎", "patient-demo-pass",
	 {0, "サトウ タロウ", "1979-11-20", "male", "080-2345-6789", "530-0001", "大阪府大阪市北区梅田4-5-6"}},
};

int cli_demo(int argc, char **argv)
{
	static const struct option opts[] = {{"db", required_argument, NULL, 'd'}, {"help", no_argument, NULL, 'h'}, {0}};
	const char *db = NULL;
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 'h': fputs(demo_usage, stdout); return 0;
		default: return cli_usage_error("demo", "unknown or incomplete option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage_error("demo", "unexpected argument '%s'", argv[optind]);
	if (db == NULL)
		return cli_usage_error("demo", "--db PATH is required");

	store *s = cli_open_store(db, 1);
	if (s == NULL)
		return 1;
	int64_t users = 0;
	if (s->m->user_count(s, &users) != STORE_OK || users > 0) {
		fprintf(stderr, "exosafe demo: %s already has users; demo data goes only into an empty database\n", db);
		s->m->close(s);
		return 1;
	}
	actor system = {.id = 0, .role = ROLE_NONE};
	for (size_t i = 0; i < sizeof demo_accounts / sizeof demo_accounts[0]; i++) {
		const demo_account *d = &demo_accounts[i];
		user_record u = {0};
		snprintf(u.email, sizeof u.email, "%s", d->email);
		snprintf(u.name, sizeof u.name, "%s", d->name);
		u.role = d->role;
		if (accounts_create(s, &system, "demo.load", &u, d->password, &d->profile) != ACCOUNTS_OK) {
			fprintf(stderr, "exosafe demo: cannot create %s: %s\n", d->email, s->errmsg);
			s->m->close(s);
			return 1;
		}
	}
	s->m->close(s);
	printf("Demo log-ins (for trying exosafe only; never use them for real patients):\n");
	for (size_t i = 0; i < sizeof demo_accounts / sizeof demo_accounts[0]; i++)
		printf("  %-10s  %-28s  %s\n", role_name(demo_accounts[i].role), demo_accounts[i].email,
		       demo_accounts[i].password);
	return 0;
}
