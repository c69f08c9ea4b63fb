use super::parse_port_pair;

#[test]
fn port_pairs_name_local_and_remote_and_zero_or_none_is_a_free_port() {
    assert_eq!(parse_port_pair("5432"), Ok((0, 5432)));
    assert_eq!(parse_port_pair("15432:5432"), Ok((15432, 5432)));
    assert_eq!(parse_port_pair("0:80"), Ok((0, 80)));
    assert!(parse_port_pair("80:0").unwrap_err().contains("cannot be 0"));
    assert!(
        parse_port_pair("web")
            .unwrap_err()
            .contains("[LOCAL:]REMOTE")
    );
    assert!(parse_port_pair("99999").is_err());
}
