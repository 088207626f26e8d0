"""A local Twilio: `manage.py twilio_simulator` serves it over HTTP; `simulate_history` makes a
demo history with it in-process. See docs/twilio.md."""

from .core import Rates, Simulator
from .history import simulate_history
from .server import SimulatorServer

__all__ = ["Rates", "Simulator", "SimulatorServer", "simulate_history"]
