"""A boundary fuzzer for the console's numbers: every integer, number and boolean field of the API
gets 0, 1, -1, 2^31, 2^53, 2^63-1, -2^63, 1e308, 1e-300, NaN and Infinity, each as a JSON number
(where JSON has one), as a JSON string and as a form field, with valid values in every other
field (fixtures it makes first), so that each value reaches the deep validation and the code
behind it. Nested JSON documents (deployment steps, canary settings, step adjustments, target
tracking) get hand-written cases. Then scaling policies with boundary values are made to act
(an alarm that is always in ALARM, a target tracking policy on a group with traffic), and the
server must survive the next metrics tick and scheduler tick.

Usage: python3 boundary_fuzz.py BASE_URL ADMIN_TOKEN SAMPLE_APP_BINARY [--only REGEX] [--exclude REGEX] [--list] [--strict]

  --only / --exclude  run only / skip the cases whose id matches (ids as --list prints them,
                      e.g. "POST /{region}/deployment/start steps.judgment.minutes=2^63-1 json-number")
  --list              print the case ids and exit (after the fixtures, which the ids need)
  --strict            also fail on the wrong answers that are no crash, which are otherwise
                      printed as warnings: a value accepted as a JSON string but refused as a JSON
                      number (or the other way), a value that is no whole number (NaN, 1e308 ...)
                      accepted for an integer field, and processes of the local cloud left running
                      after their load balancer or instance is gone

About 4,000 requests (2,950 cases) in 1.5 minutes against a debug build started with
--metrics-interval 1.

Environment: ASGARD_SERVER_PID (the server's process, checked alive at the end and on a
connection error), ASGARD_SERVER_LOG (its log file; the failure and the crashed thread's frames
are printed when it dies), BOUNDARY_FUZZ_DUMP (a file to write every flat case's answers to, JSON).

Every answer must be 2xx, 3xx or a 4xx with a message ({"error": {"message": "..."}}); a 5xx, a
4xx without a message, a timeout (10 s) or a connection error is a finding. Exit 0 and a last
line "PASS <n> requests, no 5xx, server up", or exit 1 and a last line "FAIL ...".
"""
import http.client
import json
import os
import random
import re
import socket
import string
import sys
import threading
import time
import urllib.parse
from collections import Counter, OrderedDict

TIMEOUT = 10
MARK = "@@BOUNDARY@@"

# (label, JSON number literal or None where JSON has none, text for a JSON string or a form field)
VALUES = [
    ("0", "0", "0"),
    ("1", "1", "1"),
    ("-1", "-1", "-1"),
    ("2^31", "2147483648", "2147483648"),
    ("2^53", "9007199254740992", "9007199254740992"),
    ("2^63-1", "9223372036854775807", "9223372036854775807"),
    ("-2^63", "-9223372036854775808", "-9223372036854775808"),
    ("1e308", "1e308", "1e308"),
    ("1e-300", "1e-300", "1e-300"),
    ("NaN", None, "NaN"),
    ("Infinity", None, "Infinity"),
]
NUMERIC_TYPES = ("integer", "number", "boolean")


class ServerDied(Exception):
    pass


class Reply:
    def __init__(self, status, text, headers=None, error=None):
        self.status, self.text, self.headers, self.error = status, text, headers or {}, error

    def json(self):
        try:
            return json.loads(self.text)
        except ValueError:
            return None


class Fuzzer:
    def __init__(self, base, token, sample_app, only=None, exclude=None):
        parts = urllib.parse.urlsplit(base.rstrip("/"))
        self.host, self.port, self.prefix = parts.hostname, parts.port or 80, parts.path.rstrip("/")
        self.base = base.rstrip("/")
        self.token, self.sample_app = token, sample_app
        self.only = re.compile(only) if only else None
        self.exclude = re.compile(exclude) if exclude else None
        self.requests = 0
        self.by_endpoint = Counter()
        self.findings = []
        self.recent = []          # the last requests, newest last, for a crash report
        self.accepted = []        # the last accepted (2xx) fuzz requests
        self.counter = 0
        self.sfx = "".join(random.choice(string.ascii_lowercase) for _ in range(3)) + str(random.randint(0, 9))
        self.pid = int(os.environ["ASGARD_SERVER_PID"]) if os.environ.get("ASGARD_SERVER_PID", "").isdigit() else None
        self.log = os.environ.get("ASGARD_SERVER_LOG")
        self.dead = None
        self.pools = {}
        self.outcomes = {}        # (path, field, label) -> {encoding: (status, snippet)}
        self.strict = False
        self.types = {}           # (path, field) -> the schema's type

    # ---------------------------------------------------------------- HTTP

    def send(self, method, path, body=None, ctype=None, timeout=TIMEOUT, endpoint=None, token=None):
        """One request; never raises: a failure is a Reply with status None and error set."""
        headers = {"Accept": "application/json", "Authorization": "Bearer " + (token or self.token)}
        data = None
        if body is not None:
            data = body.encode() if isinstance(body, str) else body
            headers["Content-Type"] = ctype
        self.requests += 1
        self.by_endpoint[endpoint or (method + " " + endpoint_of(path) + " (setup, clean-up)")] += 1
        conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            conn.request(method, self.prefix + path, body=data, headers=headers)
            response = conn.getresponse()
            text = response.read().decode("utf-8", "replace")
            return Reply(response.status, text, dict(response.getheaders()))
        except socket.timeout:
            return Reply(None, "", error=f"no answer within {timeout} s")
        except (OSError, http.client.HTTPException) as error:
            return Reply(None, "", error=f"{type(error).__name__}: {error}")
        finally:
            conn.close()

    def get(self, path, **kw):
        return self.send("GET", path, **kw)

    def post_json(self, path, obj, **kw):
        return self.send("POST", path, json.dumps(obj), "application/json", **kw)

    def post_form(self, path, pairs, **kw):
        return self.send("POST", path, urllib.parse.urlencode(pairs), "application/x-www-form-urlencoded", **kw)

    # ---------------------------------------------------------------- liveness

    def process_alive(self):
        if self.pid is None:
            return True
        try:
            with open(f"/proc/{self.pid}/stat") as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
            return state not in ("Z", "X")
        except OSError:
            try:
                os.kill(self.pid, 0)
                return True
            except OSError:
                return False

    def server_alive(self):
        if not self.process_alive():
            return False
        for _ in range(3):
            conn = http.client.HTTPConnection(self.host, self.port, timeout=3)
            try:
                conn.request("GET", self.prefix + "/healthcheck")
                if conn.getresponse().status in (200, 503):
                    return True
            except (OSError, http.client.HTTPException):
                pass
            finally:
                conn.close()
            time.sleep(0.3)
        return False

    def died(self, what):
        lines = [f"SERVER DIED {what}"]
        for entry in self.recent[-3:]:
            lines.append(f"    recent request: {entry}")
        for entry in self.accepted[-3:]:
            lines.append(f"    recently accepted: {entry}")
        lines += ["    server log: " + line for line in self.crash_excerpt()]
        self.dead = "\n".join(lines)
        raise ServerDied(self.dead)

    def crash_excerpt(self):
        """The failure and the first frames of the crashed thread from the server's log, once the
        process has ended (the backtrace takes a while), else its last lines."""
        if not (self.log and os.path.exists(self.log)):
            return []
        deadline = time.time() + 30
        while self.pid is not None and self.process_alive() and time.time() < deadline:
            time.sleep(0.5)
        with open(self.log, errors="replace") as f:
            text = f.read().splitlines()
        start = max([i for i, line in enumerate(text) if "*** Signal" in line or "Fatal error" in line] or [-1])
        if start < 0:
            return text[-15:]
        out = [line for line in text[start:start + 8] if "***" in line or "Fatal error" in line or "error:" in line]
        crashed = next((i for i in range(start, len(text)) if "crashed:" in text[i]), None)
        if crashed is not None:
            out += [" ".join(line.split()) for line in text[crashed + 1:crashed + 40] if "/Sources/" in line][:6]
        return out

    # ---------------------------------------------------------------- checking

    def check(self, reply, where, aux=False):
        """Records a finding when the answer is a 5xx, a 4xx without a message or no answer."""
        self.recent = (self.recent + [where])[-20:]
        if reply.status is None:
            if not self.server_alive():
                self.died(f"after {where}: {reply.error}")
            self.findings.append(f"{where} -> {reply.error}")
            return False
        if reply.status >= 500:
            self.findings.append(f"{where} -> {reply.status} {snippet(reply.text)}")
            return False
        if 400 <= reply.status < 500:
            body = reply.json()
            message = body.get("error", {}).get("message") if isinstance(body, dict) and isinstance(body.get("error"), dict) else None
            if not (isinstance(message, str) and message.strip()):
                self.findings.append(f"{where} -> {reply.status} without a message: {snippet(reply.text)}")
                return False
        elif not aux and 200 <= reply.status < 300:
            self.accepted = (self.accepted + [where])[-10:]
        return True

    def must(self, reply, what, ok=(200, 201, 202)):
        """For fixtures: the answer must be one of `ok`."""
        self.check(reply, "setup: " + what, aux=True)
        if reply.status not in ok:
            raise SystemExit(f"FAIL setup: {what} answered {reply.status} {reply.error or ''} {snippet(reply.text, 500)}")
        return reply.json()

    def aux(self, method, path, obj=None, what=None):
        """A helper request (clean-up, reset); checked, but not a fuzz case."""
        reply = self.post_json(path, obj or {}) if method == "POST" else self.get(path)
        self.check(reply, f"aux {method} {path} {what or ''}".rstrip(), aux=True)
        return reply

    def fresh(self, prefix):
        # "n" before the counter: a name ending in v<digits> (the suffix's last letter a "v")
        # would read as a push version, which names may not end in.
        self.counter += 1
        return f"{prefix}{self.sfx}n{self.counter}"

    # ---------------------------------------------------------------- fixtures

    def wait_ready(self):
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.get("/healthcheck").status == 200:
                return
            time.sleep(0.5)
        raise SystemExit("FAIL the server is not ready: /healthcheck did not answer 200 within 60 s")

    def setup(self):
        s = self.sfx
        self.app = "fuzz"
        reply = self.post_json("/application/save", {"name": self.app, "owner": "fuzz", "email": "fuzz@example.com",
                                                     "description": "boundary fuzzing"})
        self.must(reply, "create the application", ok=(201, 409))
        self.user, self.password = f"fuzz-{s}", "fuzz-password-" + s + "-0123"
        self.must(self.post_json("/user/save", {"name": self.user, "password": self.password, "roles": ["viewer"],
                                                "applications": {self.app: "deployer"}}), "create a user", ok=(200, 201))
        created = self.must(self.post_json("/token/create", {"name": f"fuzz-{s}", "user": self.user}), "create a token", ok=(200, 201))
        self.user_token = created.get("token")
        self.images = []
        for version in ("1.0.0", "2.0.0"):
            image = self.must(self.post_json("/local/image/register", {
                "name": self.app, "version": f"{version}-{s}", "command": [self.sample_app, "--version-label", version]}),
                f"register image {version}", ok=(200, 201))
            self.images.append(image["imageId"])
        self.lb_main = self.make_lb(f"fuzz-m{s}")
        self.lb_deep = self.make_lb(f"fuzz-x{s}")
        self.lb_update = self.make_lb(f"fuzz-u{s}")
        self.lb_canary = self.make_lb(f"fuzz-c{s}")
        self.g_main = self.make_group(f"m{s}", 1, 1, 3, [self.lb_main[0]])
        self.g_deep = self.make_group(f"x{s}", 1, 1, 2, [self.lb_deep[0]])
        self.g_scale = self.make_group(f"q{s}", 0, 0, 2)
        self.g_resize = self.make_group(f"r{s}", 0, 0, 2)
        self.g_term = self.make_group(f"t{s}", 3, 0, 5)
        self.g_next = self.make_group(f"n{s}", 0, 0, 1)
        self.policy = "fuzz-policy"
        self.must(self.post_json("/local/scalingPolicy/save", {
            "policyName": self.policy, "autoScalingGroupName": self.g_scale, "policyType": "SimpleScaling",
            "adjustmentType": "ChangeInCapacity", "scalingAdjustment": "1"}), "create a scaling policy", ok=(200, 201))
        self.must(self.post_json("/local/alarm/save", {
            "alarmName": "fuzz-alarm", "autoScalingGroupName": self.g_scale, "metricName": "CPUUtilization",
            "threshold": "1000000000", "comparisonOperator": "GreaterThanThreshold", "alarmActions": [self.policy]}),
            "create an alarm", ok=(200, 201))
        self.must(self.post_json("/local/scheduledAction/save", {
            "scheduledActionName": "fuzz-schedule", "autoScalingGroupName": self.g_scale, "recurrence": "0 3 1 1 *",
            "desiredCapacity": "0"}), "create a scheduled action", ok=(200, 201))
        # The groups with instances serve before the sweep starts.
        self.wait_in_service(self.g_main, 1)
        self.wait_in_service(self.g_deep, 1)
        self.wait_in_service(self.g_term, 3)
        metrics = self.get(f"/local/autoScaling/metrics/{self.g_deep}.json").json()
        self.interval = metrics.get("intervalSeconds", 1) if isinstance(metrics, dict) else 1
        if self.interval > 2:
            print(f"note: the metrics interval is {self.interval} s; start the server with --metrics-interval 1 for a quick run",
                  flush=True)

    def make_lb(self, name):
        port = free_port()
        self.must(self.post_json("/local/loadBalancer/save", {"name": name, "listenerPort": str(port), "interval": "2",
                                                              "timeout": "1", "healthyThreshold": "2"}),
                  f"create load balancer {name}", ok=(200, 201))
        return name, port

    def make_group(self, stack, desired, minimum, maximum, balancers=None, app=None):
        fields = {"appName": app or self.app, "stack": stack, "imageId": self.images[0], "minSize": str(minimum),
                  "desiredCapacity": str(desired), "maxSize": str(maximum), "healthCheckGracePeriod": "0"}
        if balancers:
            fields["selectedLoadBalancers"] = balancers
        group = self.must(self.post_json("/local/autoScaling/save", fields), f"create server group {stack}", ok=(200, 201))
        return group["autoScalingGroupName"]

    def instances(self, group):
        reply = self.get(f"/local/autoScaling/show/{group}.json")
        body = reply.json() if reply.status == 200 else None
        return body.get("instances", []) if isinstance(body, dict) else []

    def wait_in_service(self, group, count, seconds=30):
        deadline = time.time() + seconds
        while time.time() < deadline:
            if len([i for i in self.instances(group) if i.get("lifecycleState") == "InService"]) >= count:
                return True
            time.sleep(0.3)
        return False

    def task_ended(self, task_id, seconds):
        deadline = time.time() + seconds
        while time.time() < deadline:
            body = self.get(f"/task/show/{task_id}.json").json()
            if isinstance(body, dict) and body.get("status") not in ("running", "pending", None):
                return True
            time.sleep(0.2)
        return False

    def cancel(self, reply, wait=0):
        """Cancels the deployment a 202 started; with `wait`, answers whether it ended in time."""
        body = reply.json()
        task_id = body.get("taskId") if isinstance(body, dict) else None
        if task_id is None:
            return False
        self.aux("POST", "/task/cancel", {"id": str(task_id)}, f"(cancel task {task_id})")
        return self.task_ended(task_id, wait) if wait else False

    # A pool hands out a cluster (or a group) for cases that need one of their own, and a new
    # one when a deployment that started there could not be ended quickly.
    def pool(self, kind):
        if kind not in self.pools:
            if kind == "canary":
                stack = self.fresh("c")
                group = self.make_group(stack, 0, 0, 2, [self.lb_canary[0]])
            elif kind == "rolling":
                stack = self.fresh("o")
                group = self.make_group(stack, 0, 0, 2)
            elif kind == "throwaway":
                stack = self.fresh("w")
                group = self.make_group(stack, 0, 0, 1)
            self.pools[kind] = (f"{self.app}-{stack}", group)
        return self.pools[kind]

    def used(self, kind, reply, wait=5):
        """After a case that started a deployment on a pool cluster: cancel it, and if it does not
        end within `wait` seconds, the next case gets another cluster."""
        if reply.status == 202 and not self.cancel(reply, wait):
            self.pools.pop(kind, None)

    # ---------------------------------------------------------------- the cases

    def cases(self, spec):
        """Every case, in order: (id, endpoint, runner) where runner() sends it and checks it."""
        out = []
        paths = spec.get("paths", {})
        for path in sorted(paths):
            for method, op in sorted(paths[path].items()):
                method = method.upper()
                if method == "POST":
                    schema = (op.get("requestBody", {}).get("content", {}).get("application/json", {}) or
                              op.get("requestBody", {}).get("content", {}).get("application/x-www-form-urlencoded", {})).get("schema", {})
                    props = schema.get("properties", {}) if isinstance(schema, dict) else {}
                    for field in sorted(props):
                        kind = props[field].get("type")
                        self.types[(path, field)] = kind
                        if kind in NUMERIC_TYPES:
                            for label, literal, text in VALUES:
                                for encoding in ("json-number", "json-string", "form"):
                                    if encoding == "json-number" and literal is None:
                                        continue
                                    out.append(self.flat_case(path, field, label, literal, text, encoding))
                elif method == "GET":
                    for parameter in op.get("parameters", []):
                        if parameter.get("in") == "query" and parameter.get("schema", {}).get("type") in NUMERIC_TYPES:
                            for label, literal, text in VALUES:
                                out.append(self.query_case(path, parameter["name"], label, text))
        out += self.nested_cases()
        return out

    def flat_case(self, path, field, label, literal, text, encoding):
        case_id = f"POST {path} {field}={label} {encoding}"

        def run():
            prep = self.prepare(path, field)
            if prep is None:
                return
            url, fields, after = prep
            fields = {k: v for k, v in fields.items() if k != field}
            reply = self.send_encoded(url, fields, {field: MARK}, literal, text, encoding, endpoint="POST " + path)
            ok = self.check(reply, f"POST {url} field {field} = {label} as {encoding}")
            self.outcomes.setdefault((path, field, label), {})[encoding] = (reply.status, message_of(reply.text))
            if after:
                after(reply)
            return ok
        return case_id, "POST " + path, run

    def query_case(self, path, name, label, text):
        case_id = f"GET {path} ?{name}={label} query"

        def run():
            url = path.replace("{region}", "local")
            if "{" in url:
                return
            reply = self.get(url + "?" + urllib.parse.urlencode({name: text}), endpoint="GET " + path)
            return self.check(reply, f"GET {url} query {name} = {label}")
        return case_id, "GET " + path, run

    def send_encoded(self, url, fields, template, literal, text, encoding, endpoint, form=None):
        """Sends `fields` plus `template` (a dict holding MARK somewhere) with the value
        in the encoding: `form` is the form pairs to send instead of `template` as a form."""
        if encoding in ("json-number", "json-string"):
            body = dict(fields)
            body.update(template)
            document = json.dumps(body)
            replacement = literal if encoding == "json-number" else json.dumps(text)
            return self.send("POST", url, document.replace(json.dumps(MARK), replacement), "application/json", endpoint=endpoint)
        pairs = []
        for key, value in fields.items():
            if isinstance(value, list):
                pairs += [(key, v) for v in value]
            elif isinstance(value, dict):
                pairs.append((key, json.dumps(value)))
            else:
                pairs.append((key, value))
        for key, value in (form if form is not None else template).items():
            pairs.append((key, value.replace(MARK, text) if isinstance(value, str) else json.dumps(value).replace(json.dumps(MARK), text)))
        return self.send("POST", url, urllib.parse.urlencode(pairs), "application/x-www-form-urlencoded", endpoint=endpoint)

    def prepare(self, path, field):
        """The URL, the valid values of the other fields and what to do after the answer, for a
        case on `path` whose `field` carries the boundary value."""
        url = path.replace("{region}", "local")
        if "{" in url:
            return None
        img, img2 = self.images
        if path == "/{region}/deployment/start":
            if field in ("relaunchCount", "concurrentRelaunches", "newestFirst", "afterBootWait"):
                cluster, _ = self.pool("rolling")
                fields = {"cluster": cluster, "imageId": img2, "strategy": "rolling", "relaunchCount": "0"}
                return url, fields, lambda r: self.used("rolling", r)
            if field in ("analysisSeconds", "intervalSeconds"):
                cluster, _ = self.pool("canary")
                fields = {"cluster": cluster, "imageId": img2, "strategy": "canary", "desired": "0", "max": "2",
                          "canaryWeights": "10,100", "analysisSeconds": "30", "intervalSeconds": "10"}
                return url, fields, lambda r: self.used("canary", r)
            fields = {"cluster": f"{self.app}-{self.fresh('d')}", "imageId": img, "strategy": "redBlack",
                      "desired": "0", "min": "0", "max": "2"}
            if field in ("min", "max"):
                fields["desired"] = "1"
            if field == "desired":
                fields.pop("min"), fields.pop("max")
            return url, fields, lambda r: self.cancel(r) if r.status == 202 else None
        if path == "/{region}/push/startRolling":
            _, group = self.pool("rolling")
            return url, {"name": group, "imageId": img2, "relaunchCount": "0"}, lambda r: self.used("rolling", r)
        if path == "/{region}/loadBalancer/save":
            name = f"fuzz-{self.fresh('l')}"

            def after(reply):
                if 200 <= (reply.status or 0) < 300:
                    self.aux("POST", "/local/loadBalancer/delete", {"name": name}, "(remove it)")
            return url, {"name": name, "listenerPort": str(free_port())}, after
        if path == "/{region}/loadBalancer/update":
            def after(reply):
                if 200 <= (reply.status or 0) < 300:
                    self.aux("POST", url, {"name": self.lb_update[0], "listenerPort": str(self.lb_update[1]), "interval": "2",
                                           "timeout": "1", "healthyThreshold": "2", "unhealthyThreshold": "2",
                                           "drainingTimeout": "30"}, "(reset)")
            return url, {"name": self.lb_update[0]}, after
        if path == "/{region}/autoScaling/save":
            stack = self.fresh("s")

            def after(reply):
                body = reply.json() if reply.status == 201 else None
                if isinstance(body, dict) and body.get("autoScalingGroupName"):
                    self.aux("POST", "/local/autoScaling/delete", {"name": body["autoScalingGroupName"], "force": "true"}, "(remove it)")
            return url, {"appName": self.app, "stack": stack, "imageId": img, "minSize": "0", "desiredCapacity": "0",
                         "maxSize": "1"}, after
        if path == "/{region}/autoScaling/update":
            def after(reply):
                if 200 <= (reply.status or 0) < 300:
                    self.aux("POST", url, {"name": self.g_resize, "minSize": "0", "desiredCapacity": "0", "maxSize": "2",
                                           "healthCheckGracePeriod": "0"}, "(reset)")
            return url, {"name": self.g_resize}, after
        if path == "/{region}/autoScaling/delete":
            _, group = self.pool("throwaway")

            def after(reply):
                if 200 <= (reply.status or 0) < 300:
                    self.pools.pop("throwaway", None)
            return url, {"name": group}, after
        if path == "/{region}/instance/terminate":
            instance = self.pick_instance(self.g_term)
            if instance is None:
                self.findings.append(f"(no InService instance of {self.g_term} left to terminate; case skipped)")
                return None
            return url, {"instanceId": instance}, None
        if path == "/{region}/instance/setProtection":
            instances = self.instances(self.g_main)
            return url, {"instanceIds": [i["instanceId"] for i in instances[:1]]}, None
        if path in ("/{region}/cluster/deactivate", "/{region}/cluster/activate"):
            def after(reply):
                if path.endswith("deactivate") and 200 <= (reply.status or 0) < 300:
                    self.aux("POST", "/local/cluster/activate", {"name": self.g_resize}, "(enable it again)")
            return url, {"name": self.g_resize}, after
        if path == "/{region}/cluster/createNextGroup":
            def after(reply):
                body = reply.json() if reply.status == 201 else None
                if isinstance(body, dict) and body.get("autoScalingGroupName"):
                    self.aux("POST", "/local/autoScaling/delete", {"name": body["autoScalingGroupName"], "force": "true"}, "(remove it)")
            return url, {"name": f"{self.app}-n{self.sfx}", "imageId": img, "minSize": "0", "desiredCapacity": "0",
                         "maxSize": "1", "trafficAllowed": "false"}, after
        if path == "/{region}/cluster/resize":
            fields = {"name": self.g_resize, "minSize": "0", "desiredCapacity": "0", "maxSize": "2"}
            if field == "batchSize":
                fields["desiredCapacity"] = "1"
            return url, fields, None
        if path == "/{region}/scalingPolicy/save":
            fields = {"policyName": "fuzz-sweep", "autoScalingGroupName": self.g_scale, "policyType": "SimpleScaling",
                      "adjustmentType": "ChangeInCapacity", "scalingAdjustment": "1"}
            if field == "minAdjustmentMagnitude":
                fields.update(adjustmentType="PercentChangeInCapacity", scalingAdjustment="10")
            if field in ("estimatedInstanceWarmup", "targetValue", "disableScaleIn"):
                fields = {"policyName": "fuzz-sweep", "autoScalingGroupName": self.g_scale, "policyType": "TargetTrackingScaling",
                          "predefinedMetricType": "ASGAverageCPUUtilization", "targetValue": "50"}
            return url, fields, None
        if path == "/{region}/alarm/save":
            return url, {"alarmName": "fuzz-sweep", "autoScalingGroupName": self.g_scale, "metricName": "CPUUtilization",
                         "threshold": "1000000000", "comparisonOperator": "GreaterThanThreshold", "period": "60",
                         "evaluationPeriods": "1", "alarmActions": [self.policy]}, None
        if path == "/{region}/scheduledAction/save":
            return url, {"scheduledActionName": "fuzz-sweep", "autoScalingGroupName": self.g_scale, "recurrence": "0 3 1 1 *"}, None
        if path == "/token/create":
            return url, {"name": self.fresh("fuzz-t"), "user": self.user}, None
        if path == "/auth/login":
            fields = {"name": self.user, "password": self.password, "issueToken": "true", "tokenName": self.fresh("fuzz-l")}
            if field == "issueToken":
                fields.pop("tokenName")
            return url, fields, None
        # An endpoint this script does not know yet: the field alone.
        return url, {}, None

    def pick_instance(self, group):
        deadline = time.time() + 15
        while time.time() < deadline:
            ready = [i["instanceId"] for i in self.instances(group) if i.get("lifecycleState") == "InService"]
            if ready:
                return ready[0]
            time.sleep(0.3)
        return None

    # ---------------------------------------------------------------- nested documents

    def nested_cases(self):
        out = []
        custom = [
            ("steps.judgment.minutes", lambda: [{"type": "createGroup"}, {"type": "judgment", "minutes": MARK}, {"type": "disableGroup"}]),
            ("steps.judgment.seconds", lambda: [{"type": "createGroup"}, {"type": "judgment", "seconds": MARK}, {"type": "disableGroup"}]),
            ("steps.wait.seconds", lambda: [{"type": "createGroup"}, {"type": "wait", "seconds": MARK}, {"type": "disableGroup"}]),
            ("steps.resize.capacity", lambda: [{"type": "createGroup"}, {"type": "resize", "capacity": MARK}, {"type": "disableGroup"}]),
            ("steps.resize.percent", lambda: [{"type": "createGroup"}, {"type": "resize", "percent": MARK}, {"type": "disableGroup"}]),
            ("steps.createGroup.capacity", lambda: [{"type": "createGroup", "capacity": MARK}, {"type": "disableGroup"}]),
        ]
        for name, steps in custom:
            out += self.deploy_nested(name, lambda steps=steps: ({"strategy": "custom", "desired": "0", "min": "0", "max": "2"},
                                                                 {"steps": steps()}), steps_form=True)
        for key in ("min", "desired", "max"):
            def template(key=key):
                capacity = {"min": 0, "desired": 1, "max": 2}
                if key == "desired":
                    capacity = {}
                capacity[key] = MARK
                return {"strategy": "redBlack"}, {"capacity": capacity}
            out += self.deploy_nested(f"capacity.{key}", template)

        def canary(steps=None, analysis=None):
            document = {"steps": steps or [{"setWeight": 10}, {"analyze": {"durationSeconds": 30, "intervalSeconds": 10}}, {"setWeight": 100}]}
            if analysis is not None:
                document["analysis"] = analysis
            return lambda: ({"strategy": "canary", "desired": "0", "max": "2"}, {"canary": document})
        canaries = [
            ("canary.setWeight", canary([{"setWeight": MARK}, {"analyze": {"durationSeconds": 30, "intervalSeconds": 10}}, {"setWeight": 100}])),
            ("canary.analyze.durationSeconds", canary([{"setWeight": 10}, {"analyze": {"durationSeconds": MARK, "intervalSeconds": 1}}, {"setWeight": 100}])),
            ("canary.analyze.durationSeconds-alone", canary([{"setWeight": 10}, {"analyze": {"durationSeconds": MARK}}, {"setWeight": 100}])),
            ("canary.analyze.intervalSeconds", canary([{"setWeight": 10}, {"analyze": {"durationSeconds": 60, "intervalSeconds": MARK}}, {"setWeight": 100}])),
            ("canary.pause.durationSeconds", canary([{"setWeight": 10}, {"pause": {"durationSeconds": MARK}}, {"setWeight": 100}])),
        ]
        for key in ("pass", "marginal", "confidence", "tolerance", "minimumRequests", "minimumSamples"):
            analysis = {"pass": 95, "marginal": 75}
            analysis[key] = MARK
            canaries.append((f"canary.analysis.{key}", canary(analysis=analysis)))
        canaries.append(("canary.analysis.groupWeights.errors", canary(analysis={"groupWeights": {"errors": MARK, "latency": 35}})))
        for key in ("allowedIncrease", "allowedDecrease", "minimumDifference"):
            canaries.append((f"canary.analysis.metrics.{key}", canary(analysis={"metrics": [{"name": "latency", key: MARK}]})))
        for name, template in canaries:
            out += self.deploy_nested(name, template, pool="canary")

        policy = {"policyName": "fuzz-sweep", "policyType": "StepScaling", "adjustmentType": "ChangeInCapacity"}
        steps = [
            ("stepAdjustments.scalingAdjustment", [{"metricIntervalLowerBound": 0, "scalingAdjustment": MARK}], f"0::{MARK}"),
            ("stepAdjustments.metricIntervalLowerBound", [{"metricIntervalLowerBound": MARK, "scalingAdjustment": 1}], f"{MARK}::1"),
            ("stepAdjustments.metricIntervalUpperBound", [{"metricIntervalUpperBound": MARK, "scalingAdjustment": 1}], f":{MARK}:1"),
            ("stepAdjustments.two-steps-bound", [{"metricIntervalUpperBound": MARK, "scalingAdjustment": -1},
                                                 {"metricIntervalLowerBound": MARK, "scalingAdjustment": 1}], f":{MARK}:-1,{MARK}::1"),
        ]
        for name, adjustments, form in steps:
            out += self.scaling_nested(name, dict(policy), {"stepAdjustments": adjustments}, {"stepAdjustments": form})
        for kind in ("StepScaling-PercentChangeInCapacity", "StepScaling-ExactCapacity"):
            adjustment = kind.split("-")[1]
            out += self.scaling_nested(f"stepAdjustments.scalingAdjustment.{adjustment}", dict(policy, adjustmentType=adjustment),
                                       {"stepAdjustments": [{"metricIntervalLowerBound": 0, "scalingAdjustment": MARK}]},
                                       {"stepAdjustments": f"0::{MARK}"})
        tracking = {"policyName": "fuzz-sweep"}
        out += self.scaling_nested("targetTrackingConfiguration.targetValue", tracking, {"targetTrackingConfiguration": {
            "predefinedMetricSpecification": {"predefinedMetricType": "ASGAverageCPUUtilization"}, "targetValue": MARK}}, None)
        out += self.scaling_nested("targetTrackingConfiguration.customized.targetValue", tracking, {"targetTrackingConfiguration": {
            "customizedMetricSpecification": {"metricName": "CPUUtilization", "statistic": "Average"}, "targetValue": MARK}}, None)
        return out

    def deploy_nested(self, name, template, pool=None, steps_form=False):
        """Cases of /{region}/deployment/start with the value inside a JSON document."""
        path = "/{region}/deployment/start"
        out = []
        for label, literal, text in VALUES:
            encodings = ["json-number", "json-string"] + (["form"] if steps_form else [])
            for encoding in encodings:
                if encoding in ("json-number", "form") and literal is None:
                    continue

                def run(label=label, literal=literal, text=text, encoding=encoding):
                    fields, document = template()
                    if pool:
                        fields["cluster"], _ = self.pool(pool)
                    else:
                        fields["cluster"] = f"{self.app}-{self.fresh('d')}"
                    fields["imageId"] = self.images[1] if pool else self.images[0]
                    form = None
                    if encoding == "form":
                        # The form's steps box: the same JSON, as text, with the number in it.
                        form = {"steps": json.dumps(document["steps"]).replace(json.dumps(MARK), literal)}
                    reply = self.send_encoded("/local/deployment/start", fields, document, literal, text, encoding,
                                              endpoint="POST " + path, form=form)
                    ok = self.check(reply, f"POST /local/deployment/start {name} = {label} as {encoding}")
                    if pool:
                        self.used(pool, reply)
                    elif reply.status == 202:
                        self.cancel(reply)
                    return ok
                out.append((f"POST {path} {name}={label} {encoding}", "POST " + path, run))
        return out

    def scaling_nested(self, name, fields, template, form):
        path = "/{region}/scalingPolicy/save"
        out = []
        for label, literal, text in VALUES:
            for encoding in ("json-number", "json-string", "form"):
                if encoding == "json-number" and literal is None:
                    continue
                if encoding == "form" and form is None:
                    continue

                def run(label=label, literal=literal, text=text, encoding=encoding):
                    body = dict(fields, autoScalingGroupName=self.g_scale)
                    reply = self.send_encoded("/local/scalingPolicy/save", body, template, literal, text, encoding,
                                              endpoint="POST " + path, form=form)
                    return self.check(reply, f"POST /local/scalingPolicy/save {name} = {label} as {encoding}")
                out.append((f"POST {path} {name}={label} {encoding}", "POST " + path, run))
        return out

    # ---------------------------------------------------------------- policies that act

    def wait_ticks(self, group, ticks=2):
        """Waits until the metrics collection of `group` has run `ticks` more times (each tick
        also evaluates alarms and policies), polling the server; False when it did not."""
        seconds = self.interval * (ticks + 2) + 2
        def stamp():
            reply = self.get(f"/local/autoScaling/metrics/{group}.json")
            if reply.status is None:
                return None
            body = reply.json()
            points = body.get("datapoints", []) if isinstance(body, dict) else []
            return (len(points), points[-1].get("time") if points else None)
        first = stamp()
        seen, last = 0, first
        deadline = time.time() + seconds
        while time.time() < deadline and seen < ticks:
            time.sleep(0.25)
            now = stamp()
            if now is None:
                return False
            if now != last:
                seen, last = seen + 1, now
        return seen >= ticks

    def deep_cases(self):
        out = []
        group = self.g_deep
        for label, literal, text in VALUES:
            for adjustment in ("ChangeInCapacity", "PercentChangeInCapacity", "ExactCapacity"):
                out.append((f"DEEP SimpleScaling {adjustment} scalingAdjustment={label}", "deep",
                            lambda label=label, literal=literal, text=text, adjustment=adjustment:
                            self.deep_simple(group, label, literal, text, adjustment)))
            out.append((f"DEEP StepScaling scalingAdjustment={label}", "deep",
                        lambda label=label, literal=literal, text=text: self.deep_step(group, label, literal, text)))
        for label, literal, text in VALUES:
            out.append((f"DEEP TargetTrackingScaling ALBRequestCountPerTarget targetValue={label}", "deep",
                        lambda label=label, literal=literal, text=text: self.deep_tracking(group, label, literal, text)))
        for label, literal, text in VALUES:
            out.append((f"DEEP scheduledAction one-time desiredCapacity={label}", "deep",
                        lambda label=label, literal=literal, text=text: self.deep_schedule(group, label, literal, text)))
        return out

    def policy_body(self, literal, text, fields, template):
        body = dict(fields)
        body.update(template)
        replacement = literal if literal is not None else json.dumps(text)
        return json.dumps(body).replace(json.dumps(MARK), replacement)

    def act(self, what, group, policy_body, alarm=True, traffic=False):
        """Saves a policy (and an alarm always in ALARM that names it); when accepted, lets the
        server's ticks run it; then removes them and puts the group back to 1 instance."""
        reply = self.send("POST", "/local/scalingPolicy/save", policy_body, "application/json", endpoint="POST deep scalingPolicy/save")
        self.check(reply, f"{what}: save the policy")
        if reply.status != 200:
            return
        if alarm:
            saved = self.post_json("/local/alarm/save", {
                "alarmName": "fuzz-deep", "autoScalingGroupName": group, "metricName": "GroupInServiceInstances",
                "comparisonOperator": "GreaterThanOrEqualToThreshold", "threshold": "0", "period": "1", "evaluationPeriods": "1",
                "alarmActions": ["fuzz-deep"]}, endpoint="POST deep alarm/save")
            self.check(saved, f"{what}: save the alarm GroupInServiceInstances >= 0 naming it", aux=True)
        stop = threading.Event()
        if traffic:
            threading.Thread(target=drive, args=(self.lb_deep[1], stop), daemon=True).start()
        try:
            ticked = self.wait_ticks(group, ticks=3 if traffic else 2)
        finally:
            stop.set()
        if not self.server_alive():
            self.died(f"at the metrics tick after {what}")
        if not ticked:
            self.findings.append(f"{what} -> the metrics of {group} did not advance for {self.interval * 5 + 2} s (ticks stalled?)")
        self.accepted = (self.accepted + [what])[-10:]
        if alarm:
            self.aux("POST", "/local/alarm/delete", {"alarmName": "fuzz-deep", "autoScalingGroupName": group}, "(remove it)")
        self.aux("POST", "/local/scalingPolicy/delete", {"policyName": "fuzz-deep", "autoScalingGroupName": group}, "(remove it)")
        self.aux("POST", "/local/autoScaling/update", {"name": group, "minSize": "1", "desiredCapacity": "1", "maxSize": "2"}, "(reset)")

    def deep_simple(self, group, label, literal, text, adjustment):
        fields = {"policyName": "fuzz-deep", "autoScalingGroupName": group, "policyType": "SimpleScaling",
                  "adjustmentType": adjustment, "cooldown": "0", "scalingAdjustment": text}
        if adjustment == "PercentChangeInCapacity":
            fields["minAdjustmentMagnitude"] = "1"
        # A top-level field as text: a form and a JSON body carry it the same way.
        self.act(f"DEEP SimpleScaling {adjustment} scalingAdjustment = {label} + alarm GroupInServiceInstances >= 0", group,
                 json.dumps(fields))

    def deep_step(self, group, label, literal, text):
        fields = {"policyName": "fuzz-deep", "autoScalingGroupName": group, "policyType": "StepScaling",
                  "adjustmentType": "ChangeInCapacity", "estimatedInstanceWarmup": "0"}
        self.act(f"DEEP StepScaling ChangeInCapacity step scalingAdjustment = {label} + alarm GroupInServiceInstances >= 0", group,
                 self.policy_body(literal, text, fields, {"stepAdjustments": [{"metricIntervalLowerBound": 0, "scalingAdjustment": MARK}]}))

    def deep_tracking(self, group, label, literal, text):
        fields = {"policyName": "fuzz-deep", "autoScalingGroupName": group, "estimatedInstanceWarmup": "0"}
        self.act(f"DEEP TargetTrackingScaling ALBRequestCountPerTarget targetValue = {label} with traffic", group,
                 self.policy_body(literal, text, fields, {"targetTrackingConfiguration": {
                     "predefinedMetricSpecification": {"predefinedMetricType": "ALBRequestCountPerTarget"}, "targetValue": MARK}}),
                 alarm=False, traffic=True)

    def deep_schedule(self, group, label, literal, text):
        start = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 1))
        body = json.dumps({"scheduledActionName": "fuzz-deep", "autoScalingGroupName": group, "startTime": start,
                           "desiredCapacity": text})
        what = f"DEEP scheduledAction one-time in 1 s, desiredCapacity = {label}"
        reply = self.send("POST", "/local/scheduledAction/save", body, "application/json", endpoint="POST deep scheduledAction/save")
        self.check(reply, what)
        if reply.status != 200:
            return
        self.wait_ticks(group, ticks=3)
        if not self.server_alive():
            self.died(f"at the scheduler tick after {what}")
        self.accepted = (self.accepted + [what])[-10:]
        self.aux("POST", "/local/scheduledAction/delete", {"scheduledActionName": "fuzz-deep", "autoScalingGroupName": group}, "(remove it)")
        self.aux("POST", "/local/autoScaling/update", {"name": group, "minSize": "1", "desiredCapacity": "1", "maxSize": "2"}, "(reset)")

    # ---------------------------------------------------------------- the run

    def selected(self, case_id):
        if self.only and not self.only.search(case_id):
            return False
        if self.exclude and self.exclude.search(case_id):
            return False
        return True

    def run(self, list_only=False):
        started = time.time()
        self.wait_ready()
        spec = self.get("/openapi.json").json()
        if not isinstance(spec, dict) or "paths" not in spec:
            raise SystemExit("FAIL /openapi.json is not an OpenAPI document")
        try:
            self.setup()
        except ServerDied:
            return self.report(time.time() - started)
        cases = [c for c in self.cases(spec) + self.deep_cases() if self.selected(c[0])]
        if list_only:
            for case_id, _, _ in cases:
                print(case_id)
            return 0
        print(f"{len(cases)} cases on {len({c[1] for c in cases})} endpoints; fixtures: groups {self.g_main}, {self.g_deep}, "
              f"{self.g_scale}, {self.g_resize}, {self.g_term}; load balancers {self.lb_main}, {self.lb_deep}; images {self.images}",
              flush=True)
        try:
            for case_id, _, run in cases:
                run()
            # One metrics interval and one scheduler tick: poll the health check for over 3 s.
            end = time.time() + max(3.5, self.interval + 1.5)
            while time.time() < end:
                reply = self.get("/healthcheck")
                if reply.status != 200:
                    self.check(reply, "GET /healthcheck after the sweep")
                    if reply.status is not None:
                        self.findings.append(f"GET /healthcheck after the sweep -> {reply.status}")
                    break
                time.sleep(0.5)
            final = self.get("/healthcheck")
            if final.status != 200:
                if not self.server_alive():
                    self.died("after the sweep, while waiting a metrics interval and a scheduler tick")
                self.findings.append(f"GET /healthcheck at the end -> {final.status} {final.error or ''}")
            version = self.get("/server/version.json")
            if version.status != 200:
                self.findings.append(f"GET /server/version.json at the end -> {version.status} {version.error or ''}")
            if not self.process_alive():
                self.died(f"(process {self.pid} is gone) at the end")
            self.leaks = self.leaked_processes()
        except ServerDied:
            pass
        return self.report(time.time() - started)

    def data_dir(self):
        """The server's data directory, from a fixture instance's environment (its local cloud
        marks each process it starts with it); None when it cannot be read."""
        for instance in self.instances(self.g_main) + self.instances(self.g_deep):
            try:
                with open(f"/proc/{instance.get('pid')}/environ", "rb") as f:
                    for item in f.read().split(b"\0"):
                        if item.startswith(b"ASGARD_LOCAL_CLOUD="):
                            return item.split(b"=", 1)[1].decode()
            except (OSError, TypeError):
                continue
        return None

    def leaked_processes(self):
        """Processes of this server's local cloud that outlived what they belonged to: a load
        balancer's proxy whose load balancer is gone, an instance that is terminated or gone.
        Only on this host; empty when /proc cannot tell."""
        directory = self.data_dir()
        if not directory:
            return []

        def scan():
            found = {}
            for pid in filter(str.isdigit, os.listdir("/proc")):
                try:
                    with open(f"/proc/{pid}/cmdline", "rb") as f:
                        argv = [a.decode(errors="replace") for a in f.read().split(b"\0")]
                    with open(f"/proc/{pid}/stat") as f:
                        if f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X"):
                            continue
                    if "load-balancer-proxy" in argv:
                        config = next((a for a in argv if a.startswith(directory + "/loadBalancers/")), None)
                        if config:
                            found[pid] = ("loadBalancer", config.split("/")[-2])
                        continue
                    with open(f"/proc/{pid}/environ", "rb") as f:
                        env = dict(item.split(b"=", 1) for item in f.read().split(b"\0") if b"=" in item)
                    if env.get(b"ASGARD_LOCAL_CLOUD", b"").decode() == directory and b"ASGARD_INSTANCE_ID" in env:
                        found[pid] = ("instance", env[b"ASGARD_INSTANCE_ID"].decode())
                except (OSError, ValueError, IndexError):
                    continue
            return found

        def orphans():
            balancers = self.get("/local/loadBalancer/list.json").json() or []
            live_balancers = {b.get("loadBalancerName") for b in balancers if isinstance(b, dict)}
            groups = self.get("/local/autoScaling/list.json").json() or []
            live_groups = {g.get("autoScalingGroupName") for g in groups if isinstance(g, dict)}
            instances = self.get("/local/instance/list.json").json() or []
            # An instance counts when the API lists it in a group that still exists.
            live = {i.get("instanceId") for i in instances if isinstance(i, dict) and i.get("autoScalingGroupName") in live_groups}
            return {pid: what for pid, what in scan().items()
                    if (what[0] == "loadBalancer" and what[1] not in live_balancers) or (what[0] == "instance" and what[1] not in live)}
        suspects = orphans()
        deadline = time.time() + 8
        while suspects and time.time() < deadline:
            time.sleep(1)
            suspects = {pid: what for pid, what in orphans().items() if pid in suspects}
        return [f"leaked process {pid}: the {kind} {name} is gone from the API (or its group is) but its process still runs"
                for pid, (kind, name) in sorted(suspects.items())]

    def disagreements(self):
        """Answers that are no crash but are wrong all the same: the same value accepted as a JSON
        string and refused as a JSON number (or the other way), and a value that is no whole
        number accepted for an integer field."""
        out, as_boolean = [], []
        for (path, field, label), answers in self.outcomes.items():
            number, text = answers.get("json-number"), answers.get("json-string")
            if number and text and number[0] is not None and text[0] is not None and (number[0] < 400) != (text[0] < 400):
                if label in ("0", "1") and ("'true'" in number[1] or "'false'" in number[1]):
                    as_boolean.append(f"{path} {field}")
                else:
                    out.append(f"POST {path} {field} = {label}: as a JSON number {number[0]} {number[1][:110]}; "
                               f"as a JSON string {text[0]} {text[1][:110]}")
            if self.types.get((path, field)) == "integer" and label in ("1e308", "1e-300", "NaN", "Infinity"):
                for encoding, (status, body) in sorted(answers.items()):
                    if status is not None and 200 <= status < 300:
                        out.append(f"POST {path} {field} = {label} as {encoding}: accepted ({status}) for an integer field")
        if as_boolean:
            out.insert(0, f"JSON numbers 0 and 1 are read as false and true ('... 'true' must be a whole number'): refused as "
                          f"JSON numbers, accepted as strings, in {len(set(as_boolean))} fields: " + ", ".join(sorted(set(as_boolean))))
        return out

    def report(self, seconds):
        if os.environ.get("BOUNDARY_FUZZ_DUMP"):
            with open(os.environ["BOUNDARY_FUZZ_DUMP"], "w") as f:
                json.dump([{"path": p, "field": k, "value": v, "answers": a} for (p, k, v), a in self.outcomes.items()], f, indent=1)
        print(f"\n{self.requests} requests in {seconds:.0f} s")
        for endpoint, count in sorted(self.by_endpoint.items()):
            print(f"  {count:5d}  {endpoint}")
        if self.dead:
            print("\n" + self.dead)
        disagreements = self.disagreements() + getattr(self, "leaks", [])
        if disagreements:
            print(f"\n{len(disagreements)} wrong answers that are no crash (a value accepted as a JSON string but refused as a "
                  f"JSON number or the other way, a non-integer accepted for an integer field, a process left running)"
                  f"{'' if self.strict else '; warnings, not failures without --strict'}"
                  + (" (first 40)" if len(disagreements) > 40 else ""))
            for line in disagreements[:40]:
                print("  " + line)
            if self.strict:
                self.findings += disagreements
        unique = list(OrderedDict.fromkeys(self.findings))
        if unique:
            print(f"\n{len(unique)} findings" + (" (first 50)" if len(unique) > 50 else ""))
            for finding in unique[:50]:
                print("  " + finding)
        if self.dead:
            print(f"FAIL {self.requests} requests; the server died: {self.dead.splitlines()[0]}")
            return 1
        if unique:
            print(f"FAIL {self.requests} requests, {len(unique)} findings")
            return 1
        print(f"PASS {self.requests} requests, no 5xx, server up")
        return 0


def drive(port, stop):
    """Requests through a load balancer until `stop` is set."""
    while not stop.is_set():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        try:
            conn.request("GET", "/")
            conn.getresponse().read()
        except (OSError, http.client.HTTPException):
            time.sleep(0.05)
        finally:
            conn.close()


def endpoint_of(path):
    """A request's path as a summary line groups it: the region and ids as the document writes them."""
    path = re.sub(r"\?.*", "", path)
    path = re.sub(r"^/local/", "/{region}/", path)
    return re.sub(r"/\d+(\.json)?$", r"/{id}\1", path)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def message_of(text):
    """The error message of an answer, else its start."""
    try:
        return repr(json.loads(text)["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return snippet(text, 60)


def snippet(text, limit=200):
    return " ".join(text.split())[:limit]


def main(argv):
    args, only, exclude, list_only, strict = [], None, None, False, False
    i = 0
    while i < len(argv):
        if argv[i] == "--only":
            only, i = argv[i + 1], i + 2
        elif argv[i] == "--exclude":
            exclude, i = argv[i + 1], i + 2
        elif argv[i] == "--list":
            list_only, i = True, i + 1
        elif argv[i] == "--strict":
            strict, i = True, i + 1
        else:
            args.append(argv[i])
            i += 1
    if len(args) != 3:
        print(__doc__)
        return 2
    fuzzer = Fuzzer(args[0], args[1], args[2], only, exclude)
    fuzzer.strict = strict
    return fuzzer.run(list_only)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
