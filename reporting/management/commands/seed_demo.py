from django.core.management.base import BaseCommand

from reporting.seed import plan
from reporting.seed.build import seed_demo


class Command(BaseCommand):
    help = "Create (or replace) the demo organization with realistic history: S ≈ 2k, M ≈ 100k, L ≈ 1M contacts."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--scale", choices=sorted(plan.SCALES), default="S")
        parser.add_argument("--contacts", type=int, help="override the scale's number of contacts")

    def handle(self, *args, scale: str, contacts: int | None, **options) -> None:
        summary = seed_demo(scale=scale, contacts=contacts, log=self.stdout.write)
        for action in summary.actions:
            self.stdout.write(f"action {action.id}: {action.name} ({action.status})  /actions/{action.id}/results/")
        rows = ", ".join(f"{name} {count:,}" for name, count in summary.rows.items())
        timing = ", ".join(f"{name} {secs:.1f}s" for name, secs in summary.seconds.items())
        self.stdout.write(f"rows: {rows}")
        self.stdout.write(f"time: {timing}")
        self.stdout.write(f"volunteers: {summary.volunteers} (password {plan.VOLUNTEER_PASSWORD})")
        self.stdout.write(f"admin: {plan.ADMIN_EMAIL} / password {plan.ADMIN_PASSWORD}")
        self.stdout.write(str(summary.organization.id))
