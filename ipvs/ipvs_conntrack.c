/*
 * ipvs_conntrack.c — forget the connections of a removed backend.
 *
 * When IPVS masquerades (and net.ipv4.vs.conntrack=1), each client connection has a conntrack
 * entry whose original tuple is client -> VIP:port and whose reply tuple starts at the backend
 * (IPVS rewrites it when it schedules the connection). After the backend is removed those
 * entries would keep steering the client's packets at a dead server until they time out; we
 * delete exactly the ones that match VIP:port and the backend, so the client's next packet is
 * scheduled afresh (kube-proxy does the same with `conntrack -D`). Uses libnetfilter_conntrack
 * on its own nfnetlink socket, opened on the first cleanup and kept in the IPVS handle.
 */
#include "ipvs.h"

#include <arpa/inet.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <stdlib.h>
#include <string.h>

struct ct_match {
	const struct ipvs_service *svc;
	const struct ipvs_dest *dest;
	struct nf_conntrack **hits;
	size_t n, cap;
	int err;
};

static bool same_addr(const struct nf_conntrack *ct, int af, enum nf_conntrack_attr v4,
		      enum nf_conntrack_attr v6, const union ipvs_addr *want)
{
	if (af == AF_INET6) {
		const void *a = nfct_get_attr(ct, v6);
		return a && memcmp(a, want->bytes, 16) == 0;
	}
	return nfct_attr_is_set(ct, v4) > 0 && nfct_get_attr_u32(ct, v4) == want->v4.s_addr;
}

static int match_cb(enum nf_conntrack_msg_type type, struct nf_conntrack *ct, void *data)
{
	(void)type;
	struct ct_match *m = data;
	const struct ipvs_service *svc = m->svc;
	const struct ipvs_dest *dest = m->dest;
	int dest_af = dest->af ? dest->af : svc->af;
	if (nfct_get_attr_u8(ct, ATTR_L4PROTO) != svc->protocol ||
	    nfct_get_attr_u16(ct, ATTR_ORIG_PORT_DST) != htons(svc->port) ||
	    nfct_get_attr_u16(ct, ATTR_REPL_PORT_SRC) != htons(dest->port) ||
	    !same_addr(ct, svc->af, ATTR_ORIG_IPV4_DST, ATTR_ORIG_IPV6_DST, &svc->addr) ||
	    !same_addr(ct, dest_af, ATTR_REPL_IPV4_SRC, ATTR_REPL_IPV6_SRC, &dest->addr))
		return NFCT_CB_CONTINUE;
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 16;
		struct nf_conntrack **hits = realloc(m->hits, cap * sizeof(*hits));
		if (!hits) {
			m->err = -ENOMEM;
			return NFCT_CB_STOP;
		}
		m->hits = hits;
		m->cap = cap;
	}
	/* Keep the object: it is the key of the delete request sent after the dump. */
	m->hits[m->n++] = ct;
	return NFCT_CB_STOLEN;
}

void ipvs_conntrack_close(struct ipvs *h)
{
	if (h->ct)
		nfct_close(h->ct);
	h->ct = NULL;
}

int ipvs_conntrack_flush(struct ipvs *h, const struct ipvs_service *svc,
			 const struct ipvs_dest *dest, unsigned *removed, struct nl_error *err)
{
	*removed = 0;
	/* Only masquerade writes the backend into the reply tuple; a firewall-mark service has
	 * no VIP:port to match. */
	if (svc->fwmark || (dest->fwd & IP_VS_CONN_F_FWD_MASK) != IP_VS_CONN_F_MASQ)
		return 0;
	if (!h->ct) {
		h->ct = nfct_open(CONNTRACK, 0);
		if (!h->ct)
			return nl_error_set(err, errno,
					    "conntrack: cannot open (is nf_conntrack_netlink "
					    "loaded?): %s",
					    strerror(errno));
	}
	char sname[IPVS_STRLEN], dname[IPVS_STRLEN];
	ipvs_service_str(svc, sname, sizeof(sname));
	ipvs_dest_str(dest, svc->af, dname, sizeof(dname));

	struct ct_match m = {.svc = svc, .dest = dest};
	uint32_t family = (uint32_t)svc->af;
	nfct_callback_register(h->ct, NFCT_T_ALL, match_cb, &m);
	int rc = nfct_query(h->ct, NFCT_Q_DUMP, &family) < 0 ? -errno : 0;
	nfct_callback_unregister(h->ct);
	if (rc == 0 && m.err)
		rc = m.err;
	if (rc < 0)
		nl_error_set(err, -rc, "conntrack: listing entries of %s via %s: %s", sname, dname,
			     strerror(-rc));
	for (size_t i = 0; i < m.n; i++) {
		if (rc == 0) {
			if (nfct_query(h->ct, NFCT_Q_DESTROY, m.hits[i]) == 0)
				(*removed)++;
			else if (errno != ENOENT) /* ENOENT: it expired meanwhile */
				rc = nl_error_set(err, errno,
						  "conntrack: deleting an entry of %s via %s: %s",
						  sname, dname, strerror(errno));
		}
		nfct_destroy(m.hits[i]);
	}
	free(m.hits);
	return rc;
}
