"""The fault-injected soak test of the Twilio event path: `python bench/soak/run.py` (docs/soak.md)."""
