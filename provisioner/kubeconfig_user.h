/*
 * kubeconfig_user — the user's kubeconfig ($KUBECONFIG's first file, else ~/.kube/config):
 * a profile's cluster, user and context (all named after the profile, server https://VIP:port)
 * merged in by the pinned kubectl, current-context set; removed again by `delete`, touching no
 * other entry.
 *
 * Owns: the three entries named after the profile. Must not touch: any other entry, the
 * cluster's own admin.conf (read only).
 *
 * The calls that matter: kubeconfig_user_merge(), kubeconfig_user_remove().
 */
#ifndef VIPD_KUBECONFIG_USER_H
#define VIPD_KUBECONFIG_USER_H

#include <stdbool.h>
#include <stddef.h>

#include "log.h"

/* The file to merge into: first entry of $KUBECONFIG, else $HOME/.kube/config. */
int kubeconfig_user_path(char *buf, size_t len);

/* Adds or replaces the profile's entries from admin_conf's CA and client credentials, with the
 * given server, and makes the profile's context current. */
int kubeconfig_user_merge(const char *bindir, const char *file, const char *profile,
			  const char *server, const char *admin_conf, const struct logger *log);

/* Removes the profile's entries (and current-context when it was the profile's). */
int kubeconfig_user_remove(const char *bindir, const char *file, const char *profile,
			   const struct logger *log);

/* The file has the profile's context, pointing at `server`. */
bool kubeconfig_user_configured(const char *bindir, const char *file, const char *profile,
				const char *server);

#endif
