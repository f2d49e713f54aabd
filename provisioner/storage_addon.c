/*
 * storage_addon.c — upstream's deploy/local-path-storage.yaml (v0.0.30) carried over object by
 * object, with what our clusters need instead: our image names (imported, never pulled), the
 * per-node volume directory, minikube's default class, and a Deployment that survives the loss
 * of any node.
 */
#include "storage_addon.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

#define SA_NAME "local-path-provisioner-service-account"

static const char namespace_and_rbac[] =
    "apiVersion: v1\n"
    "kind: Namespace\n"
    "metadata:\n"
    "  name: " STORAGE_ADDON_NAMESPACE "\n"
    "---\n"
    "apiVersion: v1\n"
    "kind: ServiceAccount\n"
    "metadata:\n"
    "  name: " SA_NAME "\n"
    "  namespace: " STORAGE_ADDON_NAMESPACE "\n"
    "---\n"
    "apiVersion: rbac.authorization.k8s.io/v1\n"
    "kind: Role\n"
    "metadata:\n"
    "  name: local-path-provisioner-role\n"
    "  namespace: " STORAGE_ADDON_NAMESPACE "\n"
    "rules:\n"
    "  - apiGroups: [\"\"]\n"
    "    resources: [\"pods\"]\n"
    "    verbs: [\"get\", \"list\", \"watch\", \"create\", \"patch\", \"update\", \"delete\"]\n"
    "---\n"
    "apiVersion: rbac.authorization.k8s.io/v1\n"
    "kind: ClusterRole\n"
    "metadata:\n"
    "  name: local-path-provisioner-role\n"
    "rules:\n"
    "  - apiGroups: [\"\"]\n"
    "    resources: [\"nodes\", \"persistentvolumeclaims\", \"configmaps\", \"pods\", "
    "\"pods/log\"]\n"
    "    verbs: [\"get\", \"list\", \"watch\"]\n"
    "  - apiGroups: [\"\"]\n"
    "    resources: [\"persistentvolumes\"]\n"
    "    verbs: [\"get\", \"list\", \"watch\", \"create\", \"patch\", \"update\", \"delete\"]\n"
    "  - apiGroups: [\"\"]\n"
    "    resources: [\"events\"]\n"
    "    verbs: [\"create\", \"patch\"]\n"
    "  - apiGroups: [\"storage.k8s.io\"]\n"
    "    resources: [\"storageclasses\"]\n"
    "    verbs: [\"get\", \"list\", \"watch\"]\n"
    "---\n"
    "apiVersion: rbac.authorization.k8s.io/v1\n"
    "kind: RoleBinding\n"
    "metadata:\n"
    "  name: local-path-provisioner-bind\n"
    "  namespace: " STORAGE_ADDON_NAMESPACE "\n"
    "roleRef:\n"
    "  apiGroup: rbac.authorization.k8s.io\n"
    "  kind: Role\n"
    "  name: local-path-provisioner-role\n"
    "subjects:\n"
    "  - kind: ServiceAccount\n"
    "    name: " SA_NAME "\n"
    "    namespace: " STORAGE_ADDON_NAMESPACE "\n"
    "---\n"
    "apiVersion: rbac.authorization.k8s.io/v1\n"
    "kind: ClusterRoleBinding\n"
    "metadata:\n"
    "  name: local-path-provisioner-bind\n"
    "roleRef:\n"
    "  apiGroup: rbac.authorization.k8s.io\n"
    "  kind: ClusterRole\n"
    "  name: local-path-provisioner-role\n"
    "subjects:\n"
    "  - kind: ServiceAccount\n"
    "    name: " SA_NAME "\n"
    "    namespace: " STORAGE_ADDON_NAMESPACE "\n";

/* Before the Deployment, so its first pod finds it. The helper pods (setup/teardown of each
 * volume, on the volume's node) run our busybox image; the scripts are upstream's. */
static const char configmap[] = "---\n"
				"apiVersion: v1\n"
				"kind: ConfigMap\n"
				"metadata:\n"
				"  name: local-path-config\n"
				"  namespace: " STORAGE_ADDON_NAMESPACE "\n"
				"data:\n"
				"  config.json: |-\n"
				"    {\n"
				"      \"nodePathMap\": [\n"
				"        {\n"
				"          \"node\": \"DEFAULT_PATH_FOR_NON_LISTED_NODES\",\n"
				"          \"paths\": [\"" STORAGE_ADDON_PATH "\"]\n"
				"        }\n"
				"      ]\n"
				"    }\n"
				"  setup: |-\n"
				"    #!/bin/sh\n"
				"    set -eu\n"
				"    mkdir -m 0777 -p \"$VOL_DIR\"\n"
				"  teardown: |-\n"
				"    #!/bin/sh\n"
				"    set -eu\n"
				"    rm -rf \"$VOL_DIR\"\n"
				"  helperPod.yaml: |-\n"
				"    apiVersion: v1\n"
				"    kind: Pod\n"
				"    metadata:\n"
				"      name: helper-pod\n"
				"    spec:\n"
				"      priorityClassName: system-node-critical\n"
				"      tolerations:\n"
				"        - key: node.kubernetes.io/disk-pressure\n"
				"          operator: Exists\n"
				"          effect: NoSchedule\n"
				"      containers:\n"
				"        - name: helper-pod\n"
				"          image: " STORAGE_ADDON_HELPER_IMAGE "\n"
				"          imagePullPolicy: Never\n";

/* Upstream's Deployment, changed: no node is special (the control-plane taint is tolerated,
 * though our nodes carry none), a pod on a NotReady or unreachable node is replaced after 30 s
 * instead of 300 s, and Recreate keeps a rollout from running two unelected provisioners at
 * once. A deleted node's pod is garbage-collected (40 s) and replaced at once. */
static const char deployment_head[] = "---\n"
				      "apiVersion: apps/v1\n"
				      "kind: Deployment\n"
				      "metadata:\n"
				      "  name: local-path-provisioner\n"
				      "  namespace: " STORAGE_ADDON_NAMESPACE "\n"
				      "spec:\n"
				      "  replicas: 1\n"
				      "  strategy:\n"
				      "    type: Recreate\n"
				      "  selector:\n"
				      "    matchLabels:\n"
				      "      app: local-path-provisioner\n"
				      "  template:\n"
				      "    metadata:\n"
				      "      labels:\n"
				      "        app: local-path-provisioner\n"
				      "    spec:\n"
				      "      serviceAccountName: " SA_NAME "\n"
				      "      tolerations:\n"
				      "        - key: node-role.kubernetes.io/control-plane\n"
				      "          operator: Exists\n"
				      "          effect: NoSchedule\n"
				      "        - key: node.kubernetes.io/not-ready\n"
				      "          operator: Exists\n"
				      "          effect: NoExecute\n"
				      "          tolerationSeconds: 30\n"
				      "        - key: node.kubernetes.io/unreachable\n"
				      "          operator: Exists\n"
				      "          effect: NoExecute\n"
				      "          tolerationSeconds: 30\n"
				      "      containers:\n"
				      "        - name: local-path-provisioner\n";

/* Upstream's command, with the path our image keeps the program at. */
static const char deployment_tail[] = "          imagePullPolicy: Never\n"
				      "          command:\n"
				      "            - /" STORAGE_ADDON_PROGRAM "\n"
				      "            - --debug\n"
				      "            - start\n"
				      "            - --config\n"
				      "            - /etc/config/config.json\n"
				      "          volumeMounts:\n"
				      "            - name: config-volume\n"
				      "              mountPath: /etc/config/\n"
				      "          env:\n"
				      "            - name: POD_NAMESPACE\n"
				      "              valueFrom:\n"
				      "                fieldRef:\n"
				      "                  fieldPath: metadata.namespace\n"
				      "            - name: CONFIG_MOUNT_PATH\n"
				      "              value: /etc/config/\n"
				      "      volumes:\n"
				      "        - name: config-volume\n"
				      "          configMap:\n"
				      "            name: local-path-config\n";

static const char storageclass[] = "---\n"
				   "apiVersion: storage.k8s.io/v1\n"
				   "kind: StorageClass\n"
				   "metadata:\n"
				   "  name: " STORAGE_ADDON_CLASS "\n"
				   "  annotations:\n"
				   "    storageclass.kubernetes.io/is-default-class: \"true\"\n"
				   "provisioner: rancher.io/local-path\n"
				   "volumeBindingMode: WaitForFirstConsumer\n"
				   "reclaimPolicy: Delete\n";

/* An OCI tag: [A-Za-z0-9_][A-Za-z0-9._-]{0,127}; then it needs no quoting in YAML either. */
static int check_version(const char *v, char *why, size_t why_len)
{
	if (!v)
		return why_set(why, why_len, EINVAL, "version: missing");
	size_t n = strlen(v);
	if (n == 0 || n > 128)
		return why_set(why, why_len, EINVAL, "version \"%.140s\": not 1..128 characters",
			       v);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '_' || (i > 0 && (c == '.' || c == '-'));
		if (!ok)
			return why_set(why, why_len, EINVAL,
				       "version \"%.140s\": not an image tag (byte %zu)", v, i);
	}
	return 0;
}

int storage_addon_manifest(const char *version, char **out, char *why, size_t why_len)
{
	if (!out)
		return why_set(why, why_len, EINVAL, "storage_addon_manifest: no output");
	*out = NULL;
	int err = check_version(version, why, why_len);
	if (err)
		return err;
	char *buf = NULL;
	size_t len;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return -ENOMEM;
	fputs(namespace_and_rbac, f);
	fputs(configmap, f);
	fputs(deployment_head, f);
	fprintf(f, "          image: %s:%s\n", STORAGE_ADDON_IMAGE_REPO, version);
	fputs(deployment_tail, f);
	fputs(storageclass, f);
	bool failed = ferror(f);
	if (fclose(f) != 0 || failed) {
		free(buf);
		return -ENOMEM;
	}
	*out = buf;
	return 0;
}
