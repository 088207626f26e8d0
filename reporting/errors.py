"""Twilio error codes: their names and the class the results page groups them in.

Carrier filtering is exactly 30007 and 30004 (CONTRACT §4); every code not listed in a class
below is a Twilio/account problem. Code 0 stands for a failure Twilio gave no code for.
"""

from actions.models import Message

CARRIER_FILTERING = "carrier_filtering"
COMPLIANCE = "compliance"
BAD_RECIPIENT = "bad_recipient"
OPT_OUT = "opt_out"
TWILIO_ACCOUNT = "twilio_account"

CLASS_LABELS = {
    CARRIER_FILTERING: "Carrier filtering",
    COMPLIANCE: "Compliance / registration",
    BAD_RECIPIENT: "Bad recipient",
    OPT_OUT: "Opt-out",
    TWILIO_ACCOUNT: "Twilio / account",
}

NAMES = {
    0: "Failed without an error code",
    20003: "Authentication error",
    20429: "Too many requests",
    21211: "Invalid 'To' phone number",
    21214: "'To' phone number cannot be reached",
    21408: "Permission to send an SMS has not been enabled for the region",
    21606: "The 'From' phone number is not a valid message-capable Twilio number",
    21610: "Attempt to send to unsubscribed recipient",
    21612: "The 'To' phone number is not currently reachable via SMS",
    21614: "'To' number is not a valid mobile number",
    21617: "The message body exceeds the 1600 character limit",
    30001: "Queue overflow",
    30002: "Account suspended",
    30003: "Unreachable destination handset",
    30004: "Message blocked",
    30005: "Unknown destination handset",
    30006: "Landline or unreachable carrier",
    30007: "Message filtered",
    30008: "Unknown error",
    30009: "Missing segment",
    30010: "Message price exceeds max price",
    30017: "Carrier network congestion",
    30018: "Destination carrier requires sender ID pre-registration",
    30022: "US A2P 10DLC - Rate limits exceeded",
    30023: "US A2P 10DLC - Daily message cap reached",
    30024: "Numeric sender ID not provisioned with carrier",
    30027: "US A2P 10DLC - T-Mobile daily message limit reached",
    30032: "Toll-free number has not been verified",
    30034: "US A2P 10DLC - Message from an unregistered number",
}

CLASSES = {
    **dict.fromkeys(Message.CARRIER_FILTERING_CODES, CARRIER_FILTERING),
    **dict.fromkeys((21408, 30018, 30022, 30023, 30024, 30027, 30032, 30033, 30034, 30035, 30036, 30037, 30038), COMPLIANCE),
    **dict.fromkeys((21211, 21214, 21612, 21614, 30003, 30005, 30006), BAD_RECIPIENT),
    21610: OPT_OUT,
}


def error_name(code: int) -> str:
    return NAMES.get(code, f"Twilio error {code}")


def error_class(code: int) -> str:
    return CLASSES.get(code, TWILIO_ACCOUNT)
