"""Facts that DataSync follows: each writes its outbox rows inside the writer's transaction."""

from actions.signals import opt_out_recorded, report_filed


def on_report_filed(sender, report, **kwargs) -> None:
    from .services.follow import outbox_follow_report

    outbox_follow_report(report=report)


def on_opt_out_recorded(sender, event, **kwargs) -> None:
    from .services.follow import outbox_follow_opt_out

    outbox_follow_opt_out(event=event)


def connect() -> None:
    """Connected once all the signals' senders are importable (AppConfig.ready)."""
    report_filed.connect(on_report_filed, dispatch_uid="datasync-report-filed")
    opt_out_recorded.connect(on_opt_out_recorded, dispatch_uid="datasync-opt-out-recorded")
