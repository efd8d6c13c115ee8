#!/usr/bin/env python3
"""A fast simulator of one AWS region's fleet, for benchmarks and scale tests of the console.

moto cannot serve 10,000+ instances (one DescribeInstances took > 150 s); this answers the same
AWS Query calls from XML rendered once at start, so a page of 1,000 instances is a join of
strings. The product's own tests stay on moto; Tests/aws/fleet_sim_check.py compares the
answers' shapes with moto's.

    python3 Tests/aws/fleet_sim.py --instances N [--group-size 50] [--apps 1000] [--load-balancers 10] [--port 0]

The fleet: N instances in Auto Scaling groups of --group-size (the last may be smaller). Group k
belongs to app app%04d % (k % apps), cluster <app>-prod, name <app>-prod-vNNN (NNN counting up
within the cluster); it launches from a launch template named like it (version 1, the app's AMI
<app>-1.0.0, tagged appversion=<app>-1.0.0-h1) and carries the tags the console writes
(asgard:imageId, asgard:cluster, asgard:loadBalancers). Classic load balancers lb000… get group k
attached to lb (k % M); their instances are InService. Instances are running, InService and
Healthy in us-east-1a/b/c, launched in the past. No application load balancers.

It listens on 127.0.0.1 (--port 0: a free port), prints `listening on http://127.0.0.1:PORT` once
ready, and answers the Query protocol (form POSTs; the service is told by Version: ec2
2016-11-15, autoscaling 2011-01-01, classic ELB 2012-06-01, ELBv2 2015-12-01, monitoring
2010-08-01) with AWS's XML and pagination. Signatures are not checked. An action it does not
know answers AWS's 400 InvalidAction. UpdateAutoScalingGroup and SetDesiredCapacity change a
group at once: new instances are InService (and in the group's load balancer), removed ones (the
newest) are terminated.

Actions: ec2 DescribeInstances (MaxResults 5-1000/NextToken, InstanceId.N, filters instance-state-name,
instance-id, availability-zone, tag:KEY, tag-key), DescribeImages, DescribeLaunchTemplateVersions (one
template, or $Latest/$Default of all, paginated), DescribeSecurityGroups, DescribeSubnets,
DescribeAvailabilityZones; autoscaling DescribeAutoScalingGroups (MaxRecords <= 100/NextToken,
AutoScalingGroupNames.member.N), DescribeLaunchConfigurations, DescribePolicies,
DescribeScheduledActions, UpdateAutoScalingGroup, SetDesiredCapacity; classic ELB
DescribeLoadBalancers (PageSize <= 400/Marker/NextMarker), DescribeInstanceHealth,
DescribeLoadBalancerAttributes; ELBv2 DescribeLoadBalancers, DescribeTargetGroups (empty),
DescribeTargetHealth, DescribeListeners, DescribeTags (not found); monitoring DescribeAlarms,
GetMetricStatistics (empty).

Control: GET /_sim/stats (calls by service:Action, seconds spent building answers, instance and
group counts), POST /_sim/reset-stats. Standard library only.
"""
import argparse
import base64
import bisect
import json
import socket
import sys
import threading
import time
import traceback
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit
from xml.sax.saxutils import escape

ACCOUNT = "123456789012"
REGION = "us-east-1"
ZONES = ["us-east-1a", "us-east-1b", "us-east-1c"]
REGION_ZONES = [("us-east-1a", "use1-az6"), ("us-east-1b", "use1-az1"), ("us-east-1c", "use1-az2"),
                ("us-east-1d", "use1-az4"), ("us-east-1e", "use1-az3"), ("us-east-1f", "use1-az5")]
VPC = "vpc-0c5a1d3e7b9f24681"
SUBNETS = {"us-east-1a": ("subnet-0a11b22c33d44e551", "172.31.0.0/20"), "us-east-1b": ("subnet-0a11b22c33d44e552", "172.31.16.0/20"),
           "us-east-1c": ("subnet-0a11b22c33d44e553", "172.31.32.0/20"), "us-east-1d": ("subnet-0a11b22c33d44e554", "172.31.48.0/20"),
           "us-east-1e": ("subnet-0a11b22c33d44e555", "172.31.64.0/20"), "us-east-1f": ("subnet-0a11b22c33d44e556", "172.31.80.0/20")}
DEFAULT_SG = "sg-0d1e2f3a4b5c6d7e8"
INSTANCE_TYPE = "t3.micro"
# The account Auto Scaling launches instances as (EC2's requesterId of their reservations).
ASG_REQUESTER = "940372691376"
SERVICE_ROLE = "arn:aws:iam::%s:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling" % ACCOUNT
MASK64 = (1 << 64) - 1

SERVICES = {"2016-11-15": "ec2", "2011-01-01": "autoscaling", "2012-06-01": "elb", "2015-12-01": "elbv2", "2010-08-01": "monitoring"}
NAMESPACES = {"ec2": "http://ec2.amazonaws.com/doc/2016-11-15/", "autoscaling": "http://autoscaling.amazonaws.com/doc/2011-01-01/",
              "elb": "http://elasticloadbalancing.amazonaws.com/doc/2012-06-01/",
              "elbv2": "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/", "monitoring": "http://monitoring.amazonaws.com/doc/2010-08-01/"}
# How long EC2 keeps listing a terminated instance.
TERMINATED_VISIBLE_SECONDS = 3600


class Fault(Exception):
    """An AWS error answer."""

    def __init__(self, code, message, status=400):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def hex_id(prefix, number, salt):
    """A stable AWS-looking id with 17 hex digits (the first 0, as AWS's are): a bijection of
    `number` in 64 bits (xor-shifts and odd multipliers), so never twice the same."""
    v = (number + salt) & MASK64
    v ^= v >> 31
    v = (v * 0x7FB5D329728EA185) & MASK64
    v ^= v >> 27
    v = (v * 0x81DADEF4BC2DD44D) & MASK64
    v ^= v >> 33
    return "%s-%017x" % (prefix, v)


def iso(seconds, millis=True):
    text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
    return text + (".000Z" if millis else "Z")


def token_of(value):
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode()


def untoken(text, code, message):
    try:
        return json.loads(base64.urlsafe_b64decode(text.encode()))
    except Exception:
        raise Fault(code, message)


def x(text):
    return escape(str(text))


# --- Query parameters -------------------------------------------------------------------------

def numbered(params, name):
    """EC2's list `Name.1`, `Name.2`, … in order."""
    prefix = name + "."
    found = [(int(key[len(prefix):]), value) for key, value in params.items() if key.startswith(prefix) and key[len(prefix):].isdigit()]
    return [value for _, value in sorted(found)]


def members(params, name):
    """A Query list: `Name.member.1`, `Name.member.2`, … in order."""
    return numbered(params, name + ".member")


def ec2_filters(params):
    """EC2's `Filter.N.Name` / `Filter.N.Value.M` as [(name, [values])]."""
    found = {}
    for key, value in params.items():
        parts = key.split(".")
        if parts[0] == "Filter" and len(parts) >= 3 and parts[1].isdigit():
            entry = found.setdefault(int(parts[1]), {"name": None, "values": []})
            if parts[2] == "Name":
                entry["name"] = value
            elif parts[2] == "Value" and len(parts) == 4 and parts[3].isdigit():
                entry["values"].append((int(parts[3]), value))
    return [(entry["name"], [v for _, v in sorted(entry["values"])]) for _, entry in sorted(found.items())]


def integer(params, name, low, high, default, fault):
    """An integer parameter within [low, high]; `fault(value)` makes the error."""
    text = params.get(name)
    if text is None:
        return default
    try:
        value = int(text)
    except ValueError:
        raise fault(text)
    if not low <= value <= high:
        raise fault(text)
    return value


# --- The fleet --------------------------------------------------------------------------------

class Instance:
    __slots__ = ("id", "seq", "group", "zone", "ip", "launch", "state", "terminated", "xml", "member_xml")


class Group:
    __slots__ = ("name", "app", "cluster", "arn", "created", "min", "max", "desired", "members", "balancers", "tags",
                 "template_version", "health_check_type", "grace", "termination_policies", "xml")


class Balancer:
    __slots__ = ("name", "created", "dns", "groups", "description", "health")


class Fleet:
    def __init__(self, instances, group_size, apps, balancers):
        self.lock = threading.Lock()
        self.now = int(time.time())
        self.next_seq = 0
        self.instances = {}
        self.groups = {}
        self.images = {}        # app -> (ami id, xml)
        self.templates = {}     # name -> launch template id
        self.balancers = {}
        base = self.now - 30 * 86400
        group_count = (instances + group_size - 1) // group_size if instances > 0 else 0
        for a in range(apps):
            app = "app%04d" % a
            image = hex_id("ami", a, 0x1A2B3C)
            created = base - 86400 + a
            self.images[app] = (image, self.render_image(app, image, created))
        self.image_ids = {image: app for app, (image, _) in self.images.items()}
        for m in range(balancers):
            b = Balancer()
            b.name, b.created, b.groups = "lb%03d" % m, base - 2 * 86400 + m, []
            b.dns = "%s-%d.%s.elb.amazonaws.com" % (b.name, 1000000000 + m * 7919, REGION)
            b.description = b.health = None
            self.balancers[b.name] = b
        versions = {}
        for k in range(group_count):
            app = "app%04d" % (k % apps)
            cluster = app + "-prod"
            version = versions.get(cluster, 0)
            versions[cluster] = version + 1
            g = Group()
            g.name, g.app, g.cluster = "%s-v%03d" % (cluster, version), app, cluster
            g.arn = "arn:aws:autoscaling:%s:%s:autoScalingGroup:%s:autoScalingGroupName/%s" % (
                REGION, ACCOUNT, uuid.UUID(int=((k + 1) * 0x9E3779B97F4A7C15 * 0x100000001B3) & ((1 << 128) - 1), version=4), g.name)
            g.created = base + (k * 29 * 86400) // max(1, group_count)
            size = min(group_size, instances - k * group_size)
            g.min, g.max, g.desired = 0, max(group_size * 2, size), size
            g.members = []
            g.balancers = [self.balancers["lb%03d" % (k % balancers)].name] if balancers else []
            image = self.images[app][0]
            g.tags = [("asgard:cluster", cluster), ("asgard:imageId", image)]
            if g.balancers:
                g.tags.append(("asgard:loadBalancers", ",".join(g.balancers)))
            g.template_version = "$Latest"
            g.health_check_type, g.grace, g.termination_policies = "EC2", 600, ["Default"]
            self.templates[g.name] = hex_id("lt", k, 0x77AA55)
            for b in g.balancers:
                self.balancers[b].groups.append(g.name)
            for j in range(size):
                g.members.append(self.launch(g, g.created + 60 + j * 3, ZONES[j % len(ZONES)]))
            g.xml = None
            self.groups[g.name] = g
        self.group_names = sorted(self.groups)
        for g in self.groups.values():
            self.render_group(g)
        self.rebuild_order()

    # -- Rendering (once per object; again only when it changes)

    def launch(self, group, when, zone):
        i = Instance()
        i.seq = self.next_seq
        self.next_seq += 1
        i.id = hex_id("i", i.seq, 0x5DEECE66D)
        i.group, i.zone, i.launch, i.state, i.terminated = group.name, zone, when, "running", None
        n = i.seq + 10
        i.ip = "10.%d.%d.%d" % ((n >> 16) & 255, (n >> 8) & 255, n & 255)
        self.instances[i.id] = i
        self.render_instance(i, group)
        return i.id

    def instance_tags(self, group):
        tags = list(group.tags) + [("aws:autoscaling:groupName", group.name), ("aws:ec2launchtemplate:id", self.templates[group.name]),
                                   ("aws:ec2launchtemplate:version", "1")]
        return tags

    def render_instance(self, i, group):
        image = self.images[group.app][0]
        launch = iso(i.launch)
        tags = "".join("<item><key>%s</key><value>%s</value></item>" % (x(k), x(v)) for k, v in self.instance_tags(group))
        subnet = SUBNETS[i.zone][0]
        reservation = hex_id("r", i.seq, 0x3C6EF372)
        if i.state == "running":
            dns = "ip-%s.ec2.internal" % i.ip.replace(".", "-")
            eni = hex_id("eni", i.seq, 0xA54FF53A)
            state = "<instanceState><code>16</code><name>running</name></instanceState>"
            reason = "<reason/>"
            state_reason = ""
            network = ("<privateIpAddress>%s</privateIpAddress>" % i.ip)
            devices = ("<blockDeviceMapping><item><deviceName>/dev/xvda</deviceName><ebs><volumeId>%s</volumeId><status>attached</status>"
                       "<attachTime>%s</attachTime><deleteOnTermination>true</deleteOnTermination></ebs></item></blockDeviceMapping>"
                       % (hex_id("vol", i.seq, 0x510E527F), launch))
            interfaces = ("<networkInterfaceSet><item><networkInterfaceId>%s</networkInterfaceId><subnetId>%s</subnetId><vpcId>%s</vpcId>"
                          "<description/><ownerId>%s</ownerId><status>in-use</status><macAddress>0a:%02x:%02x:%02x:%02x:%02x</macAddress>"
                          "<privateIpAddress>%s</privateIpAddress><privateDnsName>%s</privateDnsName><sourceDestCheck>true</sourceDestCheck>"
                          "<groupSet><item><groupId>%s</groupId><groupName>default</groupName></item></groupSet>"
                          "<attachment><attachmentId>%s</attachmentId><deviceIndex>0</deviceIndex><status>attached</status><attachTime>%s</attachTime>"
                          "<deleteOnTermination>true</deleteOnTermination><networkCardIndex>0</networkCardIndex></attachment>"
                          "<privateIpAddressesSet><item><privateIpAddress>%s</privateIpAddress><privateDnsName>%s</privateDnsName><primary>true</primary></item>"
                          "</privateIpAddressesSet><ipv6AddressesSet/><interfaceType>interface</interfaceType></item></networkInterfaceSet>"
                          % (eni, subnet, VPC, ACCOUNT, (i.seq >> 32) & 255, (i.seq >> 24) & 255, (i.seq >> 16) & 255, (i.seq >> 8) & 255, i.seq & 255,
                             i.ip, dns, DEFAULT_SG, hex_id("eni-attach", i.seq, 0x9B05688C), launch, i.ip, dns))
            placement_subnet = "<subnetId>%s</subnetId><vpcId>%s</vpcId>" % (subnet, VPC)
        else:
            dns = ""
            state = "<instanceState><code>48</code><name>terminated</name></instanceState>"
            reason = "<reason>User initiated (%s GMT)</reason>" % time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(i.terminated))
            state_reason = "<stateReason><code>Client.UserInitiatedShutdown</code><message>Client.UserInitiatedShutdown: User initiated shutdown</message></stateReason>"
            network = devices = ""
            interfaces = "<networkInterfaceSet/>"
            placement_subnet = ""
        i.xml = (
            "<item><reservationId>%s</reservationId><ownerId>%s</ownerId><requesterId>%s</requesterId><groupSet/><instancesSet><item>"
            "<instanceId>%s</instanceId><imageId>%s</imageId>%s<privateDnsName>%s</privateDnsName><dnsName/>%s"
            "<amiLaunchIndex>0</amiLaunchIndex><productCodes/><instanceType>%s</instanceType><launchTime>%s</launchTime>"
            "<placement><availabilityZone>%s</availabilityZone><groupName/><tenancy>default</tenancy></placement>"
            "<monitoring><state>disabled</state></monitoring>%s%s<sourceDestCheck>true</sourceDestCheck>"
            "<groupSet><item><groupId>%s</groupId><groupName>default</groupName></item></groupSet>%s"
            "<architecture>x86_64</architecture><rootDeviceType>ebs</rootDeviceType><rootDeviceName>/dev/xvda</rootDeviceName>%s"
            "<virtualizationType>hvm</virtualizationType><clientToken>%s</clientToken><tagSet>%s</tagSet><hypervisor>xen</hypervisor>%s"
            "<ebsOptimized>false</ebsOptimized><enaSupport>true</enaSupport><cpuOptions><coreCount>1</coreCount><threadsPerCore>2</threadsPerCore></cpuOptions>"
            "<capacityReservationSpecification><capacityReservationPreference>open</capacityReservationPreference></capacityReservationSpecification>"
            "<hibernationOptions><configured>false</configured></hibernationOptions>"
            "<metadataOptions><state>applied</state><httpTokens>required</httpTokens><httpPutResponseHopLimit>2</httpPutResponseHopLimit>"
            "<httpEndpoint>enabled</httpEndpoint><httpProtocolIpv6>disabled</httpProtocolIpv6><instanceMetadataTags>disabled</instanceMetadataTags></metadataOptions>"
            "<enclaveOptions><enabled>false</enabled></enclaveOptions><bootMode>uefi-preferred</bootMode><platformDetails>Linux/UNIX</platformDetails>"
            "<usageOperation>RunInstances</usageOperation><usageOperationUpdateTime>%s</usageOperationUpdateTime>"
            "<maintenanceOptions><autoRecovery>default</autoRecovery></maintenanceOptions><currentInstanceBootMode>uefi</currentInstanceBootMode>"
            "</item></instancesSet></item>"
            % (reservation, ACCOUNT, ASG_REQUESTER, i.id, image, state, dns, reason, INSTANCE_TYPE, launch, i.zone, placement_subnet, network,
               DEFAULT_SG, state_reason, devices, uuid.UUID(int=(i.seq * 0x9E3779B97F4A7C15) & ((1 << 128) - 1)), tags, interfaces, launch)
        ).encode()
        i.member_xml = (
            "<member><InstanceId>%s</InstanceId><InstanceType>%s</InstanceType><AvailabilityZone>%s</AvailabilityZone>"
            "<LifecycleState>InService</LifecycleState><HealthStatus>Healthy</HealthStatus><LaunchTemplate><LaunchTemplateId>%s</LaunchTemplateId>"
            "<LaunchTemplateName>%s</LaunchTemplateName><Version>1</Version></LaunchTemplate><ProtectedFromScaleIn>false</ProtectedFromScaleIn></member>"
            % (i.id, INSTANCE_TYPE, i.zone, self.templates[group.name], group.name)
        ).encode()

    def render_image(self, app, image, created):
        return (
            "<item><imageId>%s</imageId><imageLocation>%s/%s-1.0.0</imageLocation><imageState>available</imageState><imageOwnerId>%s</imageOwnerId>"
            "<creationDate>%s</creationDate><isPublic>false</isPublic><architecture>x86_64</architecture><imageType>machine</imageType>"
            "<sriovNetSupport>simple</sriovNetSupport><name>%s-1.0.0</name><description>%s 1.0.0, baked by the fleet simulator</description>"
            "<rootDeviceType>ebs</rootDeviceType><rootDeviceName>/dev/xvda</rootDeviceName><blockDeviceMapping><item><deviceName>/dev/xvda</deviceName>"
            "<ebs><snapshotId>%s</snapshotId><volumeSize>8</volumeSize><deleteOnTermination>true</deleteOnTermination><volumeType>gp3</volumeType>"
            "<iops>3000</iops><throughput>125</throughput><encrypted>false</encrypted></ebs></item></blockDeviceMapping>"
            "<virtualizationType>hvm</virtualizationType><tagSet><item><key>appversion</key><value>%s-1.0.0-h1</value></item></tagSet>"
            "<hypervisor>xen</hypervisor><enaSupport>true</enaSupport><platformDetails>Linux/UNIX</platformDetails><usageOperation>RunInstances</usageOperation>"
            "<bootMode>uefi-preferred</bootMode><productCodes/></item>"
            % (image, ACCOUNT, app, ACCOUNT, iso(created), app, app, hex_id("snap", int(app[3:]), 0x2F2F2F), app)
        ).encode()

    def render_group(self, g):
        template = self.templates[g.name]
        zones = "".join("<member>%s</member>" % z for z in ZONES)
        tags = "".join("<member><ResourceId>%s</ResourceId><ResourceType>auto-scaling-group</ResourceType><Key>%s</Key><Value>%s</Value>"
                       "<PropagateAtLaunch>true</PropagateAtLaunch></member>" % (x(g.name), x(k), x(v)) for k, v in g.tags)
        balancers = "".join("<member>%s</member>" % b for b in g.balancers)
        policies = "".join("<member>%s</member>" % p for p in g.termination_policies)
        g.xml = b"".join([
            ("<member><AutoScalingGroupName>%s</AutoScalingGroupName><AutoScalingGroupARN>%s</AutoScalingGroupARN>"
             "<LaunchTemplate><LaunchTemplateId>%s</LaunchTemplateId><LaunchTemplateName>%s</LaunchTemplateName><Version>%s</Version></LaunchTemplate>"
             "<MinSize>%d</MinSize><MaxSize>%d</MaxSize><DesiredCapacity>%d</DesiredCapacity><DefaultCooldown>300</DefaultCooldown>"
             "<AvailabilityZones>%s</AvailabilityZones>%s<TargetGroupARNs/><HealthCheckType>%s</HealthCheckType>"
             "<HealthCheckGracePeriod>%d</HealthCheckGracePeriod>"
             % (g.name, g.arn, template, g.name, x(g.template_version), g.min, g.max, g.desired, zones,
                "<LoadBalancerNames>%s</LoadBalancerNames>" % balancers if balancers else "<LoadBalancerNames/>", g.health_check_type, g.grace)).encode(),
            b"<Instances>" if g.members else b"<Instances/>",
            b"".join(self.instances[i].member_xml for i in g.members),
            b"</Instances>" if g.members else b"",
            ("<CreatedTime>%s</CreatedTime><SuspendedProcesses/><VPCZoneIdentifier>%s</VPCZoneIdentifier><EnabledMetrics/><Tags>%s</Tags>"
             "<TerminationPolicies>%s</TerminationPolicies><NewInstancesProtectedFromScaleIn>false</NewInstancesProtectedFromScaleIn>"
             "<ServiceLinkedRoleARN>%s</ServiceLinkedRoleARN><CapacityRebalance>false</CapacityRebalance><TrafficSources/></member>"
             % (iso(g.created), ",".join(SUBNETS[z][0] for z in ZONES), tags, policies, SERVICE_ROLE)).encode(),
        ])

    def balancer_instances(self, b):
        return [i for name in b.groups for i in self.groups[name].members]

    def render_balancer(self, b):
        """The load balancer's description and health answer, made when first asked after a change."""
        ids = self.balancer_instances(b)
        zones = "".join("<member>%s</member>" % z for z in ZONES)
        subnets = "".join("<member>%s</member>" % SUBNETS[z][0] for z in ZONES)
        b.description = b"".join([
            ("<member><LoadBalancerName>%s</LoadBalancerName><DNSName>%s</DNSName><CanonicalHostedZoneName>%s</CanonicalHostedZoneName>"
             "<CanonicalHostedZoneNameID>Z35SXDOTRQ7X7K</CanonicalHostedZoneNameID><ListenerDescriptions><member><Listener><Protocol>HTTP</Protocol>"
             "<LoadBalancerPort>80</LoadBalancerPort><InstanceProtocol>HTTP</InstanceProtocol><InstancePort>7001</InstancePort></Listener>"
             "<PolicyNames/></member></ListenerDescriptions><Policies><AppCookieStickinessPolicies/><LBCookieStickinessPolicies/><OtherPolicies/>"
             "</Policies><BackendServerDescriptions/><AvailabilityZones>%s</AvailabilityZones><Subnets>%s</Subnets><VPCId>%s</VPCId>"
             % (b.name, b.dns, b.dns, zones, subnets, VPC)).encode(),
            b"<Instances>" if ids else b"<Instances/>",
            b"".join(b"<member><InstanceId>%s</InstanceId></member>" % i.encode() for i in ids),
            b"</Instances>" if ids else b"",
            ("<HealthCheck><Target>HTTP:7001/healthcheck</Target><Interval>10</Interval><Timeout>5</Timeout><UnhealthyThreshold>2</UnhealthyThreshold>"
             "<HealthyThreshold>10</HealthyThreshold></HealthCheck><SourceSecurityGroup><OwnerAlias>%s</OwnerAlias><GroupName>default</GroupName>"
             "</SourceSecurityGroup><SecurityGroups><member>%s</member></SecurityGroups><CreatedTime>%s</CreatedTime><Scheme>internet-facing</Scheme></member>"
             % (ACCOUNT, DEFAULT_SG, iso(b.created)[:-5] + ".120Z")).encode(),
        ])
        b.health = {i: b"<member><InstanceId>%s</InstanceId><State>InService</State><ReasonCode>N/A</ReasonCode><Description>N/A</Description></member>"
                    % i.encode() for i in ids}

    def rebuild_order(self):
        ordered = sorted(self.instances.values(), key=lambda i: i.seq)
        self.order_seqs = [i.seq for i in ordered]
        self.order = ordered
        self.order_xml = [i.xml for i in ordered]
        self.terminated_count = sum(1 for i in ordered if i.state != "running")

    # -- Changes

    def resize(self, g, desired):
        now = int(time.time())
        self.purge(now)
        while len(g.members) < desired:
            counts = {z: 0 for z in ZONES}
            for i in g.members:
                counts[self.instances[i].zone] += 1
            zone = min(ZONES, key=lambda z: (counts[z], z))
            g.members.append(self.launch(g, now, zone))
        while len(g.members) > desired:
            newest = max(g.members, key=lambda i: self.instances[i].seq)
            g.members.remove(newest)
            i = self.instances[newest]
            i.state, i.terminated = "terminated", now
            self.render_instance(i, g)
        g.desired = desired
        self.render_group(g)
        for name in g.balancers:
            self.balancers[name].description = self.balancers[name].health = None
        self.rebuild_order()

    def purge(self, now):
        gone = [i.id for i in self.instances.values() if i.terminated is not None and now - i.terminated > TERMINATED_VISIBLE_SECONDS]
        for key in gone:
            del self.instances[key]


# --- The API ----------------------------------------------------------------------------------

class API:
    def __init__(self, fleet):
        self.fleet = fleet

    # -- EC2

    INSTANCE_FILTERS = ("instance-state-name", "instance-id", "availability-zone", "tag-key")

    def ec2_DescribeInstances(self, p):
        f = self.fleet
        ids = numbered(p, "InstanceId")
        filters = ec2_filters(p)
        for name, _ in filters:
            if name not in self.INSTANCE_FILTERS and not (name or "").startswith("tag:"):
                raise Fault("InvalidParameterValue", "The filter '%s' is invalid" % name)
        if ids and "MaxResults" in p:
            raise Fault("InvalidParameterCombination", "The parameter instancesSet cannot be used with the parameter maxResults")
        limit = integer(p, "MaxResults", 5, 1000, None, lambda v: Fault(
            "InvalidParameterValue", "Value ( %s ) for parameter maxResults is invalid. Expecting a value greater than 5." % v))
        for i in ids:
            if not i.startswith("i-") or len(i) not in (10, 19):
                raise Fault("InvalidInstanceID.Malformed", 'Invalid id: "%s"' % i)
        with f.lock:
            if ids:
                missing = [i for i in ids if i not in f.instances]
                if missing:
                    raise Fault("InvalidInstanceID.NotFound", "The instance ID '%s' does not exist" % missing[0] if len(missing) == 1
                                else "The instance IDs '%s' do not exist" % ", ".join(missing))
                chosen = [f.instances[i] for i in dict.fromkeys(ids)]
                body = b"".join(i.xml for i in chosen if self.matches(i, filters))
                token = None
            else:
                start = 0
                if "NextToken" in p:
                    last = untoken(p["NextToken"], "InvalidParameterValue", "Unable to parse pagination token")
                    if not isinstance(last, int):
                        raise Fault("InvalidParameterValue", "Unable to parse pagination token")
                    start = bisect.bisect_right(f.order_seqs, last)
                trivial = all(name == "instance-state-name" and "running" in values for name, values in filters) and f.terminated_count == 0
                if trivial:
                    end = len(f.order) if limit is None else min(len(f.order), start + limit)
                    body = b"".join(f.order_xml[start:end])
                    token = token_of(f.order_seqs[end - 1]) if end < len(f.order) else None
                else:
                    parts, position, token = [], start, None
                    while position < len(f.order):
                        i = f.order[position]
                        if self.matches(i, filters):
                            if limit is not None and len(parts) == limit:
                                token = token_of(f.order[position - 1].seq)
                                break
                            parts.append(i.xml)
                        position += 1
                    body = b"".join(parts)
        return self.ec2_answer("DescribeInstances", [b"<reservationSet>" if body else b"<reservationSet/>", body,
                                                     b"</reservationSet>" if body else b"",
                                                     ("<nextToken>%s</nextToken>" % token).encode() if token else b""])

    def matches(self, i, filters):
        for name, values in filters:
            if name == "instance-state-name":
                ok = i.state in values
            elif name == "instance-id":
                ok = i.id in values
            elif name == "availability-zone":
                ok = i.zone in values
            else:
                g = self.fleet.groups.get(i.group)
                tags = dict(self.fleet.instance_tags(g)) if g else {}
                if name == "tag-key":
                    ok = any(v in tags for v in values)
                else:
                    ok = tags.get(name[4:]) in values
            if not ok:
                return False
        return True

    def ec2_DescribeImages(self, p):
        f = self.fleet
        ids, owners = numbered(p, "ImageId"), numbered(p, "Owner")
        filters = ec2_filters(p)
        for image in ids:
            if not image.startswith("ami-"):
                raise Fault("InvalidAMIID.Malformed", 'Invalid id: "%s" (expecting "ami-...")' % image)
        missing = [image for image in ids if image not in f.image_ids]
        if missing:
            raise Fault("InvalidAMIID.NotFound", "The image id '[%s]' does not exist" % ", ".join(missing))
        if ids:
            chosen = [f.images[f.image_ids[image]] for image in dict.fromkeys(ids)]
        elif owners and not any(o in ("self", ACCOUNT) for o in owners):
            chosen = []
        else:
            chosen = list(f.images.values())
        for name, values in filters:
            if name == "name":
                chosen = [c for c in chosen if f.image_ids[c[0]] + "-1.0.0" in values]
            elif name == "image-id":
                chosen = [c for c in chosen if c[0] in values]
            elif name == "tag:appversion":
                chosen = [c for c in chosen if f.image_ids[c[0]] + "-1.0.0-h1" in values]
            elif name == "state":
                chosen = [c for c in chosen if "available" in values]
            else:
                raise Fault("InvalidParameterValue", "The filter '%s' is invalid" % name)
        limit = integer(p, "MaxResults", 5, 1000, None, lambda v: Fault("InvalidParameterValue", "Value ( %s ) for parameter maxResults is invalid." % v))
        start = untoken(p["NextToken"], "InvalidParameterValue", "Unable to parse pagination token") if "NextToken" in p else 0
        end = len(chosen) if limit is None else min(len(chosen), start + limit)
        body = b"".join(c[1] for c in chosen[start:end])
        token = token_of(end) if end < len(chosen) else None
        return self.ec2_answer("DescribeImages", [b"<imagesSet>%s</imagesSet>" % body if body else b"<imagesSet/>",
                                                  ("<nextToken>%s</nextToken>" % token).encode() if token else b""])

    def ec2_DescribeLaunchTemplateVersions(self, p):
        f = self.fleet
        name, template_id = p.get("LaunchTemplateName"), p.get("LaunchTemplateId")
        if name is None and template_id is None:
            # AWS: without a template, $Latest and/or $Default of every template, paginated.
            versions = numbered(p, "LaunchTemplateVersion")
            if not versions or any(v not in ("$Latest", "$Default") for v in versions):
                raise Fault("MissingParameter", "The request must contain the parameter LaunchTemplateName or LaunchTemplateId, "
                                                "or only the versions $Latest and $Default")
            limit = integer(p, "MaxResults", 1, 200, 200, lambda v: Fault(
                "InvalidParameterValue", "Value ( %s ) for parameter maxResults is invalid. Expecting a value between 1 and 200." % v))
            start = untoken(p["NextToken"], "InvalidParameterValue", "Unable to parse pagination token") if "NextToken" in p else 0
            names = f.group_names[start:start + limit]
            token = token_of(start + limit) if start + limit < len(f.group_names) else None
            items = "".join(self.template_item(n) for n in names)
            return self.ec2_answer("DescribeLaunchTemplateVersions", [
                "<launchTemplateVersionSet>%s</launchTemplateVersionSet>" % items if items else "<launchTemplateVersionSet/>",
                "<nextToken>%s</nextToken>" % token if token else ""])
        if name is None:
            name = next((n for n, t in f.templates.items() if t == template_id), None)
            if name is None:
                raise Fault("InvalidLaunchTemplateId.NotFound", "The specified launch template, with template ID %s, does not exist." % template_id)
        elif name not in f.templates:
            raise Fault("InvalidLaunchTemplateName.NotFoundException", "At least one of the launch templates specified in the request does not exist.")
        versions = numbered(p, "LaunchTemplateVersion") or ["1"]
        for version in versions:
            if version not in ("1", "$Latest", "$Default"):
                raise Fault("InvalidLaunchTemplateVersion.NotFound" if version.isdigit() else "InvalidLaunchTemplateVersion.Malformed",
                            "The specified launch template version %s does not exist" % version if version.isdigit()
                            else "The version '%s' is malformed" % version)
        return self.ec2_answer("DescribeLaunchTemplateVersions", ["<launchTemplateVersionSet>%s</launchTemplateVersionSet>" % self.template_item(name)])

    def template_item(self, name):
        f = self.fleet
        g = f.groups[name]
        return ("<item><launchTemplateId>%s</launchTemplateId><launchTemplateName>%s</launchTemplateName><versionNumber>1</versionNumber>"
                "<createTime>%s</createTime><createdBy>arn:aws:iam::%s:user/asgard</createdBy><defaultVersion>true</defaultVersion>"
                "<launchTemplateData><imageId>%s</imageId><instanceType>%s</instanceType><securityGroupIdSet><item>%s</item></securityGroupIdSet>"
                "</launchTemplateData></item>" % (f.templates[name], name, iso(g.created - 5), ACCOUNT, f.images[g.app][0], INSTANCE_TYPE, DEFAULT_SG))

    def ec2_DescribeSecurityGroups(self, p):
        names, ids = numbered(p, "GroupName"), numbered(p, "GroupId")
        if (names or ids) and "MaxResults" in p:
            raise Fault("InvalidParameterCombination", "The parameter groupName cannot be used with the parameter maxResults")
        integer(p, "MaxResults", 5, 1000, None, lambda v: Fault("InvalidParameterValue", "Value ( %s ) for parameter maxResults is invalid." % v))
        for name in names:
            if name != "default":
                raise Fault("InvalidGroup.NotFound", "The security group '%s' does not exist in default VPC '%s'" % (name, VPC))
        for group in ids:
            if group != DEFAULT_SG:
                raise Fault("InvalidGroup.NotFound", "The security group '%s' does not exist" % group)
        for name, values in ec2_filters(p):
            if name not in ("group-name", "group-id", "vpc-id"):
                raise Fault("InvalidParameterValue", "The filter '%s' is invalid" % name)
            if not set(values) & {"default", DEFAULT_SG, VPC}:
                return self.ec2_answer("DescribeSecurityGroups", ["<securityGroupInfo/>"])
        item = ("<item><ownerId>%s</ownerId><groupId>%s</groupId><groupName>default</groupName><groupDescription>default VPC security group</groupDescription>"
                "<vpcId>%s</vpcId><ipPermissions><item><ipProtocol>-1</ipProtocol><groups><item><userId>%s</userId><groupId>%s</groupId></item></groups>"
                "<ipRanges/><ipv6Ranges/><prefixListIds/></item></ipPermissions><ipPermissionsEgress><item><ipProtocol>-1</ipProtocol><groups/>"
                "<ipRanges><item><cidrIp>0.0.0.0/0</cidrIp></item></ipRanges><ipv6Ranges/><prefixListIds/></item></ipPermissionsEgress>"
                "<tagSet/><securityGroupArn>arn:aws:ec2:%s:%s:security-group/%s</securityGroupArn></item>" % (ACCOUNT, DEFAULT_SG, VPC, ACCOUNT, DEFAULT_SG, REGION, ACCOUNT, DEFAULT_SG))
        return self.ec2_answer("DescribeSecurityGroups", ["<securityGroupInfo>%s</securityGroupInfo>" % item])

    def ec2_DescribeSubnets(self, p):
        chosen = [z for z, _ in REGION_ZONES]
        for name, values in ec2_filters(p):
            if name == "default-for-az":
                chosen = [z for z in chosen if "true" in values]
            elif name in ("availability-zone", "availabilityZone"):
                chosen = [z for z in chosen if z in values]
            elif name in ("vpc-id", "vpcId"):
                chosen = [z for z in chosen if VPC in values]
            elif name in ("subnet-id", "subnetId"):
                chosen = [z for z in chosen if SUBNETS[z][0] in values]
            else:
                raise Fault("InvalidParameterValue", "The filter '%s' is invalid" % name)
        ids = numbered(p, "SubnetId")
        for subnet in ids:
            if subnet not in [s for s, _ in SUBNETS.values()]:
                raise Fault("InvalidSubnetID.NotFound", "The subnet ID '%s' does not exist" % subnet)
        if ids:
            chosen = [z for z in chosen if SUBNETS[z][0] in ids]
        zone_ids = dict(REGION_ZONES)
        items = "".join(
            "<item><subnetId>%s</subnetId><subnetArn>arn:aws:ec2:%s:%s:subnet/%s</subnetArn><state>available</state><ownerId>%s</ownerId>"
            "<vpcId>%s</vpcId><cidrBlock>%s</cidrBlock><ipv6CidrBlockAssociationSet/><availableIpAddressCount>4091</availableIpAddressCount>"
            "<availabilityZone>%s</availabilityZone><availabilityZoneId>%s</availabilityZoneId><defaultForAz>true</defaultForAz>"
            "<mapPublicIpOnLaunch>true</mapPublicIpOnLaunch><assignIpv6AddressOnCreation>false</assignIpv6AddressOnCreation><ipv6Native>false</ipv6Native>"
            "<privateDnsNameOptionsOnLaunch><hostnameType>ip-name</hostnameType><enableResourceNameDnsARecord>false</enableResourceNameDnsARecord>"
            "<enableResourceNameDnsAAAARecord>false</enableResourceNameDnsAAAARecord></privateDnsNameOptionsOnLaunch><tagSet/></item>"
            % (SUBNETS[z][0], REGION, ACCOUNT, SUBNETS[z][0], ACCOUNT, VPC, SUBNETS[z][1], z, zone_ids[z]) for z in chosen)
        return self.ec2_answer("DescribeSubnets", ["<subnetSet>%s</subnetSet>" % items if items else "<subnetSet/>"])

    def ec2_DescribeAvailabilityZones(self, p):
        names = numbered(p, "ZoneName")
        items = "".join("<item><zoneName>%s</zoneName><zoneState>available</zoneState><regionName>%s</regionName><messageSet/><zoneId>%s</zoneId>"
                        "<zoneType>availability-zone</zoneType><optInStatus>opt-in-not-required</optInStatus><groupName>%s</groupName>"
                        "<networkBorderGroup>%s</networkBorderGroup></item>" % (z, REGION, zid, REGION, REGION)
                        for z, zid in REGION_ZONES if not names or z in names)
        return self.ec2_answer("DescribeAvailabilityZones", ["<availabilityZoneInfo>%s</availabilityZoneInfo>" % items])

    def ec2_answer(self, action, parts):
        head = ('<?xml version="1.0" encoding="UTF-8"?>\n<%sResponse xmlns="%s"><requestId>%s</requestId>'
                % (action, NAMESPACES["ec2"], uuid.uuid4())).encode()
        return b"".join([head] + [part if isinstance(part, bytes) else part.encode() for part in parts] + [("</%sResponse>" % action).encode()])

    # -- Auto Scaling

    def autoscaling_DescribeAutoScalingGroups(self, p):
        f = self.fleet
        limit = integer(p, "MaxRecords", 1, 100, 50, lambda v: Fault(
            "ValidationError", "1 validation error detected: Value '%s' at 'maxRecords' failed to satisfy constraint: Member must have value less than or equal to 100" % v))
        names = members(p, "AutoScalingGroupNames")
        with f.lock:
            chosen = sorted(set(n for n in names if n in f.groups)) if names else f.group_names
            start = 0
            if "NextToken" in p:
                last = untoken(p["NextToken"], "InvalidNextToken", "The token '%s' is invalid." % p["NextToken"])
                start = bisect.bisect_right(chosen, last)
            page = chosen[start:start + limit]
            body = b"".join(f.groups[n].xml for n in page)
            token = token_of(page[-1]) if start + limit < len(chosen) else None
        return self.query_answer("autoscaling", "DescribeAutoScalingGroups", [
            b"<AutoScalingGroups>%s</AutoScalingGroups>" % body if body else b"<AutoScalingGroups/>",
            ("<NextToken>%s</NextToken>" % token).encode() if token else b""])

    def autoscaling_DescribeLaunchConfigurations(self, p):
        integer(p, "MaxRecords", 1, 100, 50, lambda v: Fault(
            "ValidationError", "1 validation error detected: Value '%s' at 'maxRecords' failed to satisfy constraint: Member must have value less than or equal to 100" % v))
        return self.query_answer("autoscaling", "DescribeLaunchConfigurations", ["<LaunchConfigurations/>"])

    def autoscaling_DescribePolicies(self, p):
        return self.query_answer("autoscaling", "DescribePolicies", ["<ScalingPolicies/>"])

    def autoscaling_DescribeScheduledActions(self, p):
        return self.query_answer("autoscaling", "DescribeScheduledActions", ["<ScheduledUpdateGroupActions/>"])

    def group(self, p):
        name = p.get("AutoScalingGroupName")
        if not name:
            raise Fault("ValidationError", "1 validation error detected: Value null at 'autoScalingGroupName' failed to satisfy constraint: Member must not be null")
        g = self.fleet.groups.get(name)
        if g is None:
            raise Fault("ValidationError", "AutoScalingGroup name not found - AutoScalingGroup '%s' not found" % name)
        return g

    def autoscaling_UpdateAutoScalingGroup(self, p):
        f = self.fleet

        def number(key):
            if key not in p:
                return None
            try:
                return int(p[key])
            except ValueError:
                raise Fault("ValidationError", "Value '%s' at '%s' is not a number" % (p[key], key))
        with f.lock:
            g = self.group(p)
            low, high, desired = number("MinSize"), number("MaxSize"), number("DesiredCapacity")
            low = g.min if low is None else low
            high = g.max if high is None else high
            if low > high:
                raise Fault("ValidationError", "Max bound, %d, must be greater than or equal to min bound, %d" % (high, low))
            if desired is None:
                desired = min(max(g.desired, low), high)
            elif not low <= desired <= high:
                raise Fault("ValidationError", "Desired capacity:%d must be between the specified min size:%d and max size:%d" % (desired, low, high))
            template = p.get("LaunchTemplate.LaunchTemplateName")
            version = p.get("LaunchTemplate.Version")
            if template is not None and template != g.name:
                raise Fault("ValidationError", "You must use a valid fully-formed launch template. The specified launch template, with template name %s, does not exist." % template
                            if template not in f.templates else "The simulator launches each group from its own launch template only (%s)" % g.name)
            if version is not None:
                if version not in ("1", "$Latest", "$Default"):
                    raise Fault("ValidationError", "You must use a valid fully-formed launch template. The specified launch template version %s does not exist" % version)
                g.template_version = version
            if "HealthCheckType" in p:
                if p["HealthCheckType"] not in ("EC2", "ELB"):
                    raise Fault("ValidationError", "Health check type %s is not supported" % p["HealthCheckType"])
                g.health_check_type = p["HealthCheckType"]
            if "HealthCheckGracePeriod" in p:
                g.grace = number("HealthCheckGracePeriod")
            policies = members(p, "TerminationPolicies")
            if policies:
                g.termination_policies = policies
            g.min, g.max = low, high
            f.resize(g, desired)
        return self.query_answer("autoscaling", "UpdateAutoScalingGroup", None)

    def autoscaling_SetDesiredCapacity(self, p):
        f = self.fleet
        with f.lock:
            g = self.group(p)
            try:
                desired = int(p.get("DesiredCapacity", ""))
            except ValueError:
                raise Fault("ValidationError", "1 validation error detected: Value null at 'desiredCapacity' failed to satisfy constraint: Member must not be null")
            if desired > g.max:
                raise Fault("ValidationError", "New SetDesiredCapacity value %d is above max value %d for the AutoScalingGroup." % (desired, g.max))
            if desired < g.min:
                raise Fault("ValidationError", "New SetDesiredCapacity value %d is below min value %d for the AutoScalingGroup." % (desired, g.min))
            f.resize(g, desired)
        return self.query_answer("autoscaling", "SetDesiredCapacity", None)

    # -- Classic load balancers

    def balancer(self, name):
        b = self.fleet.balancers.get(name or "")
        if b is None:
            raise Fault("LoadBalancerNotFound", "There is no ACTIVE Load Balancer named '%s'" % name)
        if b.description is None:
            self.fleet.render_balancer(b)
        return b

    def elb_DescribeLoadBalancers(self, p):
        f = self.fleet
        limit = integer(p, "PageSize", 1, 400, 400, lambda v: Fault(
            "ValidationError", "1 validation error detected: Value '%s' at 'pageSize' failed to satisfy constraint: Member must have value less than or equal to 400" % v))
        names = members(p, "LoadBalancerNames")
        with f.lock:
            chosen = [self.balancer(n).name for n in dict.fromkeys(names)] if names else sorted(f.balancers)
            start = 0
            if "Marker" in p:
                last = untoken(p["Marker"], "InvalidNextToken", "Invalid Marker")
                start = bisect.bisect_right(chosen, last) if not names else chosen.index(last) + 1 if last in chosen else len(chosen)
            page = chosen[start:start + limit]
            body = b"".join(self.balancer(n).description for n in page)
            marker = token_of(page[-1]) if start + limit < len(chosen) else None
        return self.query_answer("elb", "DescribeLoadBalancers", [
            b"<LoadBalancerDescriptions>%s</LoadBalancerDescriptions>" % body if body else b"<LoadBalancerDescriptions/>",
            ("<NextMarker>%s</NextMarker>" % marker).encode() if marker else b""])

    def elb_DescribeInstanceHealth(self, p):
        f = self.fleet
        with f.lock:
            b = self.balancer(p.get("LoadBalancerName"))
            asked = [p[k] for k in sorted((k for k in p if k.startswith("Instances.member.") and k.endswith(".InstanceId")),
                                          key=lambda k: int(k.split(".")[2]) if k.split(".")[2].isdigit() else 0)]
            if asked:
                unknown = [i for i in asked if i not in b.health]
                if unknown:
                    raise Fault("InvalidInstance", "Could not find EC2 instance %s." % unknown[0])
                body = b"".join(b.health[i] for i in dict.fromkeys(asked))
            else:
                body = b"".join(b.health.values())
        return self.query_answer("elb", "DescribeInstanceHealth", [b"<InstanceStates>%s</InstanceStates>" % body if body else b"<InstanceStates/>"])

    def elb_DescribeLoadBalancerAttributes(self, p):
        with self.fleet.lock:
            self.balancer(p.get("LoadBalancerName"))
        return self.query_answer("elb", "DescribeLoadBalancerAttributes", [
            "<LoadBalancerAttributes><CrossZoneLoadBalancing><Enabled>true</Enabled></CrossZoneLoadBalancing><AccessLog><Enabled>false</Enabled>"
            "</AccessLog><ConnectionDraining><Enabled>true</Enabled><Timeout>300</Timeout></ConnectionDraining><ConnectionSettings>"
            "<IdleTimeout>60</IdleTimeout></ConnectionSettings><AdditionalAttributes><member><Key>elb.http.desyncmitigationmode</Key>"
            "<Value>defensive</Value></member></AdditionalAttributes></LoadBalancerAttributes>"])

    # -- ELB v2 (none in the fleet)

    def page_size(self, p):
        integer(p, "PageSize", 1, 400, 400, lambda v: Fault(
            "ValidationError", "1 validation error detected: Value '%s' at 'pageSize' failed to satisfy constraint: Member must have value less than or equal to 400" % v))

    def elbv2_DescribeLoadBalancers(self, p):
        self.page_size(p)
        if members(p, "Names") or members(p, "LoadBalancerArns"):
            raise Fault("LoadBalancerNotFound", "One or more load balancers not found")
        return self.query_answer("elbv2", "DescribeLoadBalancers", ["<LoadBalancers/>"])

    def elbv2_DescribeTargetGroups(self, p):
        self.page_size(p)
        if "LoadBalancerArn" in p:
            raise Fault("LoadBalancerNotFound", "One or more load balancers not found")
        if members(p, "Names") or members(p, "TargetGroupArns"):
            raise Fault("TargetGroupNotFound", "One or more target groups not found")
        return self.query_answer("elbv2", "DescribeTargetGroups", ["<TargetGroups/>"])

    def elbv2_DescribeTargetHealth(self, p):
        raise Fault("TargetGroupNotFound", "Target groups '%s' not found" % p.get("TargetGroupArn", ""))

    def elbv2_DescribeListeners(self, p):
        if members(p, "ListenerArns"):
            raise Fault("ListenerNotFound", "One or more listeners not found")
        raise Fault("LoadBalancerNotFound", "One or more load balancers not found")

    def elbv2_DescribeTags(self, p):
        raise Fault("LoadBalancerNotFound", "Load balancers '%s' not found" % ", ".join(members(p, "ResourceArns")))

    # -- CloudWatch (no alarms, no datapoints)

    def monitoring_DescribeAlarms(self, p):
        return self.query_answer("monitoring", "DescribeAlarms", ["<MetricAlarms/><CompositeAlarms/>"])

    def monitoring_GetMetricStatistics(self, p):
        return self.query_answer("monitoring", "GetMetricStatistics", ["<Label>%s</Label><Datapoints/>" % x(p.get("MetricName", ""))])

    # -- Answers

    def query_answer(self, service, action, parts):
        head = ('<%sResponse xmlns="%s">' % (action, NAMESPACES[service])).encode()
        tail = ("<ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata></%sResponse>" % (uuid.uuid4(), action)).encode()
        if parts is None:
            return head + tail
        result = [part if isinstance(part, bytes) else part.encode() for part in parts]
        return b"".join([head, ("<%sResult>" % action).encode()] + result + [("</%sResult>" % action).encode(), tail])

    @staticmethod
    def error(service, fault):
        if service == "ec2":
            return ('<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>%s</Code><Message>%s</Message></Error></Errors>'
                    "<RequestID>%s</RequestID></Response>" % (x(fault.code), x(fault.message), uuid.uuid4())).encode()
        namespace = NAMESPACES.get(service)
        return ('<ErrorResponse%s><Error><Type>%s</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>%s</RequestId></ErrorResponse>'
                % (' xmlns="%s"' % namespace if namespace else "", "Sender" if fault.status < 500 else "Receiver", x(fault.code), x(fault.message),
                   uuid.uuid4())).encode()

    def handle(self, params):
        """(status, body, stats key) of one Query request."""
        version, action = params.get("Version"), params.get("Action")
        service = SERVICES.get(version)
        if service is None:
            fault = Fault("NoSuchVersion", "The requested version (%s) of service is invalid." % version) if version else \
                Fault("MissingParameter", "The request must contain the parameter Version")
            return fault.status, self.error(None, fault), "?:%s" % action
        key = "%s:%s" % (service, action)
        method = getattr(self, "%s_%s" % (service, action), None) if action and action.isalnum() else None
        try:
            if method is None:
                raise Fault("InvalidAction", "The action %s is not valid for this web service." % action)
            return 200, method(params), key
        except Fault as fault:
            return fault.status, self.error(service, fault), key
        except Exception:
            traceback.print_exc()
            return 500, self.error(service, Fault("InternalFailure", "The simulator failed: %s" % sys.exc_info()[1], 500)), key


# --- HTTP -------------------------------------------------------------------------------------

class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        with self.lock:
            self.calls, self.seconds = {}, 0.0

    def add(self, key, seconds):
        with self.lock:
            self.calls[key] = self.calls.get(key, 0) + 1
            self.seconds += seconds


def make_handler(api, stats):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        def version_string(self):
            return "AmazonEC2"

        def setup(self):
            super().setup()
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def log_message(self, *args):
            pass

        def answer(self, status, body, content_type="text/xml"):
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def control(self, path):
            if path == "/_sim/stats" and self.command == "GET":
                f = api.fleet
                with stats.lock:
                    body = {"calls": dict(sorted(stats.calls.items())), "answerSeconds": round(stats.seconds, 6),
                            "instances": sum(len(g.members) for g in f.groups.values()), "groups": len(f.groups)}
                self.answer(200, json.dumps(body).encode(), "application/json")
            elif path == "/_sim/reset-stats" and self.command == "POST":
                stats.reset()
                self.answer(200, b'{"reset": true}', "application/json")
            else:
                self.answer(404, b'{"error": "unknown control endpoint"}', "application/json")

        def query(self, text):
            started = time.perf_counter()
            params = dict(parse_qsl(text, keep_blank_values=True))
            status, body, key = api.handle(params)
            stats.add(key, time.perf_counter() - started)
            self.answer(status, body)

        def body(self):
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length).decode("utf-8", "replace") if length else ""

        def do_POST(self):
            path = urlsplit(self.path)
            text = self.body()
            if path.path.startswith("/_sim/"):
                return self.control(path.path)
            self.query("&".join(t for t in (path.query, text) if t))

        def do_GET(self):
            path = urlsplit(self.path)
            if path.path.startswith("/_sim/"):
                return self.control(path.path)
            self.query(path.query)

    return Handler


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128


def main():
    parser = argparse.ArgumentParser(description="A fast simulator of an AWS region's fleet (Query protocol) for the console's scale tests.")
    parser.add_argument("--instances", type=int, required=True, help="instances in the fleet")
    parser.add_argument("--group-size", type=int, default=50, help="instances per Auto Scaling group (the last may have fewer; default 50)")
    parser.add_argument("--apps", type=int, default=1000, help="applications the groups are spread over, round-robin (default 1000)")
    parser.add_argument("--load-balancers", type=int, default=10, help="classic load balancers; group k is attached to lb (k %% M) (default 10)")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1; 0 picks a free one (default 0)")
    args = parser.parse_args()
    if args.instances < 0 or args.group_size < 1 or args.apps < 1 or args.load_balancers < 0:
        parser.error("--instances >= 0, --group-size >= 1, --apps >= 1, --load-balancers >= 0")
    started = time.perf_counter()
    fleet = Fleet(args.instances, args.group_size, args.apps, args.load_balancers)
    api = API(fleet)
    stats = Stats()
    server = Server(("127.0.0.1", args.port), make_handler(api, stats))
    print("fleet of %d instances in %d groups, %d load balancers built in %.2f s"
          % (len(fleet.instances), len(fleet.groups), len(fleet.balancers), time.perf_counter() - started), file=sys.stderr, flush=True)
    print("listening on http://127.0.0.1:%d" % server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
