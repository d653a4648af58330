"""Where the command line finds its server and token: --url/--token, then ORTAK_URL/ORTAK_TOKEN,
then the user's config file written by `ortak login` (readable only by its owner)."""
import json
import os
import stat

from .errors import UsageError


def config_home():
    return os.environ.get("ORTAK_HOME") or os.path.join(
        os.environ.get("XDG_CONFIG_HOME") or os.path.expanduser("~/.config"), "ortak")


def config_path():
    return os.path.join(config_home(), "config.json")


def save(url, token):
    os.makedirs(config_home(), mode=0o700, exist_ok=True)
    path = config_path()
    # created owner-only before anything is written into it
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, stat.S_IRUSR | stat.S_IWUSR)
    os.fchmod(fd, stat.S_IRUSR | stat.S_IWUSR)
    with os.fdopen(fd, "w") as f:
        json.dump({"url": url.rstrip("/"), "token": token}, f)
    return path


def stored():
    try:
        with open(config_path()) as f:
            return json.load(f)
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise UsageError(f"Cannot read {config_path()}: {exc}") from None


def resolve(url=None, token=None):
    """(url, token), each from the first place that has it."""
    saved = stored()
    url = url or os.environ.get("ORTAK_URL") or saved.get("url")
    token = token or os.environ.get("ORTAK_TOKEN") or saved.get("token")
    if not url:
        raise UsageError("No server: run `ortak login`, or give --url or ORTAK_URL.")
    return url.rstrip("/"), token
