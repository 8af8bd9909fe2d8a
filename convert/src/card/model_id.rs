//! gguf-py's `Metadata.get_model_id_components` and `Metadata.id_to_title`: splitting a Hugging
//! Face model id such as `meta-llama/Llama-3.1-8B-Instruct` into organization, basename, size
//! label, finetune and version.

use super::pyunicode::{
    ci_eq, ci_word, decimal_value, is_alpha, is_decimal, is_word, split_whitespace, str_islower,
    str_title, strip,
};

/// The parts of a model id, as `Metadata.get_model_id_components` returns them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModelIdComponents {
    /// The id without its organization (the whole id when it contains a space).
    pub full_name: Option<String>,
    /// The part before the first `/` (absent when it starts with `.`).
    pub organization: Option<String>,
    /// The leading name words (and versions right after them).
    pub basename: Option<String>,
    /// Other words (`Instruct`, `chat`, context lengths such as `32k`).
    pub finetune: Option<String>,
    /// Version parts not in the basename (`v0.1`).
    pub version: Option<String>,
    /// Size parts (`8B`, `8x7B`, `A3B`), deduplicated.
    pub size_label: Option<String>,
}

const BASENAME: u8 = 1;
const SIZE_LABEL: u8 = 2;
const FINETUNE: u8 = 4;
const VERSION: u8 = 8;
const TYPE: u8 = 16;

/// `Metadata.id_to_title`: words split on whitespace and `-`, each all-lower-case word that is
/// not a version (`v1.2`) or number-led title-cased, joined with spaces.
pub fn id_to_title(s: &str) -> String {
    let replaced = strip(s).replace('-', " ");
    let words: Vec<String> = split_whitespace(&replaced)
        .map(|w| {
            if str_islower(w) && !is_version_or_number(w) {
                str_title(w)
            } else {
                w.to_string()
            }
        })
        .collect();
    words.join(" ")
}

/// `re.match(r'^(v\d+(?:\.\d+)*|\d.*)$', w)` for a word without line breaks.
fn is_version_or_number(w: &str) -> bool {
    let mut chars = w.chars();
    match chars.next() {
        Some(c) if is_decimal(c) => true,
        Some('v') => dotted_digits(chars.as_str()),
        _ => false,
    }
}

/// `\d+([.]\d+)*` (Unicode decimal digits).
fn dotted_digits(s: &str) -> bool {
    !s.is_empty()
        && s.split('.')
            .all(|g| !g.is_empty() && g.chars().all(is_decimal))
}

/// `(v|iter)?\d+([.]\d+)*`, case-insensitive.
fn is_version(part: &str) -> bool {
    if dotted_digits(part) {
        return true;
    }
    let mut chars = part.chars();
    if chars.next().is_some_and(|c| ci_eq(c, 'v')) && dotted_digits(chars.as_str()) {
        return true;
    }
    let mut chars = part.char_indices();
    for want in ['i', 't', 'e', 'r'] {
        match chars.next() {
            Some((_, c)) if ci_eq(c, want) => {}
            _ => return false,
        }
    }
    chars.next().is_some_and(|(i, _)| dotted_digits(&part[i..]))
}

/// `i?q\d(_\w)*|b?fp?(16|32)`, case-insensitive.
fn is_quant_type(part: &str) -> bool {
    let chars: Vec<char> = part.chars().collect();
    // i?q\d(_\w)*
    let mut i = 0;
    if chars.first().is_some_and(|&c| ci_eq(c, 'i')) {
        i = 1;
    }
    if chars.get(i).is_some_and(|&c| ci_eq(c, 'q'))
        && chars.get(i + 1).is_some_and(|&c| is_decimal(c))
    {
        let rest = &chars[i + 2..];
        if rest.chunks(2).all(|p| matches!(p, ['_', w] if is_word(*w))) {
            return true;
        }
    }
    // b?fp?(16|32)
    let mut i = 0;
    if chars.first().is_some_and(|&c| ci_eq(c, 'b')) {
        i = 1;
    }
    if !chars.get(i).is_some_and(|&c| ci_eq(c, 'f')) {
        return false;
    }
    i += 1;
    if chars.get(i).is_some_and(|&c| ci_eq(c, 'p')) {
        i += 1;
    }
    matches!(&chars[i.min(chars.len())..], ['1', '6'] | ['3', '2'])
}

/// `(([A]|\d+[x])?\d+([._]\d+)?[KMBT][\d]?|small|mini|medium|large|x?xl)`, case-insensitive.
fn is_size(part: &str) -> bool {
    if ["small", "mini", "medium", "large", "xl", "xxl"]
        .iter()
        .any(|w| ci_word(part, w))
    {
        return true;
    }
    let chars: Vec<char> = part.chars().collect();
    let digits_from = |mut i: usize| {
        while chars.get(i).is_some_and(|&c| is_decimal(c)) {
            i += 1;
        }
        i
    };
    let mut i = 0;
    if chars.first().is_some_and(|&c| ci_eq(c, 'a')) {
        i = 1;
    } else {
        let j = digits_from(0);
        if j > 0 && chars.get(j).is_some_and(|&c| ci_eq(c, 'x')) {
            i = j + 1;
        }
    }
    let j = digits_from(i);
    if j == i {
        return false;
    }
    i = j;
    if chars.get(i).is_some_and(|&c| c == '.' || c == '_') {
        let j = digits_from(i + 1);
        if j == i + 1 {
            return false;
        }
        i = j;
    }
    if !chars
        .get(i)
        .is_some_and(|&c| ['k', 'm', 'b', 't'].iter().any(|&l| ci_eq(c, l)))
    {
        return false;
    }
    i += 1;
    if chars.get(i).is_some_and(|&c| is_decimal(c)) {
        i += 1;
    }
    i == chars.len()
}

/// Python's `float()` of a string of decimal digits and dots.
fn py_float(s: &str) -> Option<f64> {
    let ascii: Option<String> = s
        .chars()
        .map(|c| match c {
            '.' => Some('.'),
            c => decimal_value(c).and_then(|d| char::from_digit(d, 10)),
        })
        .collect();
    let ascii = ascii?;
    if ascii.is_empty() || ascii == "." {
        return None;
    }
    ascii.parse().ok()
}

/// `Metadata.get_model_id_components(model_id, total_params)`. `total_params` is negative for
/// LoRA adapters and 0 when unknown; it decides whether a size-like part is the model size or
/// (when far from it) a finetune such as a context length.
pub fn get_model_id_components(model_id: Option<&str>, total_params: i64) -> ModelIdComponents {
    let Some(model_id) = model_id else {
        return ModelIdComponents::default();
    };
    if model_id.contains(' ') {
        return ModelIdComponents {
            full_name: Some(model_id.to_string()),
            ..Default::default()
        };
    }
    let (mut org, full) = match model_id.split_once('/') {
        Some((o, f)) => (Some(o), f),
        None => (None, model_id),
    };
    if org.is_some_and(|o| o.starts_with('.')) {
        org = None;
    }
    let mut parts: Vec<String> = full
        .split('-')
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect();
    let mut types: Vec<u8> = vec![0; parts.len()];
    let total = i128::from(total_params);

    for (i, (part, t)) in parts.iter_mut().zip(types.iter_mut()).enumerate() {
        if is_version(part) {
            *t |= VERSION;
        } else if is_quant_type(part) {
            *t |= TYPE;
            *part = part.to_uppercase();
        } else if i > 0 && is_size(part) {
            let mut p: Vec<char> = part.replace('_', ".").chars().collect();
            // bloom-7b1 notation: "7b1" -> "7.1b"
            if p.last().is_some_and(|&c| is_decimal(c)) && p.len() >= 2 {
                let last = p[p.len() - 1];
                let before = p[p.len() - 2];
                p.truncate(p.len() - 2);
                p.extend(['.', last, before]);
            }
            if p.len() > 1 && is_decimal(p[p.len() - 2]) {
                if let Some(c) = p.last_mut() {
                    if matches!(*c, 'k' | 'm' | 'b' | 't') {
                        *c = c.to_ascii_uppercase();
                    }
                }
            }
            if total != 0 {
                if let Some((&suffix, head)) = p.split_last() {
                    let head: String = head.iter().collect();
                    if let Some(x) = py_float(&head) {
                        let label = match " KMBT".find(suffix) {
                            Some(n) => x * 1000f64.powi(n as i32),
                            None => x * 0.001,
                        };
                        let context_length = if total < 0 {
                            label < ((-total) / 8) as f64
                        } else {
                            (label - total as f64).abs() > ((7 * total) / 8) as f64
                        };
                        if context_length {
                            *t |= FINETUNE;
                            p.pop();
                            p.extend(suffix.to_lowercase());
                        }
                    }
                }
            }
            if *t == 0 {
                *t |= SIZE_LABEL;
            }
            *part = p.into_iter().collect();
        } else if i > 0
            && ["chat", "instruct", "vision", "lora"]
                .iter()
                .any(|w| ci_word(part, w))
        {
            if total < 0 && part.to_lowercase() == "lora" {
                *t |= TYPE;
            } else {
                *t |= FINETUNE;
            }
        }
    }

    // Word sizes (small, xl) are dropped when a numeric one is present.
    let numeric_size = parts
        .iter()
        .zip(&types)
        .any(|(p, t)| t & SIZE_LABEL != 0 && p.chars().any(is_decimal));
    if numeric_size {
        for (p, t) in parts.iter().zip(types.iter_mut()) {
            if *t & SIZE_LABEL != 0 && p.chars().all(is_alpha) {
                *t &= !SIZE_LABEL;
            }
        }
    }

    let mut at_start = true;
    for (p, t) in parts.iter().zip(types.iter_mut()) {
        let first_alpha = p.chars().next().is_some_and(is_alpha);
        if at_start && ((*t == 0 && first_alpha) || *t & VERSION != 0) {
            *t |= BASENAME;
        } else {
            at_start = false;
            if *t == 0 {
                *t |= FINETUNE;
            }
        }
    }
    for t in types.iter_mut().rev() {
        if *t & BASENAME != 0 && t.count_ones() > 1 {
            *t &= !BASENAME;
        } else {
            break;
        }
    }

    let join = |pred: &dyn Fn(u8) -> bool| -> Option<String> {
        let v: Vec<&str> = parts
            .iter()
            .zip(&types)
            .filter(|(_, t)| pred(**t))
            .map(|(p, _)| p.as_str())
            .collect();
        (!v.is_empty()).then(|| v.join("-"))
    };
    let mut basename = join(&|t| t & BASENAME != 0);
    let size_label = {
        let mut seen: Vec<&str> = Vec::new();
        for (p, t) in parts.iter().zip(&types) {
            if t & SIZE_LABEL != 0 && !seen.contains(&p.as_str()) {
                seen.push(p);
            }
        }
        (!seen.is_empty()).then(|| seen.join("-"))
    };
    let finetune = join(&|t| t & FINETUNE != 0);
    let version = join(&|t| t & VERSION != 0 && t & BASENAME == 0);
    if size_label.is_none() && finetune.is_none() && version.is_none() {
        basename = None;
    }
    ModelIdComponents {
        full_name: Some(full.to_string()),
        organization: org.map(str::to_string),
        basename,
        finetune,
        version,
        size_label,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(id: &str, total: i64) -> [Option<String>; 6] {
        let m = get_model_id_components(Some(id), total);
        [
            m.full_name,
            m.organization,
            m.basename,
            m.finetune,
            m.version,
            m.size_label,
        ]
    }

    fn s(v: [Option<&str>; 6]) -> [Option<String>; 6] {
        v.map(|x| x.map(str::to_string))
    }

    #[test]
    fn components() {
        assert_eq!(
            c("meta-llama/Llama-3.1-8B-Instruct", 8_000_000_000),
            s([
                Some("Llama-3.1-8B-Instruct"),
                Some("meta-llama"),
                Some("Llama-3.1"),
                Some("Instruct"),
                None,
                Some("8B")
            ])
        );
        assert_eq!(
            c("HuggingFaceTB/SmolLM2-135M-Instruct", 0),
            s([
                Some("SmolLM2-135M-Instruct"),
                Some("HuggingFaceTB"),
                Some("SmolLM2"),
                Some("Instruct"),
                None,
                Some("135M")
            ])
        );
        assert_eq!(
            c("mistralai/Mixtral-8x7B-Instruct-v0.1", 0),
            s([
                Some("Mixtral-8x7B-Instruct-v0.1"),
                Some("mistralai"),
                Some("Mixtral"),
                Some("Instruct"),
                Some("v0.1"),
                Some("8x7B")
            ])
        );
        assert_eq!(c("bigscience/bloom-7b1", 0)[5], Some("7.1B".to_string()));
        assert_eq!(
            c("Qwen/Qwen2.5-7B-Instruct-1M", 7_000_000_000),
            s([
                Some("Qwen2.5-7B-Instruct-1M"),
                Some("Qwen"),
                Some("Qwen2.5"),
                Some("Instruct-1m"),
                None,
                Some("7B")
            ])
        );
        assert_eq!(c("./model", 0)[1], None);
        assert_eq!(
            c("a model", 0),
            s([Some("a model"), None, None, None, None, None])
        );
        assert_eq!(
            c("gpt2", 0),
            s([Some("gpt2"), None, None, None, None, None])
        );
    }

    #[test]
    fn titles() {
        assert_eq!(id_to_title("meta-llama"), "Meta Llama");
        assert_eq!(
            id_to_title("SmolLM2-135M-instruct"),
            "SmolLM2 135M Instruct"
        );
        assert_eq!(id_to_title("llama2b-v0.1-7b"), "Llama2B v0.1 7b");
        assert_eq!(id_to_title("  "), "");
    }
}
