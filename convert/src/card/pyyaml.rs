//! YAML text to [`CardValue`] with the semantics of PyYAML's `yaml.safe_load` (YAML 1.1 implicit
//! types: `yes`/`no`/`on`/`off` are booleans, `0o`-less octal, sexagesimal numbers, dates,
//! `1.0e+5` but not `1e5` is a float, merge keys `<<`), on top of yaml-rust2's event parser.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, Parser, Tag};
use yaml_rust2::scanner::{Scanner, TScalarStyle, Token, TokenType};

use super::value::CardValue;

/// Most nodes a document may expand to through aliases (a guard against alias bombs).
const MAX_NODES: usize = 1_000_000;

/// A composed YAML node before construction.
#[derive(Debug, Clone)]
enum Node {
    Scalar {
        value: String,
        plain: bool,
        tag: Option<String>,
    },
    Seq {
        items: Vec<Node>,
        tag: Option<String>,
    },
    Map {
        pairs: Vec<(Node, Node)>,
        tag: Option<String>,
    },
}

impl Node {
    fn size(&self) -> usize {
        match self {
            Node::Scalar { .. } => 1,
            Node::Seq { items, .. } => 1 + items.iter().map(Node::size).sum::<usize>(),
            Node::Map { pairs, .. } => {
                1 + pairs
                    .iter()
                    .map(|(k, v)| k.size() + v.size())
                    .sum::<usize>()
            }
        }
    }
}

enum Open {
    Seq(Vec<Node>, Option<String>, usize),
    Map(Vec<(Node, Node)>, Option<Node>, Option<String>, usize),
}

fn tag_string(tag: Option<Tag>) -> Option<String> {
    tag.map(|t| format!("{}{}", t.handle, t.suffix))
}

/// Parses a YAML stream holding at most one document (PyYAML refuses more), returning `None` for
/// an empty stream.
pub(crate) fn safe_load(text: &str) -> Result<CardValue, String> {
    if let Some(c) = text.chars().find(|&c| !printable(c)) {
        return Err(format!(
            "unacceptable character #x{:04x}: special characters are not allowed",
            c as u32
        ));
    }
    let mut parser = Parser::new_from_str(text);
    let mut anchors: HashMap<usize, Node> = HashMap::new();
    let mut stack: Vec<Open> = Vec::new();
    let mut root: Option<Node> = None;
    let mut documents = 0usize;
    let mut nodes = 0usize;
    loop {
        let (event, mark) = parser.next_token().map_err(|e| e.to_string())?;
        let at = || format!("line {}, column {}", mark.line(), mark.col() + 1);
        let done = match event {
            Event::StreamEnd => break,
            Event::StreamStart | Event::Nothing | Event::DocumentEnd => None,
            Event::DocumentStart => {
                documents += 1;
                if documents > 1 {
                    return Err(format!(
                        "expected a single document in the stream, but found another document ({})",
                        at()
                    ));
                }
                None
            }
            Event::Alias(id) => {
                let node = anchors
                    .get(&id)
                    .cloned()
                    .ok_or_else(|| format!("found undefined or recursive alias ({})", at()))?;
                nodes += node.size();
                Some((node, 0))
            }
            Event::Scalar(value, style, anchor, tag) => {
                nodes += 1;
                Some((
                    Node::Scalar {
                        value,
                        plain: style == TScalarStyle::Plain,
                        tag: tag_string(tag),
                    },
                    anchor,
                ))
            }
            Event::SequenceStart(anchor, tag) => {
                nodes += 1;
                stack.push(Open::Seq(Vec::new(), tag_string(tag), anchor));
                None
            }
            Event::MappingStart(anchor, tag) => {
                nodes += 1;
                stack.push(Open::Map(Vec::new(), None, tag_string(tag), anchor));
                None
            }
            Event::SequenceEnd | Event::MappingEnd => match stack.pop() {
                Some(Open::Seq(items, tag, anchor)) => Some((Node::Seq { items, tag }, anchor)),
                Some(Open::Map(pairs, _, tag, anchor)) => Some((Node::Map { pairs, tag }, anchor)),
                None => return Err(format!("unbalanced collection end ({})", at())),
            },
        };
        if nodes > MAX_NODES {
            return Err("document expands to too many nodes".to_string());
        }
        let Some((node, anchor)) = done else {
            continue;
        };
        if anchor != 0 {
            anchors.insert(anchor, node.clone());
        }
        match stack.last_mut() {
            None => root = Some(node),
            Some(Open::Seq(items, ..)) => items.push(node),
            Some(Open::Map(pairs, pending, ..)) => match pending.take() {
                None => *pending = Some(node),
                Some(key) => pairs.push((key, node)),
            },
        }
    }
    // PyYAML refuses an anchor name used twice; yaml-rust2 lets the later one win.
    let mut names: Vec<String> = Vec::new();
    for Token(mark, token) in Scanner::new(text.chars()) {
        if let TokenType::Anchor(name) = token {
            if names.contains(&name) {
                return Err(format!(
                    "found duplicate anchor {name:?} (line {}, column {})",
                    mark.line(),
                    mark.col() + 1
                ));
            }
            names.push(name);
        }
    }
    match root {
        None => Ok(CardValue::None),
        Some(node) => construct(&node),
    }
}

/// PyYAML's reader check: the printable subset of Unicode YAML allows.
fn printable(c: char) -> bool {
    matches!(c as u32,
        0x09 | 0x0A | 0x0D | 0x20..=0x7E | 0x85 | 0xA0..=0xD7FF | 0xE000..=0xFFFD | 0x10000..=0x10FFFF)
}

const YAML_TAG: &str = "tag:yaml.org,2002:";

/// The standard tag a node resolves to (PyYAML's implicit resolvers for plain scalars).
fn resolve_scalar(value: &str) -> &'static str {
    let first = value.chars().next();
    match first {
        Some('y' | 'Y' | 'n' | 'N' | 't' | 'T' | 'f' | 'F' | 'o' | 'O') if is_bool(value) => "bool",
        Some('-' | '+' | '0'..='9' | '.') if is_float(value) => "float",
        Some('-' | '+' | '0'..='9') if is_int(value) => "int",
        Some('<') if value == "<<" => "merge",
        None | Some('~' | 'n' | 'N') if matches!(value, "" | "~" | "null" | "Null" | "NULL") => {
            "null"
        }
        Some('0'..='9') if timestamp_parts(value).is_some() => "timestamp",
        Some('=') if value == "=" => "value",
        _ => "str",
    }
}

fn is_bool(v: &str) -> bool {
    matches!(
        v,
        "yes"
            | "Yes"
            | "YES"
            | "no"
            | "No"
            | "NO"
            | "true"
            | "True"
            | "TRUE"
            | "false"
            | "False"
            | "FALSE"
            | "on"
            | "On"
            | "ON"
            | "off"
            | "Off"
            | "OFF"
    )
}

/// A tiny cursor for the resolver patterns (all ASCII).
struct Cur<'a> {
    b: &'a [u8],
    i: usize,
}

impl Cur<'_> {
    fn new(s: &str) -> Cur<'_> {
        Cur {
            b: s.as_bytes(),
            i: 0,
        }
    }
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }
    fn eat(&mut self, f: impl Fn(u8) -> bool) -> bool {
        match self.peek() {
            Some(c) if f(c) => {
                self.i += 1;
                true
            }
            _ => false,
        }
    }
    fn many(&mut self, f: impl Fn(u8) -> bool) -> usize {
        let start = self.i;
        while self.eat(&f) {}
        self.i - start
    }
    fn end(&self) -> bool {
        self.i == self.b.len()
    }
    fn sign(&mut self) {
        self.eat(|c| c == b'+' || c == b'-');
    }
    /// `(?:[eE][-+][0-9]+)?` then end.
    fn opt_exp_end(&mut self) -> bool {
        if self.eat(|c| c == b'e' || c == b'E')
            && (!self.eat(|c| c == b'+' || c == b'-') || self.many(|c| c.is_ascii_digit()) == 0)
        {
            return false;
        }
        self.end()
    }
    /// `(?::[0-5]?[0-9])+`
    fn sexagesimal(&mut self) -> bool {
        let mut groups = 0;
        while self.eat(|c| c == b':') {
            let a = self.eat(|c| c.is_ascii_digit());
            if !a {
                return false;
            }
            // `[0-5]?[0-9]`: one digit, or two with the first in 0-5.
            let first = self.b.get(self.i - 1).copied().unwrap_or(b'9');
            if first <= b'5' {
                self.eat(|c| c.is_ascii_digit());
            }
            groups += 1;
        }
        groups > 0
    }
}

fn digit_(c: u8) -> bool {
    c.is_ascii_digit() || c == b'_'
}

fn is_float(v: &str) -> bool {
    // [-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?
    let alt_a = || {
        let mut c = Cur::new(v);
        c.sign();
        c.eat(|b| b.is_ascii_digit())
            && {
                c.many(digit_);
                c.eat(|b| b == b'.')
            }
            && {
                c.many(digit_);
                c.opt_exp_end()
            }
    };
    // \.[0-9][0-9_]*(?:[eE][-+][0-9]+)?
    let alt_b = || {
        let mut c = Cur::new(v);
        c.eat(|b| b == b'.') && c.eat(|b| b.is_ascii_digit()) && {
            c.many(digit_);
            c.opt_exp_end()
        }
    };
    // [-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*
    let alt_c = || {
        let mut c = Cur::new(v);
        c.sign();
        c.eat(|b| b.is_ascii_digit())
            && {
                c.many(digit_);
                c.sexagesimal()
            }
            && c.eat(|b| b == b'.')
            && {
                c.many(digit_);
                c.end()
            }
    };
    let special = {
        let unsigned = v.strip_prefix(['+', '-']).unwrap_or(v);
        matches!(unsigned, ".inf" | ".Inf" | ".INF") || matches!(v, ".nan" | ".NaN" | ".NAN")
    };
    alt_a() || alt_b() || alt_c() || special
}

fn is_int(v: &str) -> bool {
    let unsigned = v.strip_prefix(['+', '-']).unwrap_or(v);
    let all = |s: &str, f: fn(u8) -> bool| !s.is_empty() && s.bytes().all(f);
    if let Some(r) = unsigned.strip_prefix("0b") {
        if all(r, |c| c == b'0' || c == b'1' || c == b'_') {
            return true;
        }
    }
    if let Some(r) = unsigned.strip_prefix("0x") {
        if all(r, |c| c.is_ascii_hexdigit() || c == b'_') {
            return true;
        }
    }
    if let Some(r) = unsigned.strip_prefix('0') {
        if all(r, |c| (b'0'..=b'7').contains(&c) || c == b'_') {
            return true;
        }
    }
    if unsigned == "0" {
        return true;
    }
    let mut c = Cur::new(unsigned);
    if c.eat(|b| (b'1'..=b'9').contains(&b)) {
        c.many(digit_);
        if c.end() {
            return true;
        }
        return c.sexagesimal() && c.end();
    }
    false
}

/// Fields of a timestamp matching PyYAML's resolver pattern.
struct Timestamp {
    year: u32,
    month: u32,
    day: u32,
    time: Option<Time>,
}

/// The time part of a timestamp: hour, minute, second and the UTC offset in hours and minutes.
struct Time {
    hour: u32,
    minute: u32,
    second: u32,
    offset: Option<(u32, u32)>,
}

fn timestamp_parts(v: &str) -> Option<Timestamp> {
    let mut c = Cur::new(v);
    let num = |c: &mut Cur, min: usize, max: usize| -> Option<u32> {
        let start = c.i;
        while c.i - start < max && c.eat(|b| b.is_ascii_digit()) {}
        let n = c.i - start;
        if n < min {
            return None;
        }
        std::str::from_utf8(&c.b[start..c.i]).ok()?.parse().ok()
    };
    let year = num(&mut c, 4, 4)?;
    if !c.eat(|b| b == b'-') {
        return None;
    }
    let month_start = c.i;
    let month = num(&mut c, 1, 2)?;
    let month_len = c.i - month_start;
    if !c.eat(|b| b == b'-') {
        return None;
    }
    let day_start = c.i;
    let day = num(&mut c, 1, 2)?;
    let day_len = c.i - day_start;
    if c.end() {
        // The date-only form needs two-digit month and day.
        return (month_len == 2 && day_len == 2).then_some(Timestamp {
            year,
            month,
            day,
            time: None,
        });
    }
    if !(c.eat(|b| b == b'T' || b == b't') || c.many(|b| b == b' ' || b == b'\t') > 0) {
        return None;
    }
    let hour = num(&mut c, 1, 2)?;
    if !c.eat(|b| b == b':') {
        return None;
    }
    let minute = num(&mut c, 2, 2)?;
    if !c.eat(|b| b == b':') {
        return None;
    }
    let second = num(&mut c, 2, 2)?;
    if c.eat(|b| b == b'.') {
        c.many(|b| b.is_ascii_digit());
    }
    let mut tz = None;
    if !c.end() {
        c.many(|b| b == b' ' || b == b'\t');
        if !c.eat(|b| b == b'Z') {
            if !c.eat(|b| b == b'+' || b == b'-') {
                return None;
            }
            let h = num(&mut c, 1, 2)?;
            let m = if c.eat(|b| b == b':') {
                num(&mut c, 2, 2)?
            } else {
                0
            };
            tz = Some((h, m));
        }
    }
    c.end().then_some(Timestamp {
        year,
        month,
        day,
        time: Some(Time {
            hour,
            minute,
            second,
            offset: tz,
        }),
    })
}

/// `datetime.date` / `datetime.datetime` validation as PyYAML's constructor triggers it.
fn construct_timestamp(v: &str) -> Result<CardValue, String> {
    let t = timestamp_parts(v).ok_or_else(|| format!("invalid timestamp {v:?}"))?;
    let leap = t.year % 4 == 0 && (t.year % 100 != 0 || t.year % 400 == 0);
    let days = match t.month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return Err(format!("month must be in 1..12 ({v:?})")),
    };
    if t.year < 1 {
        return Err(format!("year 0 is out of range ({v:?})"));
    }
    if t.day < 1 || t.day > days {
        return Err(format!("day is out of range for month ({v:?})"));
    }
    let type_name = match t.time {
        None => "date",
        Some(Time {
            hour,
            minute,
            second,
            offset,
        }) => {
            if hour > 23 || minute > 59 || second > 59 {
                return Err(format!("time is out of range ({v:?})"));
            }
            if let Some((th, tm)) = offset {
                if th * 60 + tm >= 24 * 60 {
                    return Err(format!("offset must be strictly within a day ({v:?})"));
                }
            }
            "datetime"
        }
    };
    Ok(CardValue::Other {
        type_name,
        truthy: true,
        text: v.to_string(),
    })
}

fn construct_bool(v: &str) -> Result<CardValue, String> {
    match v.to_lowercase().as_str() {
        "yes" | "true" | "on" => Ok(CardValue::Bool(true)),
        "no" | "false" | "off" => Ok(CardValue::Bool(false)),
        _ => Err(format!("invalid boolean {v:?}")),
    }
}

/// `int(s, radix)` on an unsigned digit string, as `CardValue::Int` or `BigInt`.
fn int_radix(digits: &str, radix: u32, negative: bool) -> Result<CardValue, String> {
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return Err(format!(
            "invalid literal for int() with base {radix}: {digits:?}"
        ));
    }
    let mut acc: Option<i128> = Some(0);
    for c in digits.chars() {
        let d = i128::from(c.to_digit(radix).unwrap_or(0));
        acc = acc
            .and_then(|a| a.checked_mul(i128::from(radix)))
            .and_then(|a| a.checked_add(d));
    }
    Ok(match acc {
        Some(a) => CardValue::Int(if negative { -a } else { a }),
        None => CardValue::BigInt(format!("{}{digits}", if negative { "-" } else { "" })),
    })
}

fn construct_int(v: &str) -> Result<CardValue, String> {
    let v = v.replace('_', "");
    let negative = v.starts_with('-');
    let body = v.strip_prefix(['+', '-']).unwrap_or(&v);
    if body == "0" {
        return Ok(CardValue::Int(0));
    }
    if let Some(r) = body.strip_prefix("0b") {
        return int_radix(r, 2, negative);
    }
    if let Some(r) = body.strip_prefix("0x") {
        return int_radix(r, 16, negative);
    }
    if body.starts_with('0') {
        return int_radix(body, 8, negative);
    }
    if body.contains(':') {
        let mut acc: Option<i128> = Some(0);
        for part in body.split(':') {
            let CardValue::Int(d) = int_radix(part, 10, false)? else {
                return Ok(CardValue::BigInt(v.clone()));
            };
            acc = acc
                .and_then(|a| a.checked_mul(60))
                .and_then(|a| a.checked_add(d));
        }
        return Ok(match acc {
            Some(a) => CardValue::Int(if negative { -a } else { a }),
            None => CardValue::BigInt(v.clone()),
        });
    }
    int_radix(body, 10, negative)
}

fn py_float(s: &str) -> Result<f64, String> {
    s.parse::<f64>()
        .ok()
        .filter(|_| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_digit() || b"+-.e".contains(&b))
        })
        .ok_or_else(|| format!("could not convert string to float: {s:?}"))
}

fn construct_float(v: &str) -> Result<CardValue, String> {
    let v = v.replace('_', "").to_lowercase();
    let sign = if v.starts_with('-') { -1.0 } else { 1.0 };
    let body = v.strip_prefix(['+', '-']).unwrap_or(&v);
    let x = if body == ".inf" {
        f64::INFINITY
    } else if body == ".nan" {
        // PyYAML's `nan_value = -inf_value / inf_value`: the sign bit is set.
        return Ok(CardValue::Float(f64::from_bits(0xFFF8_0000_0000_0000)));
    } else if body.contains(':') {
        let mut value = 0.0;
        let mut base = 1.0;
        for part in body.split(':').rev() {
            value += py_float(part)? * base;
            base *= 60.0;
        }
        value
    } else {
        py_float(body)?
    };
    Ok(CardValue::Float(sign * x))
}

fn construct(node: &Node) -> Result<CardValue, String> {
    match node {
        Node::Scalar { value, plain, tag } => {
            let kind = match tag.as_deref() {
                None if *plain => resolve_scalar(value),
                None | Some("!") => "str",
                Some(t) => t.strip_prefix(YAML_TAG).ok_or_else(|| {
                    format!("could not determine a constructor for the tag {t:?}")
                })?,
            };
            match kind {
                "str" => Ok(CardValue::Str(value.clone())),
                "null" => Ok(CardValue::None),
                "bool" => construct_bool(value),
                "int" => construct_int(value),
                "float" => construct_float(value),
                "timestamp" => construct_timestamp(value),
                "binary" => Ok(CardValue::Other {
                    type_name: "bytes",
                    truthy: !value.trim().is_empty(),
                    text: value.clone(),
                }),
                // A plain `<<` anywhere but a mapping key.
                "merge" => Err(
                    "could not determine a constructor for the tag 'tag:yaml.org,2002:merge'"
                        .to_string(),
                ),
                other => Err(format!(
                    "could not determine a constructor for the tag 'tag:yaml.org,2002:{other}'"
                )),
            }
        }
        Node::Seq { items, tag } => match tag.as_deref() {
            None | Some("!") => Ok(CardValue::List(
                items.iter().map(construct).collect::<Result<_, _>>()?,
            )),
            Some(t) if t == format!("{YAML_TAG}seq") => Ok(CardValue::List(
                items.iter().map(construct).collect::<Result<_, _>>()?,
            )),
            Some(t) => Err(format!(
                "could not determine a constructor for the tag {t:?}"
            )),
        },
        Node::Map { pairs, tag } => {
            let is_map = match tag.as_deref() {
                None | Some("!") => true,
                Some(t) => t == format!("{YAML_TAG}map"),
            };
            if !is_map {
                return Err(format!(
                    "could not determine a constructor for the tag {:?}",
                    tag.as_deref().unwrap_or("")
                ));
            }
            let mut out = Vec::new();
            for (k, v) in flatten(pairs)? {
                let key = construct(&k)?;
                if !key.hashable() {
                    return Err("while constructing a mapping, found unhashable key".to_string());
                }
                CardValue::dict_insert(&mut out, key, construct(&v)?);
            }
            Ok(CardValue::Dict(out))
        }
    }
}

fn is_merge_key(node: &Node) -> bool {
    match node {
        Node::Scalar { value, plain, tag } => match tag.as_deref() {
            None => *plain && value == "<<",
            Some(t) => t == format!("{YAML_TAG}merge"),
        },
        _ => false,
    }
}

/// PyYAML's `flatten_mapping`: merged pairs first (later sources lose), then the mapping's own.
fn flatten(pairs: &[(Node, Node)]) -> Result<Vec<(Node, Node)>, String> {
    let mut merge = Vec::new();
    let mut own = Vec::new();
    for (k, v) in pairs {
        if !is_merge_key(k) {
            // A plain `=` key is constructed as a string.
            if let Node::Scalar {
                value,
                plain: true,
                tag: None,
            } = k
            {
                if value == "=" {
                    own.push((
                        Node::Scalar {
                            value: value.clone(),
                            plain: false,
                            tag: None,
                        },
                        v.clone(),
                    ));
                    continue;
                }
            }
            own.push((k.clone(), v.clone()));
            continue;
        }
        match v {
            Node::Map { pairs: inner, .. } => merge.extend(flatten(inner)?),
            Node::Seq { items, .. } => {
                let mut sub = Vec::new();
                for item in items {
                    match item {
                        Node::Map { pairs: inner, .. } => sub.push(flatten(inner)?),
                        _ => {
                            return Err(
                                "while constructing a mapping, expected a mapping for merging"
                                    .to_string(),
                            )
                        }
                    }
                }
                for s in sub.into_iter().rev() {
                    merge.extend(s);
                }
            }
            _ => return Err(
                "while constructing a mapping, expected a mapping or list of mappings for merging"
                    .to_string(),
            ),
        }
    }
    merge.extend(own);
    Ok(merge)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(s: &str) -> CardValue {
        safe_load(s).unwrap()
    }

    #[test]
    fn implicit_types() {
        let v = load(
            "a: yes\nb: no\nc: on\nd: 1e5\ne: 1.0e+5\nf: 0x1F\ng: 017\nh: 1:30\ni: ~\nj:\nk: 2024-01-02\nl: .inf\nm: 1_000\nn: '1'\no: 09\np: 1.5\n",
        );
        assert_eq!(v.get("a"), Some(&CardValue::Bool(true)));
        assert_eq!(v.get("b"), Some(&CardValue::Bool(false)));
        assert_eq!(v.get("c"), Some(&CardValue::Bool(true)));
        assert_eq!(v.get("d"), Some(&CardValue::Str("1e5".into())));
        assert_eq!(v.get("e"), Some(&CardValue::Float(1.0e5)));
        assert_eq!(v.get("f"), Some(&CardValue::Int(31)));
        assert_eq!(v.get("g"), Some(&CardValue::Int(15)));
        assert_eq!(v.get("h"), Some(&CardValue::Int(90)));
        assert_eq!(v.get("i"), Some(&CardValue::None));
        assert_eq!(v.get("j"), Some(&CardValue::None));
        assert!(matches!(
            v.get("k"),
            Some(CardValue::Other {
                type_name: "date",
                ..
            })
        ));
        assert_eq!(v.get("l"), Some(&CardValue::Float(f64::INFINITY)));
        assert_eq!(v.get("m"), Some(&CardValue::Int(1000)));
        assert_eq!(v.get("n"), Some(&CardValue::Str("1".into())));
        assert_eq!(v.get("o"), Some(&CardValue::Str("09".into())));
        assert_eq!(v.get("p"), Some(&CardValue::Float(1.5)));
    }

    #[test]
    fn merges_aliases_and_errors() {
        let v = load("base: &b {x: 1, y: 2}\nc:\n  <<: *b\n  y: 3\n");
        let c = v.get("c").unwrap();
        assert_eq!(c.get("x"), Some(&CardValue::Int(1)));
        assert_eq!(c.get("y"), Some(&CardValue::Int(3)));
        assert_eq!(load("\n"), CardValue::None);
        assert!(safe_load("a: 1\n--- \nb: 2\n").is_err());
        assert!(safe_load("a: 2024-02-30\n").is_err());
        assert!(safe_load("a: =\n").is_err());
        assert!(safe_load("a: [1\n").is_err());
        assert!(safe_load("a: \u{1}\n").is_err());
        assert!(safe_load("? [1]\n: 2\n").is_err());
        assert!(safe_load("a: &x 1\nb: &x 2\n").is_err());
    }
}
