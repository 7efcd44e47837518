#!/usr/bin/env bash
# tls12_offers_only_ecdhe_key_exchange_even_with_an_rsa_key: coupond serving with an RSA
# server key is probed, testssl-style, with every TLS 1.2 cipher suite OpenSSL knows, one
# handshake each. A suite with RSA key transport (no forward secrecy) must fail; every suite
# that succeeds must use ECDHE; TLS 1.3 still works.
# shellcheck source=tests/integration/front_lib.sh
. "$(dirname "$0")/front_lib.sh"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/rsa.key" -out "$T/rsa.pem" -days 2 \
  -subj "/O=coupond/OU=server/CN=localhost" -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
  >/dev/null 2>&1
port=$(own_port 3)
start_coupond rsa "$port" --ca "$d/ca.pem" --crl "$d/crl.pem" --cert "$T/rsa.pem" --key "$T/rsa.key"

# handshake ARGS...: 0 when a TLS handshake with these s_client options completes.
handshake() {
  openssl s_client -connect "127.0.0.1:$port" -servername localhost "$@" </dev/null \
    >"$T/s_client.out" 2>&1 && grep -q 'Cipher is [A-Z0-9]' "$T/s_client.out"
}

check "tls13_handshake_works" handshake -tls1_3
check "tls12_ecdhe_rsa_handshake_works" handshake -tls1_2 -cipher 'ECDHE-RSA-AES128-GCM-SHA256'
if handshake -tls1_2 -cipher 'AES128-GCM-SHA256'; then
  bad "tls12_rsa_key_transport_is_refused (AES128-GCM-SHA256 was accepted)"
else
  ok "tls12_rsa_key_transport_is_refused"
fi

# Every TLS 1.2 suite: the accepted ones must all be ECDHE.
accepted=() wrong=()
while read -r name _ kx _; do
  if handshake -tls1_2 -cipher "$name:@SECLEVEL=0"; then
    accepted+=("$name")
    [ "$kx" = "Kx=ECDH" ] || wrong+=("$name($kx)")
  fi
done < <(openssl ciphers -v 'ALL:COMPLEMENTOFALL:@SECLEVEL=0' | awk '$2 == "TLSv1.2"')
echo "TLS 1.2 suites accepted: ${accepted[*]:-none}"
check "some_tls12_suite_is_accepted" [ "${#accepted[@]}" -gt 0 ]
if [ "${#wrong[@]}" -eq 0 ]; then
  ok "every_accepted_tls12_suite_uses_ecdhe"
else
  bad "every_accepted_tls12_suite_uses_ecdhe (also: ${wrong[*]})"
fi
finish
