//! The canonical printer: `Display` for the AST.
//!
//! For every AST the parser produces, `parse(&ast.to_string()) == Ok(ast)`, and printing is a
//! fixed point (`parse(&text)?.to_string() == text` for a printed `text`). The canonical form:
//!
//! - Layout: the parser directives (`# name=value`), then the global `ARG`s, then each stage (its
//!   `FROM [--platform=…] <image> [AS <name>]` line and its instructions), a blank line between
//!   these sections, one instruction per line, every line ending in `\n`, no comments, no line
//!   continuations. Keywords are upper case.
//! - Flags come in a fixed order, the order of the AST's fields; `Some(true)` prints `--flag`,
//!   `Some(false)` `--flag=false`, `None` nothing; repeated flags print once per value;
//!   `--class=model|lora` in lower case.
//! - Shell words (arguments, flag values, `ARG` defaults, `LABEL` keys and values): literal text
//!   is bare unless it needs quoting, then it is in double quotes, inside which `"`, `$` and the
//!   escape character are escaped. It needs quoting when it holds whitespace, a control
//!   character, `"`, `'`, `$` or the escape character (also `=` in a `LABEL` key, `}` in a
//!   modifier's word), when a word starts with `#`, `--`, `<<` or `[`, or when it follows an
//!   unbraced `$NAME` and starts with a name character. An empty word prints `""`. `ARG` names
//!   print as they are.
//! - Variables print as written: `$NAME`, `${NAME}`, `${NAME:-word}`, `${NAME-word}`,
//!   `${NAME:+word}`, `${NAME+word}`.
//! - `ADD` / `COPY` use the JSON form (`["src", "dest"]`) only when a word holds a line break
//!   and no source is a heredoc; there every `"`, `'`, `$` and escape character of literal text
//!   is escaped one by one. Heredoc sources print as `<<DELIM` markers in the source list, their
//!   bodies and delimiter lines following the instruction line in order, as for `CAT`. (A
//!   heredoc source next to a path holding a line break can't be printed so as to parse back.)
//! - Raw text (a heredoc body whose delimiter is not quoted, `CMD`'s shell form, each JSON string
//!   of `CMD`'s exec form): quotes are plain characters; `$` prints as `\$`, and the escape
//!   character is doubled only where what follows would otherwise make an escape of it. The exec
//!   form prints as a JSON array, strings escaped per JSON (`["-m", "${MODEL}"]`).
//! - `CAT <<DELIM <dest>`, the body, then the delimiter line: `<<-` for `strip_tabs`, the
//!   delimiter in double quotes when `quoted` (its body printed verbatim). The AST's delimiter
//!   is kept unless a body line would close the heredoc early; then the first free `EOF`,
//!   `EOF1`, … is used (for an `ADD` / `COPY` heredoc, whose delimiter is the file name, that
//!   renames the file).
//!
//! The escape character is the one the `# escape=` directive names (`\` or `` ` ``) when a whole
//! [`Packerfile`] is printed, `\` when a node is printed on its own.

use std::fmt::{self, Write as _};

use crate::ast::{
    Add, Arg, Cat, Cmd, Convert, ConvertClass, Copy, Directive, From, Heredoc, Instruction,
    InstructionKind, Label, Packerfile, Quantize, Source, Stage, VarOp, VarRef, Word, WordPart,
};

/// The default escape character.
const BACKSLASH: char = '\\';

/// Where a word is printed, which decides how its text is quoted or escaped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ctx {
    /// A whitespace-separated shell word: an argument, a flag's value, an `ARG` default, a
    /// `LABEL` value. Literal text that needs it goes in double quotes.
    Arg,
    /// A `LABEL` key: a shell word that must not show a bare `=`.
    Key,
    /// The word of a modifier (`${V:-word}`) inside a shell word: must not show a bare `}`.
    NestedShell,
    /// One JSON string of the JSON form of `ADD` / `COPY`: a shell word over the whole string,
    /// whitespace included, whose special characters are escaped one by one.
    JsonShell,
    /// Raw text, where quotes are ordinary characters and only `$` and the escape character
    /// are special: heredoc bodies, `CMD`'s shell form, one JSON string of `CMD`'s exec form.
    Raw,
    /// Raw text that ends its line (`CMD`'s shell form): must not end in the escape character
    /// (a line continuation).
    RawLine,
    /// The word of a modifier inside raw text: must not show a bare `}`.
    NestedRaw,
}

impl Ctx {
    fn nested(self) -> Ctx {
        match self {
            Ctx::Arg | Ctx::Key | Ctx::NestedShell | Ctx::JsonShell => Ctx::NestedShell,
            Ctx::Raw | Ctx::RawLine | Ctx::NestedRaw => Ctx::NestedRaw,
        }
    }
}

/// Prints AST nodes with a given escape character.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Printer {
    /// The escape character: `\` or `` ` ``.
    pub(crate) escape: char,
}

impl Default for Printer {
    fn default() -> Self {
        Printer { escape: BACKSLASH }
    }
}

impl Printer {
    /// The printer for a file: its `escape` directive, when it names `` ` ``, else `\`.
    pub(crate) fn for_file(file: &Packerfile) -> Printer {
        let escape = file
            .directives
            .iter()
            .rev()
            .find(|d| d.name.eq_ignore_ascii_case("escape"))
            .map(|d| d.value.trim());
        Printer {
            escape: if escape == Some("`") { '`' } else { BACKSLASH },
        }
    }

    // ----- words ---------------------------------------------------------------------------

    /// Appends `word` as source text for context `ctx`.
    pub(crate) fn word(&self, out: &mut String, word: &Word, ctx: Ctx) {
        if word.parts.is_empty() {
            if matches!(ctx, Ctx::Arg | Ctx::Key) {
                out.push_str("\"\"");
            }
            return;
        }
        let mut prev_unbraced_var = false;
        for (i, part) in word.parts.iter().enumerate() {
            match part {
                WordPart::Literal(s) => {
                    let follows_var = i + 1 < word.parts.len();
                    match ctx {
                        Ctx::Arg | Ctx::Key | Ctx::NestedShell => {
                            let force =
                                prev_unbraced_var && s.chars().next().is_some_and(is_name_char);
                            self.shell_literal(out, s, ctx, i == 0, force);
                        }
                        Ctx::JsonShell => {
                            let force =
                                prev_unbraced_var && s.chars().next().is_some_and(is_name_char);
                            self.escaped_literal(out, s, force);
                        }
                        Ctx::Raw | Ctx::RawLine | Ctx::NestedRaw => {
                            self.raw_literal(out, s, ctx, follows_var)
                        }
                    }
                    prev_unbraced_var = false;
                }
                WordPart::Var(v) => {
                    self.var_in(out, v, ctx.nested());
                    prev_unbraced_var = !v.braced && v.op.is_none();
                }
            }
        }
    }

    /// Appends a variable reference: `$NAME`, `${NAME}` or `${NAME<op>word}` (the modifier's
    /// word printed for a shell word).
    pub(crate) fn var(&self, out: &mut String, v: &VarRef) {
        self.var_in(out, v, Ctx::NestedShell);
    }

    fn var_in(&self, out: &mut String, v: &VarRef, nested: Ctx) {
        match &v.op {
            None if !v.braced => {
                out.push('$');
                out.push_str(&v.name);
            }
            None => {
                out.push_str("${");
                out.push_str(&v.name);
                out.push('}');
            }
            Some(op) => {
                let (colon, sym, word) = match op {
                    VarOp::Default { colon, word } => (*colon, '-', word),
                    VarOp::Alternative { colon, word } => (*colon, '+', word),
                };
                out.push_str("${");
                out.push_str(&v.name);
                if colon {
                    out.push(':');
                }
                out.push(sym);
                self.word(out, word, nested);
                out.push('}');
            }
        }
    }

    /// Literal text in a shell word: bare when nothing in it is special, else in double quotes
    /// (inside which the escape character escapes `"`, `$` and itself).
    fn shell_literal(&self, out: &mut String, s: &str, ctx: Ctx, first: bool, force: bool) {
        let e = self.escape;
        let needs = force
            || (first && starts_specially(s))
            || s.chars().any(|c| {
                c.is_whitespace()
                    || c.is_control()
                    || matches!(c, '"' | '\'' | '$')
                    || c == e
                    || (ctx == Ctx::Key && c == '=')
                    || (ctx == Ctx::NestedShell && c == '}')
            });
        if !needs {
            out.push_str(s);
            return;
        }
        out.push('"');
        for c in s.chars() {
            if matches!(c, '"' | '$') || c == e {
                out.push(e);
            }
            out.push(c);
        }
        out.push('"');
    }

    /// Literal text in an unquoted shell word, each special character (quotes, `$`, the escape
    /// character; the first one too when `force`) preceded by the escape character.
    fn escaped_literal(&self, out: &mut String, s: &str, force: bool) {
        let e = self.escape;
        for (i, c) in s.chars().enumerate() {
            if (i == 0 && force) || matches!(c, '"' | '\'' | '$') || c == e {
                out.push(e);
            }
            out.push(c);
        }
    }

    /// Literal text in raw text: `$` (and `}` in a modifier's word) escaped; the escape
    /// character doubled only where the next character would make an escape of it (a `$`, the
    /// escape character, a `}` or the end of a modifier's word).
    fn raw_literal(&self, out: &mut String, s: &str, ctx: Ctx, follows_var: bool) {
        let e = self.escape;
        let nested = ctx == Ctx::NestedRaw;
        let mut chars = s.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '$' || (nested && c == '}') {
                out.push(e);
                out.push(c);
            } else if c == e {
                let next_escapes = match chars.peek() {
                    Some(&n) => n == '$' || n == e || (nested && n == '}'),
                    None => follows_var || nested,
                } || (ctx == Ctx::RawLine
                    && !follows_var
                    && chars.clone().all(|n| n == ' ' || n == '\t'));
                out.push(e);
                if next_escapes {
                    out.push(e);
                }
            } else {
                out.push(c);
            }
        }
    }

    // ----- instructions --------------------------------------------------------------------

    fn flag_word(&self, out: &mut String, name: &str, value: &Option<Word>) {
        if let Some(w) = value {
            self.flag_value(out, name, w);
        }
    }

    fn flag_value(&self, out: &mut String, name: &str, w: &Word) {
        out.push_str(" --");
        out.push_str(name);
        out.push('=');
        self.word(out, w, Ctx::Arg);
    }

    fn flag_bool(&self, out: &mut String, name: &str, value: Option<bool>) {
        match value {
            Some(true) => {
                out.push_str(" --");
                out.push_str(name);
            }
            Some(false) => {
                out.push_str(" --");
                out.push_str(name);
                out.push_str("=false");
            }
            None => {}
        }
    }

    fn args(&self, out: &mut String, words: &[Word]) {
        for w in words {
            out.push(' ');
            self.word(out, w, Ctx::Arg);
        }
    }

    pub(crate) fn from(&self, out: &mut String, f: &From) {
        out.push_str("FROM");
        self.flag_word(out, "platform", &f.platform);
        out.push(' ');
        self.word(out, &f.image, Ctx::Arg);
        if let Some(alias) = &f.alias {
            out.push_str(" AS ");
            self.word(out, alias, Ctx::Arg);
        }
    }

    fn arg(&self, out: &mut String, a: &Arg) {
        out.push_str("ARG");
        for d in &a.args {
            out.push(' ');
            out.push_str(&d.name);
            if let Some(w) = &d.default {
                out.push('=');
                self.word(out, w, Ctx::Arg);
            }
        }
    }

    fn label(&self, out: &mut String, l: &Label) {
        out.push_str("LABEL");
        for (k, v) in &l.pairs {
            out.push(' ');
            self.word(out, k, Ctx::Key);
            out.push('=');
            self.word(out, v, Ctx::Arg);
        }
    }

    fn add(&self, out: &mut String, a: &Add) {
        out.push_str("ADD");
        self.flag_bool(out, "keep-git-dir", a.keep_git_dir);
        self.flag_word(out, "checksum", &a.checksum);
        self.flag_word(out, "chown", &a.chown);
        self.flag_word(out, "chmod", &a.chmod);
        self.flag_bool(out, "link", a.link);
        for x in &a.exclude {
            self.flag_value(out, "exclude", x);
        }
        self.sources_and_dest(out, &a.sources, &a.dest);
    }

    fn copy(&self, out: &mut String, c: &Copy) {
        out.push_str("COPY");
        self.flag_word(out, "from", &c.from);
        self.flag_bool(out, "parents", c.parents);
        self.flag_word(out, "chown", &c.chown);
        self.flag_word(out, "chmod", &c.chmod);
        self.flag_bool(out, "link", c.link);
        for x in &c.exclude {
            self.flag_value(out, "exclude", x);
        }
        self.sources_and_dest(out, &c.sources, &c.dest);
    }

    /// The sources and destination of `ADD` / `COPY`: shell words and heredoc markers, then the
    /// heredoc bodies in order; or the JSON form when a word holds a line break (which only a
    /// JSON string can carry) and there is no heredoc.
    fn sources_and_dest(&self, out: &mut String, sources: &[Source], dest: &Word) {
        let paths = sources.iter().filter_map(Source::as_path);
        let json = sources.iter().all(|s| s.as_path().is_some())
            && paths.chain(std::iter::once(dest)).any(has_newline);
        if json {
            out.push_str(" [");
            let all = sources.iter().filter_map(Source::as_path);
            for (i, w) in all.chain(std::iter::once(dest)).enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                let mut inner = String::new();
                self.word(&mut inner, w, Ctx::JsonShell);
                json_string(out, &inner);
            }
            out.push(']');
            return;
        }
        let mut bodies = Vec::new();
        for s in sources {
            match s {
                Source::Path(w) => self.args(out, std::slice::from_ref(w)),
                Source::Heredoc(h) => {
                    out.push(' ');
                    bodies.push(self.heredoc_marker(out, h));
                }
            }
        }
        self.args(out, std::slice::from_ref(dest));
        for (body, delim) in bodies {
            out.push('\n');
            self.heredoc_rest(out, &body, &delim);
        }
    }

    fn cat(&self, out: &mut String, c: &Cat) {
        out.push_str("CAT ");
        let (body, delim) = self.heredoc_marker(out, &c.heredoc);
        out.push(' ');
        self.word(out, &c.dest, Ctx::Arg);
        out.push('\n');
        self.heredoc_rest(out, &body, &delim);
    }

    /// Prints `<<DELIM` (or `<<-DELIM`, quoted or not); returns the body's text and the
    /// delimiter that closes it.
    fn heredoc_marker(&self, out: &mut String, h: &Heredoc) -> (String, String) {
        let body = self.heredoc_body(h);
        let delim = choose_delimiter(&h.delimiter, &body, h.strip_tabs);
        out.push_str("<<");
        if h.strip_tabs {
            out.push('-');
        }
        self.delimiter(out, &delim, h.quoted, h.strip_tabs);
        (body, delim)
    }

    /// A heredoc's body and its closing delimiter line (without its line break).
    fn heredoc_rest(&self, out: &mut String, body: &str, delim: &str) {
        out.push_str(body);
        if !body.is_empty() && !body.ends_with('\n') {
            out.push('\n');
        }
        out.push_str(delim);
    }

    /// The delimiter after `<<` / `<<-`: in double quotes when quoted (a `"` in it in single
    /// quotes), else with separators, quotes, `<`, the escape character and a leading `-`
    /// escaped.
    fn delimiter(&self, out: &mut String, delim: &str, quoted: bool, strip_tabs: bool) {
        let e = self.escape;
        if quoted {
            let mut open = false;
            for c in delim.chars() {
                if c == '"' {
                    if open {
                        out.push('"');
                        open = false;
                    }
                    out.push_str("'\"'");
                } else {
                    if !open {
                        out.push('"');
                        open = true;
                    }
                    out.push(c);
                }
            }
            if open {
                out.push('"');
            }
            return;
        }
        for (i, c) in delim.chars().enumerate() {
            let special = is_sep(c)
                || matches!(c, '<' | '\'' | '"')
                || c == e
                || (i == 0 && c == '-' && !strip_tabs);
            if special {
                out.push(e);
            }
            out.push(c);
        }
    }

    /// The source text of a heredoc body: literal when the delimiter is quoted, escaped
    /// otherwise.
    fn heredoc_body(&self, h: &Heredoc) -> String {
        let mut body = String::new();
        if h.quoted {
            for part in &h.body.parts {
                match part {
                    WordPart::Literal(s) => body.push_str(s),
                    WordPart::Var(v) => self.var(&mut body, v),
                }
            }
        } else {
            self.word(&mut body, &h.body, Ctx::Raw);
        }
        body
    }

    fn cmd(&self, out: &mut String, c: &Cmd) {
        out.push_str("CMD ");
        match c {
            Cmd::Exec(words) => {
                out.push('[');
                for (i, w) in words.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    let mut inner = String::new();
                    self.word(&mut inner, w, Ctx::Raw);
                    json_string(out, &inner);
                }
                out.push(']');
            }
            Cmd::Shell(w) => self.word(out, w, Ctx::RawLine),
        }
    }

    fn convert(&self, out: &mut String, c: &Convert) {
        out.push_str("CONVERT");
        self.flag_word(out, "from", &c.from);
        match c.class {
            Some(ConvertClass::Model) => out.push_str(" --class=model"),
            Some(ConvertClass::Lora) => out.push_str(" --class=lora"),
            None => {}
        }
        self.flag_word(out, "base", &c.base);
        self.flag_word(out, "type", &c.ty);
        self.args(out, std::slice::from_ref(&c.src));
        self.args(out, std::slice::from_ref(&c.dest));
    }

    fn quantize(&self, out: &mut String, q: &Quantize) {
        out.push_str("QUANTIZE");
        self.flag_word(out, "from", &q.from);
        self.flag_word(out, "type", &q.ty);
        self.flag_bool(out, "pure", q.pure);
        self.flag_word(out, "imatrix", &q.imatrix);
        for x in &q.include_weights {
            self.flag_value(out, "include-weights", x);
        }
        for x in &q.exclude_weights {
            self.flag_value(out, "exclude-weights", x);
        }
        self.flag_bool(out, "leave-output-tensor", q.leave_output_tensor);
        self.flag_word(out, "output-tensor-type", &q.output_tensor_type);
        self.flag_word(out, "token-embedding-type", &q.token_embedding_type);
        self.args(out, std::slice::from_ref(&q.src));
        self.args(out, std::slice::from_ref(&q.dest));
    }

    /// Appends one instruction (a `CAT` spans several lines; no final newline).
    pub(crate) fn instruction(&self, out: &mut String, kind: &InstructionKind) {
        match kind {
            InstructionKind::From(f) => self.from(out, f),
            InstructionKind::Arg(a) => self.arg(out, a),
            InstructionKind::Label(l) => self.label(out, l),
            InstructionKind::Add(a) => self.add(out, a),
            InstructionKind::Copy(c) => self.copy(out, c),
            InstructionKind::Cat(c) => self.cat(out, c),
            InstructionKind::Cmd(c) => self.cmd(out, c),
            InstructionKind::Convert(c) => self.convert(out, c),
            InstructionKind::Quantize(q) => self.quantize(out, q),
        }
    }

    fn stage(&self, out: &mut String, s: &Stage) {
        self.from(out, &s.from);
        out.push('\n');
        for i in &s.instructions {
            self.instruction(out, &i.kind);
            out.push('\n');
        }
    }

    fn file(&self, out: &mut String, file: &Packerfile) {
        for d in &file.directives {
            directive(out, d);
        }
        let mut sections = !file.directives.is_empty();
        if !file.global_args.is_empty() {
            if sections {
                out.push('\n');
            }
            for i in &file.global_args {
                self.instruction(out, &i.kind);
                out.push('\n');
            }
            sections = true;
        }
        for s in &file.stages {
            if sections {
                out.push('\n');
            }
            self.stage(out, s);
            sections = true;
        }
    }
}

fn directive(out: &mut String, d: &Directive) {
    out.push_str("# ");
    out.push_str(&d.name);
    out.push('=');
    out.push_str(&d.value);
    out.push('\n');
}

/// Can `c` continue an unbraced variable name (`$NAME`, a name being `[A-Za-z_][A-Za-z0-9_]*`)?
fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Would a word starting with `s` be read as something else than a plain argument: a comment
/// (`#`), a flag (`--`), a heredoc (`<<`) or a JSON array (`[`)?
fn starts_specially(s: &str) -> bool {
    s.starts_with('#') || s.starts_with("--") || s.starts_with("<<") || s.starts_with('[')
}

/// Does a literal of `w` (modifier words included) hold a line break?
fn has_newline(w: &Word) -> bool {
    w.parts.iter().any(|p| match p {
        WordPart::Literal(s) => s.contains('\n'),
        WordPart::Var(v) => match &v.op {
            Some(VarOp::Default { word, .. }) | Some(VarOp::Alternative { word, .. }) => {
                has_newline(word)
            }
            None => false,
        },
    })
}

/// A word separator of the instruction line (` `, tab, CR, VT, FF).
fn is_sep(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\x0b' | '\x0c')
}

/// The heredoc delimiter to print: the AST's own when no line of the printed body would end
/// the heredoc early, else the first of `EOF`, `EOF1`, `EOF2`, … that none would.
fn choose_delimiter(own: &str, body: &str, strip_tabs: bool) -> String {
    let closes = |d: &str| {
        body.split('\n').any(|line| {
            let line = line.trim_end_matches('\r');
            let line = if strip_tabs {
                line.trim_start_matches('\t')
            } else {
                line
            };
            line == d
        })
    };
    let usable = |d: &str| !d.is_empty() && !d.contains(['\n', '\r']) && !closes(d);
    if usable(own) {
        return own.to_string();
    }
    (0u64..)
        .map(|n| {
            if n == 0 {
                "EOF".to_string()
            } else {
                format!("EOF{n}")
            }
        })
        .find(|d| usable(d))
        .unwrap_or_else(|| "EOF".to_string())
}

/// Appends `s` as a JSON string literal.
pub(crate) fn json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || c == '\u{7f}' || c == '\u{2028}' || c == '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// The source form of a variable reference (`$A`, `${A}`, `${A:-word}`), with `\` as the
/// escape character.
pub(crate) fn var_source(v: &VarRef) -> String {
    let mut s = String::new();
    Printer::default().var(&mut s, v);
    s
}

impl fmt::Display for Packerfile {
    /// The canonical Packerfile text, each line (the last included) ending in `\n`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        Printer::for_file(self).file(&mut out, self);
        f.write_str(&out)
    }
}

impl fmt::Display for Stage {
    /// The `FROM` line and the stage's instructions, each line ending in `\n`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        Printer::default().stage(&mut out, self);
        f.write_str(&out)
    }
}

impl fmt::Display for Instruction {
    /// The instruction (several lines for `CAT`), without a final newline.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.kind, f)
    }
}

impl fmt::Display for InstructionKind {
    /// The instruction (several lines for `CAT`), without a final newline.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        Printer::default().instruction(&mut out, self);
        f.write_str(&out)
    }
}

impl fmt::Display for From {
    /// The `FROM` line, without a newline.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        Printer::default().from(&mut out, self);
        f.write_str(&out)
    }
}

impl fmt::Display for Word {
    /// The word as one argument of an instruction, quoted where needed (`""` when empty).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        Printer::default().word(&mut out, self, Ctx::Arg);
        f.write_str(&out)
    }
}

impl fmt::Display for VarRef {
    /// `$NAME`, `${NAME}` or `${NAME<op>word}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&var_source(self))
    }
}

impl fmt::Display for Directive {
    /// `# name=value`, without a newline.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "# {}={}", self.name, self.value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ast::{ArgDecl, Convert, Span};
    use crate::parse;
    use crate::resolve::testutil::{arg, at, cat, cmd_exec, copy, file, paths, stage, w};

    fn lit(s: &str) -> Word {
        Word::literal(s)
    }

    fn words(ws: &[&str]) -> Vec<Word> {
        ws.iter().map(|s| lit(s)).collect()
    }

    fn var(name: &str, braced: bool) -> WordPart {
        WordPart::Var(VarRef {
            name: name.into(),
            braced,
            op: None,
        })
    }

    fn parts(p: Vec<WordPart>) -> Word {
        Word {
            parts: p,
            span: Span::default(),
        }
    }

    /// Prints, parses the print, and checks it is the same AST; returns the print.
    #[track_caller]
    fn round_trip(pf: &Packerfile) -> String {
        let text = pf.to_string();
        match parse(&text) {
            Ok(back) => assert_eq!(&back, pf, "print:\n{text}"),
            Err(e) => panic!("the print does not parse: {e}\nprint:\n{text}"),
        }
        text
    }

    fn one(kind: InstructionKind) -> Packerfile {
        file(vec![], vec![stage("scratch", None, vec![at(2, kind)])])
    }

    /// The line printed for a single instruction (after `FROM scratch`), round trip checked.
    #[track_caller]
    fn line(kind: InstructionKind) -> String {
        let text = round_trip(&one(kind));
        text.strip_prefix("FROM scratch\n")
            .unwrap()
            .trim_end_matches('\n')
            .to_string()
    }

    #[test]
    fn words_quote_only_when_needed() {
        let cases: Vec<(Word, &str)> = vec![
            (lit("plain/path-1.gguf"), "plain/path-1.gguf"),
            (lit("Привет日本"), "Привет日本"),
            (Word::default(), "\"\""),
            (lit("Hugging Face"), "\"Hugging Face\""),
            (lit("tab\there"), "\"tab\there\""),
            (lit("a\"b"), "\"a\\\"b\""),
            (lit("it's"), "\"it's\""),
            (lit("$HOME"), "\"\\$HOME\""),
            (lit("C:\\x"), "\"C:\\\\x\""),
            (lit("trailing\\"), "\"trailing\\\\\""),
            (lit("--not-a-flag"), "\"--not-a-flag\""),
            (lit("-x"), "-x"),
            (lit("#hash"), "\"#hash\""),
            (lit("a#b"), "a#b"),
            (lit("<<EOF"), "\"<<EOF\""),
            (lit("[x]"), "\"[x]\""),
            (lit("a=b"), "a=b"),
            (lit("}{"), "}{"),
            (
                parts(vec![var("A", false), WordPart::Literal("b".into())]),
                "$A\"b\"",
            ),
            (
                parts(vec![var("A", false), WordPart::Literal(".b".into())]),
                "$A.b",
            ),
            (
                parts(vec![var("A", true), WordPart::Literal("b".into())]),
                "${A}b",
            ),
            (
                parts(vec![WordPart::Literal("x y".into()), var("A", false)]),
                "\"x y\"$A",
            ),
            (
                w("${A:-d}${B-}${C:+a b}${D+\\}}"),
                "${A:-d}${B-}${C:+\"a b\"}${D+\"}\"}",
            ),
            (w("${A:-${B:-x}}"), "${A:-${B:-x}}"),
        ];
        for (word, want) in cases {
            assert_eq!(word.to_string(), want, "{word:?}");
            let kind = InstructionKind::Copy(Copy {
                sources: paths(vec![word.clone()]),
                dest: word.clone(),
                ..Copy::default()
            });
            assert_eq!(line(kind), format!("COPY {want} {want}"));
        }
    }

    #[test]
    fn label_keys_and_arg_defaults() {
        let label = InstructionKind::Label(Label {
            pairs: vec![
                (lit("org.opencontainers.image.title"), lit("Qwen2 0.5B")),
                (lit("k=ey"), lit("v=al")),
                (w("$K"), Word::default()),
            ],
        });
        assert_eq!(
            line(label),
            "LABEL org.opencontainers.image.title=\"Qwen2 0.5B\" \"k=ey\"=v=al $K=\"\""
        );
        let decl = |name: &str, default: Option<Word>| ArgDecl {
            name: name.into(),
            default,
            span: Span::default(),
        };
        let a = InstructionKind::Arg(Arg {
            args: vec![
                decl("A", None),
                decl("B", Some(Word::default())),
                decl("T", Some(lit("{{ '<|im_start|>' + '\\n' }}"))),
                decl("Q", Some(lit("say \"hi\""))),
            ],
        });
        assert_eq!(
            line(a),
            "ARG A B=\"\" T=\"{{ '<|im_start|>' + '\\\\n' }}\" Q=\"say \\\"hi\\\"\""
        );
    }

    #[test]
    fn flags_in_canonical_order() {
        let add = InstructionKind::Add(Add {
            keep_git_dir: Some(false),
            checksum: Some(lit("sha256:abc")),
            chown: Some(lit("1000:1000")),
            chmod: Some(lit("644")),
            link: Some(true),
            exclude: words(&["*.md", "*.txt"]),
            sources: paths(words(&["https://x/y.git", "b"])),
            dest: lit("/app/"),
        });
        assert_eq!(
            line(add),
            "ADD --keep-git-dir=false --checksum=sha256:abc --chown=1000:1000 --chmod=644 --link \
             --exclude=*.md --exclude=*.txt https://x/y.git b /app/"
        );
        let copy = InstructionKind::Copy(Copy {
            from: Some(lit("0")),
            parents: Some(true),
            link: Some(false),
            sources: paths(words(&["--a"])),
            dest: lit("b c"),
            ..Copy::default()
        });
        assert_eq!(
            line(copy),
            "COPY --from=0 --parents --link=false \"--a\" \"b c\""
        );
        let convert = InstructionKind::Convert(Convert {
            from: Some(lit("f16")),
            class: Some(ConvertClass::Lora),
            base: Some(lit("Qwen2-1.5B")),
            ty: Some(lit("F16")),
            src: lit("lora"),
            dest: lit("lora.gguf"),
        });
        assert_eq!(
            line(convert),
            "CONVERT --from=f16 --class=lora --base=Qwen2-1.5B --type=F16 lora lora.gguf"
        );
        let q = InstructionKind::Quantize(Quantize {
            from: Some(lit("context")),
            ty: Some(w("${T:-Q4_K_M}")),
            pure: Some(true),
            imatrix: Some(lit("m.dat")),
            include_weights: words(&["a,b", "c"]),
            exclude_weights: vec![],
            leave_output_tensor: Some(false),
            output_tensor_type: Some(lit("q8_0")),
            token_embedding_type: Some(lit("Q6_K")),
            src: lit("in.gguf"),
            dest: lit("out.gguf"),
        });
        assert_eq!(
            line(q),
            "QUANTIZE --from=context --type=${T:-Q4_K_M} --pure --imatrix=m.dat \
             --include-weights=a,b --include-weights=c --leave-output-tensor=false \
             --output-tensor-type=q8_0 --token-embedding-type=Q6_K in.gguf out.gguf"
        );
        let q = InstructionKind::Quantize(Quantize {
            imatrix: Some(lit("m")),
            exclude_weights: words(&["x"]),
            src: lit("a"),
            dest: lit("b"),
            ..Quantize::default()
        });
        assert_eq!(line(q), "QUANTIZE --imatrix=m --exclude-weights=x a b");
        let c = InstructionKind::Convert(Convert {
            class: Some(ConvertClass::Model),
            src: lit("a"),
            dest: lit("b"),
            ..Convert::default()
        });
        assert_eq!(line(c), "CONVERT --class=model a b");
    }

    #[test]
    fn cmd_exec_and_shell() {
        let exec = cmd_exec(&[
            "-m",
            "Qwen2.${QUANTIZE_TYPE}.gguf",
            "--chat-template",
            "${CHAT_TEMPLATE}",
        ]);
        assert_eq!(
            line(exec.kind),
            "CMD [\"-m\", \"Qwen2.${QUANTIZE_TYPE}.gguf\", \"--chat-template\", \"${CHAT_TEMPLATE}\"]"
        );
        let tricky = Cmd::Exec(vec![
            lit("say \"hi\"\n\ttab"),
            lit("$literal \\ back\\"),
            lit("{{'x'}}"),
            parts(vec![WordPart::Literal("a\\".into()), var("B", true)]),
            Word::default(),
        ]);
        assert_eq!(
            line(InstructionKind::Cmd(tricky)),
            r#"CMD ["say \"hi\"\n\ttab", "\\$literal \\ back\\", "{{'x'}}", "a\\\\${B}", ""]"#
        );
        assert_eq!(line(InstructionKind::Cmd(Cmd::Exec(vec![]))), "CMD []");
        let shell = Cmd::Shell(parts(vec![
            WordPart::Literal("-m \"a b\" 'c' \\n $".into()),
            var("X", false),
            WordPart::Literal(" end\\".into()),
        ]));
        assert_eq!(
            line(InstructionKind::Cmd(shell)),
            r#"CMD -m "a b" 'c' \n \$$X end\\"#
        );
    }

    #[test]
    fn add_copy_json_form_only_for_line_breaks() {
        let copy = InstructionKind::Copy(Copy {
            from: Some(lit("f16")),
            sources: paths(vec![
                lit("a\nb"),
                parts(vec![var("A", false), WordPart::Literal("b \"'\\".into())]),
            ]),
            dest: lit("c d"),
            ..Copy::default()
        });
        assert_eq!(
            line(copy),
            r#"COPY --from=f16 ["a\nb", "$A\\b \\\"\\'\\\\", "c d"]"#
        );
        let add = InstructionKind::Add(Add {
            sources: paths(vec![lit("x y")]),
            dest: w("${D:-a\nb}"),
            ..Add::default()
        });
        assert_eq!(line(add), r#"ADD ["x y", "${D:-\"a\nb\"}"]"#);
    }

    #[test]
    fn cat_heredocs() {
        let text = round_trip(&file(
            vec![],
            vec![stage(
                "scratch",
                None,
                vec![
                    cat(false, "Hello ${NAME}, \\$5 costs \\\\\n", "/app/x.txt"),
                    cat(true, "raw ${NAME} \\ 'q'\n", "y"),
                ],
            )],
        ));
        assert_eq!(
            text,
            "FROM scratch\n\
             CAT <<EOF /app/x.txt\nHello ${NAME}, \\$5 costs \\\nEOF\n\
             CAT <<\"EOF\" y\nraw ${NAME} \\ 'q'\nEOF\n"
        );

        // Strip-tabs, odd delimiters.
        for (delim, quoted, strip, marker) in [
            ("END", false, true, "<<-END"),
            ("-x", false, false, "<<\\-x"),
            ("-x", false, true, "<<--x"),
            ("a b", true, false, "<<\"a b\""),
            ("a\"b", true, false, "<<\"a\"'\"'\"b\""),
            ("a b", false, false, "<<a\\ b"),
            ("q'", false, false, "<<q\\'"),
        ] {
            let c = InstructionKind::Cat(Cat {
                heredoc: Heredoc {
                    delimiter: delim.into(),
                    strip_tabs: strip,
                    quoted,
                    body: lit("body\n"),
                },
                dest: lit("out"),
            });
            assert_eq!(line(c), format!("CAT {marker} out\nbody\n{delim}"));
        }
        let empty = InstructionKind::Cat(Cat {
            heredoc: Heredoc {
                delimiter: "EOF".into(),
                strip_tabs: false,
                quoted: false,
                body: Word::default(),
            },
            dest: lit("e"),
        });
        assert_eq!(line(empty), "CAT <<EOF e\nEOF");
    }

    #[test]
    fn heredoc_delimiter_is_replaced_when_unusable() {
        let c = |delimiter: &str, body: &str| {
            InstructionKind::Cat(Cat {
                heredoc: Heredoc {
                    delimiter: delimiter.into(),
                    strip_tabs: false,
                    quoted: true,
                    body: lit(body),
                },
                dest: lit("d"),
            })
            .to_string()
        };
        assert_eq!(c("EOF", "EOF\nx\n"), "CAT <<\"EOF1\" d\nEOF\nx\nEOF1");
        assert_eq!(c("", "a\n"), "CAT <<\"EOF\" d\na\nEOF");
        assert_eq!(c("X", "X\nEOF\n"), "CAT <<\"EOF1\" d\nX\nEOF\nEOF1");
        // No final newline in the body: one is added before the delimiter.
        assert_eq!(c("EOF", "abc"), "CAT <<\"EOF\" d\nabc\nEOF");
    }

    #[test]
    fn whole_file_layout() {
        let mut pf = file(
            vec![arg(&[("BASE", Some("scratch"))])],
            vec![
                stage("scratch", Some("f16"), vec![copy(None, &["a"], "b")]),
                stage("${BASE}", None, vec![copy(Some("f16"), &["b"], "c")]),
            ],
        );
        pf.directives.push(Directive {
            name: "syntax".into(),
            value: "gpustack/gguf-packer:latest".into(),
            span: Span::default(),
        });
        pf.stages[1].from.platform = Some(lit("linux/amd64"));
        let text = round_trip(&pf);
        assert_eq!(
            text,
            "# syntax=gpustack/gguf-packer:latest\n\
             \n\
             ARG BASE=scratch\n\
             \n\
             FROM scratch AS f16\n\
             COPY a b\n\
             \n\
             FROM --platform=linux/amd64 ${BASE}\n\
             COPY --from=f16 b c\n"
        );
        assert_eq!(Packerfile::default().to_string(), "");
        assert_eq!(pf.stages[0].to_string(), "FROM scratch AS f16\nCOPY a b\n");
        assert_eq!(pf.stages[0].from.to_string(), "FROM scratch AS f16");
        assert_eq!(
            pf.directives[0].to_string(),
            "# syntax=gpustack/gguf-packer:latest"
        );
        assert_eq!(pf.stages[0].instructions[0].to_string(), "COPY a b");
        let v = VarRef {
            name: "A".into(),
            braced: true,
            op: None,
        };
        assert_eq!(v.to_string(), "${A}");
    }

    #[test]
    fn backtick_escape_file() {
        let mut pf = file(
            vec![],
            vec![stage(
                "scratch",
                None,
                vec![
                    copy(None, &["C:\\models\\m.gguf", "x"], "D:\\out"),
                    cat(true, "cost $5 `\n", "x"),
                    cmd_exec(&["a\\b"]),
                ],
            )],
        );
        if let InstructionKind::Copy(c) = &mut pf.stages[0].instructions[0].kind {
            c.sources = paths(words(&["C:\\models\\m.gguf", "`tick` $x"]));
            c.dest = lit("D:\\out");
        }
        if let InstructionKind::Cmd(Cmd::Exec(a)) = &mut pf.stages[0].instructions[2].kind {
            a[0] = lit("a\\b");
        }
        if let InstructionKind::Cat(c) = &mut pf.stages[0].instructions[1].kind {
            c.heredoc.quoted = false;
        }
        pf.directives.push(Directive {
            name: "escape".into(),
            value: "`".into(),
            span: Span::default(),
        });
        let text = round_trip(&pf);
        assert!(
            text.contains("COPY C:\\models\\m.gguf \"``tick`` `$x\" D:\\out\n"),
            "{text}"
        );
        assert!(text.contains("\ncost `$5 `\nEOF\n"), "{text}");
        assert!(text.contains("CMD [\"a\\\\b\"]"), "{text}");
    }

    const QUICK_START: &str = r#"# syntax=gpustack/gguf-packer:latest

ARG        BASE=scratch
ARG        QUANTIZE_TYPE=Q5_K_M
ARG        CHAT_TEMPLATE="{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"

FROM       scratch AS f16
ADD        https://huggingface.co/Qwen/Qwen2-0.5B-Instruct.git  Qwen2-0.5B-Instruct
CONVERT    --type=F16  Qwen2-0.5B-Instruct  Qwen2-0.5B-Instruct.F16.gguf

FROM       ${BASE}
LABEL      gguf.model.from="Hugging Face"
QUANTIZE   --from=f16 --type=${QUANTIZE_TYPE}  Qwen2-0.5B-Instruct.F16.gguf  Qwen2-0.5B-Instruct.${QUANTIZE_TYPE}.gguf
CAT        <<EOF system-prompt.txt
You are an AI assistant that follows instruction extremely well. Help as much as you can.
In answering questions, follow these steps:
EOF
CMD        ["-m", "Qwen2-0.5B-Instruct.${QUANTIZE_TYPE}.gguf", "-c", "8192", "--system-prompt-file", "system-prompt.txt", "--chat-template", "${CHAT_TEMPLATE}"]
"#;

    #[test]
    fn readme_quick_start_round_trips_and_resolves() {
        let pf = parse(QUICK_START).unwrap();
        let text = round_trip(&pf);
        // Printing is idempotent.
        assert_eq!(parse(&text).unwrap().to_string(), text);
        assert!(
            text.contains("LABEL gguf.model.from=\"Hugging Face\"\n"),
            "{text}"
        );
        assert!(text.contains(
            "\nFROM scratch AS f16\nADD https://huggingface.co/Qwen/Qwen2-0.5B-Instruct.git Qwen2-0.5B-Instruct\n"
        ));
        let r = pf.resolve(&Default::default()).unwrap();
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
        match r.stages[1].cmd() {
            Some(crate::ResolvedCmd::Exec(a)) => {
                assert_eq!(a[1], "Qwen2-0.5B-Instruct.Q5_K_M.gguf");
                assert!(a[7].starts_with("{% for message in messages %}{{'<|im_start|>'"));
                assert!(a[7].contains("'\\n'"), "{}", a[7]);
            }
            c => panic!("{c:?}"),
        }
    }

    #[test]
    fn sources_round_trip() {
        // Parse, print, parse again: the same AST, and the print is a fixed point.
        let sources = [
            "FROM a\nCOPY \"a b\" 'c d' e\\ f g\n",
            "FROM a\nLABEL a=b \"c d\"=\"e f\" g='h i' multi=\"l1 \\\n l2\"\n",
            "FROM a\nLABEL legacy value with spaces\n",
            "FROM --platform=$BUILDPLATFORM x:${TAG:-latest} AS Build\n",
            "ARG A B= C=\"\" D=''\nFROM $A$B${C}\"$D\"x\n",
            "FROM a\nCMD echo \"$HOME\" 'x' \\$ \\\\ \\n\n",
            "FROM a\nCMD [\"a\\\\$b\", \"\\u00e9\", \"${X:-\\\"}\"]\n",
            "FROM a\nCAT <<-EOT out\n\tindented $X\n\t\tEOT2\n\tEOT\n",
            "FROM a\nCAT <<'EOT' out\n$X \\$ \\\\\nEOT\n",
            "FROM a\nCOPY [\"a b\", \"c\"]\n",
            "FROM a\nCOPY --from=x [\"a\\nb\", \"$X\\\\\\\"\", \"c d\"]\n",
            "FROM a\nADD --link=false --chmod=755 -- --weird dest\n",
            "FROM a\nCOPY ${A:-\"x y\"} ${B:+'}'} c\n",
            "# escape=`\nFROM a\nCOPY C:\\x `$y z\n",
            "FROM a\nCMD end\\\\\n",
            "FROM a\r\nCOPY a\tb\r\n",
            "FROM a\nCOPY a\\\n  b\n",
            "FROM a\nCMD [\"x\\\\\", \"$\", \"\\\\$A\", \"${A:-\\\\\\\\}\"]\n",
            "FROM a\nCAT <<EOF out\nline with \\ and \\\\ and \\$ and $\nEOF\n",
            "FROM a\nCOPY <<A x <<-'B' /d/\n$X\nA\n\tb\n\tB\n",
            "FROM a\nADD --chmod=600 <<EOF /x.txt\nEOF\n",
        ];
        for src in sources {
            let pf = match parse(src) {
                Ok(pf) => pf,
                Err(e) => panic!("{src:?} does not parse: {e}"),
            };
            let text = round_trip(&pf);
            assert_eq!(parse(&text).unwrap().to_string(), text, "{src:?}");
        }
    }
}

/// Property tests: every AST the parser can produce prints to text that parses back to it.
#[cfg(test)]
mod props {
    use super::*;
    use crate::ast::{ArgDecl, Convert, Span};
    use crate::parse;
    use proptest::prelude::*;

    /// Characters of literal text: plain, quoting and escaping, syntax, unicode, whitespace.
    const POOL: &[char] = &[
        'a', 'b', 'z', 'Q', '_', '0', '9', '.', '/', ':', '-', ' ', '\t', '"', '\'', '$', '\\',
        '`', '{', '}', '=', '#', '[', ']', '<', ',', 'é', '日', '\u{a0}', '\u{3000}',
    ];

    /// Extra characters a JSON string can hold.
    const JSON_EXTRA: &[char] = &['\n', '\r', '\u{1}', '\u{7f}', '\u{2028}'];

    fn text(pool: Vec<char>, max: usize) -> impl Strategy<Value = String> {
        prop::collection::vec(prop::sample::select(pool), 1..max)
            .prop_map(|cs| cs.into_iter().collect())
    }

    fn name() -> impl Strategy<Value = String> {
        "[A-Za-z_][A-Za-z0-9_]{0,4}"
    }

    #[derive(Debug, Clone, Copy, PartialEq)]
    enum Kind {
        Shell,
        /// A shell word that may come from a JSON string (`ADD` / `COPY`).
        ShellJson,
        Raw,
        Json,
    }

    fn pool(kind: Kind) -> Vec<char> {
        let mut p = POOL.to_vec();
        if matches!(kind, Kind::Json | Kind::ShellJson) {
            p.extend_from_slice(JSON_EXTRA);
        }
        p
    }

    /// Words of `kind` nested up to `depth` levels, normalized as the parser makes them.
    fn word(kind: Kind, depth: u32) -> BoxedStrategy<Word> {
        let lit = text(pool(kind), 6).prop_map(WordPart::Literal);
        let var = if depth == 0 {
            (name(), any::<bool>())
                .prop_map(|(name, braced)| {
                    WordPart::Var(VarRef {
                        name,
                        braced,
                        op: None,
                    })
                })
                .boxed()
        } else {
            (
                name(),
                any::<bool>(),
                prop::option::of((any::<bool>(), any::<bool>(), word(kind, depth - 1))),
            )
                .prop_map(|(name, braced, op)| {
                    WordPart::Var(match op {
                        None => VarRef {
                            name,
                            braced,
                            op: None,
                        },
                        Some((alt, colon, w)) => VarRef {
                            name,
                            braced: true,
                            op: Some(if alt {
                                VarOp::Alternative {
                                    colon,
                                    word: Box::new(w),
                                }
                            } else {
                                VarOp::Default {
                                    colon,
                                    word: Box::new(w),
                                }
                            }),
                        },
                    })
                })
                .boxed()
        };
        prop::collection::vec(prop_oneof![3 => lit, 2 => var], 0..4)
            .prop_map(move |ps| normalize(ps, kind))
            .boxed()
    }

    /// Merges adjacent literals; in raw text, braces an unbraced variable that a name
    /// character follows (the parser would read them as one name).
    fn normalize(ps: Vec<WordPart>, kind: Kind) -> Word {
        let mut out: Vec<WordPart> = Vec::new();
        for p in ps {
            match (out.last_mut(), p) {
                (_, WordPart::Literal(s)) if s.is_empty() => {}
                (Some(WordPart::Literal(prev)), WordPart::Literal(s)) => prev.push_str(&s),
                (_, p) => out.push(p),
            }
        }
        if matches!(kind, Kind::Raw | Kind::Json) {
            for i in 1..out.len() {
                let next_is_name = matches!(&out[i], WordPart::Literal(s)
                    if s.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_'));
                if next_is_name {
                    if let WordPart::Var(v) = &mut out[i - 1] {
                        v.braced = true;
                    }
                }
            }
        }
        Word {
            parts: out,
            span: Span::default(),
        }
    }

    fn shell() -> BoxedStrategy<Word> {
        word(Kind::Shell, 2)
    }

    /// A source or destination of `ADD` / `COPY`.
    fn path() -> BoxedStrategy<Word> {
        prop_oneof![3 => shell(), 1 => word(Kind::ShellJson, 2)].boxed()
    }

    fn opt_shell() -> impl Strategy<Value = Option<Word>> {
        prop::option::of(shell())
    }

    fn nonempty_shell() -> impl Strategy<Value = Word> {
        shell().prop_filter("empty", |w| !w.parts.is_empty())
    }

    fn flags() -> impl Strategy<Value = Option<bool>> {
        prop::option::of(any::<bool>())
    }

    fn stage_name() -> impl Strategy<Value = Word> {
        "[A-Za-z][A-Za-z0-9_.-]{0,6}".prop_map(Word::literal)
    }

    fn arg() -> impl Strategy<Value = InstructionKind> {
        prop::collection::vec((name(), opt_shell()), 1..4).prop_map(|ds| {
            InstructionKind::Arg(Arg {
                args: ds
                    .into_iter()
                    .map(|(name, default)| ArgDecl {
                        name,
                        default,
                        span: Span::default(),
                    })
                    .collect(),
            })
        })
    }

    fn heredoc() -> impl Strategy<Value = Heredoc> {
        let line_pool: Vec<char> = POOL.to_vec();
        (
            prop::sample::select(vec!["EOF", "END", "-d", "a b", "q'", "x\"y", "ab"]),
            any::<bool>(),
            any::<bool>(),
            prop::collection::vec(
                prop_oneof![
                    text(line_pool, 8).prop_map(Word::literal),
                    word(Kind::Raw, 1),
                ],
                0..4,
            ),
        )
            .prop_map(|(delim, strip_tabs, quoted, lines)| {
                let mut parts = Vec::new();
                for mut l in lines {
                    if quoted {
                        // A quoted body is one literal: keep the text, drop variables.
                        l.parts.retain(|p| matches!(p, WordPart::Literal(_)));
                    }
                    if strip_tabs {
                        if let Some(WordPart::Literal(s)) = l.parts.first_mut() {
                            *s = s.trim_start_matches('\t').to_string();
                        }
                    }
                    parts.extend(l.parts);
                    parts.push(WordPart::Literal("\n".into()));
                }
                let body = normalize(parts, Kind::Raw);
                Heredoc {
                    delimiter: delim.to_string(),
                    strip_tabs,
                    quoted,
                    body,
                }
            })
            .prop_filter("a body line closes the heredoc", |h| {
                let mut text = String::new();
                for p in &h.body.parts {
                    if let WordPart::Literal(s) = p {
                        text.push_str(s);
                    } else {
                        text.push('$');
                    }
                }
                !text.split('\n').any(|l| {
                    let l = if h.strip_tabs {
                        l.trim_start_matches('\t')
                    } else {
                        l
                    };
                    l == h.delimiter
                })
            })
    }

    /// `ADD` / `COPY` sources: mostly paths, some heredocs.
    fn sources() -> impl Strategy<Value = Vec<Source>> {
        prop::collection::vec(
            prop_oneof![
                3 => path().prop_map(Source::Path),
                1 => heredoc().prop_map(Source::Heredoc),
            ],
            1..4,
        )
    }

    /// Heredoc sources need the shell form, which can't hold a line break in a word.
    fn printable_sources(sources: &[Source], dest: &Word) -> bool {
        sources.iter().all(|s| s.as_path().is_some())
            || !(has_newline(dest) || sources.iter().filter_map(Source::as_path).any(has_newline))
    }

    fn cmd() -> impl Strategy<Value = InstructionKind> {
        prop_oneof![
            prop::collection::vec(word(Kind::Json, 1), 0..4)
                .prop_map(|ws| InstructionKind::Cmd(Cmd::Exec(ws))),
            word(Kind::Raw, 1)
                .prop_filter("not a valid shell form", |w| {
                    let mut t = String::new();
                    for p in &w.parts {
                        match p {
                            WordPart::Literal(s) => t.push_str(s),
                            WordPart::Var(_) => t.push('$'),
                        }
                    }
                    !t.is_empty()
                        && !t.starts_with('[')
                        && !t.starts_with("--")
                        && !t.starts_with(char::is_whitespace)
                        && !t.ends_with(char::is_whitespace)
                })
                .prop_map(|w| InstructionKind::Cmd(Cmd::Shell(w))),
        ]
    }

    fn instruction() -> impl Strategy<Value = InstructionKind> {
        prop_oneof![
            arg(),
            prop::collection::vec((nonempty_shell(), shell()), 1..3)
                .prop_map(|pairs| InstructionKind::Label(Label { pairs })),
            (
                (flags(), opt_shell(), opt_shell(), opt_shell(), flags()),
                prop::collection::vec(shell(), 0..2),
                sources(),
                path(),
            )
                .prop_filter("a heredoc source beside a line break", |(_, _, s, d)| {
                    printable_sources(s, d)
                })
                .prop_map(
                    |((kg, checksum, chown, chmod, link), exclude, sources, dest)| {
                        InstructionKind::Add(Add {
                            keep_git_dir: kg,
                            checksum,
                            chown,
                            chmod,
                            link,
                            exclude,
                            sources,
                            dest,
                        })
                    }
                ),
            (
                (opt_shell(), flags(), opt_shell(), opt_shell(), flags()),
                prop::collection::vec(shell(), 0..2),
                sources(),
                path(),
            )
                .prop_filter("a heredoc source beside a line break", |(_, _, s, d)| {
                    printable_sources(s, d)
                })
                .prop_map(
                    |((from, parents, chown, chmod, link), exclude, sources, dest)| {
                        InstructionKind::Copy(Copy {
                            from,
                            parents,
                            chown,
                            chmod,
                            link,
                            exclude,
                            sources,
                            dest,
                        })
                    }
                ),
            (heredoc(), shell())
                .prop_map(|(heredoc, dest)| InstructionKind::Cat(Cat { heredoc, dest })),
            cmd(),
            (
                opt_shell(),
                prop::option::of(prop::sample::select(vec![
                    ConvertClass::Model,
                    ConvertClass::Lora
                ])),
                opt_shell(),
                opt_shell(),
                shell(),
                shell(),
            )
                .prop_map(|(from, class, base, ty, src, dest)| {
                    let base = match (class, base) {
                        (Some(ConvertClass::Lora), None) => Some(Word::literal("base")),
                        (_, b) => b,
                    };
                    InstructionKind::Convert(Convert {
                        from,
                        class,
                        base,
                        ty,
                        src,
                        dest,
                    })
                }),
            (
                (opt_shell(), opt_shell(), flags(), opt_shell()),
                (any::<bool>(), prop::collection::vec(shell(), 0..3)),
                (flags(), opt_shell(), opt_shell()),
                (shell(), shell()),
            )
                .prop_map(
                    |((from, ty, pure, imatrix), (inc, weights), (lot, ott, tet), (src, dest))| {
                        let imatrix = match (&imatrix, weights.is_empty()) {
                            (None, false) => Some(Word::literal("imatrix.dat")),
                            _ => imatrix,
                        };
                        let (include_weights, exclude_weights) = if inc {
                            (weights, vec![])
                        } else {
                            (vec![], weights)
                        };
                        InstructionKind::Quantize(Quantize {
                            from,
                            ty,
                            pure,
                            imatrix,
                            include_weights,
                            exclude_weights,
                            leave_output_tensor: lot,
                            output_tensor_type: ott,
                            token_embedding_type: tet,
                            src,
                            dest,
                        })
                    }
                ),
        ]
    }

    fn stage() -> impl Strategy<Value = Stage> {
        (
            opt_shell(),
            shell(),
            prop::option::of(stage_name()),
            prop::collection::vec(instruction(), 0..4),
        )
            .prop_map(|(platform, image, alias, kinds)| Stage {
                from: From {
                    platform,
                    image,
                    alias,
                },
                span: Span::default(),
                instructions: kinds
                    .into_iter()
                    .map(|kind| Instruction {
                        kind,
                        span: Span::default(),
                    })
                    .collect(),
            })
    }

    fn directives() -> impl Strategy<Value = Vec<Directive>> {
        (
            prop::option::of(prop::sample::select(vec![
                "gpustack/gguf-packer:latest",
                "docker/dockerfile:1.7-labs",
            ])),
            prop::option::of(prop::sample::select(vec!["\\", "`"])),
            prop::option::of(prop::sample::select(vec!["skip=all", "error=true"])),
            any::<bool>(),
        )
            .prop_map(|(syntax, escape, check, reverse)| {
                let mut ds: Vec<Directive> =
                    [("syntax", syntax), ("escape", escape), ("check", check)]
                        .into_iter()
                        .filter_map(|(n, v)| {
                            v.map(|v| Directive {
                                name: n.into(),
                                value: v.into(),
                                span: Span::default(),
                            })
                        })
                        .collect();
                if reverse {
                    ds.reverse();
                }
                ds
            })
    }

    fn packerfile() -> impl Strategy<Value = Packerfile> {
        (
            directives(),
            prop::collection::vec(arg(), 0..3),
            prop::collection::vec(stage(), 0..3),
        )
            .prop_map(|(directives, globals, stages)| Packerfile {
                directives,
                global_args: globals
                    .into_iter()
                    .map(|kind| Instruction {
                        kind,
                        span: Span::default(),
                    })
                    .collect(),
                stages,
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 1500, ..ProptestConfig::default() })]

        #[test]
        fn print_parse_round_trip(pf in packerfile()) {
            let text = pf.to_string();
            match parse(&text) {
                Ok(back) => {
                    prop_assert_eq!(&back, &pf, "print:\n{}", text);
                    prop_assert_eq!(back.to_string(), text);
                }
                Err(e) => prop_assert!(false, "the print does not parse: {}\nprint:\n{}", e, text),
            }
        }

        #[test]
        fn resolve_never_panics(pf in packerfile()) {
            let _ = pf.resolve(&Default::default());
        }
    }
}
