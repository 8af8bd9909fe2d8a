//! The typed syntax tree of a GGUFPackerfile.
//!
//! Every instruction and word carries its [`Span`]. Spans never take part in equality, so an AST
//! parsed from a canonical print of another equals it (`parse(print(ast)) == ast`).
//!
//! Values are [`Word`]s: the text of an argument with quotes removed and escapes resolved,
//! split into literal parts and variable references, so that expansion ([`crate::Packerfile::resolve`])
//! needs no re-parsing and printing can re-quote exactly what needs it.

use std::fmt;

/// Where a node starts in the source: 1-based line and column (in characters), and the byte
/// range it covers. Two spans always compare equal.
#[derive(Debug, Clone, Copy, Default, Eq)]
pub struct Span {
    /// 1-based line.
    pub line: u32,
    /// 1-based column, in characters.
    pub column: u32,
    /// Byte offset of the start.
    pub offset: usize,
    /// Length in bytes.
    pub len: usize,
}

impl PartialEq for Span {
    /// Spans are positions, not content: they never make two nodes differ.
    fn eq(&self, _: &Span) -> bool {
        true
    }
}

impl std::hash::Hash for Span {
    /// Consistent with equality: spans hash to nothing.
    fn hash<H: std::hash::Hasher>(&self, _: &mut H) {}
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// A parsed GGUFPackerfile (or a Dockerfile whose `# syntax=` names gguf-packer).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Packerfile {
    /// Parser directives at the top (`# syntax=`, `# escape=`, `# check=`), in order.
    pub directives: Vec<Directive>,
    /// `ARG` instructions before the first `FROM` (global args), each an [`Instruction`] whose
    /// kind is [`InstructionKind::Arg`].
    pub global_args: Vec<Instruction>,
    /// The build stages, in order.
    pub stages: Vec<Stage>,
}

/// A parser directive: `# name=value`.
#[derive(Debug, Clone, PartialEq)]
pub struct Directive {
    /// Lower-case name: `syntax`, `escape` or `check`.
    pub name: String,
    /// The value, trimmed.
    pub value: String,
    /// Where it is.
    pub span: Span,
}

/// A stage: its `FROM` and the instructions after it, up to the next `FROM`.
#[derive(Debug, Clone, PartialEq)]
pub struct Stage {
    /// The `FROM` line.
    pub from: From,
    /// The span of the `FROM` instruction.
    pub span: Span,
    /// The stage's other instructions, in order.
    pub instructions: Vec<Instruction>,
}

/// One instruction with its span (from the instruction keyword to the end of its last line,
/// heredoc bodies included).
#[derive(Debug, Clone, PartialEq)]
pub struct Instruction {
    /// What it is.
    pub kind: InstructionKind,
    /// Where it is.
    pub span: Span,
}

/// The instructions of the language.
#[derive(Debug, Clone, PartialEq)]
pub enum InstructionKind {
    /// `FROM` (only inside [`Stage::from`] in a parsed file; kept here for printing and tools).
    From(From),
    /// `ARG`.
    Arg(Arg),
    /// `LABEL`.
    Label(Label),
    /// `ADD`.
    Add(Add),
    /// `COPY`.
    Copy(Copy),
    /// `CAT`.
    Cat(Cat),
    /// `CMD`.
    Cmd(Cmd),
    /// `CONVERT`.
    Convert(Convert),
    /// `QUANTIZE`.
    Quantize(Quantize),
}

/// `FROM [--platform=<p>] <image|scratch|stage> [AS <name>]`.
#[derive(Debug, Clone, PartialEq)]
pub struct From {
    /// `--platform`.
    pub platform: Option<Word>,
    /// The image, `scratch`, or a stage name.
    pub image: Word,
    /// The stage name after `AS` (as written; names are matched case-insensitively).
    pub alias: Option<Word>,
}

/// `ARG <name>[=<default>] …`.
#[derive(Debug, Clone, PartialEq)]
pub struct Arg {
    /// The declarations, in order.
    pub args: Vec<ArgDecl>,
}

/// One `name[=default]` of an `ARG`.
#[derive(Debug, Clone, PartialEq)]
pub struct ArgDecl {
    /// The variable name.
    pub name: String,
    /// The default value, when given (`ARG A=` gives an empty default, `ARG A` none).
    pub default: Option<Word>,
    /// Where the declaration is.
    pub span: Span,
}

/// `LABEL <key>=<value> …`.
#[derive(Debug, Clone, PartialEq)]
pub struct Label {
    /// The key-value pairs, in order.
    pub pairs: Vec<(Word, Word)>,
}

/// `ADD [--keep-git-dir] [--checksum=<algo>:<hex>] [--chown] [--chmod] [--link] [--exclude=…]
/// <src>… <dest>`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Add {
    /// `--keep-git-dir[=<bool>]`.
    pub keep_git_dir: Option<bool>,
    /// `--checksum=<algo>:<hex>`.
    pub checksum: Option<Word>,
    /// `--chown=<user>[:<group>]`.
    pub chown: Option<Word>,
    /// `--chmod=<perms>`.
    pub chmod: Option<Word>,
    /// `--link[=<bool>]`.
    pub link: Option<bool>,
    /// `--exclude=<pattern>`, repeatable.
    pub exclude: Vec<Word>,
    /// Sources: context paths, http(s) URLs or git URLs ([`Source::Path`]), or inline files
    /// ([`Source::Heredoc`], `ADD <<EOF /dest`).
    pub sources: Vec<Source>,
    /// Destination.
    pub dest: Word,
}

/// `COPY [--from=<stage|image|context>] [--parents] [--chown] [--chmod] [--link] [--exclude=…]
/// <src>… <dest>`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Copy {
    /// `--from=`.
    pub from: Option<Word>,
    /// `--parents[=<bool>]`.
    pub parents: Option<bool>,
    /// `--chown=`.
    pub chown: Option<Word>,
    /// `--chmod=`.
    pub chmod: Option<Word>,
    /// `--link[=<bool>]`.
    pub link: Option<bool>,
    /// `--exclude=`, repeatable.
    pub exclude: Vec<Word>,
    /// Sources: paths ([`Source::Path`]) or inline files ([`Source::Heredoc`],
    /// `COPY <<EOF /dest`).
    pub sources: Vec<Source>,
    /// Destination.
    pub dest: Word,
}

/// One source of [`Add`] or [`Copy`](struct@Copy).
///
/// As in BuildKit, every `<<NAME` in the source list is a heredoc: the bodies follow the
/// instruction line in the order of their markers, each closed by its own delimiter line
/// (`COPY <<FILE1 <<FILE2 /dest/` reads the body of `FILE1`, then the body of `FILE2`). A
/// heredoc source is a file whose content is the body and whose name is the delimiter (so
/// `COPY <<app.conf /etc/` writes `/etc/app.conf`, and `COPY <<EOF /x.txt` writes `/x.txt`,
/// the destination not ending in `/`). A heredoc can't be the destination, and the JSON form
/// has no heredocs.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// A path, URL or git URL.
    Path(Word),
    /// An inline file: `<<NAME` and its body.
    Heredoc(Heredoc),
}

impl Source {
    /// The path, when the source is one.
    pub fn as_path(&self) -> Option<&Word> {
        match self {
            Source::Path(w) => Some(w),
            Source::Heredoc(_) => None,
        }
    }
}

impl std::convert::From<Word> for Source {
    fn from(w: Word) -> Source {
        Source::Path(w)
    }
}

/// `CAT <<DELIM <dest>` followed by the heredoc body and `DELIM`.
#[derive(Debug, Clone, PartialEq)]
pub struct Cat {
    /// The content.
    pub heredoc: Heredoc,
    /// The file to write.
    pub dest: Word,
}

/// A heredoc: `<<EOF`, `<<-EOF` (leading tabs stripped), `<<"EOF"` / `<<'EOF'` (no expansion).
#[derive(Debug, Clone, PartialEq)]
pub struct Heredoc {
    /// The delimiter word, unquoted.
    pub delimiter: String,
    /// `<<-`: leading tabs were stripped from every body line.
    pub strip_tabs: bool,
    /// The delimiter was quoted: the body is literal, without variable expansion.
    pub quoted: bool,
    /// The body, each line ending in `\n`, the delimiter line excluded. When not quoted,
    /// variables in it are expanded at resolve time.
    pub body: Word,
}

/// `CMD`: exec (JSON array) form or shell form.
#[derive(Debug, Clone, PartialEq)]
pub enum Cmd {
    /// `CMD ["-m", "model.gguf"]`: one word per JSON string (variables in them are expanded).
    Exec(Vec<Word>),
    /// `CMD -m model.gguf`: the rest of the line as one word.
    Shell(Word),
}

/// The `--class` of `CONVERT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ConvertClass {
    /// A model (the default).
    #[default]
    Model,
    /// A PEFT LoRA adapter; needs `--base`.
    Lora,
}

/// `CONVERT [--from=…] [--class=model|lora] [--base=<dir>] [--type=<t>] <src> <dest>`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Convert {
    /// `--from=`.
    pub from: Option<Word>,
    /// `--class=` (absent means model).
    pub class: Option<ConvertClass>,
    /// `--base=` (required with `--class=lora`).
    pub base: Option<Word>,
    /// `--type=`: F32, F16, BF16, Q8_0, TQ1_0, TQ2_0 or AUTO (absent means F16).
    pub ty: Option<Word>,
    /// Source directory.
    pub src: Word,
    /// Destination GGUF file.
    pub dest: Word,
}

/// `QUANTIZE [--from=…] [--type=<ftype>] [--pure] [--imatrix=<file>] [--include-weights=<t>…]
/// [--exclude-weights=<t>…] [--leave-output-tensor] [--output-tensor-type=<t>]
/// [--token-embedding-type=<t>] <src> <dest>`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Quantize {
    /// `--from=`.
    pub from: Option<Word>,
    /// `--type=` (absent means Q5_K_M).
    pub ty: Option<Word>,
    /// `--pure[=<bool>]`.
    pub pure: Option<bool>,
    /// `--imatrix=`.
    pub imatrix: Option<Word>,
    /// `--include-weights=`, repeatable (each value may hold a comma-separated list).
    pub include_weights: Vec<Word>,
    /// `--exclude-weights=`, repeatable.
    pub exclude_weights: Vec<Word>,
    /// `--leave-output-tensor[=<bool>]`.
    pub leave_output_tensor: Option<bool>,
    /// `--output-tensor-type=`.
    pub output_tensor_type: Option<Word>,
    /// `--token-embedding-type=`.
    pub token_embedding_type: Option<Word>,
    /// Source GGUF.
    pub src: Word,
    /// Destination GGUF.
    pub dest: Word,
}

/// An argument value: literal text and variable references, quotes already removed.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Word {
    /// The parts, in order. Adjacent literals are merged by the parser.
    pub parts: Vec<WordPart>,
    /// Where the word is.
    pub span: Span,
}

/// A piece of a [`Word`].
#[derive(Debug, Clone, PartialEq)]
pub enum WordPart {
    /// Text taken as is (from plain text, quotes, `\$` or single quotes: never expanded).
    Literal(String),
    /// A variable reference to expand.
    Var(VarRef),
}

/// `$NAME`, `${NAME}` or `${NAME<op>word}`.
#[derive(Debug, Clone, PartialEq)]
pub struct VarRef {
    /// The variable name.
    pub name: String,
    /// Written with braces.
    pub braced: bool,
    /// The modifier, if any (always braced).
    pub op: Option<VarOp>,
}

/// The modifiers of a braced variable reference.
#[derive(Debug, Clone, PartialEq)]
pub enum VarOp {
    /// `${V:-word}` (`colon`: also when set but empty) or `${V-word}`: `word` when unset.
    Default {
        /// Written with `:`.
        colon: bool,
        /// The fallback.
        word: Box<Word>,
    },
    /// `${V:+word}` or `${V+word}`: `word` when set (and, with `:`, not empty), else empty.
    Alternative {
        /// Written with `:`.
        colon: bool,
        /// The alternative.
        word: Box<Word>,
    },
}

impl Word {
    /// A word of literal text (no parts at all for the empty string, as the parser makes it).
    pub fn literal(text: impl Into<String>) -> Word {
        let text = text.into();
        Word {
            parts: if text.is_empty() {
                Vec::new()
            } else {
                vec![WordPart::Literal(text)]
            },
            span: Span::default(),
        }
    }

    /// The text when the word has no variable references.
    pub fn as_literal(&self) -> Option<String> {
        let mut out = String::new();
        for p in &self.parts {
            match p {
                WordPart::Literal(s) => out.push_str(s),
                WordPart::Var(_) => return None,
            }
        }
        Some(out)
    }
}
