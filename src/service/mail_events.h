/* The e-mails patients get when something happens to their care: each queued through the
 * outbox inside the transaction that records the event, so the mail exists exactly when the
 * event does (a rolled-back booking queues nothing).
 *
 *   booking_confirmation   a call booked (or moved)                 dedupe booking_confirmation:<booking>
 *   booking_reminder       [mail] reminder_hours_before the call    booking_reminder:<booking>:<starts_at>
 *                          (withdrawn when the booking is cancelled or moved)
 *   treatment_approved / treatment_declined   the doctor's decision treatment_decision:<decision>
 *   order_payment          an order placed: amount and how to pay   order_payment:<order>
 *   order_shipped          shipped, with the carrier's tracking link order_shipped:<order>
 *   consent_updated        a consent version newer than the one the patient accepted
 *                                                                   consent_updated:<consent>:<version>:<patient>
 *   recall_notice          a lot the patient received is recalled    recall:<lot>:<track>
 *
 * Mails say what happened and link to the patient's page; they carry no answers, flags or
 * notes (e-mail is not a secure channel for health details). Each is in the patient's language
 * (users.lang; Japanese when none), with the clinic's details as the admin set them.
 *
 * The settings (mail_settings) are passed by the caller: `exosafe serve` makes them from its
 * configuration, the CLI commands that cause events from theirs. Given NULL every function
 * here is a no-op returning STORE_OK (unit tests of other services, exosafe demo). */
#ifndef EXOSAFE_MAIL_EVENTS_H
#define EXOSAFE_MAIL_EVENTS_H

#include <stdint.h>

#include "config.h"
#include "store/store.h"

/* What the patients' mails need from the configuration. */
typedef struct mail_settings {
	const char *data_dir;       /* the mail templates are in data_dir/mail/ */
	const char *public_url;     /* the base of the links in mails */
	int64_t reminder_seconds;   /* a booking's reminder is due this long before the call */
} mail_settings;

/* The settings in cfg (its data folder and [mail] section); they point into cfg. */
mail_settings mail_settings_from_config(const server_config *cfg);

/* Each queues into the caller's open transaction; STORE_ERROR (reason in s->errmsg) means the
 * caller must roll back. mail NULL: nothing is queued. */
store_rc mail_event_booked(store *s, const mail_settings *mail, const booking_record *b);
/* Withdraws the queued reminder of a cancelled (or moved) booking. */
store_rc mail_event_booking_cancelled(store *s, const mail_settings *mail, int64_t booking_id);
store_rc mail_event_decided(store *s, const mail_settings *mail, const decision_record *d);
store_rc mail_event_order_placed(store *s, const mail_settings *mail, const order_record *o, const char *product_name);
store_rc mail_event_shipped(store *s, const mail_settings *mail, const order_record *o, const shipment_record *sh);
/* Every recipient of a recalled lot who has a follow-up row (recall_track_open first). */
store_rc mail_event_recalled(store *s, const mail_settings *mail, const lot_record *lot);

/* How the recall notices of a lot stand in the outbox: queued, sent (accepted by the relay),
 * failed. Needs no settings. */
store_rc mail_event_recall_counts(store *s, int64_t lot_id, mail_counts *out);

/* Tells every patient whose acceptance in force is of an older version of consent_id than
 * version, once per version (in its own transaction). *queued receives how many were queued
 * now. Returns STORE_OK or STORE_ERROR (nothing queued). */
store_rc mail_event_consent_updated(store *s, const mail_settings *mail, const char *consent_id, int version,
                                    const char *title, int64_t *queued);

#endif
