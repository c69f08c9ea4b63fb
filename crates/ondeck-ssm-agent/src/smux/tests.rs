use super::*;

#[test]
fn header_is_version_command_le_length_le_stream_id() {
    let bytes = Frame::new(Command::Psh, 0x0102_0304, b"abc".to_vec()).encode();
    assert_eq!(bytes, vec![1, 2, 3, 0, 4, 3, 2, 1, b'a', b'b', b'c']);
}

#[test]
fn frames_split_anywhere_are_reassembled() {
    let mut stream = Frame::new(Command::Syn, 3, vec![]).encode();
    stream.extend(Frame::new(Command::Psh, 3, vec![7; 300]).encode());
    stream.extend(Frame::new(Command::Fin, 3, vec![]).encode());
    let mut reader = FrameReader::default();
    let mut frames = Vec::new();
    for byte in stream {
        reader.push(&[byte]);
        while let Some(frame) = reader.next_frame() {
            frames.push(frame.unwrap());
        }
    }
    let commands: Vec<_> = frames.iter().map(|f| f.command).collect();
    assert_eq!(commands, [Command::Syn, Command::Psh, Command::Fin]);
    assert_eq!(frames[1].data, vec![7; 300]);
}

#[test]
fn another_version_is_an_error() {
    let mut reader = FrameReader::default();
    reader.push(&[2, 0, 0, 0, 3, 0, 0, 0]);
    assert_eq!(reader.next_frame(), Some(Err(FrameError::Version(2))));
}
