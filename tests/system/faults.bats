#!/usr/bin/env bats
# Faults: a full disk, failing system calls (strace -e inject), kill -9 at
# every step of a delivery and of the POP3 UPDATE state, a read-only
# store, a users file that goes away, a tmp/ or new/ that is not a
# directory, and a file-size limit.  Each fault must get a temporary
# failure (451 4.3.0 or -ERR [SYS/TEMP]), never 250; no partial message
# may be visible in new/ or cur/; tmp/ must be empty whenever the handler
# lived to clean it; and the next delivery must work.  Needs root (mount,
# strace fault injection).

load ../lib/helper

# Keep the helper's teardown and unmount what a test mounted before it.
eval "helper_$(declare -f teardown)"

teardown() {
	local m
	exec 5>&- 6<&-
	for m in ${MOUNTS:-}; do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
	done
	helper_teardown
}

# need_root: skip the test, saying why, unless we are root with strace.
need_root() {
	[ "$(id -u)" -eq 0 ] ||
	    skip "needs root for mount and strace fault injection"
	command -v strace >/dev/null ||
	    skip "strace is not installed (Debian package: strace)"
}

# STRACE: strace, with LeakSanitizer off in a sanitizer build (BIN=san),
# since it cannot work under ptrace.
STRACE="env ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 strace"

# mount_tmpfs DIR SIZE: a fresh tmpfs of SIZE on DIR, unmounted at
# teardown; its root belongs to the user the handlers run as.
mount_tmpfs() {
	local owner=
	if [ -n "$RUN_AS" ]; then
		owner=,uid=$(id -u "$RUN_AS"),gid=$(id -g "$RUN_AS")
	fi
	mkdir -p "$1"
	mount -t tmpfs -o "size=$2,mode=0700$owner" tmpfs "$1"
	MOUNTS="$1 ${MOUNTS:-}"
}

# mount_ro DIR: make DIR read-only with a read-only bind mount on itself.
mount_ro() {
	mount --bind "$1" "$1"
	MOUNTS="$1 ${MOUNTS:-}"
	mount -o remount,bind,ro "$1"
}

# session: the SMTP (or POP3) script on stdin, CRLF-ended, into
# $T/session, a regular file, so that every run reads it in the same
# chunks and makes the same system calls.
session() {
	crlf >"$T/session"
}

# one_message FROM SUBJECT BODYFILE: the lines of one SMTP transaction to
# alice, with the body from BODYFILE (LF-ended, no dot lines).
one_message() {
	printf 'MAIL FROM:<%s>\nRCPT TO:<alice@example.com>\nDATA\n' "$1"
	printf 'Subject: %s\n\n' "$2"
	cat "$3"
	printf '.\n'
}

# body N: N lines of text, about 80 octets each, into $T/body.N.
body() {
	awk -v n="$1" 'BEGIN { for (i = 1; i <= n; i++)
		printf "line %06d the quick brown fox jumps over the lazy dog " \
		    "0123456789abcdef\n", i }' >"$T/body.$1"
}

# two_messages: a session in $T/session with a first message (the one
# the fault hits, $T/body.LINES1) and a second one (a short body in
# $T/second) in the same session, then NOOP and QUIT.  The expected
# replies are "220 250 250 250 354 451 250 250 354 250 250 221".
two_messages() {
	body "$1"
	printf 'second message\nafter the fault\n' >"$T/second"
	{
		echo 'HELO client.test'
		one_message first@example.net first "$T/body.$1"
		one_message second@example.net second "$T/second"
		echo NOOP
		echo QUIT
	} | session
}

# The handlers in this file are the programs themselves, from $REAL_BIN,
# run as $RUN_AS with -U, not the wrappers in $BIN: strace would see the
# wrapper's shell as well, and its system calls count in "when=".

# run_smtp [PREFIX...]: run the SMTP session in $T/session, the handler
# started through PREFIX (strace, prlimit).
run_smtp() {
	run timeout 30 "$@" "$REAL_BIN/smtp-handler" "${AS_USER[@]}" \
	    -u "$USERS" -d "$STORE" -n mx.test <"$T/session"
}

# STRACE_ALSO: strace -e inject options that call_index and inject add to
# theirs, so that both runs make the same calls (see named_file), and
# TRACE_ALSO the system calls they name: strace injects only into calls
# it traces.
STRACE_ALSO=()
TRACE_ALSO=

# call_index HANDLER SYSCALL REGEX [N]: among the SYSCALL calls of one run
# of HANDLER with $T/session as input, the ordinal of the Nth (default
# first) whose strace -y line matches the extended REGEX.  The run is made
# on a copy of the store, so the real run starts from the same state and
# makes the same calls.
call_index() {
	rm -rf "$T/scratch"
	mkdir "$T/scratch"
	cp -a "$STORE" "$T/scratch/"
	timeout 30 $STRACE -f -qq -y -o "$T/count.trace" \
	    -e trace="$2$TRACE_ALSO" "${STRACE_ALSO[@]}" \
	    "$REAL_BIN/$1" "${AS_USER[@]}" -u "$USERS" \
	    -d "$T/scratch/${STORE##*/}" -n mx.test \
	    <"$T/session" >/dev/null 2>&1 || true
	LC_ALL=C awk -v sc="$2(" -v re="$3" -v want="${4:-1}" '
		{ sub(/^[0-9]+ +/, "") }
		index($0, sc) == 1 { n++; if ($0 ~ re && ++m == want) {
			print n; found = 1; exit } }
		END { exit !found }' "$T/count.trace"
}

# inject SYSCALL REGEX FAULT [N]: run the SMTP session in $T/session with
# FAULT (e.g. error=EIO, signal=KILL) injected into the Nth (default
# first) SYSCALL call whose strace -y line matches REGEX, and check from
# the trace that it was such a call that was hit.
inject() {
	local k
	k=$(call_index smtp-handler "$1" "$2" "${4:-1}")
	[ -n "$k" ]
	run_smtp $STRACE -f -qq -y -o "$T/inject.trace" \
	    -e trace="$1$TRACE_ALSO" "${STRACE_ALSO[@]}" \
	    -e inject="$1:$3:when=$k"
	injected "$1" "$2"
}

# injected SYSCALL REGEX: the SYSCALL call that strace hit (an error
# marked INJECTED, or the call a signal killed) matches REGEX.
injected() {
	local line
	line=$(grep -E "^[0-9]+ +$1\\(" "$T/inject.trace" |
	    grep -E '\(INJECTED\)$|= \?$' | head -n 1)
	echo "injected into: $line"
	[[ $line =~ ^[0-9]+\ +$1\( ]] && [[ $line =~ $2 ]]
}

# The strace -y spellings of the calls a delivery makes.  The message file
# is an O_TMPFILE in tmp/ ("tmp/#INODE (deleted)"), or where the kernel or
# filesystem refuses that, a named file in tmp/.
TMPFILE='@example\.com/tmp/[^/>]+>'	# the message file in tmp/
TMPDIR_='@example\.com/tmp>'		# tmp/ itself
NEWDIR='@example\.com/new>'		# new/ itself
ANON_OPEN="$TMPDIR_, \"\\.\", .*O_TMPFILE"	# the O_TMPFILE open
NAMED_OPEN="$TMPDIR_, .*O_CREAT"	# the named file's open

# named_file: from now on, the session's O_TMPFILE open fails with
# EOPNOTSUPP, as on NFS, so that its message goes through a named file in
# tmp/.  Call it after the session is written.
named_file() {
	local k
	STRACE_ALSO=()
	TRACE_ALSO=
	k=$(call_index smtp-handler openat "$ANON_OPEN")
	[ -n "$k" ]
	STRACE_ALSO=(-e inject="openat:error=EOPNOTSUPP:when=$k")
	TRACE_ALSO=,openat
}

# linked_by_name: the trace of linkat and unlinkat shows a message linked
# from its name in tmp/ into new/, and that name removed.
linked_by_name() {
	grep -Eq "^[0-9]+ +linkat\\([0-9]+<[^>]*$TMPDIR_, \"[^\"]+\", [0-9]+<[^>]*$NEWDIR" \
	    "$T/inject.trace"
	grep -Eq "^[0-9]+ +unlinkat\\([0-9]+<[^>]*$TMPDIR_, .* = 0$" "$T/inject.trace"
}

# only_second: alice has exactly one message, the second one, byte for
# byte, and tmp/ is empty.
only_second() {
	{ printf 'Subject: second\n\n'; cat "$T/second"; } |
	    stored_body_is alice@example.com
	[ -z "$(tmp_files)" ]
}

# fault_replies: the first message got 451 4.3.0, the rest of the session
# went on normally and the handler ended with 0.
fault_replies() {
	echo "$output"
	[ "$(codes)" = "220 250 250 250 354 451 250 250 354 250 250 221" ]
	[[ "$(reply 6)" == "451 4.3.0 "* ]]
	[ "$status" -eq 0 ]
}

# deliver_ok SUBJECT: one more delivery to alice in a new session gets 250.
deliver_ok() {
	printf 'fine\n' >"$T/ok"
	run smtp < <(echo 'HELO client.test'
	    one_message ok@example.net "$1" "$T/ok"; echo QUIT)
	echo "$output"
	[ "$(codes)" = "220 250 250 250 354 250 221" ]
}

# helper.bash's smtp_start with the program itself ($REAL_BIN, as
# AS_USER) under a command prefix (strace, prlimit) given as arguments,
# and no timeout of its own: the tests kill it.  smtp_say and
# smtp_expect are helper.bash's.  SMTP_PID is the handler.
smtp_start() {
	rm -f "$T/smtp.in" "$T/smtp.out"
	mkfifo "$T/smtp.in" "$T/smtp.out"
	exec 5<>"$T/smtp.in"
	"$@" "$REAL_BIN/smtp-handler" "${AS_USER[@]}" -u "$USERS" -d "$STORE" \
	    -n mx.test <"$T/smtp.in" >"$T/smtp.out" 2>>"$T/smtp.err" \
	    3>&- 5>&- 7>&- 8>&- &
	SMTP_PID=$!
	PIDS="${PIDS:-} $SMTP_PID"
	exec 6<"$T/smtp.out"
}

# wait_exit PID [SECONDS]: wait up to SECONDS (default 10) for PID, a
# child of this shell, to end; its status goes to EXIT_STATUS.
wait_exit() {
	local i state
	for i in $(seq 1 $(( ${2:-10} * 10 ))); do
		state=$(sed 's/^.*) \(.\).*/\1/' "/proc/$1/stat" 2>/dev/null ||
		    echo X)
		case $state in
		X|Z) EXIT_STATUS=0; wait "$1" || EXIT_STATUS=$?; return 0 ;;
		esac
		sleep 0.1
	done
	echo "wait_exit: $1 still running after ${2:-10} s" >&2
	return 1
}

# A full disk

@test "a message bigger than a full disk gets 451 4.3.0, leaves no file, and the next message gets 250" {
	need_root
	mount_tmpfs "$STORE" 256k
	two_messages 5000	# about 400 KB
	run_smtp
	fault_replies
	only_second
	deliver_ok after
	[ "$(count alice@example.com)" -eq 2 ]
}

@test "a disk already full gets 451 4.3.0; once space is freed the next message gets 250" {
	need_root
	mount_tmpfs "$STORE" 256k
	deliver_ok before
	dd if=/dev/zero of="$STORE/filler" bs=4k 2>/dev/null || true
	[ "$(df --output=avail -k "$STORE" | tail -n 1 | tr -d ' ')" -eq 0 ]
	printf 'small\n' >"$T/small"
	run smtp < <(echo 'HELO client.test'
	    one_message s@example.net small "$T/small"; echo NOOP; echo QUIT)
	echo "$output"
	[ "$(codes)" = "220 250 250 250 354 451 250 221" ]
	[[ "$(reply 6)" == "451 4.3.0 "* ]]
	[ "$(count alice@example.com)" -eq 1 ]
	[ -z "$(tmp_files)" ]
	rm "$STORE/filler"
	deliver_ok after
	[ "$(count alice@example.com)" -eq 2 ]
	[ -z "$(tmp_files)" ]
}

# Failing system calls (strace -e inject), each on the first message of a
# session; the second message of the same session must get 250.

@test "ENOSPC on the first write of the message file gets 451 and the next message 250" {
	need_root
	two_messages 10
	inject write "$TMPFILE" error=ENOSPC
	fault_replies
	only_second
}

@test "ENOSPC on a write in the middle of a large message gets 451, the partial file is removed" {
	need_root
	two_messages 3000	# about 240 KB: several writes of the file
	# The second write of the file: the first part is already on disk.
	inject write "$TMPFILE" error=ENOSPC 2
	fault_replies
	only_second
}

@test "EIO on write of the message file gets 451 and the next message 250" {
	need_root
	two_messages 10
	inject write "$TMPFILE" error=EIO
	fault_replies
	only_second
}

@test "ENOSPC on fsync of the message file gets 451 and the next message 250" {
	need_root
	two_messages 10
	inject fsync "$TMPFILE" error=ENOSPC
	fault_replies
	only_second
}

@test "EIO on fsync of the message file gets 451 and the next message 250" {
	need_root
	two_messages 10
	inject fsync "$TMPFILE" error=EIO
	fault_replies
	only_second
}

@test "EIO on close of the message file gets 451 and the next message 250" {
	need_root
	two_messages 10
	inject close "$TMPFILE" error=EIO
	fault_replies
	only_second
}

@test "ENOSPC on close of the message file gets 451 and the next message 250" {
	need_root
	two_messages 10
	inject close "$TMPFILE" error=ENOSPC
	fault_replies
	only_second
}

@test "EIO on link into new/ gets 451 and the next message 250" {
	need_root
	two_messages 10
	inject linkat "$NEWDIR" error=EIO
	fault_replies
	only_second
}

@test "EIO on the fsync of new/ after the link removes the link and gets 451" {
	need_root
	two_messages 10
	inject fsync "$NEWDIR" error=EIO
	fault_replies
	only_second
}

@test "EIO on the second recipient's link removes the first: all or none" {
	need_root
	printf 'to two\n' >"$T/two"
	{
		echo 'HELO client.test'
		echo 'MAIL FROM:<s@example.net>'
		echo 'RCPT TO:<alice@example.com>'
		echo 'RCPT TO:<Bob.Smith@Example.COM>'
		echo DATA
		cat "$T/two"
		echo .
		echo QUIT
	} | session
	mkdir -p "$(maildir Bob.Smith@Example.COM)"/{tmp,new,cur}
	own -R "$(maildir Bob.Smith@Example.COM)"
	inject linkat 'Bob\.Smith@Example\.COM/new>' error=EIO
	echo "$output"
	[ "$(codes)" = "220 250 250 250 250 354 451 221" ]
	[[ "$(reply 7)" == "451 4.3.0 "* ]]
	[ -z "$(all_messages)" ]
	[ -z "$(tmp_files)" ]
}

@test "EIO on the fsync of the second recipient's new/ removes both links" {
	need_root
	printf 'to two\n' >"$T/two"
	{
		echo 'HELO client.test'
		echo 'MAIL FROM:<s@example.net>'
		echo 'RCPT TO:<alice@example.com>'
		echo 'RCPT TO:<Bob.Smith@Example.COM>'
		echo DATA
		cat "$T/two"
		echo .
		echo QUIT
	} | session
	mkdir -p "$(maildir Bob.Smith@Example.COM)"/{tmp,new,cur}
	own -R "$(maildir Bob.Smith@Example.COM)"
	inject fsync 'Bob\.Smith@Example\.COM/new>' error=EIO
	echo "$output"
	[ "$(codes)" = "220 250 250 250 250 354 451 221" ]
	[ -z "$(all_messages)" ]
	[ -z "$(tmp_files)" ]
}

# A directory made by a delivery whose fsync failed is not known to be
# on disk: the next delivery must not take it for durable because it
# exists (README: 250 only once the message and its directory entries
# are on disk).

# fsync_redone REGEX: fail the first fsync matching REGEX in one
# delivery, then check that the next delivery fsyncs it again before 250.
fsync_redone() {
	printf 'HELO client.test\nMAIL FROM:<s@example.net>\n%s\nDATA\nQUIT\n' \
	    'RCPT TO:<alice@example.com>' | session
	inject fsync "$1" error=EIO
	echo "$output"
	[ "$(codes)" = "220 250 250 250 451 221" ]
	printf 'again\n' >"$T/ok"
	{ echo 'HELO client.test'
	    one_message ok@example.net again "$T/ok"; echo QUIT; } | session
	run_smtp $STRACE -f -qq -y -o "$T/next.trace" -e trace=fsync
	echo "$output"
	[ "$(codes)" = "220 250 250 250 354 250 221" ]
	cat "$T/next.trace"
	grep -Eq "^[0-9]+ +fsync\(.*$1" "$T/next.trace"
}

@test "after EIO on the fsync of the store that made a mailbox, the next delivery fsyncs the store again" {
	need_root
	fsync_redone 'mail\.store>'
}

@test "after EIO on the fsync of a new mailbox's subdirectories, the next delivery fsyncs the mailbox again" {
	need_root
	# The first fsync of the store succeeds; fail the mailbox's.
	fsync_redone '@example\.com>'
}

@test "EIO on opening the message file in tmp/ gets 451 at DATA and the session goes on" {
	need_root
	two_messages 10
	# EIO both for the O_TMPFILE and for the named file after it.
	k=$(call_index smtp-handler openat "$ANON_OPEN")
	[ -n "$k" ]
	run_smtp $STRACE -f -qq -y -o "$T/inject.trace" -e trace=openat \
	    -e inject="openat:error=EIO:when=$k..$((k + 1))"
	grep INJECTED "$T/inject.trace"
	[ "$(grep -c INJECTED "$T/inject.trace")" -eq 2 ]
	grep INJECTED "$T/inject.trace" | head -n 1 | grep -Eq "$ANON_OPEN"
	grep INJECTED "$T/inject.trace" | tail -n 1 | grep -Eq "$NAMED_OPEN"
	echo "$output"
	# The store is opened before 354, so DATA itself is refused and the
	# body lines come as commands; the second transaction still works.
	[[ "$(reply 5)" == "451 4.3.0 "* ]]
	[[ " $(codes) " == *" 250 354 250 250 221 " ]]
	only_second
}

@test "where O_TMPFILE is refused (EOPNOTSUPP, as on NFS) the message goes through a named file in tmp/" {
	need_root
	two_messages 10
	named_file
	run_smtp $STRACE -f -qq -y -o "$T/inject.trace" \
	    -e trace=openat,linkat,unlinkat "${STRACE_ALSO[@]}"
	echo "$output"
	cat "$T/inject.trace"
	[ "$(codes)" = "220 250 250 250 354 250 250 250 354 250 250 221" ]
	[ "$status" -eq 0 ]
	# The first message: refused, then a named file linked and removed.
	grep -Eq "^[0-9]+ +openat\\(.*$ANON_OPEN.*EOPNOTSUPP.*\\(INJECTED\\)$" \
	    "$T/inject.trace"
	grep -Eq "^[0-9]+ +openat\\(.*$NAMED_OPEN" "$T/inject.trace"
	linked_by_name
	# The second: an O_TMPFILE again, linked through /proc.
	[ "$(grep -Ec "^[0-9]+ +openat\\(.*$ANON_OPEN.* = [0-9]+<" "$T/inject.trace")" -eq 1 ]
	grep -Eq "^[0-9]+ +linkat\\(AT_FDCWD[^,]*, \"/proc/self/fd/[0-9]+\", [0-9]+<[^>]*$NEWDIR" \
	    "$T/inject.trace"
	[ "$(count alice@example.com)" -eq 2 ]
	[ "$(grep -l '^Subject: first$' $(all_messages) | wc -l)" -eq 1 ]
	[ "$(grep -l '^Subject: second$' $(all_messages) | wc -l)" -eq 1 ]
	[ -z "$(tmp_files)" ]
}

@test "where /proc/self/fd does not lead back to the O_TMPFILE, the message goes through a named file" {
	need_root
	two_messages 10
	TRACE_ALSO=,linkat,unlinkat
	inject newfstatat '"/proc/self/fd/[0-9]+"' error=ENOENT
	echo "$output"
	cat "$T/inject.trace"
	[ "$(codes)" = "220 250 250 250 354 250 250 250 354 250 250 221" ]
	# The first message: linked from its name in tmp/, which is removed.
	linked_by_name
	[ "$(count alice@example.com)" -eq 2 ]
	[ "$(grep -l '^Subject: first$' $(all_messages) | wc -l)" -eq 1 ]
	[ -z "$(tmp_files)" ]
}

# kill -9 at every step of a delivery: afterwards new/ holds the complete
# message or nothing, and tmp/ at most one orphan.

# kill_at SYSCALL REGEX [N]: a session with one message whose handler is
# killed on entering the Nth (default first) SYSCALL matching REGEX; the
# body is in $T/killbody.  With NAMED=1, through a named file (named_file).
kill_at() {
	body 50
	cp "$T/body.50" "$T/killbody"
	{
		echo 'HELO client.test'
		one_message k@example.net killed "$T/killbody"
		echo QUIT
	} | session
	STRACE_ALSO=()
	TRACE_ALSO=
	[ "${NAMED:-}" != 1 ] || named_file
	inject "$1" "$2" signal=KILL "${3:-1}"
	echo "$output"
	[ "$status" -eq 137 ]
	[[ $output != *"delivered as"* ]]
}

# complete_or_nothing WANT: WANT is "nothing" or "complete"; the store
# holds that, and the next delivery works.
complete_or_nothing() {
	if [ "$1" = nothing ]; then
		[ -z "$(all_messages)" ]
	else
		{ printf 'Subject: killed\n\n'; cat "$T/killbody"; } |
		    stored_body_is alice@example.com
	fi
	[ "$(tmp_files | wc -l)" -le 1 ]
	deliver_ok next
}

@test "kill -9 on opening the file in tmp/: nothing delivered, the next delivery works" {
	need_root
	kill_at openat "$ANON_OPEN"
	[ -z "$(tmp_files)" ]
	complete_or_nothing nothing
}

@test "kill -9 on the first write of the file: nothing in new/, the next delivery works" {
	need_root
	kill_at write "$TMPFILE"
	complete_or_nothing nothing
}

@test "kill -9 in the middle of DATA: nothing in new/, the next delivery works" {
	need_root
	smtp_start
	smtp_expect 220
	smtp_say HELO client.test;		smtp_expect 250
	smtp_say 'MAIL FROM:<k@example.net>';	smtp_expect 250
	smtp_say 'RCPT TO:<alice@example.com>';	smtp_expect 250
	smtp_say DATA;				smtp_expect 354
	smtp_say 'Subject: half'
	smtp_say ''
	smtp_say 'the first half'
	sleep 0.3
	kill -9 "$SMTP_PID"
	wait_exit "$SMTP_PID"
	[ "$EXIT_STATUS" -eq 137 ]
	[ -z "$(all_messages)" ]
	[ "$(tmp_files | wc -l)" -le 1 ]
	deliver_ok next
	[ "$(count alice@example.com)" -eq 1 ]
}

@test "kill -9 on fsync of the file: nothing in new/ or tmp/, the next delivery works" {
	need_root
	need_tmpfile
	kill_at fsync "$TMPFILE"
	[ -z "$(tmp_files)" ]
	complete_or_nothing nothing
}

@test "kill -9 on fsync of a named file: nothing in new/, the file in tmp/" {
	need_root
	NAMED=1 kill_at fsync "$TMPFILE"
	[ "$(tmp_files | wc -l)" -eq 1 ]
	complete_or_nothing nothing
}

@test "kill -9 on close of the file after its link: the complete message" {
	need_root
	kill_at close "$TMPFILE"
	complete_or_nothing complete
}

@test "kill -9 on the link into new/: nothing in new/" {
	need_root
	kill_at linkat "$NEWDIR"
	complete_or_nothing nothing
}

@test "kill -9 on the fsync of new/ after the link: the complete message" {
	need_root
	kill_at fsync "$NEWDIR"
	complete_or_nothing complete
}

@test "kill -9 on removing a named file from tmp/: the complete message" {
	need_root
	NAMED=1 kill_at unlinkat "$TMPDIR_"
	complete_or_nothing complete
}

@test "kill -9 before the 250 is sent: the complete message, tmp/ empty" {
	need_root
	# Replies are sent when the input is used up, so the 250 goes out
	# in the last write to the client, the first one after the commit.
	kill_at write 'write\(1<' 2
	[ -z "$(tmp_files)" ]
	complete_or_nothing complete
}

# The orphan rule: files in tmp/ older than 36 hours are removed at the
# next delivery through that tmp/ or the next POP3 login.

# two_orphans: kill two deliveries through named files after the file is
# written, leaving two orphans in alice's tmp/; make the first 37 hours old.  OLD and FRESH
# are their paths.
two_orphans() {
	NAMED=1 kill_at fsync "$TMPFILE"
	NAMED=1 kill_at fsync "$TMPFILE"
	[ "$(tmp_files | wc -l)" -eq 2 ]
	OLD=$(tmp_files | sed -n 1p)
	FRESH=$(tmp_files | sed -n 2p)
	touch -d '37 hours ago' "$OLD"
	[ -z "$(all_messages)" ]
}

@test "an orphan in tmp/ older than 36 hours is removed by the next delivery, a fresh one stays" {
	need_root
	two_orphans
	deliver_ok next
	[ ! -e "$OLD" ]
	[ -f "$FRESH" ]
	[ "$(count alice@example.com)" -eq 1 ]
}

@test "an orphan in tmp/ older than 36 hours is removed by the next POP3 login, a fresh one stays" {
	need_root
	two_orphans
	run pop3 <<'EOF'
USER alice@example.com
PASS alicepw
STAT
QUIT
EOF
	echo "$output"
	[ "$(status)" = "+OK +OK +OK +OK +OK" ]
	[ ! -e "$OLD" ]
	[ -f "$FRESH" ]
}

@test "an orphan 35 hours old stays" {
	need_root
	two_orphans
	touch -d '35 hours ago' "$FRESH"
	deliver_ok next
	[ ! -e "$OLD" ]
	[ -f "$FRESH" ]
}

# POP3

# three_in_new: three messages for alice, delivered by the SMTP handler;
# MSG1 MSG2 MSG3 are their paths in the order POP3 numbers them.
three_in_new() {
	local i
	for i in 1 2 3; do
		printf 'message %s\n' "$i" >"$T/m$i"
		run smtp < <(echo 'HELO client.test'
		    one_message s@example.net "m$i" "$T/m$i"; echo QUIT)
		[ "$(codes)" = "220 250 250 250 354 250 221" ]
		sleep 0.01
	done
	# POP3's order (by time, microseconds compared as numbers), which
	# sorting the names as text does not always give.
	pop3_fetch alice@example.com alicepw UIDL | tr -d '\r' >"$T/uidl"
	MSG1=$(ls "$(maildir alice@example.com)"/new/"$(sed -n 's/^1 //p' "$T/uidl")",*)
	MSG2=$(ls "$(maildir alice@example.com)"/new/"$(sed -n 's/^2 //p' "$T/uidl")",*)
	MSG3=$(ls "$(maildir alice@example.com)"/new/"$(sed -n 's/^3 //p' "$T/uidl")",*)
	[ -f "$MSG1" ] && [ -f "$MSG2" ] && [ -f "$MSG3" ]
}

# pop3_stat_is N: a new session logs in and STAT says N messages.
pop3_stat_is() {
	run pop3 <<'EOF'
USER alice@example.com
PASS alicepw
STAT
QUIT
EOF
	echo "$output"
	[ "$(status)" = "+OK +OK +OK +OK +OK" ]
	[[ $(pop3_line 4) == "+OK $1 "* ]]
}

@test "a dropped POP3 connection with deletions pending deletes nothing and frees the lock" {
	need_root
	three_in_new
	pop3_start
	pop3_login alice@example.com alicepw
	pop3_say DELE 1;	pop3_expect "+OK"
	pop3_say DELE 3;	pop3_expect "+OK"
	exec 7>&- 8<&-
	pop3_wait
	[ "$POP3_STATUS" -eq 1 ]
	[ -f "$MSG1" ] && [ -f "$MSG2" ] && [ -f "$MSG3" ]
	pop3_stat_is 3
}

@test "kill -9 of POP3 in the middle of a RETR with a deletion pending deletes nothing and frees the lock" {
	need_root
	body 20000	# about 1.6 MB, more than any pipe holds
	for m in big small; do
		[ $m = big ] && cp "$T/body.20000" "$T/$m" || echo small >"$T/$m"
		run smtp < <(echo 'HELO client.test'
		    one_message s@example.net $m "$T/$m"; echo QUIT)
		[ "$(codes)" = "220 250 250 250 354 250 221" ]
		sleep 0.01
	done
	pop3_start
	pop3_login alice@example.com alicepw
	pop3_say DELE 2;	pop3_expect "+OK"
	pop3_say RETR 1;	pop3_expect "+OK"
	kill -9 "$POP3_PID"
	pop3_wait
	[ "$POP3_STATUS" -eq 137 ]
	[ "$(count alice@example.com)" -eq 2 ]
	pop3_stat_is 2
}

@test "a crash in the middle of UPDATE removes only the messages marked deleted" {
	need_root
	three_in_new
	printf 'USER alice@example.com\nPASS alicepw\nDELE 1\nDELE 3\nQUIT\n' |
	    session
	local k
	k=$(call_index pop3-handler unlinkat "$(basename "$MSG3")")
	[ "$k" -eq 2 ]
	run timeout 30 $STRACE -f -qq -y -o "$T/inject.trace" -e trace=unlinkat \
	    -e inject="unlinkat:signal=KILL:when=$k" \
	    "$REAL_BIN/pop3-handler" "${AS_USER[@]}" -u "$USERS" -d "$STORE" \
	    -n mx.test <"$T/session"
	echo "$output"
	injected unlinkat "$(basename "$MSG3")"
	[ "$status" -eq 137 ]
	[ ! -e "$MSG1" ]
	[ -f "$MSG2" ]
	[ -f "$MSG3" ]
	pop3_stat_is 2
}

@test "EIO on an unlink in UPDATE gets -ERR [SYS/TEMP], removes nothing unmarked, and frees the lock" {
	need_root
	three_in_new
	printf 'USER alice@example.com\nPASS alicepw\nDELE 2\nQUIT\n' |
	    session
	run timeout 30 $STRACE -f -qq -y -o "$T/inject.trace" -e trace=unlinkat \
	    -e inject="unlinkat:error=EIO:when=1" \
	    "$REAL_BIN/pop3-handler" "${AS_USER[@]}" -u "$USERS" -d "$STORE" \
	    -n mx.test <"$T/session"
	echo "$output"
	injected unlinkat "$(basename "$MSG2")"
	[ "$(status)" = "+OK +OK +OK +OK -ERR" ]
	[[ $(pop3_line 5) == "-ERR [SYS/TEMP]"* ]]
	[ -f "$MSG1" ] && [ -f "$MSG2" ] && [ -f "$MSG3" ]
	pop3_stat_is 3
}

# A read-only store

@test "a read-only store gets 451 4.3.0 at DATA, and 250 once it is writable again" {
	need_root
	deliver_ok before
	mount_ro "$STORE"
	run smtp <<'EOF'
HELO client.test
MAIL FROM:<s@example.net>
RCPT TO:<alice@example.com>
DATA
NOOP
QUIT
EOF
	echo "$output"
	[ "$(codes)" = "220 250 250 250 451 250 221" ]
	[[ "$(reply 5)" == "451 4.3.0 "* ]]
	umount "$STORE"
	MOUNTS=
	[ "$(count alice@example.com)" -eq 1 ]
	[ -z "$(tmp_files)" ]
	deliver_ok after
	[ "$(count alice@example.com)" -eq 2 ]
}

@test "a read-only store gets 451 4.3.0 for a mailbox not made yet" {
	need_root
	mount_ro "$STORE"
	run smtp <<'EOF'
HELO client.test
MAIL FROM:<s@example.net>
RCPT TO:<alice@example.com>
DATA
QUIT
EOF
	echo "$output"
	[ "$(codes)" = "220 250 250 250 451 221" ]
	[ -z "$(find "$STORE" -mindepth 1)" ]
}

@test "QUIT on a read-only store gets -ERR [SYS/TEMP] and deletes nothing" {
	need_root
	three_in_new
	mount_ro "$STORE"
	run pop3 <<'EOF'
USER alice@example.com
PASS alicepw
DELE 1
QUIT
EOF
	echo "$output"
	[ "$(status)" = "+OK +OK +OK +OK -ERR" ]
	[[ $(pop3_line 5) == "-ERR [SYS/TEMP]"* ]]
	[ "$(count alice@example.com)" -eq 3 ]
}

# The users file goes away during a session

@test "the users file removed mid-session: RCPT gets 451 4.3.0, and 250 once it is back" {
	need_root
	smtp_start
	smtp_expect 220
	smtp_say HELO client.test;		smtp_expect 250
	smtp_say 'MAIL FROM:<s@example.net>';	smtp_expect 250
	mv "$USERS" "$T/users.saved"
	smtp_say 'RCPT TO:<alice@example.com>';	smtp_expect "451 4.3.0"
	mv "$T/users.saved" "$USERS"
	smtp_say 'RCPT TO:<alice@example.com>';	smtp_expect "250"
	smtp_say DATA;				smtp_expect 354
	smtp_say 'Subject: back'
	smtp_say ''
	smtp_say 'hello'
	smtp_say .;				smtp_expect "250 2.0.0"
	smtp_say QUIT;				smtp_expect 221
	wait_exit "$SMTP_PID"
	[ "$EXIT_STATUS" -eq 0 ]
	printf 'Subject: back\n\nhello\n' | stored_body_is alice@example.com
}

@test "the users file replaced by a directory mid-session: RCPT gets 451 4.3.0" {
	need_root
	smtp_start
	smtp_expect 220
	smtp_say HELO client.test;		smtp_expect 250
	smtp_say 'MAIL FROM:<s@example.net>';	smtp_expect 250
	mv "$USERS" "$T/users.saved"
	mkdir "$USERS"
	smtp_say 'RCPT TO:<alice@example.com>';	smtp_expect "451 4.3.0"
	smtp_say NOOP;				smtp_expect 250
	smtp_say QUIT;				smtp_expect 221
	wait_exit "$SMTP_PID"
	[ "$EXIT_STATUS" -eq 0 ]
	[ -z "$(all_messages)" ]
}

@test "the users file made unreadable mid-session (handler not root): RCPT gets 451 4.3.0" {
	need_root
	chmod 644 "$USERS"
	# Started as root with -U, the handler runs as $RUN_AS, whom mode
	# 000 shuts out (root would read the file all the same).
	smtp_start
	smtp_expect 220
	uid=$(id -u "$RUN_AS")
	[ "$(awk '/^Uid:/ { print $2, $3, $4, $5 }' "/proc/$SMTP_PID/status")" = \
	    "$uid $uid $uid $uid" ]
	smtp_say HELO client.test;		smtp_expect 250
	smtp_say 'MAIL FROM:<s@example.net>';	smtp_expect 250
	# A new file, so that the handler sees a change and reads it again.
	cp "$USERS" "$T/users.new"
	chmod 000 "$T/users.new"
	mv "$T/users.new" "$USERS"
	smtp_say 'RCPT TO:<alice@example.com>';	smtp_expect "451 4.3.0"
	smtp_say QUIT;				smtp_expect 221
	wait_exit "$SMTP_PID"
	[ -z "$(all_messages)" ]
}

@test "the users file missing at PASS gets -ERR [SYS/TEMP]" {
	need_root
	pop3_start
	pop3_expect "+OK"
	pop3_say USER alice@example.com;	pop3_expect "+OK"
	mv "$USERS" "$T/users.saved"
	pop3_say PASS alicepw;			pop3_expect "-ERR [SYS/TEMP]"
	mv "$T/users.saved" "$USERS"
	pop3_say QUIT;				pop3_expect "+OK"
}

# tmp/ and new/ that are not directories of the mailbox

# outside_dir: an empty directory outside the store with an old file in
# it, which a cleanup of tmp/ through a link would remove.  It belongs to
# the user the handlers run as, so that only the handler's care, not the
# file modes, keeps it from writing there.
outside_dir() {
	mkdir "$T/outside"
	touch -d '40 hours ago' "$T/outside/old"
	own -R "$T/outside"
}

outside_untouched() {
	[ "$(ls -A "$T/outside")" = old ]
}

@test "tmp/ replaced by a symlink to a directory outside the store: 451, nothing written or removed through it" {
	need_root
	deliver_ok before
	outside_dir
	rmdir "$(maildir alice@example.com)/tmp"
	ln -s "$T/outside" "$(maildir alice@example.com)/tmp"
	own "$(maildir alice@example.com)/tmp"
	run smtp <<'EOF'
HELO client.test
MAIL FROM:<s@example.net>
RCPT TO:<alice@example.com>
DATA
QUIT
EOF
	echo "$output"
	[ "$(codes)" = "220 250 250 250 451 221" ]
	outside_untouched
	run pop3 <<'EOF'
USER alice@example.com
PASS alicepw
STAT
QUIT
EOF
	echo "$output"
	outside_untouched
	[ "$(count alice@example.com)" -eq 1 ]
	rm "$(maildir alice@example.com)/tmp"
	mkdir "$(maildir alice@example.com)/tmp"
	own "$(maildir alice@example.com)/tmp"
	deliver_ok after
	[ "$(count alice@example.com)" -eq 2 ]
}

@test "tmp/ replaced by a regular file: 451, and the file is left alone" {
	need_root
	deliver_ok before
	rmdir "$(maildir alice@example.com)/tmp"
	printf 'not a directory\n' >"$(maildir alice@example.com)/tmp"
	own "$(maildir alice@example.com)/tmp"
	run smtp <<'EOF'
HELO client.test
MAIL FROM:<s@example.net>
RCPT TO:<alice@example.com>
DATA
QUIT
EOF
	echo "$output"
	[ "$(codes)" = "220 250 250 250 451 221" ]
	[ "$(cat "$(maildir alice@example.com)/tmp")" = "not a directory" ]
	[ "$(count alice@example.com)" -eq 1 ]
}

@test "new/ replaced by a symlink to a directory outside the store: 451, nothing linked through it" {
	need_root
	deliver_ok before
	outside_dir
	mv "$(maildir alice@example.com)/new" "$T/oldnew"
	ln -s "$T/outside" "$(maildir alice@example.com)/new"
	own "$(maildir alice@example.com)/new"
	run smtp <<'EOF'
HELO client.test
MAIL FROM:<s@example.net>
RCPT TO:<alice@example.com>
DATA
QUIT
EOF
	echo "$output"
	[ "$(codes)" = "220 250 250 250 451 221" ]
	outside_untouched
	[ -z "$(tmp_files)" ]
}

@test "the mailbox replaced by a symlink to a directory outside the store: 451, nothing written through it" {
	need_root
	outside_dir
	mkdir "$T/outside"/{tmp,new,cur}
	own "$T/outside"/{tmp,new,cur}
	ln -s "$T/outside" "$(maildir alice@example.com)"
	own "$(maildir alice@example.com)"
	run smtp <<'EOF'
HELO client.test
MAIL FROM:<s@example.net>
RCPT TO:<alice@example.com>
DATA
QUIT
EOF
	echo "$output"
	# RCPT reads the mailbox's quota, so the link is found there.
	[ "$(codes)" = "220 250 250 451 503 221" ]
	[[ "$(reply 4)" == "451 4.3.0 "* ]]
	[ -z "$(find "$T/outside" -type f ! -name old)" ]
}

# A file-size limit

@test "a 4096-octet file-size limit: a 20 KB message gets 451, the handler lives on and a small one gets 250" {
	need_root
	command -v prlimit >/dev/null || skip "needs prlimit (util-linux)"
	body 250	# about 20 KB
	printf 'small enough\n' >"$T/second"
	{
		echo 'HELO client.test'
		one_message first@example.net first "$T/body.250"
		echo NOOP
		one_message second@example.net second "$T/second"
		echo QUIT
	} | session
	run_smtp prlimit --fsize=4096 --
	echo "$output"
	[ "$status" -ne $((128 + 25)) ]
	[ "$(codes)" = "220 250 250 250 354 451 250 250 250 354 250 221" ]
	[[ "$(reply 6)" == "451 4.3.0 "* ]]
	[ "$status" -eq 0 ]
	only_second
}

@test "the users file missing at AUTH gets 454 4.7.0; the session goes on and a later AUTH works" {
	need_root
	smtp_start
	smtp_expect 220
	smtp_say EHLO client.test;		smtp_expect "250 "
	mv "$USERS" "$T/users.saved"
	# AUTH PLAIN of alice@example.com / alicepw
	smtp_say 'AUTH PLAIN AGFsaWNlQGV4YW1wbGUuY29tAGFsaWNlcHc='
	smtp_expect "454 4.7.0"
	mv "$T/users.saved" "$USERS"
	smtp_say 'AUTH PLAIN AGFsaWNlQGV4YW1wbGUuY29tAGFsaWNlcHc='
	smtp_expect "235 2.7.0"
	smtp_say QUIT;				smtp_expect 221
	wait_exit "$SMTP_PID"
}
