"""Signs requests with botocore's SigV4 signer, to cross-check ours.

Reads a JSON list of {method, url, headers: [[name, value]], body (text), date (yyyymmddThhmmssZ),
region, service, accessKeyId, secretAccessKey} on standard input and writes a JSON list of the
Authorization headers botocore computes, in the same order.
"""
import datetime
import json
import sys
from unittest import mock

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials


def main():
    out = []
    for case in json.load(sys.stdin):
        request = AWSRequest(method=case["method"], url=case["url"], data=case["body"].encode("utf-8"))
        for name, value in case["headers"]:
            request.headers[name] = value
        signer = SigV4Auth(Credentials(case["accessKeyId"], case["secretAccessKey"]), case["service"], case["region"])
        when = datetime.datetime.strptime(case["date"], "%Y%m%dT%H%M%SZ")
        with mock.patch("botocore.auth.get_current_datetime", return_value=when):
            signer.add_auth(request)
        out.append(request.headers["Authorization"])
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
