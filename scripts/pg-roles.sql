-- A PostgreSQL database for exosafe with two roles (README "Running on PostgreSQL"):
--   owner  owns the schema; `exosafe init` / upgrades run as it; never used by the server
--   app    the server's role: reads and writes rows, cannot change the schema, cannot update
--          or delete audit rows, and cannot switch the append-only triggers off (only a
--          table's owner can)
-- Run once as a superuser (or a role with CREATEROLE and CREATEDB):
--   psql -v owner_password='…' -v app_password='…' -f scripts/pg-roles.sql
-- optionally with -v db=NAME -v owner=ROLE -v app=ROLE (default exosafe, exosafe_owner,
-- exosafe_app); then `exosafe init --db 'postgres://exosafe_owner@HOST/exosafe?sslmode=verify-full'`,
-- then scripts/pg-grants.sql, then serve as the app role.
\set ON_ERROR_STOP on
\if :{?db}
\else
\set db exosafe
\endif
\if :{?owner}
\else
\set owner exosafe_owner
\endif
\if :{?app}
\else
\set app exosafe_app
\endif
CREATE ROLE :"owner" LOGIN PASSWORD :'owner_password';
CREATE ROLE :"app" LOGIN PASSWORD :'app_password';
-- UTF-8 and the C collation: exosafe refuses anything else, so that ORDER BY and LIKE give
-- the same answers as on SQLite.
CREATE DATABASE :"db" OWNER :"owner" ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0;
\connect :db
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE :"db" TO :"owner";
GRANT CONNECT ON DATABASE :"db" TO :"app";
REVOKE ALL ON SCHEMA public FROM PUBLIC;
ALTER SCHEMA public OWNER TO :"owner";
GRANT USAGE ON SCHEMA public TO :"app";
