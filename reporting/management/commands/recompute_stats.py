from django.core.management.base import BaseCommand, CommandError

from actions.models import Action
from reporting.drift import stats_repair


class Command(BaseCommand):
    help = "Rebuild the aggregates of one action (--action ID) or of every action from the raw tables; prints the drift repaired."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--action", type=int, help="the action id (default: every action)")

    def handle(self, *args, action: int | None = None, **options) -> None:
        actions = Action.objects.order_by("id")
        if action is not None:
            actions = actions.filter(pk=action)
            if not actions.exists():
                raise CommandError(f"no action {action}")
        for action_id, drift in stats_repair(actions=actions.iterator()).items():
            for line in drift:
                self.stdout.write(f"action {action_id}: {line}")
            self.stdout.write(f"action {action_id}: {len(drift)} drifted rows repaired")
