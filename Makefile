# Makefile for the mail system.  Plain make; the user's CFLAGS and LDFLAGS
# stay separate from the project's warning and hardening flags.
#
#   make            build everything
#   make run        start mysmtpd on 2525 and mypopd on 1100 (loopback)
#   make check      run the whole test suite, plain and sanitized builds
#   make test       run the suite against the plain build only
#   make sanitize   run the suite against an ASan/UBSan build in san/
#   make install    install under $(DESTDIR)$(PREFIX)

PREFIX	= /usr/local
BINDIR	= $(PREFIX)/bin
MANDIR	= $(PREFIX)/share/man
DESTDIR	=

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

PROGS	= smtp-handler pop3-handler listener mysmtpd mypopd
HEADERS	= limits.h lineio.h log.h users.h address.h mailstore.h config.h

COMMON	= $(B)/lineio.o $(B)/log.o $(B)/users.o $(B)/address.o $(B)/config.o \
	$(B)/mailstore.o

all: $(PROGS:%=$(B)/%)

$(B)/%.o: %.c $(HEADERS)
	@mkdir -p $(B)
	$(CC) $(PROJ_CFLAGS) $(CFLAGS) -c -o $@ $<

$(B)/smtp-handler: $(B)/smtp-handler.o $(COMMON)
	$(CC) $(PROJ_LDFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $^ -lcrypt

$(B)/pop3-handler: $(B)/pop3-handler.o $(COMMON)
	$(CC) $(PROJ_LDFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $^ -lcrypt

$(B)/listener: $(B)/listener.o $(B)/log.o
	$(CC) $(PROJ_LDFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $^

# mysmtpd and mypopd are the listener with a built-in handler, as in the
# original assignment: "mysmtpd PORT", "mypopd PORT".
$(B)/listener.o: listener.c limits.h log.h
	@mkdir -p $(B)
	$(CC) $(PROJ_CFLAGS) $(CFLAGS) -c -o $@ listener.c

$(B)/mysmtpd.o: listener.c limits.h log.h
	@mkdir -p $(B)
	$(CC) $(PROJ_CFLAGS) $(CFLAGS) -DLISTEN_PROTO_SMTP -c -o $@ listener.c

$(B)/mypopd.o: listener.c limits.h log.h
	@mkdir -p $(B)
	$(CC) $(PROJ_CFLAGS) $(CFLAGS) -DLISTEN_PROTO_POP3 -c -o $@ listener.c

$(B)/mysmtpd: $(B)/mysmtpd.o $(B)/log.o
	$(CC) $(PROJ_LDFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $^

$(B)/mypopd: $(B)/mypopd.o $(B)/log.o
	$(CC) $(PROJ_LDFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $^

deps:
	@./deps.sh build

test-deps:
	@./deps.sh test

run: deps all
	./run.sh

test: test-deps all
	BIN=$(B) bats tests

sanitize: test-deps
	$(MAKE) B=san CFLAGS="$(SAN_FLAGS)" LDFLAGS="-fsanitize=address,undefined" all
	BIN=san ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1 bats tests

check: test sanitize

install: all
	mkdir -p $(DESTDIR)$(BINDIR)
	for p in $(PROGS); do install -m 755 $(B)/$$p $(DESTDIR)$(BINDIR)/$$p; done

uninstall:
	for p in $(PROGS); do rm -f $(DESTDIR)$(BINDIR)/$$p; done

clean:
	rm -f $(PROGS) *.o
	rm -rf san

.PHONY: all deps test-deps run test sanitize check install uninstall clean
