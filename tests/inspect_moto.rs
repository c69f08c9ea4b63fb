//! What `ondeck doctor` and `ondeck init` read from an account, against moto: the ECS and
//! CloudWatch Logs SDK clients, and STS and EC2 through ondeck's own signing, each call
//! counted by the proxy in front of moto.

mod support;

use aws_sdk_ecs::types::{AssignPublicIp, AwsVpcConfiguration, LaunchType, NetworkConfiguration};
use ondeck_aws::{Inspect, SdkInspector};
use support::proxy::{Fault, Proxy};

async fn inspector(endpoint: &str) -> SdkInspector {
    support::moto();
    SdkInspector::connect(support::REGION, None, Some(endpoint)).await
}

fn vpc(moto: &support::Moto, public: bool) -> NetworkConfiguration {
    NetworkConfiguration::builder()
        .awsvpc_configuration(
            AwsVpcConfiguration::builder()
                .set_subnets(Some(moto.subnets.clone()))
                .security_groups(&moto.security_group)
                .assign_public_ip(if public {
                    AssignPublicIp::Enabled
                } else {
                    AssignPublicIp::Disabled
                })
                .build()
                .unwrap(),
        )
        .build()
}

#[tokio::test]
async fn caller_identity_is_signed_by_hand_and_read_from_xml() {
    let moto = support::moto();
    let proxy = Proxy::start(&moto.endpoint);
    let identity = inspector(&proxy.endpoint)
        .await
        .caller_identity()
        .await
        .unwrap();
    assert_eq!(identity.account, "123456789012");
    assert!(identity.arn.starts_with("arn:aws:"), "{identity:?}");
    assert_eq!(proxy.count("GetCallerIdentity"), 1);
}

#[tokio::test]
async fn subnets_and_security_groups_resolve_or_are_none() {
    let moto = support::moto();
    let proxy = Proxy::start(&moto.endpoint);
    let inspector = inspector(&proxy.endpoint).await;
    let subnet = inspector.subnet(&moto.subnets[0]).await.unwrap().unwrap();
    assert_eq!(subnet.id, moto.subnets[0]);
    assert!(subnet.vpc_id.starts_with("vpc-"), "{subnet:?}");
    assert!(
        subnet.availability_zone.starts_with("us-east-1"),
        "{subnet:?}"
    );
    assert_eq!(inspector.subnet("subnet-0000dead").await.unwrap(), None);
    assert_eq!(proxy.count("DescribeSubnets"), 2);

    let group = inspector
        .security_group(&moto.security_group)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(group.name, "default");
    assert_eq!(group.vpc_id, subnet.vpc_id);
    assert_eq!(inspector.security_group("sg-0000dead").await.unwrap(), None);
    assert_eq!(proxy.count("DescribeSecurityGroups"), 2);
}

#[tokio::test]
async fn a_query_call_answered_503_is_asked_again() {
    let moto = support::moto();
    let proxy = Proxy::start(&moto.endpoint);
    proxy.inject(Some("DescribeSubnets"), Fault::Status(503), Some(1));
    let subnet = inspector(&proxy.endpoint)
        .await
        .subnet(&moto.subnets[0])
        .await
        .unwrap();
    assert!(subnet.is_some());
    assert_eq!(proxy.injected("DescribeSubnets"), 1, "the fault fired");
    assert_eq!(proxy.count("DescribeSubnets"), 2);
}

#[tokio::test]
async fn an_access_denied_query_call_is_an_error_naming_the_permission() {
    let moto = support::moto();
    let proxy = Proxy::start(&moto.endpoint);
    proxy.inject(
        Some("DescribeSecurityGroups"),
        Fault::Answer(
            403,
            "<Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>You are not \
             authorized to perform this operation.</Message></Error></Errors></Response>"
                .into(),
        ),
        None,
    );
    let err = inspector(&proxy.endpoint)
        .await
        .security_group(&moto.security_group)
        .await
        .unwrap_err();
    assert_eq!(proxy.injected("DescribeSecurityGroups"), 1);
    let text = err.to_string();
    assert!(
        text.contains("ec2:DescribeSecurityGroups") && text.contains("UnauthorizedOperation"),
        "{text}"
    );
}

#[tokio::test]
async fn clusters_families_definitions_and_log_groups() {
    let moto = support::moto();
    let cluster = support::unique("inspect");
    let ecs = moto.ecs().await;
    ecs.create_cluster()
        .cluster_name(&cluster)
        .capacity_providers("FARGATE")
        .capacity_providers("FARGATE_SPOT")
        .send()
        .await
        .unwrap();
    moto.cluster(&format!("{cluster}-other"), "ana").await;
    moto.logs()
        .await
        .create_log_group()
        .log_group_name("/ecs/web")
        .send()
        .await
        .ok();
    let proxy = Proxy::start(&moto.endpoint);
    let inspector = inspector(&proxy.endpoint).await;

    let clusters = inspector.list_clusters().await.unwrap();
    assert!(
        clusters
            .iter()
            .any(|arn| arn.ends_with(&format!("/{cluster}"))),
        "{clusters:?}"
    );
    let info = inspector.describe_cluster(&cluster).await.unwrap().unwrap();
    assert_eq!(info.status, "ACTIVE");
    assert_eq!(info.capacity_providers, ["FARGATE", "FARGATE_SPOT"]);
    assert_eq!(
        inspector.describe_cluster("no-such-cluster").await.unwrap(),
        None
    );

    let families = inspector.task_definition_families().await.unwrap();
    assert!(families.contains(&"web".to_string()), "{families:?}");
    let web = inspector.task_definition("web").await.unwrap();
    assert!(web.name.starts_with("web:"), "{web:?}");
    assert_eq!(web.network_mode.as_deref(), Some("awsvpc"));
    assert!(
        web.requires_compatibilities
            .contains(&"FARGATE".to_string())
    );
    assert_eq!(web.task_role_arn, None);
    let api = web
        .containers
        .iter()
        .find(|c| c.container == "api")
        .unwrap();
    assert_eq!(api.log_driver.as_deref(), Some("awslogs"));
    assert_eq!(api.options["awslogs-group"], "/ecs/web");
    assert_eq!(api.options["awslogs-stream-prefix"], "ecs");
    let missing = inspector
        .task_definition("never-registered")
        .await
        .unwrap_err();
    assert!(missing.is_not_found(), "{missing:?}");

    assert!(inspector.log_group_exists("/ecs/web").await.unwrap());
    // A prefix of an existing group is not that group.
    assert!(!inspector.log_group_exists("/ecs/we").await.unwrap());

    let counts = proxy.counts();
    for (operation, calls) in [
        ("ListClusters", 1),
        ("DescribeClusters", 2),
        ("ListTaskDefinitionFamilies", 1),
        ("DescribeTaskDefinition", 2),
        ("DescribeLogGroups", 2),
    ] {
        assert_eq!(
            counts.get(operation),
            Some(&calls),
            "{operation}: {counts:?}"
        );
    }
}

#[tokio::test]
async fn the_networking_of_a_service_and_else_of_a_task() {
    let moto = support::moto();
    let cluster = support::unique("inspect-net");
    moto.cluster(&cluster, "ana").await;
    let ecs = moto.ecs().await;
    let proxy = Proxy::start(&moto.endpoint);
    let inspector = inspector(&proxy.endpoint).await;
    assert_eq!(inspector.cluster_network(&cluster).await.unwrap(), None);

    ecs.run_task()
        .cluster(&cluster)
        .task_definition("worker")
        .launch_type(LaunchType::Fargate)
        .network_configuration(vpc(moto, false))
        .send()
        .await
        .unwrap();
    let from_task = inspector.cluster_network(&cluster).await.unwrap().unwrap();
    assert!(from_task.source.starts_with("task "), "{from_task:?}");
    assert!(
        moto.subnets.contains(&from_task.subnets[0]),
        "{from_task:?}"
    );
    // The task's security groups come from EC2's view of its network interface.
    assert_eq!(
        from_task.security_groups,
        std::slice::from_ref(&moto.security_group)
    );
    assert_eq!(proxy.count("DescribeNetworkInterfaces"), 1);

    ecs.create_service()
        .cluster(&cluster)
        .service_name("shop")
        .task_definition("web")
        .desired_count(0)
        .launch_type(LaunchType::Fargate)
        .network_configuration(vpc(moto, true))
        .send()
        .await
        .unwrap();
    let from_service = inspector.cluster_network(&cluster).await.unwrap().unwrap();
    assert_eq!(from_service.source, "service shop");
    assert_eq!(from_service.subnets, moto.subnets);
    assert_eq!(
        from_service.security_groups,
        std::slice::from_ref(&moto.security_group)
    );
    assert!(from_service.assign_public_ip);
    assert!(proxy.count("ListServices") >= 2 && proxy.count("DescribeServices") >= 1);
}
