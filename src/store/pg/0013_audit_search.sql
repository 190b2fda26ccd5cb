-- PostgreSQL twin of src/store/sqlite/0013_audit_search.sql: the same tables, columns, constraints and
-- indexes in PostgreSQL's dialect. It must change with that file (meson test
-- pg_schema_parity compares the two schemas).
-- The audit page's filters: by person (actor), by what a row is about (object, which is how a
-- patient's rows are found: patient:N, order:N, booking:N, ...), by action, and by date.
-- Each ends in id so a filter and the newest-first keyset paging (id < after) share one index.
CREATE INDEX audit_log_actor ON audit_log(actor_id, id);
CREATE INDEX audit_log_object ON audit_log(object, id);
CREATE INDEX audit_log_action ON audit_log(action, id);
CREATE INDEX audit_log_at ON audit_log(at);
