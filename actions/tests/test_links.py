"""Tracked links: GET /l/<code> answers 302 and counts the click; link previews and bots are
counted apart (CONTRACT §4 link_clicks_bots); an unknown code is 404."""

import pytest

from actions.links import link_for
from actions.models import LinkClick
from reporting.contrib import hour_of
from reporting.models import ActionHourStats
from tests.factories import add_conversation

from .helpers import assert_exact, stats

BROWSER = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"


@pytest.fixture
def link(action):
    return link_for(add_conversation(action), "https://example.org/rsvp?event=42")


def test_a_click_redirects_and_counts(client, link, action):
    r = client.get(f"/l/{link.code}", HTTP_USER_AGENT=BROWSER)
    assert r.status_code == 302 and r["Location"] == "https://example.org/rsvp?event=42"
    assert r["Cache-Control"] == "no-store"
    click = LinkClick.objects.get()
    assert (click.link_id, click.action_id, click.user_agent, click.is_bot, click.method) == (
        link.id,
        action.id,
        BROWSER,
        False,
        "GET",
    )
    s = stats(action)
    assert (s["link_clicks"], s["link_clicks_bots"]) == (1, 0)
    assert ActionHourStats.objects.get(action=action, hour=hour_of(click.clicked_at)).link_clicks == 1
    assert_exact(action)


def test_every_request_counts(client, link, action):
    for _ in range(3):
        client.get(f"/l/{link.code}", HTTP_USER_AGENT=BROWSER)
    assert stats(action)["link_clicks"] == 3
    assert_exact(action)


@pytest.mark.parametrize(
    "agent",
    [
        "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
        "Twitterbot/1.0",
        "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
        "WhatsApp/2.23.20.0 A",
        "TelegramBot (like TwitterBot)",
        "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
        "Mozilla/5.0 (Windows NT 6.1; WOW64) SkypeUriPreview Preview/0.5",
        "Mozilla/5.0 (compatible; Google-PageRenderer Google (+https://developers.google.com/+/web/snippet/))",
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "curl/8.5.0",
        "Wget/1.21.4",
        "python-requests/2.32.3",
        "",
    ],
)
def test_previews_and_bots_are_counted_apart(client, link, action, agent):
    r = client.get(f"/l/{link.code}", HTTP_USER_AGENT=agent)
    assert r.status_code == 302
    assert LinkClick.objects.get().is_bot
    s = stats(action)
    assert (s["link_clicks"], s["link_clicks_bots"]) == (0, 1)
    assert not ActionHourStats.objects.filter(action=action, link_clicks__gt=0).exists()
    assert_exact(action)


def test_a_head_request_is_a_bot(client, link, action):
    r = client.head(f"/l/{link.code}", HTTP_USER_AGENT=BROWSER)
    assert r.status_code == 302
    click = LinkClick.objects.get()
    assert click.is_bot and click.method == "HEAD"
    assert stats(action)["link_clicks_bots"] == 1


def test_an_unknown_code_is_404_and_counts_nothing(client, link, action):
    assert client.get("/l/nope1234", HTTP_USER_AGENT=BROWSER).status_code == 404
    assert client.get(f"/l/{link.code}x", HTTP_USER_AGENT=BROWSER).status_code == 404
    assert not LinkClick.objects.exists()
    assert stats(action)["link_clicks"] == 0


def test_a_link_only_answers_get_and_head(client, link):
    assert client.post(f"/l/{link.code}").status_code == 405
    assert not LinkClick.objects.exists()


def test_a_strange_user_agent_is_stored_safely(client, link, action):
    r = client.get(f"/l/{link.code}", HTTP_USER_AGENT="Mozilla/5.0 \x00" + "x" * 5000)
    assert r.status_code == 302
    assert len(LinkClick.objects.get().user_agent) == 1000


def test_links_are_public_and_need_no_login(client, outsider_api, link):
    # A texted contact has no account: any caller (an outsider's session too) is redirected,
    # and the click lands on the link's own action.
    assert outsider_api.get(f"/l/{link.code}", HTTP_USER_AGENT=BROWSER).status_code == 302
    assert LinkClick.objects.get().organization_id == link.organization_id
