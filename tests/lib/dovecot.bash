# A private Dovecot for the interop tests (maildir_interop.bats,
# quota.bats): no network listeners, one static user, its files in $T.
# Needs root: Dovecot's master runs as root and refuses uid 0 for mail.

# dovecot_need: skip the test where Dovecot cannot run.
dovecot_need() {
	[ "$(id -u)" -eq 0 ] || skip "needs root"
	command -v doveadm >/dev/null || skip "needs doveadm (dovecot-core)"
}

# dovecot_start LOCATION UID GID HOME [PLUGIN-LINES]: start it with
# mail_location LOCATION for a user of UID and GID whose home is HOME;
# PLUGIN-LINES, if given, are put in the configuration as they are.
dovecot_start() {
	dovecot_need
	chmod 755 "$T"
	mkdir -p "$T/dcbase" "$T/dcstate"
	cat >"$T/dovecot.conf" <<CONF
protocols =
ssl = no
log_path = $T/dovecot.log
base_dir = $T/dcbase
state_dir = $T/dcstate
mail_location = $1
${5:-}
userdb {
  driver = static
  args = uid=$2 gid=$3 home=$4
}
passdb {
  driver = static
  args = nopassword=y
}
CONF
	timeout 10 dovecot -c "$T/dovecot.conf"
	DOVECOT=1
}

doveadm_() {
	timeout 20 doveadm -c "$T/dovecot.conf" -o stats_writer_socket_path= "$@"
}

# dovecot_stop: stop it, if a test started it; for teardown.
dovecot_stop() {
	if [ -n "${DOVECOT:-}" ]; then
		timeout 10 doveadm -c "$T/dovecot.conf" stop 2>/dev/null || true
	fi
}
