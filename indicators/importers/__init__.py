"""The indicators' spreadsheet formats (targets) for portal.spreadsheets."""
