"""Settings for bench/webhook_ingest.py: the app as deployed, plus one bare view to compare with."""

from p2p_admin.settings import *  # noqa: F403

ROOT_URLCONF = "bench.webhook_app"
