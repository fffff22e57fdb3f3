"""A small API that knows nothing about payments: the x402 sidecar in front
of it charges for /v1/premium/* and /v1/bulk/*, and passes the verified
payer in the X-Payer header. Python standard library only."""

import json
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/healthz":
            return self.reply(200, {"ok": True})
        if self.path.startswith("/v1/"):
            return self.reply(200, {
                "path": self.path,
                "paid_by": self.headers.get("X-Payer", ""),
                "data": "premium numbers: 4 8 15 16 23 42",
            })
        return self.reply(404, {"error": "not found"})

    def reply(self, status, body):
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, fmt, *args):  # one line per request on stderr
        print("api:", fmt % args, flush=True)


if __name__ == "__main__":
    host = os.environ.get("HOST", "0.0.0.0")
    port = int(os.environ.get("PORT", "3000"))
    ThreadingHTTPServer((host, port), Handler).serve_forever()
