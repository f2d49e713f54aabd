/*
 * inet_prefix.c — one parser for every address a user or test hands us, so that a bad VIP is
 * rejected with the same clear message whether it came from a flag or an environment variable.
 */
#include "inet_prefix.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(char *why, size_t why_len, const char *fmt, const char *value)
{
	if (why && why_len)
		snprintf(why, why_len, fmt, value);
	return -EINVAL;
}

int inet_prefix_parse_len(const char *text, int family, unsigned *len, char *why, size_t why_len)
{
	unsigned max = family == AF_INET ? 32 : 128;
	const char *p = text[0] == '/' ? text + 1 : text;
	char *end;
	if (!*p || *p < '0' || *p > '9')
		return fail(why, why_len, "prefix length \"%s\": not a number", text);
	errno = 0;
	unsigned long v = strtoul(p, &end, 10);
	if (*end || errno || v > max) {
		char msg[96];
		snprintf(msg, sizeof(msg), "prefix length \"%%s\": must be 0..%u", max);
		return fail(why, why_len, msg, text);
	}
	*len = (unsigned)v;
	return 0;
}

int inet_prefix_parse(const char *text, struct inet_prefix *out, char *why, size_t why_len)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *slash;

	memset(out, 0, sizeof(*out));
	if (!text || !*text)
		return fail(why, why_len, "address \"%s\": empty", text ? text : "");
	slash = strchr(text, '/');
	size_t host_len = slash ? (size_t)(slash - text) : strlen(text);
	if (host_len == 0 || host_len >= sizeof(host))
		return fail(why, why_len, "address \"%s\": not an IPv4 or IPv6 address", text);
	memcpy(host, text, host_len);
	host[host_len] = '\0';

	if (inet_pton(AF_INET, host, &out->addr.v4) == 1) {
		out->family = AF_INET;
		out->prefixlen = 32;
	} else if (inet_pton(AF_INET6, host, &out->addr.v6) == 1) {
		out->family = AF_INET6;
		out->prefixlen = 128;
	} else {
		return fail(why, why_len, "address \"%s\": not an IPv4 or IPv6 address", text);
	}
	if (slash) {
		char inner[96];
		if (inet_prefix_parse_len(slash + 1, out->family, &out->prefixlen, inner,
					  sizeof(inner)) < 0) {
			if (why && why_len)
				snprintf(why, why_len, "address \"%s\": %s", text, inner);
			return -EINVAL;
		}
	}
	return 0;
}

size_t inet_prefix_addr_len(const struct inet_prefix *p)
{
	return p->family == AF_INET ? 4 : 16;
}

bool inet_prefix_same_addr(const struct inet_prefix *a, const struct inet_prefix *b)
{
	return a->family == b->family &&
	       memcmp(a->addr.bytes, b->addr.bytes, inet_prefix_addr_len(a)) == 0;
}

const char *inet_prefix_format_addr(const struct inet_prefix *p, char *buf, size_t len)
{
	if (!inet_ntop(p->family, p->addr.bytes, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

const char *inet_prefix_format(const struct inet_prefix *p, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN];
	inet_prefix_format_addr(p, host, sizeof(host));
	snprintf(buf, len, "%s/%u", host, p->prefixlen);
	return buf;
}
