#!/bin/sh
# Debian's PostgreSQL 15 as a throw-away server when running as root: initdb/pg_ctl as the
# 'postgres' system user via runuser. Shows the version and that pgvector is absent.
set -e
D=$(mktemp -d /tmp/pgresearch/deb15-XXXX); chown postgres: $D
B=/usr/lib/postgresql/15/bin
t0=$(date +%s.%N)
runuser -u postgres -- $B/initdb -D $D/data -U postgres --auth=trust -E UTF8 >/dev/null
runuser -u postgres -- $B/pg_ctl -D $D/data -w -l $D/log -o "-h 127.0.0.1 -p 55432 -k $D -c fsync=off" start >/dev/null
t1=$(date +%s.%N)
echo "initdb+start: $(echo "$t1 - $t0" | bc) s"
psql "host=$D port=55432 user=postgres" -Atc "select version()" | cut -c1-40
psql "host=127.0.0.1 port=55432 user=postgres" -Atc "create extension pg_trgm; create extension unaccent; select 'trgm+unaccent ok'"
psql "host=$D port=55432 user=postgres" -Atc "create extension vector" 2>&1 | head -1 || true
runuser -u postgres -- $B/pg_ctl -D $D/data -w stop >/dev/null; rm -rf $D; echo stopped
