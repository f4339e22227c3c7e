//! A bounds-checked cursor over TLS wire bytes (in the style of rustls' `Reader`).
//!
//! Every read returns `None` instead of panicking when the bytes are not there, and every slice
//! it hands out is a sub-slice of the buffer the reader was made from. A failed read leaves the
//! reader where it was, so a caller can try another interpretation.

/// A cursor over `&'a [u8]`: reads advance it, failed reads leave it unchanged.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    /// A reader at the start of `buf`.
    #[inline]
    #[must_use]
    pub const fn new(buf: &'a [u8]) -> Self {
        Self { rest: buf }
    }

    /// The bytes not read yet.
    #[inline]
    #[must_use]
    pub const fn rest(&self) -> &'a [u8] {
        self.rest
    }

    /// How many bytes are left.
    #[inline]
    #[must_use]
    pub const fn len(&self) -> usize {
        self.rest.len()
    }

    /// Whether every byte has been read.
    #[inline]
    #[must_use]
    pub const fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    /// The next `n` bytes, if there are that many.
    #[inline]
    pub fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, tail) = self.rest.split_at_checked(n)?;
        self.rest = tail;
        Some(head)
    }

    /// Everything left; the reader is empty afterwards (its empty rest still points at the end).
    #[inline]
    pub fn take_rest(&mut self) -> &'a [u8] {
        let all = self.rest;
        self.rest = self.rest.get(self.rest.len()..).unwrap_or_default();
        all
    }

    /// The next `N` bytes as an array reference, if there are that many.
    #[inline]
    pub fn array<const N: usize>(&mut self) -> Option<&'a [u8; N]> {
        let (head, tail) = self.rest.split_first_chunk::<N>()?;
        self.rest = tail;
        Some(head)
    }

    /// The next byte.
    #[inline]
    pub fn u8(&mut self) -> Option<u8> {
        self.array::<1>().map(|&[b]| b)
    }

    /// The next big-endian `u16`.
    #[inline]
    pub fn u16(&mut self) -> Option<u16> {
        self.array::<2>().map(|b| u16::from_be_bytes(*b))
    }

    /// The next big-endian 24-bit integer.
    #[inline]
    pub fn u24(&mut self) -> Option<u32> {
        self.array::<3>()
            .map(|&[a, b, c]| u32::from_be_bytes([0, a, b, c]))
    }

    /// The next big-endian `u32`.
    #[inline]
    pub fn u32(&mut self) -> Option<u32> {
        self.array::<4>().map(|b| u32::from_be_bytes(*b))
    }

    /// A vector with a one-byte length prefix (`opaque x<0..2^8-1>`): its contents.
    #[inline]
    pub fn sub_u8_len(&mut self) -> Option<&'a [u8]> {
        let mut r = *self;
        let n = r.u8()?;
        let body = r.take(usize::from(n))?;
        *self = r;
        Some(body)
    }

    /// A vector with a two-byte length prefix (`opaque x<0..2^16-1>`): its contents.
    #[inline]
    pub fn sub_u16_len(&mut self) -> Option<&'a [u8]> {
        let mut r = *self;
        let n = r.u16()?;
        let body = r.take(usize::from(n))?;
        *self = r;
        Some(body)
    }

    /// A vector with a three-byte length prefix (`opaque x<0..2^24-1>`): its contents.
    #[inline]
    pub fn sub_u24_len(&mut self) -> Option<&'a [u8]> {
        let mut r = *self;
        let n = r.u24()?;
        let body = r.take(usize::try_from(n).ok()?)?;
        *self = r;
        Some(body)
    }
}

#[cfg(test)]
mod tests {
    use super::Reader;

    #[test]
    fn reads_and_failures() {
        let d = [0, 2, 0xaa, 0xbb, 1, 2, 3, 9];
        let mut r = Reader::new(&d);
        assert_eq!(r.sub_u16_len(), Some(&[0xaa, 0xbb][..]));
        assert_eq!(r.u24(), Some(0x01_0203));
        // A failed read leaves the reader unchanged.
        assert_eq!(r.u16(), None);
        assert_eq!(r.sub_u8_len(), None);
        assert_eq!(r.take(2), None);
        assert_eq!(r.len(), 1);
        assert_eq!(r.u8(), Some(9));
        assert!(r.is_empty());
        assert_eq!(r.u8(), None);
        let mut r = Reader::new(&d);
        assert_eq!(r.u32(), Some(0x0002_aabb));
        let rest = r.take_rest();
        assert_eq!(rest, &[1, 2, 3, 9]);
        assert!(r.rest().is_empty());
        assert_eq!(r.rest().as_ptr(), d.as_ptr().wrapping_add(d.len()));
    }

    #[test]
    fn overlong_prefixes_fail() {
        let mut r = Reader::new(&[5, 1, 2]);
        assert_eq!(r.sub_u8_len(), None);
        assert_eq!(r.len(), 3);
        let mut r = Reader::new(&[0, 0, 4, 1]);
        assert_eq!(r.sub_u24_len(), None);
        assert_eq!(r.len(), 4);
    }
}
