#!/usr/bin/env bash
# migrate_twice_changes_nothing: a second `coupond migrate` leaves the schema (pg_dump
# --schema-only) and the applied-migrations list exactly as they were.
set -euo pipefail
b=${COUPOND_BUILD_DIR:?} s=${COUPOND_SOURCE_DIR:?}
: "${COUPOND_DB:?}"
pgdump=$(ls /usr/lib/postgresql/*/bin/pg_dump | sort -V | tail -n 1)
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
"$b/coupond" migrate --db "$COUPOND_DB" --sql "$s/sql" 2>/dev/null
"$pgdump" --schema-only -d "$COUPOND_DB" | grep -Ev '^\\(un)?restrict ' >"$t/before.sql"
psql "$COUPOND_DB" -Atc "SELECT version FROM schema_migrations ORDER BY 1" >"$t/before.list"
"$b/coupond" migrate --db "$COUPOND_DB" --sql "$s/sql" 2>"$t/log"
grep -q '0 migration(s) applied' "$t/log" || { echo "second migrate applied something:"; cat "$t/log"; exit 1; }
"$pgdump" --schema-only -d "$COUPOND_DB" | grep -Ev '^\\(un)?restrict ' >"$t/after.sql"
psql "$COUPOND_DB" -Atc "SELECT version FROM schema_migrations ORDER BY 1" >"$t/after.list"
diff -u "$t/before.sql" "$t/after.sql"
diff -u "$t/before.list" "$t/after.list"
[ -s "$t/before.list" ] || { echo "no migrations recorded"; exit 1; }
echo "migrate twice: schema unchanged ($(wc -l <"$t/before.list") migrations)"
