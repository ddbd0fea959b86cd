"""A slow reverse proxy in front of gunicorn: the ``slow-api`` fault without touching the backend.

Every request except the health endpoint waits ``--delay-ms`` before it is forwarded, so the
gate's latency burst (PST-08) sees what a client of a slow release would see.

    python -m rehearse.proxy --port 9000 --upstream http://127.0.0.1:8000 --delay-ms 1200
"""

from __future__ import annotations

import argparse
import http.client
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-authorization"}


def make_handler(upstream: str, delay_s: float, skip: tuple[str, ...]) -> type[BaseHTTPRequestHandler]:
    """A request handler forwarding to ``upstream`` after ``delay_s`` (paths containing ``skip`` go straight)."""
    target = urlsplit(upstream)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the stdlib's name
            return

        def _forward(self) -> None:
            if not any(s in self.path for s in skip):
                time.sleep(delay_s)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            conn = http.client.HTTPConnection(target.hostname or "127.0.0.1", target.port or 80, timeout=60)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            try:
                conn.request(self.command, self.path, body=body, headers=headers)
                response = conn.getresponse()
                data = response.read()
            except OSError as exc:
                self.send_error(502, f"upstream: {type(exc).__name__}")
                return
            finally:
                conn.close()
            self.send_response(response.status)
            for key, value in response.getheaders():
                if key.lower() not in HOP_BY_HOP and key.lower() != "content-length":
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_HEAD = do_PUT = do_DELETE = _forward

    return Handler


def main(argv: list[str] | None = None) -> int:
    """Serve until killed."""
    parser = argparse.ArgumentParser(prog="python -m rehearse.proxy")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--upstream", required=True)
    parser.add_argument("--delay-ms", type=float, default=1200)
    parser.add_argument("--skip", action="append", default=["/health/"])
    args = parser.parse_args(argv)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(args.upstream, args.delay_ms / 1000,
                                                                         tuple(args.skip)))
    server.daemon_threads = True
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
