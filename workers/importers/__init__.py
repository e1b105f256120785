"""The registry's spreadsheet formats (enterprises, workers, certificates, awards) for portal.spreadsheets."""
