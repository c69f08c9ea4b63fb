use super::*;
use serde_json::json;

#[test]
fn acknowledgement_uses_the_wire_field_names() {
    let ack = Acknowledgement {
        message_type: "output_stream_data".into(),
        message_id: "01234567-89ab-cdef-0011-223344556677".into(),
        sequence_number: 9,
        is_sequential: true,
    };
    assert_eq!(
        serde_json::to_value(&ack).unwrap(),
        json!({
            "AcknowledgedMessageType": "output_stream_data",
            "AcknowledgedMessageId": "01234567-89ab-cdef-0011-223344556677",
            "AcknowledgedMessageSequenceNumber": 9,
            "IsSequentialMessage": true
        })
    );
}

#[test]
fn handshake_response_shape() {
    let response = HandshakeResponse {
        client_version: "1.2.677.0".into(),
        processed_client_actions: vec![ProcessedAction {
            action_type: "SessionType".into(),
            action_status: ActionStatus::Success,
            action_result: Value::Null,
            error: String::new(),
        }],
        errors: vec![],
    };
    assert_eq!(
        serde_json::to_value(&response).unwrap(),
        json!({
            "ClientVersion": "1.2.677.0",
            "ProcessedClientActions": [
                {"ActionType": "SessionType", "ActionStatus": 1, "ActionResult": null, "Error": ""}
            ],
            "Errors": []
        })
    );
}

#[test]
fn handshake_request_parses_session_type_and_properties() {
    let raw = br#"{"AgentVersion":"3.3.1345.0","RequestedClientActions":[{"ActionType":"SessionType","ActionParameters":{"SessionType":"Port","Properties":{"portNumber":"5432","type":"LocalPortForwarding"}}}]}"#;
    let request: HandshakeRequest = serde_json::from_slice(raw).unwrap();
    assert_eq!(request.agent_version, "3.3.1345.0");
    let parameters: SessionTypeParameters = serde_json::from_value(
        request.requested_client_actions[0]
            .action_parameters
            .clone(),
    )
    .unwrap();
    assert_eq!(parameters.session_type, "Port");
    assert_eq!(parameters.properties["type"], "LocalPortForwarding");
}

#[test]
fn open_data_channel_field_names() {
    let open = OpenDataChannel {
        message_schema_version: "1.0",
        request_id: "r".into(),
        token_value: "t",
        client_id: "c".into(),
        client_version: "v",
    };
    assert_eq!(
        serde_json::to_value(&open).unwrap(),
        json!({"MessageSchemaVersion": "1.0", "RequestId": "r", "TokenValue": "t", "ClientId": "c", "ClientVersion": "v"})
    );
}

#[test]
fn flags_are_four_big_endian_bytes() {
    assert_eq!(Flag::TerminateSession.encode(), [0, 0, 0, 2]);
    assert_eq!(Flag::decode(&[0, 0, 0, 3]), Some(Flag::ConnectToPortError));
    assert_eq!(Flag::decode(&[3, 0, 0, 0]), None);
    assert_eq!(Flag::decode(&[0, 0, 3]), None);
}

#[test]
fn exit_code_forms() {
    assert_eq!(parse_exit_code(b"EXIT_CODE: 3"), Some(3));
    assert_eq!(parse_exit_code(b"EXIT_CODE: -1\n"), Some(-1));
    assert_eq!(parse_exit_code(b"0"), Some(0));
    assert_eq!(parse_exit_code(b"exit code three"), None);
}

#[test]
fn version_thresholds_follow_the_reference_client() {
    assert!(version_is_greater("3.3.1345.0", "3.0.196.0"));
    assert!(version_is_greater("3.0.196.1", "3.0.196.0"));
    assert!(!version_is_greater("3.0.196.0", "3.0.196.0"));
    assert!(!version_is_greater("2.3.722.0", "3.0.196.0"));
    assert!(version_is_greater("3.0.1000.0", "3.0.196.0"));
    assert!(!version_is_greater("3.3", "3.0.196.0"));
    assert!(!version_is_greater("", "3.0.196.0"));
}
