/*
 * tunables.h: every limit, timeout and default of the mail system, each with
 * the reason for its value.  Change a number here, nowhere else.
 */
#ifndef TUNABLES_H
#define TUNABLES_H

/* SMTP (RFC 5321) */

/* RFC 5321 4.5.3.1.4: a command line is at most 512 octets with its CRLF. */
#define SMTP_CMD_MAX		512
/* RFC 5321 4.5.3.1.6: a text line is at most 1000 octets with its CRLF. */
#define SMTP_TEXT_MAX		1000
/* RFC 5321 4.5.3.1.1 and 4.5.3.1.2: local part 64, domain 255 octets. */
#define SMTP_LOCAL_MAX		64
#define SMTP_DOMAIN_MAX		255
/* RFC 5321 4.5.3.1.3: a path is at most 256 octets with its brackets. */
#define SMTP_PATH_MAX		256
/* RFC 5321 4.5.3.1.8: a server must accept at least 100 recipients. */
#define SMTP_RCPT_MAX		100
/* Default largest message, in octets, as advertised by SIZE (RFC 1870). */
#define SMTP_SIZE_DEFAULT	(64L * 1024 * 1024)
/* RFC 5321 4.5.3.2.7: at least 5 minutes for each command. */
#define SMTP_CMD_TIMEOUT	300
/* RFC 5321 4.5.3.2.5 and 4.5.3.2.6: 3 minutes a DATA block, 10 for the
 * final dot; we give each DATA line the longer of the two. */
#define SMTP_DATA_TIMEOUT	600
/* Permanent errors (5xx) a session may earn before it is dropped with 421,
 * as Postfix's smtpd_hard_error_limit; 452 "too many recipients" does not
 * count, because RFC 5321 4.5.3.1.10 makes it a normal part of a session. */
#define SMTP_ERRORS_MAX		20

/* Seconds the refusal of an unknown recipient takes.  RCPT must say
 * which users exist (RFC 5321 3.5.3: no 252 here), so guessing names is
 * slowed instead: with the listener's per-client cap (-C), one client
 * address can test at most that many names a second.  The fuzzing build
 * sets 0. */
#ifndef SMTP_UNKNOWN_RCPT_DELAY
#define SMTP_UNKNOWN_RCPT_DELAY	1
#endif

/* POP3 (RFC 1939, RFC 2449) */

/* RFC 2449 section 4: a command line is at most 255 octets with its CRLF. */
#define POP3_CMD_MAX		255
/* RFC 1939 section 3: the inactivity timer is at least 10 minutes. */
#define POP3_TIMEOUT		600
/* Failed logins before the session is closed. */
#define POP3_AUTH_FAILS_MAX	3
/* Protocol errors (-ERR replies) before the session is closed. */
#define POP3_ERRORS_MAX		50
/* Seconds a failed login takes, counted from the PASS command, so that an
 * unknown user and a wrong password cannot be told apart by time. */
#ifndef AUTH_FAIL_DELAY		/* the fuzzing build sets 0 */
#define AUTH_FAIL_DELAY		1
#endif
/* Messages in one maildrop; more are left for a later session (RFC 1939
 * lets a server serve part of a maildrop). */
#define POP3_MESSAGES_MAX	1000000

/* Authentication (SMTP AUTH, POP3 USER/PASS and AUTH) */

/* RFC 4954 section 4: a client's SASL response line may be 12288 octets;
 * RFC 5034 sets no smaller bound for POP3.  (The AUTH command line itself
 * keeps the command limit of its protocol.) */
#define AUTH_LINE_MAX		12288
/* Failed SMTP logins before the session is closed, as POP3's. */
#define SMTP_AUTH_FAILS_MAX	3

/* Users file */

/* One "address password" line; a crypt(3) hash is well under this. */
#define USERS_LINE_MAX		1024
/* Entries kept from one users file; more are skipped with a log line. */
#define USERS_MAX		100000
/* RFC 5321 4.5.3.1.3: an address is at most 254 octets without brackets. */
#define ADDRESS_MAX		(SMTP_PATH_MAX - 2)
/* A password, plain or hashed. */
#define PASSWORD_MAX		512

/* Aliases file (aliases.c) and recipients (rcpt.c) */

/* One physical line of the aliases file, as the users file's. */
#define ALIASES_LINE_MAX	1024
/* One entry with its continuation lines, and its members: a list of a
 * thousand addresses fits in either. */
#define ALIAS_ENTRY_MAX		(256 * 1024)
#define ALIAS_MEMBERS_MAX	1000
/* Entries kept from one aliases file, as users. */
#define ALIASES_MAX		100000
/* Levels of aliases within aliases, as sendmail's: deeper is a mistake
 * or a loop, and is cut (the members found so far still get the mail). */
#define ALIAS_DEPTH_MAX		10
/* Mailboxes one recipient may lead to, and one transaction may reach in
 * all: Postfix's virtual_alias_expansion_limit.  Every mailbox of a
 * delivery holds a directory open until the commit. */
#define ALIAS_RCPT_MAX		1000
/* The default of --recipient-delimiter: user+tag@domain reaches
 * user@domain, as Postfix's recipient_delimiter. */
#define RCPT_DELIMITER_DEFAULT	"+"

/* Quotas (ms-quota.c, Maildir++) */

/* Maildir++: a maildirsize larger than this, or one whose sums look
 * wrong, is recalculated from the messages' sizes. */
#define QUOTA_FILE_MAX		5120
/* Maildir++: a maildirsize older than this is recalculated when it says
 * the mailbox is over its limit, since other programs may have removed
 * messages without a line of their own. */
#define QUOTA_STALE_AGE		(15 * 60)
/* A delivery that takes a mailbox to this share of its limit leaves a
 * notice in it, once per crossing: POP3 has no way to tell a user. */
#define QUOTA_WARN_PERCENT	90

/* sendmail(8), the command of local programs */

/* The Unix socket of the running smtp-handler that sendmail hands mail
 * to (mysmtpd -b PATH, or the socket units' ListenStream=). */
#ifndef SENDMAIL_SOCKET
#define SENDMAIL_SOCKET		"/run/mailserver/sendmail.sock"
#endif
/* Recipients on one command line or in one header; each is one RCPT,
 * and the handler takes at most -r of them anyway. */
#define SENDMAIL_RCPT_MAX	10000
/* A message read from standard input, kept in memory until the server
 * has it: the handler's largest -s. */
#define SENDMAIL_SIZE_MAX	(1LL << 40)
/* Seconds sendmail waits for each reply of the server: the handler's
 * own DATA timeout (RFC 5321 4.5.3.2.6). */
#define SENDMAIL_TIMEOUT	600

/* Privileges */

/* Started as root without -U, a handler becomes this user before it
 * reads a byte from a client: the system user that systemd/mailserver.conf
 * and make install create, or, where it does not exist (a newcomer's
 * "./mysmtpd 25" from a fresh build), the fallback, which every Debian
 * and Ubuntu system has.  Never root (config.c). */
#define RUN_USER_DEFAULT	"mailsrv"
#define RUN_USER_FALLBACK	"nobody"

/* Store */

/* Octets of the host name kept in a Maildir file name, so that a unique
 * name, and the POP3 UIDL made from it, stays under 70 octets (RFC 1939
 * section 7). */
#define STORE_HOST_MAX		24
/* Maildir: a file left in tmp/ for 36 hours is an orphan of a crash and
 * is removed (the rule of the Maildir specification). */
#define STORE_TMP_AGE		(36L * 60 * 60)
/* The POP3 maildrop lock file (ms-lock.c, "The maildrop lock"), which
 * holds across hosts sharing the store.  A live session shows it is alive
 * by rewriting the file's mtime, at most once in STORE_LOCK_REFRESH
 * seconds (on NFS each rewrite is a round trip to the server): at its
 * commands, while it sends a listing or a message, and, while it waits
 * for its client, on a timer that wakes it every STORE_LOCK_BEAT seconds
 * (lineio.c).  So between two rewrites a live session lets at most
 * STORE_LOCK_REFRESH + STORE_LOCK_BEAT seconds pass, however long its
 * client stays silent.  STORE_LOCK_REFRESH is also the age at which the
 * lock of a session breaking a stale lock, which lives for a few system
 * calls, was left by a crash. */
#define STORE_LOCK_REFRESH	20
#define STORE_LOCK_BEAT		10
/* Seconds after its last rewrite at which another host may take a lock
 * as stale: its holder's host crashed, or the holder was killed there.
 * Three of the longest gaps between a live session's rewrites (30 s), so
 * that one slow rewrite (a file server that stalls, a loaded host) or a
 * clock a few seconds off never lets a live session's maildrop be taken;
 * a crashed host's maildrops are free again within a minute and a half. */
#define STORE_LOCK_STALE	90
/* Rounds of create, judge and break before a login gives up with
 * [IN-USE]: a round is lost only to another session that took or broke
 * the lock at the same moment, which then holds it. */
#define STORE_LOCK_TRIES	3

/* I/O */

/* Input and output buffers of the client connection, and a delivery's
 * write buffer.  32 KB keeps syscalls per megabyte low while a session
 * carrying a large message stays near 2 MB resident: each buffer is
 * filled whole, so all of it is paid for. */
#define IO_BUFSIZE		(32 * 1024)

/* Listener */

/* Sessions at once, as tcpserver's default. */
#define LISTEN_SESSIONS_DEFAULT	40
/* Listen backlog: a small one collapses throughput under bursts. */
#define LISTEN_BACKLOG		1024
/* Largest -c: every session is a process, and more than this on one host
 * is a fork bomb, not a mail service. */
#define LISTEN_SESSIONS_MAX	10000
/* Addresses one listener binds with -b: enough for a host's IPv4 and IPv6
 * addresses on a few interfaces, in a fixed table. */
#define LISTEN_ADDRS_MAX	8
/* Milliseconds the listener stops accepting when it is out of descriptors,
 * memory or processes, so that a ready socket neither spins the CPU nor
 * floods the log, yet a freed resource is used soon. */
#define LISTEN_PAUSE_MS		1000
/* A connection's environment as the listener hands it to a spare
 * session (--handoff): PROTO and four more variables, each at most a
 * name of 16 octets and a Unix socket's path of up to 108, in 144
 * octets each, well within. */
#define HANDOFF_ENV_MAX		1024
/* Sessions one spare forks before a new one takes over: its sessions
 * share its address layout (handoff.c).  As many as a Postfix process
 * serves by default (max_use). */
#define SPARE_SESSIONS_MAX	100
/* Milliseconds the listener waits for a spare's session to answer for a
 * connection: it forks one ahead, so the answer takes a context switch
 * or a fork; this long only when something is badly wrong. */
#define SPARE_ANSWER_MS		1000

/* PROXY protocol (HAProxy's specification, versions 1 and 2) */

/* Section 2.1: a version 1 header is at most 107 octets with its CRLF. */
#define PROXY_V1_MAX		107
/* Section 2.2: a version 2 header is 16 octets and a 16-bit length of
 * addresses and TLVs; HAProxy's, with the TLVs it may add, stay far
 * below this, and a longer one is refused rather than buffered. */
#define PROXY_V2_MAX		(16 + 2048)
/* Seconds a trusted proxy has to send the whole header: it sends it
 * at once, before any byte of the client's (section 2). */
#define PROXY_TIMEOUT		10
/* Entries of -x (trusted proxy addresses or prefixes). */
#define PROXY_TRUST_MAX		32

/* Logging: peer-supplied text is cut to this before it is logged. */
#define LOG_TEXT_MAX		200
/* One log line, fields included. */
#define LOG_LINE_MAX		2048
/* One structured field of a journal entry, "KEY=value". */
#define LOG_FIELD_MAX		512

#endif
