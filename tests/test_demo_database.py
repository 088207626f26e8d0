"""The embedded SQLite demo runs the same services (no SKIP LOCKED, no arrays): migrate, an
organization, an upload, a batch and an initial in a fresh process on a fresh file."""

import os
import subprocess
import sys

import pytest
from django.conf import settings

SCRIPT = """
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
call_command("create_org", name="Demo", admin_email="a@demo.example", admin_password="a-long-password")
from actions.models import Conversation
from actions.services.actions import action_create, action_send
from actions.services.contacts import contacts_upload
from actions.services.conversations import conversation_claim_batch, conversation_send_message
from orgs.models import Organization
from orgs.services import member_create
from reporting.recompute import recompute_stats
org = Organization.objects.get(name="Demo")
volunteer = member_create(organization=org, email="v@demo.example", password="a-long-password")
action = action_create(organization=org, created_by=None, name="A", initial_script="Hi {first_name}")
csv = "phone,first_name,ward\\n" + "".join(f"+1202{2000000 + i},P{i},{i % 3}\\n" for i in range(300))
print(contacts_upload(action=action, data=csv.encode()).as_dict()["created"])
action_send(action=action, user_ids=[volunteer.id])
ids = conversation_claim_batch(action=action, user=volunteer, size=10)
message = conversation_send_message(conversation=Conversation.objects.get(pk=ids[0]), sent_by=volunteer)
print(len(ids), message.body, recompute_stats(action))
"""


@pytest.mark.slow
def test_the_embedded_demo_database_runs_the_services(tmp_path):
    env = {
        **{k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")},
        "DJANGO_SETTINGS_MODULE": "p2p_admin.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        "TWILIO_API_BASE_URL": "http://127.0.0.1:9",  # nothing listens: the send fails fast, as offline
    }
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=240
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split("\n")[-3:-1] == ["300", "10 Hi P0 []"]
