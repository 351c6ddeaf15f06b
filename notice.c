/*
 * notice.c: the quota notice (notice.h).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "mailstore.h"
#include "notice.h"
#include "tunables.h"

/* size as a short figure for people: "93.5 MB". */
static void
human(char *buf, size_t size, long long v)
{
	static const char *const unit[] = { "octets", "KB", "MB", "GB", "TB" };
	double d = (double)v;
	int i = 0;

	while (d >= 1024 && i < 4) {
		d /= 1024;
		i++;
	}
	if (i == 0)
		snprintf(buf, size, "%lld octets", v);
	else
		snprintf(buf, size, "%.1f %s", d, unit[i]);
}

void
notice_quota(const struct config *c, const char *postmaster,
    const char *box, long long limit, long long used)
{
	char msg[2048], id[128], date[64], from[ADDRESS_MAX + 16], u[32], l[32];
	const char *at = strrchr(box, '@');
	const char *names[1] = { box };
	struct ms_delivery *d;
	time_t now = time(NULL);
	struct tm tm;
	int n;

	if (localtime_r(&now, &tm) == NULL || strftime(date, sizeof(date),
	    "%a, %d %b %Y %H:%M:%S %z", &tm) == 0)
		snprintf(date, sizeof(date), "%lld", (long long)now);
	if (postmaster[0] != '\0')
		snprintf(from, sizeof(from), "%s", postmaster);
	else
		snprintf(from, sizeof(from), "postmaster%s", at != NULL ? at :
		    "");
	human(u, sizeof(u), used);
	human(l, sizeof(l), limit);
	if (ms_deliver_open(&d, c->store, c->host, names, 1, id,
	    sizeof(id)) != MS_OK)
		return;
	/* RFC 3834: an automatic message, which no program should answer;
	 * the null Return-Path says so too. */
	n = snprintf(msg, sizeof(msg),
	    "Return-Path: <>\n"
	    "Delivered-To: %s\n"
	    "Date: %s\n"
	    "From: Mail system <%s>\n"
	    "To: <%s>\n"
	    "Subject: Your mailbox is %lld%% full\n"
	    "Message-ID: <%s@%s>\n"
	    "Auto-Submitted: auto-generated\n"
	    "MIME-Version: 1.0\n"
	    "Content-Type: text/plain; charset=us-ascii\n"
	    "\n"
	    "Your mailbox %s now holds %s of its limit of %s.\n"
	    "\n"
	    "When it is full, new mail for you is refused until some is\n"
	    "deleted, and the senders are told to try again later.  To make\n"
	    "room, delete mail you no longer need; if your mail program\n"
	    "leaves messages on the server (POP3), tell it to remove them,\n"
	    "or to remove them after some days.\n",
	    box, date, from, box, used / limit * 100 + used % limit * 100 /
	    limit,
	    id, c->host, box, u, l);
	if (n < 0 || (size_t)n >= sizeof(msg) ||
	    ms_deliver_write(d, msg, (size_t)n) != MS_OK) {
		ms_deliver_abort(d);
		return;
	}
	if (ms_deliver_commit(d) == MS_OK)
		log_msg(LOG_INFO, "quota notice to %s: %lld of %lld octets",
		    box, used, limit);
}
