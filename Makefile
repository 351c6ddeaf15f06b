# Makefile for the mail system.  Plain make; the user's CFLAGS and LDFLAGS
# stay separate from the project's warning and hardening flags.
#
#   make            build everything
#   make run        start mysmtpd on 2525 and mypopd on 1100 (loopback)
#   make check      run the whole test suite, plain and sanitized builds
#   make test       the quick part: unit and protocol suites, plain build
#   make unit       the parsers' unit tests only
#   make sanitize   run the whole suite against an ASan/UBSan build in san/
#   make install    install under $(DESTDIR)$(PREFIX)

PREFIX	= /usr/local
BINDIR	= $(PREFIX)/bin
LIBEXECDIR = $(PREFIX)/lib/mailserver
MANDIR	= $(PREFIX)/share/man
DESTDIR	=

# Where make install puts the rest; the unit and xinetd files get BINDIR,
# CONFDIR and STATEDIR filled in.  CONFDIR holds users.txt.  STATEDIR is
# the store, which the units have systemd make (StateDirectory=), so it
# must be below /var/lib.  systemd-sysusers reads SYSUSERSDIR for both
# /usr and /usr/local.
SYSCONFDIR = /etc
CONFDIR	= $(SYSCONFDIR)/mailserver
STATEDIR = /var/lib/mailserver
UNITDIR	= /etc/systemd/system
XINETDDIR = $(SYSCONFDIR)/xinetd.d
SYSUSERSDIR = $(PREFIX)/lib/sysusers.d

# What install puts there besides the programs: the systemd units and
# xinetd files (from systemd/*.in and xinetd.d/*.in, with the paths
# filled in by SUBST) and every man page in man/.
UNITS	= smtp-handler.socket smtp-handler@.service \
	pop3-handler.socket pop3-handler@.service \
	mysmtpd.socket mysmtpd.service mypopd.socket mypopd.service \
	submission.socket submission@.service \
	submissions.socket submissions@.service \
	pop3s.socket pop3s@.service sendmail.socket sendmail@.service
XINETD	= smtp-handler pop3-handler
MANPAGES = $(wildcard man/*.[0-9])
SUBST	= sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@CONFDIR@|$(CONFDIR)|g' \
	-e 's|@STATEDIR@|$(STATEDIR)|g' \
	-e 's|@STATEDIR_NAME@|$(STATEDIR:/var/lib/%=%)|g'

# B is the build directory; the sanitizer build uses its own.
B	= .

CC	?= cc
CFLAGS	= -O2 -g
LDFLAGS	=

PROJ_CFLAGS = -std=c11 -D_GNU_SOURCE -D_FORTIFY_SOURCE=2 \
	-Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes -Werror \
	-fstack-protector-strong -fPIE
PROJ_LDFLAGS = -pie -Wl,-z,relro -Wl,-z,now

SAN_FLAGS = -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=all

# make fuzz [FUZZ_TARGET=smtp|pop3|smtp-proxy|pop3-proxy] [FUZZ_SECONDS=N]:
# AFL++ on a handler (the -proxy targets behind a trusted PROXY protocol
# source, fuzz/run.sh), built with the sanitizers and without the
# failed-login and unknown-recipient delays.
FUZZ_TARGET = smtp
FUZZ_SECONDS = 1800
FUZZ_FLAGS = $(SAN_FLAGS) -DAUTH_FAIL_DELAY=0 -DSMTP_UNKNOWN_RCPT_DELAY=0 \
	-Wno-error

PROGS	= smtp-handler pop3-handler listener mysmtpd mypopd mailpasswd \
	mailquota
# sendmail(8) is installed out of every PATH, in LIBEXECDIR, so that it
# never hides another MTA's sendmail; the man page says how to link it.
LIBEXEC_PROGS = sendmail
# The handlers talk to the journal themselves (log.c); only the listener
# needs libsystemd (socket activation, sd_notify).  Each library loaded
# is paid for in every session's start-up and resident set, so neither
# OpenSSL nor libcrypt is linked: tls.c loads OpenSSL with dlopen() when
# a certificate is configured (libssl-dev provides its headers), users.c
# loads libcrypt when a password hash is checked (libcrypt-dev's crypt.h).
# mailpasswd makes hashes, so it links libcrypt.
LIBS	=
LISTENER_LIBS = -lsystemd
HEADERS	= $(wildcard *.h)

# The store, in its layers (mailstore.h).
STORE	= $(B)/ms-dir.o $(B)/ms-quota.o $(B)/ms-lock.o $(B)/ms-deliver.o \
	$(B)/ms-drop.o
# What both handlers are made of besides their own state machine.
COMMON	= $(B)/lineio.o $(B)/log.o $(B)/net.o $(B)/users.o $(B)/conffile.o \
	$(B)/address.o $(B)/options.o $(B)/session.o $(B)/peer.o $(B)/sasl.o $(STORE) \
	$(B)/aliases.o $(B)/rcpt.o \
	$(B)/tls.o $(B)/auth.o $(B)/proxy.o \
	$(B)/handoff.o
# The listener's parts; listener, mysmtpd and mypopd are each a small
# main() around them.
LISTENER = $(B)/listener.o $(B)/sockets.o $(B)/spawn.o $(B)/spare.o \
	$(B)/pending.o $(B)/conn.o $(B)/log.o $(B)/net.o $(B)/proxy.o

all: $(PROGS:%=$(B)/%) $(LIBEXEC_PROGS:%=$(B)/%)

$(B)/%.o: %.c $(HEADERS)
	@mkdir -p $(B)
	$(CC) $(PROJ_CFLAGS) $(CFLAGS) -c -o $@ $<

$(B)/smtp-handler: $(B)/smtp-handler.o $(B)/smtp-data.o $(B)/smtp-reply.o \
	    $(B)/notice.o \
	    $(COMMON)
	$(CC) $(PROJ_LDFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

$(B)/pop3-handler: $(B)/pop3-handler.o $(COMMON)
	$(CC) $(PROJ_LDFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

$(B)/mailquota: $(B)/mailquota.o $(B)/options.o $(STORE) $(B)/users.o \
	    $(B)/conffile.o \
	    $(B)/address.o $(B)/proxy.o $(B)/net.o $(B)/log.o
	$(CC) $(PROJ_LDFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

$(B)/sendmail: $(B)/sendmail.o
	$(CC) $(PROJ_LDFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $^

$(B)/mailpasswd: $(B)/mailpasswd.o $(B)/log.o $(B)/address.o $(B)/users.o \
	    $(B)/conffile.o
	$(CC) $(PROJ_LDFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $^ -lcrypt

$(B)/listener: $(B)/listener-main.o $(LISTENER)
	$(CC) $(PROJ_LDFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LISTENER_LIBS)

# As in the original assignment: "mysmtpd PORT", "mypopd PORT".
$(B)/mysmtpd: $(B)/mysmtpd.o $(LISTENER)
	$(CC) $(PROJ_LDFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LISTENER_LIBS)

$(B)/mypopd: $(B)/mypopd.o $(LISTENER)
	$(CC) $(PROJ_LDFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LISTENER_LIBS)

# Table-driven unit tests of the parsers (tests/unit/): each is a small
# program that prints one "ok" or "not ok" line per case and exits 1 if
# any failed.
UNIT	= address-test proxy-test
$(B)/tests/unit/address-test: tests/unit/address-test.c tests/unit/unit.h \
	    $(B)/address.o
$(B)/tests/unit/proxy-test: tests/unit/proxy-test.c tests/unit/unit.h \
	    $(B)/proxy.o $(B)/net.o $(B)/log.o
$(UNIT:%=$(B)/tests/unit/%):
	@mkdir -p $(B)/tests/unit
	$(CC) $(PROJ_CFLAGS) -I. $(CFLAGS) $(PROJ_LDFLAGS) $(LDFLAGS) -o $@ \
	    $(filter %.c %.o,$^) $(LIBS)

unit: $(UNIT:%=$(B)/tests/unit/%)
	@for t in $(UNIT); do $(B)/tests/unit/$$t || exit 1; done

deps:
	@./deps.sh build

test-deps:
	@./deps.sh test

run: deps all
	./run.sh

# The suites (tests/README.md): tests/unit are the parsers' own tests in
# C, tests/protocol the sessions piped through the handlers and the
# clients on loopback, tests/system what needs root, namespaces, systemd,
# a cluster or injected faults.  make test is the quick part; make check
# is everything, plain and sanitized, and is what CI runs.
SUITES	= tests/protocol tests/system
# make test leaves out the protocol tests tagged slow ("# bats
# test_tags=slow": half a second or more, mostly a login or recipient
# delay, a timeout or a real client waited for) and runs the files in
# parallel (GNU parallel), each test with its own store and ports.
TEST_JOBS = 3

test: test-deps all unit
	BIN=$(B) bats --jobs $(TEST_JOBS) --no-parallelize-within-files \
	    --filter-tags '!slow' tests/protocol

check: test-deps all unit
	BIN=$(B) bats $(SUITES)
	$(MAKE) sanitize

sanitize: test-deps
	$(MAKE) B=san CFLAGS="$(SAN_FLAGS)" LDFLAGS="-fsanitize=address,undefined" \
	    all unit
	BIN=san ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1 bats $(SUITES)

# A representative part of the suite with each handler under valgrind:
# any memory error or definite leak fails the session (exit 99).  No
# gdbserver: its FIFOs, made before -U, could not be removed after it.  The
# listeners are copied beside the wrappers, which they run.
VG_SUITES = tests/protocol/smtp_session.bats tests/protocol/smtp_data.bats \
	tests/protocol/pop3_session.bats tests/protocol/pop3_update.bats
valgrind: test-deps all
	@command -v valgrind >/dev/null || { echo \
	    "make: valgrind is missing: apt-get install valgrind" >&2; exit 1; }
	rm -rf vg && mkdir vg
	for p in smtp-handler pop3-handler; do \
		printf '#!/bin/sh\nexec valgrind -q --vgdb=no --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite %s/%s "$$@"\n' \
		    "$$(pwd)" $$p >vg/$$p && chmod +x vg/$$p || exit 1; \
	done
	cp mysmtpd mypopd vg/
	BIN=vg bats $(VG_SUITES)

# The benchmark (bench/README.md): as root, installs Postfix, Dovecot and
# ucspi-tcp and runs them beside the project for 5 to 10 minutes; never
# part of check or CI.
bench: all
	bench/run $(BENCH_ARGS)

fuzz:
	@command -v afl-clang-fast >/dev/null || { echo \
	    "make: fuzz needs AFL++: apt-get install afl++" >&2; exit 1; }
	$(MAKE) B=fuzz/build CC=afl-clang-fast CFLAGS="$(FUZZ_FLAGS)" \
	    LDFLAGS="-fsanitize=address,undefined" \
	    fuzz/build/smtp-handler fuzz/build/pop3-handler
	./fuzz/run.sh $(FUZZ_TARGET) $(FUZZ_SECONDS)

# An existing users file is never replaced, nor is the store touched.
# Installed into the live system (no DESTDIR), the mailsrv user is made
# at once with systemd-sysusers, and a new users file and store get its
# group and owner.
install: all
	@case '$(STATEDIR)' in /var/lib/?*) ;; *) \
		echo "make: STATEDIR must be below /var/lib" \
		    "(systemd StateDirectory=)" >&2; exit 1 ;; esac
	mkdir -p $(DESTDIR)$(BINDIR) $(DESTDIR)$(UNITDIR) \
	    $(DESTDIR)$(XINETDDIR) $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(CONFDIR)
	for p in $(PROGS); do install -m 755 $(B)/$$p $(DESTDIR)$(BINDIR)/$$p; done
	mkdir -p $(DESTDIR)$(LIBEXECDIR)
	for p in $(LIBEXEC_PROGS); do \
		install -m 755 $(B)/$$p $(DESTDIR)$(LIBEXECDIR)/$$p || exit 1; \
	done
	for u in $(UNITS); do \
		$(SUBST) systemd/$$u.in >$(DESTDIR)$(UNITDIR)/$$u && \
		chmod 644 $(DESTDIR)$(UNITDIR)/$$u || exit 1; \
	done
	for x in $(XINETD); do \
		$(SUBST) xinetd.d/$$x.in >$(DESTDIR)$(XINETDDIR)/$$x && \
		chmod 644 $(DESTDIR)$(XINETDDIR)/$$x || exit 1; \
	done
	$(SUBST) systemd/mailserver.conf >$(DESTDIR)$(SYSUSERSDIR)/mailserver.conf
	chmod 644 $(DESTDIR)$(SYSUSERSDIR)/mailserver.conf
	for m in $(MANPAGES); do \
		d=$(DESTDIR)$(MANDIR)/man$${m##*.}; \
		mkdir -p $$d && install -m 644 $$m $$d/ || exit 1; \
	done
	ln -sf listener.8 $(DESTDIR)$(MANDIR)/man8/mysmtpd.8
	ln -sf listener.8 $(DESTDIR)$(MANDIR)/man8/mypopd.8
	@if [ -z '$(DESTDIR)' ] && command -v systemd-sysusers >/dev/null; then \
		echo "systemd-sysusers $(SYSUSERSDIR)/mailserver.conf"; \
		systemd-sysusers $(SYSUSERSDIR)/mailserver.conf || exit 1; \
	fi
	@if [ -e $(DESTDIR)$(CONFDIR)/users.txt ]; then \
		echo "keeping $(DESTDIR)$(CONFDIR)/users.txt"; \
	else \
		echo "install -m 640 users.txt.example $(DESTDIR)$(CONFDIR)/users.txt"; \
		install -m 640 users.txt.example $(DESTDIR)$(CONFDIR)/users.txt || exit 1; \
		if [ -z '$(DESTDIR)' ] && getent group mailsrv >/dev/null; then \
			chgrp mailsrv $(CONFDIR)/users.txt || exit 1; \
		fi; \
	fi
	@if [ ! -e $(DESTDIR)$(STATEDIR) ]; then \
		echo "install -d -m 750 $(DESTDIR)$(STATEDIR)"; \
		install -d -m 750 $(DESTDIR)$(STATEDIR) || exit 1; \
		if [ -z '$(DESTDIR)' ] && getent passwd mailsrv >/dev/null; then \
			chown mailsrv:mailsrv $(STATEDIR) || exit 1; \
		fi; \
	fi

# Everything install put in, except the users file, the store and the
# mailsrv user: they hold the operator's data.
uninstall:
	for p in $(PROGS); do rm -f $(DESTDIR)$(BINDIR)/$$p; done
	for p in $(LIBEXEC_PROGS); do rm -f $(DESTDIR)$(LIBEXECDIR)/$$p; done
	for u in $(UNITS); do rm -f $(DESTDIR)$(UNITDIR)/$$u; done
	for x in $(XINETD); do rm -f $(DESTDIR)$(XINETDDIR)/$$x; done
	rm -f $(DESTDIR)$(SYSUSERSDIR)/mailserver.conf
	for m in $(MANPAGES); do \
		rm -f $(DESTDIR)$(MANDIR)/man$${m##*.}/$${m#man/}; \
	done
	rm -f $(DESTDIR)$(MANDIR)/man8/mysmtpd.8 $(DESTDIR)$(MANDIR)/man8/mypopd.8

clean:
	rm -f $(PROGS) $(LIBEXEC_PROGS) *.o
	rm -rf san vg fuzz/build tests/unit/*-test

.PHONY: all deps test-deps run unit test sanitize check valgrind fuzz bench install \
	uninstall clean
