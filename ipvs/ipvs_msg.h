/*
 * ipvs_msg — the pure half of the IPVS module: input checks, generic-netlink message builders,
 * reply parsers and the reconcile plan. Nothing here touches a socket, so unit tests build every
 * request and parse it back attribute by attribute.
 *
 * Owns: the wire layout of IPVS requests and replies (include/uapi/linux/ip_vs.h).
 * Must not touch: sockets, the kernel, allocation beyond what the caller hands in.
 */
#ifndef VIPD_IPVS_MSG_H
#define VIPD_IPVS_MSG_H

#include "ipvs.h"

struct nlmsghdr;
struct nlattr;

/* Large enough for any single IPVS request built here. */
#define IPVS_MSG_BUFSIZE 512

/* Checks a service before it is sent. `full`: the fields add/edit need (scheduler...) too.
 * Returns 0 or -EINVAL with a one-line reason naming the bad value. */
int ipvs_service_check(const struct ipvs_service *svc, bool full, struct nl_error *err);
/* Checks a destination of `svc` (forwarding method, weight, thresholds); -EINVAL or -ERANGE. */
int ipvs_dest_check(const struct ipvs_service *svc, const struct ipvs_dest *dest, bool full,
		    struct nl_error *err);

/* CTRL_CMD_GETFAMILY for "IPVS" on GENL_ID_CTRL. */
struct nlmsghdr *ipvs_msg_getfamily(void *buf);
/* A command without attributes (GET_INFO, FLUSH, GET_SERVICE dump with `dump`). */
struct nlmsghdr *ipvs_msg_simple(void *buf, uint16_t family_id, uint8_t cmd, bool dump);
/* A service command. `full` adds SCHED_NAME, FLAGS, TIMEOUT and NETMASK (NEW/SET_SERVICE). */
struct nlmsghdr *ipvs_msg_service(void *buf, uint16_t family_id, uint8_t cmd,
				  const struct ipvs_service *svc, bool full);
/* A destination command: the service key, then the destination; `full` adds FWD_METHOD,
 * WEIGHT, U_THRESH and L_THRESH (NEW/SET_DEST). With dest NULL: a GET_DEST dump request. */
struct nlmsghdr *ipvs_msg_dest(void *buf, uint16_t family_id, uint8_t cmd,
			       const struct ipvs_service *svc, const struct ipvs_dest *dest,
			       bool full);

/* Reply parsers. Return 0, or -EBADMSG when a required attribute is missing or malformed. */
int ipvs_parse_family_id(const struct nlmsghdr *nlh, uint16_t *id);
int ipvs_parse_info(const struct nlmsghdr *nlh, struct ipvs_info *info);
int ipvs_parse_service_msg(const struct nlmsghdr *nlh, struct ipvs_service *svc);
int ipvs_parse_dest_msg(const struct nlmsghdr *nlh, int svc_af, struct ipvs_dest *dest);

/* Same identity: (af, addr, port) for destinations; the key fields for services. */
bool ipvs_dest_same(const struct ipvs_dest *a, const struct ipvs_dest *b, int svc_af);
bool ipvs_service_same(const struct ipvs_service *a, const struct ipvs_service *b);

/* -EINVAL, naming it, when a destination appears twice in `d`. */
int ipvs_dests_unique(int svc_af, const struct ipvs_dest *d, size_t n, struct nl_error *err);

enum ipvs_step_op { IPVS_STEP_ADD, IPVS_STEP_EDIT, IPVS_STEP_DEL };
struct ipvs_step {
	enum ipvs_step_op op;
	struct ipvs_dest dest; /* the desired one for ADD/EDIT, the current one for DEL */
};

/* The fewest steps turning `have` into `want`: adds, then edits (forwarding method, weight or
 * thresholds differ), then deletes. `steps` needs room for n_have + n_want entries. Returns the
 * number of steps, or -EINVAL (with the value named in err) when `want` holds a duplicate. */
int ipvs_reconcile_plan(int svc_af, const struct ipvs_dest *have, size_t n_have,
			const struct ipvs_dest *want, size_t n_want, struct ipvs_step *steps,
			struct nl_error *err);

#endif
