/* One function per endpoint; see routes.c for who may call which. */
#ifndef EXOSAFE_HANDLERS_H
#define EXOSAFE_HANDLERS_H

#include "http/http.h"
#include "service/intake.h"
#include "service/trace.h"

void handle_health(request *req);
void handle_csrf(request *req);
void handle_signup(request *req);
void handle_login(request *req);
void handle_logout(request *req);
void handle_me(request *req);
void handle_users_list(request *req);
void handle_users_create(request *req);
void handle_audit_list(request *req);
void handle_my_profile(request *req);
void handle_my_profile_update(request *req);
void handle_admin_users_list(request *req);
void handle_admin_user_deactivate(request *req);
void handle_admin_user_reactivate(request *req);
void handle_admin_user_role(request *req);
void handle_admin_user_force_reset(request *req);
void handle_password_reset_request(request *req);
void handle_password_reset_confirm(request *req);
void handle_admin_mail(request *req);
void handle_audit_csv(request *req);
void handle_audit_filters(request *req);

void handle_slots_list(request *req);
void handle_slots_publish(request *req);
void handle_slots_pattern(request *req);
void handle_slot_delete(request *req);
void handle_schedule(request *req);
void handle_booking_create(request *req);
void handle_bookings_list(request *req);
void handle_booking_cancel(request *req);
void handle_booking_reschedule(request *req);
void handle_booking_ics(request *req);
void handle_booking_call(request *req);

void handle_questionnaire_current(request *req);
void handle_questionnaire_submit(request *req);
void handle_consent_current(request *req);
void handle_consent_accept(request *req);
void handle_consent_withdraw(request *req);
void handle_my_intake(request *req);
void handle_questionnaire_fhir(request *req);
void handle_patient_response_fhir(request *req);
void handle_patient_consent_fhir(request *req);
void handle_my_response_fhir(request *req);
void handle_my_consent_fhir(request *req);

void handle_review_queue(request *req);
void handle_patient_intake(request *req);
void handle_patient_decision(request *req);

void handle_products_list(request *req);
void handle_product_create(request *req);
void handle_lots_list(request *req);
void handle_lot_create(request *req);
void handle_lot_get(request *req);
void handle_lot_certificate_upload(request *req);
void handle_lot_test_create(request *req);
void handle_lot_transition(request *req);
void handle_lot_recall(request *req);
void handle_lot_recipients(request *req);
void handle_lot_recall_notices(request *req);
void handle_lot_recipients_csv(request *req);
void handle_recall_track_update(request *req);
void handle_my_recalls(request *req);
void handle_my_recall_acknowledge(request *req);

void handle_payment_methods(request *req);
void handle_orders_list(request *req);
void handle_order_get(request *req);
void handle_order_create(request *req);
void handle_order_cancel(request *req);
void handle_order_payment(request *req);
void handle_order_dispense(request *req);
void handle_order_ship(request *req);
void handle_order_delivered(request *req);

void handle_public_products(request *req);
void handle_public_clinics(request *req);
void handle_registry_adverse_events(request *req);
void handle_registry_lots(request *req);
void handle_registry_lot_alert(request *req);
void handle_registry_signals(request *req);
void handle_public_product(request *req);
void handle_public_lot(request *req);
void handle_public_certificate(request *req);

/* POST /api/v1/adcheck (handlers_adcheck.c documents the body and the reply). */
void handle_adcheck(request *req);

void handle_units_list(request *req);
void handle_unit_create(request *req);
void handle_loggers_list(request *req);
void handle_logger_create(request *req);
void handle_lot_place(request *req);
void handle_logger_import(request *req);
void handle_logger_ingest(request *req);
void handle_logger_series(request *req);
void handle_lot_storage(request *req);
void handle_alerts_list(request *req);
void handle_order_packing_slip(request *req);
void handle_silences_list(request *req);
void handle_alert_get(request *req);
void handle_alert_dispose(request *req);
/* A lot's stays under loggers with their statistics; public_view leaves out shipments and
 * logger ids. NULL on a storage error. */
json_t *lot_storage_json(request *req, int64_t lot_id, bool public_view);

void handle_ae_create(request *req);
void handle_ae_list(request *req);
void handle_ae_get(request *req);
void handle_ae_photo_upload(request *req);
void handle_ae_photo(request *req);
void handle_ae_assess(request *req);
void handle_ae_lot_alerts(request *req);
void handle_ctcae_terms(request *req);
void handle_signals(request *req);
void handle_ae_export_fhir(request *req);
void handle_ae_export_e2b(request *req);
void handle_ae_pmda_form(request *req);
/* Signals over the stored cases (GET /api/v1/signals and exosafe signals --db). NULL with
 * *why = "no_cases" when there is nothing to compute, or "internal". */
json_t *signals_from_store(store *s, bool by_lot, int min_count, const char **why);

/* Active safety follow-up (handlers_followup.c). */
void handle_my_checkins(request *req);
void handle_checkin_get(request *req);
void handle_checkin_answer(request *req);
void handle_checkin_link_get(request *req);
void handle_checkin_link_answer(request *req);
void handle_followup_withdraw(request *req);
void handle_followup_resume(request *req);
void handle_followup_nonresponders(request *req);
void handle_checkin_call(request *req);
void handle_followup_product(request *req);
void handle_followup_lot(request *req);
void handle_followup_plan_put(request *req);

/* How a service's refusal is answered: one row per value of the service's *_rc enum, in a
 * table indexed by it, e.g. [INTAKE_SLOT_TAKEN] = {409, "slot_taken", "slot_id"}. */
typedef struct error_row {
	int status;           /* 0 in the *_OK row (nothing is answered); 500: internal, the store's error logged */
	const char *code;     /* the error code the client reads (the message key) */
	const char *field;    /* the field the error names, NULL for none, or FIELD_FROM_SERVICE */
	const char *reason;   /* a message key for the reason, or NULL (the code's own message) */
	const char *log_as;   /* for a 500 row: what failed, in the server log */
} error_row;

/* A row's field set to this names the field the service named (the handler passes it). */
extern const char FIELD_FROM_SERVICE[];

/* Answers rc by its row of table (count rows); an rc outside the table answers 500. */
void reply_error_row(request *req, const error_row *table, int count, int rc, const char *service_field);

/* Shared by the traceability handlers. */
void reply_trace_error(request *req, trace_rc rc, const char *field);
json_t *json_product(const product_record *p);
json_t *json_lot(const lot_record *l);
json_t *json_lot_detail(store *s, const lot_record *lot, bool staff);
json_t *json_order(const order_record *o);

/* The clinic's details (handlers_clinic.c). */
void handle_clinic_get(request *req);
void handle_clinic_put(request *req);
/* The reply of GET /api/v1/clinic for this request's user (bank details only when signed in). */
json_t *json_clinic(const request *req, const clinic_profile *p);
/* The details for a notice or export: false, with a 409 clinic_setup_needed (or 500) reply set,
 * when a production clinic's details are incomplete. */
bool clinic_for_document(request *req, clinic_profile *out);

/* Answers {key: list} when the listing that filled it succeeded (rc), else 500, logging what.
 * Takes list. */
void reply_list(request *req, store_rc rc, json_t *list, const char *key, const char *what);

/* Appends the audit row of a read by the signed-in user through the audit writer (group
 * commit) when the server runs one, else in its own transaction on req->db. When the server
 * suspends requests on their rows (req->audit_async) it returns once the row is queued and
 * the reply waits until it is durable (a failure then answers 500); otherwise it returns
 * once the row is durable. */
store_rc request_audit(request *req, const char *action, const char *object, const char *detail);
/* Audits a read of personal or health data by the signed-in user (request_audit); on
 * failure answers 500, logging what, and returns false. */
bool audit_read(request *req, const char *action, const char *object, const char *detail, const char *what);
/* audit_read, returning only once the row is durable (holding the thread): for a read that
 * must see its own row, as the audit log's first page and its verification do. */
bool audit_read_now(request *req, const char *action, const char *object, const char *detail, const char *what);

/* The signed-in user as the service layer's actor. */
actor request_actor(const request *req);
/* The settings of the patients' mails the request's operation may queue. */
mail_settings request_mail_settings(const request *req);

/* Shared by the intake handlers. */
void reply_intake_error(request *req, intake_rc rc, const char *field);
intake_policy request_intake_policy(const request *req);
json_t *json_time(int64_t t);
json_t *json_booking(const booking_record *b);
json_t *json_call(const call_record *c);
json_t *json_decision(const decision_record *d);
json_t *json_consent_record(const intake_catalog *cat, const consent_record *c);
json_t *intake_status_json(request *req, int64_t patient_id, bool staff_view);

#endif
