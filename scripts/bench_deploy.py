"""The deployment half of scripts/bench: how long a 3-instance red/black deployment of the sample
app takes, from the API call until every request through the load balancer reaches the new
version, next to the floor (3 fresh sample-app processes answering their first health check),
both measured in this run.

Usage: python3 scripts/bench_deploy.py BIN_DIR
"""
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

TOKEN = "bench-admin-token-0123456789abcdef"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def call(base, path, body=None, method=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method=method or ("POST" if body is not None else "GET"))
    request.add_header("Authorization", "Bearer " + TOKEN)
    request.add_header("Accept", "application/json")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=30) as reply:
        return json.loads(reply.read() or b"null")


def get_version(port):
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d/" % port, timeout=5) as reply:
            return json.loads(reply.read()).get("version")
    except Exception:
        return None


def wait(condition, seconds=60):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if condition():
            return
        time.sleep(0.01)
    raise SystemExit("timed out")


def wait_serving(base):
    """Waits until the console at `base` answers its health check."""
    def ready():
        try:
            return urllib.request.urlopen(base + "/healthcheck", timeout=1).status == 200
        except Exception:
            return False
    wait(ready)


def floor(bin_dir, count=3):
    """Seconds until `count` fresh sample-app processes all answer GET /health."""
    ports = [free_port() for _ in range(count)]
    start = time.perf_counter()
    procs = [subprocess.Popen([bin_dir + "/asgard-sample-app"], env=dict(os.environ, PORT=str(p), ASGARD_INSTANCE_ID="i-%017x" % p),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for p in ports]
    pending = set(ports)
    try:
        while pending:
            for port in list(pending):
                try:
                    with urllib.request.urlopen("http://127.0.0.1:%d/health" % port, timeout=1) as reply:
                        if reply.status == 200:
                            pending.discard(port)
                except Exception:
                    pass
            time.sleep(0.002)
        return time.perf_counter() - start
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait()


def main(bin_dir):
    work = tempfile.mkdtemp(prefix="asgard-bench-deploy.")
    port = free_port()
    base = "http://127.0.0.1:%d" % port
    server = subprocess.Popen([bin_dir + "/asgard", "serve", "--port", str(port), "--data-dir", work + "/data"],
                              env=dict(os.environ, ASGARD_ADMIN_TOKEN=TOKEN), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_serving(base)
        call(base, "/application/save", {"name": "shop", "owner": "bench", "email": "bench@example.com"})
        images = [call(base, "/local/image/register", {"name": "shop", "version": v,
                                                        "command": [bin_dir + "/asgard-sample-app", "--version-label", v]})["imageId"]
                  for v in ("1", "2")]
        lb_port = free_port()
        call(base, "/local/loadBalancer/save", {"name": "shop-prod", "listenerPort": str(lb_port)})

        def deploy(image):
            accepted = call(base, "/local/deployment/start", {"cluster": "shop-prod", "imageId": image, "strategy": "redBlack",
                                                             "capacity": {"min": 3, "desired": 3, "max": 3}, "loadBalancers": ["shop-prod"]})
            return accepted["taskId"]

        def finished(task):
            return call(base, "/deployment/show/%d.json" % task)["status"] in ("succeeded", "failed", "canceled")

        first = deploy(images[0])
        wait(lambda: finished(first))
        wait(lambda: get_version(lb_port) == "1")

        samples = []
        start = time.perf_counter()
        task = deploy(images[1])
        while True:
            samples.append((time.perf_counter() - start, get_version(lb_port)))
            if samples[-1][1] == "2" and finished(task):
                break
            if samples[-1][0] > 120:
                raise SystemExit("the deployment did not finish")
        # Keep sampling a little: every answer from now on must be the new version.
        settle = time.perf_counter()
        while time.perf_counter() - settle < 0.5:
            samples.append((time.perf_counter() - start, get_version(lb_port)))
        last_old = max((t for t, v in samples if v != "2"), default=0.0)
        after = [t for t, v in samples if v == "2" and t > last_old]
        deploy_seconds = after[0] if after else float("nan")
        failures = sum(1 for _, v in samples if v is None)
        floor_seconds = floor(bin_dir)
        print("deployment: %d ms from the API call until every request reaches the new version (%d requests sampled, %d failed)"
              % (deploy_seconds * 1000, len(samples), failures))
        print("floor:      %d ms for 3 fresh sample-app processes to answer their first health check" % (floor_seconds * 1000))
        print("overhead:   %d ms   (goal <= 100 ms)" % ((deploy_seconds - floor_seconds) * 1000))

        # A canary of a version that fails 30 % of its requests, under a steady load.
        bad = call(base, "/local/image/register", {"name": "shop", "version": "3-bad",
                                                   "command": [bin_dir + "/asgard-sample-app", "--version-label", "3", "--error-rate", "0.3"]})["imageId"]
        stop = threading.Event()
        seen = []
        def load():
            while not stop.is_set():
                seen.append((time.perf_counter(), get_version(lb_port)))
        workers = [threading.Thread(target=load) for _ in range(4)]
        for worker in workers:
            worker.start()
        try:
            accepted = call(base, "/local/deployment/start", {"cluster": "shop-prod", "imageId": bad, "strategy": "canary",
                                                             "capacity": {"min": 1, "desired": 1, "max": 1},
                                                             "canary": {"steps": [{"setWeight": 10}, {"analyze": {"durationSeconds": 30, "intervalSeconds": 1}},
                                                                                  {"setWeight": 100}]}})
            wait(lambda: finished(accepted["taskId"]))
            ended = time.perf_counter()
            time.sleep(0.5)
        finally:
            stop.set()
            for worker in workers:
                worker.join()
        shown = call(base, "/deployment/show/%d.json" % accepted["taskId"])
        zero = [line["message"] for line in shown.get("log", []) if line["message"].startswith("The canary gets 0 % of the requests ")]
        millis = int(zero[0].split(" ms after")[0].split()[-1]) if zero else -1
        judged = shown.get("intervals") or [{}]
        print("canary:     %s after %d judgment(s): %s" % (shown["status"], len(judged), (shown.get("rollbackReason") or "")[:100]))
        print("rollback:   %d ms from the failing verdict until every load balancer sends the canary 0 %% (goal <= 1000 ms)" % millis)
        late = [t for t, v in seen if v == "3" and t > ended]
        print("            %d answers from the canary after the deployment ended" % len(late))
    finally:
        server.terminate()
        server.wait()
        subprocess.run(["rm", "-rf", work])


if __name__ == "__main__":
    main(sys.argv[1])
