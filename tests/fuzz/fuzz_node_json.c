/*
 * fuzz_node_json.c — libFuzzer harness for the load balancer's Node parser and backend table
 * (vipd/backends.c): whatever a Node object holds (anyone with node update rights writes it)
 * must be taken or refused with a reason, never crash, and leave the table consistent.
 *
 * The input is JSON. An array is applied as a LIST and then item by item as ADDED, MODIFIED
 * and DELETED events with health results between them; an object as one node the same way.
 * Both VIP families are tried. After every step: no two entries share a name, `in_service`
 * follows the rules, and the desired destinations are the in-service backends' addresses,
 * sorted, each once.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "backends.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_table(const struct backends *t)
{
	size_t in = 0;
	for (size_t i = 0; i < t->n; i++) {
		const struct backend *b = &t->b[i];
		if (b->in_service != backends_wants(t, b) || b->node.af != t->af)
			abort();
		for (size_t j = i + 1; j < t->n; j++)
			if (!strcmp(b->node.name, t->b[j].node.name))
				abort();
		in += b->in_service;
	}
	struct ipvs_dest d[BACKENDS_MAX];
	size_t n = backends_desired(t, d, BACKENDS_MAX);
	if (n > in || (in > 0 && n == 0))
		abort();
	for (size_t i = 1; i < n; i++)
		if (memcmp(&d[i - 1].addr, &d[i].addr, sizeof(d[i].addr)) >= 0)
			abort();
}

static void one_node(struct backends *t, const json_t *obj, unsigned salt)
{
	backends_event(t, KC_EV_ADDED, obj);
	check_table(t);
	for (size_t i = 0; i < t->n; i++) {
		char name[BACKEND_NAME_MAX], addr[INET6_ADDRSTRLEN];
		memcpy(name, t->b[i].node.name, sizeof(name));
		memcpy(addr, t->b[i].node.addr_text, sizeof(addr));
		backends_health(t, name, addr, (salt + i) % 3 != 0, "fuzz");
		check_table(t);
	}
	backends_event(t, KC_EV_MODIFIED, obj);
	check_table(t);
	if (salt % 2)
		backends_event(t, KC_EV_DELETED, obj);
	check_table(t);
}

static void run(const json_t *j, int af)
{
	struct backends t;
	backends_init(&t, af, 6443, IP_VS_CONN_F_MASQ, NULL);
	struct backend_node n;
	struct nl_error err;
	if (!json_is_array(j)) {
		backend_node_parse(j, af, &n, &err);
		one_node(&t, j, 1);
		return;
	}
	backends_list(&t, j);
	check_table(&t);
	size_t i;
	const json_t *it;
	json_array_foreach(j, i, it) one_node(&t, it, (unsigned)i);
	backends_list(&t, j);
	check_table(&t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *j = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
	if (!j)
		return 0;
	run(j, AF_INET);
	run(j, AF_INET6);
	json_decref(j);
	return 0;
}
