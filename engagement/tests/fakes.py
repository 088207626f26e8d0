"""Doubles at the edge of the world we do not run: an SMTP server (aiosmtpd, real SMTP on
a local port) and Firebase Cloud Messaging's HTTP v1 API with its OAuth token endpoint."""

import base64
import json
import threading
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

from aiosmtpd.controller import Controller
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

SMTP_PORT = 8425
FCM_PORT = 8426


class SMTPSink:
    """Keeps every message; refuses recipients listed in `refuse` at RCPT time."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.refuse: set[str] = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content))
        return "250 Message accepted"


def smtp_server() -> tuple[Controller, SMTPSink]:
    sink = SMTPSink()
    controller = Controller(sink, hostname="127.0.0.1", port=SMTP_PORT)
    controller.start()
    return controller, sink


def _unb64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


@dataclass
class FCMState:
    key: rsa.RSAPrivateKey
    dead_tokens: set[str] = field(default_factory=set)
    sent: list[dict] = field(default_factory=list)
    token_requests: int = 0

    def account(self) -> dict:
        pem = self.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        return {
            "type": "service_account",
            "project_id": "p2p-test",
            "client_email": "push@p2p-test.iam.gserviceaccount.com",
            "private_key": pem.decode(),
            "token_uri": f"http://127.0.0.1:{FCM_PORT}/token",
        }

    def verify(self, assertion: str) -> dict:
        header, payload, signature = assertion.split(".")
        self.key.public_key().verify(_unb64(signature), f"{header}.{payload}".encode(), padding.PKCS1v15(), hashes.SHA256())
        return json.loads(_unb64(payload))


def fcm_server() -> tuple[ThreadingHTTPServer, FCMState]:
    state = FCMState(key=rsa.generate_private_key(public_exponent=65537, key_size=2048))

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def reply(self, code: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if self.path == "/token":
                form = parse_qs(body.decode())
                claims = state.verify(form["assertion"][0])
                # Google grants FCM to a token with either scope; firebase-admin asks for cloud-platform.
                scopes = claims["scope"].split()
                assert {
                    "https://www.googleapis.com/auth/firebase.messaging",
                    "https://www.googleapis.com/auth/cloud-platform",
                } & set(scopes)
                assert (
                    claims["iss"] == "push@p2p-test.iam.gserviceaccount.com"
                    and claims["aud"] == "https://oauth2.googleapis.com/token"
                )
                state.token_requests += 1
                return self.reply(200, {"access_token": "ya29.test", "expires_in": 3600, "token_type": "Bearer"})
            if self.path != "/v1/projects/p2p-test/messages:send" or self.headers["Authorization"] != "Bearer ya29.test":
                return self.reply(401, {"error": {"code": 401, "status": "UNAUTHENTICATED"}})
            message = json.loads(body)["message"]
            if message["token"] in state.dead_tokens:
                error = {"code": 404, "status": "NOT_FOUND", "details": [{"errorCode": "UNREGISTERED"}]}
                return self.reply(404, {"error": error})
            state.sent.append(message)
            return self.reply(200, {"name": f"projects/p2p-test/messages/{len(state.sent)}"})

    server = ThreadingHTTPServer(("127.0.0.1", FCM_PORT), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, state
