"""The secrets docker-compose.yml mounts, made once for an installation (never overwritten).

    python -m ops.compose_secrets [deploy/secrets]

Passwords, the MongoDB replica set key, the token pepper, the first admin token and the key that
signs web sessions and CSRF tokens are random;
rabbitmq.conf and the two URIs are written from them. The directory is owner-only (0700); the
files in it are 0644 because Docker Compose bind-mounts them with these modes and the
containers read them as their own users (rabbitmq, mongodb, ortak).
"""
import base64
import os
import secrets
import sys

from .stack import ROOT

DEFAULT_DIR = os.path.join(ROOT, "deploy", "secrets")
RABBITMQ_USER = MONGO_USER = "ortak"

RANDOM = {
    "rabbitmq_password": lambda: secrets.token_urlsafe(24),
    "mongo_root_user": lambda: MONGO_USER,
    "mongo_root_password": lambda: secrets.token_urlsafe(24),
    "mongo_keyfile": lambda: base64.b64encode(secrets.token_bytes(756)).decode(),
    "token_pepper": lambda: secrets.token_urlsafe(48),
    "admin_token": lambda: "ortak_admin_" + secrets.token_urlsafe(32),
    "web_secret_key": lambda: secrets.token_urlsafe(48),
}


def derived(values):
    return {
        "rabbitmq.conf": f"default_user = {RABBITMQ_USER}\ndefault_pass = {values['rabbitmq_password']}\n",
        "amqp_uri": f"amqp://{RABBITMQ_USER}:{values['rabbitmq_password']}@rabbitmq:5672/",
        "mongodb_uri": (f"mongodb://{values['mongo_root_user']}:{values['mongo_root_password']}@mongo:27017/"
                        "?replicaSet=rs0&authSource=admin"),
    }


def write(path, text):
    tmp = path + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def make(directory=DEFAULT_DIR):
    """Make what is missing; returns the names of the files made."""
    os.makedirs(directory, mode=0o700, exist_ok=True)
    os.chmod(directory, 0o700)
    made, values = [], {}
    for name, new in RANDOM.items():
        path = os.path.join(directory, name)
        if os.path.exists(path) and os.path.getsize(path):
            with open(path) as f:
                values[name] = f.read().strip()
        else:
            values[name] = new()
            write(path, values[name])
            made.append(name)
    for name, text in derived(values).items():
        path = os.path.join(directory, name)
        current = open(path).read() if os.path.exists(path) else None
        if current != text:
            write(path, text)
            made.append(name)
    return made


if __name__ == "__main__":
    directory = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_DIR
    made = make(directory)
    print(f"{directory}: " + (f"made {', '.join(made)}" if made else "every secret is there already"))
