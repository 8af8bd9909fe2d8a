//! A reader for SentencePiece `tokenizer.model` files (a serialised `sentencepiece.ModelProto`),
//! without the C++ library.
//!
//! Only what the reference converter asks the `SentencePieceProcessor` for is read: each piece's
//! text, score and type, and the trainer settings that decide whether the library would accept
//! the model (`byte_fallback`). Every length and count is checked against the input before
//! anything is allocated for it.

use std::collections::HashSet;

/// The type of a piece (`ModelProto.SentencePiece.Type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PieceType {
    /// An ordinary piece (`NORMAL = 1`, the default).
    Normal,
    /// The unknown piece (`UNKNOWN = 2`).
    Unknown,
    /// A control symbol such as `<s>` (`CONTROL = 3`).
    Control,
    /// A user-defined symbol (`USER_DEFINED = 4`).
    UserDefined,
    /// An unused piece (`UNUSED = 5`).
    Unused,
    /// A byte-fallback piece `<0xNN>` (`BYTE = 6`).
    Byte,
}

impl PieceType {
    /// The type for a protobuf enum value; `None` for a value the enum does not define (proto2
    /// keeps such a value out of the field, which then reads as its default, `NORMAL`).
    pub fn from_proto(value: u64) -> Option<PieceType> {
        Some(match value {
            1 => PieceType::Normal,
            2 => PieceType::Unknown,
            3 => PieceType::Control,
            4 => PieceType::UserDefined,
            5 => PieceType::Unused,
            6 => PieceType::Byte,
            _ => return None,
        })
    }
}

/// One vocabulary entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Piece {
    /// The piece's text.
    pub piece: String,
    /// Its score (0.0 when the field is absent).
    pub score: f32,
    /// Its type.
    pub kind: PieceType,
}

/// The parts of a SentencePiece model that vocabulary conversion needs.
#[derive(Debug, Clone, PartialEq)]
pub struct SentencePieceModel {
    /// The pieces, in id order.
    pub pieces: Vec<Piece>,
    /// `trainer_spec.model_type` (1 unigram, 2 BPE, 3 word, 4 char; 1 when absent).
    pub model_type: u64,
    /// `trainer_spec.byte_fallback`.
    pub byte_fallback: bool,
}

/// Why a `tokenizer.model` could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SentencePieceError {
    /// The bytes are not a well-formed protobuf message.
    #[error("malformed protobuf at byte {offset}: {what}")]
    Malformed {
        /// Offset of the problem in the file.
        offset: usize,
        /// What was wrong.
        what: &'static str,
    },
    /// A piece's text is not UTF-8 (Python cannot return it as `str`).
    #[error("piece {id} is not valid UTF-8")]
    NotUtf8 {
        /// The piece id.
        id: usize,
    },
    /// The model is well-formed protobuf but the SentencePiece library would refuse to load it.
    #[error("SentencePiece would refuse this model: {0}")]
    Rejected(String),
}

const WIRE_VARINT: u64 = 0;
const WIRE_I64: u64 = 1;
const WIRE_LEN: u64 = 2;
const WIRE_I32: u64 = 5;

/// A bounds-checked cursor over protobuf bytes; `base` is the offset of `data` in the file.
struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
    base: usize,
}

impl<'a> Reader<'a> {
    fn new(data: &'a [u8], base: usize) -> Self {
        Reader { data, pos: 0, base }
    }

    fn at_end(&self) -> bool {
        self.pos >= self.data.len()
    }

    fn err(&self, what: &'static str) -> SentencePieceError {
        SentencePieceError::Malformed {
            offset: self.base + self.pos,
            what,
        }
    }

    fn varint(&mut self) -> Result<u64, SentencePieceError> {
        let mut value: u64 = 0;
        for i in 0..10 {
            let Some(&b) = self.data.get(self.pos) else {
                return Err(self.err("truncated varint"));
            };
            self.pos += 1;
            let bits = u64::from(b & 0x7f);
            if i == 9 && b > 1 {
                return Err(self.err("varint overflows 64 bits"));
            }
            value |= bits << (7 * i);
            if b & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(self.err("varint longer than 10 bytes"))
    }

    fn take(&mut self, n: usize) -> Result<(&'a [u8], usize), SentencePieceError> {
        let remaining = self.data.len() - self.pos;
        if n > remaining {
            return Err(self.err("length runs past the end of the message"));
        }
        let start = self.pos;
        self.pos += n;
        Ok((&self.data[start..start + n], self.base + start))
    }

    fn len_delimited(&mut self) -> Result<(&'a [u8], usize), SentencePieceError> {
        let len = self.varint()?;
        let len = usize::try_from(len).map_err(|_| self.err("length does not fit in memory"))?;
        self.take(len)
    }

    fn fixed32(&mut self) -> Result<u32, SentencePieceError> {
        let (b, _) = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// Reads a field key: (field number, wire type).
    fn key(&mut self) -> Result<(u64, u64), SentencePieceError> {
        let key = self.varint()?;
        let field = key >> 3;
        if field == 0 {
            return Err(self.err("field number 0"));
        }
        Ok((field, key & 7))
    }

    /// Skips a field's value of the given wire type.
    fn skip(&mut self, wire: u64) -> Result<(), SentencePieceError> {
        match wire {
            WIRE_VARINT => self.varint().map(|_| ()),
            WIRE_I64 => self.take(8).map(|_| ()),
            WIRE_LEN => self.len_delimited().map(|_| ()),
            WIRE_I32 => self.take(4).map(|_| ()),
            _ => Err(self.err("unsupported wire type (groups are not used by SentencePiece)")),
        }
    }
}

/// Parses a serialised `ModelProto` and checks it the way `SentencePieceProcessor::Load` does
/// (non-empty unique pieces, exactly one unknown piece, byte pieces only with `byte_fallback`
/// and then all 256 of them).
pub fn parse(bytes: &[u8]) -> Result<SentencePieceModel, SentencePieceError> {
    let mut r = Reader::new(bytes, 0);
    let mut raw_pieces: Vec<(&[u8], f32, PieceType)> = Vec::new();
    let mut model_type = 1u64;
    let mut byte_fallback = false;
    while !r.at_end() {
        let (field, wire) = r.key()?;
        match (field, wire) {
            (1, WIRE_LEN) => {
                let (msg, base) = r.len_delimited()?;
                raw_pieces.push(parse_piece(msg, base)?);
            }
            (2, WIRE_LEN) => {
                let (msg, base) = r.len_delimited()?;
                parse_trainer_spec(msg, base, &mut model_type, &mut byte_fallback)?;
            }
            (1 | 2, _) => return Err(r.err("wrong wire type for a ModelProto field")),
            _ => r.skip(wire)?,
        }
    }
    let mut pieces = Vec::with_capacity(raw_pieces.len());
    for (id, (text, score, kind)) in raw_pieces.into_iter().enumerate() {
        let piece = std::str::from_utf8(text)
            .map_err(|_| SentencePieceError::NotUtf8 { id })?
            .to_string();
        pieces.push(Piece { piece, score, kind });
    }
    let model = SentencePieceModel {
        pieces,
        model_type,
        byte_fallback,
    };
    validate(&model)?;
    Ok(model)
}

fn parse_piece(msg: &[u8], base: usize) -> Result<(&[u8], f32, PieceType), SentencePieceError> {
    let mut r = Reader::new(msg, base);
    let mut text: &[u8] = &[];
    let mut score = 0.0f32;
    let mut kind = PieceType::Normal;
    while !r.at_end() {
        let (field, wire) = r.key()?;
        match (field, wire) {
            (1, WIRE_LEN) => text = r.len_delimited()?.0,
            (2, WIRE_I32) => score = f32::from_bits(r.fixed32()?),
            (3, WIRE_VARINT) => {
                // proto2: an enum value the schema does not know goes to the unknown fields and
                // leaves the field as it was.
                if let Some(k) = PieceType::from_proto(r.varint()?) {
                    kind = k;
                }
            }
            (1..=3, _) => return Err(r.err("wrong wire type for a SentencePiece field")),
            _ => r.skip(wire)?,
        }
    }
    Ok((text, score, kind))
}

fn parse_trainer_spec(
    msg: &[u8],
    base: usize,
    model_type: &mut u64,
    byte_fallback: &mut bool,
) -> Result<(), SentencePieceError> {
    let mut r = Reader::new(msg, base);
    while !r.at_end() {
        let (field, wire) = r.key()?;
        match (field, wire) {
            (3, WIRE_VARINT) => {
                let v = r.varint()?;
                if (1..=4).contains(&v) {
                    *model_type = v;
                }
            }
            (35, WIRE_VARINT) => *byte_fallback = r.varint()? != 0,
            (3 | 35, _) => return Err(r.err("wrong wire type for a TrainerSpec field")),
            _ => r.skip(wire)?,
        }
    }
    Ok(())
}

/// `<0xNN>` with upper-case hex, as SentencePiece writes byte pieces, to its byte.
fn piece_to_byte(piece: &str) -> Option<u8> {
    let hex = piece.strip_prefix("<0x")?.strip_suffix('>')?;
    if hex.len() != 2
        || !hex
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b))
    {
        return None;
    }
    u8::from_str_radix(hex, 16).ok()
}

fn validate(model: &SentencePieceModel) -> Result<(), SentencePieceError> {
    let mut seen: HashSet<&str> = HashSet::new();
    let mut unk = None;
    let mut bytes_found = [false; 256];
    for (id, p) in model.pieces.iter().enumerate() {
        if p.piece.is_empty() {
            return Err(SentencePieceError::Rejected(format!(
                "piece {id} is empty (piece must not be empty)"
            )));
        }
        if !seen.insert(p.piece.as_str()) {
            return Err(SentencePieceError::Rejected(format!(
                "{} is already defined (piece {id})",
                p.piece
            )));
        }
        match p.kind {
            PieceType::Unknown => {
                if unk.is_some() {
                    return Err(SentencePieceError::Rejected(format!(
                        "unk is already defined (piece {id})"
                    )));
                }
                unk = Some(id);
            }
            PieceType::Byte => {
                if !model.byte_fallback {
                    return Err(SentencePieceError::Rejected(format!(
                        "byte piece {} is found although `byte_fallback` is false",
                        p.piece
                    )));
                }
                match piece_to_byte(&p.piece) {
                    Some(b) => bytes_found[usize::from(b)] = true,
                    None => {
                        return Err(SentencePieceError::Rejected(format!(
                            "byte piece {} is invalid",
                            p.piece
                        )))
                    }
                }
            }
            _ => {}
        }
    }
    if unk.is_none() {
        return Err(SentencePieceError::Rejected("unk is not defined".into()));
    }
    if model.byte_fallback && !bytes_found.iter().all(|&b| b) {
        return Err(SentencePieceError::Rejected(
            "there are not 256 byte pieces although `byte_fallback` is true".into(),
        ));
    }
    Ok(())
}

/// Builds a serialised `ModelProto` from pieces (for tests and fixtures): each piece is written
/// with its text, score and type (a `NORMAL` piece still writes its type).
pub fn encode(pieces: &[Piece], byte_fallback: bool) -> Vec<u8> {
    fn varint(out: &mut Vec<u8>, mut v: u64) {
        while v >= 0x80 {
            out.push((v as u8) | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
    }
    let mut out = Vec::new();
    for p in pieces {
        let mut msg = Vec::new();
        varint(&mut msg, (1 << 3) | WIRE_LEN);
        varint(&mut msg, p.piece.len() as u64);
        msg.extend_from_slice(p.piece.as_bytes());
        varint(&mut msg, (2 << 3) | WIRE_I32);
        msg.extend_from_slice(&p.score.to_bits().to_le_bytes());
        let kind = match p.kind {
            PieceType::Normal => 1,
            PieceType::Unknown => 2,
            PieceType::Control => 3,
            PieceType::UserDefined => 4,
            PieceType::Unused => 5,
            PieceType::Byte => 6,
        };
        varint(&mut msg, (3 << 3) | WIRE_VARINT);
        varint(&mut msg, kind);
        varint(&mut out, (1 << 3) | WIRE_LEN);
        varint(&mut out, msg.len() as u64);
        out.extend_from_slice(&msg);
    }
    let mut spec = Vec::new();
    varint(&mut spec, (3 << 3) | WIRE_VARINT);
    varint(&mut spec, 2);
    varint(&mut spec, (35 << 3) | WIRE_VARINT);
    varint(&mut spec, u64::from(byte_fallback));
    varint(&mut out, (2 << 3) | WIRE_LEN);
    varint(&mut out, spec.len() as u64);
    out.extend_from_slice(&spec);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(piece: &str, score: f32, kind: PieceType) -> Piece {
        Piece {
            piece: piece.into(),
            score,
            kind,
        }
    }

    #[test]
    fn round_trips_pieces() {
        let pieces = vec![
            p("<unk>", 0.0, PieceType::Unknown),
            p("<s>", 0.0, PieceType::Control),
            p("▁a", -1.5, PieceType::Normal),
            p("<mask>", 0.0, PieceType::UserDefined),
        ];
        let m = parse(&encode(&pieces, false)).unwrap();
        assert_eq!(m.pieces, pieces);
        assert!(!m.byte_fallback);
        assert_eq!(m.model_type, 2);
    }

    #[test]
    fn default_type_and_unknown_enum_are_normal() {
        // piece "<unk>" type 2, then piece "x" without type, then "y" with type 9.
        let mut b = vec![0x0a, 0x09, 0x0a, 0x05];
        b.extend_from_slice(b"<unk>");
        b.extend_from_slice(&[0x18, 0x02]);
        b.extend_from_slice(&[0x0a, 0x03, 0x0a, 0x01, b'x']);
        b.extend_from_slice(&[0x0a, 0x05, 0x0a, 0x01, b'y', 0x18, 0x09]);
        let m = parse(&b).unwrap();
        assert_eq!(m.pieces[1], p("x", 0.0, PieceType::Normal));
        assert_eq!(m.pieces[2], p("y", 0.0, PieceType::Normal));
    }

    #[test]
    fn rejects_malformed_input() {
        assert!(matches!(
            parse(&[0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]),
            Err(SentencePieceError::Malformed { .. })
        ));
        assert!(matches!(
            parse(&[0x0a]),
            Err(SentencePieceError::Malformed { .. })
        ));
        assert!(matches!(
            parse(&[0x0b]),
            Err(SentencePieceError::Malformed { .. })
        ));
        assert!(matches!(
            parse(&[0xff; 11]),
            Err(SentencePieceError::Malformed { .. })
        ));
        // a piece defined twice, even with different types
        assert!(matches!(
            parse(&encode(
                &[
                    p("<unk>", 0.0, PieceType::Unknown),
                    p("a", 0.0, PieceType::Normal),
                    p("a", 0.0, PieceType::Control)
                ],
                false
            )),
            Err(SentencePieceError::Rejected(_))
        ));
        // well-formed but no unknown piece
        assert!(matches!(
            parse(&encode(&[p("a", 0.0, PieceType::Normal)], false)),
            Err(SentencePieceError::Rejected(_))
        ));
        // invalid UTF-8
        let mut b = vec![0x0a, 0x05, 0x0a, 0x01, 0xff, 0x18, 0x02];
        b.extend_from_slice(&[]);
        assert_eq!(parse(&b), Err(SentencePieceError::NotUtf8 { id: 0 }));
    }

    #[test]
    fn byte_pieces_need_byte_fallback_and_all_bytes() {
        let mut pieces = vec![p("<unk>", 0.0, PieceType::Unknown)];
        pieces.push(p("<0x00>", 0.0, PieceType::Byte));
        assert!(matches!(
            parse(&encode(&pieces, false)),
            Err(SentencePieceError::Rejected(_))
        ));
        assert!(matches!(
            parse(&encode(&pieces, true)),
            Err(SentencePieceError::Rejected(_))
        ));
        for b in 1..=255u8 {
            pieces.push(p(&format!("<0x{b:02X}>"), 0.0, PieceType::Byte));
        }
        assert_eq!(parse(&encode(&pieces, true)).unwrap().pieces.len(), 257);
    }
}
