//! Reproducible gzip output.

use std::io::Write;

use flate2::write::GzEncoder;
use flate2::{Compression, GzBuilder};

/// Wraps `w` in a gzip encoder whose header is reproducible: mtime 0, no
/// file name, no comment. `level` is 0..=9 (6 is gzip's default).
pub fn gzip_writer<W: Write>(w: W, level: u32) -> GzEncoder<W> {
    GzBuilder::new()
        .mtime(0)
        .write(w, Compression::new(level.min(9)))
}

/// Creates the file `path` and has `write` fill it through a 1 MiB buffer, gzip-compressed
/// (level 1, reproducible header) if `gzip` is set; flushes it and returns what `write` did.
///
/// # Errors
///
/// Any error creating or writing the file.
pub fn write_file_with<T>(
    path: &std::path::Path,
    gzip: bool,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<T>,
) -> std::io::Result<T> {
    let mut file = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    if gzip {
        let mut enc = gzip_writer(file, 1);
        let out = write(&mut enc)?;
        enc.finish()?.flush()?;
        Ok(out)
    } else {
        let out = write(&mut file)?;
        file.flush()?;
        Ok(out)
    }
}

/// Gzips `data` at level 9.
///
/// # Errors
///
/// Never in practice (writing to memory), but the encoder's API is fallible.
pub fn gzip_bytes(data: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut enc = gzip_writer(Vec::new(), 9);
    enc.write_all(data)?;
    enc.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn roundtrip_and_header() {
        let gz = gzip_bytes(b"hello hello hello").unwrap();
        assert_eq!(&gz[..4], [0x1f, 0x8b, 8, 0]); // magic, deflate, no flags
        assert_eq!(&gz[4..8], [0, 0, 0, 0]); // mtime 0
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, b"hello hello hello");
    }
}
