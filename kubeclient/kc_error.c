/*
 * kc_error.c — Status bodies to typed errors. The reason comes from the body when it is a
 * Status object (kind "Status"), since one code can carry several reasons (409: Conflict or
 * AlreadyExists; 410: Gone or Expired).
 */
#include "kc_error.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

const char *kc_reason_for_code(long code)
{
	switch (code) {
	case 400:
		return "BadRequest";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "NotFound";
	case 405:
		return "MethodNotAllowed";
	case 409:
		return "Conflict";
	case 410:
		return "Gone";
	case 415:
		return "UnsupportedMediaType";
	case 422:
		return "Invalid";
	case 429:
		return "TooManyRequests";
	case 500:
		return "InternalError";
	case 503:
		return "ServiceUnavailable";
	case 504:
		return "Timeout";
	default:
		return "Unknown";
	}
}

static void copy_str(char *dst, size_t cap, const char *src, size_t n)
{
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
	/* One printable line: the text comes from any server and ends up in log lines (a tab,
	 * an escape sequence or a NUL would break them; fuzz_kc_error). */
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)dst[i] < 0x20 || dst[i] == 0x7f)
			dst[i] = ' ';
}

void kc_error_from_reply(struct kc_error *err, long code, const char *body, size_t len)
{
	memset(err, 0, sizeof(*err));
	err->kind = KC_ERR_STATUS;
	err->code = code;
	snprintf(err->reason, sizeof(err->reason), "%s", kc_reason_for_code(code));
	json_t *st = body && len ? json_loadb(body, len, 0, NULL) : NULL;
	const json_t *kind = json_object_get(st, "kind");
	if (json_is_string(kind) && !strcmp(json_string_value(kind), "Status")) {
		const json_t *reason = json_object_get(st, "reason");
		const json_t *msg = json_object_get(st, "message");
		if (json_is_string(reason) && json_string_length(reason))
			copy_str(err->reason, sizeof(err->reason), json_string_value(reason),
				 json_string_length(reason));
		if (json_is_string(msg))
			copy_str(err->message, sizeof(err->message), json_string_value(msg),
				 json_string_length(msg));
	} else if (body && len) {
		copy_str(err->message, sizeof(err->message), body, len);
	}
	json_decref(st);
}

bool kc_error_is(const struct kc_error *err, const char *reason)
{
	return err->kind == KC_ERR_STATUS && !strcmp(err->reason, reason);
}

const char *kc_error_str(const struct kc_error *err, char *buf, size_t len)
{
	switch (err->kind) {
	case KC_OK:
		snprintf(buf, len, "ok");
		break;
	case KC_ERR_STATUS:
		snprintf(buf, len, "%ld %s%s%s", err->code, err->reason,
			 err->message[0] ? ": " : "", err->message);
		break;
	case KC_ERR_TIMEOUT:
		snprintf(buf, len, "timeout: %s", err->message);
		break;
	case KC_ERR_CANCELLED:
		snprintf(buf, len, "cancelled");
		break;
	default:
		snprintf(buf, len, "%s", err->message[0] ? err->message : "transport error");
		break;
	}
	return buf;
}

char *kc_one_line(char *msg)
{
	for (char *p = msg; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return msg;
}
