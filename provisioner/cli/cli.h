/*
 * cli — what every `provisioner` command shares: the one-line error convention (names the bad
 * value, exit code), the root check, where things are (home, upstream programs, our programs),
 * the image archives nodes import, and a profile opened under its lock with a provider ready.
 *
 * Owns: the command-line conventions and the per-command context. Must not touch: what actions
 * do (actions.c), the profile format (profile.c).
 */
#ifndef VIPD_CLI_H
#define VIPD_CLI_H

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>

#include "actions.h"
#include "log.h"
#include "profile.h"
#include "provider.h"

#define CLI_VERSION	    "v0.1.0"
#define CLI_DEFAULT_PROFILE "minikube"

/* Exit codes (minikube's families): usage 64 (EX_USAGE), not found 85, already in the state
 * asked for 0, guest/state errors 80, provider errors 90, internal 70. */
enum {
	EXIT_USAGE = 64,
	EXIT_INTERNAL = 70,
	EXIT_STATE = 80,
	EXIT_NOT_FOUND = 85,
	EXIT_PROVIDER = 90,
	EXIT_PERMISSION = 77,
};

struct cli {
	char home[PATH_MAX];
	char pdir[PATH_MAX];
	char bindir[PATH_MAX];
	char self[PATH_MAX];
	char kubeconfig[PATH_MAX];
	char k8s_version[32];
	char sandbox_image[128];
	char archives[PROVIDER_MAX_IMAGES][PATH_MAX];
	FILE *log_file;
	struct logger log;
	struct profile p;
	struct provider pv;
	struct action_ctx act;
	int lock_fd;
};

/* "❌  <message>" on stderr; returns code. */
int cli_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Exits-with-message checks. Each returns 0 or an exit code (already reported). */
int cli_need_root(const char *command);
int cli_init(struct cli *c);
int cli_need_upstream(struct cli *c);
int cli_build_images(struct cli *c);
/* Locks and loads profile `name`; EXIT_NOT_FOUND (reported) when it does not exist. */
int cli_open_profile(struct cli *c, const char *name, bool must_exist);
void cli_close(struct cli *c);
/* Wires c->pv and c->act to c->p (after the profile is loaded or initialised). */
void cli_bind(struct cli *c);
/* The action's step lines go to stdout; where its logs are, for errors. */
int cli_action_failed(struct cli *c, const char *what, int err);

int cmd_start(int argc, char **argv);
int cmd_stop(int argc, char **argv);
int cmd_delete(int argc, char **argv);
int cmd_node(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_profile(int argc, char **argv);
int cmd_ip(int argc, char **argv);
int cmd_ssh(int argc, char **argv);
int cmd_logs(int argc, char **argv);
int cmd_update_context(int argc, char **argv);
int cmd_service(int argc, char **argv);
int cmd_image(int argc, char **argv);
int cmd_node_init(int argc, char **argv);

/* -p/--profile parsing shared by the simple commands: returns the profile name or NULL. */
const char *cli_profile_default(void);

#endif
