//! JSON text to [`CardValue`] with the semantics of Python's `json.loads`: integers stay integers
//! (any size), `NaN`/`Infinity`/`-Infinity` are accepted, duplicate keys keep the first position
//! and the last value, control characters inside strings are refused.

use super::value::CardValue;

/// Deepest nesting accepted (Python would hit its recursion limit near 1000).
const MAX_DEPTH: usize = 900;

/// Parses a whole JSON document.
pub(crate) fn parse(text: &str) -> Result<CardValue, String> {
    let mut p = Parser {
        s: text.as_bytes(),
        text,
        pos: 0,
    };
    p.ws();
    let v = p.value(0)?;
    p.ws();
    if p.pos != p.s.len() {
        return Err(p.err("Extra data"));
    }
    Ok(v)
}

struct Parser<'a> {
    s: &'a [u8],
    text: &'a str,
    pos: usize,
}

impl Parser<'_> {
    fn err(&self, msg: &str) -> String {
        let line = self.s[..self.pos.min(self.s.len())]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1;
        format!("{msg} (line {line}, byte {})", self.pos)
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.s.get(self.pos) {
            self.pos += 1;
        }
    }

    fn eat(&mut self, lit: &str) -> bool {
        if self.s[self.pos..].starts_with(lit.as_bytes()) {
            self.pos += lit.len();
            true
        } else {
            false
        }
    }

    fn value(&mut self, depth: usize) -> Result<CardValue, String> {
        if depth > MAX_DEPTH {
            return Err(self.err("nesting too deep"));
        }
        match self.s.get(self.pos) {
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            Some(b'"') => self.string().map(CardValue::Str),
            Some(b'n') if self.eat("null") => Ok(CardValue::None),
            Some(b't') if self.eat("true") => Ok(CardValue::Bool(true)),
            Some(b'f') if self.eat("false") => Ok(CardValue::Bool(false)),
            Some(b'N') if self.eat("NaN") => Ok(CardValue::Float(f64::NAN)),
            Some(b'I') if self.eat("Infinity") => Ok(CardValue::Float(f64::INFINITY)),
            Some(b'-') if self.eat("-Infinity") => Ok(CardValue::Float(f64::NEG_INFINITY)),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => Err(self.err("Expecting value")),
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while let Some(b'0'..=b'9') = self.s.get(self.pos) {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self) -> Result<CardValue, String> {
        let start = self.pos;
        if self.s.get(self.pos) == Some(&b'-') {
            self.pos += 1;
        }
        match self.s.get(self.pos) {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => {
                self.pos = start;
                return Err(self.err("Expecting value"));
            }
        }
        let mut float = false;
        if self.s.get(self.pos) == Some(&b'.') {
            let save = self.pos;
            self.pos += 1;
            if self.digits() == 0 {
                self.pos = save;
            } else {
                float = true;
            }
        }
        if let Some(b'e' | b'E') = self.s.get(self.pos) {
            let save = self.pos;
            self.pos += 1;
            if let Some(b'+' | b'-') = self.s.get(self.pos) {
                self.pos += 1;
            }
            if self.digits() == 0 {
                self.pos = save;
            } else {
                float = true;
            }
        }
        let lit = &self.text[start..self.pos];
        if float {
            lit.parse::<f64>()
                .map(CardValue::Float)
                .map_err(|_| self.err("bad number"))
        } else {
            Ok(match lit.parse::<i128>() {
                Ok(i) => CardValue::Int(i),
                Err(_) => CardValue::BigInt(lit.to_string()),
            })
        }
    }

    fn hex4(&mut self) -> Result<u32, String> {
        let h = self
            .s
            .get(self.pos..self.pos + 4)
            .and_then(|b| std::str::from_utf8(b).ok())
            .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()))
            .and_then(|h| u32::from_str_radix(h, 16).ok())
            .ok_or_else(|| self.err("Invalid \\uXXXX escape"))?;
        self.pos += 4;
        Ok(h)
    }

    fn string(&mut self) -> Result<String, String> {
        self.pos += 1;
        let mut out = String::new();
        loop {
            let run_start = self.pos;
            while let Some(&b) = self.s.get(self.pos) {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            out.push_str(&self.text[run_start..self.pos]);
            match self.s.get(self.pos) {
                None => return Err(self.err("Unterminated string")),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let esc = self.s.get(self.pos).copied();
                    self.pos += 1;
                    match esc {
                        Some(b'"') => out.push('"'),
                        Some(b'\\') => out.push('\\'),
                        Some(b'/') => out.push('/'),
                        Some(b'b') => out.push('\u{8}'),
                        Some(b'f') => out.push('\u{c}'),
                        Some(b'n') => out.push('\n'),
                        Some(b'r') => out.push('\r'),
                        Some(b't') => out.push('\t'),
                        Some(b'u') => {
                            let hi = self.hex4()?;
                            let mut cp = hi;
                            if (0xD800..0xDC00).contains(&hi)
                                && self.s[self.pos..].starts_with(b"\\u")
                            {
                                let save = self.pos;
                                self.pos += 2;
                                let lo = self.hex4()?;
                                if (0xDC00..0xE000).contains(&lo) {
                                    cp = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                                } else {
                                    self.pos = save;
                                }
                            }
                            // Lone surrogates (a Python `str` can hold them) become U+FFFD.
                            out.push(char::from_u32(cp).unwrap_or('\u{FFFD}'));
                        }
                        _ => {
                            self.pos -= 1;
                            return Err(self.err("Invalid \\escape"));
                        }
                    }
                }
                Some(_) => return Err(self.err("Invalid control character")),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<CardValue, String> {
        self.pos += 1;
        let mut items = Vec::new();
        self.ws();
        if self.eat("]") {
            return Ok(CardValue::List(items));
        }
        loop {
            self.ws();
            items.push(self.value(depth + 1)?);
            self.ws();
            if self.eat("]") {
                return Ok(CardValue::List(items));
            }
            if !self.eat(",") {
                return Err(self.err("Expecting ',' delimiter"));
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<CardValue, String> {
        self.pos += 1;
        let mut pairs = Vec::new();
        self.ws();
        if self.eat("}") {
            return Ok(CardValue::Dict(pairs));
        }
        loop {
            self.ws();
            if self.s.get(self.pos) != Some(&b'"') {
                return Err(self.err("Expecting property name enclosed in double quotes"));
            }
            let key = self.string()?;
            self.ws();
            if !self.eat(":") {
                return Err(self.err("Expecting ':' delimiter"));
            }
            self.ws();
            let v = self.value(depth + 1)?;
            CardValue::dict_insert(&mut pairs, CardValue::Str(key), v);
            self.ws();
            if self.eat("}") {
                return Ok(CardValue::Dict(pairs));
            }
            if !self.eat(",") {
                return Err(self.err("Expecting ',' delimiter"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_semantics() {
        let v = parse(r#" {"a": 1, "b": [1.5, -2e3, NaN, -Infinity], "a": "x\u00e9\ud83d\ude00", "c": 123456789012345678901234567890123456789012} "#).unwrap();
        let CardValue::Dict(pairs) = &v else { panic!() };
        assert_eq!(pairs.len(), 3);
        assert_eq!(v.get("a"), Some(&CardValue::Str("x\u{e9}\u{1F600}".into())));
        assert!(matches!(v.get("c"), Some(CardValue::BigInt(_))));
        assert!(parse("1 2").is_err());
        assert!(parse("\u{feff}{}").is_err());
        assert!(parse("[1,]").is_err());
        assert!(parse("\"a\tb\"").is_err());
        assert!(parse("01").is_err());
        assert_eq!(parse("1.0").unwrap(), CardValue::Float(1.0));
        assert_eq!(parse("-0").unwrap(), CardValue::Int(0));
    }
}
