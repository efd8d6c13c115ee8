#!/usr/bin/env python3
"""The fleet-scale half of scripts/bench (`scripts/bench fleet --instances N`): the console in
front of a synthetic AWS region (Tests/aws/fleet_sim.py, which answers AWS's read calls with
AWS's XML and pagination; moto cannot serve such fleets), side by side with the floors:
1. the time to fill the cache from the console's start, next to the floor (the calls needed at
   the account's request budget, and the simulator's own answer time);
2. resident memory per cached instance (the console's growth from an empty region);
3. the whole instance list under wrk -t2 -c16, next to nginx serving the same bytes from a file;
4. a page of 50 instances and one application's clusters: the first answer after a change (which
   builds it) alone, then p99 under wrk once it is kept;
5. the lag of a change made through the console (from the call's return until every list shows it);
6. memory after 10 whole-region refreshes, next to memory before them (with the list answers the
   steps above made kept as encoded bytes).

Usage: python3 scripts/bench_fleet.py BIN_DIR [--instances N] [--seconds S] [--budget CALLS_PER_S]
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from bench_deploy import TOKEN, free_port, wait_serving  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def get(base, path, headers=None):
    """(status, headers, body) of a GET as the admin."""
    request = urllib.request.Request(base + path)
    request.add_header("Authorization", "Bearer " + TOKEN)
    request.add_header("Accept", "application/json")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=120) as reply:
            return reply.status, dict(reply.headers), reply.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def post(base, path, fields):
    data = urllib.parse.urlencode(fields).encode()
    request = urllib.request.Request(base + path, data=data, method="POST")
    request.add_header("Authorization", "Bearer " + TOKEN)
    request.add_header("Accept", "application/json")
    request.add_header("Content-Type", "application/x-www-form-urlencoded")
    try:
        with urllib.request.urlopen(request, timeout=300) as reply:
            return json.loads(reply.read() or b"null")
    except urllib.error.HTTPError as error:
        raise SystemExit("POST %s answered %d: %s" % (path, error.code, error.read().decode()[:500]))


def rss_bytes(pid):
    with open("/proc/%d/status" % pid) as status:
        return int(re.search(r"VmRSS:\s+(\d+) kB", status.read()).group(1)) * 1024


def settled_rss(pid, seconds=5):
    """The resident size once it stops moving (what a read leaves is handed back just after the
    read lands), or after `seconds`."""
    last = rss_bytes(pid)
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        time.sleep(0.25)
        now = rss_bytes(pid)
        if abs(now - last) < 1 << 20:
            return now
        last = now
    return last


def wrk(url, seconds, connections=16, header=True):
    command = ["wrk", "-t2", "-c%d" % connections, "-d%ds" % seconds, "--latency"]
    if header:
        command += ["-H", "Authorization: Bearer " + TOKEN, "-H", "Accept: application/json"]
    text = subprocess.run(command + [url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", text)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    return rps, float(p99.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)], int(errors.group(1)) if errors else 0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("bin_dir")
    parser.add_argument("--instances", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--budget", type=int, default=100, help="the account's AWS calls per second (aws.requestsPerSecond)")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="asgard-bench-fleet.")
    processes = []
    try:
        # The simulated region.
        started = time.perf_counter()
        sim = subprocess.Popen([sys.executable, ROOT + "/Tests/aws/fleet_sim.py", "--instances", str(args.instances), "--port", "0"],
                               stdout=subprocess.PIPE, text=True)
        processes.append(sim)
        line = sim.stdout.readline()
        match = re.search(r"listening on (http://\S+)", line)
        if not match:
            raise SystemExit("the fleet simulator did not start: %r" % line)
        endpoint = match.group(1)
        sim_start = time.perf_counter() - started
        with urllib.request.urlopen(endpoint + "/_sim/stats") as reply:
            groups = json.loads(reply.read())["groups"]
        print("Simulated region: %d instances in %d groups of 50, 1000 applications (simulator ready in %.1f s)" % (args.instances, groups, sim_start))

        # The console, started empty; its resident memory before the region is read.
        with open(work + "/asgard.yaml", "w") as config:
            config.write("accounts:\n  - name: sim\n    provider: aws\n    regions: [us-east-1]\n    endpoint: %s\n"
                         "aws:\n  requestsPerSecond: %d\n  cacheRefreshSeconds: 3600\n" % (endpoint, args.budget))
        port = free_port()
        base = "http://127.0.0.1:%d" % port
        env = dict(os.environ, AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", ASGARD_ADMIN_TOKEN=TOKEN)
        with open(work + "/console.log", "w") as log:
            console = subprocess.Popen([args.bin_dir + "/asgard", "serve", "--config", work + "/asgard.yaml", "--port", str(port),
                                        "--data-dir", work + "/data"], env=env, stdout=log, stderr=log)
        processes.append(console)
        launched = time.perf_counter()
        wait_serving(base)
        empty = rss_bytes(console.pid)
        urllib.request.urlopen(urllib.request.Request(endpoint + "/_sim/reset-stats", data=b"", method="POST")).read()

        # 1. Filling the cache: from the start until the whole list answers.
        while True:
            status, headers, _ = get(base, "/us-east-1/instance/list.json?limit=1")
            if status == 200 and headers.get("X-Total-Count") == str(args.instances):
                break
            if time.perf_counter() - launched > 1800:
                raise SystemExit("the region did not fill in 30 min (last answer %d)" % status)
            time.sleep(0.05)
        fill = time.perf_counter() - launched
        with urllib.request.urlopen(endpoint + "/_sim/stats") as reply:
            stats = json.loads(reply.read())
        calls = sum(stats["calls"].values())
        floor = max(calls / args.budget, stats["answerSeconds"])
        print("1. cache filled in %.1f s; floor %.1f s (%d calls at %d calls/s = %.1f s; the simulator's own answer time %.1f s) -> %.1fx the floor"
              % (fill, floor, calls, args.budget, calls / args.budget, stats["answerSeconds"], fill / floor if floor else 0))

        # 2. Memory per cached instance.
        filled = settled_rss(console.pid)
        print("2. resident memory: %.0f MB empty, %.0f MB filled: %.0f bytes per cached instance (goal <= 1024)"
              % (empty / 1e6, filled / 1e6, (filled - empty) / args.instances))

        # 3. The whole list next to nginx serving the same bytes.
        status, headers, body = get(base, "/us-east-1/instance/list.json")
        assert status == 200, status
        site = work + "/site"
        os.makedirs(site)
        # nginx's workers read the file as another user.
        os.chmod(work, 0o755)
        os.chmod(site, 0o755)
        with open(site + "/list.json", "wb") as out:
            out.write(body)
        os.chmod(site + "/list.json", 0o644)
        nginx_port = free_port()
        nginx_bin = shutil.which("nginx") or "/usr/sbin/nginx"
        with open(work + "/nginx.conf", "w") as conf:
            conf.write("""worker_processes 2; pid %s/nginx.pid; error_log %s/nginx-error.log; daemon off;
events { worker_connections 1024; }
http { access_log off; default_type application/json; keepalive_requests 100000;
  server { listen 127.0.0.1:%d; root %s; } }
""" % (work, work, nginx_port, site))
        nginx = subprocess.Popen([nginx_bin, "-c", work + "/nginx.conf", "-p", work], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        processes.append(nginx)
        time.sleep(0.5)
        ours = wrk(base + "/us-east-1/instance/list.json", args.seconds)
        theirs = wrk("http://127.0.0.1:%d/list.json" % nginx_port, args.seconds, header=False)
        if ours[2] or theirs[2]:
            raise SystemExit("non-2xx answers: asgard %d, nginx %d" % (ours[2], theirs[2]))
        print("3. whole instance list (%.1f MB): asgard %.0f req/s, p99 %.1f ms; nginx (same bytes) %.0f req/s, p99 %.1f ms -> %.2fx nginx (goal >= 0.5x)"
              % (len(body) / 1e6, ours[0], ours[1], theirs[0], theirs[1], ours[0] / theirs[0]))

        # 4. A page of 50, one application's clusters: the first answer (the build after a
        # change) timed alone, then wrk on the kept answer (wrk's percentiles count the wait of
        # all its connections for that one build many times over).
        post(base, "/application/save", {"name": "app0007", "owner": "bench", "email": "bench@example.com"})
        paths = ["/us-east-1/instance/list.json?limit=50&offset=%d" % (args.instances // 2), "/us-east-1/cluster/list.json?app=app0007",
                 "/application/show/app0007.json"]
        first = []
        for path in paths:
            began = time.perf_counter()
            status, _, _ = get(base, path)
            assert status == 200, (path, status)
            first.append((time.perf_counter() - began) * 1000)
        page, clusters, show = (wrk(base + path, args.seconds) for path in paths)
        print("4. a page of 50: p99 %.1f ms (%.0f req/s; its first answer %.0f ms); one application's clusters: p99 %.1f ms (%.0f req/s; first %.0f ms); "
              "application/show with its clusters in every region: p99 %.1f ms (%.0f req/s; first %.0f ms)"
              % (page[1], page[0], first[0], clusters[1], clusters[0], first[1], show[1], show[0], first[2]))

        # 5. The lag of a change made through the console.
        _, _, listed = get(base, "/us-east-1/autoScaling/list.json?app=app0009&limit=1")
        group = json.loads(listed)[0]
        target = group["desiredCapacity"] + 1
        post(base, "/us-east-1/autoScaling/update", {"name": group["autoScalingGroupName"], "minSize": 0, "desiredCapacity": target,
                                                    "maxSize": max(target, group["maxSize"])})
        returned = time.perf_counter()
        while True:
            _, _, shown = get(base, "/us-east-1/autoScaling/list.json?q=%s" % group["autoScalingGroupName"])
            if json.loads(shown)[0]["desiredCapacity"] == target:
                break
            if time.perf_counter() - returned > 60:
                raise SystemExit("the change did not show in 60 s")
        print("5. a change through the console shows in the lists %.0f ms after its call returned (goal <= 100 ms)"
              % ((time.perf_counter() - returned) * 1000))

        # 6. Memory after 10 whole-region refreshes, next to before them.
        before = settled_rss(console.pid)
        for _ in range(10):
            post(base, "/us-east-1/cache/refresh", {})
        after = settled_rss(console.pid)
        print("6. after 10 whole-region refreshes: %.0f MB, before them %.0f MB (%+.0f MB); the kept list answers (the whole list's %.1f MB among them) "
              "took it from %.0f MB filled: %.0f bytes per instance with them, %.0f without"
              % (after / 1e6, before / 1e6, (after - before) / 1e6, len(body) / 1e6, filled / 1e6, (after - empty) / args.instances,
                 (after - empty - len(body)) / args.instances))
    finally:
        for process in processes:
            process.kill()
            process.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
