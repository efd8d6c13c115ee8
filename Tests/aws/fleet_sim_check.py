#!/usr/bin/env python3
"""Checks that fleet_sim.py answers like AWS (as moto plays it) where the console reads.

    python3 Tests/aws/fleet_sim_check.py

Starts moto_server and the simulator with a small fleet (6 instances in groups of 2, 2 apps, 3
classic load balancers), builds the same fleet in moto with boto3 (AMIs, launch templates, Auto
Scaling groups tagged as the console tags them, classic load balancers with a health check and
connection draining), then sends each read the console makes (Sources/AWSCloud: readRegion,
refresh(group:), refresh(loadBalancer:), the security groups, subnets and scaling reads), signed
with botocore, to both, and compares:

  * the HTTP status, and for errors the AWS error code;
  * the element paths (local names, namespaces stripped) the console reads: each must be in both;
  * the pagination token's element (nextToken, NextToken, NextMarker): same path in both, and the
    next page is fetched with it from each;
  * the text values that the same fleet must give alike (group, load balancer and image names,
    tag keys, states, counts);
  * UpdateAutoScalingGroup: growing and shrinking a group shows in the group, its instances and
    its load balancer's health alike.

It prints one line per check and the paths moto has that the simulator lacks (for information),
and exits 1 on any mismatch. Standard library plus boto3/botocore (as the other tools here).
"""
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

HERE = os.path.dirname(os.path.abspath(__file__))
# One group per load balancer: moto's Auto Scaling deregisters from a classic load balancer the
# instances of every other group attached to it (update_attached_elbs), where AWS keeps them.
INSTANCES, GROUP_SIZE, APPS, BALANCERS = 6, 2, 2, 3
ZONES = ["us-east-1a", "us-east-1b", "us-east-1c"]
EC2, ASG, ELB, ELBV2, CW = ("ec2", "2016-11-15"), ("autoscaling", "2011-01-01"), ("elasticloadbalancing", "2012-06-01"), \
    ("elasticloadbalancing", "2015-12-01"), ("monitoring", "2010-08-01")

# What the console reads (Sources/AWSCloud/*.swift), as paths below the answer's root.
INSTANCE = "reservationSet/item/instancesSet/item/"
INSTANCE_PATHS = [INSTANCE + p for p in ("instanceId", "imageId", "instanceState/name", "reason", "launchTime", "privateIpAddress",
                                         "tagSet/item/key", "tagSet/item/value")]
GROUP = "DescribeAutoScalingGroupsResult/AutoScalingGroups/member/"
GROUP_PATHS = [GROUP + p for p in ("AutoScalingGroupName", "MinSize", "MaxSize", "DesiredCapacity", "Instances/member/InstanceId",
                                   "Instances/member/LifecycleState", "Instances/member/HealthStatus", "Instances/member/ProtectedFromScaleIn",
                                   "LoadBalancerNames/member", "TargetGroupARNs", "SuspendedProcesses", "Tags/member/Key", "Tags/member/Value",
                                   "HealthCheckType", "HealthCheckGracePeriod", "TerminationPolicies/member", "LaunchTemplate/LaunchTemplateName",
                                   "LaunchTemplate/Version", "CreatedTime")]
BALANCER = "DescribeLoadBalancersResult/LoadBalancerDescriptions/member/"
BALANCER_PATHS = [BALANCER + p for p in ("LoadBalancerName", "DNSName", "ListenerDescriptions/member/Listener/LoadBalancerPort",
                                         "ListenerDescriptions/member/Listener/InstancePort", "ListenerDescriptions/member/Listener/Protocol",
                                         "HealthCheck/Target", "HealthCheck/Interval", "HealthCheck/Timeout", "HealthCheck/HealthyThreshold",
                                         "HealthCheck/UnhealthyThreshold", "Instances/member/InstanceId", "CreatedTime")]
HEALTH = "DescribeInstanceHealthResult/InstanceStates/member/"
HEALTH_PATHS = [HEALTH + p for p in ("InstanceId", "State", "Description")]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def local(tag):
    return tag.rsplit("}", 1)[-1]


class Answer:
    def __init__(self, status, body):
        self.status, self.body = status, body
        try:
            self.root = ET.fromstring(body)
        except ET.ParseError:
            self.root = None
        self.paths, self.values = set(), {}
        if self.root is not None:
            self.namespace = self.root.tag[1:].split("}")[0] if self.root.tag.startswith("{") else ""
            self.walk(self.root, "")
        else:
            self.namespace = None

    def walk(self, node, prefix):
        for child in node:
            path = prefix + local(child.tag)
            self.paths.add(path)
            if len(child) == 0:
                self.values.setdefault(path, []).append((child.text or "").strip())
            self.walk(child, path + "/")

    @property
    def code(self):
        if self.root is None:
            return None
        for node in self.root.iter():
            if local(node.tag) == "Code":
                return node.text
        return None

    def texts(self, path):
        return self.values.get(path, [])


class Backend:
    def __init__(self, name, url):
        self.name, self.url = name, url

    def call(self, service, params):
        (signing, version) = service
        body = urllib.parse.urlencode([("Action", params[0][1]), ("Version", version)] + params[1:])
        request = AWSRequest(method="POST", url=self.url, data=body.encode(),
                             headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
        SigV4Auth(Credentials("test", "test"), signing, "us-east-1").add_auth(request)
        http = urllib.request.Request(self.url, data=body.encode(), headers=dict(request.headers), method="POST")
        try:
            with urllib.request.urlopen(http, timeout=60) as answer:
                return Answer(answer.status, answer.read())
        except urllib.error.HTTPError as error:
            return Answer(error.code, error.read())


class Check:
    def __init__(self, moto, sim):
        self.moto, self.sim = moto, sim
        self.failures, self.extra = [], {}
        self.namespaces = {}

    def fail(self, label, text):
        self.failures.append("%s: %s" % (label, text))
        print("  MISMATCH %s: %s" % (label, text))

    def both(self, label, service, moto_params, sim_params=None, paths=(), error=None, token=None, same=(), count=None):
        """Sends one read to both and compares; answers (moto, sim)."""
        m = self.moto.call(service, moto_params)
        s = self.sim.call(service, moto_params if sim_params is None else sim_params)
        before = len(self.failures)
        action = moto_params[0][1]
        self.namespaces.setdefault("%s %s" % (service[0], service[1]), (m.namespace, s.namespace))
        if error:
            if m.code != error or s.code != error or m.status >= 500 or s.status >= 500:
                self.fail(label, "error codes moto %s (HTTP %s), simulator %s (HTTP %s); expected %s" % (m.code, m.status, s.code, s.status, error))
        elif m.status != 200 or s.status != 200:
            self.fail(label, "HTTP moto %s %s, simulator %s %s" % (m.status, m.code, s.status, s.code))
        else:
            root = action + "Response"
            for answer, who in ((m, "moto"), (s, "simulator")):
                if answer.root is None or local(answer.root.tag) != root:
                    self.fail(label, "%s's root is %s, not %s" % (who, None if answer.root is None else local(answer.root.tag), root))
            for path in paths:
                missing = [who for answer, who in ((m, "moto"), (s, "simulator")) if path not in answer.paths]
                if missing:
                    self.fail(label, "%s lacks %s" % (" and ".join(missing), path))
            if token:
                has = (token in m.paths, token in s.paths)
                if has != (True, True):
                    self.fail(label, "pagination token %s: moto %s, simulator %s" % (token, has[0], has[1]))
            for path in same:
                a, b = sorted(set(m.texts(path))), sorted(set(s.texts(path)))
                if a != b:
                    self.fail(label, "%s: moto %s, simulator %s" % (path, a, b))
            if count:
                a, b = len(m.texts(count[0])), len(s.texts(count[0]))
                if not a == b == count[1]:
                    self.fail(label, "%d × %s expected: moto %d, simulator %d" % (count[1], count[0], a, b))
            extra = sorted(m.paths - s.paths)
            if extra:
                self.extra.setdefault(action, set()).update(extra)
        if len(self.failures) == before:
            print("  ok       %s" % label)
        return m, s


def wait_port(port, process, seconds):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if process.poll() is not None:
            raise SystemExit("moto_server exited with %s" % process.returncode)
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit("moto_server did not listen on %d within %d s" % (port, seconds))


def start_simulator():
    process = subprocess.Popen([sys.executable, os.path.join(HERE, "fleet_sim.py"), "--instances", str(INSTANCES), "--group-size", str(GROUP_SIZE),
                                "--apps", str(APPS), "--load-balancers", str(BALANCERS), "--port", "0"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = process.stdout.readline().strip()
    if not line.startswith("listening on "):
        process.kill()
        raise SystemExit("the simulator said %r, not 'listening on URL'" % line)
    return process, line[len("listening on "):] + "/"


def layout():
    """The simulator's fleet: (group name, app, size, load balancer) for each group."""
    groups, versions = [], {}
    for k in range((INSTANCES + GROUP_SIZE - 1) // GROUP_SIZE):
        app = "app%04d" % (k % APPS)
        version = versions.get(app, 0)
        versions[app] = version + 1
        groups.append(("%s-prod-v%03d" % (app, version), app, min(GROUP_SIZE, INSTANCES - k * GROUP_SIZE), "lb%03d" % (k % BALANCERS)))
    return groups


def build_in_moto(url):
    session = boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1")
    ec2, autoscaling, elb = (session.client(name, endpoint_url=url) for name in ("ec2", "autoscaling", "elb"))
    images = {}
    for a in range(APPS):
        app = "app%04d" % a
        images[app] = ec2.register_image(Name=app + "-1.0.0", Description="%s 1.0.0" % app)["ImageId"]
        ec2.create_tags(Resources=[images[app]], Tags=[{"Key": "appversion", "Value": app + "-1.0.0-h1"}])
    # AWS's default security group lets its own members in; moto's starts without the rule.
    default = ec2.describe_security_groups(GroupNames=["default"])["SecurityGroups"][0]["GroupId"]
    try:
        ec2.authorize_security_group_ingress(GroupId=default, IpPermissions=[{"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": default}]}])
    except Exception:
        pass
    for m in range(BALANCERS):
        name = "lb%03d" % m
        elb.create_load_balancer(LoadBalancerName=name, AvailabilityZones=ZONES,
                                 Listeners=[{"Protocol": "HTTP", "LoadBalancerPort": 80, "InstanceProtocol": "HTTP", "InstancePort": 7001}])
        elb.configure_health_check(LoadBalancerName=name, HealthCheck={"Target": "HTTP:7001/healthcheck", "Interval": 10, "Timeout": 5,
                                                                       "UnhealthyThreshold": 2, "HealthyThreshold": 10})
        elb.modify_load_balancer_attributes(LoadBalancerName=name, LoadBalancerAttributes={"ConnectionDraining": {"Enabled": True, "Timeout": 300}})
    for name, app, size, balancer in layout():
        ec2.create_launch_template(LaunchTemplateName=name, LaunchTemplateData={"ImageId": images[app], "InstanceType": "t3.micro"})
        tags = {"asgard:imageId": images[app], "asgard:cluster": app + "-prod", "asgard:loadBalancers": balancer}
        autoscaling.create_auto_scaling_group(
            AutoScalingGroupName=name, LaunchTemplate={"LaunchTemplateName": name, "Version": "$Latest"}, MinSize=0, MaxSize=2 * GROUP_SIZE,
            DesiredCapacity=size, AvailabilityZones=ZONES, LoadBalancerNames=[balancer], HealthCheckType="EC2", HealthCheckGracePeriod=600,
            TerminationPolicies=["Default"],
            Tags=[{"Key": k, "Value": v, "PropagateAtLaunch": True, "ResourceId": name, "ResourceType": "auto-scaling-group"} for k, v in sorted(tags.items())])
    # moto puts a group's instances in one reservation and counts pages in reservations: a few
    # more make its DescribeInstances paginate at MaxResults=5, as the simulator's does.
    for _ in range(3):
        ec2.run_instances(ImageId=images["app0000"], MinCount=1, MaxCount=1, InstanceType="t3.micro",
                          TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "standalone"}]}])


def follow(check, label, service, params, token, request_token, paths, moto_first, sim_first, same=()):
    """Fetches the remaining pages from each with its own token; checks each page's paths and
    answers the values of `same` over all pages, per backend."""
    gathered = {}
    for backend, first in ((check.moto, moto_first), (check.sim, sim_first)):
        values = {path: list(first.texts(path)) for path in same}
        page, pages = first, 1
        while token in page.paths and pages < 50:
            page = backend.call(service, params + [(request_token, page.texts(token)[0])])
            pages += 1
            if page.status != 200:
                check.fail(label, "%s's page %d answered HTTP %s %s" % (backend.name, pages, page.status, page.code))
                break
            missing = [path for path in paths if path not in page.paths]
            if missing:
                check.fail(label, "%s's page %d lacks %s" % (backend.name, pages, ", ".join(missing)))
            for path in same:
                values[path] += page.texts(path)
        gathered[backend.name] = (values, pages)
    (moto_values, moto_pages), (sim_values, sim_pages) = gathered["moto"], gathered["simulator"]
    ok = True
    for path in same:
        if sorted(set(moto_values[path])) != sorted(set(sim_values[path])):
            check.fail(label, "over all pages %s: moto %s, simulator %s" % (path, sorted(set(moto_values[path])), sorted(set(sim_values[path]))))
            ok = False
    if ok:
        print("  ok       %s (pages: moto %d, simulator %d)" % (label, moto_pages, sim_pages))
    return gathered


def members_of(answer):
    return answer.texts(GROUP + "Instances/member/InstanceId")


def run(check):
    print("EC2")
    state_filter = [("Filter.1.Name", "instance-state-name")] + [("Filter.1.Value.%d" % (n + 1), v) for n, v in
                                                                enumerate(["pending", "running", "shutting-down", "stopping", "stopped"])]
    paged = [("Action", "DescribeInstances"), ("MaxResults", "5")] + state_filter
    m, s = check.both("DescribeInstances, the region (MaxResults=5, state filter)", EC2, paged, paths=INSTANCE_PATHS, token="nextToken",
                      same=[INSTANCE + "instanceState/name"])
    follow(check, "DescribeInstances, next pages with nextToken", EC2, paged, "nextToken", "NextToken", INSTANCE_PATHS, m, s,
           same=[INSTANCE + "instanceState/name"])
    group = [("Action", "DescribeAutoScalingGroups"), ("AutoScalingGroupNames.member.1", "app0000-prod-v000")]
    gm, gs = check.moto.call(ASG, group), check.sim.call(ASG, group)
    ids = lambda answer: [("Action", "DescribeInstances")] + [("InstanceId.%d" % (n + 1), i) for n, i in enumerate(members_of(answer))]
    check.both("DescribeInstances by InstanceId.N (one group's)", EC2, ids(gm), ids(gs), paths=INSTANCE_PATHS,
               same=[INSTANCE + "instanceState/name", INSTANCE + "tagSet/item/key", INSTANCE + "instanceType"], count=(INSTANCE + "instanceId", 2))
    check.both("DescribeInstances of an unknown instance", EC2, [("Action", "DescribeInstances"), ("InstanceId.1", "i-0123456789abcdef0")],
               error="InvalidInstanceID.NotFound")
    images = check.both("DescribeImages Owner.1=self", EC2, [("Action", "DescribeImages"), ("Owner.1", "self")],
                        paths=["imagesSet/item/" + p for p in ("imageId", "name", "imageState", "description", "creationDate", "tagSet/item/key",
                                                               "tagSet/item/value")],
                        same=["imagesSet/item/name", "imagesSet/item/imageState", "imagesSet/item/tagSet/item/key", "imagesSet/item/tagSet/item/value"])
    first = lambda answer: [("Action", "DescribeImages"), ("ImageId.1", answer.texts("imagesSet/item/imageId")[0])]
    check.both("DescribeImages ImageId.1", EC2, first(images[0]), first(images[1]), paths=["imagesSet/item/imageId", "imagesSet/item/name"],
               count=("imagesSet/item/imageId", 1))
    check.both("DescribeImages of an unknown AMI", EC2, [("Action", "DescribeImages"), ("ImageId.1", "ami-0123456789abcdef0")],
               error="InvalidAMIID.NotFound")
    check.both("DescribeLaunchTemplateVersions $Latest", EC2, [("Action", "DescribeLaunchTemplateVersions"), ("LaunchTemplateName", "app0000-prod-v000"),
                                                               ("LaunchTemplateVersion.1", "$Latest")],
               paths=["launchTemplateVersionSet/item/launchTemplateData/imageId", "launchTemplateVersionSet/item/versionNumber"],
               same=["launchTemplateVersionSet/item/versionNumber", "launchTemplateVersionSet/item/launchTemplateName",
                     "launchTemplateVersionSet/item/launchTemplateData/instanceType"])
    check.both("DescribeLaunchTemplateVersions of an unknown template", EC2,
               [("Action", "DescribeLaunchTemplateVersions"), ("LaunchTemplateName", "nope"), ("LaunchTemplateVersion.1", "1")],
               error="InvalidLaunchTemplateName.NotFoundException")
    check.both("DescribeSecurityGroups MaxResults=1000", EC2, [("Action", "DescribeSecurityGroups"), ("MaxResults", "1000")],
               paths=["securityGroupInfo/item/" + p for p in ("groupId", "groupName", "groupDescription", "vpcId", "ipPermissions/item/ipProtocol",
                                                              "ipPermissions/item/groups/item/groupId", "ipPermissions/item/ipRanges")])
    check.both("DescribeSubnets default-for-az", EC2, [("Action", "DescribeSubnets"), ("Filter.1.Name", "default-for-az"), ("Filter.1.Value.1", "true")],
               paths=["subnetSet/item/subnetId", "subnetSet/item/availabilityZone", "subnetSet/item/vpcId"], same=["subnetSet/item/availabilityZone"])
    check.both("DescribeAvailabilityZones", EC2, [("Action", "DescribeAvailabilityZones")],
               paths=["availabilityZoneInfo/item/zoneName", "availabilityZoneInfo/item/zoneState"], same=["availabilityZoneInfo/item/zoneName"])

    print("Auto Scaling")
    paged = [("Action", "DescribeAutoScalingGroups"), ("MaxRecords", "2")]
    same = [GROUP + p for p in ("AutoScalingGroupName", "Tags/member/Key", "LaunchTemplate/Version", "LaunchTemplate/LaunchTemplateName",
                                "Instances/member/LifecycleState", "Instances/member/HealthStatus", "LoadBalancerNames/member", "HealthCheckType",
                                "HealthCheckGracePeriod", "TerminationPolicies/member", "MinSize", "MaxSize", "DesiredCapacity")]
    m, s = check.both("DescribeAutoScalingGroups MaxRecords=2", ASG, paged, paths=GROUP_PATHS, token="DescribeAutoScalingGroupsResult/NextToken")
    follow(check, "DescribeAutoScalingGroups, next pages with NextToken", ASG, paged, "DescribeAutoScalingGroupsResult/NextToken", "NextToken",
           GROUP_PATHS, m, s, same=same)
    check.both("DescribeAutoScalingGroups MaxRecords=100", ASG, [("Action", "DescribeAutoScalingGroups"), ("MaxRecords", "100")], paths=GROUP_PATHS,
               same=same, count=(GROUP + "AutoScalingGroupName", 3))
    check.both("DescribeAutoScalingGroups of an unknown group", ASG, [("Action", "DescribeAutoScalingGroups"),
                                                                     ("AutoScalingGroupNames.member.1", "nope-v000"), ("MaxRecords", "100")],
               paths=["DescribeAutoScalingGroupsResult/AutoScalingGroups"], count=(GROUP + "AutoScalingGroupName", 0))
    check.both("DescribeLaunchConfigurations MaxRecords=100", ASG, [("Action", "DescribeLaunchConfigurations"), ("MaxRecords", "100")],
               paths=["DescribeLaunchConfigurationsResult/LaunchConfigurations"])
    check.both("DescribePolicies", ASG, [("Action", "DescribePolicies")], paths=["DescribePoliciesResult/ScalingPolicies"])
    check.both("DescribeScheduledActions", ASG, [("Action", "DescribeScheduledActions")],
               paths=["DescribeScheduledActionsResult/ScheduledUpdateGroupActions"])

    print("Classic ELB")
    paged = [("Action", "DescribeLoadBalancers"), ("PageSize", "1")]
    lb_same = [BALANCER + p for p in ("LoadBalancerName", "ListenerDescriptions/member/Listener/LoadBalancerPort",
                                      "ListenerDescriptions/member/Listener/InstancePort", "HealthCheck/Target", "HealthCheck/Interval")]
    m, s = check.both("DescribeLoadBalancers PageSize=1", ELB, paged, paths=BALANCER_PATHS, token="DescribeLoadBalancersResult/NextMarker")
    follow(check, "DescribeLoadBalancers, next pages with Marker", ELB, paged, "DescribeLoadBalancersResult/NextMarker", "Marker", BALANCER_PATHS,
           m, s, same=lb_same)
    check.both("DescribeLoadBalancers LoadBalancerNames.member.1", ELB, [("Action", "DescribeLoadBalancers"), ("LoadBalancerNames.member.1", "lb000")],
               paths=BALANCER_PATHS, same=lb_same, count=(BALANCER + "Instances/member/InstanceId", 2))
    check.both("DescribeLoadBalancers of an unknown one", ELB, [("Action", "DescribeLoadBalancers"), ("LoadBalancerNames.member.1", "nope")],
               error="LoadBalancerNotFound")
    check.both("DescribeInstanceHealth", ELB, [("Action", "DescribeInstanceHealth"), ("LoadBalancerName", "lb000")], paths=HEALTH_PATHS,
               same=[HEALTH + "State"], count=(HEALTH + "InstanceId", 2))
    attributes = "DescribeLoadBalancerAttributesResult/LoadBalancerAttributes/ConnectionDraining/"
    check.both("DescribeLoadBalancerAttributes", ELB, [("Action", "DescribeLoadBalancerAttributes"), ("LoadBalancerName", "lb000")],
               paths=[attributes + "Enabled", attributes + "Timeout"], same=[attributes + "Enabled", attributes + "Timeout"])

    print("ELB v2 and CloudWatch (no application load balancers, no alarms)")
    check.both("DescribeLoadBalancers PageSize=400", ELBV2, [("Action", "DescribeLoadBalancers"), ("PageSize", "400")],
               paths=["DescribeLoadBalancersResult/LoadBalancers"])
    check.both("DescribeLoadBalancers Names of an unknown one", ELBV2, [("Action", "DescribeLoadBalancers"), ("Names.member.1", "nope")],
               error="LoadBalancerNotFound")
    check.both("DescribeTargetGroups PageSize=400", ELBV2, [("Action", "DescribeTargetGroups"), ("PageSize", "400")],
               paths=["DescribeTargetGroupsResult/TargetGroups"])
    check.both("DescribeTargetGroups Names of an unknown one", ELBV2, [("Action", "DescribeTargetGroups"), ("Names.member.1", "nope")],
               error="TargetGroupNotFound")
    check.both("DescribeTargetHealth of an unknown target group", ELBV2,
               [("Action", "DescribeTargetHealth"), ("TargetGroupArn", "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/nope/0000000000000000")],
               error="TargetGroupNotFound")
    check.both("DescribeAlarms MaxRecords=100", CW, [("Action", "DescribeAlarms"), ("MaxRecords", "100")], paths=["DescribeAlarmsResult/MetricAlarms"])

    print("UpdateAutoScalingGroup, then the console's refresh(group:)")
    for desired, health in ((3, 3), (1, 1)):
        check.both("UpdateAutoScalingGroup DesiredCapacity=%d" % desired, ASG,
                   [("Action", "UpdateAutoScalingGroup"), ("AutoScalingGroupName", "app0000-prod-v000"), ("MinSize", "0"), ("MaxSize", "4"),
                    ("DesiredCapacity", str(desired))], paths=["ResponseMetadata/RequestId"])
        gm, gs = check.both("  DescribeAutoScalingGroups of it", ASG, group, paths=GROUP_PATHS,
                            same=[GROUP + "DesiredCapacity", GROUP + "Instances/member/LifecycleState"],
                            count=(GROUP + "Instances/member/InstanceId", desired))
        check.both("  DescribeInstances of its instances", EC2, ids(gm), ids(gs), paths=INSTANCE_PATHS, same=[INSTANCE + "instanceState/name"],
                   count=(INSTANCE + "instanceId", desired))
        check.both("  DescribeInstanceHealth of its load balancer", ELB, [("Action", "DescribeInstanceHealth"), ("LoadBalancerName", "lb000")],
                   paths=HEALTH_PATHS, same=[HEALTH + "State"], count=(HEALTH + "InstanceId", health))
    check.both("UpdateAutoScalingGroup of an unknown group", ASG, [("Action", "UpdateAutoScalingGroup"), ("AutoScalingGroupName", "nope-v000"),
                                                                  ("DesiredCapacity", "1")], error="ValidationError")

    print("The simulator alone (moto answers an unknown action with an HTML 500)")
    for service in (EC2, ASG, ELB, ELBV2, CW):
        answer = check.sim.call(service, [("Action", "NoSuchAction")])
        label = "%s %s: unknown action" % service
        if answer.status == 400 and answer.code == "InvalidAction":
            print("  ok       %s answers 400 InvalidAction" % label)
        else:
            check.fail(label, "HTTP %s %s, not 400 InvalidAction" % (answer.status, answer.code))


def main():
    moto_port = free_port()
    with open(os.devnull, "w") as quiet:
        moto = subprocess.Popen(["moto_server", "-H", "127.0.0.1", "-p", str(moto_port)], stdout=quiet, stderr=quiet)
    simulator = None
    started = time.time()
    try:
        simulator, sim_url = start_simulator()
        wait_port(moto_port, moto, 30)
        moto_url = "http://127.0.0.1:%d/" % moto_port
        build_in_moto(moto_url)
        print("moto at %s, simulator at %s (%d instances, groups of %d, %d apps, %d load balancers)"
              % (moto_url, sim_url, INSTANCES, GROUP_SIZE, APPS, BALANCERS))
        check = Check(Backend("moto", moto_url), Backend("simulator", sim_url))
        run(check)
    finally:
        for process in (moto, simulator):
            if process is not None and process.poll() is None:
                process.terminate()
        for process in (moto, simulator):
            if process is not None:
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
    print("Namespaces (moto, simulator):")
    for service, (a, b) in sorted(check.namespaces.items()):
        print("  %-34s %s%s" % (service, a, "" if a == b else "  vs  %s" % b))
    if check.extra:
        print("Paths moto answers that the simulator leaves out (the console reads none of them):")
        for action, paths in sorted(check.extra.items()):
            shown = sorted(paths)
            print("  %s: %s%s" % (action, ", ".join(shown[:8]), " … (%d)" % len(shown) if len(shown) > 8 else ""))
    print("%s in %.1f s: %d mismatches" % ("FAILED" if check.failures else "passed", time.time() - started, len(check.failures)))
    for failure in check.failures:
        print("  " + failure)
    sys.exit(1 if check.failures else 0)


if __name__ == "__main__":
    main()
