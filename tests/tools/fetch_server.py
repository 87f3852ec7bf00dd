#!/usr/bin/env python3
"""HTTP(S) server for tests/bb/fetch.sh (Python standard library only).

Binds 127.0.0.1 on a port the OS chooses, writes the port to --port-file,
and logs one line per request to --log:

    GET /files/cordis/project.csv 200 ae=gzip inm=- ims=- ua=biofed/0.1.0 key=-

Routes:
  /files/PATH            ROOT/PATH with ETag and Last-Modified; answers 304
                         to a matching If-None-Match or If-Modified-Since;
                         gzip when the client accepts it
  /paged/FILE?page=N&per_page=M
                         page N (from 1) of ROOT/FILE's "items", as
                         {"data": {"items": [...]}}
  /flaky/KEY/PATH        500 the first time KEY is asked for, then /files/PATH
  /redirect/PATH         302 to /files/PATH
  /slow/PATH             /files/PATH after a second and a half
  /stall                 headers and a few bytes, then nothing for 30 s
  /truncated/PATH        ROOT/PATH with a Content-Length 1000 bytes too large
  /huge                  5 MB without a Content-Length
  /loop                  302 to itself
  /html                  an HTML error page with status 200
"""
import argparse
import email.utils
import gzip
import hashlib
import json
import os
import ssl
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ARGS = None
LOCK = threading.Lock()
FLAKY = {}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def log_message(self, fmt, *args):  # quiet: our own log below
        pass

    def note(self, status):
        h = self.headers
        line = "GET %s %d ae=%s inm=%s ims=%s ua=%s key=%s\n" % (
            self.path, status, h.get("Accept-Encoding", "-"),
            h.get("If-None-Match", "-"), h.get("If-Modified-Since", "-"),
            h.get("User-Agent", "-"), h.get("X-API-Key", "-"))
        with LOCK, open(ARGS.log, "a") as f:
            f.write(line)

    def send(self, status, body=b"", ctype="application/json", extra=None):
        self.note(status)
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def serve_file(self, rel):
        path = os.path.normpath(os.path.join(ARGS.root, rel))
        if not path.startswith(os.path.abspath(ARGS.root)) or \
                not os.path.isfile(path):
            return self.send(404, b"not found", "text/plain")
        with open(path, "rb") as f:
            data = f.read()
        etag = '"%s"' % hashlib.sha256(data).hexdigest()[:16]
        mtime = int(os.path.getmtime(path))
        lm = email.utils.formatdate(mtime, usegmt=True)
        inm = self.headers.get("If-None-Match")
        ims = self.headers.get("If-Modified-Since")
        if inm is not None:
            fresh = inm == etag
        elif ims is not None:
            try:
                fresh = email.utils.parsedate_to_datetime(ims).timestamp() \
                    >= mtime
            except (TypeError, ValueError):
                fresh = False
        else:
            fresh = False
        if fresh:
            self.note(304)
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return
        ctype = "text/csv; charset=utf-8" if path.endswith(".csv") \
            else "application/json"
        extra = {"ETag": etag, "Last-Modified": lm}
        if "gzip" in self.headers.get("Accept-Encoding", ""):
            data = gzip.compress(data)
            extra["Content-Encoding"] = "gzip"
        self.send(200, data, ctype, extra)

    def do_GET(self):
        u = urllib.parse.urlsplit(self.path)
        parts = u.path.split("/", 2)
        route = parts[1] if len(parts) > 1 else ""
        rest = parts[2] if len(parts) > 2 else ""
        if route == "files":
            return self.serve_file(rest)
        if route == "slow":
            time.sleep(1.5)
            return self.serve_file(rest)
        if route == "redirect":
            return self.send(302, b"", "text/plain",
                             {"Location": "/files/" + rest})
        if route == "flaky":
            key, _, rel = rest.partition("/")
            with LOCK:
                FLAKY[key] = FLAKY.get(key, 0) + 1
                first = FLAKY[key] == 1
            if first:
                return self.send(500, b"try again", "text/plain")
            return self.serve_file(rel)
        if route == "paged":
            q = urllib.parse.parse_qs(u.query)
            page = int(q.get("page", ["1"])[0])
            size = int(q.get("per_page", ["10"])[0])
            with open(os.path.join(ARGS.root, rest), "rb") as f:
                items = json.load(f)["items"]
            chunk = items[(page - 1) * size: page * size]
            body = json.dumps({"data": {"items": chunk}}).encode()
            return self.send(200, body)
        if route == "stall":
            self.note(200)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"data": ')
            self.wfile.flush()
            time.sleep(30)
            return
        if route == "truncated":
            with open(os.path.join(ARGS.root, rest), "rb") as f:
                data = f.read()
            self.note(200)
            self.send_response(200)
            self.send_header("Content-Type", "text/csv")
            self.send_header("Content-Length", str(len(data) + 1000))
            self.end_headers()
            self.wfile.write(data)
            self.wfile.flush()
            self.close_connection = True
            return
        if route == "huge":
            self.note(200)
            self.send_response(200)
            self.send_header("Content-Type", "text/csv")
            self.end_headers()
            line = b"x" * 1023 + b"\n"
            try:
                for _ in range(5 * 1024):
                    self.wfile.write(line)
            except OSError:
                pass  # the client gave up, as it should
            return
        if route == "loop":
            return self.send(302, b"", "text/plain", {"Location": "/loop"})
        if route == "html":
            return self.send(200, b"<html><body>Service unavailable"
                             b"</body></html>", "text/html")
        return self.send(404, b"not found", "text/plain")


def main():
    global ARGS
    p = argparse.ArgumentParser()
    p.add_argument("--root", required=True)
    p.add_argument("--port-file", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--cert")
    p.add_argument("--key")
    ARGS = p.parse_args()
    ARGS.root = os.path.abspath(ARGS.root)
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    if ARGS.cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(ARGS.cert, ARGS.key)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    tmp = ARGS.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, ARGS.port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
