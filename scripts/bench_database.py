"""The database half of scripts/bench: the API's read throughput with the console's state in
SQLite (the data directory) and in PostgreSQL (--database-url), side by side in one run, with wrk
on the application list and a page of 50 tasks (50 applications, so 50 tasks, in each).
Starts its own PostgreSQL (initdb, pg_ctl; as the postgres user when run as root) and a moto
server (a console on PostgreSQL manages AWS accounts only) on free loopback ports.
Usage: python3 scripts/bench_database.py BIN_DIR [SECONDS]
"""
import glob
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from bench_deploy import TOKEN, call, free_port, wait, wait_serving  # noqa: E402


def listening(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


class Postgres:
    """A throwaway PostgreSQL server on a free loopback port."""

    def __init__(self):
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        if not found:
            raise SystemExit("PostgreSQL is not installed (apt-get install postgresql)")
        self.bin = os.path.dirname(found[-1])
        self.dir = tempfile.mkdtemp(prefix="asgard-bench-pg.")
        self.port = free_port()
        self.as_postgres = os.getuid() == 0
        with open(self.dir + "/pw", "w") as f:
            f.write("bench-password")
        if self.as_postgres:
            subprocess.run(["chown", "-R", "postgres", self.dir], check=True)
        self.run("initdb", "-D", self.dir + "/data", "-U", "asgard", "--pwfile", self.dir + "/pw", "-A", "scram-sha-256", "--no-sync")
        self.run("pg_ctl", "-D", self.dir + "/data", "-l", self.dir + "/log", "-w", "-o",
                 f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1", "start")
        self.run("psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "asgard", "-d", "postgres", "-q", "-c", "CREATE DATABASE asgard",
                 env={"PGPASSWORD": "bench-password"})
        self.url = f"postgres://asgard:bench-password@127.0.0.1:{self.port}/asgard?sslmode=disable"

    def run(self, tool, *args, env=None):
        command = [self.bin + "/" + tool, *args]
        if env:
            command = ["env", *[f"{k}={v}" for k, v in env.items()], *command]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        # Output to a file: the server pg_ctl starts would hold a pipe open.
        with open(self.dir + "/tool.log", "a") as out:
            subprocess.run(command, check=True, stdout=out, stderr=out, cwd="/tmp")

    def stop(self):
        try:
            self.run("pg_ctl", "-D", self.dir + "/data", "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


def wrk(url, seconds):
    out = subprocess.run(["wrk", "-t2", "-c16", f"-d{seconds}s", "--latency", "-H", "Authorization: Bearer " + TOKEN,
                          "-H", "Accept: application/json", url], capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    return rate, float(p99.group(1)) * scale


def main(bin_dir, seconds):
    work = tempfile.mkdtemp(prefix="asgard-bench-db.")
    postgres = Postgres()
    moto_port = free_port()
    moto = subprocess.Popen(["moto_server", "-H", "127.0.0.1", "-p", str(moto_port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(work + "/aws.yaml", "w") as f:
        f.write(f"accounts:\n  - name: bench\n    provider: aws\n    regions: [us-east-1]\n    endpoint: http://127.0.0.1:{moto_port}\n")
    env = dict(os.environ, ASGARD_ADMIN_TOKEN=TOKEN, AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_PROFILE="")
    consoles = {}
    try:
        wait(lambda: listening(moto_port))
        for name, extra in [("SQLite", []), ("PostgreSQL", ["--config", work + "/aws.yaml", "--database-url", postgres.url])]:
            port = free_port()
            consoles[name] = (subprocess.Popen([bin_dir + "/asgard", "serve", "--port", str(port), "--data-dir", work + "/" + name, *extra],
                                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL), port)
        for name, (_, port) in consoles.items():
            base = f"http://127.0.0.1:{port}"
            wait_serving(base)
            for i in range(50):
                call(base, "/application/save", {"name": f"app{i:02d}", "owner": "bench", "email": "bench@example.com"})
        print(f"{'read':34} {'SQLite req/s':>13} {'p99 ms':>7} {'PostgreSQL req/s':>17} {'p99 ms':>7} {'ratio':>6}")
        for label, path in [("application list (50)", "/application/list.json"), ("task list, 50 a page", "/task/list.json?limit=50")]:
            figures = [wrk(f"http://127.0.0.1:{consoles[name][1]}{path}", seconds) for name in ("SQLite", "PostgreSQL")]
            (s_rate, s_p99), (p_rate, p_p99) = figures
            print(f"{label:34} {s_rate:13.0f} {s_p99:7.2f} {p_rate:17.0f} {p_p99:7.2f} {p_rate / s_rate:5.2f}x")
    finally:
        for process, _ in consoles.values():
            process.terminate()
            process.wait(timeout=30)
        moto.kill()
        postgres.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main(os.path.abspath(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 5)
