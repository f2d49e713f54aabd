/*
 * etcd_gw — request bodies and reply decoding for etcd's v3 JSON gateway (grpc-gateway):
 * lease grant / keep-alive / revoke, the campaign transaction, range, and watch stream lines.
 * The gateway writes int64 fields as strings, omits zero values (a PUT event has no "type",
 * a failed txn no "succeeded") and base64-encodes keys and values.
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

struct etcd_kv {
	bool present;
	char value[LEASE_HOLDER_MAX]; /* the holder's identity */
	int64_t create_rev, mod_rev, lease;
};

enum etcd_ev { ETCD_EV_NONE, ETCD_EV_PUT, ETCD_EV_DELETE };

struct etcd_watch_msg {
	bool created, canceled;
	int64_t revision;	  /* header.revision */
	int64_t compact_revision; /* > 0: our start revision was compacted */
	enum etcd_ev last;	  /* the last event for our key in this message */
	struct etcd_kv kv;	  /* its kv (value empty for DELETE) */
};

/* Bodies (new references). `key` is the raw key, e.g. "kube-system-plndr-cp-lock". */
json_t *etcd_grant_body(int64_t ttl_s);
json_t *etcd_lease_id_body(int64_t id); /* keep-alive and revoke */
json_t *etcd_campaign_body(const char *key, const char *identity, int64_t lease);
json_t *etcd_range_body(const char *key);
json_t *etcd_watch_body(const char *key, int64_t start_rev);

/* Decoders: 0 or -EBADMSG with `why` (one line). */
int etcd_grant_parse(const json_t *body, int64_t *id, int64_t *ttl, char *why, size_t why_len);
/* Keep-alive reply: {"result":{"ID":..,"TTL":..}}; ttl <= 0 means the lease is gone. */
int etcd_keepalive_parse(const json_t *body, int64_t *ttl, char *why, size_t why_len);
/* Campaign txn: succeeded, the store revision, and the current holder when it failed. */
int etcd_txn_parse(const json_t *body, bool *succeeded, int64_t *revision, struct etcd_kv *kv,
		   char *why, size_t why_len);
int etcd_range_parse(const json_t *body, int64_t *revision, struct etcd_kv *kv, char *why,
		     size_t why_len);
/* One line of the watch stream, for `key`. */
int etcd_watch_parse(const char *line, size_t len, const char *key, struct etcd_watch_msg *m,
		     char *why, size_t why_len);

#endif
