"""The demo's history, drawn conversation by conversation and written set-based.

Each conversation's derived columns (inbound count, latest times, report count, opt-out
state, needs attention) are computed here as the services would have left them, so the
aggregates can be built by recompute_stats without rewriting a million conversations; the
seed tests hold the result equal to a full recompute."""

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.db import transaction

from actions.links import short_url
from actions.models import (
    Action,
    ActionRecipient,
    Contact,
    Conversation,
    LinkClick,
    Message,
    OptOut,
    OptOutEvent,
    Report,
    TrackedLink,
)
from reporting.ledger import CONVERSATION_STATE_FIELDS as STATE_FIELDS

from . import plan
from .tables import Ids, Pump, Table

BOT_AGENTS = ["facebookexternalhit/1.1", "Slackbot-LinkExpanding 1.0", "Twitterbot/1.0", "WhatsApp/2.23"]
HUMAN_AGENT = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"
OTHER_ERRORS = [(30003, 40), (30005, 20), (30006, 25), (30008, 10), (30034, 5)]
HOUR, DAY = 3600, 86400
Epoch = int  # seconds: millions of timestamps are drawn, compared and written as plain ints


class Clock:
    """Epoch seconds to the text PostgreSQL (and Django's SQLite adapter) read, cached per minute."""

    def __init__(self) -> None:
        self._minutes: dict[int, str] = {}

    def text(self, at: Epoch | None) -> str | None:
        if at is None:
            return None
        minute, second = divmod(at, 60)
        prefix = self._minutes.get(minute)
        if prefix is None:
            prefix = self._minutes[minute] = datetime.fromtimestamp(minute * 60, UTC).strftime("%Y-%m-%d %H:%M")
        return f"{prefix}:{second:02d}+00:00"


@dataclass
class Conv:
    """One conversation's derived columns while its history is drawn (see reporting.contrib)."""

    id: int
    phone: str
    inbound: int = 0
    reports: int = 0
    latest_report: int | None = None
    last_in: Epoch | None = None
    last_out: Epoch = 0
    last_ok: Epoch | None = None
    last_any: Epoch = 0
    failed: tuple = ()  # (created_at, message id, error code) of the latest failed outbound
    opted_out_at: Epoch | None = None
    last_script: str = ""


@dataclass
class Work:
    action: Action
    plan: plan.ActionPlan
    start: Epoch
    end: Epoch
    workers: list[int] = field(default_factory=list)


class History:
    def __init__(self, *, organization_id: int, seed: int, now: Epoch, pump: Pump | None = None) -> None:
        self.org = organization_id
        self.rng = random.Random(seed)
        self.now = now
        self.ts = Clock().text
        self.ids = Ids()
        self.pump = pump
        self.opted_out: dict[str, tuple[str, int, Epoch]] = {}  # phone -> (source, conversation, when)
        self.t = {
            "contact": Table(
                Contact, ["id", "organization_id", "phone", "first_name", "last_name", "van_id", "attributes", "created_at"]
            ),
            "recipient": Table(
                ActionRecipient,
                [
                    "id",
                    "organization_id",
                    "action_id",
                    "user_id",
                    "sent_at",
                    "seen_at",
                    "started_at",
                    "first_completed_at",
                    "completions",
                    "last_active_at",
                ],
            ),
            # The derived columns in the Ledger's order (reporting.ledger.CONVERSATION_STATE_FIELDS).
            "conversation": Table(
                Conversation, ["id", "organization_id", "action_id", "contact_id", "created_at", *STATE_FIELDS]
            ),
            "link": Table(TrackedLink, ["id", "organization_id", "action_id", "conversation_id", "code", "url", "created_at"]),
            "message": Table(
                Message,
                [
                    "id",
                    "organization_id",
                    "action_id",
                    "conversation_id",
                    "phone",
                    "direction",
                    "kind",
                    "body",
                    "twilio_sid",
                    "status",
                    "error_code",
                    "sent_by_id",
                    "response_script",
                    "reply_to_script",
                    "answer_seconds",
                    "created_at",
                    "sent_at",
                    "send_attempts",
                ],
            ),
            "report": Table(
                Report,
                ["id", "organization_id", "action_id", "conversation_id", "author_id", "tags", "custom_fields", "created_at"],
            ),
            "event": Table(
                OptOutEvent, ["id", "organization_id", "phone", "kind", "source", "conversation_id", "message_id", "created_at"]
            ),
            "click": Table(
                LinkClick, ["id", "organization_id", "link_id", "action_id", "clicked_at", "user_agent", "method", "is_bot"]
            ),
        }
        for table in self.t.values():
            table.pump = pump
        self.contacts: list[tuple[int, str, str]] = []  # (id, phone, first name)

    # -- writing ---------------------------------------------------------------------

    def flush(self) -> None:
        """Write what was drawn: one transaction, or handed to the pump (which commits per COPY)."""
        with transaction.atomic():
            for table in self.t.values():
                table.flush()

    def written(self, name: str) -> int:
        return self.t[name].written

    # -- contacts and recipients -----------------------------------------------------

    def add_contacts(self, first_index: int, end_index: int) -> None:
        """Contacts number `first_index` to `end_index - 1` of the organization (phones follow the number)."""
        rng, areas = self.rng, ("202", "212", "305", "312", "404", "415", "503", "512", "617", "702", "713", "808")
        created = self.ts(self.now - 30 * DAY)
        for i in range(first_index, end_index):
            cid = self.ids.take(Contact)
            phone = f"+1{areas[i % len(areas)]}{2000000 + i // len(areas):07d}"
            first, last = rng.choice(plan.FIRST_NAMES), rng.choice(plan.LAST_NAMES)
            self.t["contact"].add((cid, self.org, phone, first, last, f"{100000 + i}", {"ward": str(1 + i % 12)}, created))
            self.contacts.append((cid, phone, first))
            if len(self.t["contact"].rows) >= 50_000:
                self.flush()
        self.flush()

    def add_recipients(self, work: Work, volunteers: list[int]) -> None:
        rng, live = self.rng, work.plan.status == "live"
        for user in volunteers:
            seen = rng.random() < (0.85 if live else 0.97)
            started = seen and rng.random() < (0.8 if live else 0.92)
            completions = (1 + int(rng.expovariate(1.5))) if started and rng.random() < (0.35 if live else 0.8) else 0
            at = work.start + rng.randint(60, 600 * 60)
            done = at + rng.randint(HOUR, 20 * HOUR) if completions else None
            ts = self.ts
            self.t["recipient"].add(
                (self.ids.take(ActionRecipient), self.org, work.action.id, user, ts(work.start), ts(at) if seen else None,
                 ts(at + 300) if started else None, ts(done), completions, ts(done or (at if seen else None)))
            )  # fmt: skip
            if started:
                work.workers.append(user)
        if not work.workers and volunteers:
            work.workers.append(volunteers[0])

    # -- conversations ---------------------------------------------------------------

    def add_action(self, work: Work) -> None:
        rng, p = self.rng, work.plan
        for index in range(len(self.contacts)):
            if rng.random() >= p.share:
                continue
            cid, phone, first = self.contacts[index]
            if phone in self.opted_out:
                continue  # an upload skips phones the organization must not text
            self._conversation(work, cid, phone, first)
            if len(self.t["conversation"].rows) >= 25_000:
                self.flush()
        self.flush()

    def _conversation(self, work: Work, contact_id: int, phone: str, first: str) -> None:
        rng = self.rng
        conv = Conv(id=self.ids.take(Conversation), phone=phone)
        sent = work.workers and rng.random() < work.plan.sent
        user = rng.choice(work.workers) if sent or (work.workers and rng.random() < 0.05) else None
        if sent:
            self._history(work, conv, user, first)
        opted_now = phone in self.opted_out
        attention = (
            not opted_now and conv.inbound > 0 and (conv.last_ok is None or conv.last_in >= conv.last_ok or conv.reports == 0)
        )
        ts = self.ts
        self.t["conversation"].add(
            (conv.id, self.org, work.action.id, contact_id, ts(work.start - 2 * HOUR), user, bool(sent), conv.inbound,
             conv.reports, conv.latest_report, ts(conv.last_in), ts(conv.last_out or None), ts(conv.last_ok), ts(conv.last_any or None),
             ts(conv.opted_out_at), opted_now, attention, ts(conv.last_in) if attention else None, conv.failed[2] if conv.failed else None)
        )  # fmt: skip

    def _when(self, work: Work) -> Epoch:
        """A sending moment inside the action's window, in the daytime hours volunteers text."""
        rng = self.rng
        first_day = work.start - work.start % DAY
        moment = first_day + rng.randrange((work.end - first_day) // DAY + 1) * DAY + int(rng.triangular(9, 21, 18) * HOUR)
        return min(max(moment, work.start), work.end - rng.randint(300, 2 * HOUR))

    def _delay(self, mean_minutes: float) -> int:
        return int(60 + self.rng.expovariate(1 / (mean_minutes * 60)))

    # -- messages --------------------------------------------------------------------

    def _outbound(self, work: Work, conv: Conv, user: int, kind: str, body: str, at: Epoch, **extra) -> str:
        rng = self.rng
        refused = extra.pop("refused", None)
        status, code = "delivered", None
        if refused:
            status, code = "failed", refused
        else:
            r = rng.random()
            if r < 0.02:
                status, code = rng.choice(("undelivered", "failed")), (30007 if rng.random() < 0.8 else 30004)
            elif r < 0.08:
                status, code = "undelivered", rng.choices([c for c, _ in OTHER_ERRORS], [w for _, w in OTHER_ERRORS])[0]
            elif r < 0.081 and work.plan.status == "live":
                status = "sent"  # still waiting for the carrier's word
        mid = self.ids.take(Message)
        self.t["message"].add(
            (mid, self.org, work.action.id, conv.id, conv.phone, "out", kind, body, None if refused else f"SM{mid:032x}", status, code,
             user, extra.get("script", ""), "", extra.get("answer"), self.ts(at), None if refused else self.ts(at), 1)
        )  # fmt: skip
        conv.last_out, conv.last_any = max(conv.last_out, at), max(conv.last_any, at)
        if status in Message.FAILED_STATUSES:
            conv.failed = max(conv.failed, (at, mid, code)) if conv.failed else (at, mid, code)
        else:
            conv.last_ok = max(conv.last_ok or 0, at)
        conv.last_script = extra.get("script", "")
        return status

    def _inbound(self, work: Work, conv: Conv, body: str, at: Epoch) -> int:
        mid = self.ids.take(Message)
        self.t["message"].add(
            (mid, self.org, work.action.id, conv.id, conv.phone, "in", "inbound", body, f"SM{mid:032x}", "received", None, None, "",
             conv.last_script, None, self.ts(at), None, 0)
        )  # fmt: skip
        conv.inbound += 1
        conv.last_in = at
        conv.last_any = max(conv.last_any, at)
        return mid

    def _opt(self, conv: Conv, kind: str, source: str, at: Epoch, message_id: int | None = None) -> None:
        self.t["event"].add((self.ids.take(OptOutEvent), self.org, conv.phone, kind, source, conv.id, message_id, self.ts(at)))
        if kind == "out":
            conv.opted_out_at = conv.opted_out_at or at
            self.opted_out.setdefault(conv.phone, (source, conv.id, at))
        else:
            self.opted_out.pop(conv.phone, None)

    def _history(self, work: Work, conv: Conv, user: int, first: str) -> None:
        rng, p = self.rng, work.plan
        t0 = self._when(work)
        body = (plan.LINK_SCRIPT if p.link else plan.INITIAL_SCRIPT).replace("{first_name}", first)
        link = None
        if p.link:
            link = self.ids.take(TrackedLink)
            self.t["link"].add((link, self.org, work.action.id, conv.id, f"dm{link:010x}", plan.LINK_URL, self.ts(t0)))
            body = body.replace(plan.LINK_URL, short_url(f"dm{link:010x}"))
        r = rng.random()
        refused = 21211 if r < 0.004 else 21610 if r < 0.006 else None
        status = self._outbound(work, conv, user, "initial", body, t0, refused=refused)
        if refused == 21610:
            self._opt(conv, "out", OptOut.Source.TWILIO_21610, t0)
        if status != "delivered":
            return
        if link:
            self._clicks(work, link, t0)
        r = rng.random()
        if r < 0.033:
            self._stop(work, conv, t0)
        elif r < 0.033 + 0.13:
            self._exchange(work, conv, user, t0)

    def _stop(self, work: Work, conv: Conv, t0: Epoch) -> None:
        at = t0 + self._delay(30)
        if at > self.now:
            return
        self._opt(conv, "out", OptOut.Source.KEYWORD, at, self._inbound(work, conv, self.rng.choice(plan.STOP_WORDS), at))
        if self.rng.random() < 0.05 and at + 3 * HOUR <= self.now:
            later = at + 3 * HOUR
            self._opt(conv, "in", "keyword", later, self._inbound(work, conv, "START", later))

    def _exchange(self, work: Work, conv: Conv, user: int, t0: Epoch) -> None:
        rng = self.rng
        at = t0 + self._delay(45)
        if at > self.now:
            return
        self._inbound(work, conv, rng.choice(plan.REPLIES), at)
        for round_ in range(2):
            if rng.random() > (0.85 if round_ == 0 else 0.6):
                break
            answer_at = conv.last_in + self._delay(20)
            if answer_at > self.now:
                break
            script = rng.choice(plan.RESPONSE_SCRIPTS) if rng.random() < 0.55 else None
            text = script["body"] if script else "Thanks for getting back to us! Can we count on you?"
            self._outbound(work, conv, user, "follow_up", text, answer_at, script=script["key"] if script else "",
                           answer=answer_at - conv.last_in)  # fmt: skip
            reply_at = answer_at + self._delay(30)
            if rng.random() > 0.35 or reply_at > self.now:
                break
            self._inbound(work, conv, rng.choice(plan.REPLIES), reply_at)
        if rng.random() < 0.72:  # with the STOP replies, reports on ~60% of the conversations that replied
            self._reports(work, conv, user)
        if rng.random() < 0.01 and conv.phone not in self.opted_out:
            self._opt(conv, "out", OptOut.Source.MANUAL, min(conv.last_any + 120, self.now))

    def _reports(self, work: Work, conv: Conv, user: int) -> None:
        rng = self.rng
        for _ in range(2 if rng.random() < 0.1 else 1):
            tags = sorted(set(rng.choices(plan.TAGS, plan.TAG_WEIGHTS, k=rng.choice((1, 1, 2)))))
            fields = {"support": rng.choices(plan.CUSTOM_FIELDS[0]["choices"], plan.SUPPORT_WEIGHTS)[0]}
            if rng.random() < 0.7:
                fields["vote_plan"] = rng.choices(plan.CUSTOM_FIELDS[1]["choices"], plan.VOTE_PLAN_WEIGHTS)[0]
            if rng.random() < 0.6:
                fields["age"] = str(rng.randint(18, 90))
            if rng.random() < 0.3:
                fields["notes"] = rng.choice(plan.NOTES)
            rid = self.ids.take(Report)
            at = min(conv.last_any + 120, self.now)
            self.t["report"].add((rid, self.org, work.action.id, conv.id, user, tags, fields, self.ts(at)))
            conv.reports += 1
            conv.latest_report = rid

    def _clicks(self, work: Work, link: int, t0: Epoch) -> None:
        rng = self.rng
        fetches = []
        if rng.random() < 0.12:
            fetches.append((t0 + rng.randint(2, 30), rng.choice(BOT_AGENTS), True))
        if rng.random() < 0.07:
            fetches += [(t0 + self._delay(60), HUMAN_AGENT, False) for _ in range(rng.choice((1, 1, 2)))]
        for at, agent, bot in fetches:
            if at <= self.now:
                self.t["click"].add((self.ids.take(LinkClick), self.org, link, work.action.id, self.ts(at), agent, "GET", bot))

    # -- after every action ----------------------------------------------------------

    def opt_out_rows(self) -> None:
        table = Table(OptOut, ["id", "organization_id", "phone", "source", "conversation_id", "created_at"], self.pump)
        for phone, (source, conv_id, at) in self.opted_out.items():
            table.add((self.ids.take(OptOut), self.org, phone, source, conv_id, self.ts(at)))
        self.t["optout"] = table
        self.flush()
