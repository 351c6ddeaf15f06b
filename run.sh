#!/bin/sh
# run.sh: start mysmtpd and mypopd on loopback with the embedded default:
# users.txt and mail.store/ in the working directory.  Without a users
# file, one is made with a demo user.  Ctrl-C stops both servers.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
smtp_port=${SMTP_PORT:-2525}
pop3_port=${POP3_PORT:-1100}

if [ ! -e users.txt ]; then
	pw=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
	umask 077
	cat >users.txt <<USERS
# Users: one "address password" line each.  A password starting with \$ is
# a crypt(3) hash (yescrypt, SHA-512, bcrypt); anything else is plain text.
demo@localhost $pw
USERS
	echo "run.sh: made users.txt with the user demo@localhost," \
	    "password $pw"
	echo "run.sh: add users with lines of 'address password' in users.txt;" \
	    "no restart is needed"
fi

# Started as root, the handlers read users.txt and open mail.store as
# root, then run each session as mailsrv, or nobody where there is no
# mailsrv; each says which on its first line.
"$here/mysmtpd" -b 127.0.0.1 -b ::1 "$smtp_port" &
smtp=$!
"$here/mypopd" -b 127.0.0.1 -b ::1 "$pop3_port" &
pop3=$!
trap 'kill $smtp $pop3 2>/dev/null; wait; exit 0' INT TERM
sleep 0.5
if ! kill -0 "$smtp" 2>/dev/null || ! kill -0 "$pop3" 2>/dev/null; then
	kill $smtp $pop3 2>/dev/null || true
	echo "run.sh: a server did not start; see the messages above" >&2
	exit 1
fi
echo "run.sh: SMTP on 127.0.0.1 and ::1 port $smtp_port," \
    "POP3 on port $pop3_port; mail is stored in $(pwd)/mail.store"
printf '%s\n' "run.sh: send:  printf 'Subject: hi\\n\\nhello\\n' | curl -sT - smtp://127.0.0.1:$smtp_port --mail-from me@localhost --mail-rcpt demo@localhost"
printf '%s\n' "run.sh: fetch: curl -s --user demo@localhost:PASSWORD pop3://127.0.0.1:$pop3_port/1"
echo "run.sh: stop with Ctrl-C"
wait
