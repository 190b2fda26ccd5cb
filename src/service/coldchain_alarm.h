/* Cold-chain alarms to staff, at once: an excursion alert opened for a lot, and a connected
 * sensor that has sent nothing for three of its logging intervals (as OpenLMIS raises "no
 * data" alerts), with its recovery. Each goes by e-mail through the outbox to every pharmacist
 * and administrator, with a link to the logger's chart; silences are also kept as records for
 * the cold-chain page. Everything here is idempotent: one excursion alert or one silence gives
 * one message per person however often it runs. */
#ifndef EXOSAFE_COLDCHAIN_ALARM_H
#define EXOSAFE_COLDCHAIN_ALARM_H

#include <stdint.h>

#include "store/store.h"

/* Silent when nothing arrived for this many logging intervals. */
#define COLDCHAIN_SILENT_INTERVALS 3
/* Excursion alerts opened longer ago than this are not mailed (a first run after an upgrade
 * must not mail the whole history). */
#define COLDCHAIN_ALARM_RECENT_SECONDS (24 * 3600)

typedef struct coldchain_alarm_settings {
	const char *data_dir;      /* the mail templates: data_dir/mail/coldchain_*.txt */
	const char *base_url;      /* the clinic's address for links, e.g. "https://clinic.example"; "" gives paths */
} coldchain_alarm_settings;

typedef struct coldchain_alarm_counts {
	int silences_opened;       /* sensors found silent now */
	int silences_recovered;    /* silent sensors sending again */
} coldchain_alarm_counts;

/* Queues the alarm of every excursion alert opened in the last COLDCHAIN_ALARM_RECENT_SECONDS
 * that has not been mailed yet, one e-mail per pharmacist and administrator of the lot's clinic
 * (with every clinic in the store's scope, each clinic in turn; else the scope's clinic). Call after
 * readings were imported (at once) and periodically (imports by the command line). Each alert
 * is its own transaction. Returns STORE_OK, or STORE_ERROR with s->errmsg (what was queued
 * before stays queued). */
store_rc coldchain_alarm_excursions(store *s, const coldchain_alarm_settings *cfg, int64_t now,
                                    coldchain_alarm_counts *counts);

/* Checks every connected sensor (a logger with an ingest key and a logging interval): one whose
 * last reading (or, with none, its creation) is more than COLDCHAIN_SILENT_INTERVALS intervals
 * before now is silent; a silence is recorded once and its alarm queued; a silent sensor whose
 * readings arrived again is recorded as recovered and that is queued too. Each sensor is its
 * own transaction. Also runs coldchain_alarm_excursions. Returns STORE_OK, or STORE_ERROR with
 * s->errmsg. */
store_rc coldchain_check_silent(store *s, const coldchain_alarm_settings *cfg, int64_t now,
                                coldchain_alarm_counts *counts);

#endif
