"""What boto3 sees in a moto server, for the end-to-end tests of the AWS provider.

    moto_state.py URL images NAME...          register AMIs; print their ids (JSON list)
    moto_state.py URL state                   print groups, load balancers and launch templates (JSON)
    moto_state.py URL fleet GROUPS SIZE NAME  create GROUPS groups NAME-vNNN of SIZE instances
"""
import json
import sys

import boto3

url, command, args = sys.argv[1], sys.argv[2], sys.argv[3:]
session = boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1")
ec2 = session.client("ec2", endpoint_url=url)
autoscaling = session.client("autoscaling", endpoint_url=url)
elb = session.client("elb", endpoint_url=url)

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
        templates[t["LaunchTemplateName"]] = {"versions": len(versions), "imageId": versions[0]["LaunchTemplateData"].get("ImageId")}
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
else:
    sys.exit("unknown command " + command)
