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

int cli_etcd_tls(const char *cacert, const char *cert, const char *key, struct kc_config *kcfg)
{
	if ((cert == NULL) != (key == NULL))
		return cli_fail("--etcd-cert and --etcd-key go together");
	if (load_pem_file("--etcd-cacert", cacert, &kcfg->ca) ||
	    load_pem_file("--etcd-cert", cert, &kcfg->cert) ||
	    load_pem_file("--etcd-key", key, &kcfg->key))
		return 2;
	return 0;
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
