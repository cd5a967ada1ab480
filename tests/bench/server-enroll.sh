#!/bin/sh
# Benchmark: N enrollments (default 1000) start at once against certlink-server, all through one shared account
# with automatic approval: apply, activate, GetCACaps, GetCACert, PKCSReq over HTTPS. Prints enrollments/second
# and the slowest enrollment, then checks the server's database: N applications, N certificates, none twice.
#   tests/bench/server-enroll.sh [N] [server threads]
# Builds an optimised, unsanitised tree in build-bench/ (CERTLINK_BENCH_BUILD overrides).
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
n=${1:-1000}
threads=${2:-8}
build=${CERTLINK_BENCH_BUILD:-"$top/build-bench"}
cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=Release -DCERTLINK_GTK=OFF >/dev/null
cmake --build "$build" -j2 --target certlink-server certlink-server-load >/dev/null

work=$(mktemp -d)
pid=""
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT INT TERM
srv="$build/server/certlink-server"
"$srv" init --state-dir "$work/state" --token-file "$work/token" >/dev/null
printf 'shared account pw\n' >"$work/pw"
"$srv" user-add shared --password-file "$work/pw" --state-dir "$work/state" >/dev/null
"$srv" config-set auto_approve true --state-dir "$work/state"
"$srv" serve --state-dir "$work/state" --port 0 --port-file "$work/port" --threads "$threads" \
	>"$work/server.out" 2>"$work/server.log" &
pid=$!
while [ ! -s "$work/port" ]; do sleep 0.1; done
port=$(cat "$work/port")
echo "certlink-server on port $port, $threads threads; $n enrollments through one account"
status=0
"$build/tests/bench/certlink-server-load" "https://localhost:$port" "$work/state/ca.pem" shared "$work/pw" "$n" ||
	status=$?
python3 - "$work/state/certlink-server.db" "$n" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
n = int(sys.argv[2])
apps = db.execute("SELECT COUNT(*) FROM applications").fetchone()[0]
certs = db.execute("SELECT COUNT(*) FROM certificates").fetchone()[0]
per_app = db.execute("SELECT COUNT(*) FROM (SELECT app_id FROM certificates GROUP BY app_id HAVING COUNT(*) > 1)").fetchone()[0]
print("server database: %d applications, %d certificates, %d applications with more than one" % (apps, certs, per_app))
sys.exit(0 if apps == n and certs == n and per_app == 0 else 1)
PY
exit $status
