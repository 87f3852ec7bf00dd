#!/usr/bin/env python3
"""A forward HTTP proxy for tests/bb/fetch.sh (standard library only).

Takes absolute-URI requests ("GET http://host:port/path HTTP/1.1") for
plain http, logs "GET URL" to --log, fetches the URL itself and relays the
answer.  No CONNECT (https through a proxy is libcurl's business, and the
test proxies plain http).  Binds 127.0.0.1 on a port the OS chooses and
writes it to --port-file.
"""
import argparse
import http.client
import os
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ARGS = None
LOCK = threading.Lock()
HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding",
       "te", "trailer", "upgrade", "proxy-authorization"}


class Proxy(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def log_message(self, fmt, *args):
        pass

    def do_GET(self):
        with LOCK, open(ARGS.log, "a") as f:
            f.write("GET %s\n" % self.path)
        u = urllib.parse.urlsplit(self.path)
        if u.scheme != "http" or not u.hostname:
            self.send_error(400, "absolute http URL expected")
            return
        path = u.path + ("?" + u.query if u.query else "")
        headers = {k: v for k, v in self.headers.items()
                   if k.lower() not in HOP}
        try:
            conn = http.client.HTTPConnection(u.hostname, u.port or 80,
                                              timeout=10)
            conn.request("GET", path, headers=headers)
            r = conn.getresponse()
            body = r.read()
        except OSError as e:
            self.send_error(502, str(e))
            return
        self.send_response(r.status)
        for k, v in r.getheaders():
            if k.lower() not in HOP and k.lower() != "content-length":
                self.send_header(k, v)
        self.send_header("Via", "1.0 biofed-test-proxy")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        conn.close()


def main():
    global ARGS
    p = argparse.ArgumentParser()
    p.add_argument("--port-file", required=True)
    p.add_argument("--log", required=True)
    ARGS = p.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
    srv.daemon_threads = True
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
