from celery import shared_task


@shared_task(acks_late=True)
def message_send(message_id: int) -> None:
    from actions.twilio.send import message_dispatch

    message_dispatch(message_id=message_id)
