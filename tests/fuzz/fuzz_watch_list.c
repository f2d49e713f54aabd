/*
 * fuzz_watch_list.c — libFuzzer harness for what kc_watch reads besides event framing: a LIST
 * reply (items and resourceVersion, kc_list_parse) and the Status of a watch ERROR event
 * (kc_watch_error_is_gone), as kc_watch uses them. The first byte picks which; the rest is the
 * server's bytes. Nothing may crash, leak, or hand back a resourceVersion we could not keep.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kc_stream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_rv(const char *rv)
{
	if (rv && strlen(rv) >= KC_RV_MAX)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const char *text = (const char *)data + 1;
	size_t len = size - 1;
	char why[256];
	if (data[0] & 1) {
		/* A LIST reply body. */
		json_t *body = json_loadb(text, len, 0, NULL);
		json_t *items;
		const char *rv;
		if (body && kc_list_parse(body, &items, &rv) == 0) {
			check_rv(rv);
			if (items && !json_is_array(items))
				abort();
			size_t i;
			json_t *it;
			json_array_foreach(items, i, it) check_rv(kc_object_rv(it));
		}
		json_decref(body);
		return 0;
	}
	/* One watch line: an ERROR event's Status, or any event's resourceVersion. */
	enum kc_event_type type;
	json_t *obj;
	if (kc_watch_event_decode(text, len, &type, &obj, why, sizeof(why)) < 0)
		return 0;
	if (type == KC_EV_ERROR) {
		long code;
		kc_watch_error_is_gone(obj, &code);
		if (code < 0 || code >= 1000)
			abort();
	}
	check_rv(kc_object_rv(obj));
	kc_event_type_name(type);
	json_decref(obj);
	return 0;
}
