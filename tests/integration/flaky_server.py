#!/usr/bin/env python3
"""An HTTP server that answers writes with a scripted list of statuses, for the retry tests.

Usage: flaky_server.py PORT LOG STATUS...   e.g. flaky_server.py 8086 log.jsonl 503 429 204
Each POST gets the next status (the last one repeats) and appends one JSON line to LOG:
{"path": ..., "status": ..., "lines": number of lines in the body}. Error answers carry an
InfluxDB-style JSON body {"error": "scripted STATUS"}.
"""

import json
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

port, log_path, statuses = int(sys.argv[1]), sys.argv[2], [int(s) for s in sys.argv[3:]]
answered = 0


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_POST(self):
        global answered
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        status = statuses[min(answered, len(statuses) - 1)]
        answered += 1
        with open(log_path, "a") as log:
            log.write(json.dumps({"path": self.path, "status": status,
                                  "lines": body.count(b"\n")}) + "\n")
        payload = b"" if status == 204 else json.dumps({"error": f"scripted {status}"}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


HTTPServer(("127.0.0.1", port), Handler).serve_forever()
