/*
 * status — the daemon's own view of itself (`GET /status` on its local endpoint, `vipd status`,
 * `provisioner status`): a small plain snapshot struct, its JSON text, and that text read back.
 *
 * Why a snapshot: the daemon fills it from its state in one place (manager_http.c) at one
 * instant, and everything after that is pure — formatting, parsing, the human table and the
 * exit code are unit-tested on plain values, and the parser (outside input for `vipd status`
 * and the provisioner) is fuzzed (tests/fuzz/fuzz_status_json.c).
 *
 * The JSON (version 1; every field always present, `null` where the value is unknown):
 *
 *   {"version": 1, "identity": "cp-m02", "role": "leader"|"follower"|"out",
 *    "out_reasons": ["health_gate", "identity_collision", "link", "stopping"],   ([] unless out)
 *    "ready": true, "not_ready_reason": null | "…",
 *    "election": {"backend": "lease"|"etcd", "lease": "kube-system/plndr-cp-lock",
 *                 "holder": "cp" ("" unknown), "observed": true, "transitions": 1,
 *                 "last_renewal": "2025-01-02T03:04:05.678Z" | null,
 *                 "last_renewal_age_ms": 412 | null},
 *    "vip": {"address": "192.0.2.254/32", "interface": "eth0", "present": true,
 *            "valid_lifetime_s": 3 | null, "announcements": 12, "announce_errors": 0,
 *            "conflicts": 0},
 *    "health_gate": {"enabled": true, "engaged": true, "passing": true,
 *                    "consecutive_failures": 0, "failures_to_release": 3},
 *    "lb": {"enabled": true, "available": true,
 *           "backends": [{"name": "cp", "address": "192.0.2.2", "ready": true,
 *                         "health": "unknown"|"healthy"|"unhealthy", "in_service": true}]}}
 *
 * The parser is strict about what it knows (each field's type and range; a bad one is named
 * in `why`: `field "vip.present": expected true or false`) and ignores fields it does not
 * know, so a newer daemon can add some.
 *
 * Owns: the snapshot's fields, their JSON names and their meaning. Must not touch: the daemon's
 * state (the daemon fills the struct), sockets, clocks (times come in as numbers).
 * The calls that matter: status_format(), status_parse().
 */
#ifndef VIPD_STATUS_H
#define VIPD_STATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STATUS_VERSION	    1
#define STATUS_NAME_MAX	    254		 /* a DNS subdomain (identity, holder, node) and its NUL */
#define STATUS_TEXT_MAX	    320		 /* lease "ns/name", reasons */
#define STATUS_ADDR_MAX	    64		 /* an address with its prefix length */
#define STATUS_BACKENDS_MAX 32		 /* = BACKENDS_MAX */
#define STATUS_BODY_MAX	    (256 * 1024) /* what a reader accepts */

enum status_role { STATUS_LEADER, STATUS_FOLLOWER, STATUS_OUT };

/* Why the node is out of the election (bits; the same reasons as the daemon's). */
enum status_out_reason {
	STATUS_OUT_HEALTH_GATE = 1 << 0,
	STATUS_OUT_COLLISION = 1 << 1,
	STATUS_OUT_LINK = 1 << 2,
	STATUS_OUT_STOPPING = 1 << 3,
	STATUS_OUT_HANDOVER = 1 << 4, /* handing the lease over (vipd handover); rejoins next */
};
#define STATUS_OUT_ALL 0x1fu

enum status_backend_kind { STATUS_BACKEND_LEASE, STATUS_BACKEND_ETCD };
enum status_health { STATUS_HEALTH_UNKNOWN, STATUS_HEALTH_HEALTHY, STATUS_HEALTH_UNHEALTHY };

struct status_lb_backend {
	char name[STATUS_NAME_MAX];
	char address[STATUS_ADDR_MAX];
	bool ready;
	enum status_health health;
	bool in_service;
};

struct status {
	char identity[STATUS_NAME_MAX];
	enum status_role role;
	unsigned out; /* enum status_out_reason bits; 0 unless role is out */
	bool ready;   /* what /readyz answers */
	char not_ready_reason[STATUS_TEXT_MAX]; /* "" when ready */

	enum status_backend_kind backend;
	char lease[STATUS_TEXT_MAX]; /* "namespace/name" */
	char holder[STATUS_NAME_MAX];
	bool observed; /* the lock has been read once */
	uint64_t transitions;
	int64_t renewed_wall_ms; /* our last successful renewal, Unix ms; -1 unknown */
	int64_t renewed_age_ms;	 /* its age by the boot clock; -1 unknown */

	char vip[STATUS_ADDR_MAX];
	char interface[32];
	bool vip_present;
	int64_t vip_valid_s; /* remaining kernel valid lifetime; -1 unknown */
	uint64_t announcements, announce_errors, conflicts;

	bool gate_enabled, gate_engaged, gate_passing;
	uint32_t gate_failures;	     /* consecutive */
	uint32_t gate_release_after; /* vipd_health_gate_failures */

	bool lb_enabled, lb_available;
	size_t n_backends;
	struct status_lb_backend backends[STATUS_BACKENDS_MAX];
};

const char *status_role_name(enum status_role r);
/* The first reason's name ("health_gate", "identity_collision", "link", "stopping"), or "". */
const char *status_out_name(unsigned out);
const char *status_health_name(enum status_health h);

/* The snapshot as JSON text (one line and a newline) into a malloc'd NUL-terminated buffer.
 * Returns 0, -EINVAL (a field out of its range: role, backend, n_backends) or -ENOMEM. */
int status_format(const struct status *s, char **out, size_t *len);

/* Reads JSON text (at most STATUS_BODY_MAX bytes; need not be NUL-terminated) into *out.
 * Returns 0, or -EPROTO with one line in `why` naming the field and what was expected. */
int status_parse(const char *text, size_t len, struct status *out, char *why, size_t why_len);

#endif
