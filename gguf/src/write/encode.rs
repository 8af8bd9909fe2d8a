//! Encoding of header fields and metadata values into bytes, in a chosen byte order.

use crate::value::{ArrayValue, ArrayView, Encoding, Endian, MetadataValue, Value, ValueType};

/// Appends encoded fields to a byte buffer.
pub(crate) struct Encoder<'b> {
    pub out: &'b mut Vec<u8>,
    pub enc: Encoding,
}

macro_rules! put_num {
    ($($name:ident: $t:ty),*) => {$(
        pub fn $name(&mut self, v: $t) {
            match self.enc.endian {
                Endian::Little => self.out.extend_from_slice(&v.to_le_bytes()),
                Endian::Big => self.out.extend_from_slice(&v.to_be_bytes()),
            }
        }
    )*};
}

impl Encoder<'_> {
    put_num!(u8: u8, i8: i8, u16: u16, i16: i16, u32: u32, i32: i32, u64: u64, i64: i64,
        f32: f32, f64: f64);

    /// A length or count in the target version's width.
    pub fn length(&mut self, n: u64) {
        if self.enc.wide_lengths() {
            self.u64(n)
        } else {
            // Version 1 output is not offered by the writer; kept for completeness.
            self.u32(n as u32)
        }
    }

    pub fn string(&mut self, s: &[u8]) {
        self.length(s.len() as u64);
        self.out.extend_from_slice(s);
    }

    /// A value without its type tag.
    pub fn value(&mut self, v: &MetadataValue) {
        match v {
            MetadataValue::U8(x) => self.u8(*x),
            MetadataValue::I8(x) => self.i8(*x),
            MetadataValue::U16(x) => self.u16(*x),
            MetadataValue::I16(x) => self.i16(*x),
            MetadataValue::U32(x) => self.u32(*x),
            MetadataValue::I32(x) => self.i32(*x),
            MetadataValue::F32(x) => self.f32(*x),
            MetadataValue::Bool(x) => self.u8(u8::from(*x)),
            MetadataValue::String(s) => self.string(s.as_bytes()),
            MetadataValue::Array(a) => self.array(a),
            MetadataValue::U64(x) => self.u64(*x),
            MetadataValue::I64(x) => self.i64(*x),
            MetadataValue::F64(x) => self.f64(*x),
        }
    }

    fn array(&mut self, a: &ArrayValue) {
        self.u32(a.elem_type().id());
        self.length(a.len() as u64);
        macro_rules! each {
            ($v:expr, $put:ident) => {
                for x in $v {
                    self.$put(*x);
                }
            };
        }
        match a {
            ArrayValue::U8(v) => self.out.extend_from_slice(v),
            ArrayValue::I8(v) => each!(v, i8),
            ArrayValue::U16(v) => each!(v, u16),
            ArrayValue::I16(v) => each!(v, i16),
            ArrayValue::U32(v) => each!(v, u32),
            ArrayValue::I32(v) => each!(v, i32),
            ArrayValue::F32(v) => each!(v, f32),
            ArrayValue::Bool(v) => {
                for x in v {
                    self.u8(u8::from(*x))
                }
            }
            ArrayValue::String(v) => {
                for s in v {
                    self.string(s.as_bytes())
                }
            }
            ArrayValue::Array(v) => {
                for inner in v {
                    self.array(inner)
                }
            }
            ArrayValue::U64(v) => each!(v, u64),
            ArrayValue::I64(v) => each!(v, i64),
            ArrayValue::F64(v) => each!(v, f64),
        }
    }

    /// A borrowed value without its type tag, re-encoded for this encoder's byte order and
    /// version; copied byte for byte when the encodings agree.
    pub fn view(&mut self, v: &Value<'_>) {
        match v {
            Value::U8(x) => self.u8(*x),
            Value::I8(x) => self.i8(*x),
            Value::U16(x) => self.u16(*x),
            Value::I16(x) => self.i16(*x),
            Value::U32(x) => self.u32(*x),
            Value::I32(x) => self.i32(*x),
            Value::F32(x) => self.f32(*x),
            Value::Bool(x) => self.u8(u8::from(*x)),
            Value::String(s) => self.string(s.as_bytes()),
            Value::Array(a) => self.array_view(a),
            Value::U64(x) => self.u64(*x),
            Value::I64(x) => self.i64(*x),
            Value::F64(x) => self.f64(*x),
        }
    }

    fn array_view(&mut self, a: &ArrayView<'_>) {
        self.u32(a.elem_type().id());
        self.length(a.len());
        let same_layout = a.encoding() == self.enc
            || (a.elem_type().fixed_size() == Some(1))
            || (a.encoding().endian == self.enc.endian
                && a.elem_type() != ValueType::String
                && a.elem_type() != ValueType::Array);
        if same_layout {
            self.out.extend_from_slice(a.raw_bytes());
        } else {
            for v in a.iter() {
                self.view(&v);
            }
        }
    }
}
