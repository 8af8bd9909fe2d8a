//! Variable expansion of [`Word`]s, with BuildKit's (and the POSIX shell's) semantics.
//!
//! | form            | variable unset | set but empty | set, not empty |
//! |-----------------|----------------|---------------|----------------|
//! | `$V`, `${V}`    | empty          | empty         | value          |
//! | `${V:-word}`    | word           | word          | value          |
//! | `${V-word}`     | word           | empty         | value          |
//! | `${V:+word}`    | empty          | empty         | word           |
//! | `${V+word}`     | empty          | word          | word           |
//!
//! Literal parts are never expanded (they are already free of quotes and escapes), and the
//! `word` of a modifier is expanded only when it is used.

use std::collections::BTreeSet;

use crate::ast::{VarOp, VarRef, Word, WordPart};

/// What an expansion looked at: every variable name it referenced, and those of them that were
/// unset (the lookup gave `None`). Accumulates over several calls of [`expand`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Usage {
    /// Every name looked up, set or not.
    pub referenced: BTreeSet<String>,
    /// The names looked up whose lookup gave `None`.
    pub unset: BTreeSet<String>,
}

impl Usage {
    /// An empty record.
    pub fn new() -> Usage {
        Usage::default()
    }

    /// Forget everything recorded so far.
    pub fn clear(&mut self) {
        self.referenced.clear();
        self.unset.clear();
    }
}

/// Expands `word`: literal parts as they are, variable references through `env` (`None`: the
/// variable is unset). Every name looked up is recorded in `usage`.
///
/// A modifier's word is expanded only when the modifier selects it, so names inside an unused
/// alternative are not looked up (as in the shell).
///
/// ```
/// use ggufpack_packerfile::{expand, Usage, Word, WordPart, VarOp, VarRef};
///
/// // ${MODEL}.${TYPE:-F16}.gguf
/// let var = |name: &str, op| WordPart::Var(VarRef { name: name.into(), braced: true, op });
/// let word = Word {
///     parts: vec![
///         var("MODEL", None),
///         WordPart::Literal(".".into()),
///         var("TYPE", Some(VarOp::Default { colon: true, word: Box::new(Word::literal("F16")) })),
///         WordPart::Literal(".gguf".into()),
///     ],
///     span: Default::default(),
/// };
/// let env = |name: &str| (name == "MODEL").then(|| "qwen2".to_string());
/// let mut usage = Usage::new();
/// assert_eq!(expand(&word, &env, &mut usage), "qwen2.F16.gguf");
/// assert!(usage.unset.contains("TYPE"));
/// ```
pub fn expand(word: &Word, env: &dyn Fn(&str) -> Option<String>, usage: &mut Usage) -> String {
    let mut out = String::new();
    expand_into(word, env, usage, &mut out);
    out
}

fn expand_into(
    word: &Word,
    env: &dyn Fn(&str) -> Option<String>,
    usage: &mut Usage,
    out: &mut String,
) {
    for part in &word.parts {
        match part {
            WordPart::Literal(s) => out.push_str(s),
            WordPart::Var(v) => expand_var(v, env, usage, out),
        }
    }
}

fn expand_var(
    var: &VarRef,
    env: &dyn Fn(&str) -> Option<String>,
    usage: &mut Usage,
    out: &mut String,
) {
    let value = env(&var.name);
    usage.referenced.insert(var.name.clone());
    if value.is_none() {
        usage.unset.insert(var.name.clone());
    }
    match &var.op {
        None => {
            if let Some(v) = value {
                out.push_str(&v);
            }
        }
        Some(VarOp::Default { colon, word }) => match value {
            Some(v) if !(*colon && v.is_empty()) => out.push_str(&v),
            _ => expand_into(word, env, usage, out),
        },
        Some(VarOp::Alternative { colon, word }) => match value {
            Some(v) if !(*colon && v.is_empty()) => expand_into(word, env, usage, out),
            _ => {}
        },
    }
}

/// Every variable name a word mentions, modifier words included, in order of appearance and
/// without repeats. Unlike [`expand`], this looks into modifier words that would not be used.
pub fn variables(word: &Word) -> Vec<String> {
    let mut names = Vec::new();
    collect_variables(word, &mut names);
    names
}

fn collect_variables(word: &Word, names: &mut Vec<String>) {
    for part in &word.parts {
        if let WordPart::Var(v) = part {
            if !names.contains(&v.name) {
                names.push(v.name.clone());
            }
            match &v.op {
                Some(VarOp::Default { word, .. }) | Some(VarOp::Alternative { word, .. }) => {
                    collect_variables(word, names)
                }
                None => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ast::Span;
    use std::collections::BTreeMap;

    fn var(name: &str, braced: bool, op: Option<VarOp>) -> WordPart {
        WordPart::Var(VarRef {
            name: name.into(),
            braced,
            op,
        })
    }

    fn word(parts: Vec<WordPart>) -> Word {
        Word {
            parts,
            span: Span::default(),
        }
    }

    fn lit(s: &str) -> WordPart {
        WordPart::Literal(s.into())
    }

    fn default(colon: bool, w: Word) -> Option<VarOp> {
        Some(VarOp::Default {
            colon,
            word: Box::new(w),
        })
    }

    fn alt(colon: bool, w: Word) -> Option<VarOp> {
        Some(VarOp::Alternative {
            colon,
            word: Box::new(w),
        })
    }

    fn env_of(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn run(w: &Word, env: &BTreeMap<String, String>) -> (String, Usage) {
        let mut usage = Usage::new();
        let look = |n: &str| env.get(n).cloned();
        let s = expand(w, &look, &mut usage);
        (s, usage)
    }

    #[test]
    fn plain_and_braced() {
        let env = env_of(&[("A", "x"), ("E", "")]);
        let w = word(vec![
            lit("pre-"),
            var("A", false, None),
            lit("/"),
            var("A", true, None),
            var("E", true, None),
            var("U", false, None),
            lit("-post"),
        ]);
        let (s, usage) = run(&w, &env);
        assert_eq!(s, "pre-x/x-post");
        assert_eq!(
            usage.referenced.iter().collect::<Vec<_>>(),
            vec!["A", "E", "U"]
        );
        assert_eq!(usage.unset.iter().collect::<Vec<_>>(), vec!["U"]);
    }

    #[test]
    fn literal_dollar_is_never_expanded() {
        let env = env_of(&[("A", "x")]);
        let w = word(vec![lit("$A ${A}")]);
        let (s, usage) = run(&w, &env);
        assert_eq!(s, "$A ${A}");
        assert!(usage.referenced.is_empty());
    }

    #[test]
    fn default_table() {
        let env = env_of(&[("SET", "v"), ("EMPTY", "")]);
        let d = || word(vec![lit("d")]);
        let cases = [
            ("UNSET", true, "d"),
            ("EMPTY", true, "d"),
            ("SET", true, "v"),
            ("UNSET", false, "d"),
            ("EMPTY", false, ""),
            ("SET", false, "v"),
        ];
        for (name, colon, want) in cases {
            let w = word(vec![var(name, true, default(colon, d()))]);
            assert_eq!(run(&w, &env).0, want, "{name} colon={colon}");
        }
    }

    #[test]
    fn alternative_table() {
        let env = env_of(&[("SET", "v"), ("EMPTY", "")]);
        let a = || word(vec![lit("a")]);
        let cases = [
            ("UNSET", true, ""),
            ("EMPTY", true, ""),
            ("SET", true, "a"),
            ("UNSET", false, ""),
            ("EMPTY", false, "a"),
            ("SET", false, "a"),
        ];
        for (name, colon, want) in cases {
            let w = word(vec![var(name, true, alt(colon, a()))]);
            assert_eq!(run(&w, &env).0, want, "{name} colon={colon}");
        }
    }

    #[test]
    fn nested_modifier_words_expand_lazily() {
        let env = env_of(&[("B", "b"), ("SET", "s")]);
        // ${UNSET:-x${B}y} -> xby ; ${SET:-${C}} -> s and C never looked up.
        let w = word(vec![
            var(
                "UNSET",
                true,
                default(true, word(vec![lit("x"), var("B", true, None), lit("y")])),
            ),
            lit(" "),
            var("SET", true, default(true, word(vec![var("C", true, None)]))),
        ]);
        let (s, usage) = run(&w, &env);
        assert_eq!(s, "xby s");
        assert!(usage.referenced.contains("B"));
        assert!(!usage.referenced.contains("C"));
        assert_eq!(usage.unset.iter().collect::<Vec<_>>(), vec!["UNSET"]);
        assert_eq!(variables(&w), vec!["UNSET", "B", "SET", "C"]);
    }

    #[test]
    fn empty_word_and_usage_accumulates() {
        let env = env_of(&[]);
        let mut usage = Usage::new();
        let look = |n: &str| env.get(n).cloned();
        assert_eq!(expand(&Word::default(), &look, &mut usage), "");
        expand(&word(vec![var("A", false, None)]), &look, &mut usage);
        expand(&word(vec![var("B", false, None)]), &look, &mut usage);
        assert_eq!(usage.unset.len(), 2);
        usage.clear();
        assert_eq!(usage, Usage::default());
    }
}
