//! The one bounds-checked reader every parse goes through: a cursor over a byte slice that reads
//! numbers in the file's byte order and never indexes out of range.

use crate::error::Error;
use crate::value::{ArrayView, Encoding, Endian, GgufStr, Value, ValueType};

/// Checks applied while decoding values; the parser passes the caller's [`crate::ReadOptions`],
/// views over already-validated bytes pass [`ValueChecks::RELAXED`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct ValueChecks {
    pub strict_utf8: bool,
    pub max_depth: u32,
    pub max_array_len: u64,
    pub max_string_len: u64,
}

/// Deepest array nesting the reader ever follows, whatever `ReadOptions` asks: the parser
/// recurses once per level, so this bounds its stack use.
pub(crate) const HARD_MAX_DEPTH: u32 = 256;

impl ValueChecks {
    /// For bytes the parser validated already: only the hard depth bound.
    pub const RELAXED: ValueChecks = ValueChecks {
        strict_utf8: false,
        max_depth: HARD_MAX_DEPTH,
        max_array_len: u64::MAX,
        max_string_len: u64::MAX,
    };
}

/// A cursor over `buf` that reads values in the encoding `enc`.
#[derive(Debug, Clone)]
pub(crate) struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
    enc: Encoding,
}

macro_rules! read_num {
    ($($name:ident: $t:ty),*) => {$(
        pub fn $name(&mut self, what: &'static str) -> Result<$t, Error> {
            let b = self.array::<{ std::mem::size_of::<$t>() }>(what)?;
            Ok(match self.enc.endian {
                Endian::Little => <$t>::from_le_bytes(b),
                Endian::Big => <$t>::from_be_bytes(b),
            })
        }
    )*};
}

impl<'a> Cursor<'a> {
    pub fn new(buf: &'a [u8], enc: Encoding) -> Self {
        Cursor { buf, pos: 0, enc }
    }

    /// Current offset from the start of the buffer.
    pub fn pos(&self) -> usize {
        self.pos
    }

    /// Bytes left after the current offset.
    pub fn remaining(&self) -> u64 {
        (self.buf.len() - self.pos) as u64
    }

    pub fn encoding(&self) -> Encoding {
        self.enc
    }

    /// Takes the next `n` bytes.
    pub fn take(&mut self, n: u64, what: &'static str) -> Result<&'a [u8], Error> {
        if n > self.remaining() {
            return Err(Error::Truncated {
                what: what.into(),
                offset: self.pos as u64,
                needed: n,
                available: self.remaining(),
            });
        }
        // `n <= remaining`, which fits in usize.
        let start = self.pos;
        self.pos += n as usize;
        Ok(&self.buf[start..self.pos])
    }

    fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], Error> {
        let s = self.take(N as u64, what)?;
        let mut out = [0u8; N];
        out.copy_from_slice(s);
        Ok(out)
    }

    read_num!(u8: u8, i8: i8, u16: u16, i16: i16, u32: u32, i32: i32, u64: u64, i64: i64,
        f32: f32, f64: f64);

    /// A length or count: u32 in version 1, u64 after.
    pub fn length(&mut self, what: &'static str) -> Result<u64, Error> {
        if self.enc.wide_lengths() {
            self.u64(what)
        } else {
            self.u32(what).map(u64::from)
        }
    }

    /// Checks that `count` items of at least `min_size` bytes each can fit in what remains,
    /// before anything is looped over or allocated.
    pub fn check_count(&self, count: u64, min_size: u64, what: &'static str) -> Result<(), Error> {
        match count.checked_mul(min_size) {
            Some(need) if need <= self.remaining() => Ok(()),
            _ => Err(Error::CountTooLarge {
                what: what.into(),
                count,
                offset: self.pos as u64,
                remaining: self.remaining(),
            }),
        }
    }

    /// A length-prefixed string.
    pub fn string(&mut self, checks: &ValueChecks, what: &'static str) -> Result<&'a [u8], Error> {
        let start = self.pos as u64;
        let len = self.length(what)?;
        if len > checks.max_string_len {
            return Err(Error::LimitExceeded {
                what: format!("{what} length at offset {start}"),
                value: len,
                limit: checks.max_string_len,
            });
        }
        let bytes = self.take(len, what)?;
        if checks.strict_utf8 && std::str::from_utf8(bytes).is_err() {
            return Err(Error::InvalidUtf8 {
                what: what.into(),
                offset: start,
            });
        }
        Ok(bytes)
    }

    /// A value type tag.
    pub fn value_type(&mut self, what: &'static str) -> Result<ValueType, Error> {
        let offset = self.pos as u64;
        let id = self.u32(what)?;
        ValueType::from_id(id).ok_or(Error::InvalidValueType {
            what: what.into(),
            id,
            offset,
        })
    }

    /// Decodes one value of type `ty`, validating it and everything it contains.
    pub fn value(&mut self, ty: ValueType) -> Result<Value<'a>, Error> {
        self.value_checked(ty, &ValueChecks::RELAXED, 0)
    }

    pub fn value_checked(
        &mut self,
        ty: ValueType,
        checks: &ValueChecks,
        depth: u32,
    ) -> Result<Value<'a>, Error> {
        const W: &str = "value";
        Ok(match ty {
            ValueType::U8 => Value::U8(self.u8(W)?),
            ValueType::I8 => Value::I8(self.i8(W)?),
            ValueType::U16 => Value::U16(self.u16(W)?),
            ValueType::I16 => Value::I16(self.i16(W)?),
            ValueType::U32 => Value::U32(self.u32(W)?),
            ValueType::I32 => Value::I32(self.i32(W)?),
            ValueType::F32 => Value::F32(self.f32(W)?),
            ValueType::Bool => Value::Bool(self.u8(W)? != 0),
            ValueType::U64 => Value::U64(self.u64(W)?),
            ValueType::I64 => Value::I64(self.i64(W)?),
            ValueType::F64 => Value::F64(self.f64(W)?),
            ValueType::String => Value::String(GgufStr::new(self.string(checks, "string")?)),
            ValueType::Array => Value::Array(self.array_view(checks, depth)?),
        })
    }

    fn array_view(&mut self, checks: &ValueChecks, depth: u32) -> Result<ArrayView<'a>, Error> {
        if depth >= checks.max_depth {
            return Err(Error::NestingTooDeep {
                offset: self.pos as u64,
                limit: checks.max_depth,
            });
        }
        let elem = self.value_type("array element type")?;
        let len = self.length("array length")?;
        if len > checks.max_array_len {
            return Err(Error::LimitExceeded {
                what: format!("array length at offset {}", self.pos),
                value: len,
                limit: checks.max_array_len,
            });
        }
        let start = self.pos;
        match elem.fixed_size() {
            Some(size) => {
                self.check_count(len, size, "array elements")?;
                self.take(len * size, "array elements")?;
            }
            None => {
                let min = match elem {
                    ValueType::String => self.enc.length_size(),
                    _ => 4 + self.enc.length_size(),
                };
                self.check_count(len, min, "array elements")?;
                for _ in 0..len {
                    self.value_checked(elem, checks, depth + 1)?;
                }
            }
        }
        Ok(ArrayView {
            elem,
            len,
            data: &self.buf[start..self.pos],
            enc: self.enc,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LE3: Encoding = Encoding {
        endian: Endian::Little,
        version: 3,
    };

    #[test]
    fn reads_past_end_are_errors() {
        let mut c = Cursor::new(&[1, 2, 3], LE3);
        assert!(c.u32("x").is_err());
        assert_eq!(c.u16("x").unwrap(), 0x0201);
        assert!(c.u16("x").is_err());
        assert_eq!(c.u8("x").unwrap(), 3);
    }

    #[test]
    fn huge_array_count_is_rejected_before_looping() {
        // elem type STRING, len 2^62
        let mut b = 8u32.to_le_bytes().to_vec();
        b.extend_from_slice(&(1u64 << 62).to_le_bytes());
        let mut c = Cursor::new(&b, LE3);
        let err = c.value(ValueType::Array).unwrap_err();
        assert!(matches!(err, Error::CountTooLarge { .. }), "{err}");
    }

    #[test]
    fn nesting_is_capped() {
        let mut b = Vec::new();
        for _ in 0..HARD_MAX_DEPTH + 10 {
            b.extend_from_slice(&9u32.to_le_bytes());
            b.extend_from_slice(&1u64.to_le_bytes());
        }
        let mut c = Cursor::new(&b, LE3);
        let err = c.value(ValueType::Array).unwrap_err();
        assert!(matches!(err, Error::NestingTooDeep { .. }), "{err}");
    }
}
