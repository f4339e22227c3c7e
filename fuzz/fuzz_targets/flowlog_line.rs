#![no_main]
//! Arbitrary bytes as flow-log text: the first byte picks the format (default, AWS's v5 example,
//! all 54 fields, or the input's own first line as header), the rest goes through the line
//! parser and the text reader. Checks: no panic; every string in a record lies inside the line;
//! a record never comes from a line with a different token count than the format.

use flowlogs::read::{read_str, ReadOptions, RecordSink, SinkError};
use flowlogs::{Field, FlowRecord, Format, LineParser, Parsed, Value, ALL_FIELDS};
use libfuzzer_sys::fuzz_target;

struct Count(u64);

impl RecordSink for Count {
    fn record(&mut self, _rec: &FlowRecord<'_>) -> Result<(), SinkError> {
        self.0 += 1;
        Ok(())
    }
}

const V5: &str = "version srcaddr dstaddr srcport dstport protocol start end type packets bytes account-id vpc-id subnet-id instance-id interface-id region az-id sublocation-type sublocation-id action tcp-flags pkt-srcaddr pkt-dstaddr pkt-src-aws-service pkt-dst-aws-service traffic-path flow-direction log-status";

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    let format = match pick % 4 {
        0 => Some(Format::default_v2()),
        1 => Format::from_header(V5).ok(),
        2 => Format::new(ALL_FIELDS.to_vec()).ok(),
        _ => text
            .lines()
            .next()
            .and_then(|l| Format::from_header(l).ok()),
    };
    let Some(format) = format else { return };
    let parser = LineParser::new(format.clone());
    for (i, line) in text.lines().enumerate() {
        let range = line.as_ptr() as usize..line.as_ptr() as usize + line.len();
        if let Ok(Parsed::Record(rec)) = parser.parse_line(line, i as u64 + 1) {
            let tokens = line.split_ascii_whitespace().count();
            let n = format.fields().len();
            assert!(
                tokens == n || tokens == n + 1,
                "{tokens} tokens for {n} fields"
            );
            for f in format.fields() {
                // Enum fields print as static names; every other string borrows the line.
                let is_enum = matches!(
                    f,
                    Field::Action | Field::LogStatus | Field::Type | Field::FlowDirection
                );
                if let (false, Value::Str(s)) = (is_enum, rec.value(f)) {
                    let p = s.as_ptr() as usize;
                    assert!(range.contains(&p) && p + s.len() <= range.end, "{f}");
                }
            }
            let unknown = format
                .fields()
                .iter()
                .filter(|f| matches!(f, Field::Unknown(_)))
                .count();
            assert_eq!(rec.unknown.len(), unknown);
        }
    }
    let opts = ReadOptions {
        log_format: Some(format),
        strict: pick & 4 != 0,
    };
    let mut count = Count(0);
    if let Ok(stats) = read_str(&text, &opts, &mut count) {
        assert_eq!(stats.records, count.0);
    }
});
