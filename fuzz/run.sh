#!/bin/sh
# fuzz/run.sh smtp|pop3|smtp-proxy|pop3-proxy SECONDS: run AFL++ on one
# handler for SECONDS, with the seeds in fuzz/seeds/PROTO, the users in
# fuzz/users.txt and a fresh store holding three messages for alice.
# The -proxy targets run the handler behind a trusted PROXY protocol
# source (-x, with REMOTE_ADDR the proxy), so that every input starts
# with a header, from the proxy*.txt seeds only; the plain targets run
# without -x.  Findings go to fuzz/out/TARGET (crashes/ and hangs/); each
# crash becomes a regression test.  Started by "make fuzz"; never part of
# "make check" or CI.
set -eu
target=$1
seconds=$2
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/fuzz-$target.XXXXXX")
proto=${target%-proxy}
seeds=$here/seeds/$proto
proxy=
if [ "$proto" != "$target" ]; then
	seeds=$work/seeds
	mkdir "$seeds"
	cp "$here/seeds/$proto"/proxy*.txt "$seeds/"
	proxy="-x 127.0.0.9"
	REMOTE_ADDR=127.0.0.9
	export REMOTE_ADDR
fi
box=$work/store/alice@example.com
mkdir -p "$box/tmp" "$box/new" "$box/cur"
for n in 1 2 3; do
	printf 'Subject: fixture %s\n\n.leading dot\nbody %s\n' "$n" "$n" \
	    >"$work/m"
	s=$(wc -c <"$work/m")
	l=$(tr -cd '\n' <"$work/m" | wc -c)
	mv "$work/m" "$box/new/170000000$n.M1P1Q$n.fuzz,S=$s,W=$((s + l))"
done
# The handlers refuse to run as root without -U.
as=
if [ "$(id -u)" = 0 ]; then
	as="-U nobody"
	chown -R nobody "$work"
fi
mkdir -p "$here/out"
# The machine may not send core dumps to a file or run at a fixed CPU
# frequency; neither matters for finding bugs.
AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_SKIP_CPUFREQ=1 \
AFL_NO_UI=1 AFL_AUTORESUME=1 \
ASAN_OPTIONS=abort_on_error=1:symbolize=0:detect_leaks=0 \
    afl-fuzz -V "$seconds" -t 2000 -m none -i "$seeds" \
    -o "$here/out/$target" -- "$here/build/$proto-handler" $as $proxy \
    -u "$here/users.txt" -d "$work/store" -n fuzz.test -t 1
status=$?
rm -rf "$work"
exit $status
