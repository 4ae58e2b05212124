"""CSV for spreadsheets: cells typed by the public must never run as formulas."""


def csv_cell(value):
    """Text a spreadsheet will not run as a formula: bookers typed some of it."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
