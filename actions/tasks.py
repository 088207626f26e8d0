"""Celery tasks: thin adapters that unpack ids and call the Twilio pipeline's services."""

from celery import shared_task


@shared_task(acks_late=True, ignore_result=True)
def message_send(message_id: int) -> None:
    from actions.twilio.send import message_dispatch

    message_dispatch(message_id=message_id)


@shared_task(acks_late=True, ignore_result=True)
def events_sweep() -> int:
    """Apply every stored Twilio event, after re-examining those parked for an unknown SID."""
    from actions.twilio.applier import events_apply_all, events_unpark

    events_unpark()
    return events_apply_all()


@shared_task(acks_late=True, ignore_result=True)
def messages_sweep() -> int:
    from actions.twilio.send import messages_redispatch

    return messages_redispatch()


# `expires`: while no worker runs, beat must not pile up sweeps that all run at once later.
BEAT = {
    "twilio-events-sweep": {"task": "actions.tasks.events_sweep", "schedule": 5.0, "options": {"expires": 5}},
    "twilio-messages-sweep": {"task": "actions.tasks.messages_sweep", "schedule": 60.0, "options": {"expires": 60}},
}
