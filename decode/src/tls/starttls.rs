//! STARTTLS: a plaintext protocol that upgrades to TLS in the same TCP connection (tls.md 4.4).
//!
//! A small line scanner run on both directions while they are plaintext: the client's upgrade
//! command (`STARTTLS` for SMTP/NNTP/IRC, `<tag> STARTTLS` for IMAP, `STLS` for POP3,
//! `AUTH TLS`/`AUTH SSL` for FTP), then the server's positive reply (`220`, `382`, `670`;
//! `<tag> OK`; `+OK`; `234`). TLS starts on the byte after the client's command line and, in
//! the server direction, after the positive reply line.
//!
//! A stream is followed as plaintext only when the server direction starts with a greeting
//! (`220`, `* OK`, `+OK`, `200`, `201`) and the client's text comes after it; at most 64 KiB
//! per direction.
//!
//! Only a prefix of each line is kept ([`LINE_PREFIX`] bytes, fixed size); nothing allocates.
//! Limits: the client direction is switched to TLS right after its command (a refused upgrade
//! then makes the client's next plaintext fail the TLS content check); XMPP, LDAP, PostgreSQL,
//! MySQL and RDP upgrades are not recognised.

use arrayvec::ArrayVec;

/// Bytes kept of the start of each plaintext line.
pub const LINE_PREFIX: usize = 64;

/// The plaintext protocol family recognised from the upgrade command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum StartTlsProtocol {
    /// `STARTTLS` then `220` (SMTP, RFC 3207), `382` (NNTP, RFC 4642) or `670` (IRC).
    Starttls,
    /// `<tag> STARTTLS` then `<tag> OK` (IMAP, RFC 9051).
    Imap,
    /// `STLS` then `+OK` (POP3, RFC 2595).
    Pop3,
    /// `AUTH TLS` / `AUTH SSL` then `234` (FTP, RFC 4217).
    Ftp,
}

/// What a plaintext chunk led to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Scan {
    /// Still plaintext.
    Plain,
    /// TLS starts at this offset of the chunk.
    Upgrade(usize),
    /// Not a plaintext protocol we follow (binary byte or too many bytes).
    GiveUp,
}

/// Scanner state for both directions (`[client, server]`).
#[derive(Clone, Debug, Default)]
pub(crate) struct StartTlsScanner {
    line: [ArrayVec<u8, LINE_PREFIX>; 2],
    bytes: [u64; 2],
    pub(crate) pending: Option<StartTlsProtocol>,
    tag: ArrayVec<u8, LINE_PREFIX>,
}

/// Most plaintext bytes per direction before giving up.
const MAX_PLAIN_BYTES: u64 = 64 * 1024;

impl StartTlsScanner {
    /// Scans a plaintext chunk of direction `d` (0 client, 1 server).
    pub(crate) fn scan(&mut self, d: usize, chunk: &[u8]) -> Scan {
        for (i, &b) in chunk.iter().enumerate() {
            let Some(count) = self.bytes.get_mut(d) else {
                return Scan::GiveUp;
            };
            *count += 1;
            if *count > MAX_PLAIN_BYTES || !(b.is_ascii_graphic() || b" \t\r\n".contains(&b)) {
                return Scan::GiveUp;
            }
            let Some(line) = self.line.get_mut(d) else {
                return Scan::GiveUp;
            };
            if b != b'\n' {
                let _ = line.try_push(b);
                continue;
            }
            let text: ArrayVec<u8, LINE_PREFIX> = line.drain(..).collect();
            let text = trim(&text);
            if d == 0 {
                if let Some(p) = self.command(text) {
                    self.pending = Some(p);
                    return Scan::Upgrade(i + 1);
                }
            } else if let Some(positive) = self.reply(text) {
                if positive {
                    return Scan::Upgrade(i + 1);
                }
                self.pending = None;
            }
        }
        Scan::Plain
    }

    fn command(&mut self, line: &[u8]) -> Option<StartTlsProtocol> {
        if line.eq_ignore_ascii_case(b"STARTTLS") {
            return Some(StartTlsProtocol::Starttls);
        }
        if line.eq_ignore_ascii_case(b"STLS") {
            return Some(StartTlsProtocol::Pop3);
        }
        if line.eq_ignore_ascii_case(b"AUTH TLS") || line.eq_ignore_ascii_case(b"AUTH SSL") {
            return Some(StartTlsProtocol::Ftp);
        }
        let (tag, rest) = split_word(line)?;
        if rest.eq_ignore_ascii_case(b"STARTTLS") && !tag.is_empty() {
            self.tag = tag.iter().copied().collect();
            return Some(StartTlsProtocol::Imap);
        }
        None
    }

    /// `Some(true)` positive final reply, `Some(false)` negative, `None` not a final reply.
    fn reply(&self, line: &[u8]) -> Option<bool> {
        let code3 = |codes: &[&[u8]]| -> Option<bool> {
            let code = line.get(..3)?;
            if !code.iter().all(u8::is_ascii_digit) || line.get(3) == Some(&b'-') {
                return None; // not a code, or a continuation line
            }
            Some(codes.contains(&code))
        };
        match self.pending? {
            StartTlsProtocol::Starttls => code3(&[b"220", b"382", b"670"]),
            StartTlsProtocol::Ftp => code3(&[b"234"]),
            StartTlsProtocol::Pop3 => {
                if starts_with_ci(line, b"+OK") {
                    Some(true)
                } else if starts_with_ci(line, b"-ERR") {
                    Some(false)
                } else {
                    None
                }
            }
            StartTlsProtocol::Imap => {
                let (tag, rest) = split_word(line)?;
                if tag != self.tag.as_slice() {
                    return None;
                }
                Some(starts_with_ci(rest, b"OK"))
            }
        }
    }
}

fn trim(line: &[u8]) -> &[u8] {
    let end = line
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(0, |p| p + 1);
    line.get(..end).unwrap_or_default()
}

fn split_word(line: &[u8]) -> Option<(&[u8], &[u8])> {
    let sp = line.iter().position(|&b| b == b' ')?;
    let (a, b) = line.split_at_checked(sp)?;
    Some((a, b.get(1..).unwrap_or_default()))
}

fn starts_with_ci(line: &[u8], prefix: &[u8]) -> bool {
    line.get(..prefix.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smtp_imap_pop3() {
        let mut s = StartTlsScanner::default();
        assert_eq!(s.scan(1, b"220 mx ESMTP\r\n"), Scan::Plain);
        assert_eq!(s.scan(0, b"EHLO a\r\n"), Scan::Plain);
        assert_eq!(s.scan(1, b"250-mx\r\n250 STARTTLS\r\n"), Scan::Plain);
        assert_eq!(s.scan(0, b"STARTTLS\r\n\x16"), Scan::Upgrade(10));
        assert_eq!(s.scan(1, b"220 2.0.0 go\r\n\x16\x03"), Scan::Upgrade(14));

        let mut s = StartTlsScanner::default();
        assert_eq!(s.scan(0, b"a1 STARTTLS\r\n"), Scan::Upgrade(13));
        assert_eq!(
            s.scan(1, b"* OK fine\r\na1 OK Begin\r\n"),
            Scan::Upgrade(24)
        );

        let mut s = StartTlsScanner::default();
        assert_eq!(s.scan(0, b"STLS\r\n"), Scan::Upgrade(6));
        assert_eq!(s.scan(1, b"-ERR no\r\n"), Scan::Plain);
        assert_eq!(s.pending, None);
        assert_eq!(s.scan(0, b"\x00"), Scan::GiveUp);
    }
}
