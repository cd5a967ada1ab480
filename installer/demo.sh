#!/bin/sh
# README's first quick-start command: install what certlink needs, build it, and run the one-touch demo.
#
# It starts the reference enrollment server with a fresh CA in a temporary directory, creates a user and a
# passwordless invitation, registers certlink-handler for certlink:// links in a sandboxed desktop profile,
# and opens the invitation link: in the progress window when a display exists (through xdg-open, as a click
# in a mail would), in the terminal otherwise. Then it says where the certificate is and how to open the
# manager. Nothing outside the temporary directory is touched: HOME and the XDG directories point into it.
#   installer/demo.sh [--no-gui] [--keep]
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
nogui=0
keep=0
for arg in "$@"; do
	case "$arg" in
	--no-gui) nogui=1 ;;
	--keep) keep=1 ;;
	*) echo "usage: installer/demo.sh [--no-gui] [--keep]" >&2; exit 100 ;;
	esac
done

"$top/installer/deps.sh"
build=${CERTLINK_BUILD_DIR:-"$top/build"}
cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j "$(nproc)"

server="$build/server/certlink-server"
cli="$build/cli/certlink"
handler="$build/handler/certlink-handler"
manager="$build/ui/certlink-manager"

demo=$(mktemp -d /tmp/certlink-demo.XXXXXX)
state="$demo/server"
export HOME="$demo/home"
export XDG_DATA_HOME="$HOME/.local/share" XDG_CONFIG_HOME="$HOME/.config"
export XDG_STATE_HOME="$HOME/.local/state" XDG_CACHE_HOME="$HOME/.cache"
mkdir -p "$HOME" "$XDG_DATA_HOME/applications" "$XDG_CONFIG_HOME" "$HOME/.pki/nssdb"
# the NSS database Chromium and Firefox-on-NSS use: certlink imports into it when it exists
certutil -N -d "sql:$HOME/.pki/nssdb" --empty-password

cleanup() {
	[ -f "$demo/server.pid" ] && kill "$(cat "$demo/server.pid")" 2>/dev/null || true
	if [ "$keep" = 0 ]; then rm -rf "$demo"; fi
}
trap cleanup EXIT INT TERM

echo "== starting the reference enrollment server (a new CA is created: a few seconds)"
"$server" serve --state-dir "$state" --port 0 --port-file "$demo/port" --pid-file "$demo/server.pid" \
	>"$demo/server.log" 2>&1 &
i=0
while [ ! -s "$demo/port" ]; do
	i=$((i + 1))
	if [ $i -gt 300 ]; then echo "the server did not start:" >&2; cat "$demo/server.log" >&2; exit 1; fi
	sleep 0.1
done
sed -n '1,3p' "$demo/server.log"

echo "== adding user demo and a passwordless invitation (automatic approval on)"
head -c 18 /dev/urandom | base64 | "$server" user-add demo --state-dir "$state" --password-stdin
"$server" config-set auto_approve true --state-dir "$state" >/dev/null
link=$("$server" invite --state-dir "$state" --user demo --store user --passwordless | grep '^certlink://')
echo "invitation link: $link"

if [ -x "$handler" ]; then
	echo "== registering certlink-handler for certlink:// in the demo's desktop profile"
	"$cli" register-scheme --handler "$handler"
	if [ "$nogui" = 0 ] && [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
		echo "== opening the link as a click would (xdg-open); the progress window shows each stage"
		echo "   (close the window when it says the certificate is installed)"
		xdg-open "$link"
		# xdg-open returns once the handler started; wait for the handler to finish
		while pgrep -u "$(id -u)" -f "certlink-handler certlink://" >/dev/null 2>&1; do sleep 0.5; done
	else
		echo "== no display: the same flow in the terminal"
		"$handler" --no-gui "$link"
	fi
else
	echo "== certlink-handler is not built here: the zero-touch command line runs the same flow"
	"$cli" enroll --link "$link"
fi

echo
echo "== result"
"$cli" list 2>/dev/null || true
for cert in "$XDG_DATA_HOME"/certlink/certs/*/cert.pem; do
	[ -f "$cert" ] || continue
	echo "certificate: $cert"
	openssl x509 -in "$cert" -noout -subject -issuer -enddate
	openssl verify -CAfile "$state/ca.pem" "$cert"
done
if [ -d "$HOME/.pki/nssdb" ]; then certutil -L -d "sql:$HOME/.pki/nssdb"; fi
echo
if [ "$keep" = 1 ]; then
	echo "The demo's files stay in $demo. To open the manager on them:"
	echo "  HOME=$HOME XDG_DATA_HOME=$XDG_DATA_HOME XDG_CONFIG_HOME=$XDG_CONFIG_HOME XDG_STATE_HOME=$XDG_STATE_HOME $manager"
else
	echo "To look around afterwards, run with --keep; the manager window is $manager."
fi
