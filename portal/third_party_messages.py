"""Messages that Django and third-party apps show in our pages without a Chinese translation of their own.

makemessages finds these msgids here, so the zh_Hans catalogue (which LOCALE_PATHS puts before every
app's own) can translate them. Each msgid must be exactly the app's, or the translation never applies;
tests/portal/test_words.py checks that the pages show them in Chinese. A few names the apps never mark
for translation get marked ones at start-up (mark_field_names).
"""

from django.apps import apps
from django.utils.translation import gettext_lazy, gettext_noop, ngettext_lazy

THIRD_PARTY_MESSAGES = [
    # Django 5.2's admin: the app list's table headings, read aloud by screen readers on every admin page.
    gettext_noop("Model name"),
    gettext_noop("Add link"),
    gettext_noop("Change or view list link"),
    gettext_noop("After you’ve created a user, you’ll be able to edit more user options."),
    gettext_noop("Error:"),
    gettext_noop("Forgotten your login credentials?"),
    gettext_noop("%(model)s instance with %(field)s %(value)r is not a valid choice."),
    # django-celery-results ships a zh_Hans .po but no compiled .mo: the task results' pages.
    gettext_noop("Celery Results"),
    gettext_noop("Parameters"),
    gettext_noop("Result"),
    gettext_noop("Task ID"),
    gettext_noop("Celery ID for the Task that was run"),
    gettext_noop("Periodic Task Name"),
    gettext_noop("Name of the Periodic Task which was run"),
    gettext_noop("Task Name"),
    gettext_noop("Name of the Task which was run"),
    gettext_noop("Task Positional Arguments"),
    gettext_noop("JSON representation of the positional arguments used with the task"),
    gettext_noop("Task Named Arguments"),
    gettext_noop("JSON representation of the named arguments used with the task"),
    gettext_noop("Task State"),
    gettext_noop("Current state of the task being run"),
    gettext_noop("Worker that executes the task"),
    gettext_noop("Result Content Type"),
    gettext_noop("Content type of the result data"),
    gettext_noop("Result Encoding"),
    gettext_noop("The encoding used to save the task result data"),
    gettext_noop("Result Data"),
    gettext_noop("The data returned by the task.  Use content_encoding and content_type fields to read."),
    gettext_noop("Created DateTime"),
    gettext_noop("Datetime field when the task result was created in UTC"),
    gettext_noop("Started DateTime"),
    gettext_noop("Datetime field when the task was started in UTC"),
    gettext_noop("Completed DateTime"),
    gettext_noop("Datetime field when the task was completed in UTC"),
    gettext_noop("Traceback"),
    gettext_noop("Text of the traceback if the task generated one"),
    gettext_noop("Task Meta Information"),
    gettext_noop("JSON meta information about the task, such as information on child tasks"),
    gettext_noop("task result"),
    gettext_noop("task results"),
    gettext_noop("Group ID"),
    gettext_noop("Celery ID for the Chord header group"),
    gettext_noop("Celery ID for the Group that was run"),
    gettext_noop("Datetime field when the group result was created in UTC"),
    gettext_noop("Datetime field when the group was completed in UTC"),
    gettext_noop("JSON serialized list of task result tuples. use .group_result() to decode"),
    gettext_noop("Starts at len(chord header) and decrements after each task is finished"),
    gettext_noop("group result"),
    gettext_noop("group results"),
    # django-celery-beat: what its own zh_Hans catalogue lacks on the schedules' pages.
    gettext_noop("Periodic Tasks"),
    gettext_noop("Schedule"),
    gettext_noop("Arguments"),
    gettext_noop("Execution Options"),
    gettext_noop("Periodic Tasks Using This Schedule"),
    gettext_noop("{0} task was successfully enabled"),
    gettext_noop("{0} task was successfully disabled"),
    gettext_noop("{0} task was successfully toggled"),
    gettext_noop('Cron Months (1-12) Of The Year to Run. Use "*" for "all". (Example: "1,12")'),
    gettext_noop(
        'Cron Days Of The Week to Run. Use "*" for "all", Sunday is 0 or 7, Monday is 1. (Example: "0,5")'
    ),
    # django-axes (no zh_Hans at all): the lockout records, shown to superusers only.
    gettext_noop("Form Data"),
    gettext_noop("Meta Data"),
    gettext_noop("User Agent"),
    gettext_noop("IP Address"),
    gettext_noop("Username"),
    gettext_noop("HTTP Accept"),
    gettext_noop("Path"),
    gettext_noop("Attempt Time"),
    gettext_noop("Access lock out"),
    gettext_noop("access failure"),
    gettext_noop("access failures"),
    gettext_noop("GET Data"),
    gettext_noop("POST Data"),
    gettext_noop("Failed Logins"),
    gettext_noop("access attempt"),
    gettext_noop("access attempts"),
    gettext_noop("Logout Time"),
    gettext_noop("Session key hash (sha256)"),
    gettext_noop("access log"),
    gettext_noop("access logs"),
    # django-otp (no zh_Hans): its form's messages, should a page of ours ever show them.
    gettext_noop("Please enter your OTP token."),
    gettext_noop("Invalid token. Please make sure you have entered it correctly."),
    gettext_noop("Verification of the token is currently disabled"),
    # django-import-export: what a clerk may meet on the import and export pages.
    gettext_noop("Resource"),
    gettext_noop("Select all"),
    gettext_noop("Value could not be parsed."),
    gettext_noop("No valid data to import. Ensure your file has the correct headers or data for import."),
    gettext_noop(
        "%(exc_name)s encountered while trying to read file. "
        "Ensure you have chosen the correct format for the file."
    ),
    gettext_noop("Import"),
    gettext_noop("Export"),
]

# Django 5.2 reworded the password-length message (%d in place of %(min_length)d); its zh_Hans catalogue
# still has only the old wording. Lazy, so nothing is translated at import.
THIRD_PARTY_PLURALS = [
    ngettext_lazy(
        "This password is too short. It must contain at least %d character.",
        "This password is too short. It must contain at least %d characters.",
        "min_length",
    ),
]

#: Field names a third-party app left unmarked for translation: (app label, model, field) -> the same words, marked.
UNMARKED_FIELD_NAMES = {
    # The periodic tasks' list filters by it ("按 Task Name").
    ("django_celery_beat", "periodictask", "task"): gettext_lazy("Task Name"),
}

#: Apps that name themselves by their label only (the admin's heading read "AXES").
UNMARKED_APP_NAMES = {"axes": gettext_lazy("Sign-in failures and lockouts")}


def mark_field_names() -> None:
    """Give those fields and apps marked names (a field keeps its English, so no migration changes);
    called from PortalConfig.ready."""
    for (app_label, model_name, field_name), name in UNMARKED_FIELD_NAMES.items():
        if apps.is_installed(app_label):
            apps.get_model(app_label, model_name)._meta.get_field(field_name).verbose_name = name
    for app_label, name in UNMARKED_APP_NAMES.items():
        if apps.is_installed(app_label):
            apps.get_app_config(app_label).verbose_name = name
