/*
 * le_config.c — election settings: one-line errors that name the offending values, because a
 * bad timing is a safety problem (a follower could take over while the leader still acts).
 */
#include "le_config.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void fmt_ms(int64_t ms, char *buf, size_t len)
{
	if (ms % 1000 == 0)
		snprintf(buf, len, "%llds", (long long)(ms / 1000));
	else
		snprintf(buf, len, "%lldms", (long long)ms);
}

int le_timing_validate(const struct le_timing *t, char *why, size_t why_len)
{
	char l[32], r[32], p[32];
	fmt_ms(t->lease_ms, l, sizeof(l));
	fmt_ms(t->renew_ms, r, sizeof(r));
	fmt_ms(t->retry_ms, p, sizeof(p));
	if (t->lease_ms <= 0 || t->renew_ms <= 0 || t->retry_ms <= 0) {
		snprintf(why, why_len,
			 "leaseDuration %s, renewDeadline %s, retryPeriod %s: all must be positive",
			 l, r, p);
		return -EINVAL;
	}
	if (t->lease_ms % 1000) {
		snprintf(why, why_len,
			 "leaseDuration %s: must be a whole number of seconds (the Lease stores "
			 "leaseDurationSeconds)",
			 l);
		return -EINVAL;
	}
	if (t->lease_ms > 3600 * 1000) {
		snprintf(why, why_len, "leaseDuration %s: must be at most 1h", l);
		return -EINVAL;
	}
	if (t->lease_ms <= t->renew_ms) {
		snprintf(why, why_len, "leaseDuration %s must be greater than renewDeadline %s", l,
			 r);
		return -EINVAL;
	}
	/* renewDeadline > retryPeriod * 1.2, in integers: 5 * renew > 6 * retry. */
	if (5 * t->renew_ms <= 6 * t->retry_ms) {
		snprintf(why, why_len,
			 "renewDeadline %s must be greater than retryPeriod %s x 1.2 (client-go's "
			 "jitter factor)",
			 r, p);
		return -EINVAL;
	}
	return 0;
}

/* DNS-1123 label: lowercase alphanumerics and '-', starting and ending alphanumeric. With
 * `dots`, a subdomain: labels separated by '.'. */
static bool valid_dns(const char *s, size_t n, size_t max, bool dots)
{
	if (n == 0 || n > max)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
		bool edge = i == 0 || i == n - 1 || (dots && (s[i - 1] == '.' || s[i + 1] == '.'));
		if (alnum)
			continue;
		if ((c == '-' || (dots && c == '.')) && !edge)
			continue;
		return false;
	}
	return true;
}

int le_lock_parse(const char *text, const char *default_ns, struct le_config *cfg, char *why,
		  size_t why_len)
{
	const char *slash = strchr(text, '/');
	const char *ns = default_ns, *name = text;
	size_t ns_len = strlen(default_ns);
	if (slash) {
		ns = text;
		ns_len = (size_t)(slash - text);
		name = slash + 1;
	}
	if (!valid_dns(ns, ns_len, LE_NAMESPACE_MAX - 1, false)) {
		snprintf(why, why_len,
			 "lease \"%s\": namespace \"%.*s\" is not a valid Kubernetes namespace",
			 text, (int)ns_len, ns);
		return -EINVAL;
	}
	if (!valid_dns(name, strlen(name), LE_NAME_MAX - 1, true)) {
		snprintf(why, why_len,
			 "lease \"%s\": name \"%s\" is not a valid Kubernetes object name", text,
			 name);
		return -EINVAL;
	}
	memcpy(cfg->ns, ns, ns_len);
	cfg->ns[ns_len] = '\0';
	snprintf(cfg->name, sizeof(cfg->name), "%s", name);
	return 0;
}

int le_identity_set(struct le_config *cfg, const char *identity, char *why, size_t why_len)
{
	size_t n = strlen(identity);
	if (n == 0 || n >= LE_IDENTITY_MAX) {
		snprintf(why, why_len, "identity \"%.64s\": must be 1 to %d bytes", identity,
			 LE_IDENTITY_MAX - 1);
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)identity[i];
		if (c <= ' ' || c >= 0x7f || c == '"' || c == '\\') {
			snprintf(
			    why, why_len,
			    "identity \"%.64s\": only printable ASCII without spaces or quotes",
			    identity);
			return -EINVAL;
		}
	}
	memcpy(cfg->identity, identity, n + 1);
	return 0;
}

int le_duration_parse(const char *text, int64_t *ms)
{
	char *end;
	if (!*text || isspace((unsigned char)*text) || *text == '-' || *text == '+')
		return -EINVAL;
	errno = 0;
	double v = strtod(text, &end);
	if (errno || end == text || v != v)
		return -EINVAL;
	double scale = 1000;
	if (!strcmp(end, "ms"))
		scale = 1;
	else if (!strcmp(end, "s") || !*end)
		scale = 1000;
	else if (!strcmp(end, "m"))
		scale = 60000;
	else
		return -EINVAL;
	double r = v * scale;
	if (r < 0 || r > 86400.0 * 1000)
		return -EINVAL;
	*ms = (int64_t)(r + 0.5);
	return 0;
}
