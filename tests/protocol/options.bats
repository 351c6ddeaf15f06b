#!/usr/bin/env bats
# Every option has two descriptions, --help and the man page, and no
# third: these tests keep the two in step.  An option added to one and
# not the other fails here, by name.

load ../lib/helper

# help_options PROGRAM [ARG...]: the options PROGRAM --help defines, one
# a line, sorted: the first column of each line that starts, after its
# indent, with a dash ("  -u, --users FILE   ..." gives -u and --users).
help_options() {
	"$@" --help | sed -n '/^Options of /q; p' |
	    grep -P '^ +-' | sed -E 's/^ +//; s/ {2,}.*//' |
	    grep -oP '(?<![\w-])--?[A-Za-z][\w-]*' | sort -u
}

# man_options PAGE: the options the man page's .It Fl items define.
man_options() {
	grep '^\.It.* Fl ' "$1" | sed 's/\\-/-/g' |
	    grep -oP '(?<=Fl )-?[A-Za-z][\w-]*' | sed 's/^/-/' | sort -u
}

# same_options PROGRAM PAGE: --help and the man page define the same.
same_options() {
	local h m
	h=$(help_options "$REAL_BIN/$1")
	m=$(man_options "$TOP/man/$2")
	[ -n "$h" ]
	diff <(echo "$h") <(echo "$m") >"$T/diff" || {
		echo "< only in $1 --help, > only in man/$2:"
		cat "$T/diff"
		return 1
	}
}

@test "smtp-handler --help and smtp-handler(8) list the same options" {
	same_options smtp-handler smtp-handler.8
}

@test "pop3-handler --help and pop3-handler(8) list the same options" {
	same_options pop3-handler pop3-handler.8
}

@test "listener --help and listener(8) list the same options" {
	same_options listener listener.8
}

@test "mailpasswd --help and mailpasswd(8) list the same options" {
	same_options mailpasswd mailpasswd.8
}

@test "mailquota --help and mailquota(8) list the same options" {
	same_options mailquota mailquota.8
}

@test "sendmail --help and sendmail(8) list the same options" {
	same_options sendmail sendmail.8
}

@test "mysmtpd and mypopd: their own options are listener(8)'s, then the handler's --help verbatim" {
	local p h only
	for p in mysmtpd:smtp-handler mypopd:pop3-handler; do
		only=$(comm -23 <(help_options "$REAL_BIN/${p%%:*}") \
		    <(man_options "$TOP/man/listener.8"))
		[ -z "$only" ] || { echo "${p%%:*}: not in listener(8): $only"; false; }
		"$REAL_BIN/${p%%:*}" --help | sed -n '/^Options of /,$p' | sed 1d >"$T/tail"
		"$REAL_BIN/${p#*:}" --help >"$T/handler"
		diff "$T/handler" "$T/tail"
	done
	# The extraction above finds options at all.
	h=$(help_options "$REAL_BIN/mysmtpd")
	[[ $h == *-C* ]]
}
