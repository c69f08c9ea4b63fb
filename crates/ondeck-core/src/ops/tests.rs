use super::*;
use crate::fixtures::{instance, task};
use crate::instances::identity::is_valid_name;
use crate::instances::owner_key;
use crate::model::{NetworkConfig, tags};

/// `owner`'s instance `name` of launch `launch`, RUNNING or destroyed.
fn of(owner: &str, name: &str, launch: &str, live: bool) -> Instance {
    let state = if live {
        TaskState::Running
    } else {
        TaskState::Stopped
    };
    let mut task = task(name, &format!("{owner}-{launch}"), state);
    task.started_by = Some(owner_key(owner));
    let mut found = instance(name, vec![task]);
    found.owner = owner.into();
    found.launch = launch.into();
    found
}

fn named(text: &str) -> InstanceRef {
    InstanceRef::parse(text).unwrap()
}

#[test]
fn a_bare_name_is_mine_even_with_all_owners() {
    let everyone = [of("alice", "one", "a1", true), of("bob", "one", "b1", true)];
    for all_owners in [false, true] {
        let found = pick(&everyone, &named("one"), "bob", all_owners).unwrap();
        assert_eq!(found.owner, "bob", "all_owners {all_owners}");
    }
    let err = pick(&everyone[..1], &named("one"), "bob", true).unwrap_err();
    assert_eq!(
        err,
        OpsError::NotYours {
            name: "one".into(),
            owners: vec!["alice".into()]
        }
    );
    assert!(err.to_string().contains("alice/one"), "{err}");
}

#[test]
fn another_owners_instance_is_named_as_theirs_and_needs_all_owners() {
    let everyone = [of("alice", "one", "a1", true), of("bob", "one", "b1", true)];
    let err = pick(&everyone, &named("alice/one"), "bob", false).unwrap_err();
    assert!(err.to_string().contains("--all-owners"), "{err}");
    let found = pick(&everyone, &named("alice/one"), "bob", true).unwrap();
    assert_eq!(found.id().to_string(), "alice/one");
    assert!(matches!(
        pick(&everyone, &named("carol/one"), "bob", true),
        Err(OpsError::NoSuchInstance { .. })
    ));
}

#[test]
fn of_one_name_the_live_launch_counts_and_two_live_ones_are_refused() {
    let reused = [
        of("ana", "one", "old1", false),
        of("ana", "one", "new2", true),
    ];
    assert_eq!(
        pick(&reused, &named("one"), "ana", false).unwrap().launch,
        "new2"
    );
    let gone = [of("ana", "one", "old1", false)];
    assert_eq!(
        pick(&gone, &named("one"), "ana", false).unwrap().launch,
        "old1"
    );

    let twice = [
        of("ana", "one", "aaaa1111", true),
        of("ana", "one", "bbbb2222", true),
    ];
    let err = pick(&twice, &named("one"), "ana", false).unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("ana/one@aaaa1111 (RUNNING)")
            && message.contains("ana/one@bbbb2222 (RUNNING)"),
        "{message}"
    );
    assert_eq!(
        pick(&twice, &named("one@bbbb"), "ana", false)
            .unwrap()
            .launch,
        "bbbb2222"
    );
}

#[test]
fn a_task_whose_owner_tag_and_started_by_disagree_is_nobodys_by_a_bare_name() {
    // Started by ondeck/alice, tagged as bob's.
    let mut odd = of("alice", "one", "x1", true);
    odd.owner = "bob".into();
    for me in ["alice", "bob"] {
        assert!(pick([&odd], &named("one"), me, true).is_err(), "{me}");
    }
    let err = pick([&odd], &named("one"), "bob", true).unwrap_err();
    assert!(
        matches!(&err, OpsError::Disputed { started_by, .. } if started_by == "ondeck/alice"),
        "{err:?}"
    );
    assert!(pick([&odd], &named("bob/one"), "bob", false).is_err());
    assert!(pick([&odd], &named("bob/one"), "alice", true).is_ok());
}

#[test]
fn of_two_launches_the_one_created_first_stays_then_the_smaller_token() {
    let at = |minute| Some(crate::fixtures::at(10, minute));
    let first =
        |launches: Vec<(Option<DateTime<Utc>>, &'static str)>| first_launch(launches.into_iter());
    assert_eq!(first(vec![(at(1), "aaaa"), (at(0), "ffff")]), "ffff");
    assert_eq!(first(vec![(at(0), "bbbb"), (at(0), "aaaa")]), "aaaa");
    // A launch ECS has not timed yet comes after any it has.
    assert_eq!(first(vec![(None, "0000"), (at(5), "ffff")]), "ffff");
    assert_eq!(first(vec![(None, "ffff"), (None, "0000")]), "0000");
}

fn run_request(env: &[(&str, &str)], template: &str) -> RunRequest {
    RunRequest {
        enable_exec: false,
        task_definition: "web:3".into(),
        network: NetworkConfig {
            subnets: vec!["subnet-1".into()],
            security_groups: vec![],
            assign_public_ip: false,
        },
        started_by: "ondeck/ana".into(),
        tags: BTreeMap::from([(tags::TEMPLATE.to_string(), template.to_string())]),
        env: BTreeMap::from([(
            "api".to_string(),
            env.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )]),
        client_token: "t-0".into(),
        spot: false,
    }
}

#[test]
fn overrides_count_as_their_json_and_over_8192_are_refused() {
    let small = run_request(&[("A", "1")], "web");
    assert_eq!(
        small.overrides_chars(),
        r#"{"containerOverrides":[{"environment":[{"name":"A","value":"1"}],"name":"api"}]}"#.len()
    );
    assert!(check_run_limits(&small, "web:3").is_ok());
    // Quotes and backslashes count as ECS sees them: escaped.
    let quoted = run_request(&[("A", "\"\"")], "web");
    assert_eq!(quoted.overrides_chars(), small.overrides_chars() + 3);

    // "1" becomes a value one character longer than the room left.
    let value = "x".repeat(8_192 - small.overrides_chars() + 2);
    let just_over = run_request(&[("A", &value)], "web");
    let err = check_run_limits(&just_over, "web:3").unwrap_err();
    assert!(matches!(err, OpsError::TooLarge(_)));
    assert!(
        err.to_string().contains("web:3") && err.to_string().contains("8192"),
        "{err}"
    );
    let value = "x".repeat(8_192 - small.overrides_chars() + 1);
    assert!(check_run_limits(&run_request(&[("A", &value)], "web"), "web:3").is_ok());
}

#[test]
fn tags_past_their_sizes_are_refused_before_the_call() {
    let long = "t".repeat(257);
    let err = check_run_limits(&run_request(&[], &long), "web:3").unwrap_err();
    assert!(err.to_string().contains("ondeck:template"), "{err}");
    assert!(check_run_limits(&run_request(&[], &"t".repeat(256)), "web:3").is_ok());
}

#[test]
fn generated_names_are_valid_and_start_with_the_template() {
    let name = generated_name("Web_Stack");
    assert!(name.starts_with("web-stack-"), "{name}");
    assert!(is_valid_name(&name), "{name}");
    assert!(!is_valid_name("Bad Name"));
    assert!(!is_valid_name("-x"));
    assert!(!is_valid_name(""));
}

#[test]
fn request_env_overrides_template_env() {
    let template = BTreeMap::from([(
        "api".to_string(),
        BTreeMap::from([("A".to_string(), "1".to_string()), ("B".into(), "2".into())]),
    )]);
    let request = BTreeMap::from([(
        "api".to_string(),
        BTreeMap::from([("B".to_string(), "3".to_string())]),
    )]);
    let merged = merged_env(&template, &request);
    assert_eq!(merged["api"]["A"], "1");
    assert_eq!(merged["api"]["B"], "3");
}

#[test]
fn env_for_a_container_the_template_lacks_is_named_with_those_it_has() {
    let containers = vec!["api".to_string(), "redis".to_string()];
    let env = |container: &str| {
        BTreeMap::from([(
            container.to_string(),
            BTreeMap::from([("A".to_string(), "1".to_string())]),
        )])
    };
    assert_eq!(
        check_env_containers("web", &env("api"), &containers),
        Ok(())
    );
    let error = check_env_containers("web", &env("worker"), &containers).unwrap_err();
    assert_eq!(
        error.to_string(),
        "template `web` has no container `worker`; containers: api, redis"
    );
}
