/*
 * ipvs.c — the IPVS calls that talk to the kernel: one generic-netlink socket, the "IPVS"
 * family id looked up once and again after an error, and one function per command. Every
 * request goes through talk(), which is where the errno rules live (see ipvs.h).
 */
#include "ipvs.h"
#include "ipvs_msg.h"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	return ipvs_parse_family_id(nlh, data) < 0 ? -EBADMSG : MNL_CB_OK;
}

/* Looks the family up; -IPVS_ERR_UNAVAILABLE when the kernel does not know it. */
static int resolve_family(struct ipvs *h, struct nl_error *err)
{
	char buf[IPVS_MSG_BUFSIZE];
	uint16_t id = 0;
	h->family_id = 0;
	h->lookups++;
	int rc = nl_sock_request(&h->sock, ipvs_msg_getfamily(buf), family_cb, &id, err);
	if (rc == -ENOENT)
		return nl_error_set(err, IPVS_ERR_UNAVAILABLE,
				    "IPVS not in this kernel (generic netlink family \"%s\" not "
				    "found; is the ip_vs module loaded?)",
				    IPVS_GENL_NAME);
	if (rc < 0) {
		char msg[sizeof(err->msg)] = "";
		if (err)
			snprintf(msg, sizeof(msg), "%s", err->msg);
		return nl_error_set(err, -rc, "IPVS family lookup: %s", msg);
	}
	if (!id)
		return nl_error_set(err, EBADMSG, "IPVS family lookup: reply without a family id");
	h->family_id = id;
	return 0;
}

int ipvs_open(struct ipvs *h, struct nl_error *err)
{
	memset(h, 0, sizeof(*h));
	int rc = nl_sock_open(&h->sock, NETLINK_GENERIC, 0, false, err);
	if (rc < 0)
		return rc;
	rc = resolve_family(h, err);
	if (rc < 0)
		ipvs_close(h);
	return rc;
}

/* Sends an IPVS request built for `h->family_id` (the type is set here) and applies the errno
 * rules: EEXIST and ESRCH can only come from IPVS itself, so the family is known good; ENOENT is
 * ambiguous (no such destination, or no IPVS any more: the module was unloaded), so the family
 * is checked at once; any other error makes the next request look the family up again. */
static int talk(struct ipvs *h, struct nlmsghdr *nlh, nl_msg_cb cb, void *data,
		struct nl_error *err)
{
	if (!h->sock.mnl)
		return nl_error_set(err, EBADF, "IPVS: handle is not open");
	if (!h->family_id) {
		int rc = resolve_family(h, err);
		if (rc < 0)
			return rc;
	}
	nlh->nlmsg_type = h->family_id;
	h->requests++;
	int rc = nl_sock_request(&h->sock, nlh, cb, data, err);
	if (rc == 0 || rc == -EEXIST || rc == -ESRCH)
		return rc;
	if (rc == -ENOENT || rc == -EOPNOTSUPP) {
		/* A failed look-up leaves family_id 0: the next request tries again. */
		uint16_t old = h->family_id;
		struct nl_error lookup_err;
		int lr = resolve_family(h, &lookup_err);
		if (lr == -IPVS_ERR_UNAVAILABLE) {
			if (err)
				*err = lookup_err;
			return lr;
		}
		if (lr == 0 && h->family_id != old) {
			/* ip_vs was reloaded under us: the request never reached IPVS. */
			nlh->nlmsg_type = h->family_id;
			h->requests++;
			rc = nl_sock_request(&h->sock, nlh, cb, data, err);
			if (rc != 0 && rc != -EEXIST && rc != -ESRCH && rc != -ENOENT)
				h->family_id = 0;
		}
		return rc;
	}
	h->family_id = 0;
	return rc;
}

void ipvs_close(struct ipvs *h)
{
	nl_sock_close(&h->sock);
	h->family_id = 0;
	ipvs_conntrack_close(h);
}

/* Prefixes the message talk() left in err with what was being done: the operation and the
 * service/destination it named. */
static int fail(struct nl_error *err, int rc, const char *what, const struct ipvs_service *svc,
		const struct ipvs_dest *dest)
{
	if (!err)
		return rc;
	char msg[sizeof(err->msg)];
	snprintf(msg, sizeof(msg), "%s", err->msg);
	char s[IPVS_STRLEN] = "", d[IPVS_STRLEN + 16] = "";
	if (svc)
		ipvs_service_str(svc, s, sizeof(s));
	if (dest) {
		char ds[IPVS_STRLEN];
		snprintf(d, sizeof(d), " destination %s",
			 ipvs_dest_str(dest, svc ? svc->af : 0, ds, sizeof(ds)));
	}
	if (rc == -IPVS_ERR_UNAVAILABLE)
		return rc; /* the message says it all */
	return nl_error_set(err, -rc, "IPVS %s%s%s%s: %s", what, svc ? " service " : "", s, d, msg);
}

static int info_cb(const struct nlmsghdr *nlh, void *data)
{
	return ipvs_parse_info(nlh, data) < 0 ? -EBADMSG : MNL_CB_OK;
}

int ipvs_get_info(struct ipvs *h, struct ipvs_info *info, struct nl_error *err)
{
	char buf[IPVS_MSG_BUFSIZE];
	memset(info, 0, sizeof(*info));
	int rc = talk(h, ipvs_msg_simple(buf, 0, IPVS_CMD_GET_INFO, false), info_cb, info, err);
	return rc < 0 ? fail(err, rc, "get info", NULL, NULL) : 0;
}

int ipvs_flush(struct ipvs *h, struct nl_error *err)
{
	char buf[IPVS_MSG_BUFSIZE];
	int rc = talk(h, ipvs_msg_simple(buf, 0, IPVS_CMD_FLUSH, false), NULL, NULL, err);
	return rc < 0 ? fail(err, rc, "flush", NULL, NULL) : 0;
}

/* A service add or edit naming a scheduler the kernel lacks fails with ENOENT, which alone reads
 * as "no such file": say what it most likely means. */
static void sched_hint(struct nl_error *err, int rc, const struct ipvs_service *svc)
{
	if (rc == -ENOENT && err)
		snprintf(err->msg, sizeof(err->msg), "%s (unknown scheduler \"%s\"?)",
			 strerror(ENOENT), svc->sched);
}

static bool already(int rc, unsigned options, int e1, int e2)
{
	return (options & IPVS_IDEMPOTENT) && (rc == -e1 || rc == -e2);
}

int ipvs_service_add(struct ipvs *h, const struct ipvs_service *svc, unsigned options,
		     struct nl_error *err)
{
	int rc = ipvs_service_check(svc, true, err);
	if (rc < 0)
		return rc;
	char buf[IPVS_MSG_BUFSIZE];
	rc = talk(h, ipvs_msg_service(buf, 0, IPVS_CMD_NEW_SERVICE, svc, true), NULL, NULL, err);
	if (rc == 0 || already(rc, options, EEXIST, EEXIST))
		return 0;
	sched_hint(err, rc, svc);
	return fail(err, rc, "add", svc, NULL);
}

int ipvs_service_edit(struct ipvs *h, const struct ipvs_service *svc, struct nl_error *err)
{
	int rc = ipvs_service_check(svc, true, err);
	if (rc < 0)
		return rc;
	char buf[IPVS_MSG_BUFSIZE];
	rc = talk(h, ipvs_msg_service(buf, 0, IPVS_CMD_SET_SERVICE, svc, true), NULL, NULL, err);
	sched_hint(err, rc, svc);
	return rc < 0 ? fail(err, rc, "edit", svc, NULL) : 0;
}

int ipvs_service_del(struct ipvs *h, const struct ipvs_service *svc, unsigned options,
		     struct nl_error *err)
{
	int rc = ipvs_service_check(svc, false, err);
	if (rc < 0)
		return rc;
	char buf[IPVS_MSG_BUFSIZE];
	rc = talk(h, ipvs_msg_service(buf, 0, IPVS_CMD_DEL_SERVICE, svc, false), NULL, NULL, err);
	if (rc == 0 || already(rc, options, ESRCH, ENOENT))
		return 0;
	return fail(err, rc, "delete", svc, NULL);
}

/* A growing array of dump results. */
struct dump {
	void *v;
	size_t n, cap, size;
	int af; /* for destinations: the service's family */
};

static void *dump_next(struct dump *d)
{
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 16;
		void *v = realloc(d->v, cap * d->size);
		if (!v)
			return NULL;
		d->v = v;
		d->cap = cap;
	}
	return (char *)d->v + d->n * d->size;
}

static int service_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump *d = data;
	struct ipvs_service *svc = dump_next(d);
	if (!svc)
		return -ENOMEM;
	if (ipvs_parse_service_msg(nlh, svc) < 0)
		return -EBADMSG;
	d->n++;
	return MNL_CB_OK;
}

static int dest_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump *d = data;
	struct ipvs_dest *dest = dump_next(d);
	if (!dest)
		return -ENOMEM;
	if (ipvs_parse_dest_msg(nlh, d->af, dest) < 0)
		return -EBADMSG;
	d->n++;
	return MNL_CB_OK;
}

int ipvs_service_get(struct ipvs *h, const struct ipvs_service *key, struct ipvs_service *out,
		     struct nl_error *err)
{
	int rc = ipvs_service_check(key, false, err);
	if (rc < 0)
		return rc;
	char buf[IPVS_MSG_BUFSIZE];
	struct dump d = {.size = sizeof(*out)};
	rc = talk(h, ipvs_msg_service(buf, 0, IPVS_CMD_GET_SERVICE, key, false), service_cb, &d,
		  err);
	if (rc == 0 && d.n != 1)
		rc = nl_error_set(err, EBADMSG, "%zu services in the reply", d.n);
	if (rc == 0)
		*out = *(struct ipvs_service *)d.v;
	free(d.v);
	return rc < 0 ? fail(err, rc, "get", key, NULL) : 0;
}

int ipvs_service_dump(struct ipvs *h, struct ipvs_service **out, size_t *n, struct nl_error *err)
{
	char buf[IPVS_MSG_BUFSIZE];
	struct dump d = {.size = sizeof(**out)};
	*out = NULL;
	*n = 0;
	int rc = talk(h, ipvs_msg_simple(buf, 0, IPVS_CMD_GET_SERVICE, true), service_cb, &d, err);
	if (rc < 0) {
		free(d.v);
		return fail(err, rc, "list services", NULL, NULL);
	}
	*out = d.v;
	*n = d.n;
	return 0;
}

int ipvs_dest_add(struct ipvs *h, const struct ipvs_service *svc, const struct ipvs_dest *dest,
		  unsigned options, struct nl_error *err)
{
	int rc = ipvs_service_check(svc, false, err);
	if (rc == 0)
		rc = ipvs_dest_check(svc, dest, true, err);
	if (rc < 0)
		return rc;
	char buf[IPVS_MSG_BUFSIZE];
	rc = talk(h, ipvs_msg_dest(buf, 0, IPVS_CMD_NEW_DEST, svc, dest, true), NULL, NULL, err);
	if (rc == 0 || already(rc, options, EEXIST, EEXIST))
		return 0;
	return fail(err, rc, "add", svc, dest);
}

int ipvs_dest_edit(struct ipvs *h, const struct ipvs_service *svc, const struct ipvs_dest *dest,
		   struct nl_error *err)
{
	int rc = ipvs_service_check(svc, false, err);
	if (rc == 0)
		rc = ipvs_dest_check(svc, dest, true, err);
	if (rc < 0)
		return rc;
	char buf[IPVS_MSG_BUFSIZE];
	rc = talk(h, ipvs_msg_dest(buf, 0, IPVS_CMD_SET_DEST, svc, dest, true), NULL, NULL, err);
	return rc < 0 ? fail(err, rc, "edit", svc, dest) : 0;
}

int ipvs_dest_del(struct ipvs *h, const struct ipvs_service *svc, const struct ipvs_dest *dest,
		  unsigned options, unsigned *conntrack_removed, struct nl_error *err)
{
	if (conntrack_removed)
		*conntrack_removed = 0;
	int rc = ipvs_service_check(svc, false, err);
	if (rc == 0)
		rc = ipvs_dest_check(svc, dest, false, err);
	if (rc < 0)
		return rc;
	char buf[IPVS_MSG_BUFSIZE];
	rc = talk(h, ipvs_msg_dest(buf, 0, IPVS_CMD_DEL_DEST, svc, dest, false), NULL, NULL, err);
	if (rc < 0 && !already(rc, options, ESRCH, ENOENT))
		return fail(err, rc, "delete", svc, dest);
	if (conntrack_removed)
		return ipvs_conntrack_flush(h, svc, dest, conntrack_removed, err);
	return 0;
}

int ipvs_dest_dump(struct ipvs *h, const struct ipvs_service *svc, struct ipvs_dest **out,
		   size_t *n, struct nl_error *err)
{
	*out = NULL;
	*n = 0;
	int rc = ipvs_service_check(svc, false, err);
	if (rc < 0)
		return rc;
	char buf[IPVS_MSG_BUFSIZE];
	struct dump d = {.size = sizeof(**out), .af = svc->af};
	rc = talk(h, ipvs_msg_dest(buf, 0, IPVS_CMD_GET_DEST, svc, NULL, false), dest_cb, &d, err);
	if (rc < 0) {
		free(d.v);
		return fail(err, rc, "list destinations of", svc, NULL);
	}
	*out = d.v;
	*n = d.n;
	return 0;
}

int ipvs_reconcile(struct ipvs *h, const struct ipvs_service *svc, const struct ipvs_dest *want,
		   size_t n_want, struct ipvs_reconcile_result *res, struct nl_error *err)
{
	memset(res, 0, sizeof(*res));
	int rc = ipvs_service_check(svc, false, err);
	for (size_t i = 0; rc == 0 && i < n_want; i++)
		rc = ipvs_dest_check(svc, &want[i], true, err);
	if (rc == 0)
		rc = ipvs_dests_unique(svc->af, want, n_want, err);
	if (rc < 0)
		return rc;

	uint64_t start = h->requests;
	struct ipvs_dest *have;
	size_t n_have;
	rc = ipvs_dest_dump(h, svc, &have, &n_have, err);
	if (rc < 0) {
		res->calls = (unsigned)(h->requests - start);
		return rc;
	}
	struct ipvs_step *steps = calloc(n_have + n_want + 1, sizeof(*steps));
	if (!steps) {
		free(have);
		return nl_error_set(err, ENOMEM, "IPVS reconcile: out of memory");
	}
	int n = ipvs_reconcile_plan(svc->af, have, n_have, want, n_want, steps, err);
	free(have);
	rc = n < 0 ? n : 0;
	for (int i = 0; rc == 0 && i < n; i++) {
		const struct ipvs_dest *d = &steps[i].dest;
		switch (steps[i].op) {
		case IPVS_STEP_ADD:
			rc = ipvs_dest_add(h, svc, d, 0, err);
			res->added += rc == 0;
			break;
		case IPVS_STEP_EDIT:
			rc = ipvs_dest_edit(h, svc, d, err);
			res->edited += rc == 0;
			break;
		case IPVS_STEP_DEL: {
			/* Someone else removing it first is fine: the goal is reached. */
			rc = ipvs_dest_del(h, svc, d, IPVS_IDEMPOTENT, NULL, err);
			if (rc < 0)
				break;
			res->removed++;
			unsigned ct = 0;
			struct nl_error ct_err;
			int cr = ipvs_conntrack_flush(h, svc, d, &ct, &ct_err);
			res->conntrack_removed += ct;
			if (cr < 0 && !res->conntrack_err)
				res->conntrack_err = cr;
			break;
		}
		}
	}
	free(steps);
	res->calls = (unsigned)(h->requests - start);
	return rc;
}
