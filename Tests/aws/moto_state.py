"""What boto3 sees in a moto server, for the end-to-end tests of the AWS provider.

    moto_state.py URL images NAME...          register AMIs; print their ids (JSON list)
    moto_state.py URL state                   print groups, load balancers and launch templates (JSON)
    moto_state.py URL fleet GROUPS SIZE NAME  create GROUPS groups NAME-vNNN of SIZE instances
    moto_state.py URL albs                    print application load balancers: listener, weights by
                                              server group, healthy targets by server group (JSON)
    moto_state.py URL sgs                     print security groups: name -> ingress as protocol:ports:source,
                                              the source a CIDR block or a group's name (JSON)
    moto_state.py URL tags AMI                print an AMI's tags (JSON)
    moto_state.py URL scaling                 print policies, alarms and scheduled actions as AWS holds them (JSON)
    moto_state.py URL push LB GROUP MODE SECS play the load balancer's CloudWatch metrics: every 0.3 s
                                              each server group it forwards to answers requests in
                                              proportion to its weight, GROUP's half with 5xx when
                                              MODE is fail; stops once GROUP left the listener after
                                              taking traffic (fail) or takes it all (pass), or after SECS
"""
import json
import sys
import time

import boto3

url, command, args = sys.argv[1], sys.argv[2], sys.argv[3:]
session = boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1")
ec2 = session.client("ec2", endpoint_url=url)
autoscaling = session.client("autoscaling", endpoint_url=url)
elb = session.client("elb", endpoint_url=url)
elbv2 = session.client("elbv2", endpoint_url=url)
cloudwatch = session.client("cloudwatch", endpoint_url=url)


def owners():
    """Target group ARN -> the Auto Scaling group it is attached to."""
    found = {}
    for page in autoscaling.get_paginator("describe_auto_scaling_groups").paginate():
        for g in page["AutoScalingGroups"]:
            for arn in g.get("TargetGroupARNs", []):
                found[arn] = g["AutoScalingGroupName"]
    return found


def forward(balancer):
    """The listener's port and [(target group ARN, weight)]."""
    listener = elbv2.describe_listeners(LoadBalancerArn=balancer["LoadBalancerArn"])["Listeners"][0]
    targets = []
    for action in listener["DefaultActions"]:
        if action["Type"] == "forward":
            targets += [(t["TargetGroupArn"], t.get("Weight", 1)) for t in action.get("ForwardConfig", {}).get("TargetGroups", [])]
    return listener["Port"], targets

if command == "images":
    ids = []
    for name in args:
        image = ec2.register_image(Name=name)["ImageId"]
        ec2.create_tags(Resources=[image], Tags=[{"Key": "appversion", "Value": name}])
        ids.append(image)
    print(json.dumps(ids))
elif command == "state":
    groups = {}
    for page in autoscaling.get_paginator("describe_auto_scaling_groups").paginate():
        for g in page["AutoScalingGroups"]:
            groups[g["AutoScalingGroupName"]] = {
                "instances": sorted(i["InstanceId"] for i in g["Instances"]),
                "inService": sum(1 for i in g["Instances"] if i["LifecycleState"] == "InService"),
                "desired": g["DesiredCapacity"],
                "loadBalancers": g["LoadBalancerNames"],
                "suspended": sorted(p["ProcessName"] for p in g["SuspendedProcesses"]),
                "launchTemplate": g.get("LaunchTemplate", {}).get("LaunchTemplateName"),
            }
    balancers = {}
    for b in elb.describe_load_balancers()["LoadBalancerDescriptions"]:
        health = elb.describe_instance_health(LoadBalancerName=b["LoadBalancerName"])["InstanceStates"]
        balancers[b["LoadBalancerName"]] = sorted(s["InstanceId"] for s in health if s["State"] == "InService")
    templates = {}
    for t in ec2.describe_launch_templates()["LaunchTemplates"]:
        versions = ec2.describe_launch_template_versions(LaunchTemplateName=t["LaunchTemplateName"])["LaunchTemplateVersions"]
        data = versions[0]["LaunchTemplateData"]
        templates[t["LaunchTemplateName"]] = {"versions": len(versions), "imageId": data.get("ImageId"),
                                              "securityGroupIds": data.get("SecurityGroupIds", [])}
    running = ec2.describe_instances(Filters=[{"Name": "instance-state-name", "Values": ["pending", "running"]}])
    count = sum(len(r["Instances"]) for r in running["Reservations"])
    print(json.dumps({"groups": groups, "loadBalancers": balancers, "launchTemplates": templates, "runningInstances": count}))
elif command == "fleet":
    groups, size, name = int(args[0]), int(args[1]), args[2]
    image = ec2.register_image(Name=name + "-1.0.0")["ImageId"]
    autoscaling.create_launch_configuration(LaunchConfigurationName=name, ImageId=image, InstanceType="t3.micro")
    for index in range(groups):
        autoscaling.create_auto_scaling_group(AutoScalingGroupName="%s-v%03d" % (name, index), LaunchConfigurationName=name,
                                              MinSize=0, MaxSize=size, DesiredCapacity=size, AvailabilityZones=["us-east-1a"])
    print(json.dumps({"image": image}))
elif command == "resize":
    # A change made outside the console: a group's desired capacity set through AWS.
    group, size = args[0], int(args[1])
    autoscaling.update_auto_scaling_group(AutoScalingGroupName=group, MinSize=0, MaxSize=max(size, 1), DesiredCapacity=size)
    print(json.dumps({"group": group, "desired": size}))
elif command == "albs":
    result = {}
    attached = owners()
    for b in elbv2.describe_load_balancers()["LoadBalancers"]:
        port, targets = forward(b)
        healthy = {}
        for arn, group in attached.items():
            try:
                states = elbv2.describe_target_health(TargetGroupArn=arn)["TargetHealthDescriptions"]
            except elbv2.exceptions.TargetGroupNotFoundException:
                continue
            healthy[group] = sorted(s["Target"]["Id"] for s in states if s["TargetHealth"]["State"] == "healthy")
        result[b["LoadBalancerName"]] = {"port": port, "weights": {attached.get(arn, arn): weight for arn, weight in targets},
                                         "healthy": healthy}
    groups = elbv2.describe_target_groups()["TargetGroups"]
    print(json.dumps({"loadBalancers": result, "targetGroups": sorted(g["TargetGroupName"] for g in groups)}))
elif command == "sgs":
    groups = ec2.describe_security_groups()["SecurityGroups"]
    names = {g["GroupId"]: g["GroupName"] for g in groups}
    result = {}
    for g in groups:
        rules = []
        for p in g["IpPermissions"]:
            ports = "all" if p["IpProtocol"] == "-1" else str(p["FromPort"]) if p["FromPort"] == p["ToPort"] else "%d-%d" % (p["FromPort"], p["ToPort"])
            proto = "all" if p["IpProtocol"] == "-1" else p["IpProtocol"]
            rules += ["%s:%s:%s" % (proto, ports, r["CidrIp"]) for r in p.get("IpRanges", [])]
            rules += ["%s:%s:%s" % (proto, ports, names.get(r["GroupId"], r["GroupId"])) for r in p.get("UserIdGroupPairs", [])]
        result[g["GroupName"]] = sorted(rules)
    print(json.dumps(result))
elif command == "tags":
    image = ec2.describe_images(ImageIds=[args[0]])["Images"][0]
    print(json.dumps({t["Key"]: t["Value"] for t in image.get("Tags", [])}))
elif command == "scaling":
    cloudwatch_alarms = cloudwatch.describe_alarms()["MetricAlarms"]
    print(json.dumps({
        "policies": {p["PolicyName"]: {"group": p["AutoScalingGroupName"], "type": p["PolicyType"],
                                       "target": p.get("TargetTrackingConfiguration", {}).get("TargetValue"),
                                       "adjustment": p.get("ScalingAdjustment"),
                                       "label": p.get("TargetTrackingConfiguration", {}).get("PredefinedMetricSpecification", {}).get("ResourceLabel")}
                     for p in autoscaling.describe_policies()["ScalingPolicies"]},
        "alarms": {a["AlarmName"]: {"metric": a["MetricName"], "namespace": a["Namespace"], "threshold": a["Threshold"],
                                    "group": [d["Value"] for d in a["Dimensions"] if d["Name"] == "AutoScalingGroupName"],
                                    "actions": [arn.split("policyName/")[-1] for arn in a.get("AlarmActions", [])]}
                   for a in cloudwatch_alarms},
        "schedules": {a["ScheduledActionName"]: {"group": a["AutoScalingGroupName"], "recurrence": a.get("Recurrence"),
                                                 "desired": a.get("DesiredCapacity")}
                      for a in autoscaling.describe_scheduled_actions()["ScheduledUpdateGroupActions"]},
    }, default=str))
elif command == "push":
    name, group, mode, seconds = args[0], args[1], args[2], float(args[3])
    balancer = elbv2.describe_load_balancers(Names=[name])["LoadBalancers"][0]
    lb_dimension = balancer["LoadBalancerArn"].split("loadbalancer/", 1)[1]
    deadline, took, pushed = time.time() + seconds, False, 0
    while time.time() < deadline:
        _, targets = forward(balancer)
        attached = owners()
        weights = {attached.get(arn): (arn, weight) for arn, weight in targets}
        took = took or weights.get(group, (None, 0))[1] > 0
        if took and (group not in weights if mode == "fail" else all(g == group for g in weights)):
            break
        for owner, (arn, weight) in weights.items():
            if weight <= 0:
                continue
            dimensions = [{"Name": "LoadBalancer", "Value": lb_dimension},
                          {"Name": "TargetGroup", "Value": "targetgroup/" + arn.split("targetgroup/", 1)[1]}]
            requests = 2 * weight
            errors = requests // 2 if owner == group and mode == "fail" else 0
            cloudwatch.put_metric_data(Namespace="AWS/ApplicationELB", MetricData=[
                {"MetricName": "RequestCount", "Dimensions": dimensions, "Value": requests, "Unit": "Count"},
                {"MetricName": "HTTPCode_Target_5XX_Count", "Dimensions": dimensions, "Value": errors, "Unit": "Count"},
                {"MetricName": "TargetResponseTime", "Dimensions": dimensions, "Values": [0.02], "Counts": [requests], "Unit": "Seconds"}])
            pushed += requests
        time.sleep(0.3)
    print(json.dumps({"pushed": pushed, "tookTraffic": took}))
else:
    sys.exit("unknown command " + command)
