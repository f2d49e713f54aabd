/*
 * test_storage_addon.c — the storage addon's YAML stream read back with libyaml: the objects in
 * apply order, the default StorageClass, a Deployment pinned to no node running our image, the
 * RBAC rules upstream's deploy yaml grants, the ConfigMap's config.json (parsed with jansson)
 * and helper pod (parsed again), and the one-line message for every bad version.
 * `storage_addon_kubectl.sh` has the real kubectl read the same stream.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "storage_addon.h"

#define MAX_DOCS 16

struct stream {
	yaml_document_t docs[MAX_DOCS];
	size_t n;
};

/* Every document of text into s (fails the test on a YAML error). */
static void parse(const char *text, struct stream *s)
{
	yaml_parser_t p;
	cr_assert(yaml_parser_initialize(&p));
	yaml_parser_set_input_string(&p, (const unsigned char *)text, strlen(text));
	s->n = 0;
	for (;;) {
		cr_assert_lt(s->n, MAX_DOCS);
		yaml_document_t *d = &s->docs[s->n];
		cr_assert(yaml_parser_load(&p, d), "YAML error: %s at line %zu", p.problem,
			  p.problem_mark.line + 1);
		if (!yaml_document_get_root_node(d)) {
			yaml_document_delete(d);
			break;
		}
		s->n++;
	}
	yaml_parser_delete(&p);
}

static void release(struct stream *s)
{
	for (size_t i = 0; i < s->n; i++)
		yaml_document_delete(&s->docs[i]);
}

/* The mapping value whose key is the longest that `rest` starts with (followed by '.' or its
 * end), so keys with dots ("config.json") need no escaping; *rest moves past it. */
static yaml_node_t *lookup(yaml_document_t *d, yaml_node_t *map, const char **rest)
{
	yaml_node_t *best = NULL;
	size_t best_len = 0;
	for (yaml_node_pair_t *pr = map->data.mapping.pairs.start; pr < map->data.mapping.pairs.top;
	     pr++) {
		yaml_node_t *key = yaml_document_get_node(d, pr->key);
		const char *k = (const char *)key->data.scalar.value;
		size_t len = strlen(k);
		if (key->type == YAML_SCALAR_NODE && len > best_len && !strncmp(*rest, k, len) &&
		    ((*rest)[len] == '.' || (*rest)[len] == '\0')) {
			best = yaml_document_get_node(d, pr->value);
			best_len = len;
		}
	}
	*rest += best_len;
	return best;
}

/* The node at a path of mapping keys and sequence indexes ("spec.template.spec.containers.0"),
 * NULL when there is none. */
static yaml_node_t *at(yaml_document_t *d, const char *path)
{
	yaml_node_t *n = yaml_document_get_root_node(d);
	const char *rest = path;
	while (n && *rest) {
		if (n->type == YAML_SEQUENCE_NODE) {
			char *end;
			long i = strtol(rest, &end, 10);
			yaml_node_item_t *it = n->data.sequence.items.start + i;
			n = end != rest && it < n->data.sequence.items.top
				? yaml_document_get_node(d, *it)
				: NULL;
			rest = end;
		} else if (n->type == YAML_MAPPING_NODE) {
			n = lookup(d, n, &rest);
		} else {
			n = NULL;
		}
		if (*rest == '.')
			rest++;
	}
	return n;
}

/* The scalar at path, "" when there is none. */
static const char *str(yaml_document_t *d, const char *path)
{
	yaml_node_t *n = at(d, path);
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : "";
}

static size_t count(yaml_document_t *d, const char *path)
{
	yaml_node_t *n = at(d, path);
	if (!n)
		return 0;
	if (n->type == YAML_SEQUENCE_NODE)
		return (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	if (n->type == YAML_MAPPING_NODE)
		return (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
	return 1;
}

/* The sequence at path joined with "," ("get,list,watch"). */
static const char *joined(yaml_document_t *d, const char *path)
{
	static char out[512];
	out[0] = '\0';
	char item[300];
	for (size_t i = 0; i < count(d, path); i++) {
		snprintf(item, sizeof(item), "%s.%zu", path, i);
		size_t len = strlen(out);
		snprintf(out + len, sizeof(out) - len, "%s%s", i ? "," : "", str(d, item));
	}
	return out;
}

static char *manifest(const char *version)
{
	char *text = NULL, why[256] = "";
	int err = storage_addon_manifest(version, &text, why, sizeof(why));
	cr_assert_eq(err, 0, "%s", why);
	cr_assert_not_null(text);
	return text;
}

/* The document of kind k. */
static yaml_document_t *doc(struct stream *s, const char *kind)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(str(&s->docs[i], "kind"), kind))
			return &s->docs[i];
	cr_assert_fail("no %s in the stream", kind);
	return NULL;
}

Test(storage_addon, objects_in_apply_order)
{
	static const char *const kinds[] = {"Namespace",   "ServiceAccount", "Role",
					    "ClusterRole", "RoleBinding",    "ClusterRoleBinding",
					    "ConfigMap",   "Deployment",     "StorageClass"};
	char *text = manifest("v0.0.30");
	struct stream s;
	parse(text, &s);
	cr_assert_eq(s.n, sizeof(kinds) / sizeof(kinds[0]));
	for (size_t i = 0; i < s.n; i++) {
		yaml_document_t *d = &s.docs[i];
		cr_expect_str_eq(str(d, "kind"), kinds[i]);
		cr_expect_str_neq(str(d, "apiVersion"), "");
		cr_expect_str_neq(str(d, "metadata.name"), "");
		bool cluster_wide = !strcmp(kinds[i], "Namespace") ||
				    !strncmp(kinds[i], "Cluster", 7) ||
				    !strcmp(kinds[i], "StorageClass");
		cr_expect_str_eq(str(d, "metadata.namespace"),
				 cluster_wide ? "" : STORAGE_ADDON_NAMESPACE, "%s", kinds[i]);
	}
	release(&s);
	free(text);
}

Test(storage_addon, default_storage_class)
{
	char *text = manifest("v0.0.30");
	struct stream s;
	parse(text, &s);
	yaml_document_t *d = doc(&s, "StorageClass");
	cr_expect_str_eq(str(d, "apiVersion"), "storage.k8s.io/v1");
	cr_expect_str_eq(str(d, "metadata.name"), "standard");
	yaml_node_t *v = at(d, "metadata.annotations.storageclass.kubernetes.io/is-default-class");
	cr_assert_not_null(v);
	cr_expect_str_eq((char *)v->data.scalar.value, "true");
	cr_expect_eq(v->data.scalar.style, YAML_DOUBLE_QUOTED_SCALAR_STYLE, "a string, not a bool");
	cr_expect_str_eq(str(d, "provisioner"), "rancher.io/local-path");
	cr_expect_str_eq(str(d, "volumeBindingMode"), "WaitForFirstConsumer");
	cr_expect_str_eq(str(d, "reclaimPolicy"), "Delete");
	release(&s);
	free(text);
}

Test(storage_addon, deployment_runs_our_image_on_any_node)
{
	char *text = manifest("v0.0.30");
	struct stream s;
	parse(text, &s);
	yaml_document_t *d = doc(&s, "Deployment");
	cr_expect_str_eq(str(d, "spec.replicas"), "1");
	cr_expect_str_eq(str(d, "spec.strategy.type"), "Recreate");
	cr_expect_str_eq(str(d, "spec.selector.matchLabels.app"),
			 str(d, "spec.template.metadata.labels.app"));
	cr_expect_str_eq(str(d, "spec.template.spec.serviceAccountName"),
			 str(doc(&s, "ServiceAccount"), "metadata.name"));
	cr_expect_null(at(d, "spec.template.spec.nodeName"));
	cr_expect_null(at(d, "spec.template.spec.nodeSelector"));
	cr_expect_null(at(d, "spec.template.spec.affinity"));
	cr_expect_str_eq(str(d, "spec.template.spec.tolerations.0.key"),
			 "node-role.kubernetes.io/control-plane");
	cr_expect_str_eq(str(d, "spec.template.spec.tolerations.1.tolerationSeconds"), "30");
	cr_expect_str_eq(str(d, "spec.template.spec.tolerations.2.key"),
			 "node.kubernetes.io/unreachable");
	const char *c = "spec.template.spec.containers.0";
	char p[128];
#define AT(suffix) (snprintf(p, sizeof(p), "%s.%s", c, suffix), p)
	cr_expect_str_eq(str(d, AT("image")), "localhost/local-path-provisioner:v0.0.30");
	cr_expect_str_eq(str(d, AT("imagePullPolicy")), "Never");
	cr_expect_str_eq(joined(d, AT("command")),
			 "/local-path-provisioner,--debug,start,--config,/etc/config/config.json");
	cr_expect_str_eq(str(d, AT("env.0.name")), "POD_NAMESPACE");
	cr_expect_str_eq(str(d, AT("env.0.valueFrom.fieldRef.fieldPath")), "metadata.namespace");
	cr_expect_str_eq(str(d, AT("env.1.name")), "CONFIG_MOUNT_PATH");
	cr_expect_str_eq(str(d, AT("env.1.value")), "/etc/config/");
	cr_expect_str_eq(str(d, AT("volumeMounts.0.mountPath")), "/etc/config/");
#undef AT
	cr_expect_str_eq(str(d, "spec.template.spec.volumes.0.configMap.name"),
			 str(doc(&s, "ConfigMap"), "metadata.name"));
	release(&s);
	free(text);
}

Test(storage_addon, rbac_as_upstream)
{
	char *text = manifest("v0.0.30");
	struct stream s;
	parse(text, &s);
	yaml_document_t *cr = doc(&s, "ClusterRole");
	cr_assert_eq(count(cr, "rules"), 4);
	cr_expect_str_eq(joined(cr, "rules.0.resources"),
			 "nodes,persistentvolumeclaims,configmaps,pods,pods/log");
	cr_expect_str_eq(joined(cr, "rules.0.verbs"), "get,list,watch");
	cr_expect_str_eq(joined(cr, "rules.1.resources"), "persistentvolumes");
	cr_expect_str_eq(joined(cr, "rules.1.verbs"), "get,list,watch,create,patch,update,delete");
	cr_expect_str_eq(joined(cr, "rules.2.resources"), "events");
	cr_expect_str_eq(joined(cr, "rules.2.verbs"), "create,patch");
	cr_expect_str_eq(joined(cr, "rules.3.apiGroups"), "storage.k8s.io");
	cr_expect_str_eq(joined(cr, "rules.3.resources"), "storageclasses");
	yaml_document_t *role = doc(&s, "Role");
	cr_expect_str_eq(joined(role, "rules.0.resources"), "pods");
	cr_expect_str_eq(joined(role, "rules.0.verbs"),
			 "get,list,watch,create,patch,update,delete");
	static const char *const bindings[][2] = {{"RoleBinding", "Role"},
						  {"ClusterRoleBinding", "ClusterRole"}};
	for (size_t i = 0; i < 2; i++) {
		yaml_document_t *b = doc(&s, bindings[i][0]);
		cr_expect_str_eq(str(b, "roleRef.kind"), bindings[i][1]);
		cr_expect_str_eq(str(b, "roleRef.name"),
				 str(doc(&s, bindings[i][1]), "metadata.name"));
		cr_expect_str_eq(str(b, "subjects.0.name"),
				 str(doc(&s, "ServiceAccount"), "metadata.name"));
		cr_expect_str_eq(str(b, "subjects.0.namespace"), STORAGE_ADDON_NAMESPACE);
	}
	release(&s);
	free(text);
}

Test(storage_addon, config_uses_each_nodes_own_var_lib)
{
	char *text = manifest("v0.0.30");
	struct stream s;
	parse(text, &s);
	yaml_document_t *d = doc(&s, "ConfigMap");
	cr_expect_str_eq(str(d, "metadata.name"), "local-path-config");
	json_error_t je;
	json_t *cfg = json_loads(str(d, "data.config.json"), 0, &je);
	cr_assert_not_null(cfg, "config.json: %s at line %d", je.text, je.line);
	json_t *map = json_object_get(cfg, "nodePathMap");
	cr_assert_eq(json_array_size(map), 1);
	json_t *entry = json_array_get(map, 0);
	cr_expect_str_eq(json_string_value(json_object_get(entry, "node")),
			 "DEFAULT_PATH_FOR_NON_LISTED_NODES");
	json_t *paths = json_object_get(entry, "paths");
	cr_assert_eq(json_array_size(paths), 1);
	cr_expect_str_eq(json_string_value(json_array_get(paths, 0)),
			 "/var/lib/local-path-provisioner");
	json_decref(cfg);
	cr_expect_null(strstr(text, "/opt"), "/opt is the machine's, shared by every node");
	cr_expect_str_eq(str(d, "data.setup"), "#!/bin/sh\nset -eu\nmkdir -m 0777 -p \"$VOL_DIR\"");
	cr_expect_str_eq(str(d, "data.teardown"), "#!/bin/sh\nset -eu\nrm -rf \"$VOL_DIR\"");
	release(&s);
	free(text);
}

Test(storage_addon, helper_pod_uses_our_busybox)
{
	char *text = manifest("v0.0.30");
	struct stream s;
	parse(text, &s);
	const char *helper = str(doc(&s, "ConfigMap"), "data.helperPod.yaml");
	cr_assert_str_neq(helper, "");
	struct stream h;
	parse(helper, &h);
	cr_assert_eq(h.n, 1);
	yaml_document_t *d = &h.docs[0];
	cr_expect_str_eq(str(d, "kind"), "Pod");
	cr_expect_str_eq(str(d, "spec.containers.0.image"), "localhost/busybox:stable");
	cr_expect_str_eq(str(d, "spec.containers.0.imagePullPolicy"), "Never");
	cr_expect_str_eq(str(d, "spec.priorityClassName"), "system-node-critical");
	release(&h);
	release(&s);
	cr_expect_null(strstr(text, "IfNotPresent"), "nothing is ever pulled");
	free(text);
}

Test(storage_addon, version_is_the_image_tag)
{
	char *text = manifest("v0.0.31-rc1_x");
	cr_expect_not_null(strstr(text, "image: localhost/local-path-provisioner:v0.0.31-rc1_x\n"));
	free(text);
}

struct bad_case {
	const char *version;
	const char *why;
};

Test(storage_addon, bad_versions)
{
	char long_v[131];
	memset(long_v, 'v', 129);
	long_v[129] = '\0';
	const struct bad_case cases[] = {
	    {NULL, "version: missing"},
	    {"", "version \"\": not 1..128 characters"},
	    {long_v, NULL},
	    {"v0.0.30\n", "version \"v0.0.30\n\": not an image tag (byte 7)"},
	    {"v0 .1", "version \"v0 .1\": not an image tag (byte 2)"},
	    {"-v1", "version \"-v1\": not an image tag (byte 0)"},
	    {".v1", "version \".v1\": not an image tag (byte 0)"},
	    {"v1:2", "version \"v1:2\": not an image tag (byte 2)"},
	    {"v\"1", "version \"v\"1\": not an image tag (byte 1)"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *text = (char *)"untouched", why[256] = "";
		int err = storage_addon_manifest(cases[i].version, &text, why, sizeof(why));
		cr_expect_eq(err, -EINVAL, "case %zu", i);
		cr_expect_null(text, "case %zu", i);
		if (cases[i].why)
			cr_expect_str_eq(why, cases[i].why, "case %zu", i);
		else
			cr_expect_not_null(strstr(why, "not 1..128 characters"), "case %zu: %s", i,
					   why);
	}
	char why[64] = "";
	cr_expect_eq(storage_addon_manifest("v1", NULL, why, sizeof(why)), -EINVAL);
	cr_expect_str_eq(why, "storage_addon_manifest: no output");
}
