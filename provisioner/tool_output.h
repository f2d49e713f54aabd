/*
 * tool_output — pure readers of what the real tools print back to the provisioner: `kubeadm
 * token create --print-join-command`, `etcdctl member list`, an HTTP/1.0 answer from a node's
 * loopback (a VIP daemon's /status goes through vipd/status.c). Outside input: each is fuzzed
 * (tests/fuzz/fuzz_tool_output.c) and never reads past what it is given.
 *
 * Owns: those formats. Must not touch: processes, files, the network.
 */
#ifndef VIPD_TOOL_OUTPUT_H
#define VIPD_TOOL_OUTPUT_H

#include <stddef.h>

/* The token and CA hash of a `kubeadm join …` line. Returns 0 or -EPROTO. */
int tool_parse_join_command(const char *out, char token[24], char hash[80]);

/* `etcdctl member list` lines ("id, started, name, peer urls, client urls, is learner") into
 * "id name started|unstarted voter|learner\n" lines in out (raw is cut up on the way). Lines
 * of another shape are skipped. Returns 0 or -ENOSPC. */
int tool_parse_etcd_members(char *raw, char *out, size_t len);

/* An HTTP/1.x answer: its status code and where its body starts (NULL: none). Returns 0 or
 * -EPROTO. */
int tool_parse_http(const char *raw, int *code, const char **body);

#endif
