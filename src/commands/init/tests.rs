use std::io::Cursor;
use std::path::{Path, PathBuf};

use super::prompt::Prompter;
use super::starter::{Answers, TemplateSource, starter_config};

fn answers(template: Option<TemplateSource>) -> Answers {
    Answers {
        profile: "dev".into(),
        aws_profile: None,
        region: "eu-west-1".into(),
        endpoint_url: None,
        cluster: "team".into(),
        owner: "ana".into(),
        subnets: vec!["subnet-1".into(), "subnet-2".into()],
        security_groups: vec!["sg-1".into()],
        assign_public_ip: false,
        template,
    }
}

fn parses(text: &str) -> ondeck_core::config::Config {
    ondeck_core::config::parse_with_login(Path::new("config.toml"), text, Some("ana"))
        .unwrap_or_else(|err| panic!("{err}\n{text}"))
}

#[test]
fn the_starter_config_parses_with_and_without_a_template() {
    let config = parses(&starter_config(&answers(Some(TemplateSource::Family(
        "web".into(),
    )))));
    let profile = config.profile(None).unwrap();
    assert_eq!(profile.cluster, "team");
    assert_eq!(profile.subnets, ["subnet-1", "subnet-2"]);
    assert_eq!(profile.templates["web"].task_definitions(), ["web"]);
    assert!(profile.templates["web"].ttl.is_some());

    let config = parses(&starter_config(&answers(None)));
    assert!(config.profile(None).unwrap().templates.is_empty());
}

#[test]
fn a_compose_starter_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let compose = dir.path().join("shop/docker-compose.yml");
    std::fs::create_dir_all(compose.parent().unwrap()).unwrap();
    std::fs::write(&compose, "services:\n  web:\n    image: nginx:1\n").unwrap();
    let text = starter_config(&answers(Some(TemplateSource::Compose(compose.clone()))));
    let config = parses(&text);
    let template = &config.profile(None).unwrap().templates["shop"];
    match &template.source {
        ondeck_core::config::TemplateSource::Compose { path, .. } => assert_eq!(path, &compose),
        other => panic!("{other:?}"),
    }
}

#[test]
fn quotes_and_backslashes_stay_inside_their_strings() {
    let mut tricky = answers(None);
    tricky.aws_profile = Some("we\"ird\\name".into());
    tricky.endpoint_url = Some("http://127.0.0.1:5000".into());
    let config = parses(&starter_config(&tricky));
    let profile = config.profile(None).unwrap();
    assert_eq!(profile.aws_profile.as_deref(), Some("we\"ird\\name"));
    assert_eq!(
        profile.endpoint_url.as_deref(),
        Some("http://127.0.0.1:5000")
    );
}

#[test]
fn template_sources_and_their_names() {
    assert_eq!(
        TemplateSource::parse("web"),
        TemplateSource::Family("web".into())
    );
    assert_eq!(
        TemplateSource::parse("shop.api").template_name(),
        "shop-api"
    );
    let compose = TemplateSource::Compose(PathBuf::from("/src/shop/docker-compose.yml"));
    assert_eq!(compose.template_name(), "shop");
    let named = TemplateSource::Compose(PathBuf::from("/src/shop/staging.yaml"));
    assert_eq!(named.template_name(), "staging");
    assert!(matches!(
        TemplateSource::parse("deploy/compose.YML"),
        TemplateSource::Compose(_)
    ));
    assert_eq!(TemplateSource::Family("..".into()).template_name(), "app");
}

fn prompter(input: &str) -> Prompter<Cursor<Vec<u8>>, Vec<u8>> {
    Prompter::new(Cursor::new(input.as_bytes().to_vec()), Vec::new())
}

#[test]
fn an_empty_answer_takes_the_default_and_none_asks_again() {
    let mut ask = prompter("\n\nmine\n");
    assert_eq!(ask.ask("Region", Some("us-east-1")).unwrap(), "us-east-1");
    assert_eq!(ask.ask("Cluster", None).unwrap(), "mine");
    assert!(ask.ask("More", None).is_err(), "the input ended");
}

#[test]
fn choices_by_number_or_by_value() {
    let options = vec!["a".to_string(), "b".to_string()];
    let mut ask = prompter("2\n\nother\n9\n");
    assert_eq!(ask.choose("Pick", &options).unwrap(), "b");
    assert_eq!(ask.choose("Pick", &options).unwrap(), "a");
    assert_eq!(ask.choose("Pick", &options).unwrap(), "other");
    assert_eq!(ask.choose("Pick", &options).unwrap(), "9");
}

#[test]
fn lists_and_confirmations() {
    let mut ask = prompter("subnet-1, subnet-2 subnet-3\n\nmaybe\nn\n\n");
    assert_eq!(
        ask.ask_list("Subnets", &[]).unwrap(),
        ["subnet-1", "subnet-2", "subnet-3"]
    );
    assert_eq!(
        ask.ask_list("Groups", &["sg-1".to_string()]).unwrap(),
        ["sg-1"]
    );
    assert!(
        !ask.confirm("Public?", true).unwrap(),
        "maybe is asked again"
    );
    assert!(ask.confirm("Public?", true).unwrap());
}
