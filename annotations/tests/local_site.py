"""A small web server on 127.0.0.1 for the fetcher's tests: an article, redirects (some into the network), a
PDF, an oversized and a trickling page. Reachable only where a test allows LOCAL (the fetcher refuses loopback)."""

import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCAL = ["127.0.0.1/32"]
ARTICLE = b"""<!doctype html><html><head><title>Dredging finished early | Courier</title></head><body>
<nav><a href="/">Home</a></nav><article><h1>Dredging finished early</h1><p>Dredging of the inner channel finished
two months early, at a cost of 14 million euros, the harbour authority said on Monday.</p><p>Ships of up to 16
metres draught can now reach the container berths, the authority's director said.</p></article></body></html>"""


class Handler(BaseHTTPRequestHandler):
    routes: dict = {}

    def log_message(self, *args):  # quiet
        pass

    def do_GET(self):
        route = self.routes.get(self.path.split("?")[0])
        if route is None:
            self.send_response(404)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(b"<html><body>not here</body></html>")
            return
        status, headers, body = route(self) if callable(route) else route
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if isinstance(body, bytes):
            self.wfile.write(body)
        else:
            for chunk in body:
                self.wfile.write(chunk)
                self.wfile.flush()


@contextmanager
def local_site():
    """A web server on 127.0.0.1 (a random port) with the routes the fetcher tests need; yields its base URL."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    Handler.routes = {
        "/article": (200, {"Content-Type": "text/html; charset=utf-8"}, ARTICLE),
        "/moved": (301, {"Location": "/article"}, b""),
        "/to-private": (302, {"Location": "http://10.0.0.7/admin"}, b""),
        "/to-metadata": (302, {"Location": "http://169.254.169.254/latest/meta-data/"}, b""),
        "/to-ipv6-loopback": (302, {"Location": "http://[::1]/"}, b""),
        "/to-file": (302, {"Location": "file:///etc/passwd"}, b""),
        "/pdf": (200, {"Content-Type": "application/pdf"}, b"%PDF-1.7"),
        "/big": (200, {"Content-Type": "text/html"}, (b"x" * 65536 for _ in range(100))),  # 6.5 MB, no length
        "/big-declared": (200, {"Content-Type": "text/html", "Content-Length": str(6 * 1024 * 1024)}, b""),
        "/gone": (410, {"Content-Type": "text/html"}, b"<html><body>gone</body></html>"),
    }
    for n in range(7):  # /loop0 -> /loop1 -> ... -> /loop6 -> /article
        Handler.routes[f"/loop{n}"] = (302, {"Location": f"/loop{n + 1}" if n < 6 else "/article"}, b"")

    def slow(_handler):
        def trickle():
            for _ in range(30):
                time.sleep(0.1)
                yield b"<p>slow</p>"
            Handler.slow_finished = True

        return 200, {"Content-Type": "text/html"}, trickle()

    Handler.slow_finished = False

    Handler.routes["/slow"] = slow
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield base
    httpd.shutdown()
    httpd.server_close()
