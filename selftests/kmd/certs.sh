#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# certs.sh DIR [NAME...]: a throw-away PKI for the key manager tests, made
# fresh at test time (private keys are never committed):
#
#   ca.pem                the test CA
#   NAME.pem NAME.key     for NAME in kme-a kme-b (KME servers, SAN
#                         127.0.0.1), sae-a sae-b sae-x (SAE clients),
#                         node-a node-b (KM nodes: Kx server and client),
#                         app-a app-b (applications of the Ak API), and
#                         each extra NAME (selftests/kmd/relay.sh)
#   rogue-ca.pem, rogue.pem rogue.key   a certificate from another CA
set -euo pipefail

dir=$1
mkdir -p "$dir"
cd "$dir"
umask 077

ecparam() { openssl ecparam -name prime256v1 -genkey -noout -out "$1" 2>/dev/null; }

mkca()
{
	ecparam "$1.key"
	openssl req -x509 -new -key "$1.key" -subj "/CN=$2" -days 2 \
		-out "$1.pem" 2>/dev/null
}

# mkcert CA NAME: a leaf certificate with CN=NAME, usable by a TLS server
# and a client, with a SAN for the loopback and the test link addresses.
mkcert()
{
	ecparam "$2.key"
	openssl req -new -key "$2.key" -subj "/CN=$2" -out "$2.csr" 2>/dev/null
	printf '%s\n' "subjectAltName=IP:127.0.0.1,IP:10.0.0.1,IP:10.0.0.2,DNS:$2" \
		"extendedKeyUsage=serverAuth,clientAuth" >"$2.ext"
	openssl x509 -req -in "$2.csr" -CA "$1.pem" -CAkey "$1.key" \
		-CAcreateserial -days 2 -extfile "$2.ext" -out "$2.pem" \
		2>/dev/null
	rm -f "$2.csr" "$2.ext"
}

mkca ca "qkdpool test CA"
for n in kme-a kme-b sae-a sae-b sae-x node-a node-b app-a app-b "${@:2}"; do
	mkcert ca "$n"
done
mkca rogue-ca "rogue CA"
mkcert rogue-ca rogue
# A seed shared by the two simulated KMEs of the test link.
head -c 32 /dev/urandom >seed
