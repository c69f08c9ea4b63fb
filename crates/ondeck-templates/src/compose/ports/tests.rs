use super::*;

#[test]
fn short_ports() {
    let port = |text: &str| parse_short_port(text).unwrap();
    assert_eq!(
        port("80").targets,
        PortRange {
            first: 80,
            last: 80
        }
    );
    assert_eq!(
        port("8080:80").published,
        Some(PortRange {
            first: 8080,
            last: 8080
        })
    );
    assert_eq!(
        port("127.0.0.1:8080:80").host_ip.as_deref(),
        Some("127.0.0.1")
    );
    assert_eq!(port("[::1]:8080:80/udp").protocol, Protocol::Udp);
    assert_eq!(port("3000-3002").targets.len(), 3);
    assert_eq!(port("127.0.0.1::80").published, None);
    assert!(
        parse_short_port("80/sctp")
            .unwrap_err()
            .contains("not tcp or udp")
    );
    assert!(
        parse_short_port("99999")
            .unwrap_err()
            .contains("not a port number")
    );
    assert!(
        parse_short_port("9000-9001:80-82")
            .unwrap_err()
            .contains("differ in length")
    );
}
