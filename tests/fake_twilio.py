"""A stand-in for Twilio's Messages API at the HTTP level: accepts every message and answers
with a fresh SID, so the real sender runs end to end without the internet."""

import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs


class FakeTwilio(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.sent: list[dict] = []
        self.lock = threading.Lock()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: FakeTwilio

    def do_POST(self) -> None:
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(int(self.headers["Content-Length"] or 0)).decode()).items()}
        if not self.path.endswith("/Messages.json"):
            self._answer(404, {"code": 20404, "message": "not found", "status": 404})
            return
        sid = "SM" + uuid.uuid4().hex
        with self.server.lock:
            self.server.sent.append({**form, "sid": sid})
        self._answer(201, {"sid": sid, "status": "accepted", "to": form.get("To"), "body": form.get("Body")})

    def _answer(self, status: int, payload: dict) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass
