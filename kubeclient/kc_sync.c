/*
 * kc_sync.c — kc_call_wait(): a kc_client call driven by poll() until its callback has run.
 */
#include "kc_sync.h"

#include <errno.h>
#include <poll.h>
#include <string.h>

struct waiter {
	struct kc_sync_result *res;
	bool done;
};

static void on_done(void *arg, const struct kc_result *r)
{
	struct waiter *w = arg;
	w->res->err = r->err;
	w->res->code = r->code;
	w->res->body = r->body ? json_incref(r->body) : NULL;
	w->done = true;
}

int kc_call_wait(struct kc_client *kc, const struct kc_request *req, struct kc_sync_result *res)
{
	memset(res, 0, sizeof(*res));
	struct waiter w = {.res = res};
	struct kc_request r = *req;
	r.done = on_done;
	r.arg = &w;
	int rc = kc_call_start(kc, &r, NULL);
	if (rc < 0)
		return rc;
	while (!w.done) {
		struct pollfd fds[16];
		size_t n = kc_client_pollfds(kc, fds, 16);
		int to = kc_client_timeout_ms(kc);
		int p = poll(fds, n, to < 0 || to > 100 ? 100 : to);
		if (p < 0 && errno != EINTR)
			return -errno;
		for (size_t i = 0; p > 0 && i < n; i++)
			if (fds[i].revents)
				kc_client_on_fd(kc, fds[i].fd, fds[i].revents);
		kc_client_on_timeout(kc);
	}
	return res->err.kind == KC_OK ? 0 : -EIO;
}
