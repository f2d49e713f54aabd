/*
 * test_profile.c — the profile store: config.json read strictly and written back identically,
 * node ids and addresses handed out once, the files and modes on disk, and the lock that keeps
 * two commands on one profile from interleaving.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fsutil.h"
#include "profile.h"

static void make_profile(struct profile *p, const char *name, const char *subnet)
{
	char why[256] = "";
	cr_assert_eq(profile_init(p, name, subnet, 8443, "v1.34.4", "vipd", why, sizeof(why)), 0,
		     "%s", why);
}

/* web on 192.168.49.0/24: web (cp), web-m02 (cp), web-m03 (worker). */
static void three_nodes(struct profile *p)
{
	make_profile(p, "web", "192.168.49.0/24");
	for (int i = 0; i < 3; i++)
		cr_assert_eq(profile_node_add(p, i < 2, NULL), 0);
}

static void make_home(char *home)
{
	strcpy(home, "/tmp/test_profile.XXXXXX");
	cr_assert_not_null(mkdtemp(home));
}

static mode_t mode_of(const char *path)
{
	struct stat st;
	cr_assert_eq(stat(path, &st), 0, "%s: %s", path, strerror(errno));
	return st.st_mode & 07777;
}

static bool exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

Test(profile, init_fills_the_fixed_fields)
{
	struct profile p;
	make_profile(&p, "web", "192.168.49.0/24");
	cr_assert_str_eq(p.gateway, "192.168.49.1");
	cr_assert_str_eq(p.vip, "192.168.49.254");
	cr_assert_str_eq(p.driver, "namespaces");
	cr_assert_str_eq(p.runtime, "containerd");
	cr_assert_eq(p.last_id, 0);
	cr_assert_eq(p.n_nodes, 0);
	cr_assert_not(p.lb_enable);
	cr_assert_gt(p.created, 0);
	cr_assert_eq(strlen(p.bridge), 11);
	cr_assert_eq(strncmp(p.bridge, "vp-", 3), 0);
	cr_assert_eq(strspn(p.bridge + 3, "0123456789abcdef"), 8);
	struct profile q;
	make_profile(&q, "api", "192.168.49.0/24");
	cr_assert_str_neq(p.bridge, q.bridge);

	char why[256];
	cr_assert_eq(
	    profile_init(&p, "web", "10.0.0.0/8", 8443, "v1.34.4", "vipd", why, sizeof(why)),
	    -EINVAL);
	cr_assert_str_eq(why, "subnet \"10.0.0.0/8\": has prefix length 8; it must be 16..29");
	cr_assert_eq(
	    profile_init(&p, "web", "192.168.49.0/24", 0, "v1.34.4", "vipd", why, sizeof(why)),
	    -EINVAL);
	cr_assert_eq(
	    profile_init(&p, "web", "192.168.49.0/24", 8443, "1.34", "vipd", why, sizeof(why)),
	    -EINVAL);
	cr_assert_eq(profile_init(&p, "web", "192.168.49.0/24", 8443, "v1.34.4", "keepalived", why,
				  sizeof(why)),
		     -EINVAL);
	cr_assert_str_eq(why, "VIP provider \"keepalived\": is not one of \"vipd\", \"kube-vip\"");
	cr_assert_eq(
	    profile_init(&p, "Web", "192.168.49.0/24", 8443, "v1.34.4", "vipd", why, sizeof(why)),
	    -EINVAL);
	cr_assert_str_eq(why, "profile name \"Web\": does not start with a letter a-z");
}

Test(profile, round_trip)
{
	struct profile p, q;
	three_nodes(&p);
	p.lb_enable = true;
	p.nodes[1].init_pid = 4242;
	p.nodes[1].init_start = 123456789012ULL;
	char *text = profile_format(&p);
	cr_assert_not_null(text);
	cr_assert_eq(text[strlen(text) - 1], '\n');
	char why[256] = "";
	cr_assert_eq(profile_parse(text, strlen(text), &q, why, sizeof(why)), 0, "%s\n%s", why,
		     text);
	cr_assert_eq(memcmp(&p, &q, sizeof(p)), 0);
	char *again = profile_format(&q);
	cr_assert_str_eq(again, text);
	/* Not NUL-terminated: the parser stops at len. */
	char *copy = malloc(strlen(text));
	memcpy(copy, text, strlen(text));
	cr_assert_eq(profile_parse(copy, strlen(text), &q, why, sizeof(why)), 0, "%s", why);
	free(copy);
	free(again);
	free(text);
}

/* vip_election: written always, "etcd" survives the round trip; a profile written before the
 * field existed loads as "lease"; etcd is vipd's alone. */
Test(profile, vip_election_round_trips_and_defaults_to_lease)
{
	struct profile p, q;
	char why[256] = "";
	three_nodes(&p);
	cr_assert_str_eq(p.vip_election, "lease");
	strcpy(p.vip_election, "etcd");
	char *text = profile_format(&p);
	cr_assert_not_null(strstr(text, "\"vip_election\": \"etcd\""), "%s", text);
	cr_assert_eq(profile_parse(text, strlen(text), &q, why, sizeof(why)), 0, "%s", why);
	cr_assert_str_eq(q.vip_election, "etcd");
	cr_assert_eq(memcmp(&p, &q, sizeof(p)), 0);
	free(text);

	json_t *root = json_loads((text = profile_format(&p)), 0, NULL);
	free(text);
	json_object_del(root, "vip_election");
	text = json_dumps(root, 0);
	cr_assert_eq(profile_parse(text, strlen(text), &q, why, sizeof(why)), 0, "%s", why);
	cr_assert_str_eq(q.vip_election, "lease");
	free(text);

	json_object_set_new(root, "vip_provider", json_string("kube-vip"));
	json_object_set_new(root, "vip_election", json_string("etcd"));
	text = json_dumps(root, 0);
	json_decref(root);
	cr_assert_eq(profile_parse(text, strlen(text), &q, why, sizeof(why)), -EINVAL);
	cr_assert_str_eq(
	    why, "profile field \"vip_election\": \"etcd\" is only for vip_provider \"vipd\"");
	free(text);
}

/* Sets field ("apiserver_port", "nodes.1.ip", "nodes.0") of a valid profile's JSON to value
 * (JSON text; NULL: removes the field), then parses the result. */
static int parse_with(const char *field, const char *value, char *why, size_t why_len)
{
	struct profile p;
	three_nodes(&p);
	char *text = profile_format(&p), key[64], *node = NULL;
	json_t *root = json_loads(text, 0, NULL), *obj = root;
	json_t *v = value ? json_loads(value, JSON_DECODE_ANY, NULL) : NULL;
	free(text);
	snprintf(key, sizeof(key), "%s", field);
	if (!strncmp(key, "nodes.", 6)) {
		size_t i = strtoul(key + 6, &node, 10);
		obj = json_object_get(root, "nodes");
		if (!*node)
			json_array_set_new(obj, i, v);
		obj = json_array_get(obj, i);
	}
	if (!node || *node)
		v ? json_object_set_new(obj, node ? node + 1 : key, v)
		  : json_object_del(obj, node ? node + 1 : key);
	text = json_dumps(root, 0);
	json_decref(root);
	int err = profile_parse(text, strlen(text), &p, why, why_len);
	free(text);
	return err;
}

struct bad_field {
	const char *field, *value, *why;
};

Test(profile, each_bad_field_is_named_with_its_value)
{
	static const struct bad_field cases[] = {
	    {"apiserver_port", "70000",
	     "profile field \"apiserver_port\": 70000 is out of range 1..65535"},
	    {"apiserver_port", "\"8443\"",
	     "profile field \"apiserver_port\": \"8443\" is not an integer"},
	    {"apiserver_port", "8443.0",
	     "profile field \"apiserver_port\": 8443.0 is not an integer"},
	    {"name", "\"Web\"", "profile field \"name\": \"Web\" does not start with a letter a-z"},
	    {"name", "\"w_b\"", "profile field \"name\": \"w_b\" has '_'; only a-z, 0-9 and '-'"},
	    {"name", "\"we\\nb\"", "profile field \"name\": \"we\\x0ab\" has byte 0x0a"},
	    {"driver", "\"docker\"", "profile field \"driver\": \"docker\" is not \"namespaces\""},
	    {"runtime", "\"cri-o\"", "profile field \"runtime\": \"cri-o\" is not \"containerd\""},
	    {"subnet", "\"10.0.0.0/8\"",
	     "profile field \"subnet\": \"10.0.0.0/8\" has prefix length 8; it must be 16..29"},
	    {"subnet", "\"192.168.49.5/24\"", "has host bits set (the network is 192.168.49.0/24)"},
	    {"subnet", "\"192.168.49.0/024\"", "is not an IPv4 prefix a.b.c.d/len"},
	    {"subnet", "\"192.168.49.0\"", "is not an IPv4 prefix a.b.c.d/len"},
	    {"gateway", "\"192.168.49.2\"",
	     "profile field \"gateway\": \"192.168.49.2\" is not the "
	     "subnet's first address (192.168.49.1)"},
	    {"gateway", "\"gw\"", "profile field \"gateway\": \"gw\" is not an IPv4 address"},
	    {"vip", "\"192.168.49.200\"",
	     "profile field \"vip\": \"192.168.49.200\" is not the "
	     "subnet's last usable address (192.168.49.254)"},
	    {"vip", NULL, "profile field \"vip\" is missing"},
	    {"k8s_version", "\"1.34\"",
	     "profile field \"k8s_version\": \"1.34\" is not a Kubernetes"},
	    {"k8s_version", "\"v1.34.4-this-is-a-very-long-suffix\"",
	     "is longer than 31 characters"},
	    {"vip_provider", "\"keepalived\"",
	     "profile field \"vip_provider\": \"keepalived\" is not one of \"vipd\", \"kube-vip\""},
	    {"vip_election", "\"raft\"",
	     "profile field \"vip_election\": \"raft\" is not one of \"lease\", \"etcd\""},
	    {"vip_election", "\"\"",
	     "profile field \"vip_election\": \"\" is not one of \"lease\", \"etcd\""},
	    {"vip_election", "true", "profile field \"vip_election\": true is not a string"},
	    {"bridge", "\"a/b\"", "profile field \"bridge\": \"a/b\" is not an interface name"},
	    {"bridge", "\"\"", "profile field \"bridge\": \"\" is not an interface name"},
	    {"lb_enable", "\"yes\"", "profile field \"lb_enable\": \"yes\" is not true or false"},
	    {"last_id", "100", "profile field \"last_id\": 100 is out of range 0..99"},
	    {"created", "-1", "profile field \"created\": -1 is out of range 0.."},
	    {"nodes", "{}", "profile field \"nodes\": {} is not an array"},
	    {"colour", "\"blue\"", "profile field \"colour\" is not a known field"},
	    {"nodes.0", "5", "profile field \"nodes[0]\": 5 is not an object"},
	    {"nodes.0.extra", "1", "profile field \"nodes[0].extra\" is not a known field"},
	    {"nodes.1.id", "1", "profile field \"nodes[1].id\": 1 is used by two nodes"},
	    {"nodes.2.id", "7", "profile field \"nodes[2].id\": 7 is above last_id 3"},
	    {"nodes.2.id", "0", "profile field \"nodes[2].id\": 0 is out of range 1..99"},
	    {"nodes.1.name", "\"web-m2\"",
	     "profile field \"nodes[1].name\": \"web-m2\" does not match id 2 (want \"web-m02\")"},
	    {"nodes.1.ip", "\"192.168.49.9\"",
	     "profile field \"nodes[1].ip\": \"192.168.49.9\" is not gateway + id (192.168.49.3)"},
	    {"nodes.0.pod_cidr", "\"10.244.0.0/16\"",
	     "profile field \"nodes[0].pod_cidr\": "
	     "\"10.244.0.0/16\" is not 10.244.1.0/24 for id 1"},
	    {"nodes.0.control_plane", "1",
	     "profile field \"nodes[0].control_plane\": 1 is not true or false"},
	    {"nodes.0.init_pid", "-1",
	     "profile field \"nodes[0].init_pid\": -1 is out of range 0..4194304"},
	    {"nodes.0.init_start", "null",
	     "profile field \"nodes[0].init_start\": null is not an "
	     "integer"},
	    {"nodes.2.pod_cidr", NULL, "profile field \"nodes[2].pod_cidr\" is missing"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char why[256] = "";
		cr_assert_eq(parse_with(cases[i].field, cases[i].value, why, sizeof(why)), -EINVAL,
			     "%s = %s was accepted", cases[i].field, cases[i].value);
		cr_expect_not_null(strstr(why, cases[i].why), "%s = %s:\n got: %s\nwant: %s",
				   cases[i].field, cases[i].value, why, cases[i].why);
		cr_expect_null(strchr(why, '\n'), "two lines: %s", why);
	}
}

Test(profile, bad_documents)
{
	static const struct {
		const char *text, *why;
	} cases[] = {
	    {"", "profile JSON: line 1 column 0: "},
	    {"{", "profile JSON: line 1 column 1: "},
	    {"[]", "profile JSON: the top level is not an object"},
	    {"{\"name\": \"a\", \"name\": \"b\"}", "duplicate object key"},
	    {"{\"name\": \"web\"}", "profile field \"driver\" is missing"},
	    {"{\"name\": \"w\x01\"}", "profile JSON: line 1"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct profile p;
		char why[256] = "";
		cr_assert_eq(
		    profile_parse(cases[i].text, strlen(cases[i].text), &p, why, sizeof(why)),
		    -EINVAL, "accepted %s", cases[i].text);
		cr_expect_not_null(strstr(why, cases[i].why), "got: %s\nwant: %s", why,
				   cases[i].why);
		for (const char *s = why; *s; s++)
			cr_expect(*s >= ' ' && *s < 0x7f, "unprintable byte in: %s", why);
	}
}

Test(profile, limits_that_need_a_whole_document)
{
	struct profile p;
	char why[256] = "";
	/* /29: node addresses .2-.5, so ids stop at 4. */
	make_profile(&p, "web", "192.168.50.0/29");
	p.last_id = 5;
	char *text = profile_format(&p);
	cr_assert_eq(profile_parse(text, strlen(text), &p, why, sizeof(why)), -EINVAL);
	cr_assert_str_eq(why, "profile field \"last_id\": 5 is above 4, the last node id subnet "
			      "192.168.50.0/29 has addresses for");
	free(text);

	/* 17 nodes. */
	make_profile(&p, "web", "192.168.0.0/16");
	for (int i = 0; i < PROFILE_MAX_NODES; i++)
		cr_assert_eq(profile_node_add(&p, true, NULL), 0);
	text = profile_format(&p);
	json_t *root = json_loads(text, 0, NULL);
	json_t *nodes = json_object_get(root, "nodes");
	json_array_append(nodes, json_array_get(nodes, 0));
	free(text);
	text = json_dumps(root, 0);
	json_decref(root);
	cr_assert_eq(profile_parse(text, strlen(text), &p, why, sizeof(why)), -EINVAL);
	cr_assert_str_eq(why, "profile field \"nodes\" has 17 nodes; at most 16 are allowed");
	free(text);
}

Test(profile, name_check)
{
	static const char *const good[] = {"a", "web", "a-1", "ha-cluster-2",
					   "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		cr_assert_eq(profile_name_check(good[i], NULL, 0), 0, "%s", good[i]);
	static const struct {
		const char *name, *why;
	} bad[] = {
	    {"", "profile name \"\": is empty"},
	    {"1web", "profile name \"1web\": does not start with a letter a-z"},
	    {"-web", "profile name \"-web\": does not start with a letter a-z"},
	    {"web-", "profile name \"web-\": ends in '-'"},
	    {"wEb", "profile name \"wEb\": has 'E'; only a-z, 0-9 and '-' are allowed"},
	    {"we b", "profile name \"we b\": has byte 0x20; only a-z, 0-9 and '-' are allowed"},
	    {"a/..", "profile name \"a/..\": has '/'; only a-z, 0-9 and '-' are allowed"},
	    {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "is longer than 40 characters"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char why[256] = "";
		cr_assert_eq(profile_name_check(bad[i].name, why, sizeof(why)), -EINVAL, "%s",
			     bad[i].name);
		cr_expect_not_null(strstr(why, bad[i].why), "got: %s\nwant: %s", why, bad[i].why);
	}
}

Test(profile, node_ids_are_never_reused)
{
	struct profile p;
	struct profile_node *n;
	three_nodes(&p);
	cr_assert_str_eq(p.nodes[0].name, "web");
	cr_assert_str_eq(p.nodes[0].ip, "192.168.49.2");
	cr_assert_str_eq(p.nodes[1].name, "web-m02");
	cr_assert_str_eq(p.nodes[2].pod_cidr, "10.244.3.0/24");
	cr_assert_not(p.nodes[2].control_plane);
	profile_node_remove(&p, profile_node_find(&p, "m02"));
	cr_assert_eq(p.n_nodes, 2);
	cr_assert_eq(profile_node_add(&p, true, &n), 0);
	cr_assert_str_eq(n->name, "web-m04");
	cr_assert_eq(n->id, 4);
	cr_assert_str_eq(n->ip, "192.168.49.5");
	cr_assert_str_eq(n->pod_cidr, "10.244.4.0/24");
	cr_assert_eq(n->init_pid, 0);
	cr_assert_eq(p.last_id, 4);
	cr_assert_str_eq(p.nodes[0].name, "web");
	cr_assert_str_eq(p.nodes[1].name, "web-m03");
	cr_assert_str_eq(p.nodes[2].name, "web-m04");
	cr_assert_eq(profile_control_planes(&p), 2);
	cr_assert_eq(profile_primary(&p), &p.nodes[0]);
	profile_node_remove(&p, &p.nodes[0]);
	cr_assert_eq(profile_primary(&p), &p.nodes[1]); /* web-m04: web-m03 is a worker */
	profile_node_remove(&p, &p.nodes[1]);
	cr_assert_null(profile_primary(&p));
}

Test(profile, find_by_name_or_suffix)
{
	struct profile p;
	three_nodes(&p);
	cr_assert_eq(profile_node_find(&p, "web"), &p.nodes[0]);
	cr_assert_eq(profile_node_find(&p, "web-m02"), &p.nodes[1]);
	cr_assert_eq(profile_node_find(&p, "m03"), &p.nodes[2]);
	cr_assert_null(profile_node_find(&p, "m04"));
	cr_assert_null(profile_node_find(&p, "03"));
	cr_assert_null(profile_node_find(&p, "eb-m03"));
	cr_assert_null(profile_node_find(&p, "m01"));
	cr_assert_null(profile_node_find(&p, ""));
}

Test(profile, ids_and_addresses_run_out)
{
	struct profile p;
	make_profile(&p, "web", "192.168.50.0/29");
	cr_assert_str_eq(p.vip, "192.168.50.6");
	for (int i = 0; i < 4; i++)
		cr_assert_eq(profile_node_add(&p, true, NULL), 0);
	cr_assert_str_eq(p.nodes[3].ip, "192.168.50.5");
	cr_assert_eq(profile_node_add(&p, true, NULL), -ENOSPC);
	cr_assert_eq(p.n_nodes, 4);
	cr_assert_eq(p.last_id, 4);

	make_profile(&p, "web", "192.168.0.0/16");
	for (int i = 0; i < PROFILE_MAX_NODES; i++)
		cr_assert_eq(profile_node_add(&p, false, NULL), 0);
	cr_assert_eq(profile_node_add(&p, false, NULL), -ENOSPC);
	while (p.last_id < PROFILE_MAX_ID) {
		profile_node_remove(&p, &p.nodes[0]);
		cr_assert_eq(profile_node_add(&p, false, NULL), 0);
	}
	cr_assert_str_eq(p.nodes[PROFILE_MAX_NODES - 1].name, "web-m99");
	profile_node_remove(&p, &p.nodes[0]);
	cr_assert_eq(profile_node_add(&p, false, NULL), -ENOSPC);
}

Test(profile, save_and_load)
{
	char home[64], path[PATH_MAX], why[256] = "";
	struct profile p, q;
	make_home(home);
	three_nodes(&p);
	cr_assert_eq(profile_load(home, "web", &q, why, sizeof(why)), -ENOENT);
	cr_assert_eq(profile_save(home, &p), 0);
	snprintf(path, sizeof(path), "%s/profiles", home);
	cr_assert_eq(mode_of(path), 0700);
	snprintf(path, sizeof(path), "%s/profiles/web", home);
	cr_assert_eq(mode_of(path), 0700);
	snprintf(path, sizeof(path), "%s/profiles/web/config.json", home);
	cr_assert_eq(mode_of(path), 0600);
	snprintf(path, sizeof(path), "%s/profiles/web/config.json.tmp", home);
	cr_assert_not(exists(path));
	cr_assert_eq(profile_load(home, "web", &q, why, sizeof(why)), 0, "%s", why);
	cr_assert_eq(memcmp(&p, &q, sizeof(p)), 0);

	/* Saved again over a stale temporary file. */
	cr_assert_eq(fs_printf(path, 0644, "junk"), 0);
	p.nodes[0].init_pid = 77;
	cr_assert_eq(profile_save(home, &p), 0);
	cr_assert_not(exists(path));
	cr_assert_eq(profile_load(home, "web", &q, why, sizeof(why)), 0, "%s", why);
	cr_assert_eq(q.nodes[0].init_pid, 77);

	/* What would not load back is not written. */
	p.apiserver_port = 0;
	cr_assert_eq(profile_save(home, &p), -EINVAL);
	cr_assert_eq(profile_load(home, "web", &q, why, sizeof(why)), 0, "%s", why);
	cr_assert_eq(q.apiserver_port, 8443);
	cr_assert_eq(fs_rmtree(home), 0);
}

Test(profile, load_refuses_what_is_not_its_profile)
{
	char home[64], path[PATH_MAX], why[256] = "";
	struct profile p;
	make_home(home);
	three_nodes(&p);
	cr_assert_eq(profile_save(home, &p), 0);
	/* Another profile's config.json copied in. */
	snprintf(path, sizeof(path), "%s/profiles/api", home);
	cr_assert_eq(fs_mkdirs(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/profiles/api/config.json", home);
	char from[PATH_MAX];
	snprintf(from, sizeof(from), "%s/profiles/web/config.json", home);
	cr_assert_eq(fs_copy(from, path, 0600), 0);
	cr_assert_eq(profile_load(home, "api", &p, why, sizeof(why)), -EINVAL);
	cr_assert_not_null(strstr(why, "\"web\" is not its directory's name \"api\""), "%s", why);

	/* Too large. */
	int fd = open(path, O_WRONLY | O_TRUNC);
	cr_assert_geq(fd, 0);
	cr_assert_eq(ftruncate(fd, 1024 * 1024 + 1), 0);
	close(fd);
	cr_assert_eq(profile_load(home, "api", &p, why, sizeof(why)), -EINVAL);
	cr_assert_not_null(strstr(why, "config.json is larger than 1 MiB"), "%s", why);
	cr_assert_eq(profile_load(home, "../x", &p, why, sizeof(why)), -EINVAL);
	cr_assert_eq(fs_rmtree(home), 0);
}

struct waiter {
	int calls;
	int release_fd; /* written to: the holder lets go */
};

static void on_waiting(void *ctx)
{
	struct waiter *w = ctx;
	w->calls++;
	cr_assert_eq(write(w->release_fd, "r", 1), 1);
}

/* A child takes the lock, says so on `locked`, waits for a byte on `release`, then (if remove)
 * removes the profile, and exits (which lets go of the lock). */
static pid_t holder(const char *home, bool remove, int *locked_rd, int *release_wr)
{
	int locked[2], release[2];
	cr_assert_eq(pipe(locked), 0);
	cr_assert_eq(pipe(release), 0);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		char c;
		int fd = profile_lock(home, "web", NULL, NULL);
		if (fd < 0 || write(locked[1], "l", 1) != 1 || read(release[0], &c, 1) != 1)
			_exit(1);
		if (remove && profile_remove(home, "web"))
			_exit(2);
		_exit(0);
	}
	close(locked[1]);
	close(release[0]);
	*locked_rd = locked[0];
	*release_wr = release[1];
	return pid;
}

Test(profile, lock_waits_for_the_holder)
{
	char home[64], path[PATH_MAX], c;
	int locked, status;
	struct waiter w = {0};
	make_home(home);
	pid_t pid = holder(home, false, &locked, &w.release_fd);
	cr_assert_eq(read(locked, &c, 1), 1);
	int fd = profile_lock(home, "web", on_waiting, &w);
	cr_assert_geq(fd, 0, "%s", strerror(-fd));
	cr_assert_eq(w.calls, 1);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	snprintf(path, sizeof(path), "%s/profiles/web/lock", home);
	cr_assert_eq(mode_of(path), 0600);
	snprintf(path, sizeof(path), "%s/profiles/web", home);
	cr_assert_eq(mode_of(path), 0700);
	/* Free now: no waiting. */
	profile_unlock(fd);
	fd = profile_lock(home, "web", on_waiting, &w);
	cr_assert_geq(fd, 0);
	cr_assert_eq(w.calls, 1);
	profile_unlock(fd);
	cr_assert_eq(fs_rmtree(home), 0);
}

Test(profile, lock_is_taken_afresh_when_the_holder_removed_the_profile)
{
	char home[64], path[PATH_MAX], c;
	int locked, status;
	struct waiter w = {0};
	struct stat held, now;
	make_home(home);
	pid_t pid = holder(home, true, &locked, &w.release_fd);
	cr_assert_eq(read(locked, &c, 1), 1);
	int fd = profile_lock(home, "web", on_waiting, &w);
	cr_assert_geq(fd, 0, "%s", strerror(-fd));
	cr_assert_eq(w.calls, 1);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "holder: %d", status);
	snprintf(path, sizeof(path), "%s/profiles/web/lock", home);
	cr_assert_eq(fstat(fd, &held), 0);
	cr_assert_eq(stat(path, &now), 0);
	cr_assert_eq(held.st_ino, now.st_ino);
	profile_unlock(fd);
	cr_assert_eq(fs_rmtree(home), 0);
}

static void make_dir(const char *home, const char *name)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/profiles/%s", home, name);
	cr_assert_eq(fs_mkdirs(path, 0700), 0);
}

Test(profile, list_is_sorted_and_skips_what_is_not_a_profile)
{
	char home[64], path[PATH_MAX], names[8][PROFILE_NAME_MAX + 1];
	size_t n = 99;
	make_home(home);
	cr_assert_eq(profile_list(home, names, 8, &n), 0);
	cr_assert_eq(n, 0);
	make_dir(home, "zeta");
	make_dir(home, "web");
	make_dir(home, "api");
	make_dir(home, "Bad");
	make_dir(home, "-x");
	make_dir(home, ".hidden");
	snprintf(path, sizeof(path), "%s/profiles/file", home);
	cr_assert_eq(fs_printf(path, 0600, "x"), 0);
	snprintf(path, sizeof(path), "%s/profiles/link", home);
	cr_assert_eq(symlink("web", path), 0);
	cr_assert_eq(profile_list(home, names, 8, &n), 0);
	cr_assert_eq(n, 3);
	cr_assert_str_eq(names[0], "api");
	cr_assert_str_eq(names[1], "web");
	cr_assert_str_eq(names[2], "zeta");
	cr_assert_eq(profile_list(home, names, 2, &n), -ENOBUFS);
	cr_assert_eq(fs_rmtree(home), 0);
}

Test(profile, remove_takes_everything_and_follows_no_link)
{
	char home[64], path[PATH_MAX], outside[PATH_MAX];
	struct profile p;
	make_home(home);
	three_nodes(&p);
	cr_assert_eq(profile_save(home, &p), 0);
	int fd = profile_lock(home, "web", NULL, NULL);
	cr_assert_geq(fd, 0);
	snprintf(path, sizeof(path), "%s/profiles/web/nodes/web-m02/rootfs/etc", home);
	cr_assert_eq(fs_mkdirs(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/profiles/web/nodes/web-m02/rootfs/etc/hosts", home);
	cr_assert_eq(fs_printf(path, 0644, "127.0.0.1 localhost\n"), 0);
	snprintf(outside, sizeof(outside), "%s/keep", home);
	cr_assert_eq(fs_mkdirs(outside, 0700), 0);
	snprintf(path, sizeof(path), "%s/keep/file", home);
	cr_assert_eq(fs_printf(path, 0600, "x"), 0);
	snprintf(path, sizeof(path), "%s/profiles/web/nodes/outside", home);
	cr_assert_eq(symlink(outside, path), 0);

	cr_assert_eq(profile_remove(home, "web"), 0);
	profile_unlock(fd);
	snprintf(path, sizeof(path), "%s/profiles/web", home);
	cr_assert_not(exists(path));
	snprintf(path, sizeof(path), "%s/keep/file", home);
	cr_assert(exists(path));
	cr_assert_eq(profile_remove(home, "web"), -ENOENT);
	cr_assert_eq(profile_remove(home, ".."), -EINVAL);
	cr_assert_eq(fs_rmtree(home), 0);
}

Test(profile, home)
{
	char buf[PATH_MAX];
	setenv("PROVISIONER_HOME", "/srv/prov", 1);
	cr_assert_eq(profile_home(buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "/srv/prov");
	setenv("PROVISIONER_HOME", "", 1);
	setenv("HOME", "/home/u", 1);
	cr_assert_eq(profile_home(buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "/home/u/.provisioner");
	unsetenv("HOME");
	cr_assert_eq(profile_home(buf, sizeof(buf)), -ENOENT);
	cr_assert_eq(profile_dir("/h", "web", buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "/h/profiles/web");
	cr_assert_eq(profile_dir("/h", "a/b", buf, sizeof(buf)), -EINVAL);
}

/* cpfixture's control plane is a profile too: a holder runs its nodes (runtime "none"). */
Test(profile, a_fixture_holder_round_trips_and_is_required_for_none)
{
	struct profile p, q;
	char why[256] = "";
	three_nodes(&p);
	strcpy(p.runtime, "none");
	strcpy(p.vip_provider, "none");
	p.holder.pid = 4242;
	p.holder.start = 99;
	strcpy(p.holder.bindir, "/cache/bin");
	strcpy(p.holder.client_ip, "192.168.49.253");
	p.holder.client_pid = 4243;
	char *text = profile_format(&p);
	cr_assert_not_null(text);
	cr_assert_eq(profile_parse(text, strlen(text), &q, why, sizeof(why)), 0, "%s", why);
	cr_assert_eq(q.holder.pid, 4242);
	cr_assert_eq(q.holder.start, 99);
	cr_assert_str_eq(q.holder.bindir, "/cache/bin");
	cr_assert_str_eq(q.holder.client_ip, "192.168.49.253");
	cr_assert_eq(q.holder.client_pid, 4243);
	char *again = profile_format(&q);
	cr_assert_str_eq(text, again);
	free(again);
	free(text);

	char dir[] = "/tmp/test_profile_dir.XXXXXX";
	cr_assert_not_null(mkdtemp(dir));
	cr_assert_eq(profile_save_dir(dir, &p), 0);
	cr_assert_eq(profile_load_dir(dir, &q, why, sizeof(why)), 0, "%s", why);
	cr_assert_eq(q.holder.pid, 4242);
	cr_assert_eq(fs_rmtree(dir), 0);

	/* "none" without a holder, and a bad holder, are refused with the field named. */
	p.holder.pid = 0;
	text = profile_format(&p);
	cr_assert_eq(profile_parse(text, strlen(text), &q, why, sizeof(why)), -EINVAL);
	cr_assert(strstr(why, "runtime"), "%s", why);
	free(text);
	strcpy(p.runtime, "containerd");
	text = profile_format(&p);
	cr_assert_eq(profile_parse(text, strlen(text), &q, why, sizeof(why)), -EINVAL);
	cr_assert(strstr(why, "vip_provider"), "%s", why);
	free(text);
	p.holder.pid = 1;
	strcpy(p.holder.client_ip, "not-an-ip");
	text = profile_format(&p);
	cr_assert_eq(profile_parse(text, strlen(text), &q, why, sizeof(why)), -EINVAL);
	cr_assert(strstr(why, "holder.client_ip"), "%s", why);
	free(text);
}
