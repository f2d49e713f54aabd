/*
 * test_lease_record.c — Lease JSON as kube-apiserver returns it and as client-go writes it;
 * election settings validation.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "le_config.h"
#include "lease_record.h"

static const char kube_vip_lease[] =
    "{\"kind\":\"Lease\",\"apiVersion\":\"coordination.k8s.io/v1\","
    "\"metadata\":{\"name\":\"plndr-cp-lock\",\"namespace\":\"kube-system\","
    "\"uid\":\"3c0f\",\"resourceVersion\":\"4711\",\"creationTimestamp\":\"2026-11-24T09:00:00Z\","
    "\"managedFields\":[]},"
    "\"spec\":{\"holderIdentity\":\"cp-1\",\"leaseDurationSeconds\":5,"
    "\"acquireTime\":\"2026-11-24T09:59:00.000001Z\",\"renewTime\":\"2026-11-24T10:00:00.123456Z\","
    "\"leaseTransitions\":3}}";

Test(lease_record, decodes_what_the_apiserver_returns)
{
	struct lease_record r;
	char rv[LEASE_RV_MAX], why[128];
	cr_assert_eq(
	    lease_decode_text(kube_vip_lease, strlen(kube_vip_lease), &r, rv, why, sizeof(why)), 0,
	    "%s", why);
	cr_assert_str_eq(rv, "4711");
	cr_assert_str_eq(r.holder, "cp-1");
	cr_assert_eq(r.duration_s, 5);
	cr_assert_eq(r.transitions, 3);
	cr_assert(r.has_acquire && r.has_renew);
	cr_assert_eq(r.renew_us, 1795514400123456LL);
}

Test(lease_record, released_and_empty_specs)
{
	struct lease_record r;
	char rv[LEASE_RV_MAX], why[128];
	const char *released = "{\"metadata\":{\"resourceVersion\":\"9\"},\"spec\":{"
			       "\"holderIdentity\":\"\",\"leaseDurationSeconds\":1,\"acquireTime\":"
			       "\"2026-11-24T10:00:00.000000Z\",\"renewTime\":"
			       "\"2026-11-24T10:00:00.000000Z\",\"leaseTransitions\":3}}";
	cr_assert_eq(lease_decode_text(released, strlen(released), &r, rv, why, sizeof(why)), 0);
	cr_assert_str_eq(r.holder, "");
	cr_assert_eq(r.duration_s, 1);
	const char *bare = "{\"metadata\":{\"resourceVersion\":\"9\"}}";
	cr_assert_eq(lease_decode_text(bare, strlen(bare), &r, rv, why, sizeof(why)), 0);
	cr_assert_str_eq(r.holder, "");
	cr_assert_not(r.has_renew);
	const char *nulls = "{\"metadata\":{\"resourceVersion\":\"9\"},\"spec\":{"
			    "\"holderIdentity\":null,\"renewTime\":null}}";
	cr_assert_eq(lease_decode_text(nulls, strlen(nulls), &r, rv, why, sizeof(why)), 0);
}

Test(lease_record, bad_fields_are_named)
{
	struct {
		const char *json, *expect;
	} cases[] = {
	    {"[]", "the body is not a JSON object"},
	    {"{\"kind\":\"Pod\",\"metadata\":{\"resourceVersion\":\"1\"}}", "kind"},
	    {"{}", "metadata is missing"},
	    {"{\"metadata\":{}}", "metadata.resourceVersion"},
	    {"{\"metadata\":{\"resourceVersion\":\"1\"},\"spec\":[]}", "spec is not an object"},
	    {"{\"metadata\":{\"resourceVersion\":\"1\"},\"spec\":{\"holderIdentity\":5}}",
	     "spec.holderIdentity"},
	    {"{\"metadata\":{\"resourceVersion\":\"1\"},\"spec\":{\"leaseDurationSeconds\":"
	     "\"5\"}}",
	     "spec.leaseDurationSeconds is not an integer"},
	    {"{\"metadata\":{\"resourceVersion\":\"1\"},\"spec\":{\"leaseTransitions\":"
	     "99999999999}}",
	     "spec.leaseTransitions is out of range"},
	    {"{\"metadata\":{\"resourceVersion\":\"1\"},\"spec\":{\"renewTime\":\"yesterday\"}}",
	     "spec.renewTime is not an RFC 3339 time"},
	    {"{\"metadata\":{\"resourceVersion\":\"1\"},\"spec\":{\"holderIdentity\":\"a\\u0000b\"}"
	     "}",
	     "invalid JSON"},
	    {"{\"metadata\"", "invalid JSON"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct lease_record r;
		char rv[LEASE_RV_MAX], why[160] = "";
		cr_assert_eq(lease_decode_text(cases[i].json, strlen(cases[i].json), &r, rv, why,
					       sizeof(why)),
			     -EBADMSG, "case %zu", i);
		cr_assert_not_null(strstr(why, cases[i].expect), "case %zu: %s", i, why);
	}
}

Test(lease_record, encodes_like_client_go)
{
	struct lease_record r = {.duration_s = 15,
				 .transitions = 2,
				 .has_acquire = true,
				 .has_renew = true,
				 .acquire_us = 1795514400000000LL,
				 .renew_us = 1795514400123456LL};
	strcpy(r.holder, "node-a");
	json_t *spec = lease_spec_encode(&r);
	char *s = json_dumps(spec, JSON_SORT_KEYS | JSON_COMPACT);
	cr_assert_str_eq(s,
			 "{\"acquireTime\":\"2026-11-24T10:00:00.000000Z\","
			 "\"holderIdentity\":\"node-a\",\"leaseDurationSeconds\":15,"
			 "\"leaseTransitions\":2,\"renewTime\":\"2026-11-24T10:00:00.123456Z\"}");
	free(s);
	json_decref(spec);

	json_t *ann = json_pack("{s:s}", "a", "b");
	json_t *obj = lease_new_object("kube-system", "plndr-cp-lock", &r, ann);
	struct lease_record back;
	char rv[LEASE_RV_MAX], why[128];
	json_object_set_new(json_object_get(obj, "metadata"), "resourceVersion", json_string("1"));
	cr_assert_eq(lease_decode(obj, &back, rv, why, sizeof(why)), 0, "%s", why);
	cr_assert(lease_record_equal(&r, &back));
	cr_assert_str_eq(json_string_value(json_object_get(obj, "apiVersion")),
			 "coordination.k8s.io/v1");
	cr_assert_str_eq(
	    json_string_value(json_object_get(
		json_object_get(json_object_get(obj, "metadata"), "annotations"), "a")),
	    "b");
	json_decref(obj);
	json_decref(ann);
}

Test(le_config, timing_validation_names_the_values)
{
	char why[200];
	struct le_timing ok[] = {LE_TIMING_DEFAULT, LE_TIMING_FAST, {2000, 1300, 1000}};
	for (size_t i = 0; i < 3; i++)
		cr_assert_eq(le_timing_validate(&ok[i], why, sizeof(why)), 0, "%s", why);
	struct {
		struct le_timing t;
		const char *expect;
	} bad[] = {
	    {{5000, 5000, 1000}, "leaseDuration 5s must be greater than renewDeadline 5s"},
	    {{5000, 1200, 1000}, "renewDeadline 1200ms must be greater than retryPeriod 1s x 1.2"},
	    {{5500, 3000, 1000}, "leaseDuration 5500ms: must be a whole number of seconds"},
	    {{5000, 3000, 0}, "all must be positive"},
	};
	for (size_t i = 0; i < 4; i++) {
		cr_assert_eq(le_timing_validate(&bad[i].t, why, sizeof(why)), -EINVAL);
		cr_assert_not_null(strstr(why, bad[i].expect), "%s", why);
	}
}

Test(le_config, lock_names_and_identities)
{
	struct le_config c = {0};
	char why[200];
	cr_assert_eq(le_lock_parse("plndr-cp-lock", "kube-system", &c, why, sizeof(why)), 0);
	cr_assert_str_eq(c.ns, "kube-system");
	cr_assert_str_eq(c.name, "plndr-cp-lock");
	cr_assert_eq(le_lock_parse("default/my.lock", "kube-system", &c, why, sizeof(why)), 0);
	cr_assert_str_eq(c.ns, "default");
	cr_assert_str_eq(c.name, "my.lock");
	const char *bad[] = {"", "/x", "ns/", "Upper/x", "ns/-x", "ns/x-", "a/b/c", "ns/a..b"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(le_lock_parse(bad[i], "kube-system", &c, why, sizeof(why)), -EINVAL,
			     "%s", bad[i]);
	cr_assert_eq(le_identity_set(&c, "cp-1", why, sizeof(why)), 0);
	cr_assert_eq(le_identity_set(&c, "", why, sizeof(why)), -EINVAL);
	cr_assert_eq(le_identity_set(&c, "a b", why, sizeof(why)), -EINVAL);
	int64_t ms;
	cr_assert_eq(le_duration_parse("1.5s", &ms), 0);
	cr_assert_eq(ms, 1500);
	cr_assert_eq(le_duration_parse("250ms", &ms), 0);
	cr_assert_eq(ms, 250);
	cr_assert_eq(le_duration_parse("5", &ms), 0);
	cr_assert_eq(ms, 5000);
	cr_assert_eq(le_duration_parse("-1", &ms), -EINVAL);
	cr_assert_eq(le_duration_parse("5h", &ms), -EINVAL);
	cr_assert_eq(le_duration_parse("nan", &ms), -EINVAL);
}

Test(lease_record, handover_requests)
{
	char from[64], to[64], why[200];
	cr_assert_eq(lease_handover_parse("from=node-1,to=node-2", from, to, 64, why, 200), 0);
	cr_assert_str_eq(from, "node-1");
	cr_assert_str_eq(to, "node-2");
	cr_assert_eq(lease_handover_parse("from=a.b,to=*", from, to, 64, why, 200), 0);
	cr_assert_str_eq(to, "*");
	const char *bad[] = {"",
			     "from=,to=b",
			     "from=a,to=",
			     "from=a",
			     "to=b,from=a",
			     "from=a b,to=c",
			     "from=a,to=**",
			     "from=*,to=b",
			     "from=a,to=b,",
			     "from=a,to=b c"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(lease_handover_parse(bad[i], from, to, 64, why, 200), -EINVAL, "%s",
			     bad[i]);
		cr_assert(strstr(why, "vipd.io/handover"), "%s", why);
	}
	char longer[100];
	memset(longer, 'x', sizeof(longer));
	memcpy(longer, "from=", 5);
	longer[99] = '\0';
	cr_assert_eq(lease_handover_parse(longer, from, to, 64, why, 200), -EINVAL,
		     "an identity longer than the buffer");

	json_t *obj = json_loads("{\"metadata\":{\"annotations\":{\"vipd.io/handover\":"
				 "\"from=a,to=*\"}}}",
				 0, NULL);
	cr_assert_eq(lease_handover_request(obj, from, to, 64, why, 200), 1);
	cr_assert_str_eq(from, "a");
	json_decref(obj);
	obj = json_loads("{\"metadata\":{\"annotations\":{\"vipd.io/handover\":5}}}", 0, NULL);
	cr_assert_eq(lease_handover_request(obj, from, to, 64, why, 200), -EBADMSG);
	json_decref(obj);
	obj = json_loads("{\"metadata\":{}}", 0, NULL);
	cr_assert_eq(lease_handover_request(obj, from, to, 64, why, 200), 0);
	json_decref(obj);
}

/* The hand-over note: read by candidates (le_observe's handed_to), dropped by a takeover of the
 * identity it names so that a twin cannot mistake the fresh record for a hand-over. */
Test(lease_record, handed_over_notes)
{
	char to[64];
	json_t *obj = json_loads("{\"metadata\":{\"annotations\":{\"vipd.io/handed-over\":"
				 "\"from=a,to=b\",\"x\":\"y\"}}}",
				 0, NULL);
	cr_assert_eq(lease_handed_over_to(obj, to, sizeof(to)), 1);
	cr_assert_str_eq(to, "b");
	cr_assert_eq(lease_takeover_note(obj, "c"), 0);
	cr_assert_eq(lease_handed_over_to(obj, to, sizeof(to)), 1, "a note for b stays");
	cr_assert_eq(lease_takeover_note(obj, "b"), 0);
	cr_assert_eq(lease_handed_over_to(obj, to, sizeof(to)), 0, "b's takeover spends it");
	cr_assert_str_eq(to, "");
	cr_assert_str_eq(
	    json_string_value(json_object_get(
		json_object_get(json_object_get(obj, "metadata"), "annotations"), "x")),
	    "y");
	json_decref(obj);
	obj = json_loads("{\"metadata\":{\"annotations\":{\"vipd.io/handed-over\":\"to=b\"}}}", 0,
			 NULL);
	cr_assert_eq(lease_handed_over_to(obj, to, sizeof(to)), 0, "malformed: none");
	cr_assert_eq(lease_takeover_note(obj, "b"), 0);
	json_decref(obj);
	obj = json_loads("{\"spec\":{}}", 0, NULL);
	cr_assert_eq(lease_handed_over_to(obj, to, sizeof(to)), 0);
	cr_assert_eq(lease_takeover_note(obj, "b"), 0);
	json_decref(obj);
}
