"""A proxy between the console and moto that answers a share of AWS calls with a fault.

    fault_proxy.py PORT TARGET_URL SHARE SEED [count]

Each POST is, at random (SEED), one of: passed through; answered 400 Throttling or 503 without
reaching moto; or passed to moto with its answer replaced by a 503 (a lost answer: the change was
made, the caller does not know). Never more than two faults in a row for one action, so that a
client with four tries always gets through. Every create's first answer is lost, to check that nothing is created
twice. GET /faults answers what was done, as JSON lines of [action, outcome]. With `count` it
injects nothing at all (SHARE is ignored): a proxy that counts the calls of each action.
"""
import json
import random
import sys
import threading
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

port, target, share, seed = int(sys.argv[1]), sys.argv[2].rstrip("/"), float(sys.argv[3]), int(sys.argv[4])
count_only = sys.argv[5:6] == ["count"]
rng = random.Random(seed)
lock = threading.Lock()
record = []
state = {"in_a_row": {}, "creates_seen": set()}

THROTTLE = (400, b'<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>fault</RequestId></ErrorResponse>')
UNAVAILABLE = (503, b'<ErrorResponse><Error><Type>Receiver</Type><Code>ServiceUnavailable</Code><Message>Service is unavailable</Message></Error><RequestId>fault</RequestId></ErrorResponse>')


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        with lock:
            body = "\n".join(json.dumps(r) for r in record).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        action = urllib.parse.parse_qs(body.decode()).get("Action", ["?"])[0]
        with lock:
            if count_only:
                outcome = "pass"
            elif action.startswith("Create") and action not in state["creates_seen"]:
                state["creates_seen"].add(action)
                outcome = "lost"
            elif state["in_a_row"].get(action, 0) < 2 and rng.random() < share:
                outcome = rng.choice(["throttle", "unavailable", "lost"])
            else:
                outcome = "pass"
            state["in_a_row"][action] = 0 if outcome == "pass" else state["in_a_row"].get(action, 0) + 1
            record.append([action, outcome])
        if outcome == "throttle":
            return self.answer(*THROTTLE)
        if outcome == "unavailable":
            return self.answer(*UNAVAILABLE)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length", "connection")}
        request = urllib.request.Request(target + self.path, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                status, data = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, data = error.code, error.read()
        if outcome == "lost":
            return self.answer(*UNAVAILABLE)
        self.answer(status, data)

    def answer(self, status, data):
        self.send_response(status)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
