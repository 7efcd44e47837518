#!/usr/bin/env bash
# Shared by scripts/run and scripts/test: Debian packages, the build, the dev PKI,
# signing keys, and the embedded PostgreSQL cluster under var/.
# Sourced, not run. Every function prints what it does on stderr and dies on failure.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PACKAGES=(build-essential cmake pkg-config openssl curl ca-certificates
  libmicrohttpd-dev libgnutls28-dev libpq-dev postgresql postgresql-contrib
  libjansson-dev libqrencode-dev libpng-dev libcurl4-openssl-dev libssl-dev libsodium-dev
  libcmocka-dev zbar-tools clang libclang-rt-14-dev tmux python3 python3-yaml procps util-linux
  debhelper dpkg-dev lintian scdoc systemd adduser man-db
  python3-statsmodels chromium libnss3-tools nodejs strace faketime
  clang-format universal-ctags shellcheck python3-jsonschema
  prometheus gettext locales)
PG_USER=coupond

say() { printf '%s\n' "== $*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else die "need root or sudo for: $*"; fi
}

# Install the Debian packages that are missing (apt-get needs root or sudo).
ensure_packages() {
  local missing=() p
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "installing packages: ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# ensure_node_modules DIR: the npm packages DIR/package-lock.json pins, in DIR/node_modules
# (npm ci, from the npm registry), unless they are there already for this lock file.
ensure_node_modules() {
  local dir=$1
  if cmp -s "$dir/package-lock.json" "$dir/node_modules/.coupond-lock" 2>/dev/null; then return 0; fi
  command -v npm >/dev/null 2>&1 || die "npm is needed for the browser tests (it comes with Node.js 20)"
  say "installing npm packages in ${dir#"$ROOT"/}"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >&2) || die "npm ci failed in $dir"
  cp "$dir/package-lock.json" "$dir/node_modules/.coupond-lock"
}

# The German locale pos-client's tests run the till in (a fresh Debian 12 has only C and
# C.UTF-8 generated; the locales package brings the sources). Generated once, system-wide.
ensure_locales() {
  locale -a 2>/dev/null | grep -qix 'de_DE.utf8' && return 0
  say "generating the locale de_DE.UTF-8"
  as_root localedef -i de_DE -c -f UTF-8 -A /usr/share/locale/locale.alias de_DE.UTF-8 ||
    die "localedef could not generate de_DE.UTF-8"
}

# build DIR [cmake args...]: configure once, then build everything.
build() {
  local dir=$1; shift
  if [ ! -f "$dir/CMakeCache.txt" ]; then
    cmake -S "$ROOT" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
  fi
  say "building $dir"
  cmake --build "$dir" -j"$(nproc)" >"$dir.log" 2>&1 || { tail -50 "$dir.log" >&2; die "build failed in $dir (full log: $dir.log)"; }
}

# The dev PKI in certs/dev (made once; missing files are re-issued).
ensure_dev_pki() {
  "$ROOT/certs/coupond-pki" dev "$ROOT/certs/dev" >&2
}

# Signing and MAC keys for the dev service in var/keys (made once).
ensure_keys() {
  local coupond=$1
  if ! ls "$ROOT/var/keys"/sign-*.key >/dev/null 2>&1; then
    say "generating signing and MAC keys in var/keys"
    mkdir -p "$ROOT/var"
    "$coupond" keygen --keys "$ROOT/var/keys" >&2
  fi
}

pg_bindir() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -x "$d/initdb" ] || die "PostgreSQL server binaries not found under /usr/lib/postgresql"
  echo "$d"
}

# Run a command as the unprivileged cluster owner (PostgreSQL refuses root).
pg_as() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u "$PG_USER" -- "$@"; else "$@"; fi
}

# pg_access DATA: who may connect to the cluster in DATA, written on every start (so a
# cluster made by an older pg_start, with trust for every local account, is closed too):
# unix socket only, peer authentication (the kernel names the connecting account) through
# the map "coupond": the cluster owner as itself and, when we run as root (directly or by
# sudo), root as the owner, since scripts/run and scripts/test start coupond as root.
# Every other local account is refused.
pg_access() {
  local data=$1
  pg_as tee "$data/pg_hba.conf" >/dev/null <<HBA
# Written by scripts/lib.sh pg_start on every start; edits are lost. No TCP (listen_addresses
# is empty); on the unix socket only the accounts of pg_ident.conf's map "coupond".
local all all peer map=coupond
HBA
  {
    echo "# Written by scripts/lib.sh pg_start: OS account -> database role."
    echo "coupond $PG_USER $PG_USER"
    if [ "$(id -u)" -eq 0 ] && [ "$PG_USER" != root ]; then echo "coupond root $PG_USER"; fi
  } | pg_as tee "$data/pg_ident.conf" >/dev/null
}

# pg_start NAME: start (creating if needed) the private cluster var/NAME and set
# COUPOND_DB and PG_DATA/PG_SOCK. Unix socket only; no TCP port is opened. Only the
# cluster owner and the invoking user (root when run as root or by sudo) can connect
# (pg_access); the socket and its directory are the owner's alone (mode 0700).
pg_start() {
  local name=$1 bindir data sock
  bindir=$(pg_bindir)
  mkdir -p "$ROOT/var"
  if [ "$(id -u)" -eq 0 ]; then
    id -u "$PG_USER" >/dev/null 2>&1 ||
      useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$PG_USER"
  else
    PG_USER=$(id -un)
  fi
  data="$ROOT/var/$name"
  # The cluster owner must reach the data directory; where the checkout lives in a
  # directory it cannot enter (e.g. /root), the cluster goes to /var/tmp behind a link.
  if ! pg_as test -x "$ROOT/var"; then
    local alt
    alt="/var/tmp/coupond-$(printf '%s' "$ROOT" | sha256sum | cut -c1-12)-$name"
    mkdir -p "$alt"; chown "$PG_USER" "$alt"; chmod 700 "$alt"
    [ -L "$data" ] || { rm -rf "$data"; ln -s "$alt" "$data"; }
  fi
  sock="$data.sock"
  if [ ${#sock} -gt 90 ]; then sock="/tmp/coupond-$(printf '%s' "$data" | sha256sum | cut -c1-12).sock"; fi
  mkdir -p "$data" "$sock"
  if [ "$(id -u)" -eq 0 ]; then chown "$PG_USER" "$data" "$sock"; fi
  chmod 700 "$data" "$sock"
  if [ ! -f "$data/PG_VERSION" ]; then
    say "creating PostgreSQL cluster in var/$name"
    pg_as "$bindir/initdb" -D "$data" -U "$PG_USER" --auth=peer -E UTF8 --locale=C.UTF-8 >/dev/null
    cat >>"$data/postgresql.conf" <<CONF
listen_addresses = ''
max_connections = 200
shared_buffers = 512MB
work_mem = 16MB
maintenance_work_mem = 256MB
wal_buffers = 16MB
max_wal_size = 4GB
checkpoint_timeout = 15min
log_min_messages = warning
log_min_error_statement = panic
CONF
  fi
  # A cluster left running by a killed run is ours: stop it first.
  if pg_as "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    pg_as "$bindir/pg_ctl" -D "$data" -m fast stop >/dev/null || true
  fi
  pg_access "$data"
  say "starting PostgreSQL (var/$name, socket $sock)"
  pg_as "$bindir/pg_ctl" -D "$data" -l "$data/server.log" -w -t 60 \
    -o "-k '$sock' -c unix_socket_permissions=0700" start >/dev/null ||
    { tail -20 "$data/server.log" >&2; die "PostgreSQL did not start"; }
  pg_as "$bindir/psql" -h "$sock" -d postgres -Atqc "SELECT 1 FROM pg_database WHERE datname='coupond'" | grep -q 1 ||
    pg_as "$bindir/createdb" -h "$sock" coupond
  PG_DATA=$data PG_SOCK=$sock PG_BINDIR=$bindir
  export COUPOND_DB="host=$sock dbname=coupond user=$PG_USER"
  export PG_DATA PG_SOCK PG_BINDIR
}

# Stop the cluster pg_start started (no-op when none).
pg_stop() {
  [ -n "${PG_DATA:-}" ] || return 0
  say "stopping PostgreSQL"
  pg_as "$PG_BINDIR/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null 2>&1 || true
  PG_DATA=
}
