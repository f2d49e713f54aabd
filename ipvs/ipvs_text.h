/*
 * ipvs_text — IPVS values as people read and write them: services and destinations formatted
 * for messages and logs (the way ipvsadm prints them), forwarding-method names, and addresses
 * parsed through the project's one address parser (base/inet_prefix).
 *
 * Owns: those formats. Must not touch: sockets, the kernel, message layout (ipvs_msg) — so that
 * both ipvs.c and ipvs_msg.c can use it without using each other. ipvs.h includes this header.
 */
#ifndef VIPD_IPVS_TEXT_H
#define VIPD_IPVS_TEXT_H

#include <stddef.h>
#include <stdint.h>

struct ipvs_service;
struct ipvs_dest;
union ipvs_addr;

/* Formatting for messages and logs: "TCP 192.0.2.10:6443", "UDP [2001:db8::1]:53",
 * "FWM 7 IPv4"; "192.0.2.21:6443", "[2001:db8::21]:6443". Return buf. */
#define IPVS_STRLEN 64
const char *ipvs_service_str(const struct ipvs_service *svc, char *buf, size_t len);
const char *ipvs_dest_str(const struct ipvs_dest *dest, int svc_af, char *buf, size_t len);
/* "Masq", "Local", "Tunnel", "Route" (as ipvsadm prints them), or "fwd-other". */
const char *ipvs_fwd_name(uint32_t fwd);

/* Parses "10.0.0.1", "2001:db8::1" into `addr`; returns the family (AF_INET/AF_INET6) or
 * -EINVAL. */
int ipvs_addr_parse(const char *text, union ipvs_addr *addr);

#endif
