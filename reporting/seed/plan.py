"""What the demo organization looks like at each scale (CONTRACT §2) and the rates its
history is drawn with (issue: delivery ~92%, filtering ~2%, replies ~15%, opt-outs ~3%,
reports on ~60% of replies)."""

from dataclasses import dataclass

ORG_NAME = "Demo Organization"
ADMIN_EMAIL = "admin@demo.p2p.example"
ADMIN_PASSWORD = "demo-admin-pass"
VOLUNTEER_PASSWORD = "demo-volunteer-pass"
LINK_URL = "https://vote.example.org/plan"

# contacts; messages come to about three per contact (L ≈ 1M contacts / 3M messages)
SCALES = {"S": 2_000, "M": 100_000, "L": 1_000_000}


def volunteers_for(contacts: int) -> int:
    return min(200, max(20, contacts // 1000))


@dataclass(frozen=True)
class ActionPlan:
    name: str
    status: str
    share: float  # of the organization's contacts added to the action
    sent: float  # of its conversations that got their initial
    days_ago: float  # when sending started
    days: float  # how long sending lasted (live: until now)
    link: bool = False


ACTIONS = (
    ActionPlan("Early Vote Reminder", "closed", share=1.0, sent=1.0, days_ago=16, days=3),
    ActionPlan("Issue Survey: Transit Funding", "closed", share=0.6, sent=1.0, days_ago=9, days=2, link=True),
    ActionPlan("GOTV Weekend", "live", share=0.85, sent=0.9, days_ago=2, days=2),
    ActionPlan("Runoff Volunteer Recruitment", "draft", share=0.05, sent=0.0, days_ago=0, days=0),
)

# Scale S also runs one action through the real pipeline (upload, sends through the Twilio
# simulator, signed callbacks and replies, the applier): reporting.seed.simulated.
SIMULATED_ACTION = "Polling Place Reminders"
SIMULATED_CONTACTS = {"S": 250}
SIMULATED_VOLUNTEERS = 5

TAGS = ["supporter", "undecided", "opposed", "wrong number", "needs ride", "volunteer prospect"]
TAG_WEIGHTS = [40, 25, 12, 8, 8, 7]
CUSTOM_FIELDS = [
    {"key": "support", "label": "Support (1-5)", "type": "choice", "choices": ["1", "2", "3", "4", "5"]},
    {"key": "vote_plan", "label": "Vote plan", "type": "choice", "choices": ["early", "election day", "mail", "not sure"]},
    {"key": "age", "label": "Age", "type": "number", "choices": []},
    {"key": "notes", "label": "Notes", "type": "text", "choices": []},
]
SUPPORT_WEIGHTS = [8, 10, 22, 25, 35]
VOTE_PLAN_WEIGHTS = [35, 30, 20, 15]
NOTES = [
    "call back after 6pm",
    "prefers Spanish",
    "asked about polling place",
    "wants a yard sign",
    "moved out of district",
    "already voted",
    "concerned about transit",
    "needs absentee ballot",
    "works nights",
    "interested in volunteering",
]
RESPONSE_SCRIPTS = [
    {"key": "thanks", "label": "Thank you", "body": "Thanks so much, {first_name}! Every vote counts."},
    {
        "key": "polling_place",
        "label": "Polling place",
        "body": "You can find your polling place at https://vote.example.org/where",
    },
    {"key": "ride", "label": "Ride to the polls", "body": "We can help with a ride, {first_name}. What time works for you?"},
    {"key": "volunteer", "label": "Volunteer ask", "body": "Would you like to join us for a shift this weekend?"},
    {"key": "wrong_number", "label": "Wrong number", "body": "Sorry for the trouble! We'll update our records."},
]
INITIAL_SCRIPT = "Hi {first_name}, it's a volunteer with Demo Organization. Can we count on your vote this election?"
LINK_SCRIPT = "Hi {first_name}, quick question on transit funding from Demo Organization. Tell us what you think: " + LINK_URL

REPLIES = [
    "Yes! Count me in",
    "Who is this?",
    "I already voted",
    "Not sure yet",
    "Where do I vote?",
    "Can I get a ride?",
    "No thanks",
    "Yes",
    "Maybe, tell me more",
    "Wrong number",
]
STOP_WORDS = ["STOP", "stop", "Stop", "STOP.", "unsubscribe", "Quit"]

FIRST_NAMES = [
    "James",
    "Mary",
    "Robert",
    "Patricia",
    "John",
    "Jennifer",
    "Michael",
    "Linda",
    "David",
    "Elizabeth",
    "William",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Sarah",
    "Carlos",
    "Karen",
    "Daniel",
    "Lisa",
    "Matthew",
    "Nancy",
    "Anthony",
    "Betty",
    "Mark",
    "Sandra",
    "Luis",
    "Ashley",
    "Maria",
    "Kimberly",
    "Jose",
    "Emily",
    "Wei",
    "Donna",
    "Kevin",
    "Michelle",
    "Aisha",
    "Carol",
    "Brian",
    "Amanda",
    "Juan",
    "Melissa",
    "Omar",
    "Deborah",
    "Priya",
    "Stephanie",
    "Andre",
    "Rebecca",
]
LAST_NAMES = [
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Nguyen",
    "Hill",
    "Flores",
    "Green",
    "Adams",
    "Nelson",
    "Baker",
    "Hall",
    "Rivera",
    "Campbell",
    "Mitchell",
    "Carter",
    "Roberts",
]
