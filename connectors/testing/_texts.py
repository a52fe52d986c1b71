"""Word pools for the synthetic community: names, companies, titles and post bodies.

Kept apart from the generator so the generator reads as logic. Includes the awkward
cases on purpose: apostrophes, accents, emoji and Slack control sequences.
"""

from __future__ import annotations

__all__ = [
    "FIRST_NAMES",
    "LAST_NAMES",
    "COMPANY_WORDS",
    "COMPANY_SUFFIXES",
    "FREEMAIL_DOMAINS",
    "CATEGORIES",
    "TOPIC_TITLES",
    "PREMIUM_TITLES",
    "REPLY_TEXTS",
    "UNICODE_TEXTS",
    "SLACK_TRAP_TEXT",
    "OWNER_NAMES",
    "huge_text",
]

FIRST_NAMES = (
    "Ava", "Liam", "Noah", "Emma", "Olivia", "Mateo", "Sofia", "Lucas", "Mia", "Ethan",
    "Zoë", "José", "Chloé", "Björn", "Siobhán", "Søren", "Priya", "Wei", "Aiko", "Kwame",
    "Fatima", "Omar", "Ingrid", "Raúl", "Anaïs", "Dmitri", "Leila", "Hiroshi", "Nia", "Tomás",
    "Grace", "Henry", "Isla", "Jack", "Kai", "Luna", "Maya", "Nora", "Owen", "Ruby",
)
LAST_NAMES = (
    "O'Brien", "D'Angelo", "Smith", "García", "Müller", "Nguyen", "Kowalski", "Johansson",
    "Okafor", "Rossi", "Dubois", "Tanaka", "Patel", "Silva", "O'Connor", "Chen", "Ivanova",
    "Hernández", "Brown", "Wilson", "Fernández", "Novák", "Schäfer", "Haddad", "Kim",
    "Larsen", "Moreau", "Singh", "Walker", "Young", "Zimmermann", "Abara", "Lindqvist",
)
OWNER_NAMES = (
    ("Dana", "Reyes"), ("Sam", "O'Neill"), ("Priya", "Raman"), ("Jonas", "Weber"),
    ("Mei", "Lin"), ("Carlos", "Ortega"), ("Hannah", "Berg"), ("Tariq", "Aziz"),
    ("Elena", "Petrova"), ("Marcus", "Hale"), ("Yuki", "Sato"), ("Laura", "Costa"),
)
COMPANY_WORDS = (
    "Acme", "Globex", "Initech", "Umbrella", "Hooli", "Vandelay", "Stark", "Wayne", "Tyrell",
    "Cyberdyne", "Soylent", "Aperture", "Massive", "Oscorp", "Wonka", "Gringotts", "Monarch",
    "Blue Sun", "Pied Piper", "Dunder", "Sterling", "Nakatomi", "Zorg", "Virtucon", "Ollivander",
    "Bluth", "Prestige", "Krusty", "Gekko", "Lumon", "Dharma", "Weyland", "Mooby", "Nordwind",
    "Café Olé", "Brightline", "Quantum", "Northwind", "Contoso", "Fabrikam", "Tailspin", "Litware",
)
COMPANY_SUFFIXES = (
    "Inc", "Labs", "Systems", "Analytics", "Logistics", "Health", "Bank", "Data", "Cloud",
    "Robotics", "Media", "Energy", "Foods", "Retail", "Insurance", "Software", "Group", "AI",
)
FREEMAIL_DOMAINS = ("gmail.com", "outlook.com", "yahoo.com", "proton.me", "hotmail.com")

#: (name, slug) — the first four are the ones the project's classification rules rely on.
CATEGORIES = (
    ("Support", "support"),
    ("Feature Requests", "feature-requests"),
    ("How-to", "how-to"),
    ("General", "general"),
    ("Announcements", "announcements"),
)

TOPIC_TITLES = (
    "Flow runs stuck in Pending after restarting the worker",
    "How do I pass secrets to a deployment?",
    "Retry policy for flaky API calls",
    "Best way to schedule a flow every 15 minutes",
    "Feature request: pause a work pool from the CLI",
    "Dask task runner memory keeps growing",
    "Can I run subflows in parallel?",
    "Webhook automation does not fire",
    "Caching results between runs",
    "Deploying with Docker on ECS",
    "Question about concurrency limits",
    "Custom block type not showing in the UI",
    "Logging from threads inside a task",
    "Migrating from 2.x to 3.x",
    "Feature request: dark mode for the dashboard",
    "How-to: parametrise a deployment with pydantic",
    "Timeouts when the API is slow",
    "Kubernetes work pool job template example",
)
PREMIUM_TITLES = (
    "What does the enterprise plan include?",
    "Pricing for 50 seats on the Pro tier",
    "Do you support SSO with Okta?",
    "How do we upgrade from starter to pro?",
    "Enterprise plan: audit logs and RBAC",
    "SAML SSO and SCIM provisioning pricing",
    "Upgrade path for our team — pricing question",
)
REPLY_TEXTS = (
    "Have you tried setting the timeout on the task itself?",
    "Same problem here, following.",
    "This is fixed in the latest release, upgrading should help.",
    "You can use a block for that; see the docs on blocks.",
    "Thanks, that worked!",
    "Could you share the full traceback?",
    "We ended up using a work pool per environment.",
    "+1, we need this too.",
    "I wrote a small wrapper for this, happy to share.",
    "The concurrency limit applies per tag, not per flow.",
)
UNICODE_TEXTS = (
    "Ça marche très bien maintenant, merci beaucoup ! 🎉",
    "Danke schön — die Lösung mit dem Block hat funktioniert 👍",
    "日本語のドキュメントはありますか？ 🙏",
    "¿Alguien ha probado esto en Kubernetes? 🚀🚀",
    "Emoji test: 🧪🔥✅ and a zero-width joiner family 👨‍👩‍👧",
)
SLACK_TRAP_TEXT = (
    "<!channel> *bold* claim: our whole team <@U123> needs the enterprise plan & SSO "
    "<https://evil.example|click here> <!here>"
)


def huge_text(target_bytes: int = 100_000) -> str:
    """A ~100 KB post body (a pasted log), for size limits and truncation paths."""
    line = "2024-05-01T12:00:00Z worker-1 INFO Task run 'fetch-data' - Finished in state Completed()\n"
    return ("Here is my full log:\n```\n" + line * (target_bytes // len(line) + 1))[:target_bytes] + "\n```"
