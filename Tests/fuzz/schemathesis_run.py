"""Fuzzes the running console's API with schemathesis, authenticated, and checks every answer.

Usage: python3 schemathesis_run.py BASE_URL TOKEN REPORT_DIR

Fails (exit 1) when schemathesis finds a server error or a response that breaks the schema,
when fewer than MIN_REQUESTS requests were made, or when any 4xx answer lacks a message a
person can read (JSON {"error": {"message"}} or an HTML page with id="error-message").
"""
import glob
import json
import subprocess
import sys

MIN_REQUESTS = 1000


def main(base, token, report_dir):
    command = [
        sys.executable, "-c", "from schemathesis.cli import schemathesis; schemathesis()", "run", base + "/openapi.json",
        "--header", "Authorization: Bearer " + token,
        "--checks", "not_a_server_error,response_schema_conformance,content_type_conformance",
        "--generation-with-security-parameters", "false",
        "--max-examples", "60", "--seed", "1", "--workers", "1", "--no-color",
        "--request-timeout", "10", "--report", "har", "--report-dir", report_dir,
    ]
    run = subprocess.run(command, capture_output=True, text=True, timeout=900)
    failures = run.stdout.find("FAILURES")
    print(run.stdout[failures:failures + 6000] if failures >= 0 else run.stdout[-4000:])
    if run.returncode != 0:
        print("FAIL schemathesis exited with", run.returncode, run.stderr[-2000:])
        return 1

    entries = json.load(open(glob.glob(report_dir + "/*.json")[0]))["log"]["entries"]
    problems = []
    for entry in entries:
        status = entry["response"]["status"]
        text = entry["response"]["content"].get("text", "")
        where = entry["request"]["method"] + " " + entry["request"]["url"]
        if status >= 500:
            problems.append(f"{status} {where}")
        elif 400 <= status < 500:
            try:
                ok = bool(json.loads(text)["error"]["message"])
            except (ValueError, KeyError, TypeError):
                ok = 'id="error-message"' in text
            if not ok:
                problems.append(f"{status} without a message: {where}: {text[:200]}")
    print(f"{len(entries)} requests, {len(problems)} problems")
    for problem in problems[:20]:
        print("  ", problem)
    if len(entries) < MIN_REQUESTS:
        print(f"FAIL only {len(entries)} requests; want at least {MIN_REQUESTS}")
        return 1
    if problems:
        print("FAIL")
        return 1
    print(f"PASS {len(entries)} requests, no 5xx, every 4xx with a message")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3]))
