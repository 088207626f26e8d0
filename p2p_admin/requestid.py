"""A request id on every log line, carried from the web request into the Celery tasks it
enqueues (as a message header), so one webhook can be followed to the applier batch."""

import contextvars
import logging
import re
import uuid

from celery.signals import before_task_publish, task_postrun, task_prerun

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
HEADER = "X-Request-ID"
_VALID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestIdMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get(HEADER, "")
        rid = incoming if _VALID.match(incoming) else uuid.uuid4().hex
        # Left set after the response: Django logs a request's 4xx/5xx once the middleware
        # chain has returned, and that line belongs to this request too. The next request
        # on this thread sets its own.
        request_id.set(rid)
        response = self.get_response(request)
        response[HEADER] = rid
        return response


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


@before_task_publish.connect
def _stamp_task(headers=None, **kwargs) -> None:
    if headers is not None and "request_id" not in headers:
        headers["request_id"] = request_id.get()


_task_tokens: dict[str, contextvars.Token] = {}


@task_prerun.connect
def _adopt_request_id(task_id=None, task=None, **kwargs) -> None:
    """A worker takes the id the publisher stamped; an eager task keeps its caller's."""
    carried = getattr(task.request, "request_id", None) if task is not None else None
    current = request_id.get()
    _task_tokens[task_id] = request_id.set(carried or (current if current != "-" else f"task-{task_id}"))


@task_postrun.connect
def _drop_request_id(task_id=None, **kwargs) -> None:
    token = _task_tokens.pop(task_id, None)
    if token is not None:
        request_id.reset(token)
