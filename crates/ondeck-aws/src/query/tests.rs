use super::xml::parse;
use super::*;

#[test]
fn an_sts_answer_reads_as_a_tree() {
    let root = parse(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <GetCallerIdentityResult>
    <Arn>arn:aws:iam::123456789012:user/ana</Arn>
    <UserId>AKIAI44QH8DHBEXAMPLE</UserId>
    <Account>123456789012</Account>
  </GetCallerIdentityResult>
</GetCallerIdentityResponse>"#,
    )
    .unwrap();
    assert_eq!(root.name, "GetCallerIdentityResponse");
    let result = root.child("GetCallerIdentityResult").unwrap();
    assert_eq!(result.text_of("Account"), Some("123456789012"));
    assert_eq!(
        result.text_of("Arn"),
        Some("arn:aws:iam::123456789012:user/ana")
    );
    assert_eq!(result.text_of("Missing"), None);
}

#[test]
fn ec2_lists_entities_and_empty_elements() {
    let root = parse(
        "<DescribeSubnetsResponse><subnetSet><item><subnetId>subnet-1</subnetId>\
         <tagSet/><name>a &amp; b &#x41;</name></item><item><subnetId>subnet-2</subnetId>\
         </item></subnetSet></DescribeSubnetsResponse>",
    )
    .unwrap();
    let items: Vec<_> = root.child("subnetSet").unwrap().children("item").collect();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0].text_of("name"), Some("a & b A"));
    assert!(items[0].child("tagSet").is_some());
    assert_eq!(items[1].text_of("subnetId"), Some("subnet-2"));
}

#[test]
fn an_ec2_error_is_found_at_depth() {
    let root = parse(
        "<Response><Errors><Error><Code>InvalidSubnetID.NotFound</Code>\
         <Message>The subnet ID 'subnet-x' does not exist</Message></Error></Errors>\
         <RequestID>r</RequestID></Response>",
    )
    .unwrap();
    let error = root.find("Error").unwrap();
    assert_eq!(error.text_of("Code"), Some("InvalidSubnetID.NotFound"));
}

#[test]
fn broken_documents_are_errors() {
    assert!(parse("<a><b></a>").is_err());
    assert!(parse("<a><b>").is_err());
    assert!(parse("").is_err());
    assert!(parse("<a>&bogus;</a>").is_err());
}

#[test]
fn query_urls_follow_the_region_or_the_endpoint() {
    let api = QueryApi::new(None, "eu-west-1", None, None, Duration::from_secs(1));
    assert_eq!(
        api.url(QueryService::Sts),
        "https://sts.eu-west-1.amazonaws.com/"
    );
    assert_eq!(
        api.url(QueryService::Ec2),
        "https://ec2.eu-west-1.amazonaws.com/"
    );
    let local = QueryApi::new(
        None,
        "eu-west-1",
        Some("http://127.0.0.1:5000"),
        None,
        Duration::from_secs(1),
    );
    assert_eq!(local.url(QueryService::Ec2), "http://127.0.0.1:5000/");
    assert_eq!(host_of("http://127.0.0.1:5000/"), "127.0.0.1:5000");
}

#[tokio::test]
async fn without_credentials_a_call_says_how_to_get_them() {
    let api = QueryApi::new(None, "eu-west-1", None, Some("dev"), Duration::from_secs(1));
    let err = api
        .call(QueryService::Sts, "GetCallerIdentity", &[])
        .await
        .unwrap_err();
    match err {
        CloudError::Credentials { fix, .. } => assert!(fix.contains("--profile dev"), "{fix}"),
        other => panic!("{other:?}"),
    }
}
