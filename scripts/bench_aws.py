#!/usr/bin/env python3
"""Measures the AWS provider against moto server:
1. a page of an AWS region with 130 Auto Scaling groups and 300 instances, read from the
   console's cache, next to reading the same from AWS on each view (boto3: every page of
   DescribeAutoScalingGroups and DescribeInstances), which a console without a cache does;
2. a 2-instance red/black deployment on AWS: the time from the API call to its end, next to
   boto3 making the same changes without any checks (create template and group, detach and
   suspend the old group);
3. a canary's weight shift on an application load balancer: the console's update (checked,
   applied to the listener, read back) next to boto3's bare ModifyListener.

Usage: python3 scripts/bench_aws.py BIN_DIR   (needs moto[server] and boto3)
"""
import os
import statistics
import subprocess
import sys
import tempfile
import time

import boto3

sys.path.insert(0, os.path.dirname(__file__))
from bench_deploy import TOKEN, call, free_port, wait, wait_serving  # noqa: E402


def median_ms(action, rounds):
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main(bin_dir):
    work = tempfile.mkdtemp(prefix="asgard-bench-aws.")
    moto_port, port = free_port(), free_port()
    endpoint = "http://127.0.0.1:%d" % moto_port
    env = dict(os.environ, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", ASGARD_ADMIN_TOKEN=TOKEN)
    moto = subprocess.Popen(["moto_server", "-H", "127.0.0.1", "-p", str(moto_port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server = None
    try:
        session = boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1")
        ec2, autoscaling = session.client("ec2", endpoint_url=endpoint), session.client("autoscaling", endpoint_url=endpoint)
        elb = session.client("elb", endpoint_url=endpoint)

        def moto_up():
            try:
                ec2.describe_regions()
                return True
            except Exception:
                return False
        wait(moto_up)
        fleet = ec2.register_image(Name="fleet-1.0.0")["ImageId"]
        autoscaling.create_launch_configuration(LaunchConfigurationName="fleet", ImageId=fleet, InstanceType="t3.micro")
        for index in range(130):
            autoscaling.create_auto_scaling_group(AutoScalingGroupName="fleet-v%03d" % index, LaunchConfigurationName="fleet", MinSize=0,
                                                  MaxSize=10, DesiredCapacity=10 if index < 30 else 0, AvailabilityZones=["us-east-1a"])
        with open(work + "/asgard.yaml", "w") as config:
            # A request budget well above what moto needs, so that the figures are the console's
            # own work, not waits for the default 20 calls/s the earlier measurements spent.
            config.write("accounts:\n  - name: bench\n    provider: aws\n    regions: [us-east-1]\n    endpoint: %s\naws:\n  requestsPerSecond: 500\n" % endpoint)
        base = "http://127.0.0.1:%d" % port
        server = subprocess.Popen([bin_dir + "/asgard", "serve", "--config", work + "/asgard.yaml", "--port", str(port), "--data-dir", work + "/data"],
                                  env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        wait_serving(base)

        def page():
            assert len(call(base, "/us-east-1/autoScaling/list.json")) == 130
            assert len(call(base, "/us-east-1/instance/list.json")) == 300

        def uncached():
            groups = [g for p in autoscaling.get_paginator("describe_auto_scaling_groups").paginate() for g in p["AutoScalingGroups"]]
            instances = [i for p in ec2.get_paginator("describe_instances").paginate() for r in p["Reservations"] for i in r["Instances"]]
            assert len(groups) == 130 and len(instances) >= 300
        page()  # the first read fills the cache
        ours, theirs = median_ms(page, 20), median_ms(uncached, 5)
        print("AWS region of 130 groups and 300 instances, groups + instances pages: cached %.1f ms, read from AWS each time %.1f ms (%.0fx faster)"
              % (ours, theirs, theirs / ours))

        v1, v2 = ec2.register_image(Name="shop-1.0.0")["ImageId"], ec2.register_image(Name="shop-1.1.0")["ImageId"]
        call(base, "/application/save", {"name": "shop", "owner": "bench", "email": "bench@example.com"})
        call(base, "/us-east-1/loadBalancer/save", {"name": "shop-prod", "listenerPort": "80"})
        call(base, "/us-east-1/deployment/start", {"cluster": "shop-prod", "imageId": v1, "strategy": "redBlack",
                                                   "capacity": {"min": 2, "desired": 2, "max": 2}, "loadBalancers": ["shop-prod"]})
        wait(lambda: any(t["status"] == "succeeded" for t in call(base, "/deployment/list.json")))
        started = time.perf_counter()
        task = call(base, "/us-east-1/deployment/start", {"cluster": "shop-prod", "imageId": v2, "strategy": "redBlack",
                                                          "capacity": {"min": 2, "desired": 2, "max": 2}})["taskId"]
        wait(lambda: call(base, "/deployment/show/%d.json" % task)["status"] in ("succeeded", "failed"), seconds=120)
        ours = (time.perf_counter() - started) * 1000
        shown = call(base, "/deployment/show/%d.json" % task)
        assert shown["status"] == "succeeded", shown
        if os.environ.get("BENCH_VERBOSE"):
            for line in shown["log"]:
                print("   ", line["time"], line["message"])

        def raw():
            ec2.create_launch_template(LaunchTemplateName="raw-v002", LaunchTemplateData={"ImageId": v2, "InstanceType": "t3.micro"})
            autoscaling.create_auto_scaling_group(AutoScalingGroupName="raw-v002", LaunchTemplate={"LaunchTemplateName": "raw-v002", "Version": "$Latest"},
                                                  MinSize=2, MaxSize=2, DesiredCapacity=2, AvailabilityZones=["us-east-1a"], LoadBalancerNames=["shop-prod"])
            autoscaling.suspend_processes(AutoScalingGroupName="shop-prod-v001", ScalingProcesses=["Launch", "Terminate", "AddToLoadBalancer"])
            autoscaling.detach_load_balancers(AutoScalingGroupName="shop-prod-v001", LoadBalancerNames=["shop-prod"])
        floor = median_ms(raw, 1)
        print("AWS red/black of 2 instances: %.0f ms from the API call to the end, next to %.0f ms for boto3's bare calls (overhead %.0f ms)"
              % (ours, floor, ours - floor))

        elbv2 = session.client("elbv2", endpoint_url=endpoint)
        call(base, "/us-east-1/loadBalancer/save", {"name": "shop-web", "listenerPort": "80", "type": "application"})
        for _ in range(2):
            call(base, "/us-east-1/autoScaling/save", {"appName": "shop", "stack": "web", "imageId": v2, "minSize": "1", "desiredCapacity": "1",
                                                       "maxSize": "1", "selectedLoadBalancers": ["shop-web"]})
        shares = iter([90, 50] * 20)

        def shift():
            share = next(shares)
            call(base, "/us-east-1/loadBalancer/update", {"name": "shop-web", "trafficWeights": ["shop-web-v000=%d" % share, "shop-web-v001=%d" % (100 - share)]})
        balancer = elbv2.describe_load_balancers(Names=["shop-web"])["LoadBalancers"][0]
        listener = elbv2.describe_listeners(LoadBalancerArn=balancer["LoadBalancerArn"])["Listeners"][0]
        targets = listener["DefaultActions"][0]["ForwardConfig"]["TargetGroups"]
        assert len(targets) == 2, listener
        ours = median_ms(shift, 10)
        assert sorted(t["Weight"] for t in elbv2.describe_listeners(ListenerArns=[listener["ListenerArn"]])["Listeners"][0]
                      ["DefaultActions"][0]["ForwardConfig"]["TargetGroups"]) == [50, 50]

        def bare():
            elbv2.modify_listener(ListenerArn=listener["ListenerArn"], DefaultActions=[{"Type": "forward", "ForwardConfig": {"TargetGroups": [
                {"TargetGroupArn": targets[0]["TargetGroupArn"], "Weight": 90}, {"TargetGroupArn": targets[1]["TargetGroupArn"], "Weight": 10}]}}])
        floor = median_ms(bare, 10)
        print("ALB canary weight shift: %.1f ms through the console (checked, applied, read back), next to %.1f ms for boto3's bare ModifyListener (%.1fx)"
              % (ours, floor, ours / floor))
    finally:
        for process in (server, moto):
            if process:
                process.kill()
                process.wait()


if __name__ == "__main__":
    main(sys.argv[1])
