"""Service requests kept in a workbook or CSV (a muhtarlık's book, a district's spreadsheet): one
row per request, the import's field names as the header row."""
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from .contribution_book import _number
from .readings_book import file_rows

FIELDS = ["id", "service_code", "requested_datetime", "status", "closed_datetime", "status_notes",
          "agency_responsible", "description", "neighbourhood", "address_string", "address_id", "zipcode", "lat",
          "long", "media_url", "filed_by", "first_name", "last_name", "email", "phone"]
NUMBERS = ("lat", "long")
TIMES = ("requested_datetime", "closed_datetime")


def _time(value, zone):
    """A cell's time as ISO 8601 with its zone; a time written without one is read in ``zone``."""
    if isinstance(value, date) and not isinstance(value, datetime):
        value = datetime.combine(value, time())
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=zone)).isoformat()
    text = str(value).strip()
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)).isoformat()


def read(path, timezone="UTC"):
    """(rows, errors): each row as the import takes it with the place it came from ("Sheet!C3" or
    "line 3"), and the cells that are not numbers or times where those belong."""
    zone = ZoneInfo(timezone)
    rows = file_rows(path)
    found, errors = [], {}
    for place, row in rows:
        if all(v in (None, "") for v in row.values()):
            continue
        line = {}
        for field in FIELDS:
            value = row.get(field)
            if value in (None, ""):
                continue
            if field in NUMBERS and not isinstance(value, (int, float)):
                number = _number(value)
                if number is None:
                    errors[place(field)] = [f"{field}: {value!r} is not a number."]
                value = number
            elif field in TIMES:
                moment = _time(value, zone)
                if moment is None:
                    errors[place(field)] = [f"{field}: {value!r} is not a time such as 2026-03-01T09:30:00+03:00."]
                value = moment
            elif field not in NUMBERS:
                value = str(value).strip() if not isinstance(value, float) or not value.is_integer() \
                    else str(int(value))
            line[field] = value
        found.append((place, line))
    return found, errors


def placed(errors, places, offset=0):
    """The server's ``requests[i].field`` errors named by the file's cells."""
    named = {}
    for path, messages in (errors or {}).items():
        if path.startswith("requests["):
            index, _, rest = path[len("requests["):].partition("]")
            field = rest.lstrip(".").split(".")[0] or None
            if index.isdigit() and offset + int(index) < len(places):
                named.setdefault(places[offset + int(index)](field if field in FIELDS else None), []).extend(messages)
                continue
        named.setdefault(path, []).extend(messages)
    return named
