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

/*
 * Planned hand-over (vipd's, not client-go's): anyone asks the holder to give the Lease away by
 * setting the annotation LEASE_HANDOVER_ANNOTATION to "from=<holder>,to=<identity>|*". Only the
 * holder named in `from` acts on it: it drops the VIP, then writes the Lease naming `to` (or, for
 * "*", client-go's release, which any candidate takes at once) and replaces the request with
 * LEASE_HANDED_OVER_ANNOTATION = the same text. Candidates that do not know the annotation
 * (kube-vip) simply see a holder change or a release.
 */
#define LEASE_HANDOVER_ANNOTATION    "vipd.io/handover"
#define LEASE_HANDED_OVER_ANNOTATION "vipd.io/handed-over"
#define LEASE_HANDOVER_ANY	     "*"

/* Parses "from=A,to=B" (A an identity; B an identity or "*"; identities are 1..len-1 bytes of
 * [A-Za-z0-9._:-]). Pure. Returns 0 or -EINVAL with why naming the bad part. */
int lease_handover_parse(const char *text, char *from, char *to, size_t len, char *why,
			 size_t why_len);
/* The hand-over request a Lease object carries: 1 (from/to filled), 0 when it has none, or
 * -EBADMSG (why set) when the annotation is malformed. */
int lease_handover_request(const json_t *lease, char *from, char *to, size_t len, char *why,
			   size_t why_len);

/* The identity (or "*") a Lease object's LEASE_HANDED_OVER_ANNOTATION names in `to`: 1, or 0
 * with to = "" when it has none or a malformed one. It marks the record the old holder wrote for
 * the hand-over, and stays on the object (vipd's writes carry annotations over) until the next
 * hand-over or a takeover by the identity it names (lease_takeover_note). */
int lease_handed_over_to(const json_t *lease, char *to, size_t len);
/* A takeover (not a renewal) by `identity` is about to be written from `lease`: a hand-over note
 * naming `identity` is spent, so it is removed — otherwise another process with the same
 * identity would take this fresh record for a hand-over addressed to it. Returns 0 or -EINVAL. */
int lease_takeover_note(json_t *lease, const char *identity);

/* Same record as client-go compares them (all spec fields). */
bool lease_record_equal(const struct lease_record *a, const struct lease_record *b);

#endif
