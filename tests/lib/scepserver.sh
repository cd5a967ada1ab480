# certlink tests: start micromdm's scepserver on a fresh depot and a random port. Sourced by
# tests/interop/scep-micromdm.sh and tests/bench/scep-vs-scepclient.sh.
#
#   scepserver_start SCEPSERVER OPENSSL DIR CHALLENGE
#
# Makes DIR/depot (CA, RSA 2048), starts the server with the static CHALLENGE and renewal always allowed, and
# sets SCEP_URL, SCEP_FP (SHA-256 of the CA, hex), SCEP_PID; the log is DIR/server.log. scepserver exits at
# once when the port is taken (it binds all addresses), so another port is tried. Stop it with
# scepserver_stop, which kills exactly that PID.

scepserver_start() {
	_ss_bin=$1 _ss_openssl=$2 _ss_dir=$3 _ss_challenge=$4
	"$_ss_bin" ca -init -depot "$_ss_dir/depot" -keySize 2048 >/dev/null
	SCEP_FP=$("$_ss_openssl" x509 -in "$_ss_dir/depot/ca.pem" -outform der | sha256sum | cut -c1-64)
	for _ in 1 2 3 4 5 6 7 8; do
		_ss_port=$(( 20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 40000 ))
		"$_ss_bin" -depot "$_ss_dir/depot" -port "$_ss_port" -challenge "$_ss_challenge" -allowrenew 0 -debug \
			>"$_ss_dir/server.log" 2>&1 &
		SCEP_PID=$!
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			sleep 0.1
			kill -0 "$SCEP_PID" 2>/dev/null || break
			if grep -q 'msg=listening' "$_ss_dir/server.log"; then
				sleep 0.2
				if kill -0 "$SCEP_PID" 2>/dev/null; then
					SCEP_URL="http://127.0.0.1:$_ss_port/scep"
					return 0
				fi
				break
			fi
		done
		wait "$SCEP_PID" 2>/dev/null || true
		SCEP_PID=
	done
	return 1
}

scepserver_stop() {
	if [ -n "${SCEP_PID:-}" ]; then
		kill "$SCEP_PID" 2>/dev/null || true
		wait "$SCEP_PID" 2>/dev/null || true
		SCEP_PID=
	fi
}
