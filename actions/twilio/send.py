"""Handing outbound messages to Twilio. (Being built by the Twilio pipeline issue.)"""


def message_dispatch(*, message_id: int) -> None:
    raise NotImplementedError("the Twilio sender is not wired yet")
