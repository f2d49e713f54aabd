/*
 * lab.c — the hub namespace, the bridge and node namespaces. Links and addresses are set with
 * iproute2's `ip`, run inside the namespace concerned, so every change is one a person could
 * type and read back.
 */
#include "lab.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"

int lab_subnet_parse(struct lab *lab, const char *text, char *why, size_t why_len)
{
	char buf[64];
	snprintf(buf, sizeof(buf), "%s", text);
	char *slash = strchr(buf, '/');
	char *end = NULL;
	long prefix = slash ? strtol(slash + 1, &end, 10) : -1;
	if (slash)
		*slash = '\0';
	struct in_addr a;
	if (!slash || !end || *end || prefix < 16 || prefix > 29 ||
	    inet_pton(AF_INET, buf, &a) != 1) {
		snprintf(why, why_len, "subnet \"%s\": want an IPv4 prefix a.b.c.d/16..29", text);
		return -EINVAL;
	}
	uint32_t mask = prefix ? ~0u << (32 - prefix) : 0;
	uint32_t host = ntohl(a.s_addr);
	if (host & ~mask) {
		snprintf(why, why_len,
			 "subnet \"%s\": host bits are set (network is %u.%u.%u.%u/%ld)", text,
			 (host & mask) >> 24, (host & mask) >> 16 & 255, (host & mask) >> 8 & 255,
			 host & mask & 255, prefix);
		return -EINVAL;
	}
	lab->network = a;
	lab->prefix = (unsigned)prefix;
	lab->gateway.s_addr = htonl(host + 1);
	lab->vip.s_addr = htonl((host | ~mask) - 1);
	return 0;
}

int lab_addr(const struct lab *lab, unsigned index, struct in_addr *out)
{
	uint32_t base = ntohl(lab->gateway.s_addr);
	if (base + index >= ntohl(lab->vip.s_addr))
		return -ERANGE;
	out->s_addr = htonl(base + index);
	return 0;
}

int lab_ip(const struct lab *lab, const struct lab_node *node, const char *const *args)
{
	char log_path[PATH_MAX];
	fs_path(log_path, sizeof(log_path), "%s/lab.log", lab->dir);
	return sv_run_ip(lab->log, log_path, node ? node->holder : 0, node ? node->name : NULL,
			 args, false);
}

#define IP(lab, node, ...) lab_ip(lab, node, (const char *const[]){__VA_ARGS__, NULL})

int lab_open(struct lab *lab, struct supervisor *sv, const char *dir)
{
	snprintf(lab->dir, sizeof(lab->dir), "%s", dir);
	lab->sv = sv;
	lab->log = sv->log;
	lab->n_nodes = 0;
	if (unshare(CLONE_NEWNET | CLONE_NEWNS) < 0)
		return -errno;
	/* Nothing we mount from here on may reach the machine's mount namespace. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return -errno;
	char gw[INET_ADDRSTRLEN + 4];
	inet_ntop(AF_INET, &lab->gateway, gw, INET_ADDRSTRLEN);
	snprintf(gw + strlen(gw), 4, "/%u", lab->prefix);
	int err;
	if ((err = IP(lab, NULL, "link", "set", "lo", "up")) ||
	    (err = IP(lab, NULL, "link", "add", LAB_BRIDGE, "type", "bridge")) ||
	    (err = IP(lab, NULL, "addr", "add", gw, "dev", LAB_BRIDGE)) ||
	    (err = IP(lab, NULL, "link", "set", LAB_BRIDGE, "up")))
		return err;
	log_info(lab->log, "lab network ready", "bridge=%s gateway=%s", LAB_BRIDGE, gw);
	return 0;
}

struct holder_arg {
	const char *name;
	const char *etc_upper;
	const char *etc_work;
};

/* The node's namespace holder: makes the namespaces, says ready, then waits to be killed. */
static int holder_main(void *varg, int ready_fd)
{
	const struct holder_arg *arg = varg;
	char opts[3 * PATH_MAX];
	int err = 0;
	fs_path(opts, sizeof(opts), "lowerdir=/etc,upperdir=%s,workdir=%s", arg->etc_upper,
		arg->etc_work);
	if (unshare(CLONE_NEWNET | CLONE_NEWUTS | CLONE_NEWNS) < 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    sethostname(arg->name, strlen(arg->name)) < 0 ||
	    mount("overlay", "/etc", "overlay", 0, opts) < 0 || umount2("/sys", MNT_DETACH) < 0 ||
	    mount("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		err = -errno;
	(void)!write(ready_fd, &err, sizeof(err));
	if (err)
		return 1;
	close(ready_fd);
	for (;;)
		pause();
}

int lab_add_node(struct lab *lab, const char *name, unsigned index, const char *hosts,
		 struct lab_node **out)
{
	if (lab->n_nodes == LAB_MAX_NODES)
		return -ENOSPC;
	struct lab_node *node = &lab->nodes[lab->n_nodes];
	memset(node, 0, sizeof(*node));
	snprintf(node->name, sizeof(node->name), "%s", name);
	node->index = index;
	int err = lab_addr(lab, index, &node->addr);
	if (err)
		return err;
	fs_path(node->dir, sizeof(node->dir), "%s/nodes/%s", lab->dir, name);
	fs_path(node->etc_dir, sizeof(node->etc_dir), "%s/etc", node->dir);
	char work[PATH_MAX], path[PATH_MAX], addr[INET_ADDRSTRLEN];
	fs_path(work, sizeof(work), "%s/.etc-work", node->dir);
	inet_ntop(AF_INET, &node->addr, addr, sizeof(addr));
	if ((err = fs_mkdirs(node->etc_dir, 0755)) || (err = fs_mkdirs(work, 0700)))
		return err;
	fs_path(path, sizeof(path), "%s/hostname", node->etc_dir);
	if ((err = fs_printf(path, 0644, "%s\n", name)))
		return err;
	fs_path(path, sizeof(path), "%s/hosts", node->etc_dir);
	if ((err = fs_printf(path, 0644,
			     "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
			     "127.0.0.1\tkubernetes\n%s",
			     hosts ? hosts : "")))
		return err;

	struct holder_arg arg = {.name = name, .etc_upper = node->etc_dir, .etc_work = work};
	struct sv_proc *p;
	if ((err = sv_spawn_fn(lab->sv, "namespaces", name, holder_main, &arg, &p)))
		return err;
	node->holder = p->pid;
	lab->n_nodes++;

	char veth[16], cidr[INET_ADDRSTRLEN + 4], pid[16], gw[INET_ADDRSTRLEN];
	snprintf(veth, sizeof(veth), "veth%u", index);
	fs_path(cidr, sizeof(cidr), "%s/%u", addr, lab->prefix);
	snprintf(pid, sizeof(pid), "%d", (int)node->holder);
	inet_ntop(AF_INET, &lab->gateway, gw, sizeof(gw));
	if ((err = IP(lab, NULL, "link", "add", veth, "type", "veth", "peer", "name", "eth0",
		      "netns", pid)) ||
	    (err = IP(lab, NULL, "link", "set", veth, "master", LAB_BRIDGE, "up")) ||
	    (err = IP(lab, node, "link", "set", "lo", "up")) ||
	    (err = IP(lab, node, "addr", "add", cidr, "dev", "eth0")) ||
	    (err = IP(lab, node, "link", "set", "eth0", "up")) ||
	    (err = IP(lab, node, "route", "add", "default", "via", gw)))
		return err;
	fs_path(path, sizeof(path), "%s/holder.pid", node->dir);
	fs_printf(path, 0644, "%d\n", (int)node->holder);
	log_info(lab->log, "node ready", "node=%s address=%s holder=%d", name, cidr,
		 (int)node->holder);
	if (out)
		*out = node;
	return 0;
}
