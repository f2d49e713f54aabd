#!/usr/bin/env python3
# fake_lease_api.py — the smallest Kubernetes API a Lease election needs, over plain HTTP, for
# tests that run `vipd manager` without a control plane (status_cli.sh): GET / POST / PUT of
# coordination.k8s.io/v1 Leases with resourceVersion checks (404, 409 as the apiserver answers),
# a LIST of the collection; a WATCH is refused (503), so electors poll every retryPeriod.
# GET /readyz?node=NAME answers 200, or 503 while the file DIR/sick-NAME exists (a local
# control plane failing vipd's health gate, one node at a time).
#
#   fake_lease_api.py PORT DIR     (listens on 127.0.0.1:PORT until killed)
import json
import os
import re
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ITEM = re.compile(r"^/apis/coordination\.k8s\.io/v1/namespaces/([^/]+)/leases/([^/?]+)$")
COLL = re.compile(r"^/apis/coordination\.k8s\.io/v1/namespaces/([^/]+)/leases$")
leases = {}  # (ns, name) -> object
rv = [0]
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        sys.stderr.write("fake-api: " + (fmt % args) + "\n")

    def reply(self, code, obj):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def status(self, code, reason, msg):
        self.reply(code, {"kind": "Status", "apiVersion": "v1", "status": "Failure",
                          "reason": reason, "message": msg, "code": code})

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(n) or b"{}")

    def store(self, key, obj):
        rv[0] += 1
        obj.setdefault("metadata", {})
        obj["metadata"].update(namespace=key[0], name=key[1], resourceVersion=str(rv[0]))
        obj.update(kind="Lease", apiVersion="coordination.k8s.io/v1")
        leases[key] = obj
        return obj

    def do_GET(self):
        path, _, query = self.path.partition("?")
        if path == "/readyz":
            node = query.partition("node=")[2].split("&")[0]
            if os.path.exists(os.path.join(sys.argv[2], "sick-" + node)):
                return self.status(503, "ServiceUnavailable", "sick")
            return self.reply(200, {"ok": True})
        with lock:
            m = ITEM.match(path)
            if m:
                obj = leases.get(m.groups())
                if obj is None:
                    return self.status(404, "NotFound", "lease not found")
                return self.reply(200, obj)
            m = COLL.match(path)
            if m and "watch=" in query:
                return self.status(503, "ServiceUnavailable", "no watch in the fake API")
            if m:
                items = [o for k, o in leases.items() if k[0] == m.group(1)]
                return self.reply(200, {"kind": "LeaseList", "apiVersion": "coordination.k8s.io/v1",
                                        "metadata": {"resourceVersion": str(rv[0])},
                                        "items": items})
        self.status(404, "NotFound", "no such path")

    def do_POST(self):
        m = COLL.match(self.path.partition("?")[0])
        if not m:
            return self.status(404, "NotFound", "no such path")
        obj = self.body()
        key = (m.group(1), obj.get("metadata", {}).get("name", ""))
        with lock:
            if key in leases:
                return self.status(409, "AlreadyExists", "lease exists")
            self.reply(201, self.store(key, obj))

    def do_PUT(self):
        m = ITEM.match(self.path.partition("?")[0])
        if not m:
            return self.status(404, "NotFound", "no such path")
        obj = self.body()
        key = m.groups()
        with lock:
            cur = leases.get(key)
            if cur is None:
                return self.status(404, "NotFound", "lease not found")
            if obj.get("metadata", {}).get("resourceVersion") != cur["metadata"]["resourceVersion"]:
                return self.status(409, "Conflict", "the object has been modified")
            self.reply(200, self.store(key, obj))


ThreadingHTTPServer.daemon_threads = True
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
