"""A small closed-loop HTTP load generator: threads with keep-alive connections."""
import http.client
import statistics
import threading
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class LoadResult:
    """Throughput and latency of one load run."""

    requests: int
    errors: int
    seconds: float
    latencies: list
    acknowledged: list = ()

    @property
    def per_second(self):
        """Return completed requests per second."""
        return self.requests / self.seconds

    def percentile(self, share):
        """Return a latency percentile in milliseconds."""
        ordered = sorted(self.latencies)
        return 1000 * ordered[min(len(ordered) - 1, int(share * len(ordered)))]

    @property
    def median(self):
        """Return the median latency in milliseconds."""
        return 1000 * statistics.median(self.latencies)


def run_load(port, path, concurrency, seconds, body=None, headers=None, ok=(200,)):
    """Send requests to path from `concurrency` clients for `seconds`; return what came back.

    With body (a function returning bytes) each request is a POST of a fresh body.
    """
    deadline = time.perf_counter() + seconds
    latencies, errors, lock = [], [0], threading.Lock()
    acknowledged = []

    def client():
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        mine, failed, acked = [], 0, []
        while time.perf_counter() < deadline:
            payload = body() if body else None
            started = time.perf_counter()
            try:
                connection.request("POST" if body else "GET", path, body=payload,
                                   headers=headers or {})
                response = connection.getresponse()
                answer = response.read()
                if response.status not in ok:
                    failed += 1
                elif body:
                    acked.append(answer)
                mine.append(time.perf_counter() - started)
            except (OSError, http.client.HTTPException):
                failed += 1
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.close()
        with lock:
            latencies.extend(mine)
            errors[0] += failed
            acknowledged.extend(acked)

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return LoadResult(len(latencies), errors[0], time.perf_counter() - started, latencies,
                      acknowledged)
