/*
 * fuzz_watch_stream.c — libFuzzer harness for the watch stream path: bytes cut into chunks
 * (sizes taken from the input itself) → kc_stream framing → Kubernetes event decoding → Lease
 * decoding of each object, and the etcd gateway's watch line decoding. Nothing may crash,
 * leak or read out of bounds, whatever the server sends.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "etcd_gw.h"
#include "kc_stream.h"
#include "lease_record.h"

static int on_line(void *arg, const char *line, size_t len)
{
	(void)arg;
	enum kc_event_type type;
	json_t *obj;
	char why[256];
	if (kc_watch_event_decode(line, len, &type, &obj, why, sizeof(why)) == 0) {
		struct lease_record rec;
		char rv[LEASE_RV_MAX];
		lease_decode(obj, &rec, rv, why, sizeof(why));
		json_decref(obj);
	}
	struct etcd_watch_msg m;
	etcd_watch_parse(line, len, "kube-system-plndr-cp-lock", &m, why, sizeof(why));
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	/* First byte: chunk size pattern; a small line limit exercises the overflow path. */
	size_t step = (size_t)(data[0] % 17) + 1;
	struct kc_stream s;
	kc_stream_init(&s, (data[0] & 0x80) ? 256 : 0);
	const char *p = (const char *)data + 1;
	size_t n = size - 1;
	while (n) {
		size_t c = n < step ? n : step;
		if (kc_stream_feed(&s, p, c, on_line, NULL) < 0) {
			kc_stream_reset(&s);
		}
		p += c;
		n -= c;
		step = step % 13 + 1;
	}
	kc_stream_free(&s);
	return 0;
}
