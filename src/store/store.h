/* The storage interface.
 *
 * Like SQLite's sqlite3_vfs, a store is a struct whose first member points at a table of
 * methods; each backend (SQLite now, PostgreSQL later) supplies its own table. Callers never
 * see SQL: every query lives behind these methods in src/store/.
 *
 * Transactions: begin() starts a write transaction that is serialised against every other
 * writer (SQLite: BEGIN IMMEDIATE). A caller that changes data brackets its writes, together
 * with the audit rows that describe them, in begin()/commit(), and calls rollback() on any
 * failure, so the database remains unaltered on error. Reads need no transaction.
 *
 * Every method returns a store_rc. Text fields in records are fixed-size, NUL-terminated
 * buffers so records can live on the stack and need no freeing. */
#ifndef EXOSAFE_STORE_H
#define EXOSAFE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/audit_chain.h"
#include "core/clinic_profile.h"
#include "core/roles.h"

typedef enum store_rc {
	STORE_OK = 0,
	STORE_NOT_FOUND,   /* no such row */
	STORE_CONFLICT,    /* a unique constraint would be broken; nothing was written */
	STORE_ERROR,       /* any other failure; the message is in store->errmsg */
} store_rc;

typedef struct user_record {
	int64_t id;
	char email[256];
	char name[401];
	user_role role;
	char password_hash[128];
	int64_t created_at;
	char lang[3];                  /* "ja" | "en": the language of what is sent to the user */
	bool password_reset_required;  /* log-in refused until the password is reset by e-mail */
	int64_t deactivated_at;        /* 0 while active */
	int64_t clinic_id;             /* 0: none (the safety officer); user_insert: 0 takes the store's scope */
} user_record;

/* The admin's user list: a search and one page of it. */
typedef struct patient_profile {
	int64_t user_id;
	char name_kana[401];
	char birth_date[11];   /* YYYY-MM-DD */
	char sex[8];           /* female | male | other */
	char phone[32];
	char postal_code[9];   /* NNN-NNNN or empty */
	char address[801];
} patient_profile;

typedef struct session_record {
	char token_hash[65];   /* hex SHA-256 of the cookie token; the token itself is never stored */
	int64_t user_id;
	char csrf_token[64];
	int64_t created_at;
	int64_t last_seen_at;
} session_record;

/* Intake (see 0002_intake.sql). */
typedef struct slot_record {
	int64_t id;
	int64_t doctor_id;
	int64_t starts_at;
	int duration_minutes;
	int64_t created_by;
	int64_t created_at;
} slot_record;

/* A slot as a schedule shows it: the slot, its doctor, and its live booking if any. */
typedef struct slot_view {
	slot_record slot;
	char doctor_name[401];
	int64_t booking_id;            /* 0 when free */
	int64_t patient_id;
	char patient_name[401];
	char patient_phone[32];
	char questionnaire_level[16];  /* the patient's latest response's worst level, "" when none */
	int64_t questionnaire_at;      /* when it was submitted, 0 when none */
	char call_outcome[12];         /* the booking's latest call record: held | not_reached | "" */
	int64_t call_at;               /* its called_at, 0 when none */
} slot_view;

typedef struct slot_query {
	int64_t doctor_id;             /* 0: every doctor */
	int64_t from, to;              /* starts_at in [from, to) */
	bool free_only;
	int limit;
} slot_query;

typedef struct booking_record {
	int64_t id;
	int64_t slot_id;
	int64_t patient_id;
	char status[12];               /* booked | cancelled */
	int64_t created_at;
	int64_t cancelled_at;          /* 0 while booked */
	/* Filled by reads, from the slot: */
	int64_t starts_at;
	int duration_minutes;
	int64_t doctor_id;
	char doctor_name[401];
} booking_record;

/* A phone consultation as recorded by the doctor (see 0006_consultations.sql). */
typedef struct call_record {
	int64_t id;
	int64_t booking_id;
	int64_t patient_id;
	int64_t doctor_id;
	char doctor_name[401];         /* filled by reads */
	char outcome[12];              /* held | not_reached */
	int64_t called_at;             /* held: start of the call; not_reached: the attempt */
	char notes[4001];
	int64_t recorded_at;
	int64_t slot_starts_at;        /* filled by reads: the booked slot's start */
} call_record;

/* A submitted questionnaire. answers_json and flags_json are heap strings owned by the
 * record: free them with response_record_clear. */
typedef struct response_record {
	int64_t id;
	int64_t patient_id;
	char questionnaire_id[64];
	int questionnaire_version;
	char *answers_json;
	char *flags_json;
	char worst_level[16];          /* none | info | needs-attention | block */
	int64_t submitted_at;
} response_record;

void response_record_clear(response_record *r);

typedef struct consent_record {
	int64_t id;
	int64_t patient_id;
	char consent_id[64];
	int consent_version;
	char lang[3];
	char text_sha256[65];
	int64_t accepted_at;
	int64_t withdrawn_at;          /* 0 while in force */
} consent_record;

typedef struct decision_record {
	int64_t id;
	int64_t patient_id;
	int64_t doctor_id;
	char doctor_name[401];         /* filled by reads */
	int64_t response_id;
	int64_t consent_id;            /* 0 when none (declines may have none) */
	char decision[10];             /* approved | declined */
	char notes[4001];
	int64_t product_id;            /* approvals: the product allowed */
	char product[201];             /* its name when approved (kept as shown to the doctor) */
	int quantity;
	char directions[1001];
	char valid_until[11];          /* YYYY-MM-DD, last day (JST) the approval can be used */
	char decline_reason[1001];
	char override_reason[1001];
	int64_t call_id;               /* approvals: the held call they rest on, 0 when none */
	char no_call_reason[1001];     /* approvals without a held call: why */
	int64_t decided_at;
} decision_record;

/* A line of the doctor's review queue: a patient whose latest questionnaire awaits a decision. */
typedef struct review_item {
	int64_t patient_id;
	char patient_name[401];
	char patient_phone[32];
	int64_t response_id;
	char worst_level[16];
	char flags_json[4096];
	int64_t submitted_at;
	int64_t next_call_at;          /* the patient's next booked call, 0 when none */
	bool consent_in_force;         /* the latest acceptance is not withdrawn (of any version) */
	char consent_id[64];           /* that acceptance's consent text and version; "" and 0 when none */
	int consent_version;
} review_item;

/* Traceability (see 0003_traceability.sql). */
typedef struct product_record {
	int64_t id;
	char code[41];
	char name_ja[201], name_en[201];
	char form[101];
	char manufacturer[201];
	char country[101];
	char source_cell_type[201];
	double storage_min_c, storage_max_c;
	int excursion_allowance_minutes;
	int shelf_life_days;
	int64_t price_jpy;             /* per unit, tax included */
	int tax_rate_percent;
	char units_description[201];   /* e.g. "1本(約1か月分)" */
	int64_t created_at;
} product_record;

typedef struct lot_record {
	int64_t id;
	int64_t product_id;
	char lot_number[65];
	char manufactured_on[11], expires_on[11];
	int64_t quantity_received;
	int64_t quantity_available;
	char status[16];
	int donor_age;                 /* -1 when not recorded */
	char donor_screening[1001];
	char storage_location[201];
	int64_t received_at;
	int64_t received_by;
	/* Filled by reads: */
	char product_code[41];
	char product_name_ja[201];
	int64_t clinic_id;             /* the clinic that received it; lot_insert: the store's scope's */
} lot_record;

typedef struct lot_test_record {
	int64_t id;
	int64_t lot_id;
	char kind[24];                 /* sterility | mycoplasma | endotoxin | viral | particle_count | identity */
	char result[8];                /* pass | fail */
	char value[201];
	char method[201];
	char tested_on[11];
	int64_t certificate_id;        /* 0 when none */
	char duplicate_reason[1001];   /* why its certificate may also prove another test; "" when it does not */
	int64_t recorded_by;
	int64_t recorded_at;
} lot_test_record;

/* A certificate file. data is heap memory owned by the record when read (certificate_clear). */
typedef struct certificate_record {
	int64_t id;
	int64_t lot_id;
	char filename[129];
	char content_type[32];
	int64_t size_bytes;
	char sha256[65];
	unsigned char *data;
	int64_t uploaded_by;
	int64_t uploaded_at;
	int64_t duplicate_of;          /* 0, or the certificate with the same SHA-256 it knowingly repeats */
	char duplicate_reason[1001];   /* the pharmacist's reason for keeping a duplicate, "" otherwise */
} certificate_record;

/* Where a file with a given SHA-256 is already on record: the certificate, its lot and the
 * release test it is attached to ("" when none). */
typedef struct certificate_use {
	int64_t certificate_id;
	int64_t lot_id;
	char lot_number[65];
	char test_kind[24];
} certificate_use;

void certificate_clear(certificate_record *c);

typedef struct lot_transition_record {
	int64_t id;
	int64_t lot_id;
	char from_status[16];          /* "" for the first */
	char to_status[16];
	int64_t actor_id;
	char actor_name[401];          /* filled by reads; "" for the system */
	char reason[1001];
	int64_t at;
} lot_transition_record;

typedef struct order_record {
	int64_t id;
	int64_t patient_id;
	int64_t decision_id;
	int64_t product_id;
	int quantity;
	int64_t unit_price_jpy;
	int64_t total_jpy;
	char status[20];               /* awaiting_payment | paid | dispensed | shipped | delivered | cancelled */
	char payment_method[20];
	char payment_reference[101];
	int64_t paid_at;               /* 0 when unpaid */
	int64_t paid_recorded_by;
	char ship_name[401], ship_postal_code[9], ship_address[801], ship_phone[32];
	int64_t created_at;
	int64_t cancelled_at;
	/* Filled by reads: */
	char product_name_ja[201];
	char patient_name[401];
} order_record;

typedef struct dispense_record {
	int64_t id;
	int64_t order_id;
	int64_t lot_id;
	int quantity;
	int64_t dispensed_at;
	int64_t dispensed_by;
	char lot_number[65];           /* filled by reads */
	char expires_on[11];
} dispense_record;

typedef struct shipment_record {
	int64_t id;
	int64_t order_id;
	char carrier[101];
	char tracking_number[101];
	char logger_id[65];
	int64_t shipped_at;
	int64_t delivered_at;          /* 0 until delivered */
	int64_t recorded_by;
} shipment_record;

/* One unit movement of a recalled lot: who received how many, where, and how it travelled. */
typedef struct recall_recipient {
	int64_t patient_id;
	char patient_name[401];
	char name_kana[401];
	char email[256];
	char phone[32];
	int64_t order_id;
	int quantity;
	int64_t dispensed_at;
	char ship_postal_code[9];
	char ship_address[801];
	char carrier[101];
	char tracking_number[101];
	int64_t shipped_at;            /* 0 when not shipped */
	int64_t delivered_at;          /* 0 when not delivered */
	/* The recall's follow-up of this delivery (0 / "" before the lot is recalled): */
	int64_t track_id;
	char track_status[12];         /* pending | notified | contacted | returned | destroyed */
	int64_t acknowledged_at, notified_at, contacted_at;  /* 0 when not yet */
	char contact_notes[1001];
	char closed_on[11];            /* YYYY-MM-DD the jar came back or was destroyed, "" until then */
} recall_recipient;

/* One recipient's follow-up after a recall (see 0007_recall_tracking.sql). */
typedef struct recall_track_record {
	int64_t id;
	int64_t lot_id;
	int64_t dispense_id;
	int64_t order_id;
	int64_t patient_id;
	char status[12];               /* pending | notified | contacted | returned | destroyed */
	int64_t created_at;            /* when the lot was recalled */
	int64_t acknowledged_at;       /* the patient pressed 確認しました; 0 until then */
	int64_t notified_at;           /* 0 until notified (by that acknowledgement or by staff) */
	int64_t contacted_at;          /* 0 until staff phoned */
	char contact_notes[1001];
	char closed_on[11];            /* "" until returned or destroyed */
	int64_t updated_at;
	int64_t updated_by;            /* 0: the system */
	/* Filled by reads: */
	char lot_number[65];
	char product_name_ja[201];
	char product_name_en[201];
	int quantity;
} recall_track_record;

/* Cold chain (see 0004_coldchain.sql). */
typedef struct storage_unit_record {
	int64_t id;
	char name[101];
	char kind[16];                 /* refrigerator | freezer | room */
	char location[201];
	int64_t created_at;
	/* Filled by reads: */
	int64_t logger_id;             /* the logger recording it, 0 when none */
	char logger_code[65];
} storage_unit_record;

typedef struct logger_record {
	int64_t id;
	char code[65];
	char description[201];
	int64_t unit_id;               /* 0: not in a unit (a shipment logger) */
	char api_key_hash[65];         /* "" when HTTP ingest is off */
	int64_t interval_seconds;      /* 0: inferred from the readings */
	int64_t created_at;
	/* Filled by reads: */
	char unit_name[101];
	int64_t readings;
	int64_t first_at, last_at;
} logger_record;

/* A lot's stay somewhere a logger watched: a storage unit, or a shipment's parcel. */
typedef struct lot_exposure {
	int64_t lot_id;
	char lot_number[65];
	char lot_status[16];
	int64_t product_id;
	double min_celsius, max_celsius;
	int allowance_minutes;
	int64_t logger_id;
	char place[32];                /* "unit:3" or "shipment:7" */
	int64_t from_at, to_at;        /* to_at 0: still there */
} lot_exposure;

typedef struct coldchain_alert_record {
	int64_t id;
	int64_t lot_id;
	int64_t logger_id;
	char place[32];
	int64_t first_at, last_at;
	int64_t minutes_outside;
	int64_t allowance_minutes;
	double peak_celsius;
	char *evidence_json;           /* heap, owned: free with coldchain_alert_clear */
	char status[12];               /* open | disposed */
	int64_t created_at;
	char disposition[12];
	char justification[1001];
	int64_t disposed_by;
	int64_t disposed_at;
	/* Filled by reads: */
	char lot_number[65];
	char product_name_ja[201];
	char logger_code[65];
} coldchain_alert_record;

void coldchain_alert_clear(coldchain_alert_record *a);

/* A connected sensor's silence (0012_logger_silences.sql). */
typedef struct logger_silence_record {
	int64_t id;
	int64_t logger_id;
	int64_t since_at;              /* the last reading before it (or the logger's creation) */
	int64_t detected_at;
	int64_t resumed_at;            /* 0 while silent */
	int64_t recovered_at;          /* 0 while silent */
	/* Filled by reads: */
	char logger_code[65];
	char unit_name[101];
	int64_t interval_seconds;
} logger_silence_record;

typedef struct reading_import_record {
	int64_t id;
	int64_t logger_id;
	char source[201];
	char sha256[65];
	int64_t rows_read, rows_added;
	int64_t first_at, last_at;
	int64_t imported_by;
	int64_t imported_at;
} reading_import_record;

/* Adverse events (see 0005_adverse_events.sql). */
#define AE_MAX_SUSPECT_LOTS 16

typedef struct ae_report_record {
	int64_t id;
	int64_t patient_id;
	int64_t order_id;              /* 0 when not tied to an order */
	int64_t reported_by;
	char reporter_role[16];
	char symptoms_json[512];
	char description[4001];
	char onset_date[11];
	bool ongoing;
	char severity[10];             /* mild | moderate | severe, as the reporter felt it */
	char photo_type[16];           /* "" when no photo */
	char photo_sha256[65];
	int64_t received_at;
	int64_t checkin_id;            /* the follow-up check-in it was pre-filled from, 0 when none */
	/* Filled by reads: the patient and the latest assessment, if any. */
	char patient_name[401];
	int latest_version;            /* 0: not assessed yet */
	int64_t reviewed_at;           /* when staff first assessed it; 0: not yet */
	bool serious;
	char due_date[11];
	char outcome[24];
} ae_report_record;

typedef struct ae_assessment_record {
	int64_t id;
	int64_t report_id;
	int version;                   /* set by the store on insert: the next for the report */
	char terms_json[8192];         /* [{"code","grade","specify_text"?,"specify_meddra_code"?}] */
	bool death, life_threatening, hospitalization, disability, congenital_anomaly, other_medically_important;
	bool serious;
	char outcome[24];
	char outcome_date[11];
	char causality[16];
	char treatment[2001];
	char narrative[4001];
	char due_date[11];
	int64_t assessed_by;
	int64_t assessed_at;
	int64_t lot_ids[AE_MAX_SUSPECT_LOTS];
	int lot_count;
	char assessor_name[401];       /* filled by reads */
	user_role assessor_role;       /* filled by reads: the assessor's role now */
} ae_assessment_record;

/* Per lot of a product: reports whose latest assessment suspects the lot, and units dispensed. */
typedef struct ae_lot_stat {
	int64_t lot_id;
	char lot_number[65];
	int64_t reports;
	int64_t serious_reports;
	int64_t units;
} ae_lot_stat;

typedef struct ae_lot_alert_record {
	int64_t id;
	int64_t lot_id;
	char lot_number[65];
	char rule[24];
	char evidence_json[1024];
	bool quarantined;
	int64_t created_at;
} ae_lot_alert_record;

/* The mail outbox (see 0011_mail_outbox.sql). */
typedef struct mail_record {
	int64_t id;
	int64_t recipient_user_id;     /* 0 when not an account */
	char to_address[255];
	char kind[64];
	const char *subject;           /* UTF-8; when read by mail_get, in owned_text */
	const char *body_text;
	char *owned_text;              /* heap block holding both after mail_get: mail_record_clear */
	char dedupe_key[256];          /* "" when none */
	int64_t created_at;
	int64_t not_before;
	int attempts;
	int64_t next_attempt_at;
	char last_error[501];
	int64_t sent_at;               /* 0 until the relay accepted it */
	char status[12];               /* queued | sent | failed | cancelled */
} mail_record;

void mail_record_clear(mail_record *m);

/* How many messages are in each state (of those whose dedupe key starts with a prefix). */
typedef struct mail_counts {
	int64_t queued, sent, failed, cancelled;
	int64_t oldest_queued_at;      /* created_at of the oldest queued message, 0 when none */
} mail_counts;

/* A password-reset token as stored: its hash only (see 0011_mail_outbox.sql). */
typedef struct reset_token_record {
	char token_hash[65];
	int64_t user_id;
	int64_t created_at;
	int64_t expires_at;
	int64_t used_at;               /* 0 until used */
} reset_token_record;
/* Active safety follow-up (see 0016_followup.sql). */
#define FOLLOWUP_MAX_FIRST_DAYS 12

/* A product's schedule; a product without one follows the defaults (3, 14, 30; 91; not disclosed). */
typedef struct followup_plan {
	int64_t product_id;
	int first_days[FOLLOWUP_MAX_FIRST_DAYS];  /* ascending, each 1..3650 */
	int first_count;
	int repeat_days;
	bool disclose;                 /* the summary shows on the public product page */
	int64_t updated_at;
	int64_t updated_by;            /* 0: the system or never */
} followup_plan;

/* A delivered order, for the schedule: brings_new_lot when one of its lots reaches the patient
 * for the first time (no earlier delivered order of theirs held it). */
typedef struct followup_delivery {
	int64_t order_id;
	int64_t patient_id;
	int64_t product_id;
	int64_t delivered_at;
	bool brings_new_lot;
} followup_delivery;

typedef struct checkin_record {
	int64_t id;
	int64_t patient_id;
	int64_t product_id;
	int64_t anchor_order_id;       /* the delivery the schedule counts from */
	int64_t lots_order_id;         /* the latest delivery before due_at: its lots are the check-in's */
	int day_offset;
	int64_t due_at;
	char status[12];               /* open | answered | missed | withdrawn */
	char link_token_hash[65];
	int64_t link_expires_at;
	int64_t mailed_at, reminded_at, answered_at;  /* 0 when not yet */
	char answered_via[8];          /* app | link | phone, "" until answered */
	int64_t answered_by;           /* phone answers: the staff member; else 0 */
	int nothing_changed;           /* 0 or 1; -1 until answered */
	char note[2001];
	int64_t closed_at;             /* missed or withdrawn: when; else 0 */
	int64_t created_at;
	/* Filled by reads: */
	char product_name_ja[201], product_name_en[201];
	int64_t ae_report_id;          /* the report made from it, 0 when none */
	int64_t calls;                 /* staff calls recorded */
	char patient_name[401], patient_phone[32], patient_email[256], patient_lang[3];
} checkin_record;

typedef struct checkin_symptom {
	char symptom[24];
	char severity[10];
	bool still_present;
} checkin_symptom;

typedef struct checkin_lot {
	int64_t lot_id;
	char lot_number[65];
} checkin_lot;

typedef struct followup_call_record {
	int64_t id;
	int64_t checkin_id;
	int64_t called_by;
	int64_t called_at;
	char outcome[12];              /* answered | no_answer | withdrew */
} followup_call_record;

/* One answered check-in of a product, once per (lot, symptom) it has: lot_id 0 when it has no
 * lot, symptom "" when nothing was reported. */
typedef struct followup_answer_row {
	int64_t checkin_id;
	int64_t patient_id;
	int64_t due_at;
	int64_t answered_at;
	int64_t lot_id;
	char symptom[24];
} followup_answer_row;

/* A patient's first delivery of a lot of a product (an exposure: the per-lot unit's entry). */
typedef struct followup_exposure_row {
	int64_t patient_id;
	int64_t lot_id;
	char lot_number[65];
	int64_t entry_at;
} followup_exposure_row;

/* A search of the audit log (admins' audit page): every field 0 / NULL means "any". Rows come
 * newest first; before_id > 0 continues a listing after the row with that id (keyset paging:
 * rows appended meanwhile do not shift the pages). */
typedef struct audit_query {
	int64_t actor_id;              /* -1: any; 0: the system / anonymous; > 0: that user */
	int64_t patient_id;            /* > 0: rows about this patient: object patient:N, the patient's
	                                  own actions, and rows about their orders and bookings */
	const char *action;            /* exact action code */
	int64_t from, to;              /* at in [from, to); 0: unbounded */
	int64_t before_id;             /* > 0: only rows with id < before_id */
	int limit;
} audit_query;

/* An audit row with the people it names, for display. */
typedef struct audit_entry {
	audit_row row;
	char actor_name[401];          /* "" for the system, or a user since removed */
	int64_t patient_id;            /* the patient the row is about, 0 when none */
	char patient_name[401];
} audit_entry;

/* A person who can be chosen in the audit page's filters (a staff member as actor, a patient
 * as the one a row is about). */
typedef struct audit_person {
	int64_t id;
	char name[401];
	char name_kana[401];
	user_role role;
} audit_person;

/* What a staff list (review queue, orders, adverse events, the admin's users) is narrowed to. NULL / 0 means
 * "any". text matches the patient's name as a substring (spaces ignored), kana the patient's
 * kana (the query folded to katakana by kana_fold), number the row's own number (order or report
 * id) or the patient's id. limit 0: no limit. */
typedef struct list_filter {
	const char *text;
	const char *kana;
	int64_t number;
	const char *status;
	int limit, offset;
} list_filter;

typedef struct store store;

/* What schema_check finds, in the order it is decided. */
typedef enum store_schema_state {
	STORE_SCHEMA_CURRENT,   /* every migration applied and every object they create present */
	STORE_SCHEMA_EMPTY,     /* never initialised */
	STORE_SCHEMA_NEWER,     /* written by a program with later migrations than this one */
	STORE_SCHEMA_DAMAGED,   /* an object (table, column, index, trigger, view) its version has is missing */
	STORE_SCHEMA_OLDER,     /* intact, with migrations still to apply */
} store_schema_state;

typedef struct store_schema_status {
	store_schema_state state;
	int version;            /* the database's */
	int known_version;      /* the newest this program knows */
	char missing[200];      /* DAMAGED: the missing objects, e.g. "table orders, column users.lang" */
} store_schema_status;

/* Appends "what name" to out->missing for a DAMAGED status (", " between; "..." once full);
 * both backends' schema_check list what they miss through it. */
void store_schema_note_missing(store_schema_status *out, const char *what, const char *name);

/* Called once per row by the listing methods; a non-zero return stops the listing. */
typedef int (*store_user_fn)(void *ctx, const user_record *user);
typedef int (*store_audit_fn)(void *ctx, const audit_row *row);
typedef int (*store_audit_entry_fn)(void *ctx, const audit_entry *e);
typedef int (*store_audit_person_fn)(void *ctx, const audit_person *p);
typedef int (*store_slot_fn)(void *ctx, const slot_view *slot);
typedef int (*store_booking_fn)(void *ctx, const booking_record *booking);
typedef int (*store_review_fn)(void *ctx, const review_item *item);
/* The record is the listing's: copy what outlives the call (response_record_clear not needed). */
typedef int (*store_response_fn)(void *ctx, const response_record *r);
typedef int (*store_call_fn)(void *ctx, const call_record *call);
typedef int (*store_consent_fn)(void *ctx, const consent_record *c);
typedef int (*store_product_fn)(void *ctx, const product_record *p);
typedef int (*store_lot_fn)(void *ctx, const lot_record *lot);
typedef int (*store_lot_test_fn)(void *ctx, const lot_test_record *t);
typedef int (*store_certificate_fn)(void *ctx, const certificate_record *c);  /* data not loaded */
typedef int (*store_transition_fn)(void *ctx, const lot_transition_record *t);
typedef int (*store_order_fn)(void *ctx, const order_record *o);
/* One status and how many orders have it (order_status_counts). */
typedef void (*store_status_count_fn)(void *ctx, const char *status, int64_t n);
typedef int (*store_dispense_fn)(void *ctx, const dispense_record *d);
typedef int (*store_recipient_fn)(void *ctx, const recall_recipient *r);
typedef int (*store_recall_track_fn)(void *ctx, const recall_track_record *t);
typedef int (*store_certificate_use_fn)(void *ctx, const certificate_use *u);
typedef int (*store_unit_fn)(void *ctx, const storage_unit_record *u);
typedef int (*store_logger_fn)(void *ctx, const logger_record *l);
typedef int (*store_exposure_fn)(void *ctx, const lot_exposure *e);
typedef int (*store_reading_fn)(void *ctx, int64_t at, double celsius);
typedef int (*store_alert_fn)(void *ctx, const coldchain_alert_record *a);
typedef int (*store_silence_fn)(void *ctx, const logger_silence_record *r);
typedef int (*store_ae_report_fn)(void *ctx, const ae_report_record *r);
typedef int (*store_ae_assessment_fn)(void *ctx, const ae_assessment_record *a);
typedef int (*store_ae_lot_stat_fn)(void *ctx, const ae_lot_stat *st);
typedef int (*store_ae_lot_alert_fn)(void *ctx, const ae_lot_alert_record *a);
/* One (report, item, event) of the latest assessments: item is a product code or a lot number. */
typedef int (*store_ae_pair_fn)(void *ctx, int64_t report_id, const char *item, const char *event);
/* The record is the listing's (its subject and body are freed after the call). */
typedef int (*store_mail_fn)(void *ctx, const mail_record *m);
typedef int (*store_clinic_fn)(void *ctx, const clinic_profile *c);

/* One adverse-event report as the safety officer's pooled registry reads it (issue 18): what a
 * pharmacovigilance registry keeps, never the patient's name, contact data, ids or free text.
 * birth_date is read only to make an age band (core/registry.h) and is never sent. */
typedef struct registry_ae_row {
	int64_t report_id;
	int64_t clinic_id;
	char clinic_name[401];
	char birth_date[11];
	char sex[8];
	char onset_date[11];
	char severity[10];
	char symptoms_json[512];
	char product_code[41];         /* the reported order's product; "" when the report names none */
	int version;                   /* the latest assessment's; 0: not assessed yet */
	char terms_json[8192];         /* its terms; the reader keeps only codes and grades */
	bool serious;
	char outcome[24];
	char causality[16];
	char lot_numbers[256];         /* its suspect lots' numbers, ", "-separated */
} registry_ae_row;
typedef int (*store_registry_ae_fn)(void *ctx, const registry_ae_row *r);

/* One clinic's receipt of a manufacturer's lot, for the registry's pooled view of lots. */
typedef struct registry_lot_row {
	int64_t lot_id;
	int64_t clinic_id;
	char clinic_name[401];
	int64_t product_id;
	char product_code[41];
	char lot_number[65];
	char status[16];
	char expires_on[11];
	int64_t quantity_received, quantity_available;
	int64_t reports, serious_reports;  /* reports whose latest assessment suspects this lot row */
} registry_lot_row;
typedef int (*store_registry_lot_fn)(void *ctx, const registry_lot_row *r);
typedef int (*store_followup_delivery_fn)(void *ctx, const followup_delivery *d);
typedef int (*store_checkin_fn)(void *ctx, const checkin_record *c);
typedef int (*store_checkin_symptom_fn)(void *ctx, const checkin_symptom *sy);
typedef int (*store_checkin_lot_fn)(void *ctx, const checkin_lot *l);
typedef int (*store_followup_answer_fn)(void *ctx, const followup_answer_row *r);
typedef int (*store_followup_exposure_fn)(void *ctx, const followup_exposure_row *e);

typedef struct store_methods {
	const char *backend_name;

	/* Closes the connection and frees the store. */
	void (*close)(store *s);

	/* Brings the schema up to date; each migration runs in its own transaction or not at all.
	 * *version_out receives the resulting schema version. */
	store_rc (*migrate)(store *s, int *version_out);
	store_rc (*schema_version)(store *s, int *version_out);
	/* Compares the database's schema with what this program's migrations create up to the
	 * database's version (see store_schema_status); reads only. */
	store_rc (*schema_check)(store *s, store_schema_status *out);
	/* The backend's own consistency check of every page and index; STORE_ERROR with the first
	 * problem in errmsg when it finds one. Reads only. */
	store_rc (*integrity_check)(store *s);
	/* Writes a consistent copy of the whole database, as of one moment, to the new or empty
	 * file at path and makes it durable (fsync). Other connections keep writing meanwhile. */
	store_rc (*snapshot_to)(store *s, const char *path);

	/* A commit that fails has rolled back: no transaction is left open either way. rollback
	 * without an open transaction does nothing. */
	store_rc (*begin)(store *s);
	store_rc (*commit)(store *s);
	void (*rollback)(store *s);
	/* A number that changes after any committed change to the database, by this process or
	 * another: equal numbers mean nothing changed in between, so what was computed from the
	 * data after reading the first may be reused while it is the same. Numbers of different
	 * databases differ. A backend that cannot tell returns a new number every time. */
	store_rc (*data_generation)(store *s, uint64_t *generation_out);

	/* Users. user_insert fills user->id; STORE_CONFLICT when the e-mail is taken. */
	store_rc (*user_insert)(store *s, user_record *user);
	store_rc (*user_by_email)(store *s, const char *email, user_record *out);
	store_rc (*user_by_id)(store *s, int64_t id, user_record *out);
	store_rc (*user_count)(store *s, int64_t *count_out);
	store_rc (*user_list)(store *s, store_user_fn fn, void *ctx);
	/* The admin's user list: accounts matching f (text: the name, spaces ignored, or the e-mail;
	 * kana: a patient's kana; number: the user id; status: "active" or "deactivated") whose
	 * role is one of roles (user_role bits; 0: any), by id, f->limit from f->offset on;
	 * *total_out counts every match. */
	store_rc (*user_search)(store *s, const list_filter *f, unsigned roles, store_user_fn fn, void *ctx,
	                        int64_t *total_out);
	/* Writes user's e-mail, name, role, lang, password_reset_required and deactivated_at (by id).
	 * STORE_CONFLICT when the e-mail belongs to another account; STORE_NOT_FOUND for no such id. */
	store_rc (*user_update)(store *s, const user_record *user);
	/* Admins whose account is active: the last one may not be demoted or deactivated. */
	store_rc (*user_count_active_admins)(store *s, int64_t *count_out);

	store_rc (*profile_insert)(store *s, const patient_profile *profile);
	store_rc (*profile_get)(store *s, int64_t user_id, patient_profile *out);
	/* Writes every column of the patient's profile (by user_id); STORE_NOT_FOUND when none. */
	store_rc (*profile_update)(store *s, const patient_profile *profile);

	/* Sessions, looked up by the hash of the cookie token. */
	store_rc (*session_insert)(store *s, const session_record *session);
	store_rc (*session_get)(store *s, const char *token_hash, session_record *out);
	store_rc (*session_touch)(store *s, const char *token_hash, int64_t now);
	store_rc (*session_delete)(store *s, const char *token_hash);
	/* Ends every session of a user (deactivation, a forced password reset); *count_out: how many. */
	store_rc (*session_delete_user)(store *s, int64_t user_id, int64_t *count_out);
	/* Removes sessions idle since before idle_cutoff or created before absolute_cutoff. */
	store_rc (*session_purge)(store *s, int64_t idle_cutoff, int64_t absolute_cutoff);

	/* Failed log-ins, keyed by a subject such as "account:a@b.example" or "address:127.0.0.1". */
	store_rc (*login_failure_add)(store *s, const char *subject, int64_t at);
	store_rc (*login_failure_count)(store *s, const char *subject, int64_t since, int64_t *count_out);
	store_rc (*login_failure_clear)(store *s, const char *subject);
	/* Forgets failures older than before (they no longer count against anyone). */
	store_rc (*login_failure_purge)(store *s, int64_t before);
	/* Forgets one failure of subject recorded at at (an attempt counted before its password
	 * was checked, which turned out right). */
	store_rc (*login_failure_forget)(store *s, const char *subject, int64_t at);

	/* Browsers known to an account: a device cookie's hash, given at a successful log-in. */
	store_rc (*login_device_add)(store *s, const char *token_hash, int64_t user_id, int64_t at);
	/* The account a device cookie's hash belongs to; STORE_NOT_FOUND when none. */
	store_rc (*login_device_user)(store *s, const char *token_hash, int64_t *user_id_out);
	/* Forgets devices given before before. */
	store_rc (*login_device_purge)(store *s, int64_t before);

	/* Appends one row to the hash-chained audit log inside the caller's transaction; fills
	 * entry->id, entry->prev_hash and entry->hash. */
	store_rc (*audit_append)(store *s, audit_row *entry);
	/* Rows newest first, at most limit. */
	store_rc (*audit_recent)(store *s, int limit, store_audit_fn fn, void *ctx);
	/* Every row in id order, for verification. */
	store_rc (*audit_each)(store *s, store_audit_fn fn, void *ctx);
	/* Rows matching q, newest first, at most q->limit, with the names of the people they name. */
	store_rc (*audit_search)(store *s, const audit_query *q, store_audit_entry_fn fn, void *ctx);
	/* Rows matching q (limit and before_id ignored). */
	store_rc (*audit_count)(store *s, const audit_query *q, int64_t *count_out);
	/* The people the audit page offers as filters: every account, staff first, then patients by
	 * kana (at most 20,000). */
	store_rc (*audit_people)(store *s, store_audit_person_fn fn, void *ctx);

	/* Consultation slots. slot_insert: STORE_CONFLICT when the doctor already has a slot at
	 * that time. slot_delete: STORE_CONFLICT when it has a live booking. */
	store_rc (*slot_insert)(store *s, slot_record *slot);
	store_rc (*slot_get)(store *s, int64_t id, slot_record *out);
	store_rc (*slot_delete)(store *s, int64_t id);
	store_rc (*slot_list)(store *s, const slot_query *q, store_slot_fn fn, void *ctx);

	/* Bookings. booking_insert: STORE_CONFLICT when the slot already has a live booking
	 * (the database's unique index decides, whatever the concurrency). */
	store_rc (*booking_insert)(store *s, booking_record *booking);
	store_rc (*booking_get)(store *s, int64_t id, booking_record *out);
	store_rc (*booking_cancel)(store *s, int64_t id, int64_t now);
	/* A patient's bookings, soonest first; upcoming_only skips past and cancelled ones. */
	store_rc (*booking_list)(store *s, int64_t patient_id, bool upcoming_only, int64_t now, store_booking_fn fn,
	                         void *ctx);

	/* Questionnaire responses (immutable). response_latest: the patient's newest. */
	store_rc (*response_insert)(store *s, response_record *r);
	store_rc (*response_get)(store *s, int64_t id, response_record *out);
	store_rc (*response_latest)(store *s, int64_t patient_id, response_record *out);
	/* Every response of the patient, oldest first (the first is the patient's version 1). */
	store_rc (*response_list)(store *s, int64_t patient_id, store_response_fn fn, void *ctx);

	/* Consent. consent_latest: the patient's newest acceptance, withdrawn or not. */
	store_rc (*consent_insert)(store *s, consent_record *c);
	store_rc (*consent_latest)(store *s, int64_t patient_id, consent_record *out);
	store_rc (*consent_withdraw)(store *s, int64_t id, int64_t now);
	/* Every acceptance of the patient, newest first: older versions stay as recorded. */
	store_rc (*consent_list)(store *s, int64_t patient_id, store_consent_fn fn, void *ctx);

	/* Decisions: one per questionnaire response (STORE_CONFLICT for a second). */
	store_rc (*decision_insert)(store *s, decision_record *d);
	store_rc (*decision_for_response)(store *s, int64_t response_id, decision_record *out);
	store_rc (*decision_latest)(store *s, int64_t patient_id, decision_record *out);

	/* Consultation calls (immutable). call_insert: STORE_CONFLICT when the booking's call is
	 * already recorded as held. call_latest_held: the patient's held call with the latest
	 * called_at in [from, to]. call_list: a patient's calls, newest first. */
	store_rc (*call_insert)(store *s, call_record *c);
	store_rc (*call_latest_held)(store *s, int64_t patient_id, int64_t from, int64_t to, call_record *out);
	store_rc (*call_list)(store *s, int64_t patient_id, store_call_fn fn, void *ctx);

	/* Patients whose latest response has no decision yet: block first, then oldest first.
	 * f (NULL: everything) narrows it (status: the worst level) and pages it; *total_out, when
	 * not NULL, receives the number of matching patients before paging. */
	store_rc (*review_queue)(store *s, const list_filter *f, int64_t now, int64_t *total_out, store_review_fn fn,
	                         void *ctx);

	/* Products: product_insert is STORE_CONFLICT on a taken code. */
	store_rc (*product_insert)(store *s, product_record *p);
	store_rc (*product_get)(store *s, int64_t id, product_record *out);
	store_rc (*product_list)(store *s, store_product_fn fn, void *ctx);

	/* Lots: lot_insert is STORE_CONFLICT on a lot number the product already has. */
	store_rc (*lot_insert)(store *s, lot_record *lot);
	store_rc (*lot_get)(store *s, int64_t id, lot_record *out);
	/* Lots with this number (any product), for the recall CLI. */
	store_rc (*lot_find_number)(store *s, const char *lot_number, store_lot_fn fn, void *ctx);
	/* Lots of product_id (0: all), newest first. */
	store_rc (*lot_list)(store *s, int64_t product_id, store_lot_fn fn, void *ctx);
	/* Sets the status; the caller has checked the transition with the lot state machine. */
	store_rc (*lot_set_status)(store *s, int64_t lot_id, const char *status);
	store_rc (*lot_transition_insert)(store *s, lot_transition_record *t);
	store_rc (*lot_transitions)(store *s, int64_t lot_id, store_transition_fn fn, void *ctx);
	/* Released lots of product_id with stock, expiring after min_expires_on, soonest expiry
	 * first (first-expiry-first-out). */
	store_rc (*lot_dispensable)(store *s, int64_t product_id, const char *min_expires_on, store_lot_fn fn, void *ctx);
	/* Takes qty units from a released lot; STORE_CONFLICT when fewer are left (nothing taken). */
	store_rc (*lot_take_stock)(store *s, int64_t lot_id, int64_t qty);
	/* Released lots whose expiry date is before today (YYYY-MM-DD). */
	store_rc (*lot_expired_released)(store *s, const char *today, store_lot_fn fn, void *ctx);

	store_rc (*lot_test_insert)(store *s, lot_test_record *t);
	store_rc (*lot_tests)(store *s, int64_t lot_id, store_lot_test_fn fn, void *ctx);
	store_rc (*certificate_insert)(store *s, certificate_record *c);
	/* Reads a certificate with its data (free with certificate_clear). */
	store_rc (*certificate_get)(store *s, int64_t id, certificate_record *out);
	store_rc (*certificates_of_lot)(store *s, int64_t lot_id, store_certificate_fn fn, void *ctx);
	/* Every certificate whose file has this SHA-256 (hex), once per release test it is attached
	 * to (test_kind "" when none), oldest first. */
	store_rc (*certificate_uses)(store *s, const char *sha256, store_certificate_use_fn fn, void *ctx);

	/* Orders. */
	store_rc (*order_insert)(store *s, order_record *o);
	store_rc (*order_get)(store *s, int64_t id, order_record *out);
	/* patient_id 0: every patient; status NULL: every status. Newest first, at most 500. */
	store_rc (*order_list)(store *s, int64_t patient_id, const char *status, store_order_fn fn, void *ctx);
	/* Orders matching f (status: the order's), newest first, paged; *total_out receives the
	 * number matching before paging. */
	store_rc (*order_search)(store *s, const list_filter *f, int64_t *total_out, store_order_fn fn, void *ctx);
	/* Orders matching f whatever their status (f->status ignored), counted per status. */
	store_rc (*order_status_counts)(store *s, const list_filter *f, store_status_count_fn fn, void *ctx);
	/* Units ordered (not cancelled) under one approval. */
	store_rc (*order_quantity_for_decision)(store *s, int64_t decision_id, int64_t *qty_out);
	/* Moves an order from from_status to to_status; STORE_CONFLICT when it is not in from_status. */
	store_rc (*order_set_status)(store *s, int64_t id, const char *from_status, const char *to_status, int64_t now);
	store_rc (*order_record_payment)(store *s, int64_t id, const char *reference, int64_t paid_at, int64_t by);

	store_rc (*dispense_insert)(store *s, dispense_record *d);
	store_rc (*dispenses_of_order)(store *s, int64_t order_id, store_dispense_fn fn, void *ctx);
	store_rc (*shipment_insert)(store *s, shipment_record *sh);
	store_rc (*shipment_of_order)(store *s, int64_t order_id, shipment_record *out);
	store_rc (*shipment_delivered)(store *s, int64_t order_id, int64_t at);

	/* Every patient and shipment that received units of lot_id, in one indexed query. */
	store_rc (*recall_recipients)(store *s, int64_t lot_id, store_recipient_fn fn, void *ctx);
	/* Opens a follow-up row (pending) for every dispense of lot_id that has none, inside the
	 * recall's transaction; running it again adds only dispenses made since. */
	store_rc (*recall_track_open)(store *s, int64_t lot_id, int64_t now);
	store_rc (*recall_track_get)(store *s, int64_t id, recall_track_record *out);
	/* Writes status, the times, notes, closed_on, updated_at and updated_by of t->id. */
	store_rc (*recall_track_update)(store *s, const recall_track_record *t);
	/* The follow-up rows of one patient, newest recall first, with lot and product names. */
	store_rc (*recall_tracks_of_patient)(store *s, int64_t patient_id, store_recall_track_fn fn, void *ctx);

	/* Cold chain: storage units and loggers. unit_insert and logger_insert are
	 * STORE_CONFLICT on a taken name or code. */
	store_rc (*unit_insert)(store *s, storage_unit_record *u);
	store_rc (*unit_get)(store *s, int64_t id, storage_unit_record *out);
	store_rc (*unit_list)(store *s, store_unit_fn fn, void *ctx);
	store_rc (*logger_insert)(store *s, logger_record *l);
	store_rc (*logger_get)(store *s, int64_t id, logger_record *out);
	store_rc (*logger_by_code)(store *s, const char *code, logger_record *out);
	store_rc (*logger_list)(store *s, store_logger_fn fn, void *ctx);
	store_rc (*logger_set_key)(store *s, int64_t id, const char *api_key_hash);

	/* Moves a lot into a unit at time at, closing its current placement. */
	store_rc (*lot_place)(store *s, int64_t lot_id, int64_t unit_id, int64_t at);
	/* Every stay of a lot where logger_id watched, overlapping [from, to): lots placed in the
	 * logger's unit, and lots dispensed into shipments carrying the logger. */
	store_rc (*exposures_of_logger)(store *s, int64_t logger_id, int64_t from, int64_t to, store_exposure_fn fn,
	                                void *ctx);
	/* Every stay of one lot under any logger. */
	store_rc (*exposures_of_lot)(store *s, int64_t lot_id, store_exposure_fn fn, void *ctx);

	/* Stores one reading inside the caller's transaction. *added is 1 when new, 0 when the
	 * same reading was already there; STORE_CONFLICT when a different value is stored for that
	 * logger and time (nothing written). Prepared once per connection: fast in a loop. */
	store_rc (*reading_put)(store *s, int64_t logger_id, int64_t at, double celsius, int *added);
	/* Readings of a logger in [from, to), in time order. */
	store_rc (*readings_range)(store *s, int64_t logger_id, int64_t from, int64_t to, store_reading_fn fn, void *ctx);
	store_rc (*reading_import_insert)(store *s, reading_import_record *r);

	/* Excursion alerts. alert_insert is STORE_CONFLICT when the lot already has an open alert
	 * for that logger. */
	store_rc (*alert_insert)(store *s, coldchain_alert_record *a);
	store_rc (*alert_get)(store *s, int64_t id, coldchain_alert_record *out);
	/* status NULL: all; lot_id 0: every lot. Newest first. */
	store_rc (*alert_list)(store *s, const char *status, int64_t lot_id, store_alert_fn fn, void *ctx);
	store_rc (*alert_dispose)(store *s, int64_t id, const char *disposition, const char *justification, int64_t by,
	                          int64_t at);

	/* Silent sensors. silence_open records a silence of logger_id since since_at (r->id set)
	 * unless the logger has an open one already: then STORE_CONFLICT, nothing is written and
	 * the caller's transaction goes on (the silence check carries on in its own).
	 * silence_recover closes the logger's open silence when a reading after its since_at is
	 * stored (resumed_at: the first such reading), filling *out; STORE_NOT_FOUND when there is
	 * no open silence or no such reading. silence_list: open silences and those recovered at or
	 * after recovered_since, open first, then newest. */
	store_rc (*silence_open)(store *s, logger_silence_record *r);
	store_rc (*silence_recover)(store *s, int64_t logger_id, int64_t recovered_at, logger_silence_record *out);
	store_rc (*silence_list)(store *s, int64_t recovered_since, store_silence_fn fn, void *ctx);

	/* Adverse events. */
	store_rc (*ae_report_insert)(store *s, ae_report_record *r);
	store_rc (*ae_report_get)(store *s, int64_t id, ae_report_record *out);
	store_rc (*ae_report_set_photo)(store *s, int64_t id, const char *type, const unsigned char *data, size_t len,
	                                const char *sha256);
	/* The photo's bytes in *data (heap, the caller frees), its type in type_out. */
	store_rc (*ae_report_photo)(store *s, int64_t id, char type_out[16], unsigned char **data, size_t *len);
	/* patient_id 0: every report. Newest first. */
	store_rc (*ae_report_list)(store *s, int64_t patient_id, store_ae_report_fn fn, void *ctx);
	/* Every report matching f's text, kana and number (status and paging are the caller's: the
	 * triage order is computed above the store), newest first. */
	store_rc (*ae_report_search)(store *s, const list_filter *f, store_ae_report_fn fn, void *ctx);
	/* Adds the next version (a->version is set) with its suspect lots. */
	store_rc (*ae_assessment_insert)(store *s, ae_assessment_record *a);
	store_rc (*ae_assessment_latest)(store *s, int64_t report_id, ae_assessment_record *out);
	store_rc (*ae_assessment_list)(store *s, int64_t report_id, store_ae_assessment_fn fn, void *ctx);
	store_rc (*ae_lot_stats)(store *s, int64_t product_id, store_ae_lot_stat_fn fn, void *ctx);
	/* STORE_CONFLICT when the lot already has an alert under this rule: nothing is written and
	 * the caller's transaction goes on (ae_assess raises alerts inside its own). */
	store_rc (*ae_lot_alert_insert)(store *s, ae_lot_alert_record *a);
	store_rc (*ae_lot_alert_list)(store *s, store_ae_lot_alert_fn fn, void *ctx);
	store_rc (*ae_signal_pairs)(store *s, bool by_lot, store_ae_pair_fn fn, void *ctx);

	/* Mail outbox. mail_insert queues m (status, attempts and sent_at are ignored) inside the
	 * caller's transaction and fills m->id; when m->dedupe_key is set and a message with that
	 * key exists already, nothing is written and *queued is false (m->id 0). */
	store_rc (*mail_insert)(store *s, mail_record *m, bool *queued);
	/* Reads one message with its subject and body (free with mail_record_clear). */
	store_rc (*mail_get)(store *s, int64_t id, mail_record *out);
	/* Queued messages with not_before and next_attempt_at at or before now, oldest first. */
	store_rc (*mail_due)(store *s, int64_t now, int limit, store_mail_fn fn, void *ctx);
	/* Marks a queued message sent at `at` (STORE_NOT_FOUND when it is no longer queued). */
	store_rc (*mail_mark_sent)(store *s, int64_t id, int64_t at);
	/* Records a failed attempt: attempts and last_error, and either the next attempt's time or
	 * (failed) the final status failed. STORE_NOT_FOUND when it is no longer queued. */
	store_rc (*mail_mark_attempt)(store *s, int64_t id, int attempts, int64_t next_attempt_at, const char *last_error,
	                              bool failed);
	/* Cancels the queued messages whose dedupe key starts with key_prefix; *cancelled_out
	 * receives how many (may be NULL). */
	store_rc (*mail_cancel)(store *s, const char *key_prefix, int64_t *cancelled_out);
	/* status NULL: every status. Newest first, at most limit. */
	store_rc (*mail_list)(store *s, const char *status, int limit, store_mail_fn fn, void *ctx);
	/* Counts by status of the messages whose dedupe key starts with key_prefix ("" all). */
	store_rc (*mail_count)(store *s, const char *key_prefix, mail_counts *out);

	/* Password-reset tokens. reset_token_use marks the token used at `at`: STORE_CONFLICT when
	 * it was used already, STORE_NOT_FOUND when unknown. */
	store_rc (*reset_token_insert)(store *s, const reset_token_record *t);
	store_rc (*reset_token_get)(store *s, const char *token_hash, reset_token_record *out);
	store_rc (*reset_token_use)(store *s, const char *token_hash, int64_t at);
	/* Marks every unused token of a user used at `at` (a newer reset voids older links);
	 * *count_out receives how many (may be NULL). */
	store_rc (*reset_tokens_void_user)(store *s, int64_t user_id, int64_t at, int64_t *count_out);
	/* Unexpired tokens created for a user since `since` (to limit reset mails). */
	store_rc (*reset_token_count)(store *s, int64_t user_id, int64_t since, int64_t *count_out);
	/* Patients whose latest acceptance (in force) is of consent_id at a version below version. */
	store_rc (*consent_outdated)(store *s, const char *consent_id, int version, store_user_fn fn, void *ctx);
	/* Sets a user's password hash. */
	store_rc (*user_set_password)(store *s, int64_t user_id, const char *password_hash);
	/* The clinic's own details (see 0009_clinics.sql): one row per clinic, id 1 for now.
	 * clinic_put writes every field of c->id with updated_at and updated_by (0: NULL). */
	store_rc (*clinic_get)(store *s, int64_t id, clinic_profile *out);
	store_rc (*clinic_put)(store *s, const clinic_profile *c);
	/* A new clinic of a chain (issue 18) named c->name, the other details empty for its admin
	 * to fill; its id in c->id. */
	store_rc (*clinic_insert)(store *s, clinic_profile *c);
	/* Every clinic of the database, by id (whatever the scope: their names are public). */
	store_rc (*clinic_list)(store *s, store_clinic_fn fn, void *ctx);

	/* The safety officer's registry, pooled over every clinic whatever the scope (the caller
	 * checks the role): reports newest first; lot rows by product, lot number and clinic,
	 * narrowed to one product's lot number when lot_number is set. */
	store_rc (*registry_ae_list)(store *s, store_registry_ae_fn fn, void *ctx);
	store_rc (*registry_lot_list)(store *s, int64_t product_id, const char *lot_number, store_registry_lot_fn fn,
	                              void *ctx);

	/* Active safety follow-up (0016_followup.sql). followup_plan_get: STORE_NOT_FOUND when the
	 * product has no plan of its own (the defaults apply). followup_plan_put writes every field. */
	store_rc (*followup_plan_get)(store *s, int64_t product_id, followup_plan *out);
	store_rc (*followup_plan_put)(store *s, const followup_plan *p);
	/* Every delivered order, by patient, product and delivery time. */
	store_rc (*followup_deliveries)(store *s, store_followup_delivery_fn fn, void *ctx);
	/* STORE_OK when the patient has a check-in for that schedule slot (any status), else
	 * STORE_NOT_FOUND. */
	store_rc (*checkin_slot_taken)(store *s, int64_t patient_id, int64_t product_id, int64_t anchor_order_id,
	                               int day_offset);
	/* Inserts c (status open; fills c->id) and its lots (those dispensed in c->lots_order_id);
	 * STORE_CONFLICT when the slot exists or the patient has an open check-in of the product
	 * (nothing written; the caller's transaction goes on). */
	store_rc (*checkin_insert)(store *s, checkin_record *c);
	/* Closes the open check-ins of a patient (product_id 0: of every product) with status
	 * (missed | withdrawn) at `at`; *count_out (may be NULL) receives how many. */
	store_rc (*checkins_close_open)(store *s, int64_t patient_id, int64_t product_id, const char *status, int64_t at,
	                                int64_t *count_out);
	/* Open check-ins whose link expired at or before now become missed; *count_out how many. */
	store_rc (*checkins_expire)(store *s, int64_t now, int64_t *count_out);
	store_rc (*checkin_get)(store *s, int64_t id, checkin_record *out);
	store_rc (*checkin_by_token)(store *s, const char *token_hash, checkin_record *out);
	/* A patient's check-ins, newest due first. */
	store_rc (*checkins_of_patient)(store *s, int64_t patient_id, store_checkin_fn fn, void *ctx);
	store_rc (*checkin_symptoms)(store *s, int64_t checkin_id, store_checkin_symptom_fn fn, void *ctx);
	store_rc (*checkin_lots)(store *s, int64_t checkin_id, store_checkin_lot_fn fn, void *ctx);
	/* Records the answer of an open check-in (status, answered_at, answered_via, answered_by,
	 * nothing_changed, note from c); STORE_CONFLICT when it is no longer open (nothing written). */
	store_rc (*checkin_answer)(store *s, const checkin_record *c);
	store_rc (*checkin_symptom_insert)(store *s, int64_t checkin_id, const checkin_symptom *sy);
	store_rc (*checkin_mark_mailed)(store *s, int64_t id, int64_t at);
	/* The reminder carries a second link (link_token_hash here); the first mail's stays valid:
	 * checkin_by_token finds the check-in by either. */
	store_rc (*checkin_mark_reminded)(store *s, int64_t id, int64_t at, const char *link_token_hash);
	/* Open check-ins mailed, not reminded, due at or before due_before, oldest first. */
	store_rc (*checkins_to_remind)(store *s, int64_t due_before, store_checkin_fn fn, void *ctx);
	/* Open check-ins reminded at or before reminded_before (no answer since), oldest due first,
	 * with the patient's name and phone and the calls made. */
	store_rc (*checkins_nonresponders)(store *s, int64_t reminded_before, store_checkin_fn fn, void *ctx);
	store_rc (*followup_call_insert)(store *s, followup_call_record *c);
	/* The patient's withdrawal: STORE_NOT_FOUND when following. put: STORE_CONFLICT when
	 * withdrawn already. delete: STORE_NOT_FOUND when not withdrawn. */
	store_rc (*followup_withdrawal_get)(store *s, int64_t patient_id, int64_t *withdrawn_at_out);
	store_rc (*followup_withdrawal_put)(store *s, int64_t patient_id, int64_t at, const char *reason);
	store_rc (*followup_withdrawal_delete)(store *s, int64_t patient_id);
	/* The statistics' inputs for a product: its answered check-ins (followup_answer_row) and
	 * every patient's first delivery of each of its lots. */
	store_rc (*followup_answers)(store *s, int64_t product_id, store_followup_answer_fn fn, void *ctx);
	store_rc (*followup_exposures)(store *s, int64_t product_id, store_followup_exposure_fn fn, void *ctx);
} store_methods;

/* Why the last STORE_ERROR happened, where the caller can answer better than "it broke": the
 * database is out of reach or busy, and the same request may succeed later. A qualifier of
 * STORE_ERROR rather than more store_rc values: dozens of callers test rc == STORE_ERROR to
 * tell a failure from STORE_NOT_FOUND, and would read a new value as "found". */
typedef enum store_fault {
	STORE_FAULT_NONE = 0,      /* not known to be passing: report it as a fault */
	STORE_FAULT_UNAVAILABLE,   /* the database server cannot be reached (down, restarting,
	                            * refusing connections); nothing more was sent to it */
	STORE_FAULT_RETRY,         /* PostgreSQL serialization failure or deadlock: the transaction
	                            * was rolled back and may be run again at once */
	STORE_FAULT_BUSY,          /* SQLite: another process held the write lock past the busy
	                            * timeout; the transaction was rolled back */
} store_fault;
/* SQLite's BUSY is BUSY, not UNAVAILABLE: the file is there and readable, only its write lock
 * is held, by another process (this process's writers queue at the write gate first), e.g. the
 * CLI's restore or import. Nor RETRY: SQLite already waited its busy timeout (10 s), and an
 * immediate run again would keep the client waiting as long again; the client is asked to come
 * back instead. */

struct store {
	const store_methods *m;
	char errmsg[256];      /* the last STORE_ERROR's reason, for logs and the CLI */
	/* The clinic whose rows the staff queries see (issue 18, docs/clinics-design.md):
	 * STORE_SCOPE_ALL (the CLI, background jobs, a request before its session is known), a
	 * clinic id (a signed-in user's clinic), or STORE_SCOPE_NONE (a user of no clinic: the
	 * safety officer, who reads pooled data through its own queries only). A row of another
	 * clinic reads as not found, as a patient's view of another patient's rows does. */
	int64_t clinic_scope;
	store_fault fault;     /* the last STORE_ERROR's kind; set with errmsg by the SQL stores
	                        * (sql_fail), cleared by whoever hands the store out (the server's
	                        * pool, per request) */
	unsigned long commits; /* PostgreSQL: transactions committed on this connection, so a caller
	                        * that would run a rolled-back request again can tell that none of
	                        * its earlier transactions committed (SQLite leaves it 0: it never
	                        * reports STORE_FAULT_RETRY) */
};

#define STORE_SCOPE_ALL 0
#define STORE_SCOPE_NONE (-1)

/* Sets what s's queries see from now on (above). The server sets it per request and resets it
 * before the connection goes back to its pool. */
static inline void store_scope_clinic(store *s, int64_t clinic_id)
{
	s->clinic_scope = clinic_id;
}

/* The clinic a new row of s's scope belongs to: the scope's clinic, or clinic 1 (the one
 * clinic of a single-clinic installation, 0009_clinics.sql) when the scope is all clinics. */
static inline int64_t store_scope_home(const store *s)
{
	return s->clinic_scope > 0 ? s->clinic_scope : 1;
}

/* Opens the SQLite database at path (created when absent) with WAL, foreign keys,
 * synchronous=FULL and a busy timeout (a connection that writes then commits as a group:
 * store_sqlite.c, still synced before commit returns). Returns NULL and writes a reason to
 * err on failure. */
store *store_sqlite_open(const char *path, char *err, size_t errlen);

/* How a command opens its database. */
typedef enum store_open_mode {
	STORE_OPEN_CREATE,      /* read-write, created when absent (exosafe init) */
	STORE_OPEN_EXISTING,    /* read-write, refused when absent: a mistyped path makes no new file */
	STORE_OPEN_READ_ONLY,   /* refused when absent; never writes; works on a copy in a read-only folder */
} store_open_mode;

/* store_sqlite_open with a mode. */
store *store_sqlite_open_mode(const char *path, store_open_mode mode, char *err, size_t errlen);

/* The PostgreSQL store (src/store/pg/store_pg.c) on the database at url (postgres://... or a
 * libpq key=value string); the database must exist (CREATE DATABASE ... ENCODING 'UTF8'
 * LC_COLLATE 'C'). READ_ONLY makes its transactions read-only; CREATE and EXISTING are the same.
 * NULL with the reason in err on failure (the password never in it). */
store *store_pg_open(const char *url, store_open_mode mode, char *err, size_t errlen);

/* True when db names a PostgreSQL database: a postgres:// or postgresql:// URL, or a libpq
 * key=value string with dbname=. Anything else is a SQLite file's path. */
bool store_db_is_url(const char *db);
/* Opens db with the backend it names (store_db_is_url): PostgreSQL or a SQLite file. */
store *store_open_url(const char *db, store_open_mode mode, char *err, size_t errlen);
/* db as messages show it: a URL's or key=value string's password replaced by ***
 * (postgres://user:***@host/db); a path as it is. Writes into buf and returns it. */
const char *store_db_label(const char *db, char *buf, size_t buflen);

/* Puts the database file new_file (in path's folder) at path in one rename (replace) or link
 * (not replace: refused when path exists). Replacing is refused while another program (a
 * server) has path open; the replaced file's write-ahead log is removed, and the folder is
 * synced. Returns 0, or -1 with the reason in err. */
int store_sqlite_install(const char *new_file, const char *path, bool replace, char *err, size_t errlen);

/* When s's schema is not usable as is, writes why and what to do (naming path) to msg and
 * returns -1; else 0. accept_older lets a database with migrations to apply through (a backup,
 * an audit check). The state found is left in *st when st is not NULL. */
int store_schema_usable(store *s, const char *path, bool accept_older, store_schema_status *st, char *msg,
                        size_t msglen);

/* Fills row with the current time and the given fields (actor_id 0 = anonymous/system). */
void audit_row_make(audit_row *row, int64_t actor_id, user_role actor_role, const char *action,
                    const char *object, const char *detail);

/* Appends an audit row in its own transaction (for reads of health data). */
store_rc store_audit_now(store *s, int64_t actor_id, user_role actor_role, const char *action,
                         const char *object, const char *detail);

#include "store/store_calls.h"

#endif
