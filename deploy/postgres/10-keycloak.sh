#!/bin/sh
# First start of the PostgreSQL volume only (docker-entrypoint-initdb.d): Keycloak gets
# its own role and database beside NOMAD's, with the password given in KEYCLOAK_DB_PASSWORD.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    -v keycloak_password="$KEYCLOAK_DB_PASSWORD" <<'SQL'
CREATE ROLE keycloak LOGIN PASSWORD :'keycloak_password';
CREATE DATABASE keycloak OWNER keycloak;
SQL
