/*
 * etcd_elector — election on etcd directly, through its v3 JSON gateway (for clusters where
 * the Kubernetes API is not the thing to depend on). Unlike kube-vip's etcd mode it never
 * sleeps a TTL after winning and never waits on a partitioned member without a deadline.
 *
 *   lock      key "<namespace>-<leasename>", value = identity, bound to an etcd lease with
 *             TTL = leaseDuration
 *   campaign  txn: if create_revision(key) == 0 then put(key, identity, lease) else range(key)
 *   leader    keep-alive every retryPeriod, each confirmed by a quorum read of the key; stops
 *             leading when no keep-alive sent within the last renewDeadline has been confirmed,
 *             or when the key is deleted or names another
 *   follower  watches the key (with prev_kv); also reads it (linearizable) every retryPeriod,
 *             each read followed by a LeaseTimeToLive of the holder's lease (its expected
 *             expiry): a watch can be open and silent when its member hung or sits in a
 *             minority. When the key goes it campaigns at once after a release or the holder's
 *             lease expiring; deleted by hand, or its lease revoked early (or etcd cannot say
 *             which), it waits the holder's leaseDuration from when it saw the key go, since
 *             that holder may act until its own watch or renewal tells it (rules: etcd_decide.h)
 *   release   a txn puts the release marker (an empty value) if the key is still bound to our
 *             lease, then the lease is revoked: etcd deletes the key, followers see the marker
 *             in the DELETE's prev_kv and campaign at once. Written only once we no longer act
 *             (shutdown after the duties are undone, a step-down, a win given back)
 *   hand-over `vipd handover` puts a request into the holder's own key (its value gets a
 *             hand-over target, etcd_gw.h; the key stays on the holder's lease). The holder,
 *             seeing it in its watch or its next confirming read, fires handover_requested;
 *             elector_handover() is then a shutdown whose release marker names the target:
 *             that candidate campaigns at once, the others wait their leaseDuration for it
 *             ("*": the plain marker, anyone)
 *
 * Safety — why two holders cannot act at once:
 *  1. Only one key exists, and it can only be created when it does not exist (the txn's
 *     create_revision == 0 compare is evaluated atomically by etcd's linearizable store). So at
 *     any revision at most one candidate's put has succeeded since the key was last deleted.
 *  2. The key lives until its lease is revoked or expires. etcd expires a lease no earlier than
 *     TTL after the last grant/keep-alive it *applied*, which is after we *sent* it. A new
 *     etcd leader only ever extends remaining TTLs. So the key exists at least until
 *     t_sent + leaseDuration, where t_sent is the send time of our last successful grant or
 *     keep-alive.
 *  3. We act as leader only while now < t_sent + renewDeadline, on CLOCK_BOOTTIME, and
 *     renewDeadline < leaseDuration. Another candidate can create the key only after it is
 *     deleted, i.e. after t_sent + leaseDuration > t_sent + renewDeadline: we have stopped
 *     before it can start. (Clock *rates* must agree within (leaseDuration - renewDeadline) /
 *     leaseDuration, the same assumption client-go makes.)
 *  4. A keep-alive counts only once a linearizable range of the key, sent after it, succeeds and
 *     shows the key still ours. That read needs a quorum (raft ReadIndex); a keep-alive alone
 *     does not — a member that lost its quorum keeps renewing until its election timeout — so
 *     a holder cut off from the quorum stops within renewDeadline of losing it.
 *  5. A holder that sees its key deleted or naming someone else stops at once; a reply that
 *     arrives after the deadline (process stopped, slow network) never makes us leader.
 *
 * Owns: the etcd lease, the key, the watch. Must not touch: Kubernetes objects.
 */
#ifndef VIPD_ETCD_ELECTOR_H
#define VIPD_ETCD_ELECTOR_H

#include <stddef.h>

#include "elector.h"
#include "kc_client.h"
#include "le_config.h"

struct etcd_elector_opts {
	const struct le_config *cfg;  /* copied */
	struct kc_client *kc;	      /* made with plain_http_json; borrowed */
	const char *const *endpoints; /* "https://10.0.0.2:2379", ...; rotated on failures */
	size_t n_endpoints;
	struct elector_callbacks cb;
};

int etcd_elector_new(const struct etcd_elector_opts *o, struct elector *out, char *why,
		     size_t why_len);

#endif
