"""The simulator behind HTTP: the Messages API on a local port, and threads that post the
signed callbacks and replies to the app when they fall due."""

import base64
import json
import logging
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import requests

from .core import API_VERSION, ApiError, Post, Simulator

log = logging.getLogger(__name__)
MESSAGES = re.compile(rf"/{API_VERSION}/Accounts/(?P<account>AC\w+)/Messages(?:/(?P<sid>\w+))?\.json")
POST_ATTEMPTS = 3


def _form(raw: bytes) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(raw.decode("utf-8", "replace"), keep_blank_values=True).items()}


def _basic_auth(header: str) -> tuple[str, str]:
    try:
        user, _, password = base64.b64decode(header.removeprefix("Basic ")).decode().partition(":")
    except ValueError:
        return "", ""
    return user, password


class Handler(BaseHTTPRequestHandler):
    simulator: Simulator
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args) -> None:
        log.debug("simulator: " + format, *args)

    def _answer(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _route(self) -> tuple[str, str | None, dict]:
        parts = urlsplit(self.path)
        match = MESSAGES.fullmatch(parts.path)
        if match is None:
            raise ApiError(404, 20404, f"The requested resource {parts.path} was not found")
        self.simulator.authenticate(match["account"], *_basic_auth(self.headers.get("Authorization", "")))
        return match["account"], match["sid"], {k: v[-1] for k, v in parse_qs(parts.query).items()}

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            account, sid, _ = self._route()
            if sid is not None:
                raise ApiError(405, 20004, "Method not allowed")
            answer, delay = self.simulator.create(account, _form(raw))
        except ApiError as exc:
            self._answer(exc.http_status, exc.body())
            return
        if delay:
            time.sleep(delay)
        self._answer(201, answer)

    def do_GET(self) -> None:
        if urlsplit(self.path).path == "/_simulator/stats":
            self._answer(200, dict(self.simulator.counts))
            return
        try:
            account, sid, query = self._route()
            if sid is not None:
                self._answer(200, self.simulator.fetch(account, sid))
                return
            found = self.simulator.listing(account, query.get("To"), query.get("DateSent>"))
        except ApiError as exc:
            self._answer(exc.http_status, exc.body())
            return
        self._answer(
            200,
            {
                "messages": found,
                "end": max(0, len(found) - 1),
                "first_page_uri": self.path,
                "next_page_uri": None,
                "page": 0,
                "page_size": len(found),
                "previous_page_uri": None,
                "start": 0,
                "uri": self.path,
            },
        )


def http_post() -> Post:
    session = requests.Session()

    def post(url: str, params: dict, signature: str) -> int:
        for attempt in range(POST_ATTEMPTS):
            try:
                return session.post(url, data=params, headers={"X-Twilio-Signature": signature}, timeout=15).status_code
            except requests.RequestException as exc:
                log.warning("simulator: posting to %s failed (%s)", url, exc)
                time.sleep(0.5 * 2**attempt)
        return 0

    return post


class SimulatorServer:
    """The API on host:port plus `posters` threads delivering callbacks; `stop()` ends both."""

    def __init__(
        self, simulator: Simulator, *, host: str = "127.0.0.1", port: int = 0, posters: int = 4, post: Post | None = None
    ):
        self.simulator = simulator
        handler = type("BoundHandler", (Handler,), {"simulator": simulator})
        self.httpd = ThreadingHTTPServer((host, port), handler)
        self.httpd.daemon_threads = True
        self.running = threading.Event()
        self.threads = [threading.Thread(target=self.httpd.serve_forever, daemon=True)]
        if posters:
            post = post or http_post()
            self.threads += [threading.Thread(target=self._pump, args=(post,), daemon=True) for _ in range(posters)]

    @property
    def base_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "SimulatorServer":
        self.running.set()
        for thread in self.threads:
            thread.start()
        return self

    def _pump(self, post: Post) -> None:
        while self.running.is_set():
            item = self.simulator.next_due(timeout=0.5)
            if item is not None:
                try:
                    self.simulator.deliver(item, post)
                except Exception:
                    log.exception("simulator: delivering %s failed", item)

    def stop(self) -> None:
        self.running.clear()
        self.httpd.shutdown()
        self.httpd.server_close()
        for thread in self.threads[1:]:
            thread.join(timeout=2)
