use super::*;

#[test]
fn placeholders_become_the_addresses_given() {
    let address = |container: &str, port: u16| match container {
        "web" => Some(format!("10.0.1.23:{port}")),
        "db" => Some(format!("localhost:{}", 15_000 + port)),
        _ => None,
    };
    assert_eq!(
        render("http://{endpoint:web:8080}/admin", address).as_deref(),
        Some("http://10.0.1.23:8080/admin")
    );
    assert_eq!(
        render(
            "postgres://u@{endpoint:db:5432}/app?x={endpoint:web:80}",
            address
        )
        .as_deref(),
        Some("postgres://u@localhost:20432/app?x=10.0.1.23:80")
    );
    assert_eq!(render("http://{endpoint:api:3000}/", address), None);
    assert_eq!(
        render("no placeholder", address).as_deref(),
        Some("no placeholder")
    );
}

#[test]
fn bad_placeholders_are_refused_with_what_is_wrong() {
    for (link, says) in [
        ("http://{endpoint:web}/", "needs a container and a port"),
        ("http://{endpoint:web:http}/", "is not a port"),
        ("http://{endpoint:web:0}/", "is not a port"),
        ("http://{endpoint::80}/", "names no container"),
        ("http://{host:web:80}/", "not a placeholder"),
        ("http://{endpoint:web:80/", "no closing"),
    ] {
        let err = check(link).expect_err(link);
        assert!(err.contains(says), "{link}: {err}");
    }
    assert!(check("http://{endpoint:web:8080}/").is_ok());
}
