/*
 * fuzz_lease_json.c — libFuzzer harness for Lease JSON decoding (whatever a third party wrote
 * into the Lease) and MicroTime parsing; a decoded record must survive encode → decode
 * unchanged. The same bytes go to the etcd gateway reply decoders (grant, keep-alive, txn,
 * range, lease time-to-live).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "etcd_gw.h"
#include "lease_record.h"
#include "microtime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int64_t us;
	if (microtime_parse_n((const char *)data, size, &us) == 0) {
		char buf[MICROTIME_STRLEN];
		int64_t back;
		if (microtime_format(us, buf, sizeof(buf)) == 0 &&
		    (microtime_parse(buf, &back) != 0 || back != us))
			abort();
	}
	struct lease_record rec, again;
	char rv[LEASE_RV_MAX], rv2[LEASE_RV_MAX], why[256];
	if (lease_decode_text((const char *)data, size, &rec, rv, why, sizeof(why)) == 0) {
		char t[MICROTIME_STRLEN];
		bool times_ok =
		    (!rec.has_acquire || microtime_format(rec.acquire_us, t, sizeof(t)) == 0) &&
		    (!rec.has_renew || microtime_format(rec.renew_us, t, sizeof(t)) == 0);
		json_t *obj = lease_new_object("ns", "name", &rec, NULL);
		if (obj && times_ok) {
			json_object_set_new(json_object_get(obj, "metadata"), "resourceVersion",
					    json_string(rv));
			if (lease_decode(obj, &again, rv2, why, sizeof(why)) != 0 ||
			    !lease_record_equal(&rec, &again) || strcmp(rv, rv2))
				abort();
		}
		json_decref(obj);
	}
	/* The same bytes as etcd gateway replies. */
	json_t *j = json_loadb((const char *)data, size, 0, NULL);
	if (j) {
		/* Hand-over requests: whatever the annotation holds, a request or a one-line no. */
		char from[64], to[64];
		int hr = lease_handover_request(j, from, to, sizeof(from), why, sizeof(why));
		if (hr == 1 && (!from[0] || !to[0]))
			abort();
		int64_t a, b;
		bool won;
		struct etcd_kv kv;
		etcd_grant_parse(j, &a, &b, why, sizeof(why));
		etcd_keepalive_parse(j, &a, why, sizeof(why));
		etcd_txn_parse(j, &won, &a, &kv, why, sizeof(why));
		etcd_range_parse(j, &a, &kv, why, sizeof(why));
		/* LeaseTimeToLive: a lease gone is -1, never less; the granted TTL never negative.
		 */
		if (etcd_timetolive_parse(j, 7587883291231231LL, &a, &b, why, sizeof(why)) == 0 &&
		    (a < -1 || b < 0))
			abort();
		json_decref(j);
	}
	return 0;
}
