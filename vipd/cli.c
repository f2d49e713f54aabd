/*
 * cli.c — helpers every subcommand uses, so each error names the option and the bad value the
 * same way.
 */
#include "cli.h"

#include <errno.h>
#include <linux/netlink.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kc_config.h"

int cli_fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("vipd: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	return 2;
}

static int load_pem_file(const char *opt, const char *path, struct kc_blob *out)
{
	if (!path)
		return 0;
	int r = kc_read_file(path, out);
	if (r < 0)
		return cli_fail("%s \"%s\": %s", opt, path, strerror(-r));
	return 0;
}

bool cli_etcd_option(int c, const char *arg, struct cli_etcd *e)
{
	const char **slot = c == 'e'   ? &e->endpoints
			    : c == 'A' ? &e->cacert
			    : c == 'C' ? &e->cert
			    : c == 'K' ? &e->key
				       : NULL;
	if (slot)
		*slot = arg;
	return slot != NULL;
}

int cli_etcd_client(struct cli_etcd *e, struct kc_config *kcfg)
{
	if (!e->endpoints)
		return cli_fail("--etcd-endpoints is required");
	e->ep_copy = strdup(e->endpoints);
	for (char *tok = e->ep_copy ? strtok(e->ep_copy, ",") : NULL;
	     tok && e->n_eps < CLI_ETCD_MAX_ENDPOINTS; tok = strtok(NULL, ","))
		if (*tok)
			e->eps[e->n_eps++] = tok;
	if (!e->n_eps)
		return cli_fail("--etcd-endpoints \"%s\": no endpoint", e->endpoints);
	for (size_t i = 0; i < e->n_eps; i++)
		if (strncmp(e->eps[i], "https://", 8) && strncmp(e->eps[i], "http://", 7))
			return cli_fail(
			    "--etcd-endpoints \"%s\": must start with https:// or http://",
			    e->eps[i]);
	if ((e->cert == NULL) != (e->key == NULL))
		return cli_fail("--etcd-cert and --etcd-key go together");
	if (load_pem_file("--etcd-cacert", e->cacert, &kcfg->ca) ||
	    load_pem_file("--etcd-cert", e->cert, &kcfg->cert) ||
	    load_pem_file("--etcd-key", e->key, &kcfg->key))
		return 2;
	kcfg->server = strdup(e->eps[0]);
	kcfg->source = strdup("--etcd-endpoints");
	if (!kcfg->server || !kcfg->source)
		return cli_fail("out of memory");
	return 0;
}

void cli_etcd_free(struct cli_etcd *e)
{
	free(e->ep_copy);
	e->ep_copy = NULL;
	e->n_eps = 0;
}

int cli_parse_uint(const char *name, const char *text, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(text, &end, 10);
	if (!*text || *end || errno || text[0] == '-' || v < min || v > max) {
		cli_fail("%s \"%s\": must be a whole number from %llu to %llu", name, text,
			 (unsigned long long)min, (unsigned long long)max);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

int cli_parse_vip(const char *text, struct inet_prefix *vip)
{
	char why[160];
	if (inet_prefix_parse(text, vip, why, sizeof(why)) < 0) {
		cli_fail("%s", why);
		return -EINVAL;
	}
	return 0;
}

int cli_open_link(const char *ifname, struct nl_sock *sock, struct nl_link *link)
{
	struct nl_error err;
	if (!ifname)
		return cli_fail("--interface is required"), -EINVAL;
	if (nl_sock_open(sock, NETLINK_ROUTE, 0, false, &err) < 0) {
		cli_fail("%s", err.msg);
		return err.err;
	}
	if (nl_link_get(sock, ifname, link, &err) < 0) {
		cli_fail("%s", err.msg);
		nl_sock_close(sock);
		return err.err;
	}
	return 0;
}
