"""Training's spreadsheet formats (programs, enrolment lists, claims) for portal.spreadsheets.

Each format runs in portal/spreadsheets/pipeline.py: the file is checked in chunks (a preview and an error
report of the bad rows in the clerk's language), then written in one transaction or not at all.
"""
