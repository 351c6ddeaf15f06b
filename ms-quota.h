/*
 * ms-quota.h: what the other parts of the mailstore tell the quota
 * (ms-quota.c).  Private to the mailstore, as ms-dir.h.
 */
#ifndef MS_QUOTA_H
#define MS_QUOTA_H

/* Add a line "octets count" to the maildirsize at path below dirfd, if
 * there is one: a delivery adds each message, an UPDATE takes off the
 * ones it removed. */
void	ms_quota_note(int dirfd, const char *path, long long octets,
	    long long count);

#endif
