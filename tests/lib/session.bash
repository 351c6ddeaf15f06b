# An SMTP session a test drives one line at a time, to change files
# between two commands of one session (users.bats, aliases.bats).

# smtp_start [OPTION...]: start an SMTP session in the background that the
# test drives one line at a time: smtp_say writes to it (fd 5),
# smtp_expect reads its replies (fd 6).  The handler runs under timeout
# and with -t 20, so a session the test forgets cannot outlive it.
smtp_start() {
	rm -f "$T/smtp.in" "$T/smtp.out"
	mkfifo "$T/smtp.in" "$T/smtp.out"
	# Read-write, so that this open does not wait for the handler.
	exec 5<>"$T/smtp.in"
	timeout 30 "$BIN/smtp-handler" -u "$USERS" -d "$STORE" -n mx.test \
	    -t 20 "$@" <"$T/smtp.in" >"$T/smtp.out" 2>>"$T/smtp.err" \
	    3>&- 5>&- &
	SMTP_PID=$!
	PIDS="${PIDS:-} $SMTP_PID"
	exec 6<"$T/smtp.out"
}

# smtp_say LINE...: send one line, CRLF added, to the session.
smtp_say() {
	printf '%s\r\n' "$*" >&5
}

# smtp_expect PREFIX: read the next reply (10 s at most a line), skipping
# the continuation lines of a multi-line reply, and fail unless its final
# line starts with PREFIX.  The final line, without its CR, is left in
# SMTP_REPLY.
smtp_expect() {
	local i
	SMTP_REPLY=
	for i in $(seq 1 100); do
		if ! IFS= read -r -t 10 SMTP_REPLY <&6; then
			echo "smtp_expect: no reply, wanted '$1'" >&2
			return 1
		fi
		SMTP_REPLY=${SMTP_REPLY%$'\r'}
		[[ $SMTP_REPLY == [0-9][0-9][0-9]-* ]] || break
	done
	case $SMTP_REPLY in
	"$1"*) return 0 ;;
	esac
	echo "smtp_expect: got '$SMTP_REPLY', wanted '$1...'" >&2
	return 1
}

# smtp_wait: wait up to 10 s for the handler from smtp_start to exit; its
# exit status goes to SMTP_STATUS.
smtp_wait() {
	local i state
	for i in $(seq 1 100); do
		state=$(sed 's/^.*) \(.\).*/\1/' "/proc/$SMTP_PID/stat" 2>/dev/null || echo X)
		case $state in
		X|Z) SMTP_STATUS=0; wait "$SMTP_PID" || SMTP_STATUS=$?; return 0 ;;
		esac
		sleep 0.1
	done
	echo "smtp_wait: handler $SMTP_PID still running after 10 s" >&2
	return 1
}
