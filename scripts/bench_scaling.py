#!/usr/bin/env python3
"""Measures how fast a target tracking policy answers a load step: the time from the first
request of a sudden load until a newly launched instance serves through the load balancer, next
to the floor (a fresh sample-app process answering its first health check) and the policy's
evaluation (3 collections). The server collects every second (--metrics-interval 1).

Usage: python3 scripts/bench_scaling.py BIN_DIR
"""
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from bench_deploy import TOKEN, call, floor, free_port, wait, wait_serving  # noqa: E402


def main(bin_dir):
    work = tempfile.mkdtemp(prefix="asgard-bench-scaling.")
    port = free_port()
    base = "http://127.0.0.1:%d" % port
    server = subprocess.Popen([bin_dir + "/asgard", "serve", "--port", str(port), "--data-dir", work + "/data", "--metrics-interval", "1"],
                              env=dict(os.environ, ASGARD_ADMIN_TOKEN=TOKEN), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    stop = threading.Event()
    try:
        wait_serving(base)
        call(base, "/application/save", {"name": "shop", "owner": "bench", "email": "bench@example.com"})
        image = call(base, "/local/image/register", {"name": "shop", "version": "1", "command": [bin_dir + "/asgard-sample-app", "--version-label", "1"]})["imageId"]
        lb_port = free_port()
        call(base, "/local/loadBalancer/save", {"name": "shop-prod", "listenerPort": str(lb_port)})
        first = call(base, "/local/deployment/start", {"cluster": "shop-prod", "imageId": image, "strategy": "redBlack",
                                                      "capacity": {"min": 1, "desired": 1, "max": 4}, "loadBalancers": ["shop-prod"]})
        wait(lambda: call(base, "/deployment/show/%d.json" % first["taskId"])["status"] == "succeeded")
        original = {i["instanceId"] for i in call(base, "/local/autoScaling/show/shop-prod-v000.json")["instances"]}
        call(base, "/local/scalingPolicy/save", {"policyName": "keep-requests", "autoScalingGroupName": "shop-prod-v000",
                                                "predefinedMetricType": "ALBRequestCountPerTarget", "targetValue": "600", "estimatedInstanceWarmup": "5"})
        time.sleep(2)  # a few quiet collections before the step

        def load():
            while not stop.is_set():
                try:
                    urllib.request.urlopen("http://127.0.0.1:%d/" % lb_port, timeout=5).read()
                except Exception:
                    pass
        start = time.perf_counter()
        workers = [threading.Thread(target=load) for _ in range(4)]
        for worker in workers:
            worker.start()

        def new_instance_serves():
            traffic = call(base, "/local/loadBalancer/show/shop-prod.json").get("traffic") or {}
            for group in traffic.get("groups", []):
                for instance in group.get("instances", []):
                    if instance["instanceId"] not in original and instance["requests"]["total"] > 0:
                        return True
            return False
        wait(new_instance_serves, seconds=120)
        elapsed = time.perf_counter() - start
        stop.set()
        for worker in workers:
            worker.join()
        floor_seconds = floor(bin_dir, count=1)
        print("scaling:    %d ms from a load step until a new instance serves through the load balancer" % (elapsed * 1000))
        print("floor:      %d ms for a fresh sample-app process to answer its first health check" % (floor_seconds * 1000))
        print("evaluation: 3 collections of 1 s above the target (--metrics-interval 1); overhead beyond both: %d ms"
              % ((elapsed - floor_seconds - 3) * 1000))
    finally:
        stop.set()
        server.terminate()
        server.wait()
        subprocess.run(["rm", "-rf", work])


if __name__ == "__main__":
    main(sys.argv[1])
