/*
 * kc_base64 — standard base64 decoding for kubeconfig's *-data fields.
 *
 * Owns: decoding only. Must not touch: anything else.
 */
#ifndef VIPD_KC_BASE64_H
#define VIPD_KC_BASE64_H

#include <stddef.h>

/* Decodes `len` bytes of standard base64 (padding optional, ASCII whitespace ignored, as Go's
 * decoder of []byte fields accepts line-wrapped data) into a new malloc'd buffer, NUL-terminated
 * for convenience. Returns 0 or -EINVAL (bad character or length) / -ENOMEM. Pure. */
int kc_base64_decode(const char *in, size_t len, unsigned char **out, size_t *out_len);

/* Encodes into a new malloc'd NUL-terminated string (etcd's gateway wants base64 keys). */
char *kc_base64_encode(const void *in, size_t len);

#endif
