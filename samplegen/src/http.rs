//! Plain-text HTTP/1.1 payloads.

/// A `GET path` request for `host`.
#[must_use]
pub fn request(host: &str, path: &str) -> Vec<u8> {
    format!(
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: flowsleuth-samplegen/0\r\nAccept: */*\r\n\r\n"
    )
    .into_bytes()
}

/// A `200 OK` response whose body is `body_len` bytes of repeated text.
#[must_use]
pub fn response(body_len: usize) -> Vec<u8> {
    let mut r = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {body_len}\r\nServer: samplegen\r\n\r\n"
    )
    .into_bytes();
    const TEXT: &[u8] = b"The quick brown fox jumps over the lazy dog. ";
    r.extend(TEXT.iter().copied().cycle().take(body_len));
    r
}
