#!/bin/sh
# Benchmark (not a ctest): certlink's SCEP enrollment beside micromdm's scepclient, both against the same
# micromdm scepserver on loopback. Prints medians of wall time and peak RSS over RUNS runs of each.
#
#   tests/bench/scep-vs-scepclient.sh [RUNS]        (default 11)
#
# certlink's side is tests/interop/scep-enroll, the command-line driver of core/scep.h (the certlink CLI
# has no SCEP-only command), from an optimised build without sanitizers: build-bench/, configured and built
# here unless SCEP_ENROLL names a binary. Scenarios:
#   (a) both load the same pre-generated RSA 2048 key (PKCS#8 for certlink, PKCS#1 for scepclient, which
#       reads nothing else), so only the protocol is measured;
#   (b) each generates its key: RSA 2048, and EC P-256 (scepclient makes RSA keys only);
#   (0) for scale, starting the process and exiting at once (scep-enroll without arguments, scepclient
#       -version): what loading the program and its libraries costs before any SCEP work.
# Runs alternate between the two clients. Wall time is measured around each process (nanosecond clock),
# peak RSS by GNU time (%M). A run counts as ok when the client exits 0 and wrote a certificate.
set -eu

RUNS=${1:-11}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tests/lib/scepserver.sh"

for p in scepserver scepclient openssl /usr/bin/time; do
	command -v "$p" >/dev/null || { echo "missing $p (Debian packages scep, openssl, time)" >&2; exit 1; }
done
ENROLL=${SCEP_ENROLL:-}
if [ -z "$ENROLL" ]; then
	cmake -S "$ROOT" -B "$ROOT/build-bench" -DCMAKE_BUILD_TYPE=Release -DCERTLINK_GTK=OFF \
		-DCERTLINK_SANITIZE=OFF >/dev/null
	cmake --build "$ROOT/build-bench" -j2 --target scep-enroll >/dev/null
	ENROLL=$ROOT/build-bench/tests/interop/scep-enroll
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/certlink-scep-bench.XXXXXX")
trap 'scepserver_stop; rm -rf "$WORK"' EXIT INT TERM
cd "$WORK"
CHALLENGE="bench-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
(umask 077 && printf '%s\n' "$CHALLENGE" >challenge)
scepserver_start scepserver openssl "$WORK" "$CHALLENGE" || { echo "scepserver did not start" >&2; exit 1; }
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out shared.p8 2>/dev/null
openssl pkey -in shared.p8 -traditional -out shared.p1
chmod 600 shared.p8 shared.p1

# run FILE CERT COMMAND...: appends "microseconds kilobytes ok" to FILE. CERT "-": ok when the exit
# status is that of a usage error or a version print (the start-up rows).
run() {
	file=$1 cert=$2
	shift 2
	[ "$cert" = - ] || rm -f "$cert"
	t0=$(date +%s%N)
	if [ "$cert" = - ]; then
		/usr/bin/time -f '%M' -o rss.txt "$@" >out.txt 2>&1
		rc=$?
		if [ "$rc" = 0 ] || [ "$rc" = 100 ]; then ok=1; else ok=0; fi
	elif /usr/bin/time -f '%M' -o rss.txt "$@" >out.txt 2>&1 && [ -s "$cert" ]; then
		ok=1
	else
		ok=0
	fi
	t1=$(date +%s%N)
	echo "$(( (t1 - t0) / 1000 )) $(tail -1 rss.txt) $ok" >>"$file"
	[ "$ok" = 1 ] || cp out.txt "$file.last-failure"
}

# The two clients' command lines (GNU time runs programs, not shell functions). scepclient takes the
# challenge on its command line; certlink reads it from a file.
C="$ENROLL --url $SCEP_URL --ca-sha256 $SCEP_FP --challenge-file challenge"
S="scepclient -server-url $SCEP_URL -ca-fingerprint $SCEP_FP -challenge $CHALLENGE -keySize 2048"

: >a-certlink; : >a-scepclient; : >b-certlink-rsa; : >b-scepclient-rsa; : >b-certlink-ec
: >z-certlink; : >z-scepclient
i=0
while [ "$i" -lt "$RUNS" ]; do
	i=$((i + 1))
	set +e
	run z-certlink - "$ENROLL"
	run z-scepclient - scepclient -version
	set -e
	# shellcheck disable=SC2086 # word splitting of $C and $S is intended
	run a-certlink c.pem $C --key shared.p8 --out c.pem --cn "bench-a-c$i"
	# shellcheck disable=SC2086
	run a-scepclient s.pem $S -private-key shared.p1 -certificate s.pem -cn "bench-a-s$i"
	# shellcheck disable=SC2086
	run b-certlink-rsa c.pem $C --key "new-c$i.key" --key-type rsa:2048 --out c.pem --cn "bench-b-c$i"
	# shellcheck disable=SC2086
	run b-scepclient-rsa s.pem $S -private-key "new-s$i.key" -certificate s.pem -cn "bench-b-s$i"
	# shellcheck disable=SC2086
	run b-certlink-ec c.pem $C --key "new-e$i.key" --key-type ec:P-256 --out c.pem --cn "bench-e-c$i"
done

median() { # median COLUMN FILE
	awk -v c="$1" '{ print $c }' "$2" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

row() { # row SCENARIO CLIENT FILE
	ms=$(awk -v us="$(median 1 "$3")" 'BEGIN { printf "%.1f", us / 1000 }')
	mb=$(awk -v kb="$(median 2 "$3")" 'BEGIN { printf "%.1f", kb / 1024 }')
	ok=$(awk '{ s += $3 } END { print s }' "$3")
	printf '%-34s %-11s %10s %14s %8s\n' "$1" "$2" "$ms" "$mb" "$ok/$RUNS"
}

echo "SCEP enrollment against micromdm scepserver $(scepserver -version 2>&1) on loopback, $RUNS runs each, medians"
echo "OpenSSL $(openssl version | cut -d' ' -f2), $(nproc) CPU(s), $(uname -r)"
printf '%-34s %-11s %10s %14s %8s\n' "scenario" "client" "wall ms" "peak RSS MiB" "ok"
row "(0) start and exit, no SCEP" certlink z-certlink
row "" scepclient z-scepclient
row "(a) same RSA 2048 key, protocol" certlink a-certlink
row "" scepclient a-scepclient
row "(b) key generation, RSA 2048" certlink b-certlink-rsa
row "" scepclient b-scepclient-rsa
row "(b) key generation, EC P-256" certlink b-certlink-ec
printf '%-34s %-11s %10s %14s %8s\n' "" scepclient "-" "-" "n/a"
awk -v a="$(median 1 a-certlink)" -v b="$(median 1 a-scepclient)" \
	'BEGIN { printf "(a) certlink / scepclient wall time: %.2f (target <= 0.50)\n", a / b }'
awk -v kb="$(median 2 a-certlink)" 'BEGIN { printf "(a) certlink peak RSS: %.1f MiB (target <= 8)\n", kb / 1024 }'
for f in z-certlink z-scepclient a-certlink a-scepclient b-certlink-rsa b-scepclient-rsa b-certlink-ec; do
	if [ -e "$f.last-failure" ]; then
		echo "last failure of $f: $(grep -v '^ts=' "$f.last-failure" | tail -1)"
	fi
done
