#!/usr/bin/env python3
"""pop3_login_race.py ROUNDS SPEC...: ROUNDS times, start one POP3
session per SPEC ("HOST STORE") at once, each $BIN/pop3-handler -u
$USERS -d STORE -n HOST in a UTS namespace of its own whose node name is
HOST (unshare --uts, so needs root), send each USER $BOX_NAME and PASS
alicepw, read every one's reply to PASS, then make all QUIT and wait for
them.  BIN, USERS and BOX_NAME come from the environment.

Prints, a round a line, how many sessions got "+OK Maildrop" to PASS,
then "odd: REPLY" for each reply that was neither that nor
"-ERR [IN-USE]"."""
import os
import subprocess
import sys

rounds = int(sys.argv[1])
specs = [s.split() for s in sys.argv[2:]]
bin_, users, box = (os.environ[k] for k in ("BIN", "USERS", "BOX_NAME"))
odd = []
for r in range(rounds):
    procs = []
    for host, store in specs:
        cmd = ["unshare", "--uts", "sh", "-c",
               'hostname "$1" && shift && exec "$@"', "sh", host,
               bin_ + "/pop3-handler", "-u", users, "-d", store, "-n", host]
        procs.append(subprocess.Popen(cmd, stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE))
    for p in procs:
        p.stdin.write(("USER %s\r\nPASS alicepw\r\n" % box).encode())
        p.stdin.flush()
    won = 0
    for p in procs:
        lines = [p.stdout.readline() for _ in range(3)]
        last = lines[2].decode(errors="replace").rstrip()
        if last.startswith("+OK Maildrop"):
            won += 1
        elif not last.startswith("-ERR [IN-USE]"):
            odd.append(last)
    for p in procs:
        p.stdin.write(b"QUIT\r\n")
        p.stdin.close()
        p.stdout.read()
        p.wait()
    print(won)
for o in odd:
    print("odd:", o)
