# The Twilio stand-in (at the HTTP level) that the pipeline's own tests use.
from actions.tests.conftest import _fresh_caches, twilio_sim  # noqa: F401
