"""Small helpers the API tests share."""

from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from actions.models import TwilioEvent
from reporting.models import ActionStats
from reporting.stats import counter_names


def upload(api, action, content: str | bytes, name: str = "contacts.csv"):
    data = content.encode() if isinstance(content, str) else content
    f = SimpleUploadedFile(name, data, content_type="text/csv")
    return api.post(f"/api/v1/actions/{action.id}/contacts/", {"file": f}, format="multipart")


def phones_csv(count: int, start: int = 0, header: str = "phone,first_name") -> str:
    """A CSV of `count` distinct valid US phones."""
    lines = [header] + [f"+1202{2000000 + start + i:07d},Person{start + i}" for i in range(count)]
    return "\n".join(lines) + "\n"


def action_figures(action) -> dict[str, int]:
    """The action's aggregate row (its shards summed): what the results page reads."""
    rows = list(ActionStats.objects.filter(action=action).values(*counter_names(ActionStats)))
    return {name: sum(r[name] for r in rows) for name in counter_names(ActionStats)}


def stored_events(org, count: int, *, age: timedelta = timedelta(0), parked: bool = False) -> list[TwilioEvent]:
    """`count` stored, unapplied status callbacks received `age` ago (parked: waiting for their SID)."""
    start = TwilioEvent.objects.count()
    return TwilioEvent.objects.bulk_create(
        TwilioEvent(
            organization=org,
            kind=TwilioEvent.Kind.STATUS,
            message_sid=f"SM{start + i:032d}",
            status="delivered",
            payload={},
            received_at=timezone.now() - age,
            waiting_for_sid=parked,
        )
        for i in range(count)
    )
