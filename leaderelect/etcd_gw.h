/*
 * etcd_gw — request bodies and reply decoding for etcd's v3 JSON gateway (grpc-gateway):
 * lease grant / keep-alive / revoke / time-to-live, the campaign and release transactions,
 * range, and watch stream lines. The gateway writes int64 fields as strings, omits zero values
 * (a PUT event has no "type", a failed txn no "succeeded", an empty value no "value") and
 * base64-encodes keys and values.
 *
 * The key's value is the holder's identity; the empty value is the release marker a holder
 * writes just before revoking its lease ("released, nobody holds"; identities are never empty).
 * Planned hand-over (vipd handover) appends ETCD_HANDOVER_TAG and a target (an identity, or "*"
 * for anyone) to the value: after the holder's identity it is a request to that holder (put by
 * `vipd handover`, kept on the holder's etcd lease); after the empty release marker it names
 * the next holder, which alone campaigns at once.
 *
 * Owns: gateway JSON. Must not touch: I/O, clocks, decisions.
 */
#ifndef VIPD_ETCD_GW_H
#define VIPD_ETCD_GW_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lease_record.h"

#define ETCD_HANDOVER_TAG "\nhandover-to="

struct etcd_kv {
	bool present;
	char value[LEASE_HOLDER_MAX];	    /* the holder's identity ("": the release marker) */
	char handover_to[LEASE_HOLDER_MAX]; /* the value's hand-over target ("": none) */
	bool handover_bad; /* the value carries a malformed hand-over part (ignored) */
	int64_t create_rev, mod_rev, lease;
};

/* The key holds the release marker: its holder let it go and is revoking its lease. */
static inline bool etcd_kv_released(const struct etcd_kv *kv)
{
	return kv->present && !kv->value[0];
}

enum etcd_ev { ETCD_EV_NONE, ETCD_EV_PUT, ETCD_EV_DELETE };

struct etcd_watch_msg {
	bool created, canceled;
	int64_t revision;	  /* header.revision */
	int64_t compact_revision; /* > 0: our start revision was compacted */
	enum etcd_ev last;	  /* the last event for our key in this message */
	struct etcd_kv kv;	  /* its kv (value empty for DELETE) */
	struct etcd_kv prev;	  /* its prev_kv: the key before it (present=false: not sent) */
};

/* Bodies (new references). `key` is the raw key, e.g. "kube-system-plndr-cp-lock". */
json_t *etcd_grant_body(int64_t ttl_s);
json_t *etcd_lease_id_body(int64_t id); /* keep-alive, revoke and time-to-live */
json_t *etcd_campaign_body(const char *key, const char *identity, int64_t lease);
/* Release: if the key is bound to `lease` (ours), put the release marker (kept on the lease, so
 * the revoke that follows deletes it), naming the next holder `to` (NULL, "" or "*": anyone). */
json_t *etcd_release_body(const char *key, int64_t lease, const char *to);
/* Hand-over request: if the key is still at `mod_rev`, put `value` (etcd_value_encode) on the
 * key's own `lease`, so the key still goes with its holder's lease. */
json_t *etcd_handover_body(const char *key, int64_t mod_rev, int64_t lease, const char *value);
/* Its withdrawal: if the key still holds `expect` on `lease`, put `value` back. */
json_t *etcd_withdraw_body(const char *key, const char *expect, int64_t lease, const char *value);
/* The value `identity` (or "" for the release marker) with the target `to` (NULL or "": none):
 * 0, or -ENAMETOOLONG when it does not fit `len`. */
int etcd_value_encode(const char *identity, const char *to, char *out, size_t len);
json_t *etcd_range_body(const char *key);
/* Watch from `start_rev`, each event with the key as it was before it (prev_kv). */
json_t *etcd_watch_body(const char *key, int64_t start_rev);

/* Decoders: 0 or -EBADMSG with `why` (one line). */
int etcd_grant_parse(const json_t *body, int64_t *id, int64_t *ttl, char *why, size_t why_len);
/* Keep-alive reply: {"result":{"ID":..,"TTL":..}}; ttl <= 0 means the lease is gone. */
int etcd_keepalive_parse(const json_t *body, int64_t *ttl, char *why, size_t why_len);
/* LeaseTimeToLive reply for lease `id`: the remaining TTL in whole seconds (-1: no such lease,
 * expired or revoked; 0: under a second left) and the granted TTL (0: not sent). */
int etcd_timetolive_parse(const json_t *body, int64_t id, int64_t *ttl, int64_t *granted, char *why,
			  size_t why_len);
/* Campaign (or release) txn: succeeded, the store revision, and the current holder when it failed.
 */
int etcd_txn_parse(const json_t *body, bool *succeeded, int64_t *revision, struct etcd_kv *kv,
		   char *why, size_t why_len);
int etcd_range_parse(const json_t *body, int64_t *revision, struct etcd_kv *kv, char *why,
		     size_t why_len);
/* One line of the watch stream, for `key`. */
int etcd_watch_parse(const char *line, size_t len, const char *key, struct etcd_watch_msg *m,
		     char *why, size_t why_len);

#endif
