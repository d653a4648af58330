"""A pool of long-lived nameko RPC proxies for the gateway's threads.

A new ClusterRpcProxy costs ~20 ms to start and a reused one ~3 ms a call, so proxies are kept
and handed to one thread at a time (a proxy is not thread-safe). A proxy that failed on the
broker is dropped, and a new one is started on the next call.

Each call carries the request's id in nameko's context data (``request_id``): the service puts it
on its log lines and into the events the call causes (shared.observability).
"""
import logging
import queue

from nameko.exceptions import RemoteError, RpcTimeout, UnknownService
from nameko.amqp.publish import Publisher
from nameko.rpc import MethodProxy, ServiceProxy
from nameko.standalone.rpc import ClusterProxy, ClusterRpcProxy

from shared import config, wire
from shared.observability import CONTEXT_KEY
from shared.errors import BROKER_GONE, OrtakError

log = logging.getLogger(__name__)
wire.register()   # the services' JSON on the wire, by orjson


class ServiceUnavailable(Exception):
    """A dependency (broker, store or a service) did not answer: HTTP 503. ``sent`` says whether the
    request had reached the broker: then a write may have happened all the same."""

    def __init__(self, what, detail, sent=False):
        super().__init__(detail)
        self.what = what
        self.sent = sent


class FailFastPublisher(Publisher):
    """A gateway request meets a broker outage with a 503 at once: nameko's defaults retry the
    connection and the publish for longer than the request's own timeout (2 + 3 + 4 s, then more),
    so a request sent during an outage answered after 11 s."""
    retry_policy = {"max_retries": 1, "interval_start": 0, "interval_step": 0.25, "interval_max": 0.25}
    transport_options = {"max_retries": 1, "interval_start": 0, "interval_step": 0.25, "interval_max": 0.25}


class _MethodProxy(MethodProxy):
    publisher_cls = FailFastPublisher


class _ServiceProxy(ServiceProxy):
    def __getattr__(self, name):
        return _MethodProxy(self.worker_ctx, self.service_name, name, self.reply_listener, **self.options)


class _ClusterProxy(ClusterProxy):
    def __getattr__(self, name):
        if name not in self._proxies:
            self._proxies[name] = _ServiceProxy(self._worker_ctx, name, self._reply_listener)
        return self._proxies[name]


class FailFastRpcProxy(ClusterRpcProxy):
    """nameko's standalone cluster proxy, publishing with FailFastPublisher."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._proxy = _ClusterProxy(self._worker_ctx, self._reply_listener)


class RpcPool:
    def __init__(self, nameko_config=None, timeout=None, size=16, request_id=lambda: None):
        """``request_id()``: the id of the request being served, sent with every call."""
        self.config = nameko_config or config.nameko_config()
        self.request_id = request_id
        self.timeout = timeout or config.rpc_timeout()
        self.idle = queue.LifoQueue(maxsize=size)

    def _take(self):
        try:
            return self.idle.get_nowait()
        except queue.Empty:
            proxy = FailFastRpcProxy(self.config, timeout=self.timeout)
            return proxy, proxy.start()

    def _give_back(self, entry):
        try:
            self.idle.put_nowait(entry)
        except queue.Full:
            self._discard(entry)

    @staticmethod
    def _discard(entry):
        try:
            entry[0].stop()
        except Exception:
            log.debug("stopping a broken proxy", exc_info=True)

    def call(self, service, method, *args, timeout=None, **kwargs):
        try:
            entry = self._take()
        except BROKER_GONE as exc:
            raise ServiceUnavailable("broker", f"The message broker is unreachable: {exc}") from None
        wait = timeout if timeout is not None else self.timeout
        try:
            target = getattr(getattr(entry[1], service), method)
            result = self._call(entry, target, wait, args, kwargs, self.request_id())
        except (OrtakError, RemoteError):
            self._give_back(entry)  # the proxy is fine; the service said no (or failed)
            raise
        except RpcTimeout:
            self._discard(entry)
            raise ServiceUnavailable(service, f"The {service} service did not answer within "
                                              f"{wait:g} s.", sent=True) from None
        except UnknownService:
            self._give_back(entry)
            raise ServiceUnavailable(service, f"The {service} service is not running.") from None
        except BROKER_GONE as exc:
            self._discard(entry)
            raise ServiceUnavailable("broker", f"The message broker is unreachable: {exc}", sent=True) from None
        except BaseException:
            self._discard(entry)
            raise
        self._give_back(entry)
        return result

    @staticmethod
    def _call(entry, target, wait, args, kwargs, request_id=None):
        """The call, waiting at most ``wait`` seconds for the reply: the proxy's reply consumer waits
        with its own timeout, and its context data goes out as the call's headers, so both are set
        for this call (a proxy serves one thread at a time)."""
        consumer = entry[0]._reply_listener.queue_consumer
        context = entry[0]._worker_ctx.data
        usual = consumer.timeout
        consumer.timeout = wait
        if request_id:
            context[CONTEXT_KEY] = request_id
        try:
            return target(*args, **kwargs)
        finally:
            consumer.timeout = usual
            context.pop(CONTEXT_KEY, None)

    def close(self):
        while True:
            try:
                self._discard(self.idle.get_nowait())
            except queue.Empty:
                return
