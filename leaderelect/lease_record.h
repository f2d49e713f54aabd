/*
 * lease_record — a coordination.k8s.io/v1 Lease as the election sees it: the spec fields
 * client-go reads and writes, plus metadata.resourceVersion. Decoding checks every field's type
 * and names the bad one; encoding writes the spec exactly as client-go's LeaseLock does (all
 * five fields present, times as MicroTime, holderIdentity "" when released).
 *
 * Owns: Lease JSON <-> struct. Must not touch: I/O, clocks, decisions.
 */
#ifndef VIPD_LEASE_RECORD_H
#define VIPD_LEASE_RECORD_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LEASE_HOLDER_MAX 512
#define LEASE_RV_MAX	 64

struct lease_record {
	char holder[LEASE_HOLDER_MAX]; /* "" = not held */
	int32_t duration_s;	       /* leaseDurationSeconds; 0 when absent */
	bool has_acquire, has_renew;
	int64_t acquire_us;  /* acquireTime, microseconds since the epoch (wall clock) */
	int64_t renew_us;    /* renewTime */
	int32_t transitions; /* leaseTransitions */
};

/* Decodes a Lease object: its spec into `rec` and metadata.resourceVersion into `rv`
 * (LEASE_RV_MAX bytes). Returns 0 or -EBADMSG with one line in `why` naming the field. */
int lease_decode(const json_t *lease, struct lease_record *rec, char *rv, char *why,
		 size_t why_len);

/* Same from text (a GET body or a fuzz input). */
int lease_decode_text(const char *text, size_t len, struct lease_record *rec, char *rv, char *why,
		      size_t why_len);

/* The spec object client-go writes for `rec`. New reference, or NULL on allocation failure. */
json_t *lease_spec_encode(const struct lease_record *rec);

/* A whole new Lease for POST: apiVersion, kind, metadata{name, namespace[, annotations]}, spec.
 * `annotations` (an object, borrowed) may be NULL. */
json_t *lease_new_object(const char *ns, const char *name, const struct lease_record *rec,
			 const json_t *annotations);

/* Same record as client-go compares them (all spec fields). */
bool lease_record_equal(const struct lease_record *a, const struct lease_record *b);

#endif
