"""Volunteers working the live action through the volunteer API, one thread each: claim a batch,
send each contact the initial, and every few seconds answer the conversations that need
attention (a report, and a response script for most). All of them together send at most
`send_rate` texts a second. Every answer is tallied; a 5xx or a dropped connection is retried,
so a retried initial that did go through shows as a 409 (one initial per conversation)."""

import random
import threading
import time
from collections import Counter

import requests

from .config import Config
from .seed import ACTION, Volunteer, World

BATCH = 10
INBOX_EVERY = 3.0
RETRIES = 4
EXPECTED = {200, 201, 409}  # 409: opted out meanwhile, or the initial already went (a retry)


class Pace:
    """A shared pace: one slot every 1/rate seconds, whoever asks."""

    def __init__(self, rate: float) -> None:
        self.gap = 1.0 / rate
        self.next = time.monotonic()
        self.lock = threading.Lock()

    def wait(self) -> None:
        with self.lock:
            now = time.monotonic()
            self.next = max(self.next + self.gap, now)
            delay = self.next - now
        if delay > 0:
            time.sleep(delay)


class Volunteers:
    def __init__(self, cfg: Config, world: World) -> None:
        self.api = cfg.web_url + "/api/v1"
        self.world = world
        self.pace = Pace(cfg.send_rate)
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.answers: Counter = Counter()  # (what, status) -> n
        self.seconds: Counter = Counter()  # what -> seconds spent waiting for answers
        self.sent: dict[str, int] = Counter()  # initial / follow_up -> 201s
        self.reports = 0
        self.crashed: list[str] = []
        self.threads = [
            threading.Thread(target=self._guarded, args=(v, random.Random(i)), daemon=True)
            for i, v in enumerate(world.volunteers)
        ]

    def start(self) -> None:
        for t in self.threads:
            t.start()

    def stop(self) -> None:
        self.stopping.set()
        for t in self.threads:
            t.join(timeout=60)

    def _post(self, session: requests.Session, what: str, path: str, body: dict | None = None) -> requests.Response | None:
        for attempt in range(RETRIES):
            started = time.monotonic()
            try:
                r = session.post(self.api + path, json=body or {}, timeout=30)
            except requests.RequestException:
                status, r = 0, None
            else:
                status = r.status_code
            with self.lock:
                self.answers[(what, status)] += 1
                self.seconds[what] += time.monotonic() - started
            if r is not None and status < 500:
                return r
            time.sleep(0.5 * 2**attempt)
        return None

    def _get(self, session: requests.Session, what: str, path: str) -> dict | None:
        started = time.monotonic()
        try:
            r = session.get(self.api + path, timeout=30)
        except requests.RequestException:
            r = None
        with self.lock:
            self.answers[(what, r.status_code if r is not None else 0)] += 1
            self.seconds[what] += time.monotonic() - started
        return r.json() if r is not None and r.status_code == 200 else None

    def _send(self, session: requests.Session, kind: str, conversation: int, body: dict) -> None:
        self.pace.wait()
        r = self._post(session, kind, f"/conversations/{conversation}/messages/", body)
        if r is not None and r.status_code == 201:
            with self.lock:
                self.sent[kind] += 1

    def _guarded(self, volunteer: Volunteer, rng: random.Random) -> None:
        try:
            self._work(volunteer, rng)
        except Exception as exc:  # reported by the run: a driver that died would fake a quiet system
            self.crashed.append(f"volunteer {volunteer.email}: {exc!r}")

    def _work(self, volunteer: Volunteer, rng: random.Random) -> None:
        session = requests.Session()
        session.headers["Authorization"] = f"Token {volunteer.token}"
        action = self.world.action_id
        for event in ("seen", "start"):
            self._post(session, event, f"/me/actions/{action}/{event}/")
        todo: list[int] = []
        exhausted = False
        inbox_at = time.monotonic() + INBOX_EVERY
        while not self.stopping.is_set():
            if time.monotonic() >= inbox_at:
                self._answer_inbox(session, rng)
                inbox_at = time.monotonic() + INBOX_EVERY
            if not todo and not exhausted:
                r = self._post(session, "batch", f"/me/actions/{action}/batch/", {"size": BATCH})
                claimed = [c["id"] for c in r.json()["conversations"]] if r is not None and r.status_code == 200 else []
                todo.extend(claimed)
                exhausted = r is not None and r.status_code == 200 and not claimed
            if todo:
                self._send(session, "initial", todo.pop(0), {})
            else:
                self.stopping.wait(0.5)
        self._post(session, "complete", f"/me/actions/{action}/complete/")

    def _answer_inbox(self, session: requests.Session, rng: random.Random) -> None:
        page = self._get(
            session, "inbox", f"/me/actions/{self.world.action_id}/conversations/?state=needs_attention&page_size=25"
        )
        for conv in (page or {}).get("results", []):
            if self.stopping.is_set() or conv["opted_out"]:
                continue
            report = {
                "tags": rng.sample(ACTION["tags"], k=rng.randint(0, 2)),
                "custom_fields": {"support": str(rng.randint(1, 5))} if rng.random() < 0.8 else {},
            }
            r = self._post(session, "report", f"/conversations/{conv['id']}/report/", report)
            if r is not None and r.status_code == 201:
                with self.lock:
                    self.reports += 1
            if rng.random() < 0.7:
                script = rng.choice(ACTION["response_scripts"])["key"]
                self._send(session, "follow_up", conv["id"], {"response_script": script})

    def unexpected(self) -> dict[str, int]:
        """Answers other than 200/201/409, as 'what status' -> n (0: no answer at all)."""
        return {f"{what} {status}": n for (what, status), n in sorted(self.answers.items()) if status not in EXPECTED}

    def latency_ms(self) -> dict[str, float]:
        """Mean answer time of each kind of call, in ms."""
        calls = Counter()
        for (what, _), n in self.answers.items():
            calls[what] += n
        return {what: round(1000 * self.seconds[what] / n) for what, n in sorted(calls.items())}
