/*
 * notice.h: the notice a mailbox gets from the postmaster when a
 * delivery takes it past QUOTA_WARN_PERCENT of its limit.  POP3 has no
 * way to tell a user that the mailbox fills up, so the warning comes as
 * mail, once per crossing, as Dovecot's quota_warning does.
 */
#ifndef NOTICE_H
#define NOTICE_H

#include "options.h"

/* Deliver the notice to mailbox box (a users-file spelling), whose
 * limit is limit octets and which now holds used, from postmaster (a
 * mailbox, or "" for none: then from postmaster at the box's domain).
 * A failure is logged; the mail that crossed is delivered already. */
void	notice_quota(const struct config *c, const char *postmaster,
	    const char *box, long long limit, long long used);

#endif
