-- The server role's rights on exosafe's tables (README "Running on PostgreSQL"). Run as the
-- owner after `exosafe init` and after every upgrade that adds tables:
--   psql 'postgres://exosafe_owner@HOST/exosafe?sslmode=verify-full' -v app=exosafe_app -f scripts/pg-grants.sql
\set ON_ERROR_STOP on
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO :"app";
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO :"app";
-- The audit log is append-only for the server: its triggers refuse changes as well, but a
-- role without the right cannot even try, and cannot drop the triggers (not the owner).
REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM :"app";
-- The schema's own bookkeeping is the owner's.
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON schema_version FROM :"app";
