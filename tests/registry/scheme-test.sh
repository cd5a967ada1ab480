#!/bin/sh
# certlink registry integration tests: register/unregister the certlink:// handler in temporary XDG
# directories with the real freedesktop tools (desktop-file-validate, update-desktop-database, xdg-mime,
# xdg-open, gio, systemd-analyze), and check what a person would check: the link reaches the handler.
#
#   scheme-test.sh CASE CERTLINK WORKROOT
#
# Every tool runs under `env -i` with HOME, XDG_* and the CERTLINK_SYSTEM_* overrides pointing into a fresh
# directory under WORKROOT, so nothing touches the real $HOME, /usr/share or /etc.
set -eu

case_name=$1
certlink_built=$2
workroot=$3
mkdir -p "$workroot"
work=$(mktemp -d "$workroot/$case_name.XXXXXX")
H=$work/home
SYS=$work/sys
mkdir -p "$H" "$SYS/share" "$SYS/etc/xdg" "$work/run" "$work/bin"
chmod 700 "$work/run"
TPATH=/usr/local/bin:/usr/bin:/bin
CL=$certlink_built
HANDLER=$work/bin/certlink-handler
REC=$work/rec
LINK='certlink://127.0.0.1/enroll?user=x'
LINK2='certlink://eps.example.com:8443/enroll?user=bob&code=WIFI-2026&name=Corp+Wi-Fi'
MIME=x-scheme-handler/certlink
APPS=$H/.local/share/applications

passed=0
failed=0
check() {
	desc=$1
	shift
	if "$@"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "FAIL: $desc" >&2
	fi
}
finish() {
	echo "$case_name: $passed passed, $failed failed"
	if [ "$failed" -eq 0 ]; then
		rm -rf "$work"
		exit 0
	fi
	echo "(work directory kept: $work)" >&2
	exit 1
}

# The clean environment every tool runs in. Extra NAME=value arguments come before the command.
E() {
	env -i PATH="$TPATH" HOME="$H" XDG_DATA_HOME="$H/.local/share" XDG_CONFIG_HOME="$H/.config" \
		XDG_DATA_DIRS="$SYS/share" XDG_CONFIG_DIRS="$SYS/etc/xdg" XDG_RUNTIME_DIR="$work/run" \
		CERTLINK_SYSTEM_APPS_DIR="$SYS/share/applications" CERTLINK_SYSTEM_CONFIG_DIR="$SYS/etc/xdg" \
		CERTLINK_SYSTEM_UNIT_DIR="$SYS/etc/systemd/user" \
		CERTLINK_SYSTEM_VENDOR_UNIT_DIR="$SYS/lib/systemd/user" ASAN_OPTIONS="${ASAN_OPTIONS:-}" \
		UBSAN_OPTIONS="${UBSAN_OPTIONS:-}" "$@"
}

# run NAME CMD...: run under E, keep exit status in $rc and stderr in $work/NAME.err.
run() {
	name=$1
	shift
	rc=0
	E "$@" >"$work/$name.out" 2>"$work/$name.err" || rc=$?
}

# A fake certlink-handler that records its arguments, one file each, then "done".
make_handler() {
	mkdir -p "$(dirname "$1")"
	cat >"$1" <<EOS
#!/bin/sh
rec='$REC'
mkdir -p "\$rec"
echo "\$#" >"\$rec/argc"
i=0
for a in "\$@"; do i=\$((i + 1)); printf '%s' "\$a" >"\$rec/arg\$i"; done
: >"\$rec/done"
EOS
	chmod 755 "$1"
}

# Wait for the handler's record (gio starts it without waiting). A bound, not a timing assertion.
wait_record() {
	i=0
	while [ ! -f "$REC/done" ] && [ $i -lt 300 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ -f "$REC/done" ]
}
recorded_exactly() {
	[ -f "$REC/done" ] && [ "$(cat "$REC/argc")" = 1 ] && [ "$(cat "$REC/arg1")" = "$1" ]
}
no_record() {
	[ ! -e "$REC/done" ]
}

file_has() { grep -qxF -- "$2" "$1"; }
file_lacks() { ! grep -qF -- "$2" "$1" 2>/dev/null; }
query_default() { E xdg-mime query default "$MIME" 2>/dev/null; }
is_default() { [ "$(query_default)" = "$1" ]; }
json_field() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval('d' + sys.argv[2]))" "$@"; }
validates() { E desktop-file-validate "$1" >"$work/validate.out" 2>&1 && ! grep -q 'error:' "$work/validate.out"; }
units_verify() { E systemd-analyze --user verify "$@" >"$work/verify.out" 2>&1; }

# Another application that also claims certlink:// links, installed "by the distribution" in the temporary
# XDG_DATA_DIRS with a distribution default (applications/mimeapps.list) naming it, which outranks every
# mimeinfo.cache. So "xdg-mime returns ours" means our default association won, not that ours was the only
# entry in a cache. Its Exec fails, so a launcher that picks it never reaches our recording handler.
make_competitor() {
	mkdir -p "$SYS/share/applications"
	cat >"$SYS/share/applications/zz-other.desktop" <<EOS
[Desktop Entry]
Type=Application
Name=Other
Exec=/bin/false %u
MimeType=$MIME;
NoDisplay=true
EOS
	printf '[Default Applications]\n%s=zz-other.desktop;\n' "$MIME" >"$SYS/share/applications/mimeapps.list"
	E update-desktop-database "$SYS/share/applications"
}

case_user() {
	make_handler "$HANDLER"
	make_competitor
	mkdir -p "$H/.config"
	printf '# kept\n[Default Applications]\ntext/html=firefox.desktop\n\n[Added Associations]\nimage/png=eog.desktop;\n' \
		>"$H/.config/mimeapps.list"
	cp "$H/.config/mimeapps.list" "$work/mimeapps.before"
	check "before registering, the competitor is the default" is_default zz-other.desktop

	run register "$CL" register-scheme --handler "$HANDLER"
	check "register exits 0" [ "$rc" = 0 ]
	check "handler entry written" [ -f "$APPS/certlink-handler.desktop" ]
	check "desktop-file-validate passes on the handler entry" validates "$APPS/certlink-handler.desktop"
	check "Exec is the handler with %u" file_has "$APPS/certlink-handler.desktop" "Exec=$HANDLER %u"
	check "MimeType" file_has "$APPS/certlink-handler.desktop" "MimeType=$MIME;"
	check "mimeinfo.cache updated" file_has "$APPS/mimeinfo.cache" "$MIME=certlink-handler.desktop;"
	check "mimeapps.list names us" file_has "$H/.config/mimeapps.list" "$MIME=certlink-handler.desktop"
	check "mimeapps.list keeps other lines" file_has "$H/.config/mimeapps.list" "text/html=firefox.desktop"
	check "mimeapps.list keeps other groups" file_has "$H/.config/mimeapps.list" "image/png=eog.desktop;"
	check "xdg-mime query default returns ours" is_default certlink-handler.desktop
	check "autostart entry written" file_has "$H/.config/autostart/certlink-check-expiry.desktop" \
		"Exec=$CL check-expiry --login"
	check "desktop-file-validate passes on the autostart entry" \
		validates "$H/.config/autostart/certlink-check-expiry.desktop"
	U=$H/.config/systemd/user
	check "service written" file_has "$U/certlink-check-expiry.service" "ExecStart=$CL check-expiry"
	check "timer daily" file_has "$U/certlink-check-expiry.timer" "OnCalendar=daily"
	check "timer persistent" file_has "$U/certlink-check-expiry.timer" "Persistent=true"
	check "systemd-analyze verify accepts service and timer" \
		units_verify "$U/certlink-check-expiry.service" "$U/certlink-check-expiry.timer"
	check "no system file written" [ ! -e "$SYS/share/applications/certlink-handler.desktop" ]

	run status "$CL" scheme-status
	check "status exits 0" [ "$rc" = 0 ]
	check "status says registered" grep -q "links: open with certlink-handler" "$work/status.out"
	check "status shows the handler program" grep -qF "$HANDLER (executable)" "$work/status.out"
	run json "$CL" scheme-status --json
	check "status --json registered" [ "$(json_field "$work/json.out" "['registered']")" = True ]
	check "status --json xdg-mime default" \
		[ "$(json_field "$work/json.out" "['xdg_mime']['default']")" = certlink-handler.desktop ]
	check "status --json exec path" [ "$(json_field "$work/json.out" "['user']['exec']['path']")" = "$HANDLER" ]
	check "status --json timer file" [ "$(json_field "$work/json.out" "['user']['timer_file']['ours']")" = True ]
	check "status --json system absent" \
		[ "$(json_field "$work/json.out" "['system']['desktop_file']['present']")" = False ]

	# A handler that disappears makes the status say so.
	mv "$HANDLER" "$HANDLER.away"
	run status2 "$CL" scheme-status --json
	check "status: missing handler is not registered" \
		[ "$(json_field "$work/status2.out" "['registered']")" = False ]
	check "status: missing handler reported" \
		[ "$(json_field "$work/status2.out" "['user']['exec']['exists']")" = False ]
	mv "$HANDLER.away" "$HANDLER"

	# Registering again replaces our own files.
	run again "$CL" register-scheme --handler "$HANDLER"
	check "register twice exits 0" [ "$rc" = 0 ]

	run unregister "$CL" unregister-scheme
	check "unregister exits 0" [ "$rc" = 0 ]
	check "handler entry removed" [ ! -e "$APPS/certlink-handler.desktop" ]
	check "autostart removed" [ ! -e "$H/.config/autostart/certlink-check-expiry.desktop" ]
	check "service removed" [ ! -e "$U/certlink-check-expiry.service" ]
	check "timer removed" [ ! -e "$U/certlink-check-expiry.timer" ]
	check "mimeinfo.cache no longer names us" file_lacks "$APPS/mimeinfo.cache" certlink-handler
	check "mimeapps.list back to what it was" cmp -s "$H/.config/mimeapps.list" "$work/mimeapps.before"
	check "the competitor is the default again" is_default zz-other.desktop
	run status3 "$CL" scheme-status --json
	check "status after unregister" [ "$(json_field "$work/status3.out" "['registered']")" = False ]

	run unregister2 "$CL" unregister-scheme
	check "unregister when not registered exits 0" [ "$rc" = 0 ]
	check "unregister says nothing to remove" grep -q "Nothing to remove" "$work/unregister2.err"
}

case_xdg_open() {
	make_handler "$HANDLER"
	# A browser that records being asked, so a failed dispatch never starts a real browser.
	cat >"$work/bin/fake-browser" <<EOS
#!/bin/sh
: >'$work/browser-called'
exit 1
EOS
	chmod 755 "$work/bin/fake-browser"

	rc=0
	E WAYLAND_DISPLAY=certlink-test BROWSER="$work/bin/fake-browser" xdg-open "$LINK" >/dev/null 2>&1 || rc=$?
	check "before registering, xdg-open does not reach the handler" no_record
	check "before registering, xdg-open falls back to the browser" [ -e "$work/browser-called" ]
	check "before registering, xdg-open fails" [ "$rc" != 0 ]

	# From here on another application claims certlink:// too, so the handler runs only if our default
	# association wins over it (not merely because ours is the only entry in mimeinfo.cache).
	make_competitor
	run register "$CL" register-scheme --handler "$HANDLER"
	check "register exits 0" [ "$rc" = 0 ]

	# Generic mode (no XDG_CURRENT_DESKTOP, no DE hints, BROWSER unset): xdg-open 1.1.3 asks xdg-mime for
	# the x-scheme-handler default and runs the Exec of that .desktop file -- but only when DISPLAY or
	# WAYLAND_DISPLAY is set (has_display); no display server is contacted, so a name is enough.
	rc=0
	E WAYLAND_DISPLAY=certlink-test xdg-open "$LINK" >"$work/open.out" 2>&1 || rc=$?
	check "xdg-open exits 0" [ "$rc" = 0 ]
	check "xdg-open ran the handler with exactly the link" recorded_exactly "$LINK"
	rm -rf "$REC"
	rc=0
	E DISPLAY=:certlink-test xdg-open "$LINK2" >"$work/open2.out" 2>&1 || rc=$?
	check "xdg-open (DISPLAY) passes & and + through untouched" recorded_exactly "$LINK2"
	rm -rf "$REC"

	# Without a display variable the generic mode never looks at x-scheme-handler.
	rm -f "$work/browser-called"
	rc=0
	E BROWSER="$work/bin/fake-browser" xdg-open "$LINK" >/dev/null 2>&1 || rc=$?
	check "without a display, xdg-open skips scheme handlers" no_record
	check "without a display, xdg-open tries the browser" [ -e "$work/browser-called" ]

	# GLib's launcher (gio open; what GNOME applications use) reads the same mimeapps.list.
	rc=0
	E gio open "$LINK2" >"$work/gio.out" 2>&1 || rc=$?
	check "gio open exits 0" [ "$rc" = 0 ]
	wait_record || true
	check "gio open ran the handler with exactly the link" recorded_exactly "$LINK2"
	rm -rf "$REC"

	run unregister "$CL" unregister-scheme
	rc=0
	E WAYLAND_DISPLAY=certlink-test BROWSER="$work/bin/fake-browser" xdg-open "$LINK" >/dev/null 2>&1 || rc=$?
	check "after unregistering, xdg-open does not reach the handler" no_record
	check "after unregistering, xdg-open runs the other application (which fails)" [ "$rc" != 0 ]
}

case_system() {
	make_handler "$HANDLER"
	make_competitor
	mkdir -p "$SYS/etc/xdg"
	# The administrator's mimeapps.list is a link to a managed file: edits go to the file, the link stays.
	printf '[Default Applications]\ntext/html=firefox.desktop\n' >"$work/managed-mimeapps.list"
	chmod 640 "$work/managed-mimeapps.list"
	ln -s "$work/managed-mimeapps.list" "$SYS/etc/xdg/mimeapps.list"
	cp "$work/managed-mimeapps.list" "$work/mimeapps.before"
	SA=$SYS/share/applications
	SU=$SYS/etc/systemd/user

	run register "$CL" register-scheme --system --handler "$HANDLER"
	check "register --system exits 0" [ "$rc" = 0 ]
	check "system handler entry written" [ -f "$SA/certlink-handler.desktop" ]
	check "desktop-file-validate passes" validates "$SA/certlink-handler.desktop"
	check "system mimeinfo.cache updated" grep -q "^$MIME=\(.*;\)\{0,1\}certlink-handler.desktop;" "$SA/mimeinfo.cache"
	check "system mimeapps.list names us" file_has "$SYS/etc/xdg/mimeapps.list" "$MIME=certlink-handler.desktop;"
	check "system mimeapps.list keeps other lines" file_has "$SYS/etc/xdg/mimeapps.list" "text/html=firefox.desktop"
	check "system mimeapps.list is still a link" [ -L "$SYS/etc/xdg/mimeapps.list" ]
	check "the managed file keeps its mode" [ "$(stat -c %a "$work/managed-mimeapps.list")" = 640 ]
	check "system autostart written" [ -f "$SYS/etc/xdg/autostart/certlink-check-expiry.desktop" ]
	check "global user units written" [ -f "$SU/certlink-check-expiry.service" ] && [ -f "$SU/certlink-check-expiry.timer" ]
	check "timer enabled for every user" \
		[ "$(readlink "$SU/timers.target.wants/certlink-check-expiry.timer")" = "$SU/certlink-check-expiry.timer" ]
	check "nothing written for the user" [ ! -e "$H/.local/share/applications/certlink-handler.desktop" ] && \
		[ ! -e "$H/.config/mimeapps.list" ]
	# A user without a choice of their own gets the system default, through xdg-mime and xdg-open.
	check "xdg-mime query default returns ours" is_default certlink-handler.desktop
	rc=0
	E WAYLAND_DISPLAY=certlink-test xdg-open "$LINK" >"$work/open.out" 2>&1 || rc=$?
	check "xdg-open ran the system handler with exactly the link" recorded_exactly "$LINK"
	run json "$CL" scheme-status --json
	check "status --json: registered system wide" [ "$(json_field "$work/json.out" "['registered']")" = True ]
	check "status --json: system exec" [ "$(json_field "$work/json.out" "['system']['exec']['path']")" = "$HANDLER" ]
	check "status --json: system timer enabled" \
		[ "$(json_field "$work/json.out" "['system']['timer_enabled']")" = True ]

	# A user registration and unregistration leave the system one alone.
	run unregister-user "$CL" unregister-scheme
	check "user unregister leaves the system entry" [ -f "$SA/certlink-handler.desktop" ]

	run unregister "$CL" unregister-scheme --system
	check "unregister --system exits 0" [ "$rc" = 0 ]
	check "system handler entry removed" [ ! -e "$SA/certlink-handler.desktop" ]
	check "system autostart removed" [ ! -e "$SYS/etc/xdg/autostart/certlink-check-expiry.desktop" ]
	check "global units removed" [ ! -e "$SU/certlink-check-expiry.service" ] && [ ! -e "$SU/certlink-check-expiry.timer" ]
	check "timer link removed" [ ! -L "$SU/timers.target.wants/certlink-check-expiry.timer" ]
	check "system mimeapps.list back to what it was" cmp -s "$SYS/etc/xdg/mimeapps.list" "$work/mimeapps.before"
	check "system mimeapps.list still a link after unregister" [ -L "$SYS/etc/xdg/mimeapps.list" ]
	check "system mimeinfo.cache no longer names us" file_lacks "$SA/mimeinfo.cache" certlink-handler
	check "the distribution default is back" is_default zz-other.desktop
}

# The certlink-desktop package's registration (the files the build makes with certlink-registry-gen, laid
# out as the package installs them, the timer enabled as deb-systemd-helper does): links reach the handler
# for a user without any file of their own, scheme-status reports it as the package's, and
# register-scheme/unregister-scheme --system leave the package manager's files alone.
case_package() {
	make_handler "$HANDLER"
	ln -s "$CL" "$work/bin/certlink"
	gen=${CERTLINK_REGISTRY_GEN:?CERTLINK_REGISTRY_GEN names certlink-registry-gen}
	"$gen" "$work/pkg" "$work/bin"
	SA=$SYS/share/applications
	VU=$SYS/lib/systemd/user
	SU=$SYS/etc/systemd/user
	mkdir -p "$SA" "$VU" "$SU/timers.target.wants" "$SYS/etc/xdg/autostart"
	cp "$work/pkg/certlink-handler.desktop" "$work/pkg/mimeapps.list" "$SA/"
	cp "$work/pkg/certlink-check-expiry.desktop" "$SYS/etc/xdg/autostart/"
	cp "$work/pkg/certlink-check-expiry.service" "$work/pkg/certlink-check-expiry.timer" "$VU/"
	ln -s "$VU/certlink-check-expiry.timer" "$SU/timers.target.wants/certlink-check-expiry.timer"
	# another application claiming the scheme, first in mimeinfo.cache: only the default picks ours
	cat >"$SA/aaa-other.desktop" <<EOS
[Desktop Entry]
Type=Application
Name=Other
Exec=/bin/false %u
MimeType=$MIME;
NoDisplay=true
EOS
	E update-desktop-database "$SA"
	cp -r "$SYS" "$work/sys.before"

	check "package handler entry validates" validates "$SA/certlink-handler.desktop"
	check "package autostart entry validates" validates "$SYS/etc/xdg/autostart/certlink-check-expiry.desktop"
	check "package user units verify" units_verify "$VU/certlink-check-expiry.service" "$VU/certlink-check-expiry.timer"
	check "xdg-mime query default returns ours" is_default certlink-handler.desktop
	rc=0
	E WAYLAND_DISPLAY=certlink-test xdg-open "$LINK" >"$work/open.out" 2>&1 || rc=$?
	check "xdg-open ran the package's handler with exactly the link" recorded_exactly "$LINK"

	run json "$CL" scheme-status --json
	check "status --json: registered" [ "$(json_field "$work/json.out" "['registered']")" = True ]
	check "status --json: the system entry is the package's" [ "$(json_field "$work/json.out" "['system']['package']")" = True ]
	check "status --json: default from the package's mimeapps.list" \
		[ "$(json_field "$work/json.out" "['system']['mimeapps_file']")" = "$SA/mimeapps.list" ]
	check "status --json: the package's units" \
		[ "$(json_field "$work/json.out" "['system']['timer_file']['path']")" = "$VU/certlink-check-expiry.timer" ] && \
		[ "$(json_field "$work/json.out" "['system']['timer_file']['package']")" = True ]
	check "status --json: timer enabled for every user" [ "$(json_field "$work/json.out" "['system']['timer_enabled']")" = True ]
	run text "$CL" scheme-status
	check "status names the package" grep -q "installed by the certlink-desktop package" "$work/text.out"

	run register "$CL" register-scheme --system --handler "$HANDLER"
	check "register --system exits 0" [ "$rc" = 0 ]
	check "register --system says the package did it" grep -q "certlink-desktop package" "$work/register.err"
	check "register --system wrote nothing" diff -r "$work/sys.before" "$SYS"
	run unregister "$CL" unregister-scheme --system
	check "unregister --system exits 0" [ "$rc" = 0 ]
	check "unregister --system says how to remove the package" grep -q "apt remove certlink-desktop" "$work/unregister.err"
	check "unregister --system removed nothing" diff -r "$work/sys.before" "$SYS"
	check "still the default after unregister --system" is_default certlink-handler.desktop

	# A person's own registration still works beside the package's, and goes again on its own.
	run user "$CL" register-scheme --handler "$HANDLER"
	check "register for the user exits 0" [ "$rc" = 0 ]
	check "user entry written" [ -f "$APPS/certlink-handler.desktop" ]
	run unuser "$CL" unregister-scheme
	check "user unregister removed the user entry" [ ! -e "$APPS/certlink-handler.desktop" ]
	check "user unregister left the package's files" diff -r "$work/sys.before" "$SYS"
}

case_spaces() {
	# certlink itself in a directory with a space, $ and %, the handler in one with every character the
	# Exec quoting rules treat specially (but %, which GLib cannot read back; see the notes).
	cdir="$work/my apps \$HOME 100%"
	hdir="$work/we ird \$dir \"q\" \`b\` \\x's (1);&"
	mkdir -p "$cdir"
	cp "$CL" "$cdir/certlink"
	make_handler "$hdir/certlink-handler"
	run register "$cdir/certlink" register-scheme --handler "$hdir/certlink-handler"
	check "register with quoted paths exits 0" [ "$rc" = 0 ]
	D=$APPS/certlink-handler.desktop
	check "desktop-file-validate passes on a quoted Exec" validates "$D"
	esc_hdir=$(printf '%s' "$hdir" | sed -e 's/\\/\\\\\\\\/g' -e 's/["`$]/\\\\&/g')
	check "Exec quoted per the Desktop Entry spec" file_has "$D" "Exec=\"$esc_hdir/certlink-handler\" %u"
	esc_cdir=$(printf '%s' "$cdir" | sed -e 's/%/%%/g' -e 's/\$/\\\\$/g')
	check "autostart Exec quoted" file_has "$H/.config/autostart/certlink-check-expiry.desktop" \
		"Exec=\"$esc_cdir/certlink\" check-expiry --login"
	check "autostart entry validates" validates "$H/.config/autostart/certlink-check-expiry.desktop"
	U=$H/.config/systemd/user
	check "systemd-analyze verify accepts the quoted ExecStart" \
		units_verify "$U/certlink-check-expiry.service" "$U/certlink-check-expiry.timer"
	check "register notes the unusual handler path" grep -q "some launchers cannot start" "$work/register.err"
	run json "$cdir/certlink" scheme-status --json
	check "status reads the quoted Exec back exactly" \
		[ "$(json_field "$work/json.out" "['user']['exec']['path']")" = "$hdir/certlink-handler" ]
	check "status: executable" [ "$(json_field "$work/json.out" "['user']['exec']['executable']")" = True ]
	# GLib parses the quoting as the spec says: the handler starts with the link as one argument.
	rc=0
	E gio open "$LINK2" >"$work/gio.out" 2>&1 || rc=$?
	wait_record || true
	check "gio open runs the quoted handler with exactly the link" recorded_exactly "$LINK2"
}

case_not_ours() {
	make_handler "$HANDLER"
	mkdir -p "$APPS"
	printf '[Desktop Entry]\nType=Application\nName=Mine\nExec=/bin/true %%u\nMimeType=%s;\n' "$MIME" \
		>"$APPS/certlink-handler.desktop"
	cp "$APPS/certlink-handler.desktop" "$work/mine"
	run register "$CL" register-scheme --handler "$HANDLER"
	check "register refuses to replace a file it did not write" [ "$rc" = 100 ]
	check "refusal names the file" grep -qF "$APPS/certlink-handler.desktop" "$work/register.err"
	check "the file is unchanged" cmp -s "$APPS/certlink-handler.desktop" "$work/mine"
	check "no default was set" [ ! -e "$H/.config/mimeapps.list" ]
	check "no autostart written" [ ! -e "$H/.config/autostart/certlink-check-expiry.desktop" ]
	run unregister "$CL" unregister-scheme
	check "unregister exits 0" [ "$rc" = 0 ]
	check "unregister leaves the foreign file" cmp -s "$APPS/certlink-handler.desktop" "$work/mine"
	check "unregister says so" grep -q "certlink did not write it" "$work/unregister.err"

	run badhandler "$CL" register-scheme --handler "$work/no-such-handler"
	check "a missing handler is refused with 100" [ "$rc" = 100 ]
	run relhandler "$CL" register-scheme --handler relative/none
	check "a missing relative handler is refused with 100" [ "$rc" = 100 ]

	# Without --handler: the certlink-handler next to certlink (a build tree, an unpacked install).
	rm -f "$APPS/certlink-handler.desktop"
	mkdir -p "$work/inst"
	cp "$CL" "$work/inst/certlink"
	make_handler "$work/inst/certlink-handler"
	run default "$work/inst/certlink" register-scheme
	check "register finds the handler next to certlink" [ "$rc" = 0 ]
	check "... and writes it into Exec" file_has "$APPS/certlink-handler.desktop" \
		"Exec=$work/inst/certlink-handler %u"
	# A relative --handler becomes absolute.
	run relative sh -c 'cd "$1" && exec "$2" register-scheme --handler inst/certlink-handler' sh "$work" "$CL"
	check "a relative --handler is accepted" [ "$rc" = 0 ]
	check "... and made absolute" file_has "$APPS/certlink-handler.desktop" "Exec=$work/inst/certlink-handler %u"
}

case_root() {
	make_handler "$HANDLER"
	# --system without an override must be refused for a non-root user with a clear message, before
	# anything is written. As root, drop to nobody; the binary is copied where nobody can run it.
	if [ "$(id -u)" = 0 ]; then
		nb=$(mktemp -d /tmp/certlink-root-test.XXXXXX)
		chmod 755 "$nb"
		cp "$CL" "$nb/certlink"
		cp "$HANDLER" "$nb/certlink-handler"
		chmod 755 "$nb/certlink" "$nb/certlink-handler"
		rc=0
		env -i PATH="$TPATH" HOME="$nb" setpriv --reuid=65534 --regid=65534 --clear-groups \
			"$nb/certlink" register-scheme --system --handler "$nb/certlink-handler" \
			>"$work/root.out" 2>"$work/root.err" || rc=$?
		rm -rf "$nb"
	else
		rc=0
		env -i PATH="$TPATH" HOME="$H" "$CL" register-scheme --system --handler "$HANDLER" \
			>"$work/root.out" 2>"$work/root.err" || rc=$?
	fi
	check "--system as non-root exits 100" [ "$rc" = 100 ]
	check "--system as non-root says it needs root" grep -q "needs root" "$work/root.err"
}

case_systemctl() {
	make_handler "$HANDLER"
	# No user manager reachable (empty runtime dir, no session bus): files written, and a note says so.
	run register "$CL" register-scheme --handler "$HANDLER"
	check "register without a user manager exits 0" [ "$rc" = 0 ]
	check "the timer file is written" [ -f "$H/.config/systemd/user/certlink-check-expiry.timer" ]
	check "a note says the timer is not enabled" grep -q "No systemd user manager is reachable" "$work/register.err"
	run unregister "$CL" unregister-scheme

	# A reachable user manager (a fake systemctl that records its arguments): reload and enable.
	cat >"$work/bin/systemctl" <<EOS
#!/bin/sh
echo "\$*" >>'$work/systemctl.log'
exit 0
EOS
	chmod 755 "$work/bin/systemctl"
	TPATH=$work/bin:$TPATH
	run register2 "$CL" register-scheme --handler "$HANDLER"
	check "register with a user manager exits 0" [ "$rc" = 0 ]
	check "asked whether a user manager runs" file_has "$work/systemctl.log" "--user show-environment"
	check "daemon-reload" file_has "$work/systemctl.log" "--user daemon-reload"
	check "enable --now the timer" file_has "$work/systemctl.log" "--user enable --now certlink-check-expiry.timer"
	check "no note about the timer" file_lacks "$work/register2.err" "No systemd user manager"
	: >"$work/systemctl.log"
	run unregister2 "$CL" unregister-scheme
	check "unregister disables the timer" file_has "$work/systemctl.log" "--user disable --now certlink-check-expiry.timer"
	check "unregister reloads" file_has "$work/systemctl.log" "--user daemon-reload"
}

case_cli() {
	run help "$CL" --help
	check "--help exits 0" [ "$rc" = 0 ]
	check "--help lists register-scheme" grep -q "register-scheme" "$work/help.out"
	check "--help lists scheme-status" grep -q "scheme-status" "$work/help.out"
	run version "$CL" --version
	check "--version" grep -q "^certlink [0-9]" "$work/version.out"
	run none "$CL"
	check "no command exits 100" [ "$rc" = 100 ]
	run unknown "$CL" frobnicate
	check "unknown command exits 100" [ "$rc" = 100 ]
	check "unknown command named" grep -q "frobnicate" "$work/unknown.err"
	run badopt "$CL" register-scheme --bogus
	check "unknown option exits 100" [ "$rc" = 100 ]
	run noval "$CL" register-scheme --handler
	check "missing option value exits 100" [ "$rc" = 100 ]
	check "missing value named" grep -q -- "--handler\" needs a value" "$work/noval.err"
	run extra "$CL" scheme-status extra
	check "extra argument exits 100" [ "$rc" = 100 ]
	for c in register-scheme unregister-scheme scheme-status; do
		run "h-$c" "$CL" "$c" --help
		check "$c --help exits 0" [ "$rc" = 0 ]
		check "$c --help shows usage" grep -q "Usage: certlink $c" "$work/h-$c.out"
	done
	check "nothing was written by the argument checks" [ ! -e "$H/.local" ] && [ ! -e "$H/.config" ]
}

case "$case_name" in
user | xdg_open | system | package | spaces | not_ours | root | systemctl | cli) "case_$case_name" ;;
*)
	echo "unknown case $case_name" >&2
	exit 2
	;;
esac
finish
