use super::*;

#[test]
fn durations_in_compose_notation() {
    assert_eq!(parse_seconds("10s"), Ok(10));
    assert_eq!(parse_seconds("1m30s"), Ok(90));
    assert_eq!(parse_seconds("1h"), Ok(3600));
    assert_eq!(parse_seconds("1.5m"), Ok(90));
    assert_eq!(
        parse_seconds("1500ms"),
        Err("`1500ms` is not a whole number of seconds, and ECS counts these in seconds".into())
    );
    assert_eq!(parse_seconds("2000ms"), Ok(2));
    assert!(parse_seconds("30").unwrap_err().contains("lacks a unit"));
    assert!(
        parse_seconds("3d")
            .unwrap_err()
            .contains("unknown unit `d`")
    );
    assert!(parse_seconds("s").unwrap_err().contains("not a duration"));
    assert!(parse_seconds("").unwrap_err().contains("is empty"));
}

#[test]
fn memory_sizes_in_mib() {
    assert_eq!(parse_memory_mib("512M"), Ok(512));
    assert_eq!(parse_memory_mib("512m"), Ok(512));
    assert_eq!(parse_memory_mib("1g"), Ok(1024));
    assert_eq!(parse_memory_mib("1.5GB"), Ok(1536));
    assert_eq!(parse_memory_mib("268435456"), Ok(256));
    assert_eq!(parse_memory_mib("100k"), Ok(1), "rounded up to a whole MiB");
    assert!(
        parse_memory_mib("2t")
            .unwrap_err()
            .contains("unknown unit `t`")
    );
    assert!(
        parse_memory_mib("lots")
            .unwrap_err()
            .contains("unknown unit")
    );
}

#[test]
fn cpus_in_units() {
    assert_eq!(parse_cpus("0.5"), Ok(512));
    assert_eq!(parse_cpus("2"), Ok(2048));
    assert_eq!(parse_cpus("0.3"), Ok(307));
    assert!(parse_cpus("0").is_err());
    assert!(parse_cpus("32").is_err());
    assert!(parse_cpus("half").is_err());
}
