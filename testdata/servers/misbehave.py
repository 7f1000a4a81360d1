"""A small HTTP server that misbehaves on request, for workerbench's tests.

Each flag is a way real servers fail; without flags it is a healthy
threaded server: GET /?ms=N sleeps N ms (default 10), GET /health answers
at once. The port comes from --port, else from $PORT.

  --ignore-term   ignore SIGTERM (as uWSGI without --die-on-term does)
  --elsewhere     listen on a port of its own choosing, not the one given
  --crash-loop    a master that keeps starting workers which die at import
"""
import argparse
import http.server
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.parse


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self):
        super().setup()
        # Headers and body go out in two writes: without this, Nagle's
        # algorithm holds the body until the client's delayed ACK (~40 ms).
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        if url.path not in ("/", "/health"):
            self.send_error(404)
            return
        if url.path == "/":
            ms = float(urllib.parse.parse_qs(url.query).get("ms", ["10"])[0])
            time.sleep(ms / 1000)
        body = b"ok\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int)
    p.add_argument("--ignore-term", action="store_true")
    p.add_argument("--elsewhere", action="store_true")
    p.add_argument("--crash-loop", action="store_true")
    p.add_argument("--worker", action="store_true")
    args = p.parse_args()
    if args.worker:
        print("Traceback (most recent call last):", file=sys.stderr)
        print('  File "app.py", line 1, in <module>', file=sys.stderr)
        print("RuntimeError: worker cannot start: DATABASE_URL is not set", file=sys.stderr)
        sys.exit(1)
    if args.crash_loop:
        while True:  # a master that respawns whatever dies
            subprocess.run([sys.executable, __file__, "--worker"])
    if args.ignore_term:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    port = args.port if args.port is not None else int(os.environ["PORT"])
    if args.elsewhere:
        port = 0
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    print("listening on 127.0.0.1:%d" % srv.server_address[1], file=sys.stderr, flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
