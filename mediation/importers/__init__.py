"""Mediation's spreadsheet formats (transferred-case lists) for portal.spreadsheets."""
