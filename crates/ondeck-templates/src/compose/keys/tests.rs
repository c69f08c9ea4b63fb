use super::*;

#[test]
fn every_key_is_in_exactly_one_list() {
    let mut all: Vec<&str> = SUPPORTED_SERVICE_KEYS.to_vec();
    all.extend(REFUSED_SERVICE_KEYS.iter().map(|(name, _)| *name));
    all.extend(IGNORED_SERVICE_KEYS.iter().map(|(name, _)| *name));
    let count = all.len();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), count, "a key is listed twice");
}
