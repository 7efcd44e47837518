# shellcheck shell=bash
# tests/integration/own_db.sh: a database of a test's own in COUPOND_DB's cluster, for a test
# that needs its own settings or must not meet other tests' campaigns (a live bounce-back
# campaign sends every redemption to redeem()). Source it; needs b (the build directory),
# s (the source directory) and COUPOND_DB (keyword form) set. A later dbname wins in a
# conninfo, so the database's conninfo is COUPOND_DB with its own dbname appended.
own_db_cluster=${COUPOND_DB:?}

# own_db_create NAME [SETTING VALUE]...: creates the database NAME (dropping a leftover of that
# name), sets each SETTING to VALUE for it (ALTER DATABASE ... SET), migrates it with coupond
# and prints its conninfo. Returns non-zero when a step fails.
own_db_create() {
  local name=$1
  shift
  own_db_drop "$name"
  psql "$own_db_cluster" -qAtc "CREATE DATABASE $name" >/dev/null || return 1
  while [ $# -ge 2 ]; do
    psql "$own_db_cluster" -qAtc "ALTER DATABASE $name SET $1 = '$2'" >/dev/null || return 1
    shift 2
  done
  local conninfo="$own_db_cluster dbname=$name"
  "${b:?}/coupond" migrate --db "$conninfo" --sql "${s:?}/sql" >/dev/null 2>&1 || return 1
  printf '%s\n' "$conninfo"
}

# own_db_drop NAME: drops the database NAME, whoever is still connected to it; never fails.
own_db_drop() {
  psql "$own_db_cluster" -qAtc "DROP DATABASE IF EXISTS $1 WITH (FORCE)" >/dev/null 2>&1 || true
}
