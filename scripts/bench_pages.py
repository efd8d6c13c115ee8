"""The pages half of scripts/bench: how long the console takes to answer its busiest pages with a
cluster of 50 server groups (10 of them with a running instance behind a load balancer), each
page fetched 30 times over loopback after a warm-up; prints the median and p90 of each next to
the goal (50 ms), and the same for the JSON of the cluster and the task list.
Usage: python3 scripts/bench_pages.py BIN_DIR
"""
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from bench_deploy import TOKEN, call, free_port, wait, wait_serving  # noqa: E402

GOAL_MS = 50.0


def fetch(base, path, accept):
    """GETs `path` as `accept` and reads the whole answer."""
    request = urllib.request.Request(base + path, headers={"Authorization": "Bearer " + TOKEN, "Accept": accept})
    with urllib.request.urlopen(request, timeout=60) as reply:
        return reply.read()


def timed(base, path, accept):
    times = []
    for _ in range(3):
        fetch(base, path, accept)
    for _ in range(30):
        start = time.perf_counter()
        fetch(base, path, accept)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.9) - 1]


def main(bin_dir):
    work = tempfile.mkdtemp(prefix="asgard-bench-pages.")
    port = free_port()
    base = "http://127.0.0.1:%d" % port
    server = subprocess.Popen([bin_dir + "/asgard", "serve", "--port", str(port), "--data-dir", work + "/data"],
                              env=dict(os.environ, ASGARD_ADMIN_TOKEN=TOKEN), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_serving(base)
        call(base, "/application/save", {"name": "shop", "owner": "bench", "email": "bench@example.com"})
        image = call(base, "/local/image/register", {"name": "shop", "version": "1.0.0",
                                                     "command": [bin_dir + "/asgard-sample-app", "--version-label", "1.0.0"]})["imageId"]
        call(base, "/local/loadBalancer/save", {"name": "shop-prod", "listenerPort": str(free_port())})
        for i in range(50):
            running = i >= 40
            call(base, "/local/autoScaling/save", {"appName": "shop", "stack": "prod", "imageId": image,
                                                   "minSize": "0", "desiredCapacity": "1" if running else "0", "maxSize": "1",
                                                   "selectedLoadBalancers": ["shop-prod"] if running else []})
        wait(lambda: sum(1 for i in call(base, "/local/instance/list.json") if i["lifecycleState"] == "InService") >= 10)
        groups = call(base, "/local/cluster/show/shop-prod.json")["autoScalingGroups"]
        newest = groups[-1]["autoScalingGroupName"]
        pages = [("cluster page, 50 groups", "/local/cluster/show/shop-prod", "text/html"),
                 ("cluster JSON, 50 groups", "/local/cluster/show/shop-prod.json", "application/json"),
                 ("server group page", "/local/autoScaling/show/" + newest, "text/html"),
                 ("home page", "/", "text/html"),
                 ("task list page", "/task/list", "text/html"),
                 ("deployments page", "/deployment/list", "text/html"),
                 ("search page", "/local/search?q=shop-prod-v04", "text/html")]
        print(f"{'page':28} {'median ms':>10} {'p90 ms':>8}   goal")
        for label, path, accept in pages:
            median, p90 = timed(base, path, accept)
            verdict = "ok" if p90 <= GOAL_MS else "over"
            print(f"{label:28} {median:10.1f} {p90:8.1f}   <= {GOAL_MS:.0f} ms ({verdict})")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main(os.path.abspath(sys.argv[1]))
