from django.apps import AppConfig


class SecurityConfig(AppConfig):
    """The project package as an app, for its security wiring (p2p_admin.security)."""

    name = "p2p_admin"
    label = "p2p_security"

    def ready(self) -> None:
        from axes.signals import user_locked_out

        from .security import lockout_audit

        user_locked_out.connect(lockout_audit, dispatch_uid="p2p-lockout-audit")
