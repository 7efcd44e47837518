#!/usr/bin/env bash
# console_in_a_real_browser: the marketer's console against the coupond the coupond_running
# fixture started (real mutual TLS, real PostgreSQL), in Debian's chromium driven over the
# DevTools protocol (tests/ui/console.test.mjs, playwright-core). Here: the .p12 the operator
# hands a marketer (coupond-pki export-p12) imported into a fresh NSS database, a browser
# without a certificate and one with a till's certificate, and an auto-select policy; then
# the HTTP details of /ui/ with curl (ETag and 304, the Content-Security-Policy, HTML refusal
# pages, nothing loaded from elsewhere). Screenshots go to $COUPOND_BUILD_DIR/ui-screenshots.
set -euo pipefail
b=${COUPOND_BUILD_DIR:?} s=${COUPOND_SOURCE_DIR:?}
listen=${COUPOND_TEST_LISTEN:-127.0.0.1:18743}
d="$s/certs/dev" url="https://$listen"
# shellcheck source=scripts/lib.sh
. "$s/scripts/lib.sh"
t=$(mktemp -d)
# shellcheck source=tests/ui/browser.sh
. "$s/tests/ui/browser.sh"
cleanup() {
  ui_policy_release
  rm -rf "$t"
}
trap cleanup EXIT

fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }
ok() { printf 'ok   %s\n' "$*"; }
# page_is STATUS REGEX WHAT: the last answer ($code, body in $t/page) was STATUS and matches.
page_is() {
  [ "$code" = "$1" ] || fail "$3: status $code, not $1: $(head -c 300 "$t/page")"
  grep -Eq -- "$2" "$t/page" || fail "$3: the page does not match /$2/: $(head -c 300 "$t/page")"
}

for tool in chromium certutil pk12util node curl; do
  command -v "$tool" >/dev/null 2>&1 || fail "$tool is missing (scripts/lib.sh installs chromium, libnss3-tools and nodejs)"
done
ensure_node_modules "$s/tests/ui"

echo "== the operator's .p12 for the marketer (coupond-pki export-p12)"
pki="$s/certs/coupond-pki"
"$pki" export-p12 "$d" marketer --p12 "$t/marketer.p12" >"$t/export.out" || fail "export-p12 failed"
pw=$(sed -n 's/^password //p' "$t/export.out")
[ ${#pw} -eq 23 ] || fail "export-p12 printed no 20-character password: $(cat "$t/export.out")"
[ "$(stat -c %a "$t/marketer.p12")" = 600 ] || fail "the .p12 is not mode 0600"
openssl pkcs12 -in "$t/marketer.p12" -noout -passin pass:wrong-password 2>/dev/null &&
  fail "the .p12 opens with a wrong password"
openssl pkcs12 -in "$t/marketer.p12" -nokeys -passin "pass:$pw" 2>/dev/null | grep -q 'OU = marketer' ||
  fail "the .p12 does not hold the marketer's certificate"
ok "export-p12 writes a password-protected .p12 (mode 0600) and prints its password once"
"$pki" export-p12 "$d" marketer --p12 "$t/marketer.p12" 2>"$t/err" && fail "export-p12 overwrote a file"
grep -q 'exists' "$t/err" || fail "no sentence for an existing file: $(cat "$t/err")"
"$pki" export-p12 "$d" terminal-1 --p12 "$t/till.p12" 2>"$t/err" && fail "export-p12 exported a till's certificate"
grep -q 'marketer and admin certificates only' "$t/err" || fail "no sentence for a till: $(cat "$t/err")"
[ ! -e "$t/till.p12" ] || fail "a refused export left a file"
printf 'short\n' >"$t/pwfile"
"$pki" export-p12 "$d" admin --p12 "$t/admin.p12" --password-file "$t/pwfile" 2>/dev/null &&
  fail "export-p12 took a 5-character password"
ok "export-p12 refuses an existing file, a till's certificate and a short password"

ui_nssdb "$t/marketer" "$d/ca.pem" "$t/marketer.p12" "$pw"
openssl pkcs12 -export -in "$d/terminal-1.pem" -inkey "$d/terminal-1.key" -out "$t/till.p12" \
  -passout pass:till-password -name till
ui_nssdb "$t/till" "$d/ca.pem" "$t/till.p12" till-password
ui_nssdb "$t/nocert" "$d/ca.pem"
ok "NSS databases: marketer (from the exported .p12), a till, none"

ui_policy_hold "$d/ca.pem"

echo "== /ui/ over HTTP: ETag and 304, the Content-Security-Policy, refusals as HTML"
m=(--cacert "$d/ca.pem" --cert "$d/marketer.pem" --key "$d/marketer.key")
curl -sS -D "$t/h" -o "$t/index.html" "${m[@]}" "$url/ui/"
grep -qi '^content-type: text/html' "$t/h" || fail "/ui/ is not HTML"
csp=$(grep -i '^content-security-policy:' "$t/h" | tr -d '\r')
for part in "default-src 'none'" "script-src 'self'" "style-src 'self'" "connect-src 'self'" "frame-ancestors 'none'"; do
  grep -qF "$part" <<<"$csp" || fail "the CSP lacks $part: $csp"
done
grep -qi "unsafe-inline\|unsafe-eval" <<<"$csp" && fail "the console's CSP allows inline code: $csp"
grep -qi '<script>\|<style>\| on[a-z]*=' "$t/index.html" && fail "index.html has inline script or style"
curl -sS -D "$t/h" -o /dev/null "${m[@]}" "$url/ui/app.js"
etag=$(grep -i '^etag:' "$t/h" | cut -d' ' -f2 | tr -d '\r')
[ -n "$etag" ] || fail "app.js has no ETag"
grep -qi '^cache-control: no-cache' "$t/h" || fail "app.js is not revalidated (Cache-Control)"
grep -qi '^content-type: text/javascript' "$t/h" || fail "app.js is not served as JavaScript"
code=$(curl -sS -o /dev/null -w '%{http_code}' "${m[@]}" -H "If-None-Match: $etag" "$url/ui/app.js")
[ "$code" = 304 ] || fail "If-None-Match with the ETag answered $code, not 304"
code=$(curl -sS -o /dev/null -w '%{http_code}' "${m[@]}" -H 'If-None-Match: "0000"' "$url/ui/app.js")
[ "$code" = 200 ] || fail "If-None-Match with another ETag answered $code, not 200"
ok "assets carry an ETag; a matching If-None-Match gets 304; CSP without inline code"
code=$(curl -sS -o "$t/page" -w '%{http_code}' --cacert "$d/ca.pem" -H 'Accept-Language: de-DE,de;q=0.9' "$url/ui/")
page_is 401 'Zertifikat erforderlich' "no certificate"
code=$(curl -sS -o "$t/page" -w '%{http_code}' --cacert "$d/ca.pem" --cert "$d/terminal-1.pem" \
  --key "$d/terminal-1.key" "$url/ui/")
page_is 403 'Presented: terminal' "a till's certificate"
code=$(curl -sS -o "$t/page" -w '%{http_code}' "${m[@]}" "$url/ui/no-such-file.js")
page_is 404 '<html' "an unknown asset"
code=$(curl -sS -o "$t/page" -w '%{http_code}' "${m[@]}" --path-as-is "$url/ui/%2e%2e%2fapp.js")
[ "$code" = 404 ] || fail "an encoded path escaped the asset table: $code"
code=$(curl -sS -o "$t/page" -w '%{http_code}' "${m[@]}" "$url/ui")
page_is 200 '<script type="module" src="/ui/app.js">' "/ui"
cmp -s "$t/page" "$t/index.html" || fail "/ui is not the page /ui/ is"
code=$(curl -sS -o "$t/page" -w '%{http_code}' "${m[@]}" -X POST -d x "$url/ui/")
page_is 405 '<html' "POST /ui/"
code=$(curl -sS -o "$t/page" -w '%{http_code}' --cacert "$d/ca.pem" "$url/v1/campaigns")
page_is 401 '"error":"unauthorized"' "the API's refusal (JSON)"
ok "refusals on /ui/ are HTML pages (401 in German by Accept-Language, 403 naming the till, 404, 405); the API's stay JSON"
# Nothing the console ships names another origin (the SVG namespace is a name, not a load).
if grep -n 'https\?://' "$s"/ui/* | grep -v 'http://www.w3.org/2000/svg'; then
  fail "the console's files name another origin"
fi
ok "the console's files load nothing from elsewhere"
node --input-type=module -e "
  import { STRINGS } from 'file://$s/ui/strings.js';
  const de = Object.keys(STRINGS.de), en = Object.keys(STRINGS.en);
  const gap = [...de.filter((k) => !en.includes(k)).map((k) => 'en lacks ' + k),
               ...en.filter((k) => !de.includes(k)).map((k) => 'de lacks ' + k)];
  const fs = await import('node:fs');
  for (const f of fs.readdirSync('$s/ui').filter((n) => n.endsWith('.js'))) {
    for (const m of fs.readFileSync('$s/ui/' + f, 'utf8').matchAll(/\\bt\\('([a-z_.]+)'[,)]/g)) {
      if (!de.includes(m[1])) gap.push(f + ' uses the missing text ' + m[1]);
    }
  }
  if (gap.length) { console.error(gap.join('\\n')); process.exit(1); }
  console.log('ok   every text of the console exists in German and in English (' + de.length + '), and every one the code names');
" || fail "a text of the console is missing in one language"

echo "== in the browser"
mkdir -p "$b/ui-screenshots"
UI_URL="$url" UI_CA="$d/ca.pem" UI_CERTS="$d" UI_HOME_MARKETER="$t/marketer" UI_HOME_TILL="$t/till" \
  UI_HOME_NONE="$t/nocert" UI_SHOTS="$b/ui-screenshots" \
  node "$s/tests/ui/console.test.mjs"
