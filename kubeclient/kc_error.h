/*
 * kc_error — what went wrong with an API call, typed: the HTTP code and the Kubernetes Status
 * reason (Conflict, NotFound, AlreadyExists, Gone/Expired, Unauthorized, Forbidden, ...), or a
 * transport failure (curl's code, timeouts), so callers branch on the kind, not on text.
 *
 * Owns: building errors from HTTP replies and Status bodies. Must not touch: I/O.
 */
#ifndef VIPD_KC_ERROR_H
#define VIPD_KC_ERROR_H

#include <stdbool.h>
#include <stddef.h>

enum kc_err_kind {
	KC_OK = 0,
	KC_ERR_TRANSPORT,    /* connect, TLS, reset... (curl) */
	KC_ERR_TIMEOUT,	     /* the call's own timeout expired */
	KC_ERR_STATUS,	     /* the server answered with a non-2xx code */
	KC_ERR_BAD_RESPONSE, /* 2xx but the body is not the JSON we expect */
	KC_ERR_CANCELLED,
};

struct kc_error {
	enum kc_err_kind kind;
	long code;	 /* HTTP status; 0 when there was no reply */
	char reason[48]; /* Status.reason, or derived from the code: "Conflict", "NotFound"... */
	char message[256];
	int curl_code;
};

/* Fills `err` from a non-2xx reply: Status.reason/message when the body is a Status, else
 * the reason the code implies. Pure. */
void kc_error_from_reply(struct kc_error *err, long code, const char *body, size_t len);

/* Reason a code implies when the body says nothing ("Conflict" for 409...). */
const char *kc_reason_for_code(long code);

bool kc_error_is(const struct kc_error *err, const char *reason);

/* "409 Conflict: Operation cannot be fulfilled..." or "timeout: ..." into buf. Returns buf. */
const char *kc_error_str(const struct kc_error *err, char *buf, size_t len);

/* Makes a message one printable line in place: control characters (a newline inside a value
 * echoed from a file) become '?'. Returns msg. */
char *kc_one_line(char *msg);

#endif
