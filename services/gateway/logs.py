"""The gateway's log lines as JSON, each with the id of the request it served: the access line
(gunicorn's, which reads it from the answer's X-Request-Id) and every line the app logs while
serving, like the services' lines (deploy/nameko.yml), so one request reads the same everywhere."""
import logging

from flask import g, has_request_context

ACCESS_FORMAT = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms'
ACCESS_REQUEST_ID = "{x-request-id}o"   # gunicorn's atom for the answer's X-Request-Id header


class RequestIdFilter(logging.Filter):
    def filter(self, record):
        found = None
        if record.name == "gunicorn.access" and isinstance(record.args, dict):
            found = record.args[ACCESS_REQUEST_ID]
        elif has_request_context():
            found = g.get("request_id")
        record.request_id = found if found not in ("", "-") else None
        return True


def config(level="INFO"):
    """gunicorn's ``logconfig_dict``: every logger of the process, gunicorn's own included."""
    json_lines = {"class": "logging.StreamHandler", "formatter": "json", "filters": ["request_id"],
                  "stream": "ext://sys.stdout"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": {"json": {"()": "pythonjsonlogger.json.JsonFormatter",
                                "format": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s"}},
        "handlers": {"console": json_lines, "error_console": json_lines},
        "root": {"level": level, "handlers": ["console"]},
        "loggers": {
            "gunicorn.error": {"level": level, "handlers": ["console"], "propagate": False},
            "gunicorn.access": {"level": "INFO", "handlers": ["console"], "propagate": False},
        },
    }
