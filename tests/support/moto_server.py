"""Start moto's AWS-API server on a free loopback port for ondeck's tests.

Prints one JSON line with the endpoint and the default VPC's subnets and security group, then
serves until its stdin closes (the test process ended), so no server outlives the tests.
"""
import json
import socket
import sys
import urllib.request

import boto3
from moto.server import ThreadedMotoServer


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    # moto moves a task one step towards STOPPED on every DescribeTasks; pin it so tasks stay
    # where the test put them.
    request = urllib.request.Request(
        f"{endpoint}/moto-api/state-manager/set-transition",
        data=json.dumps(
            {
                "model_name": "ecs::task",
                "transition": {"progression": "manual", "times": 1000000000},
            }
        ).encode(),
        method="POST",
    )
    urllib.request.urlopen(request).read()
    ec2 = boto3.client(
        "ec2",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    subnets = [s["SubnetId"] for s in ec2.describe_subnets()["Subnets"]][:2]
    groups = ec2.describe_security_groups(
        Filters=[{"Name": "group-name", "Values": ["default"]}]
    )["SecurityGroups"]
    print(
        json.dumps(
            {
                "endpoint": endpoint,
                "subnets": subnets,
                "security_group": groups[0]["GroupId"],
            }
        ),
        flush=True,
    )
    sys.stdin.read()
    server.stop()


if __name__ == "__main__":
    main()
