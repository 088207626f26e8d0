"""The figures of CONTRACT §4 in page order, with the contract's own words as their
definitions (hover text on the results page), and the rates derived from them."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    definition: str


OVERVIEW = (
    Metric("sent_to", "Sent to", "Users the action was sent to."),
    Metric("seen", "Seen", "Of those, users who have seen it (starting counts as seeing)."),
    Metric("started", "Started", "Users who started it."),
    Metric("completed", "Completed", "Users who completed it at least once."),
    Metric("performs", "Performs", "Completions in total (a user can complete an action more than once)."),
    Metric("reports", "Reports", "Reports filed for contacts of this action (every filing counts)."),
)

MESSAGE_PERFORMANCE = (
    Metric("reports_available", "Reports available", "Conversations with at least one inbound message."),
    Metric("reports_filled", "Reports filled", "Of those, conversations with at least one report."),
    Metric(
        "initial_messages",
        "Initial messages",
        "Initial messages Twilio accepted (whatever their later fate); one the API refused counts in Twilio errors instead.",
    ),
    Metric("responses", "Responses", "Inbound messages from contacts."),
    Metric("follow_ups", "Follow-ups", "Outbound messages after the initial that Twilio accepted."),
    Metric(
        "opt_outs",
        "Opt-outs",
        "Conversations in which the contact opted out during this action (keyword, manual, or a 21610 refusal), "
        "each once; a later START does not lower it.",
    ),
    Metric(
        "messages_remaining",
        "Messages remaining",
        "Conversations with no initial message yet (the unsent set) whose contact is not opted out.",
    ),
    Metric(
        "needs_attention",
        "Needs attention",
        "Conversations whose contact is not opted out now, with at least one inbound message, and whose latest message "
        "is inbound or which have no report; outbound messages that failed or were undelivered do not count as latest.",
    ),
    Metric(
        "twilio_errors",
        "Twilio errors",
        "Outbound messages failed or undelivered whose error is not carrier filtering, or that the API refused when sending.",
    ),
    Metric("carrier_filtering", "Carrier filtering", "Outbound messages failed or undelivered with error 30007 or 30004."),
    Metric("delivered", "Delivered", "Outbound messages delivered."),
    Metric(
        "link_clicks",
        "Link clicks",
        "Requests for the action's tracked links, link-preview and bot fetches excluded (each request counts).",
    ),
    Metric("link_clicks_bots", "Link previews and bots", "The fetches of tracked links excluded from link clicks."),
)

RATES = (
    Metric("delivery_rate", "Delivery rate", "Delivered ÷ outbound messages Twilio accepted (initial messages + follow-ups)."),
    Metric("response_rate", "Response rate", "Conversations with a response (reports available) ÷ initial messages."),
    Metric("opt_out_rate", "Opt-out rate", "Opt-outs ÷ initial messages."),
    Metric("filtering_rate", "Filtering rate", "Carrier filtering ÷ outbound messages Twilio accepted."),
)


def _ratio(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def rates_of(totals: dict[str, int]) -> dict[str, float]:
    """Fractions 0-1; 0 when the denominator is 0."""
    outbound = totals["initial_messages"] + totals["follow_ups"]
    return {
        "delivery_rate": _ratio(totals["delivered"], outbound),
        "response_rate": _ratio(totals["reports_available"], totals["initial_messages"]),
        "opt_out_rate": _ratio(totals["opt_outs"], totals["initial_messages"]),
        "filtering_rate": _ratio(totals["carrier_filtering"], outbound),
    }
