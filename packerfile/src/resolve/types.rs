//! What resolution produces: stages with expanded, typed instructions, the stage graph, errors
//! and warnings.

use std::fmt;

use crate::ast::{ConvertClass, Span};

/// The types `CONVERT --type` accepts (upper case; matched case-insensitively).
pub const CONVERT_TYPES: &[&str] = &["F32", "F16", "BF16", "Q8_0", "TQ1_0", "TQ2_0", "AUTO"];

/// The `CONVERT --type` used when the flag is absent.
pub const DEFAULT_CONVERT_TYPE: &str = "F16";

/// The `QUANTIZE --type` used when the flag is absent.
pub const DEFAULT_QUANTIZE_TYPE: &str = "Q5_K_M";

/// The llama-quantize file types `QUANTIZE --type` accepts unless the caller gives its own list
/// ([`ResolveOptions::quantize_types`]); matched case-insensitively.
pub const DEFAULT_QUANTIZE_TYPES: &[&str] = &[
    "Q4_0",
    "Q4_1",
    "Q5_0",
    "Q5_1",
    "Q8_0",
    "Q2_K",
    "Q2_K_S",
    "Q3_K_S",
    "Q3_K_M",
    "Q3_K_L",
    "Q4_K_S",
    "Q4_K_M",
    "Q5_K_S",
    "Q5_K_M",
    "Q6_K",
    "IQ2_XXS",
    "IQ2_XS",
    "IQ2_S",
    "IQ2_M",
    "IQ1_S",
    "IQ1_M",
    "IQ3_XXS",
    "IQ3_XS",
    "IQ3_S",
    "IQ3_M",
    "IQ4_NL",
    "IQ4_XS",
    "TQ1_0",
    "TQ2_0",
    "MXFP4_MOE",
    "F16",
    "BF16",
    "F32",
    "COPY",
];

/// The ggml tensor types `QUANTIZE --output-tensor-type` and `--token-embedding-type` accept
/// unless the caller gives its own list ([`ResolveOptions::tensor_types`]); matched
/// case-insensitively, as llama-quantize does.
pub const DEFAULT_TENSOR_TYPES: &[&str] = &[
    "F32", "F16", "BF16", "F64", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q8_1", "Q2_K", "Q3_K",
    "Q4_K", "Q5_K", "Q6_K", "Q8_K", "IQ2_XXS", "IQ2_XS", "IQ2_S", "IQ3_XXS", "IQ3_S", "IQ1_S",
    "IQ1_M", "IQ4_NL", "IQ4_XS", "TQ1_0", "TQ2_0", "MXFP4", "I8", "I16", "I32", "I64",
];

/// The ARGs BuildKit defines on its own in the global scope (usable in `FROM` lines without an
/// `ARG`; their values come from the build args when given).
pub const PREDEFINED_ARGS: &[&str] = &[
    "BUILDPLATFORM",
    "BUILDOS",
    "BUILDARCH",
    "BUILDVARIANT",
    "TARGETPLATFORM",
    "TARGETOS",
    "TARGETARCH",
    "TARGETVARIANT",
];

/// What [`crate::Packerfile::resolve_with`] takes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResolveOptions {
    /// `--build-arg` values: they override the defaults of the `ARG`s that declare them.
    pub build_args: std::collections::BTreeMap<String, String>,
    /// The valid `QUANTIZE --type` names; `None`: [`DEFAULT_QUANTIZE_TYPES`].
    pub quantize_types: Option<Vec<String>>,
    /// The valid `QUANTIZE --output-tensor-type` / `--token-embedding-type` names; `None`:
    /// [`DEFAULT_TENSOR_TYPES`].
    pub tensor_types: Option<Vec<String>>,
}

/// A resolved Packerfile: every variable substituted, every stage reference resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    /// The global ARGs (before the first `FROM`) with their final values.
    pub global_args: Vec<ResolvedArg>,
    /// The stages, in file order (index = position).
    pub stages: Vec<ResolvedStage>,
    /// Every stage index in a build order: each stage after all it depends on.
    pub order: Vec<usize>,
    /// What the linter found, in file order.
    pub warnings: Vec<Warning>,
}

/// One resolved stage.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedStage {
    /// Its position in the file, from 0.
    pub index: usize,
    /// The name after `AS`, lower case.
    pub name: Option<String>,
    /// `--platform`, expanded (absent when not given or empty).
    pub platform: Option<String>,
    /// What it starts from.
    pub base: BaseImage,
    /// Its instructions, expanded and typed, in order.
    pub instructions: Vec<ResolvedInstruction>,
    /// The stages it needs (its base and every `--from`), sorted, without repeats.
    pub dependencies: Vec<usize>,
    /// Where its `FROM` is.
    pub span: Span,
}

/// What a stage's `FROM` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BaseImage {
    /// `FROM scratch`: an empty file system.
    Scratch,
    /// An image reference.
    Image(String),
    /// An earlier stage, by index.
    Stage(usize),
}

/// Where `COPY`, `CONVERT` or `QUANTIZE` read their sources.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StageSource {
    /// The build context (`--from=context`, and `COPY` without `--from`).
    Context,
    /// The stage being built (`CONVERT` and `QUANTIZE` without `--from`).
    Current,
    /// An earlier stage, by index.
    Stage(usize),
    /// An image reference.
    Image(String),
}

/// An instruction after resolution.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedInstruction {
    /// What it is.
    pub kind: ResolvedKind,
    /// Where it is.
    pub span: Span,
}

/// The resolved instructions (a stage's `FROM` is in [`ResolvedStage`]).
#[derive(Debug, Clone, PartialEq)]
pub enum ResolvedKind {
    /// `ARG`: each name with its value in the stage.
    Arg(Vec<ResolvedArg>),
    /// `LABEL`: expanded key-value pairs, in order.
    Label(Vec<(String, String)>),
    /// `ADD`.
    Add(ResolvedAdd),
    /// `COPY`.
    Copy(ResolvedCopy),
    /// `CAT`.
    Cat(ResolvedCat),
    /// `CMD`.
    Cmd(ResolvedCmd),
    /// `CONVERT`.
    Convert(ResolvedConvert),
    /// `QUANTIZE`.
    Quantize(ResolvedQuantize),
}

/// An ARG with its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedArg {
    /// The name.
    pub name: String,
    /// The value: a build arg, the expanded default, or (for a stage ARG without default) the
    /// global ARG's value; `None`: declared but unset.
    pub value: Option<String>,
    /// Where the declaration is.
    pub span: Span,
}

/// A source of `ADD`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddSource {
    /// A path in the build context.
    Context(String),
    /// An `http://` or `https://` URL of a file.
    Http(String),
    /// A git repository URL (`https://….git`, `git@…`, `git://…`, optionally `#ref`).
    Git(String),
    /// A heredoc source (`ADD <<NAME /dest`): a file named after the delimiter, with the body
    /// as its content.
    Inline {
        /// The file name: the heredoc's delimiter.
        name: String,
        /// The content (expanded unless the delimiter was quoted).
        content: String,
    },
}

impl AddSource {
    /// Classifies an expanded source.
    pub fn classify(s: &str) -> AddSource {
        let lower = s.to_ascii_lowercase();
        let no_fragment = lower.split('#').next().unwrap_or("");
        let is_http = lower.starts_with("http://") || lower.starts_with("https://");
        let is_git = lower.starts_with("git://")
            || lower.starts_with("git@")
            || ((is_http || lower.starts_with("ssh://"))
                && (no_fragment.ends_with(".git") || no_fragment.ends_with(".git/")));
        if is_git {
            AddSource::Git(s.to_string())
        } else if is_http {
            AddSource::Http(s.to_string())
        } else {
            AddSource::Context(s.to_string())
        }
    }

    /// The source text (the file name for [`AddSource::Inline`]).
    pub fn as_str(&self) -> &str {
        match self {
            AddSource::Context(s) | AddSource::Http(s) | AddSource::Git(s) => s,
            AddSource::Inline { name, .. } => name,
        }
    }
}

/// A source of `COPY`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CopySource {
    /// A path (in the build context, or in the `--from` stage or image).
    Path(String),
    /// A heredoc source (`COPY <<NAME /dest`): a file named after the delimiter, with the body
    /// as its content (`--from` does not apply to it).
    Inline {
        /// The file name: the heredoc's delimiter.
        name: String,
        /// The content (expanded unless the delimiter was quoted).
        content: String,
    },
}

impl CopySource {
    /// The path, or the file name for [`CopySource::Inline`].
    pub fn as_str(&self) -> &str {
        match self {
            CopySource::Path(s) => s,
            CopySource::Inline { name, .. } => name,
        }
    }
}

impl PartialEq<&str> for CopySource {
    /// Equal to a path with that text.
    fn eq(&self, other: &&str) -> bool {
        matches!(self, CopySource::Path(s) if s == other)
    }
}

impl PartialEq<String> for CopySource {
    /// Equal to a path with that text.
    fn eq(&self, other: &String) -> bool {
        matches!(self, CopySource::Path(s) if s == other)
    }
}

/// `ADD`, expanded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedAdd {
    /// `--keep-git-dir`.
    pub keep_git_dir: bool,
    /// `--checksum`, `<algo>:<hex>` with a lower-case hex digest.
    pub checksum: Option<String>,
    /// `--chown` (absent when empty).
    pub chown: Option<String>,
    /// `--chmod` (absent when empty).
    pub chmod: Option<String>,
    /// `--link`.
    pub link: bool,
    /// `--exclude` patterns.
    pub exclude: Vec<String>,
    /// The sources.
    pub sources: Vec<AddSource>,
    /// The destination.
    pub dest: String,
}

/// `COPY`, expanded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedCopy {
    /// Where the sources are ([`StageSource::Context`] without `--from`).
    pub from: StageSource,
    /// `--parents`.
    pub parents: bool,
    /// `--chown` (absent when empty).
    pub chown: Option<String>,
    /// `--chmod` (absent when empty).
    pub chmod: Option<String>,
    /// `--link`.
    pub link: bool,
    /// `--exclude` patterns.
    pub exclude: Vec<String>,
    /// The sources.
    pub sources: Vec<CopySource>,
    /// The destination.
    pub dest: String,
}

/// `CAT`, expanded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedCat {
    /// The file's content (expanded unless the heredoc delimiter was quoted).
    pub content: String,
    /// The file to write.
    pub dest: String,
}

/// `CMD`, expanded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResolvedCmd {
    /// The exec form's arguments.
    Exec(Vec<String>),
    /// The shell form's text.
    Shell(String),
}

/// `CONVERT`, expanded, defaults applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedConvert {
    /// Where `src` is ([`StageSource::Current`] without `--from`).
    pub from: StageSource,
    /// `--class` (model when absent).
    pub class: ConvertClass,
    /// `--base` (present with `--class=lora`).
    pub base: Option<String>,
    /// `--type`, upper case, one of [`CONVERT_TYPES`] ([`DEFAULT_CONVERT_TYPE`] when absent).
    pub ty: String,
    /// The source directory.
    pub src: String,
    /// The GGUF file to write.
    pub dest: String,
}

/// `QUANTIZE`, expanded, defaults applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedQuantize {
    /// Where `src` is ([`StageSource::Current`] without `--from`).
    pub from: StageSource,
    /// `--type`, as spelled in the list of valid types ([`DEFAULT_QUANTIZE_TYPE`] when absent).
    pub ty: String,
    /// `--pure`.
    pub pure: bool,
    /// `--imatrix` (absent when empty).
    pub imatrix: Option<String>,
    /// `--include-weights`, every comma-separated tensor name.
    pub include_weights: Vec<String>,
    /// `--exclude-weights`, every comma-separated tensor name.
    pub exclude_weights: Vec<String>,
    /// `--leave-output-tensor`.
    pub leave_output_tensor: bool,
    /// `--output-tensor-type`, as spelled in the list of valid types.
    pub output_tensor_type: Option<String>,
    /// `--token-embedding-type`, as spelled in the list of valid types.
    pub token_embedding_type: Option<String>,
    /// The source GGUF.
    pub src: String,
    /// The GGUF to write.
    pub dest: String,
}

impl Resolved {
    /// The index of the stage named `name` (case-insensitive) or numbered `name`.
    pub fn stage_index(&self, name: &str) -> Option<usize> {
        if let Ok(i) = name.parse::<usize>() {
            return (i < self.stages.len()).then_some(i);
        }
        let lower = name.to_lowercase();
        self.stages
            .iter()
            .position(|s| s.name.as_deref() == Some(lower.as_str()))
    }

    /// The stage built by default: the last one.
    pub fn target(&self) -> Option<&ResolvedStage> {
        self.stages.last()
    }

    /// The stages `target` needs, itself included, in build order ([`Resolved::order`]
    /// restricted to them). Empty when `target` is out of range.
    pub fn build_order(&self, target: usize) -> Vec<usize> {
        if target >= self.stages.len() {
            return Vec::new();
        }
        let mut needed = vec![false; self.stages.len()];
        let mut todo = vec![target];
        while let Some(i) = todo.pop() {
            if needed[i] {
                continue;
            }
            needed[i] = true;
            for &d in &self.stages[i].dependencies {
                if d < needed.len() && !needed[d] {
                    todo.push(d);
                }
            }
        }
        self.order.iter().copied().filter(|&i| needed[i]).collect()
    }
}

impl ResolvedStage {
    /// The `CMD` that takes effect: the stage's last.
    pub fn cmd(&self) -> Option<&ResolvedCmd> {
        self.instructions.iter().rev().find_map(|i| match &i.kind {
            ResolvedKind::Cmd(c) => Some(c),
            _ => None,
        })
    }
}

/// Why a Packerfile does not resolve. Every variant but [`ResolveError::NoStages`] says where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    /// There is no `FROM`.
    #[error("the file has no build stage: it needs a FROM instruction")]
    NoStages,
    /// An instruction where the AST cannot have it (`FROM` among a stage's instructions,
    /// anything but `ARG` among the global args).
    #[error("{span}: {name} is not allowed {place}")]
    UnexpectedInstruction {
        /// The instruction keyword.
        name: &'static str,
        /// Where it was found, in words.
        place: &'static str,
        /// Where it is.
        span: Span,
    },
    /// A stage name that is not `[a-z][a-z0-9-_.]*` (case-insensitively), or has variables.
    #[error(
        "{span}: invalid stage name {name:?}: a stage name starts with a letter and has only \
         letters, digits, '-', '_' and '.'"
    )]
    InvalidStageName {
        /// The name as written.
        name: String,
        /// Where the stage is.
        span: Span,
    },
    /// Two stages with the same name (case-insensitive).
    #[error("{span}: duplicate stage name {name:?}, first used by the stage at {first}")]
    DuplicateStageName {
        /// The name, lower case.
        name: String,
        /// The first stage of that name.
        first: Span,
        /// The second.
        span: Span,
    },
    /// `--from=<n>` with no stage `n`.
    #[error(
        "{span}: invalid stage index {index}: the file has {stages} stage(s), numbered from 0"
    )]
    UnknownStageIndex {
        /// The index as written.
        index: String,
        /// How many stages there are.
        stages: usize,
        /// Where it is used.
        span: Span,
    },
    /// A stage used by an earlier stage (`FROM <later>`, `--from=<later>`).
    #[error(
        "{span}: stage {reference:?} (stage {target}) is used by stage {stage} before it is \
         defined: a stage can only use earlier stages"
    )]
    ForwardReference {
        /// The reference as written (name or index).
        reference: String,
        /// The stage that uses it.
        stage: usize,
        /// The stage it names.
        target: usize,
        /// Where it is used.
        span: Span,
    },
    /// Stages that depend on one another (a stage's `--from` naming itself included).
    #[error("{span}: circular dependency between stages: {}", .path.join(" -> "))]
    Cycle {
        /// The stages on the cycle, by name (or `stage-<n>`), the first repeated at the end.
        path: Vec<String>,
        /// Where the cycle is closed.
        span: Span,
    },
    /// A value that expanded to nothing where one is needed.
    #[error("{span}: {what} is empty")]
    Empty {
        /// What it is (`the base image name`, `CONVERT <src>`, …).
        what: &'static str,
        /// Where it is.
        span: Span,
    },
    /// `CONVERT --type` not among [`CONVERT_TYPES`].
    #[error("{span}: invalid CONVERT --type {value:?}: expected one of {}", .valid.join(", "))]
    InvalidConvertType {
        /// The expanded value.
        value: String,
        /// The valid types.
        valid: Vec<String>,
        /// Where the instruction is.
        span: Span,
    },
    /// A `QUANTIZE` type flag with a name not in its list.
    #[error("{span}: invalid QUANTIZE --{flag} {value:?}: expected one of {}", .valid.join(", "))]
    InvalidQuantizeType {
        /// The flag: `type`, `output-tensor-type` or `token-embedding-type`.
        flag: &'static str,
        /// The expanded value.
        value: String,
        /// The valid names.
        valid: Vec<String>,
        /// Where the instruction is.
        span: Span,
    },
    /// `CONVERT --class=lora` without `--base`.
    #[error("{span}: CONVERT --class=lora needs --base=<directory of the base model>")]
    LoraNeedsBase {
        /// Where the instruction is.
        span: Span,
    },
    /// `QUANTIZE` with both `--include-weights` and `--exclude-weights`.
    #[error("{span}: QUANTIZE --include-weights and --exclude-weights cannot be used together")]
    IncludeAndExcludeWeights {
        /// Where the instruction is.
        span: Span,
    },
    /// `QUANTIZE --include-weights` / `--exclude-weights` without `--imatrix`.
    #[error("{span}: QUANTIZE --{flag} needs --imatrix=<file>")]
    WeightsNeedImatrix {
        /// `include-weights` or `exclude-weights`.
        flag: &'static str,
        /// Where the instruction is.
        span: Span,
    },
    /// An `ADD --checksum` that is not `<sha256|sha384|sha512>:<hex digest>`.
    #[error("{span}: invalid ADD --checksum {value:?}: {reason}")]
    InvalidChecksum {
        /// The expanded value.
        value: String,
        /// What is wrong.
        reason: String,
        /// Where the instruction is.
        span: Span,
    },
    /// `ADD --checksum` with a source that is not an http(s) URL.
    #[error("{span}: ADD --checksum is only supported for http(s) URL sources, not {src:?}")]
    ChecksumNeedsUrl {
        /// The offending source.
        src: String,
        /// Where the instruction is.
        span: Span,
    },
}

impl ResolveError {
    /// Where the error is (`None` for [`ResolveError::NoStages`]).
    pub fn span(&self) -> Option<Span> {
        use ResolveError::*;
        match self {
            NoStages => None,
            UnexpectedInstruction { span, .. }
            | InvalidStageName { span, .. }
            | DuplicateStageName { span, .. }
            | UnknownStageIndex { span, .. }
            | ForwardReference { span, .. }
            | Cycle { span, .. }
            | Empty { span, .. }
            | InvalidConvertType { span, .. }
            | InvalidQuantizeType { span, .. }
            | LoraNeedsBase { span }
            | IncludeAndExcludeWeights { span }
            | WeightsNeedImatrix { span, .. }
            | InvalidChecksum { span, .. }
            | ChecksumNeedsUrl { span, .. } => Some(*span),
        }
    }
}

/// A linter finding: the file resolves, but something is probably wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Warning {
    /// An `ARG` that nothing uses (no reference to it while it is in scope, no stage importing
    /// a global one).
    UnusedArg {
        /// The name.
        name: String,
        /// Where it is declared.
        span: Span,
    },
    /// A variable used where no `ARG` declares it: it expands to empty.
    UndefinedArg {
        /// The name.
        name: String,
        /// A hint: a similar name in scope, or the global ARG to re-declare in the stage.
        hint: Option<String>,
        /// Where the instruction using it is.
        span: Span,
    },
    /// A stage name that is not lower case (names are matched case-insensitively).
    StageNameCasing {
        /// The name as written.
        name: String,
        /// Where the stage is.
        span: Span,
    },
    /// A stage named like a reserved source (`scratch`, `context`).
    ReservedStageName {
        /// The name, lower case.
        name: String,
        /// Where the stage is.
        span: Span,
    },
    /// `CMD []`: no arguments at all.
    EmptyExecCmd {
        /// Where the `CMD` is.
        span: Span,
    },
    /// Several `CMD`s in one stage: only the last takes effect.
    MultipleCmd {
        /// Where the later `CMD` is.
        span: Span,
    },
    /// `CAT` to a path that leaves the stage's root (`../x`, `/a/../../x`): it is written
    /// inside the root instead.
    CatOutsideRoot {
        /// The destination, expanded.
        dest: String,
        /// Where the `CAT` is.
        span: Span,
    },
}

impl Warning {
    /// Where it is.
    pub fn span(&self) -> Span {
        match self {
            Warning::UnusedArg { span, .. }
            | Warning::UndefinedArg { span, .. }
            | Warning::StageNameCasing { span, .. }
            | Warning::ReservedStageName { span, .. }
            | Warning::EmptyExecCmd { span }
            | Warning::MultipleCmd { span }
            | Warning::CatOutsideRoot { span, .. } => *span,
        }
    }

    /// The linter rule's name, as BuildKit spells its rules (`UnusedArg`, `UndefinedVar`, …).
    pub fn rule(&self) -> &'static str {
        match self {
            Warning::UnusedArg { .. } => "UnusedArg",
            Warning::UndefinedArg { .. } => "UndefinedVar",
            Warning::StageNameCasing { .. } => "StageNameCasing",
            Warning::ReservedStageName { .. } => "ReservedStageName",
            Warning::EmptyExecCmd { .. } => "EmptyExecCmd",
            Warning::MultipleCmd { .. } => "MultipleInstructionsDisallowed",
            Warning::CatOutsideRoot { .. } => "CatOutsideRoot",
        }
    }
}

impl fmt::Display for Warning {
    /// `line:column: message [Rule]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.span())?;
        match self {
            Warning::UnusedArg { name, .. } => {
                write!(f, "ARG {name:?} is declared but never used")?
            }
            Warning::UndefinedArg { name, hint, .. } => {
                write!(
                    f,
                    "usage of undefined variable '${name}' (it expands to empty)"
                )?;
                if let Some(h) = hint {
                    write!(f, "; {h}")?;
                }
            }
            Warning::StageNameCasing { name, .. } => {
                write!(f, "stage name {name:?} should be lower case")?
            }
            Warning::ReservedStageName { name, .. } => {
                write!(f, "stage name should not be the reserved name {name:?}")?
            }
            Warning::EmptyExecCmd { .. } => write!(f, "CMD [] has no arguments")?,
            Warning::MultipleCmd { .. } => write!(
                f,
                "multiple CMD instructions in one stage: only the last one is used"
            )?,
            Warning::CatOutsideRoot { dest, .. } => write!(
                f,
                "CAT destination {dest:?} leaves the stage's root; it is written inside it"
            )?,
        }
        write!(f, " [{}]", self.rule())
    }
}
