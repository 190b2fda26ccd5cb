-- A PostgreSQL database for exosafe with two roles (README "Running on PostgreSQL"):
--   owner  owns the schema; `exosafe init` / upgrades run as it; never used by the server
--   app    the server's role: reads and writes rows, cannot change the schema, cannot update
--          or delete audit rows, and cannot switch the append-only triggers off (only a
--          table's owner can)
-- Run once as a superuser (or a role with CREATEROLE and CREATEDB):
--   psql -v owner_password='…' -v app_password='…' [-v db=NAME] -f scripts/pg-roles.sql
-- (the database is called exosafe unless -v db= names another)
-- then `exosafe init --db 'postgres://exosafe_owner@HOST/exosafe?sslmode=verify-full'`, then
-- scripts/pg-grants.sql, then serve as exosafe_app.
\set ON_ERROR_STOP on
\if :{?db}
\else
\set db exosafe
\endif
CREATE ROLE exosafe_owner LOGIN PASSWORD :'owner_password';
CREATE ROLE exosafe_app LOGIN PASSWORD :'app_password';
-- UTF-8 and the C collation: exosafe refuses anything else, so that ORDER BY and LIKE give
-- the same answers as on SQLite.
CREATE DATABASE :"db" OWNER exosafe_owner ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0;
\connect :db
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE :"db" TO exosafe_owner;
GRANT CONNECT ON DATABASE :"db" TO exosafe_app;
REVOKE ALL ON SCHEMA public FROM PUBLIC;
ALTER SCHEMA public OWNER TO exosafe_owner;
GRANT USAGE ON SCHEMA public TO exosafe_app;
