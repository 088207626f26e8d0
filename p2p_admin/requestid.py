"""A request id on every log line, carried from the web request into the Celery tasks it
enqueues (as a message header), so one webhook can be followed to the applier batch.

Each request logs one line when it is answered (`p2p_admin.request`) and each task run by a
worker one line when it ends (`p2p_admin.task`), both with the request id; with JSON logs
(LOG_FORMAT=json) a `grep <id>` finds the request and every task it caused."""

import contextvars
import logging
import re
import time
import uuid

from celery.signals import before_task_publish, task_postrun, task_prerun

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
HEADER = "X-Request-ID"
NONE = "-"
_VALID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
request_log = logging.getLogger("p2p_admin.request")
task_log = logging.getLogger("p2p_admin.task")


def new_request_id(incoming: str) -> str:
    """The caller's id when it is a safe token (a proxy's or a client's), else a fresh one."""
    return incoming if _VALID.match(incoming) else uuid.uuid4().hex


class RequestIdMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        rid = new_request_id(request.headers.get(HEADER, ""))
        # Left set after the response: Django logs a request's 4xx/5xx once the middleware
        # chain has returned, and that line belongs to this request too. The next request
        # on this thread sets its own.
        request_id.set(rid)
        started = time.monotonic()
        response = self.get_response(request)
        response[HEADER] = rid
        request_log.info(
            "%s %s %s",
            request.method,
            request.path,
            response.status_code,
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round((time.monotonic() - started) * 1000, 1),
            },
        )
        return response


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


@before_task_publish.connect
def _stamp_task(headers=None, **kwargs) -> None:
    """Tasks published outside a request (beat, a management command) carry no id: the
    worker then names their lines after the task."""
    rid = request_id.get()
    if headers is not None and "request_id" not in headers and rid != NONE:
        headers["request_id"] = rid


_task_runs: dict[str, tuple[contextvars.Token, float]] = {}


@task_prerun.connect
def _adopt_request_id(task_id=None, task=None, **kwargs) -> None:
    """A worker takes the id the publisher stamped; an eager task keeps its caller's."""
    carried = getattr(task.request, "request_id", None) if task is not None else None
    current = request_id.get()
    rid = carried or (current if current != NONE else f"task-{task_id}")
    _task_runs[task_id] = (request_id.set(rid), time.monotonic())


@task_postrun.connect
def _drop_request_id(task_id=None, task=None, state=None, **kwargs) -> None:
    token, started = _task_runs.pop(task_id, (None, None))
    if task is not None and started is not None and not task.request.is_eager:
        # Eager tasks run inside the caller's own logged request or command.
        task_log.info(
            "%s %s",
            task.name,
            state,
            extra={
                "task": task.name,
                "task_id": task_id,
                "state": state,
                "duration_ms": round((time.monotonic() - started) * 1000, 1),
            },
        )
    if token is not None:
        request_id.reset(token)
