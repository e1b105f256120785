"""Names that third-party apps show in our admin without a Chinese translation of their own.

makemessages finds these msgids here, so the zh_Hans catalogue can translate them.
"""

from django.utils.translation import gettext_noop

THIRD_PARTY_MESSAGES = [
    gettext_noop("Celery Results"),
    gettext_noop("Task results"),
    gettext_noop("Group results"),
    gettext_noop("Periodic Tasks"),
    gettext_noop("Import"),
    gettext_noop("Export"),
]
