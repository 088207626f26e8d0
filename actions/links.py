"""Tracked links: URLs in outbound texts become PUBLIC_BASE_URL/l/<code>; clicks are counted,
with link-preview and bot fetches counted apart (CONTRACT §4 link_clicks_bots)."""

import re
import secrets

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from actions.models import Conversation, LinkClick, TrackedLink
from reporting.contrib import Deltas, hour_of
from reporting.stats import stats_write

URL_RE = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
_TRAILING = ".,;:!?)]}'\""
CODE_ALPHABET = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
BOT_MARKERS = (
    "facebookexternalhit",
    "facebookcatalog",
    "twitterbot",
    "slackbot",
    "slack-imgproxy",
    "whatsapp",
    "telegrambot",
    "discordbot",
    "skypeuripreview",
    "google-pagerenderer",
    "googlebot",
    "bingbot",
    "linkedinbot",
    "applebot",
    "yandex",
    "baiduspider",
    "duckduckbot",
    "embedly",
    "pinterest",
    "redditbot",
    "iframely",
    "vkshare",
    "quora link preview",
    "outbrain",
    "bot",
    "crawler",
    "spider",
    "preview",
    "curl/",
    "wget/",
    "python-requests",
    "python-urllib",
    "python-httpx",
    "aiohttp",
    "go-http-client",
    "okhttp",
    "java/",
    "libwww-perl",
    "headlesschrome",
)


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))


def short_url(code: str) -> str:
    return f"{settings.PUBLIC_BASE_URL}/l/{code}"


def link_for(conversation: Conversation, url: str) -> TrackedLink:
    existing = TrackedLink.objects.filter(conversation=conversation, url=url).first()
    if existing:
        return existing
    for _ in range(5):
        try:
            with transaction.atomic():
                return TrackedLink.objects.create(
                    organization_id=conversation.organization_id,
                    action_id=conversation.action_id,
                    conversation=conversation,
                    code=new_code(),
                    url=url,
                )
        except IntegrityError:
            existing = TrackedLink.objects.filter(conversation=conversation, url=url).first()
            if existing:
                return existing
    raise RuntimeError("could not allocate a unique link code")


def rewrite_links(text: str, *, conversation: Conversation) -> str:
    prefix = f"{settings.PUBLIC_BASE_URL}/l/"

    def replace(match: re.Match) -> str:
        raw = match.group(0)
        url = raw.rstrip(_TRAILING)
        tail = raw[len(url) :]
        if url.startswith(prefix):
            return raw
        return short_url(link_for(conversation, url).code) + tail

    return URL_RE.sub(replace, text)


def is_bot(user_agent: str, method: str) -> bool:
    if method.upper() == "HEAD":
        return True
    ua = (user_agent or "").lower()
    if not ua.strip():
        return True
    return any(marker in ua for marker in BOT_MARKERS)


@transaction.atomic
def link_click_record(*, code: str, user_agent: str, method: str) -> TrackedLink | None:
    """Record one request for a tracked link (None: no such code). Bots count apart."""
    link = TrackedLink.objects.filter(code=code).only("id", "organization_id", "action_id", "url").first()
    if link is None:
        return None
    now = timezone.now()
    bot = is_bot(user_agent, method)
    LinkClick.objects.create(
        organization_id=link.organization_id,
        link=link,
        action_id=link.action_id,
        clicked_at=now,
        user_agent=user_agent.replace("\x00", "")[:1000],
        method=method.upper()[:8],
        is_bot=bot,
    )
    deltas = Deltas()
    if bot:
        deltas.add(("action", link.action_id), link_clicks_bots=1)
    else:
        deltas.add(("action", link.action_id), link_clicks=1)
        deltas.add(("hour", link.action_id, hour_of(now)), link_clicks=1)
    stats_write(deltas)
    return link
