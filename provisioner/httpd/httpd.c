/*
 * httpd.c — the smallest HTTP server the node tests need, built static so its image is one
 * file: answers every request on port 8080 (or argv[1]) with "Hello from <hostname> (<the
 * address the request came in on>)\n" — in a pod, its name and IP — so a test can tell which pod
 * answered. One connection at a time; exits on SIGTERM/SIGINT.
 * `httpd get ADDRESS PORT` is the matching client (the image has no curl): it prints what the
 * server at ADDRESS:PORT answers, so a test can check pod-to-pod traffic with `kubectl exec`.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static void on_terminate(int sig)
{
	(void)sig;
	_exit(0);
}

/* The address the connection arrived at, IPv4-mapped addresses shown as IPv4. */
static void local_address(int c, char *buf, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	snprintf(buf, len, "unknown");
	if (getsockname(c, (struct sockaddr *)&ss, &sl) < 0)
		return;
	if (ss.ss_family == AF_INET) {
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, buf, (socklen_t)len);
		return;
	}
	const struct in6_addr *a6 = &((struct sockaddr_in6 *)&ss)->sin6_addr;
	if (IN6_IS_ADDR_V4MAPPED(a6))
		inet_ntop(AF_INET, &a6->s6_addr[12], buf, (socklen_t)len);
	else
		inet_ntop(AF_INET6, a6, buf, (socklen_t)len);
}

static void serve(int c, const char *host)
{
	char addr[INET6_ADDRSTRLEN], body[400];
	local_address(c, addr, sizeof(addr));
	snprintf(body, sizeof(body), "Hello from %s (%s)\n", host, addr);
	char req[2048];
	/* Read the request head (ignored: every path gets the same answer). */
	(void)!read(c, req, sizeof(req));
	char resp[512];
	int len = snprintf(resp, sizeof(resp),
			   "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n"
			   "Connection: close\r\n\r\n%s",
			   strlen(body), body);
	if (len > 0)
		(void)!write(c, resp, (size_t)len);
	close(c);
}

static int parse_port(const char *text, unsigned long *port)
{
	char *end;
	errno = 0;
	*port = strtoul(text, &end, 10);
	if (errno || end == text || *end || *port == 0 || *port > 65535) {
		fprintf(stderr, "httpd: port \"%s\": want a number from 1 to 65535\n", text);
		return -1;
	}
	return 0;
}

/* `get ADDRESS PORT`: one request, the whole answer on stdout, exit 0 on a 200. */
static int get(const char *addr, const char *port_text)
{
	unsigned long port;
	struct sockaddr_in a = {.sin_family = AF_INET};
	if (parse_port(port_text, &port))
		return 2;
	if (inet_pton(AF_INET, addr, &a.sin_addr) != 1) {
		fprintf(stderr, "httpd get: address \"%s\": want a dotted IPv4 address\n", addr);
		return 2;
	}
	a.sin_port = htons((uint16_t)port);
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct timeval tv = {.tv_sec = 5};
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof(a)) < 0) {
		fprintf(stderr, "httpd get: %s:%lu: %s\n", addr, port, strerror(errno));
		return 1;
	}
	char req[128], buf[4096];
	int len = snprintf(req, sizeof(req), "GET / HTTP/1.0\r\nHost: %s\r\n\r\n", addr);
	if (write(s, req, (size_t)len) != len) {
		fprintf(stderr, "httpd get: %s:%lu: %s\n", addr, port, strerror(errno));
		return 1;
	}
	size_t got = 0;
	ssize_t n;
	while (got < sizeof(buf) - 1 && (n = read(s, buf + got, sizeof(buf) - 1 - got)) > 0)
		got += (size_t)n;
	buf[got] = '\0';
	close(s);
	char *body = strstr(buf, "\r\n\r\n");
	fputs(body ? body + 4 : buf, stdout);
	return strncmp(buf, "HTTP/1.0 200", 12) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	unsigned long port = 8080;
	if (argc > 1 && !strcmp(argv[1], "get")) {
		if (argc != 4) {
			fprintf(stderr, "usage: httpd [PORT] | httpd get ADDRESS PORT\n");
			return 2;
		}
		return get(argv[2], argv[3]);
	}
	if (argc > 1 && parse_port(argv[1], &port))
		return 2;
	signal(SIGTERM, on_terminate);
	signal(SIGINT, on_terminate);
	signal(SIGPIPE, SIG_IGN);

	char host[256] = "unknown";
	gethostname(host, sizeof(host) - 1);

	int s = socket(AF_INET6, SOCK_STREAM, 0);
	int fam = AF_INET6;
	if (s < 0) {
		s = socket(AF_INET, SOCK_STREAM, 0);
		fam = AF_INET;
	}
	if (s < 0) {
		perror("httpd: socket");
		return 1;
	}
	int one = 1;
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	int rc;
	if (fam == AF_INET6) {
		int zero = 0;
		setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
		struct sockaddr_in6 a = {.sin6_family = AF_INET6,
					 .sin6_port = htons((uint16_t)port)};
		rc = bind(s, (struct sockaddr *)&a, sizeof(a));
	} else {
		struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
		rc = bind(s, (struct sockaddr *)&a, sizeof(a));
	}
	if (rc < 0 || listen(s, 64) < 0) {
		fprintf(stderr, "httpd: port %lu: %s\n", port, strerror(errno));
		return 1;
	}
	printf("httpd: listening on port %lu as %s\n", port, host);
	fflush(stdout);
	for (;;) {
		int c = accept(s, NULL, NULL);
		if (c < 0) {
			if (errno == EINTR)
				continue;
			perror("httpd: accept");
			return 1;
		}
		serve(c, host);
	}
}
