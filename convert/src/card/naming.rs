//! Parameter counts, size labels and output file names, as gguf-py's `GGUFWriter.
//! get_total_parameter_count` and `utility.py` (`size_label`, `naming_convention`,
//! `fill_templated_filename`) compute them.

use super::pyunicode::strip;
use super::CardError;

/// Parameter counts of the tensors written to a GGUF file, as `GGUFWriter.
/// get_total_parameter_count` returns them (`total`, `shared`, `expert`, `expert_count`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ParamCounts {
    /// Elements of all tensors; negated for LoRA adapters (`.lora_a`/`.lora_b` pairs), whose count
    /// is only an estimate of the adapted weights.
    pub total: i64,
    /// Elements outside expert tensors.
    pub shared: u64,
    /// Elements of one expert (each `_exps.` tensor's size divided by its expert count).
    pub expert: u64,
    /// Mean expert count over the expert tensors (0 when there are none).
    pub expert_count: u64,
}

impl ParamCounts {
    /// Counts the tensors in the order they are written, each given by its GGUF name and its
    /// shape in PyTorch/safetensors order (outermost dimension first, the reverse of GGUF's `ne`),
    /// with quantized tensors given by their element shape.
    ///
    /// Rules (gguf-py): a `.lora_a` tensor is remembered and not counted; the `.lora_b` that
    /// follows it counts as its shape with the last dimension replaced by that of the `.lora_a`
    /// (the adapted weight); a `.lora_b` not directly after its `.lora_a` makes every count 0.
    /// A tensor whose name contains `_exps.` with at least three dimensions is an expert tensor:
    /// its expert count is dimension -3 (-2 when the name contains `.bias`). When any `.lora_a`
    /// was seen, `total` is negated. An expert tensor with an expert count of 0 (which gguf-py
    /// would divide by) counts no expert parameters.
    pub fn from_tensors<'a, I>(tensors: I) -> ParamCounts
    where
        I: IntoIterator<Item = (&'a str, &'a [u64])>,
    {
        let mut total: u128 = 0;
        let mut shared: u128 = 0;
        let mut expert: u128 = 0;
        let mut expert_sum: u128 = 0;
        let mut n_expert_tensors: u128 = 0;
        let mut last_lora_a: Option<(&str, &[u64])> = None;
        for (name, shape) in tensors {
            if name.ends_with(".lora_a") {
                last_lora_a = Some((name, shape));
                continue;
            }
            let mut owned: Vec<u64> = shape.to_vec();
            if let Some(stem) = name.strip_suffix(".lora_b") {
                match last_lora_a {
                    Some((a_name, a_shape)) if a_name.strip_suffix(".lora_a") == Some(stem) => {
                        // `(*shape[:-1], lora_a.shape[-1])`
                        owned.pop();
                        if let Some(&last) = a_shape.last() {
                            owned.push(last);
                        }
                    }
                    _ => return ParamCounts::default(),
                }
            }
            let size = owned
                .iter()
                .fold(1u128, |acc, &d| acc.saturating_mul(u128::from(d)));
            if name.contains("_exps.") && owned.len() >= 3 {
                let back = if name.contains(".bias") { 2 } else { 3 };
                let count = u128::from(owned[owned.len() - back]);
                if let Some(per_expert) = size.checked_div(count) {
                    expert = expert.saturating_add(per_expert);
                }
                expert_sum = expert_sum.saturating_add(count);
                n_expert_tensors += 1;
            } else {
                shared = shared.saturating_add(size);
            }
            total = total.saturating_add(size);
        }
        let expert_count = expert_sum.checked_div(n_expert_tensors).unwrap_or(0);
        let total = i64::try_from(total).unwrap_or(i64::MAX);
        ParamCounts {
            total: if last_lora_a.is_some() { -total } else { total },
            shared: u64::try_from(shared).unwrap_or(u64::MAX),
            expert: u64::try_from(expert).unwrap_or(u64::MAX),
            expert_count: u64::try_from(expert_count).unwrap_or(u64::MAX),
        }
    }

    /// `gguf.size_label(total, shared, expert, expert_count)`.
    pub fn size_label(&self) -> String {
        size_label(self.total, self.shared, self.expert, self.expert_count)
    }
}

/// `model_weight_count_rounded_notation`: a count in K/M/B/T with at least `min_digits`
/// significant digits (`135M`, `1.2B`, `8.0B`, `0.50K`).
pub fn model_weight_count_rounded_notation(count: u64, min_digits: usize) -> String {
    // Python compares the int with the float thresholds exactly; every u64 above 1e12 as f64 is
    // also above it, and the thresholds are exact integers.
    let (scaled, suffix) = if count > 1_000_000_000_000 {
        (count as f64 * 1e-12, "T")
    } else if count > 1_000_000_000 {
        (count as f64 * 1e-9, "B")
    } else if count > 1_000_000 {
        (count as f64 * 1e-6, "M")
    } else {
        (count as f64 * 1e-3, "K")
    };
    let rounded = format!("{}", scaled.round_ties_even());
    let digits = rounded.trim_start_matches('0').len();
    let fix = min_digits.saturating_sub(digits);
    format!("{scaled:.fix$}{suffix}")
}

/// `gguf.size_label`: `"{expert_count}x{per-expert size}"` for mixtures of experts (shared plus
/// one expert's parameters), else the rounded total (its absolute value, for LoRA adapters).
pub fn size_label(total: i64, shared: u64, expert: u64, expert_count: u64) -> String {
    if expert_count > 0 {
        let pretty = model_weight_count_rounded_notation(shared.saturating_add(expert), 2);
        format!("{expert_count}x{pretty}")
    } else {
        model_weight_count_rounded_notation(total.unsigned_abs(), 2)
    }
}

/// The output type the converters put in file names: a `LlamaFileType` name after its first `_`
/// (`self.ftype.name.partition("_")[2]`): `MOSTLY_Q8_0` gives `Q8_0`, `ALL_F32` gives `F32`,
/// `MOSTLY_BF16` gives `BF16`, a name without `_` gives `""`.
pub fn output_type_of(ftype_name: &str) -> &str {
    ftype_name.split_once('_').map_or("", |(_, rest)| rest)
}

/// The kind suffix of [`naming_convention`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelKind {
    /// `-vocab` (vocabulary-only files).
    Vocab,
    /// `-LoRA` (adapters).
    Lora,
}

/// `gguf.naming_convention`: `{name}-{size_label}-{finetune}-{version}-{ENCODING}-{kind}`, each
/// part present only when given. The name is `base_name` if given, else `model_name`, else
/// `ggml-model`, stripped with spaces and `/` turned into `-`; finetune and version are stripped
/// with spaces turned into `-`; the encoding is upper-cased.
pub fn naming_convention(
    model_name: Option<&str>,
    base_name: Option<&str>,
    finetune: Option<&str>,
    version: Option<&str>,
    size_label: Option<&str>,
    output_type: Option<&str>,
    kind: Option<ModelKind>,
) -> String {
    let dashed = |s: &str| strip(s).replace(' ', "-");
    let name = match base_name.or(model_name) {
        Some(n) => dashed(n).replace('/', "-"),
        None => "ggml-model".to_string(),
    };
    let mut out = name;
    if let Some(s) = size_label {
        out.push('-');
        out.push_str(s);
    }
    for part in [finetune, version].into_iter().flatten() {
        out.push('-');
        out.push_str(&dashed(part));
    }
    if let Some(t) = output_type {
        out.push('-');
        out.push_str(&dashed(t).to_uppercase());
    }
    match kind {
        Some(ModelKind::Vocab) => out.push_str("-vocab"),
        Some(ModelKind::Lora) => out.push_str("-LoRA"),
        None => {}
    }
    out
}

/// `gguf.fill_templated_filename`: Python's `str.format` of `filename` with `{}`/`{0}`,
/// `{ftype}`/`{outtype}` (lower case) and `{FTYPE}`/`{OUTTYPE}` (upper case) taken from
/// `output_type` (empty when `None`). `{{`/`}}` are literal braces; `!s`/`!r`/`!a` conversions and
/// string format specs (`[[fill]align][width][.precision][s]`) are applied; any other field,
/// a second automatic `{}`, or a malformed template is an error, as `str.format` raises.
pub fn fill_templated_filename(
    filename: &str,
    output_type: Option<&str>,
) -> Result<String, CardError> {
    let lower = output_type.map(str::to_lowercase).unwrap_or_default();
    let upper = output_type.map(str::to_uppercase).unwrap_or_default();
    let bad = |why: String| CardError::Template {
        template: filename.to_string(),
        reason: why,
    };
    let mut out = String::new();
    let mut chars = filename.chars().peekable();
    let mut auto_used = false;
    let mut manual_used = false;
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                out.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                out.push('}');
            }
            '}' => return Err(bad("Single '}' encountered in format string".into())),
            '{' => {
                let mut field = String::new();
                let mut depth = 1;
                loop {
                    match chars.next() {
                        None => return Err(bad("expected '}' before end of string".into())),
                        Some('{') => {
                            depth += 1;
                            field.push('{');
                        }
                        Some('}') => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                            field.push('}');
                        }
                        Some(x) => field.push(x),
                    }
                }
                let name_end = field.find([':', '!']).unwrap_or(field.len());
                let name = &field[..name_end];
                let mut rest = &field[name_end..];
                let mut conversion = None;
                if let Some(r) = rest.strip_prefix('!') {
                    let mut it = r.chars();
                    let conv = it.next().ok_or_else(|| {
                        bad("end of string while looking for conversion specifier".into())
                    })?;
                    rest = it.as_str();
                    if !rest.is_empty() && !rest.starts_with(':') {
                        return Err(bad("expected ':' after conversion specifier".into()));
                    }
                    conversion = Some(conv);
                }
                let spec = rest.strip_prefix(':');
                let value = match name {
                    "" => {
                        if manual_used {
                            return Err(bad("cannot switch from manual field specification to automatic field numbering".into()));
                        }
                        if auto_used {
                            return Err(bad(
                                "Replacement index 1 out of range for positional args tuple".into(),
                            ));
                        }
                        auto_used = true;
                        &lower
                    }
                    "0" => {
                        if auto_used {
                            return Err(bad("cannot switch from automatic field numbering to manual field specification".into()));
                        }
                        manual_used = true;
                        &lower
                    }
                    "ftype" | "outtype" => &lower,
                    "FTYPE" | "OUTTYPE" => &upper,
                    other => return Err(bad(format!("unknown field {other:?}"))),
                };
                let converted = match conversion {
                    None | Some('s') => value.clone(),
                    Some('r') => py_repr(value, false),
                    Some('a') => py_repr(value, true),
                    Some(other) => {
                        return Err(bad(format!("Unknown conversion specifier {other}")))
                    }
                };
                match spec {
                    None | Some("") => out.push_str(&converted),
                    Some(spec) => out.push_str(&format_str_spec(&converted, spec).map_err(bad)?),
                }
            }
            other => out.push(other),
        }
    }
    Ok(out)
}

/// Python's `repr` (or `ascii`) of a string made of printable characters.
fn py_repr(s: &str, ascii: bool) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::new();
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c if ascii && !c.is_ascii() => {
                let cp = c as u32;
                if cp <= 0xff {
                    out.push_str(&format!("\\x{cp:02x}"));
                } else if cp <= 0xffff {
                    out.push_str(&format!("\\u{cp:04x}"));
                } else {
                    out.push_str(&format!("\\U{cp:08x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// A Python format spec applied to a string: `[[fill]align][0][width][.precision][s]`.
fn format_str_spec(value: &str, spec: &str) -> Result<String, String> {
    let chars: Vec<char> = spec.chars().collect();
    let mut i = 0;
    let mut fill = ' ';
    let mut align = '<';
    let is_align = |c: char| matches!(c, '<' | '>' | '^' | '=');
    if chars.len() >= 2 && is_align(chars[1]) {
        fill = chars[0];
        align = chars[1];
        i = 2;
    } else if chars.first().copied().is_some_and(is_align) {
        align = chars[0];
        i = 1;
    }
    if align == '=' {
        return Err("'=' alignment not allowed in string format specifier".into());
    }
    if chars.get(i) == Some(&'0') {
        if i == 0 {
            fill = '0';
        }
        i += 1;
    }
    let mut width = 0usize;
    while let Some(d) = chars.get(i).and_then(|c| c.to_digit(10)) {
        width = width.saturating_mul(10).saturating_add(d as usize);
        i += 1;
    }
    let mut precision = None;
    if chars.get(i) == Some(&'.') {
        i += 1;
        let mut p = 0usize;
        let start = i;
        while let Some(d) = chars.get(i).and_then(|c| c.to_digit(10)) {
            p = p.saturating_mul(10).saturating_add(d as usize);
            i += 1;
        }
        if i == start {
            return Err("Format specifier missing precision".into());
        }
        precision = Some(p);
    }
    if chars.get(i) == Some(&'s') {
        i += 1;
    }
    if i != chars.len() {
        return Err(format!(
            "Invalid format specifier '{spec}' for object of type 'str'"
        ));
    }
    let body: String = match precision {
        Some(p) => value.chars().take(p).collect(),
        None => value.to_string(),
    };
    let len = body.chars().count();
    if len >= width {
        return Ok(body);
    }
    let pad = width - len;
    let (left, right) = match align {
        '>' => (pad, 0),
        '^' => (pad / 2, pad - pad / 2),
        _ => (0, pad),
    };
    let fill_n = |n: usize| std::iter::repeat_n(fill, n).collect::<String>();
    Ok(format!("{}{body}{}", fill_n(left), fill_n(right)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notation() {
        let cases: &[(u64, &str)] = &[
            (0, "0.00K"),
            (1, "0.00K"),
            (999, "1.0K"),
            (1_000, "1.0K"),
            (1_000_000, "1000K"),
            (1_000_001, "1.0M"),
            (21_000_000, "21M"),
            (134_515_008, "135M"),
            (1_235_814_400, "1.2B"),
            (8_030_261_248, "8.0B"),
            (70_553_706_496, "71B"),
            (1_000_000_000_001, "1.0T"),
            (405_000_000_000_000, "405T"),
        ];
        for (n, want) in cases {
            assert_eq!(model_weight_count_rounded_notation(*n, 2), *want, "{n}");
        }
        assert_eq!(size_label(0, 1_000_000_000, 6_000_000_000, 8), "8x7.0B");
        assert_eq!(size_label(-42_000_000, 0, 0, 0), "42M");
    }

    #[test]
    fn counts() {
        let s = |v: &'static [u64]| v;
        let t = [
            ("token_embd.weight", s(&[100, 16])),
            ("blk.0.ffn_up_exps.weight", s(&[4, 32, 16])),
            ("blk.0.ffn_up_exps.bias", s(&[4, 32])),
            ("output_norm.weight", s(&[16])),
            ("scalar", s(&[])),
        ];
        let c = ParamCounts::from_tensors(t.iter().map(|(n, sh)| (*n, *sh)));
        assert_eq!(c.total, 1600 + 2048 + 128 + 16 + 1);
        // A two-dimensional `_exps.` bias is not an expert tensor.
        assert_eq!(c.shared, 1600 + 128 + 16 + 1);
        assert_eq!(c.expert, 512);
        assert_eq!(c.expert_count, 4);
        let l = [
            ("blk.0.attn_q.weight.lora_a", s(&[8, 64])),
            ("blk.0.attn_q.weight.lora_b", s(&[64, 8])),
        ];
        let c = ParamCounts::from_tensors(l.iter().map(|(n, sh)| (*n, *sh)));
        assert_eq!(c.total, -(64 * 64));
        let bad = [("x.lora_b", s(&[64, 8]))];
        assert_eq!(
            ParamCounts::from_tensors(bad.iter().map(|(n, sh)| (*n, *sh))),
            ParamCounts::default()
        );
    }

    #[test]
    fn names() {
        assert_eq!(output_type_of("MOSTLY_Q8_0"), "Q8_0");
        assert_eq!(output_type_of("ALL_F32"), "F32");
        assert_eq!(output_type_of("GUESSED"), "");
        assert_eq!(
            naming_convention(
                Some("Llama 3/x"),
                None,
                Some("Instruct"),
                Some("v0.1"),
                Some("8B"),
                Some("q8_0"),
                None
            ),
            "Llama-3-x-8B-Instruct-v0.1-Q8_0"
        );
        assert_eq!(
            naming_convention(
                None,
                Some("b"),
                None,
                None,
                None,
                None,
                Some(ModelKind::Vocab)
            ),
            "b-vocab"
        );
        assert_eq!(
            naming_convention(
                None,
                None,
                None,
                None,
                None,
                Some("f16"),
                Some(ModelKind::Lora)
            ),
            "ggml-model-F16-LoRA"
        );
    }

    #[test]
    fn templates() {
        let f = |t: &str| fill_templated_filename(t, Some("Q8_0"));
        assert_eq!(f("m-{ftype}.gguf").unwrap(), "m-q8_0.gguf");
        assert_eq!(
            f("m-{FTYPE}-{outtype}-{OUTTYPE}.gguf").unwrap(),
            "m-Q8_0-q8_0-Q8_0.gguf"
        );
        assert_eq!(f("m-{}.gguf").unwrap(), "m-q8_0.gguf");
        assert_eq!(f("m-{0}-{0}.gguf").unwrap(), "m-q8_0-q8_0.gguf");
        assert_eq!(f("{{x}}.gguf").unwrap(), "{x}.gguf");
        assert_eq!(f("{ftype!r}").unwrap(), "'q8_0'");
        assert_eq!(f("{ftype:>6}|{ftype:.2}").unwrap(), "  q8_0|q8");
        assert!(f("{}-{}").is_err());
        assert!(f("{name}").is_err());
        assert!(f("a}b").is_err());
        assert!(f("a{b").is_err());
        assert_eq!(
            fill_templated_filename("x-{ftype}.gguf", None).unwrap(),
            "x-.gguf"
        );
    }
}
