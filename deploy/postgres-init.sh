#!/bin/sh
# First start of the PostgreSQL container: the application's login role is NOT a superuser
# (superusers bypass row-level security) and owns its database; the tenant role that
# row-level security binds is created here, so migrations need no CREATEROLE.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
     -v app_password="$PMO_DB_PASSWORD" <<'SQL'
CREATE ROLE pmo_tenant NOLOGIN;
CREATE ROLE pmo LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'app_password';
GRANT pmo_tenant TO pmo WITH ADMIN OPTION;
CREATE DATABASE pmo OWNER pmo;
SQL
