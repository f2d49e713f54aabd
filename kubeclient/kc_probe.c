/*
 * kc_probe.c — a status-code probe on kc_client (see kc_probe.h). Streaming mode keeps the
 * client from parsing the plain-text body as JSON.
 */
#include "kc_probe.h"

static int drop_body(void *arg, const char *data, size_t len)
{
	(void)arg;
	(void)data;
	(void)len;
	return 0;
}

static void probe_done(void *arg, const struct kc_result *res)
{
	struct kc_probe *p = arg;
	char detail[320] = "";
	p->call = NULL;
	bool ok = res->err.kind == KC_OK && res->code == 200;
	if (!ok)
		kc_error_str(&res->err, detail, sizeof(detail));
	p->done(p->arg, ok, detail);
}

int kc_probe_start(struct kc_client *kc, struct kc_probe *p, const char *path, long timeout_ms)
{
	struct kc_request req = {.method = "GET",
				 .path = path,
				 .timeout_ms = timeout_ms,
				 .done = probe_done,
				 .data = drop_body,
				 .arg = p};
	return kc_call_start(kc, &req, &p->call);
}

void kc_probe_cancel(struct kc_client *kc, struct kc_probe *p)
{
	if (p->call)
		kc_call_cancel(kc, p->call);
	p->call = NULL;
}
