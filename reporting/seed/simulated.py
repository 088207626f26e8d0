"""The part of the demo history made through the real pipeline (scale S): an action whose
contacts are uploaded as a CSV, sent to volunteers, texted through the Twilio simulator, and
whose callbacks and replies come back through the signed webhooks and the event applier."""

import csv
import io

from actions.models import Action, Contact, OptOut
from actions.services.actions import action_create, action_send
from actions.services.contacts import contacts_upload
from actions.twilio.simulator import simulate_history
from orgs.models import Organization

from . import plan


def simulated_action(*, organization: Organization, volunteers: list[int], contacts: int, seed: int) -> tuple[Action, dict]:
    action = action_create(
        organization=organization,
        created_by=None,
        name=plan.SIMULATED_ACTION,
        initial_script=plan.INITIAL_SCRIPT,
        tags=plan.TAGS,
        custom_fields=plan.CUSTOM_FIELDS,
        response_scripts=plan.RESPONSE_SCRIPTS,
    )
    opted_out = OptOut.objects.filter(organization=organization).values("phone")
    people = (
        Contact.objects.filter(organization=organization)
        .exclude(phone__in=opted_out)
        .order_by("id")
        .values_list("phone", "first_name", "last_name")[:contacts]
    )
    upload = io.StringIO()
    writer = csv.writer(upload)
    writer.writerow(["phone", "first_name", "last_name"])
    writer.writerows(people)
    contacts_upload(action=action, data=upload.getvalue().encode())
    action_send(action=action, user_ids=volunteers[: plan.SIMULATED_VOLUNTEERS])
    done = simulate_history(organization=organization, action=action, seed=seed)
    return action, done
