/*
 * test_etcd_gw.c — etcd v3 gateway JSON: the campaign transaction we send, and the replies
 * etcd 3.5/3.6 write (int64 as strings, zero values omitted, base64 keys and values).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "etcd_gw.h"

/* "kube-system-plndr-cp-lock" and "cp-1" in base64. */
#define KEY_B64 "a3ViZS1zeXN0ZW0tcGxuZHItY3AtbG9jaw=="
#define CP1_B64 "Y3AtMQ=="

static json_t *parse(const char *s)
{
	json_t *j = json_loads(s, 0, NULL);
	cr_assert_not_null(j, "%s", s);
	return j;
}

Test(etcd_gw, campaign_is_a_create_revision_txn)
{
	json_t *b = etcd_campaign_body("kube-system-plndr-cp-lock", "cp-1", 7587883291231231LL);
	char *s = json_dumps(b, JSON_SORT_KEYS | JSON_COMPACT);
	cr_assert_str_eq(s, "{\"compare\":[{\"create_revision\":\"0\",\"key\":\"" KEY_B64
			    "\",\"result\":\"EQUAL\",\"target\":\"CREATE\"}],"
			    "\"failure\":[{\"request_range\":{\"key\":\"" KEY_B64 "\"}}],"
			    "\"success\":[{\"request_put\":{\"key\":\"" KEY_B64
			    "\",\"lease\":\"7587883291231231\",\"value\":\"" CP1_B64 "\"}}]}");
	free(s);
	json_decref(b);
}

Test(etcd_gw, grant_and_keepalive)
{
	char why[128];
	int64_t id, ttl;
	json_t *g =
	    parse("{\"header\":{\"revision\":\"5\"},\"ID\":\"7587883291231231\",\"TTL\":\"5\"}");
	cr_assert_eq(etcd_grant_parse(g, &id, &ttl, why, sizeof(why)), 0, "%s", why);
	cr_assert_eq(id, 7587883291231231LL);
	cr_assert_eq(ttl, 5);
	json_decref(g);
	json_t *k = parse("{\"result\":{\"header\":{},\"ID\":\"1\",\"TTL\":\"5\"}}");
	cr_assert_eq(etcd_keepalive_parse(k, &ttl, why, sizeof(why)), 0);
	cr_assert_eq(ttl, 5);
	json_decref(k);
	/* An expired lease: TTL omitted (zero). */
	k = parse("{\"result\":{\"header\":{},\"ID\":\"1\"}}");
	cr_assert_eq(etcd_keepalive_parse(k, &ttl, why, sizeof(why)), 0);
	cr_assert_eq(ttl, 0);
	json_decref(k);
	k = parse("{\"error\":{\"grpc_code\":14,\"message\":\"etcdserver: no leader\"}}");
	cr_assert_eq(etcd_keepalive_parse(k, &ttl, why, sizeof(why)), -EBADMSG);
	cr_assert_not_null(strstr(why, "no leader"), "%s", why);
	json_decref(k);
}

Test(etcd_gw, txn_won_and_lost)
{
	char why[128];
	bool won;
	int64_t rev;
	struct etcd_kv kv;
	json_t *t = parse("{\"header\":{\"revision\":\"6\"},\"succeeded\":true,\"responses\":[{"
			  "\"response_put\":{\"header\":{\"revision\":\"6\"}}}]}");
	cr_assert_eq(etcd_txn_parse(t, &won, &rev, &kv, why, sizeof(why)), 0, "%s", why);
	cr_assert(won);
	cr_assert_eq(rev, 6);
	json_decref(t);
	t = parse("{\"header\":{\"revision\":\"9\"},\"responses\":[{\"response_range\":{"
		  "\"header\":{\"revision\":\"9\"},\"kvs\":[{\"key\":\"" KEY_B64 "\","
		  "\"create_revision\":\"3\",\"mod_revision\":\"3\",\"version\":\"1\",\"value\":"
		  "\"" CP1_B64 "\",\"lease\":\"42\"}],\"count\":\"1\"}}]}");
	cr_assert_eq(etcd_txn_parse(t, &won, &rev, &kv, why, sizeof(why)), 0, "%s", why);
	cr_assert_not(won);
	cr_assert(kv.present);
	cr_assert_str_eq(kv.value, "cp-1");
	cr_assert_eq(kv.lease, 42);
	cr_assert_eq(kv.create_rev, 3);
	json_decref(t);
}

Test(etcd_gw, watch_lines)
{
	char why[128];
	struct etcd_watch_msg m;
	const char *created = "{\"result\":{\"header\":{\"revision\":\"7\"},\"created\":true}}";
	cr_assert_eq(etcd_watch_parse(created, strlen(created), "kube-system-plndr-cp-lock", &m,
				      why, sizeof(why)),
		     0);
	cr_assert(m.created);
	cr_assert_eq(m.last, ETCD_EV_NONE);
	const char *put =
	    "{\"result\":{\"header\":{\"revision\":\"8\"},\"events\":[{\"kv\":{\"key\":\"" KEY_B64
	    "\",\"create_revision\":\"8\",\"mod_revision\":\"8\",\"value\":\"" CP1_B64
	    "\",\"lease\":\"42\"}}]}}";
	cr_assert_eq(
	    etcd_watch_parse(put, strlen(put), "kube-system-plndr-cp-lock", &m, why, sizeof(why)),
	    0, "%s", why);
	cr_assert_eq(m.last, ETCD_EV_PUT, "a PUT has no type field");
	cr_assert_str_eq(m.kv.value, "cp-1");
	const char *del =
	    "{\"result\":{\"header\":{\"revision\":\"9\"},\"events\":[{\"type\":\"DELETE\","
	    "\"kv\":{\"key\":\"" KEY_B64 "\",\"mod_revision\":\"9\"}}]}}";
	cr_assert_eq(
	    etcd_watch_parse(del, strlen(del), "kube-system-plndr-cp-lock", &m, why, sizeof(why)),
	    0);
	cr_assert_eq(m.last, ETCD_EV_DELETE);
	cr_assert_not(m.kv.present);
	cr_assert_eq(etcd_watch_parse(del, strlen(del), "another-key", &m, why, sizeof(why)), 0);
	cr_assert_eq(m.last, ETCD_EV_NONE, "events for other keys are ignored");
	const char *compacted = "{\"result\":{\"header\":{\"revision\":\"20\"},\"canceled\":true,"
				"\"compact_revision\":\"15\"}}";
	cr_assert_eq(etcd_watch_parse(compacted, strlen(compacted), "k", &m, why, sizeof(why)), 0);
	cr_assert(m.canceled);
	cr_assert_eq(m.compact_revision, 15);
	const char *bad[] = {"{", "{\"result\":[]}",
			     "{\"result\":{\"header\":{\"revision\":\"x\"}}}",
			     "{\"result\":{\"events\":{}}}"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(etcd_watch_parse(bad[i], strlen(bad[i]), "k", &m, why, sizeof(why)),
			     -EBADMSG, "%s", bad[i]);
}

Test(etcd_gw, release_marks_the_key_only_while_bound_to_our_lease)
{
	json_t *b = etcd_release_body("kube-system-plndr-cp-lock", 42, NULL);
	char *s = json_dumps(b, JSON_SORT_KEYS | JSON_COMPACT);
	cr_assert_str_eq(s, "{\"compare\":[{\"key\":\"" KEY_B64 "\",\"lease\":\"42\","
			    "\"result\":\"EQUAL\",\"target\":\"LEASE\"}],"
			    "\"success\":[{\"request_put\":{\"key\":\"" KEY_B64
			    "\",\"lease\":\"42\",\"value\":\"\"}}]}");
	free(s);
	json_decref(b);
	b = etcd_watch_body("kube-system-plndr-cp-lock", 9);
	cr_assert(json_is_true(json_object_get(json_object_get(b, "create_request"), "prev_kv")),
		  "DELETE events must say what the key was");
	json_decref(b);
}

Test(etcd_gw, timetolive)
{
	char why[128];
	int64_t ttl, granted;
	json_t *j = parse("{\"header\":{\"revision\":\"5\"},\"ID\":\"42\",\"TTL\":\"4\","
			  "\"grantedTTL\":\"5\"}");
	cr_assert_eq(etcd_timetolive_parse(j, 42, &ttl, &granted, why, sizeof(why)), 0, "%s", why);
	cr_assert_eq(ttl, 4);
	cr_assert_eq(granted, 5);
	cr_assert_eq(etcd_timetolive_parse(j, 43, &ttl, &granted, why, sizeof(why)), -EBADMSG,
		     "another lease's answer");
	json_decref(j);
	/* No such lease: TTL -1, grantedTTL omitted. */
	j = parse("{\"header\":{\"revision\":\"5\"},\"ID\":\"42\",\"TTL\":\"-1\"}");
	cr_assert_eq(etcd_timetolive_parse(j, 42, &ttl, &granted, why, sizeof(why)), 0, "%s", why);
	cr_assert_eq(ttl, -1);
	cr_assert_eq(granted, 0);
	json_decref(j);
	/* Under a second left: TTL omitted (zero) — the lease lives. */
	j = parse("{\"header\":{},\"ID\":\"42\",\"grantedTTL\":\"5\"}");
	cr_assert_eq(etcd_timetolive_parse(j, 42, &ttl, &granted, why, sizeof(why)), 0, "%s", why);
	cr_assert_eq(ttl, 0);
	json_decref(j);
	const char *bad[] = {"[]",
			     "{\"ID\":\"42\",\"TTL\":\"-2\"}",
			     "{\"ID\":\"42\",\"TTL\":\"x\"}",
			     "{\"ID\":\"42\",\"TTL\":true}",
			     "{\"ID\":\"42\",\"TTL\":\"4\",\"grantedTTL\":\"-5\"}",
			     "{\"ID\":{},\"TTL\":\"4\"}",
			     "{\"error\":\"etcdserver: no leader\",\"code\":14}"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		j = parse(bad[i]);
		cr_assert_eq(etcd_timetolive_parse(j, 42, &ttl, &granted, why, sizeof(why)),
			     -EBADMSG, "%s", bad[i]);
		cr_assert(why[0]);
		json_decref(j);
	}
}

Test(etcd_gw, watch_delete_with_prev_kv_and_the_release_marker)
{
	char why[128];
	struct etcd_watch_msg m;
	/* The holder's release: the marker (an empty value: no "value" field), then the DELETE of
	 * its revoke, in one message. */
	const char *rel =
	    "{\"result\":{\"header\":{\"revision\":\"11\"},\"events\":["
	    "{\"kv\":{\"key\":\"" KEY_B64 "\",\"create_revision\":\"8\",\"mod_revision\":\"10\","
	    "\"lease\":\"42\"},\"prev_kv\":{\"key\":\"" KEY_B64 "\",\"create_revision\":\"8\","
	    "\"mod_revision\":\"8\",\"value\":\"" CP1_B64 "\",\"lease\":\"42\"}},"
	    "{\"type\":\"DELETE\",\"kv\":{\"key\":\"" KEY_B64 "\",\"mod_revision\":\"11\"},"
	    "\"prev_kv\":{\"key\":\"" KEY_B64
	    "\",\"create_revision\":\"8\",\"mod_revision\":\"10\","
	    "\"lease\":\"42\"}}]}}";
	cr_assert_eq(
	    etcd_watch_parse(rel, strlen(rel), "kube-system-plndr-cp-lock", &m, why, sizeof(why)),
	    0, "%s", why);
	cr_assert_eq(m.last, ETCD_EV_DELETE);
	cr_assert(m.prev.present);
	cr_assert(etcd_kv_released(&m.prev), "the key was released before it went");
	cr_assert_eq(m.prev.lease, 42);
	/* A DELETE by hand: prev_kv names the holder and its lease. */
	const char *del =
	    "{\"result\":{\"header\":{\"revision\":\"12\"},\"events\":[{\"type\":\"DELETE\","
	    "\"kv\":{\"key\":\"" KEY_B64
	    "\",\"mod_revision\":\"12\"},\"prev_kv\":{\"key\":\"" KEY_B64
	    "\",\"mod_revision\":\"8\",\"value\":\"" CP1_B64 "\",\"lease\":\"42\"}}]}}";
	cr_assert_eq(
	    etcd_watch_parse(del, strlen(del), "kube-system-plndr-cp-lock", &m, why, sizeof(why)),
	    0, "%s", why);
	cr_assert_str_eq(m.prev.value, "cp-1");
	cr_assert_not(etcd_kv_released(&m.prev));
	const char *bad = "{\"result\":{\"events\":[{\"type\":\"DELETE\",\"kv\":{\"key\":\"" KEY_B64
			  "\"},\"prev_kv\":{\"lease\":\"x\"}}]}}";
	cr_assert_eq(
	    etcd_watch_parse(bad, strlen(bad), "kube-system-plndr-cp-lock", &m, why, sizeof(why)),
	    -EBADMSG);
}

/* "\nhandover-to=cp-2" in base64. */
#define TO_CP2_B64 "CmhhbmRvdmVyLXRvPWNwLTI="

Test(etcd_gw, the_release_names_the_next_holder_for_a_hand_over)
{
	const char *key = "kube-system-plndr-cp-lock";
	json_t *b = etcd_release_body(key, 42, "*");
	cr_assert_str_eq(
	    json_string_value(json_object_get(
		json_object_get(json_array_get(json_object_get(b, "success"), 0), "request_put"),
		"value")),
	    "", "to anyone: the plain release marker");
	json_decref(b);
	b = etcd_release_body(key, 42, "cp-2");
	char *s = json_dumps(b, JSON_SORT_KEYS | JSON_COMPACT);
	cr_assert_str_eq(s, "{\"compare\":[{\"key\":\"" KEY_B64 "\",\"lease\":\"42\","
			    "\"result\":\"EQUAL\",\"target\":\"LEASE\"}],"
			    "\"success\":[{\"request_put\":{\"key\":\"" KEY_B64
			    "\",\"lease\":\"42\",\"value\":\"" TO_CP2_B64 "\"}}]}");
	free(s);
	json_decref(b);
}

Test(etcd_gw, a_hand_over_request_keeps_the_key_on_its_holders_lease)
{
	char v[64];
	cr_assert_eq(etcd_value_encode("cp-1", "cp-2", v, sizeof(v)), 0);
	cr_assert_str_eq(v, "cp-1\nhandover-to=cp-2");
	cr_assert_eq(etcd_value_encode("cp-1", NULL, v, sizeof(v)), 0);
	cr_assert_str_eq(v, "cp-1");
	cr_assert_eq(etcd_value_encode("cp-1", "a-very-long-node-name-indeed-yes", v, 20),
		     -ENAMETOOLONG);
	json_t *b = etcd_handover_body("kube-system-plndr-cp-lock", 17, 42, "cp-1\nhandover-to=*");
	char *s = json_dumps(b, JSON_SORT_KEYS | JSON_COMPACT);
	cr_assert_not_null(strstr(s, "\"compare\":[{\"key\":\"" KEY_B64
				     "\",\"mod_revision\":\"17\",\"result\":\"EQUAL\","
				     "\"target\":\"MOD\"}]"),
			   "%s", s);
	cr_assert_not_null(strstr(s, "\"lease\":\"42\""), "%s", s);
	free(s);
	json_decref(b);
	b = etcd_withdraw_body("kube-system-plndr-cp-lock", "cp-1\nhandover-to=*", 42, "cp-1");
	s = json_dumps(b, JSON_SORT_KEYS | JSON_COMPACT);
	cr_assert_not_null(strstr(s, "\"target\":\"VALUE\""), "%s", s);
	cr_assert_not_null(strstr(s, "\"target\":\"LEASE\""), "%s", s);
	cr_assert_not_null(strstr(s, "\"value\":\"" CP1_B64 "\"}}]"), "%s", s);
	free(s);
	json_decref(b);
}

/* A range reply whose value is `b64`. */
static void range_value(const char *b64, struct etcd_kv *kv)
{
	char text[512], why[128];
	int64_t rev;
	snprintf(text, sizeof(text),
		 "{\"header\":{\"revision\":\"9\"},\"kvs\":[{\"key\":\"" KEY_B64
		 "\",\"create_revision\":\"3\",\"mod_revision\":\"9\",\"version\":\"2\","
		 "\"value\":\"%s\",\"lease\":\"42\"}],\"count\":\"1\"}",
		 b64);
	json_t *j = parse(text);
	cr_assert_eq(etcd_range_parse(j, &rev, kv, why, sizeof(why)), 0, "%s", why);
	json_decref(j);
}

Test(etcd_gw, values_with_a_hand_over_part)
{
	struct etcd_kv kv;
	range_value("Y3AtMQpoYW5kb3Zlci10bz1jcC0y", &kv); /* "cp-1\nhandover-to=cp-2" */
	cr_assert(kv.present && !etcd_kv_released(&kv));
	cr_assert_str_eq(kv.value, "cp-1", "the holder is still cp-1");
	cr_assert_str_eq(kv.handover_to, "cp-2");
	cr_assert_not(kv.handover_bad);
	range_value(TO_CP2_B64, &kv); /* the release marker naming cp-2 */
	cr_assert(etcd_kv_released(&kv));
	cr_assert_str_eq(kv.handover_to, "cp-2");
	range_value("Y3AtMQpoYW5kb3Zlci10bz0=", &kv); /* "cp-1\nhandover-to=": no target */
	cr_assert_str_eq(kv.value, "cp-1", "a bad request leaves the key readable");
	cr_assert(kv.handover_bad);
	cr_assert_str_eq(kv.handover_to, "");
	range_value(CP1_B64, &kv);
	cr_assert_str_eq(kv.value, "cp-1");
	cr_assert(!kv.handover_to[0] && !kv.handover_bad);
}
