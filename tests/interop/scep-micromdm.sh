#!/bin/sh
# Interop: certlink's SCEP client (core/scep.c, through tests/interop/scep-enroll) enrolls and renews against
# micromdm's scepserver (Debian package "scep"), and `openssl verify` accepts every certificate it gets.
#
#   scep-micromdm.sh SCEP_ENROLL SCEPSERVER OPENSSL
#
# A fresh CA depot in a scratch directory, a static challenge, a random port; the server is stopped by PID.
set -eu

ENROLL=$(realpath "$1")
SCEPSERVER=$2
OPENSSL=$3

. "$(dirname "$0")/../lib/scepserver.sh"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/certlink-scep-micromdm.XXXXXX")
cleanup() {
	scepserver_stop
	rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

fail() {
	echo "FAIL: $*" >&2
	echo "--- scepserver log (tail) ---" >&2
	tail -20 "$WORK/server.log" >&2 || true
	exit 1
}
step() { echo "== $*"; }

cd "$WORK"
CHALLENGE="interop-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
(umask 077 && printf '%s\n' "$CHALLENGE" >challenge && printf 'not-the-challenge\n' >wrong-challenge)
scepserver_start "$SCEPSERVER" "$OPENSSL" "$WORK" "$CHALLENGE" || fail "scepserver did not start"
URL=$SCEP_URL
FP=$SCEP_FP
echo "scepserver pid $SCEP_PID at $URL, CA $FP"

enroll() { # enroll OUT KEY [more scep-enroll options]; the server's CA is pinned by fingerprint
	out=$1 key=$2
	shift 2
	"$ENROLL" --url "$URL" --ca-sha256 "$FP" --challenge-file challenge --key "$key" --out "$out" --debug "$@"
}

same_key() { # same_key CERT KEY: the certificate carries exactly this public key
	[ "$("$OPENSSL" x509 -in "$1" -noout -pubkey)" = "$("$OPENSSL" pkey -in "$2" -pubout)" ]
}

verify() {
	"$OPENSSL" verify -CAfile depot/ca.pem "$1" || fail "openssl verify refused $1"
}

step "PKCSReq: new RSA 2048 key, subject O=Example Corp, CN=alice, SAN dns"
enroll first.pem first.key --key-type rsa:2048 --cn alice --o "Example Corp" --dns alice-pc.example \
	|| fail "enrollment failed"
verify first.pem
same_key first.pem first.key || fail "first.pem does not carry first.key"
[ "$(stat -c %a first.key)" = 600 ] || fail "key file mode is $(stat -c %a first.key), not 600"
"$OPENSSL" x509 -in first.pem -noout -subject -nameopt RFC2253 | grep -qx 'subject=CN=alice,O=Example Corp' \
	|| fail "subject: $("$OPENSSL" x509 -in first.pem -noout -subject)"
"$OPENSSL" x509 -in first.pem -noout -ext subjectAltName | grep -q 'DNS:alice-pc.example' \
	|| fail "SAN missing"
grep -q 'scep_message_type="PKCSReq (19)"' server.log || fail "server did not see a PKCSReq"

step "RenewalReq: new key, signed with the current certificate and key"
enroll renewed.pem renewed.key --cn alice --o "Example Corp" --renew-cert first.pem --renew-key first.key \
	|| fail "renewal failed"
verify renewed.pem
same_key renewed.pem renewed.key || fail "renewed.pem does not carry renewed.key"
grep -q 'scep_message_type="RenewalReq (17)"' server.log || fail "server did not see a RenewalReq"
[ "$("$OPENSSL" x509 -in first.pem -noout -serial)" != "$("$OPENSSL" x509 -in renewed.pem -noout -serial)" ] \
	|| fail "renewal returned the old certificate"

step "RenewalReq keeping the key (random transactionID)"
enroll same.pem renewed.key --cn alice --o "Example Corp" --renew-cert renewed.pem --renew-key renewed.key \
	|| fail "same-key renewal failed"
verify same.pem
same_key same.pem renewed.key || fail "same.pem does not carry renewed.key"

step "EC P-256: the pkiMessage signed with an RSA transport key gets through; scepserver 2.1.0 refuses to sign"
# micromdm verifies the message (RSA signer) and decrypts it, then copies the request's ECDSA signature
# algorithm into the certificate it signs with its RSA CA, which Go refuses: FAILURE badRequest. Known
# limit of scepserver (tests/bench/README.md, docs/protocol.md section 7); certlink-server issues.
decrypted=$(grep -c 'msg="decrypt pkiEnvelope"' server.log || true)
set +e
enroll ec.pem ec.key --key-type ec:P-256 --cn alice 2>ec.err
rc=$?
set -e
[ "$rc" -eq 44 ] || fail "EC request: exit code $rc (scepserver signs EC requests now? update the docs)"
grep -q 'signing with a throw-away RSA transport key' ec.err || fail "no transport key: $(cat ec.err)"
grep -q 'SCEP PKCSReq: server answered FAILURE badRequest' ec.err || fail "message: $(cat ec.err)"
[ "$(grep -c 'msg="decrypt pkiEnvelope"' server.log)" -gt "$decrypted" ] \
	|| fail "scepserver did not verify and decrypt the transport-signed request"
grep -q 'requested SignatureAlgorithm does not match private key type' server.log \
	|| fail "scepserver refused the EC request for another reason"
[ ! -e ec.pem ] || fail "a certificate was written"

step "a wrong challenge is FAILURE badRequest, exit code 300 (truncated to 44 by the shell)"
set +e
"$ENROLL" --url "$URL" --ca-sha256 "$FP" --challenge-file wrong-challenge --key bad.key --out bad.pem \
	2>bad.err
rc=$?
set -e
[ "$rc" -eq 44 ] || fail "exit code $rc"
grep -q 'SCEP PKCSReq: server answered FAILURE badRequest' bad.err || fail "message: $(cat bad.err)"
[ ! -e bad.pem ] || fail "a certificate was written"

step "a CA fingerprint that does not match stops before the challenge is sent"
before=$(grep -c 'op=PKIOperation' server.log || true)
set +e
"$ENROLL" --url "$URL" --ca-sha256 "$(echo "$FP" | tr '0-9a-f' '1-9a-f0')" --challenge-file challenge \
	--key first.key --out nope.pem 2>nope.err
rc=$?
set -e
[ "$rc" -eq 44 ] || fail "exit code $rc"
grep -q 'fingerprint differs' nope.err || fail "message: $(cat nope.err)"
[ "$(grep -c 'op=PKIOperation' server.log || true)" = "$before" ] || fail "a PKIOperation was sent anyway"

echo "PASS: enrolled, renewed (new key and same key), EC refused by scepserver as documented, refused a wrong"
echo "      challenge and a wrong CA"
