"""A RabbitMQ node of the test's own, on free ports, so a test can stop and start a broker
without touching the one the machine (or `make run`) uses."""
import os

from ops import broker
from ops.processes import Child, wait_until

SERVER = "/usr/lib/rabbitmq/bin/rabbitmq-server"   # runs in the foreground, unlike the /usr/sbin wrapper


def available():
    return os.path.exists(SERVER)


class BrokerNode(Child):
    def __init__(self, base_dir, port, dist_port):
        self.uri = f"amqp://guest:guest@127.0.0.1:{port}//"
        os.makedirs(base_dir, exist_ok=True)
        plugins = os.path.join(base_dir, "enabled_plugins")
        with open(plugins, "w") as f:
            f.write("[].\n")
        env = dict(os.environ,
                   RABBITMQ_NODENAME=f"ortak-fault-{port}@localhost", RABBITMQ_NODE_IP_ADDRESS="127.0.0.1",
                   RABBITMQ_NODE_PORT=str(port), RABBITMQ_DIST_PORT=str(dist_port),
                   RABBITMQ_MNESIA_BASE=os.path.join(base_dir, "mnesia"),
                   RABBITMQ_LOG_BASE=os.path.join(base_dir, "log"),
                   RABBITMQ_PID_FILE=os.path.join(base_dir, "node.pid"),
                   RABBITMQ_ENABLED_PLUGINS_FILE=plugins,
                   RABBITMQ_CONFIG_FILE=os.path.join(base_dir, "none"))   # not the machine's rabbitmq.conf
        super().__init__("broker", [SERVER], env=env, log_path=os.path.join(base_dir, "out.log"), cwd=base_dir)

    def start(self, timeout=60):
        super().start()
        wait_until(lambda: self.alive() and broker.answers(self.uri, timeout=1), timeout, interval=0.25,
                   what="the test's own broker answering")
        return self
