/*
 * node_files.c — containerd and CNI settings for a node that shares its kernel and disk with
 * other nodes (REFERENCE §6): private paths inside the node's mount namespace, cgroupfs
 * everywhere, our pause image as the sandbox image.
 */
#include "node_files.h"

#include <arpa/inet.h>
#include <stdio.h>

#include "fsutil.h"

int node_write_containerd_config(const struct node *n)
{
	char path[PATH_MAX];
	fs_path(path, sizeof(path), "%s/conf/containerd.toml", n->dir);
	/* root/state/sockets are the default paths, but /var/lib and /run are the node's own
	 * (bind mounts); containerd 1.6 keeps some state under /run/containerd whatever `state`
	 * says. The opt plugin would write to the machine's /opt: disabled.
	 * restrict_oom_score_adj: these machines withhold CAP_SYS_RESOURCE even from root, so
	 * runc cannot set the negative oom_score_adj kubelet asks for (-998 for sandboxes) and
	 * fails with "can't get final child's PID from pipe"; clamped to containerd's own. */
	return fs_printf(
	    path, 0644,
	    "version = 2\n"
	    "root = \"/var/lib/containerd\"\n"
	    "state = \"/run/containerd\"\n"
	    "disabled_plugins = [\"io.containerd.internal.v1.opt\", "
	    "\"io.containerd.snapshotter.v1.aufs\", \"io.containerd.snapshotter.v1.btrfs\", "
	    "\"io.containerd.snapshotter.v1.devmapper\", \"io.containerd.snapshotter.v1.zfs\", "
	    "\"io.containerd.tracing.processor.v1.otlp\", \"io.containerd.internal.v1.tracing\"]\n"
	    "[grpc]\n"
	    "  address = \"/run/containerd/containerd.sock\"\n"
	    "[ttrpc]\n"
	    "  address = \"/run/containerd/containerd.sock.ttrpc\"\n"
	    "[plugins.\"io.containerd.grpc.v1.cri\"]\n"
	    "  sandbox_image = \"%s\"\n"
	    "  disable_apparmor = true\n"
	    "  restrict_oom_score_adj = true\n"
	    "  enable_selinux = false\n"
	    "  [plugins.\"io.containerd.grpc.v1.cri\".containerd]\n"
	    "    snapshotter = \"overlayfs\"\n"
	    "    default_runtime_name = \"runc\"\n"
	    "    discard_unpacked_layers = false\n"
	    "    [plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc]\n"
	    "      runtime_type = \"io.containerd.runc.v2\"\n"
	    "      [plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc.options]\n"
	    "        SystemdCgroup = false\n"
	    "  [plugins.\"io.containerd.grpc.v1.cri\".cni]\n"
	    "    bin_dir = \"/usr/lib/cni\"\n"
	    "    conf_dir = \"/etc/cni/net.d\"\n",
	    n->cfg.sandbox_image);
}

int node_write_cni_config(const struct node *n)
{
	char path[PATH_MAX];
	fs_path(path, sizeof(path), "%s/etc/cni/net.d/10-vipd.conflist", n->dir);
	/* No masquerade: pod addresses are routed between nodes as they are. host-local keeps
	 * its leases in the node's own /var/lib. */
	return fs_printf(path, 0644,
			 "{\n"
			 "  \"cniVersion\": \"0.4.0\",\n"
			 "  \"name\": \"vipd-pods\",\n"
			 "  \"plugins\": [{\n"
			 "    \"type\": \"bridge\",\n"
			 "    \"bridge\": \"cni0\",\n"
			 "    \"isGateway\": true,\n"
			 "    \"ipMasq\": false,\n"
			 "    \"hairpinMode\": true,\n"
			 "    \"ipam\": {\n"
			 "      \"type\": \"host-local\",\n"
			 "      \"ranges\": [[{\"subnet\": \"%s\"}]],\n"
			 "      \"routes\": [{\"dst\": \"0.0.0.0/0\"}],\n"
			 "      \"dataDir\": \"/var/lib/cni/networks\"\n"
			 "    }\n"
			 "  }]\n"
			 "}\n",
			 n->cfg.pod_cidr);
}
