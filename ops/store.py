"""The embedded store: nx-27017 (the MongoDB wire protocol over SQLite), data under var/."""
import os
import sys

import pymongo

from .processes import Child, wait_until


def nx_command():
    return os.path.join(os.path.dirname(sys.executable), "nx-27017")


def ping(uri, timeout_ms=1000):
    client = pymongo.MongoClient(uri, serverSelectionTimeoutMS=timeout_ms, connectTimeoutMS=timeout_ms)
    try:
        client.admin.command("ping")
        return True
    finally:
        client.close()


class EmbeddedStore(Child):
    def __init__(self, data_dir, port=27017, host="127.0.0.1"):
        os.makedirs(data_dir, exist_ok=True)
        self.uri = f"mongodb://{host}:{port}/"
        super().__init__("store", [
            nx_command(), "--data-dir", data_dir, "--host", host, "--port", str(port),
            "--pid-file", os.path.join(data_dir, "nx-27017.pid"),
            "--log-file", os.path.join(data_dir, "nx-27017.log"),
        ], log_path=os.path.join(data_dir, "nx-27017.out"))

    def start(self, timeout=30):
        super().start()
        wait_until(lambda: self.alive() and ping(self.uri), timeout, what="the embedded store answering")
        return self
