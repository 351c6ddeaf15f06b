#!/usr/bin/env bats
# Many hosts, one store (HAProxy in front, NFS or CephFS behind): the
# POP3 maildrop lock file, which must hold where flock() does not reach,
# its stale rule and its refresh, and the statelessness invariant: nothing
# that one host keeps may be needed to serve the next session on another.
#
# Two hosts are simulated on this one: each handler runs in a UTS
# namespace of its own whose node name is the host's (the lock file
# records the node name), with -n set to the same name (the name in the
# message files), from a working directory of its own.  flock() is one
# kernel's, so where a test needs a lock that flock() cannot see, it
# plants a lock file by hand, or reaches the store through a second mount
# made with bindfs (FUSE): the same files, other inodes, so an flock()
# through one mount is not seen through the other, as between two NFS
# clients.  Needs root (unshare, mount); bindfs for the tests that race
# through two mounts.

load ../lib/helper

bats_require_minimum_version 1.5.0

# Keep the helper's teardown and unmount what a test mounted before it.
eval "helper_$(declare -f teardown)"

teardown() {
	local m
	exec 7>&- 8<&-
	for m in ${MOUNTS:-}; do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
	done
	helper_teardown
}

# need_root: skip the test, saying why, unless we are root with unshare.
need_root() {
	[ "$(id -u)" -eq 0 ] || skip "needs root for UTS namespaces and mounts"
	command -v unshare >/dev/null || skip "needs unshare (util-linux)"
}

# need_bindfs: skip the test unless bindfs can mount.
need_bindfs() {
	need_root
	command -v bindfs >/dev/null ||
	    skip "bindfs is not installed (Debian package: bindfs)"
}

BOX_NAME=alice@example.com

# box: alice's maildir in the store; LOCK: its lock file.
box() {
	maildir "$BOX_NAME"
}

lockfile() {
	printf '%s/pop3.lock' "$(box)"
}

# make_box: alice's maildir, empty, as the handlers would make it.
make_box() {
	mkdir -p "$(box)/tmp" "$(box)/new" "$(box)/cur"
	own -R "$(box)"
}

# two_messages: two messages in alice's new/, Subjects one and two.
two_messages() {
	local s
	for s in one two; do
		printf 'Subject: %s\n\nbody of %s\n' "$s" "$s" |
		    pop3_drop "$BOX_NAME" >/dev/null
	done
}

# host_dir HOST: make $T/HOST, the working directory of host HOST, which
# belongs to that host alone.
host_dir() {
	mkdir -p "$T/$1"
	own "$T/$1"
}

# UNSHARE_HOST: the command that runs "COMMAND..." as on host HOST from
# directory DIR, given "HOST DIR COMMAND...": in a UTS namespace whose
# node name is HOST.  unshare and the shell exec, so COMMAND keeps the pid
# unshare started with.
UNSHARE_HOST=(unshare --uts sh -c
    'hostname "$1" && cd "$2" && shift 2 && exec "$@"' sh)

# on_host HOST COMMAND...: run COMMAND as on host HOST, from its own
# working directory.
on_host() {
	host_dir "$1"
	"${UNSHARE_HOST[@]}" "$1" "$T/$1" "${@:2}"
}

# pop3_on HOST [-s STORE] [OPTION...]: pipe the script on stdin, CRLF
# added, through one POP3 session on HOST, on STORE (default the store).
pop3_on() {
	local h=$1 s=$STORE
	shift
	if [ "${1:-}" = -s ]; then
		s=$2
		shift 2
	fi
	crlf | on_host "$h" timeout 30 "$BIN/pop3-handler" -u "$USERS" \
	    -d "$s" -n "$h" "$@"
}

# smtp_on HOST [OPTION...]: the same for SMTP.
smtp_on() {
	local h=$1
	shift
	crlf | on_host "$h" timeout 30 "$BIN/smtp-handler" -u "$USERS" \
	    -d "$STORE" -n "$h" "$@"
}

# pop3_start_on HOST [-s STORE] [OPTION...]: pop3_start (helper.bash) for
# a session on HOST.  POP3_PID is the handler itself.
pop3_start_on() {
	local h=$1 s=$STORE
	shift
	if [ "${1:-}" = -s ]; then
		s=$2
		shift 2
	fi
	rm -f "$T/pop3.in" "$T/pop3.out"
	mkfifo "$T/pop3.in" "$T/pop3.out"
	exec 7<>"$T/pop3.in"
	host_dir "$h"
	"${UNSHARE_HOST[@]}" "$h" "$T/$h" \
	    "$BIN/pop3-handler" -u "$USERS" -d "$s" -n "$h" "$@" \
	    <"$T/pop3.in" >"$T/pop3.out" 2>>"$T/pop3.err" 3>&- 7>&- &
	POP3_PID=$!
	PIDS="${PIDS:-} $POP3_PID"
	exec 8<"$T/pop3.out"
}

# login_status HOST [-s STORE]: a session on HOST logs in as alice, asks
# STAT and quits; prints the reply to PASS and the one to STAT, without
# CRs, on two lines.
login_status() {
	printf 'USER %s\nPASS alicepw\nSTAT\nQUIT\n' "$BOX_NAME" |
	    pop3_on "$@" | tr -d '\r' | sed -n '3,4p'
}

# plant_lock HOST PID [AGE]: put a lock file in alice's maildir as a
# session of HOST with process PID would have made it, its mtime AGE ago
# (a touch -d date, default now).  It belongs to the handlers' user, as
# one made by a handler would.
plant_lock() {
	make_box
	printf '%s %s %s\n' "$1" "$2" "$(date +%s)" >"$(lockfile)"
	own "$(lockfile)"
	touch -d "${3:-now}" "$(lockfile)"
}

# dead_pid: the number of a process that no longer exists.
dead_pid() {
	local p
	sleep 0 &
	p=$!
	wait "$p"
	printf '%s' "$p"
}

# mtime FILE: FILE's mtime in nanoseconds since the epoch.
mtime() {
	stat -c %.9Y "$1" | tr -d .
}

# second_mount NAME: the store mounted again through FUSE at $T/NAME,
# unmounted at teardown; MOUNTED is its path.  flock() through it does
# not reach flock() on the store itself (checked here, since the tests
# depend on it).
second_mount() {
	local m=$T/$1
	mkdir -p "$m"
	own "$m"
	# No FUSE caches: a name another "host" removed is gone at once.
	bindfs -o attr_timeout=0,entry_timeout=0,negative_timeout=0 \
	    "$STORE" "$m"
	MOUNTS="$m ${MOUNTS:-}"
	MOUNTED=$m
	make_box
	# bindfs makes a file as root and then gives it to its maker: in
	# that moment another "host" could not open it.  The store's and
	# the mailbox's .mailstore-synced are made here, by one login, so
	# that racing sessions never make them at once.
	login_status hostA >/dev/null
	python3 "$LIB/flock_apart.py" "$(box)" "$m/$BOX_NAME"
}

# The lock file and its life

@test "the lock file names the node, the handler's pid and the start, and goes at QUIT" {
	need_root
	two_messages
	before=$(date +%s)
	pop3_start_on hostA
	pop3_login "$BOX_NAME" alicepw
	read -r host pid start <"$(lockfile)"
	[ "$host" = hostA ]
	[ "$pid" = "$POP3_PID" ]
	[ "$start" -ge "$before" ] && [ "$start" -le "$(date +%s)" ]
	[ "$(stat -c %U "$(lockfile)")" = "$(id -un "${RUN_AS:-root}")" ]
	pop3_say QUIT;		pop3_expect "+OK"
	pop3_wait
	[ "$POP3_STATUS" -eq 0 ]
	[ ! -e "$(lockfile)" ]
}

@test "the lock file is never a message: STAT, LIST, UIDL and Maildir readers see only the messages" {
	need_root
	two_messages
	pop3_start_on hostA
	pop3_login "$BOX_NAME" alicepw
	[ -f "$(lockfile)" ]
	pop3_say STAT;		pop3_expect "+OK 2 "
	pop3_say LIST;		pop3_expect "+OK"
	[ "$(pop3_read_block | wc -l)" -eq 2 ]
	pop3_say UIDL;		pop3_expect "+OK"
	pop3_read_block >"$T/uidl"
	[ "$(wc -l <"$T/uidl")" -eq 2 ]
	[ "$(grep -c lock "$T/uidl")" -eq 0 ]
	run python3 "$LIB/maildir_count.py" "$(box)"
	[ "$output" = 2 ]
	pop3_say QUIT;		pop3_expect "+OK"
	pop3_wait
}

@test "the lock file is gone after EOF without QUIT, and after the timeout" {
	need_root
	two_messages
	pop3_start_on hostA
	pop3_login "$BOX_NAME" alicepw
	[ -f "$(lockfile)" ]
	exec 7>&-
	pop3_wait
	[ "$POP3_STATUS" -eq 1 ]
	[ ! -e "$(lockfile)" ]
	exec 8<&-
	pop3_start_on hostA -t 1
	pop3_login "$BOX_NAME" alicepw
	[ -f "$(lockfile)" ]
	pop3_wait 5
	[ "$POP3_STATUS" -eq 1 ]
	[ ! -e "$(lockfile)" ]
	[ "$(count "$BOX_NAME")" -eq 2 ]
}

@test "kill -9 leaves the lock file: another host respects it, the same host breaks it at once" {
	need_root
	two_messages
	pop3_start_on hostA
	pop3_login "$BOX_NAME" alicepw
	pop3_say DELE 1;	pop3_expect "+OK"
	kill -9 "$POP3_PID"
	pop3_wait
	[ -f "$(lockfile)" ]
	# flock() went with the process; the lock file alone says "in use".
	run login_status hostB
	echo "$output"
	[[ ${lines[0]} == "-ERR [IN-USE]"* ]]
	[ -f "$(lockfile)" ]
	# hostA's kernel knows that process is gone.
	run login_status hostA
	echo "$output"
	[[ ${lines[0]} == "+OK Maildrop has 2 messages"* ]]
	[ ! -e "$(lockfile)" ]
	[ -z "$(ls "$(box)/tmp")" ]
}

@test "kill -9 leaves the lock file; once it is stale (over 90 s old) another host breaks it" {
	need_root
	two_messages
	pop3_start_on hostA
	pop3_login "$BOX_NAME" alicepw
	kill -9 "$POP3_PID"
	pop3_wait
	touch -d '100 seconds ago' "$(lockfile)"
	run login_status hostB
	echo "$output"
	[[ ${lines[0]} == "+OK Maildrop has 2 messages"* ]]
	[ ! -e "$(lockfile)" ]
}

# Planted lock files: no flock() is held, so the lock file alone decides,
# as on NFS between two hosts.

@test "a fresh lock of another host gets -ERR [IN-USE] and is left as it was" {
	need_root
	two_messages
	plant_lock hostB 4242
	cp -p "$(lockfile)" "$T/planted"
	run login_status hostA
	echo "$output"
	[[ ${lines[0]} == "-ERR [IN-USE] Maildrop is locked"* ]]
	cmp "$T/planted" "$(lockfile)"
	[ "$(mtime "$T/planted")" = "$(mtime "$(lockfile)")" ]
}

@test "a lock of another host 80 s old is respected; 100 s old it is broken and the session goes on" {
	need_root
	two_messages
	plant_lock hostB 4242 '80 seconds ago'
	run login_status hostA
	echo "$output"
	[[ ${lines[0]} == "-ERR [IN-USE]"* ]]
	[ "$(cut -d' ' -f1 "$(lockfile)")" = hostB ]
	touch -d '100 seconds ago' "$(lockfile)"
	pop3_start_on hostA
	pop3_login "$BOX_NAME" alicepw
	read -r host pid start <"$(lockfile)"
	[ "$host" = hostA ] && [ "$pid" = "$POP3_PID" ]
	pop3_say STAT;		pop3_expect "+OK 2 "
	pop3_say DELE 1;	pop3_expect "+OK"
	pop3_say QUIT;		pop3_expect "+OK"
	pop3_wait
	[ ! -e "$(lockfile)" ]
	[ "$(count "$BOX_NAME")" -eq 1 ]
	# The stale lock went through tmp/ and left nothing there.
	[ -z "$(ls "$(box)/tmp")" ]
}

@test "a lock of this host whose process is gone is broken at once" {
	need_root
	two_messages
	plant_lock hostA "$(dead_pid)"
	run login_status hostA
	echo "$output"
	[[ ${lines[0]} == "+OK Maildrop has 2 messages"* ]]
	[[ ${lines[1]} == "+OK 2 "* ]]
	[ ! -e "$(lockfile)" ]
}

@test "a lock of this host whose process lives is respected while fresh, and broken once stale" {
	need_root
	two_messages
	sleep 60 &
	holder=$!
	PIDS="${PIDS:-} $holder"
	plant_lock hostA "$holder"
	run login_status hostA
	echo "$output"
	[[ ${lines[0]} == "-ERR [IN-USE]"* ]]
	# The same pid seen from another host says nothing: its age does.
	run login_status hostB
	[[ ${lines[0]} == "-ERR [IN-USE]"* ]]
	# A live process with the number of a stale lock is a number reused.
	touch -d '2 hours ago' "$(lockfile)"
	run login_status hostA
	echo "$output"
	[[ ${lines[0]} == "+OK Maildrop has 2 messages"* ]]
	[ ! -e "$(lockfile)" ]
}

@test "an empty lock file (a holder between create and write) is respected while fresh, broken when old" {
	need_root
	two_messages
	: >"$(lockfile)"
	own "$(lockfile)"
	run login_status hostA
	[[ ${lines[0]} == "-ERR [IN-USE]"* ]]
	[ -f "$(lockfile)" ]
	touch -d '2 hours ago' "$(lockfile)"
	run login_status hostA
	echo "$output"
	[[ ${lines[0]} == "+OK Maildrop has 2 messages"* ]]
	[ ! -e "$(lockfile)" ]
}

@test "a lock file that is a symlink or a directory gets -ERR [SYS/TEMP]; nothing is followed or removed" {
	need_root
	two_messages
	echo 'keep me' >"$T/target"
	touch -d '2 hours ago' "$T/target"
	ln -s "$T/target" "$(lockfile)"
	own "$(lockfile)"
	run login_status hostA
	echo "$output"
	[[ ${lines[0]} == "-ERR [SYS/TEMP]"* ]]
	[ -L "$(lockfile)" ] && [ "$(cat "$T/target")" = 'keep me' ]
	rm "$(lockfile)"
	mkdir "$(lockfile)"
	own "$(lockfile)"
	touch -d '2 hours ago' "$(lockfile)"
	run login_status hostA
	[[ ${lines[0]} == "-ERR [SYS/TEMP]"* ]]
	[ -d "$(lockfile)" ]
	[ "$(count "$BOX_NAME")" -eq 2 ]
}

@test "a stale lock another session is breaking gets -ERR [IN-USE]; a break lock left by a crash is cleared" {
	need_root
	two_messages
	plant_lock hostB 4242 '2 hours ago'
	: >"$(box)/pop3.lock.break"
	own "$(box)/pop3.lock.break"
	run login_status hostA
	echo "$output"
	[[ ${lines[0]} == "-ERR [IN-USE]"* ]]
	[ "$(cut -d' ' -f1 "$(lockfile)")" = hostB ]
	# Its breaker needed a few system calls; 20 s mean a crash.
	touch -d '2 minutes ago' "$(box)/pop3.lock.break"
	run login_status hostA
	echo "$output"
	[[ ${lines[0]} == "+OK Maildrop has 2 messages"* ]]
	[ ! -e "$(box)/pop3.lock.break" ] && [ ! -e "$(lockfile)" ]
}

# Refresh

@test "a command refreshes a lock whose mtime was set back, and no more than once in 20 s" {
	need_root
	two_messages
	pop3_start_on hostA
	pop3_login "$BOX_NAME" alicepw
	m0=$(mtime "$(lockfile)")
	sleep 1.1
	pop3_say NOOP;		pop3_expect "+OK"
	pop3_say STAT;		pop3_expect "+OK 2 "
	# 20 s have not passed: no write for these commands.
	[ "$(mtime "$(lockfile)")" = "$m0" ]
	touch -d '50 minutes ago' "$(lockfile)"
	old=$(mtime "$(lockfile)")
	pop3_say NOOP;		pop3_expect "+OK"
	now=$(date +%s%N)
	m1=$(mtime "$(lockfile)")
	[ "$m1" -gt "$old" ]
	[ $(( (now - m1) / 1000000000 )) -le 5 ]
	pop3_say QUIT;		pop3_expect "+OK"
	pop3_wait
	[ ! -e "$(lockfile)" ]
}

@test "a session waiting for its client, sending no command, rewrites its lock within 30 s" {
	need_root
	two_messages
	pop3_start_on hostA
	pop3_login "$BOX_NAME" alicepw
	# Set back as if by a long silence: only the timer can rewrite it.
	touch -d '10 minutes ago' "$(lockfile)"
	old=$(mtime "$(lockfile)")
	for i in $(seq 1 45); do
		[ "$(mtime "$(lockfile)")" != "$old" ] && break
		sleep 1
	done
	now=$(date +%s%N)
	m1=$(mtime "$(lockfile)")
	echo "rewritten after about $i s"
	[ "$m1" -gt "$old" ]
	[ $(( (now - m1) / 1000000000 )) -le 2 ]
	# Still its own lock: another host is refused, QUIT deletes.
	run login_status hostB
	[[ ${lines[0]} == "-ERR [IN-USE]"* ]]
	pop3_say DELE 1;	pop3_expect "+OK"
	pop3_say QUIT;		pop3_expect "+OK"
	pop3_wait
	[ "$(count "$BOX_NAME")" -eq 1 ]
}

@test "a session whose lock another host took over deletes nothing at QUIT and leaves that lock" {
	need_root
	two_messages
	pop3_start_on hostA
	pop3_login "$BOX_NAME" alicepw
	pop3_say DELE 1;	pop3_expect "+OK"
	# As if hostB had judged the lock stale and taken it.
	rm "$(lockfile)"
	plant_lock hostB 4242
	cp -p "$(lockfile)" "$T/theirs"
	pop3_say NOOP;		pop3_expect "+OK"
	pop3_say QUIT;		pop3_expect "-ERR [SYS/TEMP]"
	pop3_wait
	[ "$(count "$BOX_NAME")" -eq 2 ]
	cmp "$T/theirs" "$(lockfile)"
}

@test "while host A's session holds the maildrop, host B through another mount gets -ERR [IN-USE]" {
	need_bindfs
	two_messages
	second_mount mnt-b
	pop3_start_on hostA
	pop3_login "$BOX_NAME" alicepw
	run login_status hostB -s "$MOUNTED"
	echo "$output"
	[[ ${lines[0]} == "-ERR [IN-USE]"* ]]
	pop3_say DELE 1;	pop3_expect "+OK"
	pop3_say QUIT;		pop3_expect "+OK"
	pop3_wait
	run login_status hostB -s "$MOUNTED"
	echo "$output"
	[[ ${lines[0]} == "+OK Maildrop has 1 messages"* ]]
}

# Races

# race ROUNDS SPEC...: ROUNDS times, start one session per SPEC ("HOST
# STORE") at once, all logging in as alice; once every one has answered
# PASS, all quit.  Prints, a round a line, how many got "+OK Maildrop",
# then the replies that were neither that nor -ERR [IN-USE].
race() {
	timeout 170 python3 "$LIB/pop3_login_race.py" "$@"
}

@test "50 rounds of two sessions of one host racing for the maildrop: exactly one wins each" {
	need_root
	two_messages
	export T BIN USERS BOX_NAME
	run race 50 "hostA $STORE" "hostA $STORE"
	echo "$output"
	[ "$(printf '%s\n' "$output" | grep -c '^1$')" -eq 50 ]
	[ "${#lines[@]}" -eq 50 ]
	[ ! -e "$(lockfile)" ]
}

@test "50 rounds of two hosts racing through two mounts, flock() blind to each other: exactly one wins each" {
	need_bindfs
	two_messages
	second_mount mnt-b
	export T BIN USERS BOX_NAME
	run race 50 "hostA $STORE" "hostB $MOUNTED"
	echo "$output"
	[ "$(printf '%s\n' "$output" | grep -c '^1$')" -eq 50 ]
	[ "${#lines[@]}" -eq 50 ]
	[ ! -e "$(lockfile)" ]
}

@test "four hosts breaking one stale lock at once through four mounts: exactly one wins, tmp/ is left empty" {
	need_bindfs
	two_messages
	export T BIN USERS BOX_NAME
	specs=("hostA $STORE")
	for h in B C D; do
		second_mount "mnt-$h"
		specs+=("host$h $MOUNTED")
	done
	for i in $(seq 1 20); do
		plant_lock hostZ 4242 '2 hours ago'
		run race 1 "${specs[@]}"
		echo "round $i: $output"
		[ "$output" = 1 ]
		[ ! -e "$(lockfile)" ]
		[ -z "$(ls "$(box)/tmp")" ]
	done
}

# Statelessness: the store and the users file are all a session needs.

@test "mail host A delivered is fetched and deleted by host B from a fresh directory; host A then sees the deletion" {
	need_root
	run smtp_on hostA <<'EOF'
EHLO client.test
MAIL FROM:<sender@example.net>
RCPT TO:<alice@example.com>
DATA
Subject: across hosts

delivered on A, fetched on B
.
QUIT
EOF
	echo "$output"
	[ "$(codes)" = "220 250 250 250 354 250 221" ]
	name=$(messages "$BOX_NAME")
	[[ $name == *.hostA,S=*,W=* ]]
	# Nothing of host A's is left but the store and the users file.
	rm -rf "$T/hostA"
	before=$(find "$T" -path "$STORE" -prune -o -print | sort)
	run pop3_on hostB <<EOF
USER alice@example.com
PASS alicepw
UIDL 1
RETR 1
DELE 1
QUIT
EOF
	echo "$output"
	[ "$(status)" = "+OK +OK +OK +OK +OK +OK +OK" ]
	[ "$(pop3_line 4)" = "+OK 1 ${name%%,*}" ]
	[[ $output == *"delivered on A, fetched on B"* ]]
	[ "$(count "$BOX_NAME")" -eq 0 ]
	# Host B wrote nothing outside the store but its own empty
	# directory (made by on_host).
	after=$(find "$T" -path "$STORE" -prune -o -print | sort)
	[ "$(comm -13 <(echo "$before") <(echo "$after"))" = "$T/hostB" ]
	[ -z "$(ls -A "$T/hostB")" ]
	rm -rf "$T/hostA" "$T/hostB"
	run login_status hostA
	echo "$output"
	[[ ${lines[0]} == "+OK Maildrop has 0 messages"* ]]
	[ ! -e "$(lockfile)" ]
}

@test "the tmp/ rule across hosts: host B's login removes host A's 37-hour orphan, keeps its fresh file" {
	need_root
	make_box
	old=$(box)/tmp/1795000000.M000001P111Q1.hostA
	fresh=$(box)/tmp/$(date +%s).M000002P112Q1.hostA
	echo orphan >"$old"
	echo 'in progress' >"$fresh"
	own "$old" "$fresh"
	touch -d '37 hours ago' "$old"
	run login_status hostB
	echo "$output"
	[[ ${lines[0]} == "+OK Maildrop has 0 messages"* ]]
	[ ! -e "$old" ]
	[ -f "$fresh" ]
}

# in_progress FILES HANDLER...: a delivery on host A, through HANDLER,
# stopped after its first half; host B's login sees no message and leaves
# tmp/ holding FILES files (the message file or none); once the second
# half is sent the message is whole and host B sees it.
in_progress() {
	local want=$1
	shift
	make_box
	rm -f "$T/smtp.in" "$T/smtp.out"
	mkfifo "$T/smtp.in" "$T/smtp.out"
	exec 5<>"$T/smtp.in"
	on_host hostA "$@" -u "$USERS" -d "$STORE" -n hostA \
	    <"$T/smtp.in" >"$T/smtp.out" 2>/dev/null 3>&- 5>&- &
	PIDS="${PIDS:-} $!"
	exec 6<"$T/smtp.out"
	printf 'HELO client.test\r\nMAIL FROM:<s@example.net>\r\nRCPT TO:<alice@example.com>\r\nDATA\r\nSubject: slow\r\n\r\nfirst half\r\n' >&5
	# Wait until its file is open (the 354 is the sign).
	for i in $(seq 1 50); do
		IFS= read -r -t 10 line <&6
		[[ $line == 354* ]] && break
	done
	[[ $line == 354* ]]
	[ "$(ls "$(box)/tmp" | wc -l)" -eq "$want" ]
	run login_status hostB
	[[ ${lines[0]} == "+OK Maildrop has 0 messages"* ]]
	[ "$(ls "$(box)/tmp" | wc -l)" -eq "$want" ]
	printf 'second half\r\n.\r\nQUIT\r\n' >&5
	for i in $(seq 1 10); do
		IFS= read -r -t 10 line <&6 || break
		[[ $line == 221* ]] && break
	done
	exec 5>&- 6<&-
	[ "$(count "$BOX_NAME")" -eq 1 ]
	grep -q 'second half' "$(message_file "$BOX_NAME")"
	run login_status hostB
	[[ ${lines[0]} == "+OK Maildrop has 1 messages"* ]]
	[ -z "$(ls "$(box)/tmp")" ]
}

@test "a delivery in progress on host A has no name in tmp/, survives host B's logins and arrives whole" {
	need_root
	need_tmpfile
	in_progress 0 "$BIN/smtp-handler"
}

@test "a delivery in progress on host A through a named file (no O_TMPFILE, as on NFS) survives host B's logins" {
	need_root
	command -v strace >/dev/null ||
	    skip "strace is not installed (Debian package: strace)"
	make_box
	# The first openat through tmp/'s descriptor is the O_TMPFILE.
	in_progress 1 env ASAN_OPTIONS=detect_leaks=0 strace -f -qq -o /dev/null \
	    -P "$(box)/tmp" -e trace=openat \
	    -e inject=openat:error=EOPNOTSUPP:when=1 \
	    "$REAL_BIN/smtp-handler" "${AS_USER[@]}"
}

# fsyncs HOST: deliver one message to alice on HOST under strace and print
# the directories it fsynced, one a line, as paths below the store.
fsyncs() {
	command -v strace >/dev/null ||
	    skip "strace is not installed (Debian package: strace)"
	printf 'HELO c.test\nMAIL FROM:<s@example.net>\nRCPT TO:<alice@example.com>\nDATA\nSubject: s\n\nbody\n.\nQUIT\n' |
	    crlf >"$T/session"
	on_host "$1" env ASAN_OPTIONS=detect_leaks=0 strace -f -qq -y \
	    -e trace=fsync -o "$T/fsync.trace" "$REAL_BIN/smtp-handler" \
	    "${AS_USER[@]}" -u "$USERS" -d "$STORE" -n "$1" \
	    <"$T/session" >/dev/null
	sed -n 's/^[0-9]* *fsync([0-9]*<\(.*\)>).*/\1/p' "$T/fsync.trace" |
	    sed "s|^$STORE|STORE|"
}

@test "a mailbox host A made durable is not synced again by host B; without its mark, host B syncs it" {
	need_root
	run fsyncs hostA
	echo "$output"
	# The new mailbox: the store's entry, the mailbox, then the message.
	[[ $output == *"STORE/alice@example.com"$'\n'* ]]
	[ -f "$(box)/.mailstore-synced" ]
	run fsyncs hostB
	echo "$output"
	# The mark is in the shared store: only the message file and new/.
	[ "$(printf '%s\n' "$output" | grep -cx 'STORE/alice@example.com')" -eq 0 ]
	[ "$(printf '%s\n' "$output" | grep -cx 'STORE/alice@example.com/new')" -eq 1 ]
	rm "$(box)/.mailstore-synced"
	run fsyncs hostB
	echo "$output"
	[ "$(printf '%s\n' "$output" | grep -cx 'STORE/alice@example.com')" -eq 1 ]
	[ -f "$(box)/.mailstore-synced" ]
	[ "$(count "$BOX_NAME")" -eq 3 ]
}
