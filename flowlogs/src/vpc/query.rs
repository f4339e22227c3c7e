//! Parsing queries: `tcp 10.0.1.5:43512 -> 10.0.2.7:22`, `icmp 10.0.1.5 -> 10.0.2.7 8/0`, and
//! JSON objects `{"proto":"tcp","src":"10.0.1.5","src_port":43512,"dst":"10.0.2.7","dst_port":22}`.

use std::net::IpAddr;
use std::str::FromStr;

use serde_json::Value;

use super::error::ParseQueryError;
use super::eval::Query;
use super::model::proto;

fn err(input: &str, message: impl Into<String>) -> ParseQueryError {
    ParseQueryError {
        input: input.to_string(),
        message: message.into(),
    }
}

/// `tcp`, `udp`, `icmp`, `icmpv6` or a number 0-255 (`-1`/`all` are not flows).
fn parse_proto(input: &str, s: &str) -> Result<u8, ParseQueryError> {
    match s.to_ascii_lowercase().as_str() {
        "tcp" => Ok(proto::TCP),
        "udp" => Ok(proto::UDP),
        "icmp" => Ok(proto::ICMP),
        "icmpv6" | "icmp6" => Ok(proto::ICMPV6),
        other => other
            .parse::<u8>()
            .map_err(|_| err(input, format!("unknown protocol {s:?}"))),
    }
}

/// `10.0.0.1:22`, `[2001:db8::1]:22`, `10.0.0.1`, `2001:db8::1`.
fn parse_endpoint(input: &str, s: &str) -> Result<(IpAddr, Option<u16>), ParseQueryError> {
    if let Ok(a) = s.parse::<IpAddr>() {
        return Ok((a, None));
    }
    let (addr, port) = if let Some(rest) = s.strip_prefix('[') {
        let (a, p) = rest
            .split_once("]:")
            .ok_or_else(|| err(input, format!("bad endpoint {s:?}")))?;
        (a, p)
    } else {
        s.rsplit_once(':')
            .ok_or_else(|| err(input, format!("bad endpoint {s:?}")))?
    };
    let a = addr
        .parse::<IpAddr>()
        .map_err(|_| err(input, format!("{addr:?} is not an IP address")))?;
    let p = port
        .parse::<u16>()
        .map_err(|_| err(input, format!("{port:?} is not a port (0-65535)")))?;
    Ok((a, Some(p)))
}

fn build(
    input: &str,
    p: u8,
    src: IpAddr,
    sport: Option<u16>,
    dst: IpAddr,
    dport: Option<u16>,
    icmp: Option<(u8, u8)>,
) -> Result<Query, ParseQueryError> {
    if src.is_ipv4() != dst.is_ipv4() {
        return Err(err(
            input,
            "source and destination are of different IP families",
        ));
    }
    match p {
        proto::TCP | proto::UDP => {
            let dport = dport.ok_or_else(|| err(input, "destination port missing"))?;
            let sport = sport.ok_or_else(|| {
                err(
                    input,
                    "source port missing (the reply path through stateless NACLs depends on it)",
                )
            })?;
            Ok(Query::new(p, src, sport, dst, dport))
        }
        proto::ICMP | proto::ICMPV6 => {
            if p == proto::ICMP && src.is_ipv6() {
                return Err(err(input, "icmp with IPv6 addresses: use icmpv6"));
            }
            if p == proto::ICMPV6 && src.is_ipv4() {
                return Err(err(input, "icmpv6 with IPv4 addresses: use icmp"));
            }
            let default = if p == proto::ICMP { (8, 0) } else { (128, 0) };
            let (t, c) = icmp.unwrap_or(default);
            Ok(Query::new(p, src, u16::from(t), dst, u16::from(c)))
        }
        _ => Ok(Query::new(
            p,
            src,
            sport.unwrap_or(0),
            dst,
            dport.unwrap_or(0),
        )),
    }
}

impl FromStr for Query {
    type Err = ParseQueryError;

    /// `PROTO SRC[:PORT] -> DST[:PORT] [TYPE/CODE | type T [code C]]`. IPv6 with ports in
    /// brackets. ICMP without a type means echo request (8/0, ICMPv6 128/0).
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let toks: Vec<&str> = input.split_whitespace().collect();
        let arrow = toks
            .iter()
            .position(|t| *t == "->")
            .ok_or_else(|| err(input, "expected `PROTO SRC:PORT -> DST:PORT`"))?;
        if arrow != 2 || toks.len() < 4 {
            return Err(err(input, "expected `PROTO SRC:PORT -> DST:PORT`"));
        }
        let p = parse_proto(input, toks[0])?;
        let (src, sport) = parse_endpoint(input, toks[1])?;
        let (dst, dport) = parse_endpoint(input, toks[3])?;
        let rest = &toks[4..];
        let icmp = match rest {
            [] => None,
            [tc] => {
                let (t, c) = tc.split_once('/').unwrap_or((tc, "0"));
                Some((num(input, t)?, num(input, c)?))
            }
            ["type", t] => Some((num(input, t)?, 0)),
            ["type", t, "code", c] => Some((num(input, t)?, num(input, c)?)),
            _ => return Err(err(input, "trailing words (expected `TYPE/CODE`)")),
        };
        if icmp.is_some() && p != proto::ICMP && p != proto::ICMPV6 {
            return Err(err(input, "ICMP type/code given for a non-ICMP protocol"));
        }
        build(input, p, src, sport, dst, dport, icmp)
    }
}

fn num(input: &str, s: &str) -> Result<u8, ParseQueryError> {
    s.parse::<u8>()
        .map_err(|_| err(input, format!("{s:?} is not an ICMP type/code (0-255)")))
}

impl Query {
    /// Parses a JSON object with keys `proto`, `src`, `src_port`, `dst`, `dst_port` (and for
    /// ICMP optionally `icmp_type`, `icmp_code`). `proto` is a name or a number.
    ///
    /// # Errors
    /// [`ParseQueryError`] naming the key.
    pub fn from_json(v: &Value) -> Result<Query, ParseQueryError> {
        let input = v.to_string();
        let obj = v
            .as_object()
            .ok_or_else(|| err(&input, "expected a JSON object"))?;
        let p = match obj.get("proto") {
            Some(Value::String(s)) => parse_proto(&input, s)?,
            Some(Value::Number(n)) => n
                .as_u64()
                .and_then(|n| u8::try_from(n).ok())
                .ok_or_else(|| err(&input, "proto: not 0-255"))?,
            _ => return Err(err(&input, "proto: missing")),
        };
        let addr = |k: &str| -> Result<IpAddr, ParseQueryError> {
            obj.get(k)
                .and_then(Value::as_str)
                .ok_or_else(|| err(&input, format!("{k}: missing")))?
                .parse()
                .map_err(|_| err(&input, format!("{k}: not an IP address")))
        };
        let int = |k: &str, max: u64| -> Result<Option<u64>, ParseQueryError> {
            match obj.get(k) {
                None | Some(Value::Null) => Ok(None),
                Some(x) => {
                    let n = x
                        .as_u64()
                        .or_else(|| x.as_str().and_then(|s| s.parse().ok()))
                        .filter(|n| *n <= max)
                        .ok_or_else(|| err(&input, format!("{k}: not 0-{max}")))?;
                    Ok(Some(n))
                }
            }
        };
        let src = addr("src")?;
        let dst = addr("dst")?;
        let sport = int("src_port", 65535)?.map(|n| n as u16);
        let dport = int("dst_port", 65535)?.map(|n| n as u16);
        let icmp = match (int("icmp_type", 255)?, int("icmp_code", 255)?) {
            (Some(t), c) => Some((t as u8, c.unwrap_or(0) as u8)),
            (None, _) if p == proto::ICMP || p == proto::ICMPV6 => {
                // Flow-log style: type and code in the port fields.
                match (sport, dport) {
                    (Some(t), Some(c)) if t <= 255 && c <= 255 => Some((t as u8, c as u8)),
                    _ => None,
                }
            }
            _ => None,
        };
        build(&input, p, src, sport, dst, dport, icmp)
    }
}
