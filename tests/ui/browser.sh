#!/usr/bin/env bash
# Sourced by the console's browser tests and benchmark: a browser home whose NSS database
# holds a client certificate, and the Chromium policy that picks it without asking.
# Needs as_root (scripts/lib.sh).

UI_POLICY_DIR=/etc/chromium/policies/managed
UI_POLICY="$UI_POLICY_DIR/coupond-tests.json"
UI_POLICY_LOCK=/run/lock/coupond-ui-tests.lock

# ui_nssdb HOME CA [P12 PASSWORD]: HOME/.pki/nssdb (Chromium's) trusting CA, holding P12.
ui_nssdb() {
  local home=$1 ca=$2
  mkdir -p "$home/.pki/nssdb"
  certutil -N -d "sql:$home/.pki/nssdb" --empty-password
  certutil -A -n coupond-ca -t "CT,," -i "$ca" -d "sql:$home/.pki/nssdb"
  if [ $# -gt 2 ]; then pk12util -i "$3" -d "sql:$home/.pki/nssdb" -W "$4" >/dev/null; fi
}

# ui_policy_hold CA: Chromium picks a certificate issued by CA's subject CN on any loopback
# port without asking. Chromium merges policy files per policy with the last file winning,
# so every concurrent run (on its own port) writes one shared file of the same content and
# holds a shared lock on it; ui_policy_release removes it when no other run holds one.
ui_policy_hold() {
  local issuer tmp
  issuer=$(openssl x509 -in "$1" -noout -subject -nameopt sep_multiline | sed -n 's/^ *CN=//p')
  as_root mkdir -p "$UI_POLICY_DIR" /run/lock
  exec 8>>"$UI_POLICY_LOCK"
  flock -s 8
  tmp=$(mktemp)
  printf '{"AutoSelectCertificateForUrls":["{\\"pattern\\":\\"https://127.0.0.1:*\\",\\"filter\\":{\\"ISSUER\\":{\\"CN\\":\\"%s\\"}}}"]}\n' \
    "$issuer" >"$tmp"
  as_root install -m 0644 "$tmp" "$UI_POLICY.$$"
  as_root mv -f "$UI_POLICY.$$" "$UI_POLICY"
  rm -f "$tmp"
}

# ui_policy_release: drops this run's hold; the last run out removes the policy file.
ui_policy_release() {
  [ -e "$UI_POLICY" ] || return 0
  exec 8>&- 2>/dev/null || true
  exec 8>>"$UI_POLICY_LOCK" || return 0
  if flock -n -x 8; then as_root rm -f "$UI_POLICY"; fi
  exec 8>&-
}
