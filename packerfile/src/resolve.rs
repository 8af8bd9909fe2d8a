//! Resolution: variables substituted, stage references resolved, the stage graph and its build
//! order, the model instructions' options checked, linter warnings collected.
//!
//! Semantics (BuildKit's, with gguf-packer's additions):
//! - Global `ARG`s (before the first `FROM`) are in scope in `FROM` lines (`--platform`, the
//!   image), in later global `ARG` defaults and, as gguf-packer does (its quick start uses
//!   `${QUANTIZE_TYPE}` in a stage that does not re-declare it), in every stage. BuildKit's
//!   platform ARGs ([`PREDEFINED_ARGS`]) are declared there implicitly, with values from the
//!   build args.
//! - In a stage, `ARG NAME[=default]` declares a variable for the rest of the stage; its value
//!   is the build arg of that name when given, else the expanded default, else (no default) the
//!   global ARG's value when a global ARG of that name exists, else unset.
//! - Expansion (see [`crate::expand()`]) applies to `FROM`, `ARG` defaults, `LABEL` keys and
//!   values, every value and flag value of `ADD`, `COPY`, `CONVERT` and `QUANTIZE`, the bodies
//!   of unquoted heredocs (`CAT`'s, and `ADD` / `COPY` heredoc sources, which resolve to
//!   [`AddSource::Inline`] / [`CopySource::Inline`] named after their delimiter), `CAT`'s
//!   destination, and `CMD`'s arguments (both forms). A variable no
//!   `ARG` in scope declares expands to empty, with a [`Warning::UndefinedArg`]; one declared
//!   without a value is unset, without a warning.
//! - Stage names are case-insensitive and unique (`scratch` and `context` are allowed, with a
//!   warning). `FROM scratch` is always the empty image; `FROM <name>` names an earlier stage,
//!   else an image (`FROM x AS x` names the image `x`). `--from=<name|index>` names an earlier
//!   stage, else `context` is the build context and anything else an image. Naming a later stage is a
//!   [`ResolveError::ForwardReference`], a stage naming itself a [`ResolveError::Cycle`].

mod types;

pub use types::*;

use std::collections::{BTreeMap, BTreeSet};

use crate::ast::{
    Add, Arg, Cat, Cmd, Convert, ConvertClass, Copy, Heredoc, InstructionKind, Label, Packerfile,
    Quantize, Source, Span, Stage, Word, WordPart,
};
use crate::expand::{expand, variables, Usage};

use crate::print::var_source;

impl Packerfile {
    /// Resolves the file with the given build args (`--build-arg NAME=value`) and the built-in
    /// lists of valid types. See [`Packerfile::resolve_with`].
    ///
    /// ```
    /// use std::collections::BTreeMap;
    /// use ggufpack_packerfile::{parse, BaseImage, ResolvedKind, StageSource};
    ///
    /// let pf = parse(
    ///     "ARG TYPE=Q5_K_M\n\
    ///      FROM scratch AS f16\n\
    ///      CONVERT --type=F16 model model.F16.gguf\n\
    ///      FROM scratch\n\
    ///      QUANTIZE --from=f16 --type=${TYPE} model.F16.gguf model.${TYPE}.gguf\n",
    /// )?;
    /// let args = BTreeMap::from([("TYPE".to_string(), "q4_k_m".to_string())]);
    /// let r = pf.resolve(&args)?;
    /// assert_eq!(r.order, [0, 1]);
    /// assert_eq!(r.stages[1].dependencies, [0]);
    /// assert_eq!(r.stages[1].base, BaseImage::Scratch);
    /// let ResolvedKind::Quantize(q) = &r.stages[1].instructions[0].kind else { panic!() };
    /// assert_eq!(q.from, StageSource::Stage(0));
    /// assert_eq!(q.ty, "Q4_K_M"); // the canonical spelling
    /// assert_eq!(q.dest, "model.q4_k_m.gguf");
    /// assert!(r.warnings.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn resolve(&self, build_args: &BTreeMap<String, String>) -> Result<Resolved, ResolveError> {
        self.resolve_with(&ResolveOptions {
            build_args: build_args.clone(),
            ..ResolveOptions::default()
        })
    }

    /// Resolves the file: expands every variable, resolves stage references, checks the
    /// options of the model instructions, orders the stages and collects warnings. Never
    /// panics, whatever the AST.
    pub fn resolve_with(&self, opts: &ResolveOptions) -> Result<Resolved, ResolveError> {
        Resolver::new(opts).run(self)
    }
}

/// One `ARG` declaration, for the unused-ARG check.
struct Decl {
    name: String,
    span: Span,
    used: bool,
    implicit: bool,
}

/// What expanding an instruction's words found.
#[derive(Default)]
struct Acc {
    /// The names looked up.
    usage: Usage,
    /// Every name the words mention.
    mentioned: BTreeSet<String>,
}

/// A variable in scope: its value and the declaration that made it.
#[derive(Clone)]
struct Binding {
    value: Option<String>,
    decl: usize,
}

type Scope = BTreeMap<String, Binding>;

struct Resolver<'a> {
    opts: &'a ResolveOptions,
    decls: Vec<Decl>,
    warnings: Vec<Warning>,
    quantize_types: Vec<String>,
    tensor_types: Vec<String>,
}

/// How a stage is known: its lower-case name and its `FROM` span.
struct StageName {
    lower: String,
    span: Span,
}

impl<'a> Resolver<'a> {
    fn new(opts: &'a ResolveOptions) -> Self {
        let list = |given: &Option<Vec<String>>, default: &[&str]| match given {
            Some(v) => v.clone(),
            None => default.iter().map(|s| s.to_string()).collect(),
        };
        Resolver {
            opts,
            decls: Vec::new(),
            warnings: Vec::new(),
            quantize_types: list(&opts.quantize_types, DEFAULT_QUANTIZE_TYPES),
            tensor_types: list(&opts.tensor_types, DEFAULT_TENSOR_TYPES),
        }
    }

    fn run(mut self, file: &Packerfile) -> Result<Resolved, ResolveError> {
        if file.stages.is_empty() {
            return Err(ResolveError::NoStages);
        }

        // Global scope: the predefined platform ARGs, then the global ARGs.
        let mut global = Scope::new();
        for name in PREDEFINED_ARGS {
            let decl = self.declare(name, Span::default(), true);
            let value = self.opts.build_args.get(*name).cloned();
            global.insert(name.to_string(), Binding { value, decl });
        }
        let mut global_args = Vec::new();
        for ins in &file.global_args {
            match &ins.kind {
                InstructionKind::Arg(a) => {
                    global_args.extend(self.arg(a, &mut global, None));
                }
                other => {
                    return Err(ResolveError::UnexpectedInstruction {
                        name: keyword(other),
                        place: "before the first FROM (only ARG is)",
                        span: ins.span,
                    })
                }
            }
        }

        let names = self.stage_names(&file.stages)?;
        let mut stages = Vec::with_capacity(file.stages.len());
        for (index, stage) in file.stages.iter().enumerate() {
            stages.push(self.stage(index, stage, &global, &names)?);
        }

        let order = build_order(&stages, &names)?;

        for d in &self.decls {
            if !d.used && !d.implicit {
                self.warnings.push(Warning::UnusedArg {
                    name: d.name.clone(),
                    span: d.span,
                });
            }
        }
        let mut warnings = self.warnings;
        warnings.sort_by_key(|w| {
            let s = w.span();
            (s.line, s.column)
        });

        Ok(Resolved {
            global_args,
            stages,
            order,
            warnings,
        })
    }

    fn declare(&mut self, name: &str, span: Span, implicit: bool) -> usize {
        self.decls.push(Decl {
            name: name.to_string(),
            span,
            used: false,
            implicit,
        });
        self.decls.len() - 1
    }

    /// Checks the stage names; gives each stage's lower-case name.
    fn stage_names(&mut self, stages: &[Stage]) -> Result<Vec<Option<StageName>>, ResolveError> {
        let mut names: Vec<Option<StageName>> = Vec::with_capacity(stages.len());
        for stage in stages {
            let Some(alias) = &stage.from.alias else {
                names.push(None);
                continue;
            };
            let text = match alias.as_literal() {
                Some(t) => t,
                None => {
                    return Err(ResolveError::InvalidStageName {
                        name: word_source(alias),
                        span: stage.span,
                    })
                }
            };
            let lower = text.to_lowercase();
            if !valid_stage_name(&lower) {
                return Err(ResolveError::InvalidStageName {
                    name: text,
                    span: stage.span,
                });
            }
            if let Some(first) = names.iter().flatten().find(|n| n.lower == lower) {
                return Err(ResolveError::DuplicateStageName {
                    name: lower,
                    first: first.span,
                    span: stage.span,
                });
            }
            if text != lower {
                self.warnings.push(Warning::StageNameCasing {
                    name: text.clone(),
                    span: stage.span,
                });
            }
            if lower == "scratch" || lower == "context" {
                self.warnings.push(Warning::ReservedStageName {
                    name: lower.clone(),
                    span: stage.span,
                });
            }
            names.push(Some(StageName {
                lower,
                span: stage.span,
            }));
        }
        Ok(names)
    }

    // ----- expansion ---------------------------------------------------------------------

    /// Expands `word` in `scope`, recording what it looked up and every name it mentions.
    fn ex(scope: &Scope, word: &Word, acc: &mut Acc) -> String {
        let look = |n: &str| scope.get(n).and_then(|b| b.value.clone());
        acc.mentioned.extend(variables(word));
        expand(word, &look, &mut acc.usage)
    }

    /// After expanding an instruction's words: marks the declarations of every name they
    /// mention as used (names in a modifier's word that was not needed included), and warns
    /// about the names looked up that no ARG in scope declares.
    fn settle(&mut self, scope: &Scope, acc: &Acc, span: Span) {
        for name in &acc.mentioned {
            if let Some(b) = scope.get(name) {
                if let Some(d) = self.decls.get_mut(b.decl) {
                    d.used = true;
                }
            }
        }
        for name in &acc.usage.referenced {
            if !scope.contains_key(name) {
                let hint = self.hint(name, scope);
                self.warnings.push(Warning::UndefinedArg {
                    name: name.clone(),
                    hint,
                    span,
                });
            }
        }
    }

    /// A similar name in scope, for an undefined one.
    fn hint(&self, name: &str, scope: &Scope) -> Option<String> {
        let best = scope
            .iter()
            .filter(|(_, b)| self.decls.get(b.decl).is_some_and(|d| !d.implicit))
            .map(|(k, _)| (edit_distance(k, name), k))
            .filter(|(d, _)| *d <= 2 && *d < name.chars().count())
            .min();
        best.map(|(_, k)| format!("did you mean ${k}?"))
    }

    /// Marks the names in `word` that are in scope as used, without expanding it (a default a
    /// build arg overrides).
    fn touch(&mut self, scope: &Scope, word: &Word) {
        for name in variables(word) {
            if let Some(b) = scope.get(&name) {
                if let Some(d) = self.decls.get_mut(b.decl) {
                    d.used = true;
                }
            }
        }
    }

    /// An `ARG` instruction in `scope` (global when `global` is `None`).
    fn arg(&mut self, a: &Arg, scope: &mut Scope, global: Option<&Scope>) -> Vec<ResolvedArg> {
        let mut out = Vec::with_capacity(a.args.len());
        for d in &a.args {
            let value = if let Some(v) = self.opts.build_args.get(&d.name) {
                if let Some(w) = &d.default {
                    self.touch(scope, w);
                }
                Some(v.clone())
            } else if let Some(w) = &d.default {
                let mut usage = Acc::default();
                let v = Self::ex(scope, w, &mut usage);
                self.settle(scope, &usage, d.span);
                Some(v)
            } else if let Some(g) = global.and_then(|g| g.get(&d.name)) {
                if let Some(decl) = self.decls.get_mut(g.decl) {
                    decl.used = true;
                }
                g.value.clone()
            } else {
                None
            };
            let decl = self.declare(&d.name, d.span, false);
            scope.insert(
                d.name.clone(),
                Binding {
                    value: value.clone(),
                    decl,
                },
            );
            out.push(ResolvedArg {
                name: d.name.clone(),
                value,
                span: d.span,
            });
        }
        out
    }

    // ----- stages ------------------------------------------------------------------------

    fn stage(
        &mut self,
        index: usize,
        stage: &Stage,
        global: &Scope,
        names: &[Option<StageName>],
    ) -> Result<ResolvedStage, ResolveError> {
        let mut usage = Acc::default();
        let platform = stage
            .from
            .platform
            .as_ref()
            .map(|w| Self::ex(global, w, &mut usage))
            .filter(|p| !p.is_empty());
        let image = Self::ex(global, &stage.from.image, &mut usage);
        self.settle(global, &usage, stage.span);
        if image.is_empty() {
            return Err(ResolveError::Empty {
                what: "the base image name",
                span: stage.span,
            });
        }
        let lower = image.to_lowercase();
        let base = match names
            .iter()
            .position(|n| n.as_ref().is_some_and(|n| n.lower == lower))
        {
            // `scratch` is reserved: always the empty image.
            _ if lower == "scratch" => BaseImage::Scratch,
            Some(i) if i < index => BaseImage::Stage(i),
            Some(i) if i > index => {
                return Err(ResolveError::ForwardReference {
                    reference: image,
                    stage: index,
                    target: i,
                    span: stage.span,
                })
            }
            // `FROM x AS x` names the image x.
            _ => BaseImage::Image(image),
        };

        let mut deps = BTreeSet::new();
        if let BaseImage::Stage(i) = base {
            deps.insert(i);
        }
        // gguf-packer puts the global ARGs in every stage's environment.
        let mut scope = global.clone();
        let mut instructions = Vec::with_capacity(stage.instructions.len());
        let mut seen_cmd = false;
        for ins in &stage.instructions {
            let cx = InsCx {
                index,
                names,
                span: ins.span,
            };
            let kind = match &ins.kind {
                InstructionKind::From(_) => {
                    return Err(ResolveError::UnexpectedInstruction {
                        name: "FROM",
                        place: "among a stage's instructions (it starts a new stage)",
                        span: ins.span,
                    })
                }
                InstructionKind::Arg(a) => ResolvedKind::Arg(self.arg(a, &mut scope, Some(global))),
                InstructionKind::Label(l) => self.label(l, &scope, &cx),
                InstructionKind::Add(a) => self.add(a, &scope, &cx)?,
                InstructionKind::Copy(c) => self.copy(c, &scope, &cx)?,
                InstructionKind::Cat(c) => self.cat(c, &scope, &cx)?,
                InstructionKind::Cmd(c) => {
                    if seen_cmd {
                        self.warnings.push(Warning::MultipleCmd { span: ins.span });
                    }
                    seen_cmd = true;
                    self.cmd(c, &scope, &cx)
                }
                InstructionKind::Convert(c) => self.convert(c, &scope, &cx)?,
                InstructionKind::Quantize(q) => self.quantize(q, &scope, &cx)?,
            };
            match &kind {
                ResolvedKind::Copy(ResolvedCopy {
                    from: StageSource::Stage(i),
                    ..
                })
                | ResolvedKind::Convert(ResolvedConvert {
                    from: StageSource::Stage(i),
                    ..
                })
                | ResolvedKind::Quantize(ResolvedQuantize {
                    from: StageSource::Stage(i),
                    ..
                }) => {
                    deps.insert(*i);
                }
                _ => {}
            }
            instructions.push(ResolvedInstruction {
                kind,
                span: ins.span,
            });
        }

        Ok(ResolvedStage {
            index,
            name: names
                .get(index)
                .and_then(|n| n.as_ref().map(|n| n.lower.clone())),
            platform,
            base,
            instructions,
            dependencies: deps.into_iter().collect(),
            span: stage.span,
        })
    }

    // ----- instructions ------------------------------------------------------------------

    fn label(&mut self, l: &Label, scope: &Scope, cx: &InsCx) -> ResolvedKind {
        let mut usage = Acc::default();
        let pairs = l
            .pairs
            .iter()
            .map(|(k, v)| {
                (
                    Self::ex(scope, k, &mut usage),
                    Self::ex(scope, v, &mut usage),
                )
            })
            .collect();
        self.settle(scope, &usage, cx.span);
        ResolvedKind::Label(pairs)
    }

    fn add(&mut self, a: &Add, scope: &Scope, cx: &InsCx) -> Result<ResolvedKind, ResolveError> {
        let mut u = Acc::default();
        let checksum = opt_nonempty(scope, &a.checksum, &mut u);
        let chown = opt_nonempty(scope, &a.chown, &mut u);
        let chmod = opt_nonempty(scope, &a.chmod, &mut u);
        let exclude = all(scope, &a.exclude, &mut u);
        let sources: Vec<AddSource> = a
            .sources
            .iter()
            .map(|s| match s {
                Source::Path(w) => AddSource::classify(&Self::ex(scope, w, &mut u)),
                Source::Heredoc(h) => AddSource::Inline {
                    name: h.delimiter.clone(),
                    content: Self::heredoc(scope, h, &mut u),
                },
            })
            .collect();
        let dest = Self::ex(scope, &a.dest, &mut u);
        self.settle(scope, &u, cx.span);
        nonempty(&dest, "ADD destination", cx.span)?;
        let checksum = match checksum {
            Some(c) => {
                if let Some(s) = sources.iter().find(|s| !matches!(s, AddSource::Http(_))) {
                    return Err(ResolveError::ChecksumNeedsUrl {
                        src: s.as_str().to_string(),
                        span: cx.span,
                    });
                }
                Some(check_checksum(&c, cx.span)?)
            }
            None => None,
        };
        Ok(ResolvedKind::Add(ResolvedAdd {
            keep_git_dir: a.keep_git_dir.unwrap_or(false),
            checksum,
            chown,
            chmod,
            link: a.link.unwrap_or(false),
            exclude,
            sources,
            dest,
        }))
    }

    fn copy(&mut self, c: &Copy, scope: &Scope, cx: &InsCx) -> Result<ResolvedKind, ResolveError> {
        let mut u = Acc::default();
        let from = c.from.as_ref().map(|w| Self::ex(scope, w, &mut u));
        let chown = opt_nonempty(scope, &c.chown, &mut u);
        let chmod = opt_nonempty(scope, &c.chmod, &mut u);
        let exclude = all(scope, &c.exclude, &mut u);
        let sources = c
            .sources
            .iter()
            .map(|s| match s {
                Source::Path(w) => CopySource::Path(Self::ex(scope, w, &mut u)),
                Source::Heredoc(h) => CopySource::Inline {
                    name: h.delimiter.clone(),
                    content: Self::heredoc(scope, h, &mut u),
                },
            })
            .collect();
        let dest = Self::ex(scope, &c.dest, &mut u);
        self.settle(scope, &u, cx.span);
        nonempty(&dest, "COPY destination", cx.span)?;
        let from = match from {
            Some(f) => cx.source(&f)?,
            None => StageSource::Context,
        };
        Ok(ResolvedKind::Copy(ResolvedCopy {
            from,
            parents: c.parents.unwrap_or(false),
            chown,
            chmod,
            link: c.link.unwrap_or(false),
            exclude,
            sources,
            dest,
        }))
    }

    /// A heredoc's content: the body, expanded unless the delimiter was quoted.
    fn heredoc(scope: &Scope, h: &Heredoc, u: &mut Acc) -> String {
        if h.quoted {
            let mut s = String::new();
            for p in &h.body.parts {
                match p {
                    WordPart::Literal(l) => s.push_str(l),
                    WordPart::Var(v) => s.push_str(&var_source(v)),
                }
            }
            s
        } else {
            Self::ex(scope, &h.body, u)
        }
    }

    fn cat(&mut self, c: &Cat, scope: &Scope, cx: &InsCx) -> Result<ResolvedKind, ResolveError> {
        let mut u = Acc::default();
        let dest = Self::ex(scope, &c.dest, &mut u);
        let content = Self::heredoc(scope, &c.heredoc, &mut u);
        self.settle(scope, &u, cx.span);
        if dest.is_empty() {
            return Err(ResolveError::Empty {
                what: "the CAT destination",
                span: cx.span,
            });
        }
        if escapes_root(&dest) {
            self.warnings.push(Warning::CatOutsideRoot {
                dest: dest.clone(),
                span: cx.span,
            });
        }
        Ok(ResolvedKind::Cat(ResolvedCat { content, dest }))
    }

    fn cmd(&mut self, c: &Cmd, scope: &Scope, cx: &InsCx) -> ResolvedKind {
        let mut u = Acc::default();
        let cmd = match c {
            Cmd::Exec(words) => {
                if words.is_empty() {
                    self.warnings.push(Warning::EmptyExecCmd { span: cx.span });
                }
                ResolvedCmd::Exec(all(scope, words, &mut u))
            }
            Cmd::Shell(w) => ResolvedCmd::Shell(Self::ex(scope, w, &mut u)),
        };
        self.settle(scope, &u, cx.span);
        ResolvedKind::Cmd(cmd)
    }

    fn convert(
        &mut self,
        c: &Convert,
        scope: &Scope,
        cx: &InsCx,
    ) -> Result<ResolvedKind, ResolveError> {
        let mut u = Acc::default();
        let from = c.from.as_ref().map(|w| Self::ex(scope, w, &mut u));
        let base = opt_nonempty(scope, &c.base, &mut u);
        let ty = c.ty.as_ref().map(|w| Self::ex(scope, w, &mut u));
        let src = Self::ex(scope, &c.src, &mut u);
        let dest = Self::ex(scope, &c.dest, &mut u);
        self.settle(scope, &u, cx.span);
        let from = match from {
            Some(f) => cx.source(&f)?,
            None => StageSource::Current,
        };
        let class = c.class.unwrap_or_default();
        if class == ConvertClass::Lora && base.is_none() {
            return Err(ResolveError::LoraNeedsBase { span: cx.span });
        }
        let ty = match ty {
            None => DEFAULT_CONVERT_TYPE.to_string(),
            Some(t) => match CONVERT_TYPES.iter().find(|v| v.eq_ignore_ascii_case(&t)) {
                Some(v) => v.to_string(),
                None => {
                    return Err(ResolveError::InvalidConvertType {
                        value: t,
                        valid: CONVERT_TYPES.iter().map(|s| s.to_string()).collect(),
                        span: cx.span,
                    })
                }
            },
        };
        nonempty(&src, "the CONVERT source", cx.span)?;
        nonempty(&dest, "the CONVERT destination", cx.span)?;
        Ok(ResolvedKind::Convert(ResolvedConvert {
            from,
            class,
            base,
            ty,
            src,
            dest,
        }))
    }

    fn quantize(
        &mut self,
        q: &Quantize,
        scope: &Scope,
        cx: &InsCx,
    ) -> Result<ResolvedKind, ResolveError> {
        let mut u = Acc::default();
        let from = q.from.as_ref().map(|w| Self::ex(scope, w, &mut u));
        let ty = q.ty.as_ref().map(|w| Self::ex(scope, w, &mut u));
        let imatrix = opt_nonempty(scope, &q.imatrix, &mut u);
        let include_weights = tensor_names(&all(scope, &q.include_weights, &mut u));
        let exclude_weights = tensor_names(&all(scope, &q.exclude_weights, &mut u));
        let output_tensor_type = opt_nonempty(scope, &q.output_tensor_type, &mut u);
        let token_embedding_type = opt_nonempty(scope, &q.token_embedding_type, &mut u);
        let src = Self::ex(scope, &q.src, &mut u);
        let dest = Self::ex(scope, &q.dest, &mut u);
        self.settle(scope, &u, cx.span);
        let from = match from {
            Some(f) => cx.source(&f)?,
            None => StageSource::Current,
        };
        let ty = match ty {
            None => DEFAULT_QUANTIZE_TYPE.to_string(),
            Some(t) => pick(&self.quantize_types, &t, "type", cx.span)?,
        };
        let output_tensor_type = output_tensor_type
            .map(|t| pick(&self.tensor_types, &t, "output-tensor-type", cx.span))
            .transpose()?;
        let token_embedding_type = token_embedding_type
            .map(|t| pick(&self.tensor_types, &t, "token-embedding-type", cx.span))
            .transpose()?;
        if !include_weights.is_empty() && !exclude_weights.is_empty() {
            return Err(ResolveError::IncludeAndExcludeWeights { span: cx.span });
        }
        if imatrix.is_none() {
            if !include_weights.is_empty() {
                return Err(ResolveError::WeightsNeedImatrix {
                    flag: "include-weights",
                    span: cx.span,
                });
            }
            if !exclude_weights.is_empty() {
                return Err(ResolveError::WeightsNeedImatrix {
                    flag: "exclude-weights",
                    span: cx.span,
                });
            }
        }
        nonempty(&src, "the QUANTIZE source", cx.span)?;
        nonempty(&dest, "the QUANTIZE destination", cx.span)?;
        Ok(ResolvedKind::Quantize(ResolvedQuantize {
            from,
            ty,
            pure: q.pure.unwrap_or(false),
            imatrix,
            include_weights,
            exclude_weights,
            leave_output_tensor: q.leave_output_tensor.unwrap_or(false),
            output_tensor_type,
            token_embedding_type,
            src,
            dest,
        }))
    }
}

/// What resolving one instruction needs to know about its place.
struct InsCx<'n> {
    index: usize,
    names: &'n [Option<StageName>],
    span: Span,
}

impl InsCx<'_> {
    /// Resolves an expanded `--from` value.
    fn source(&self, from: &str) -> Result<StageSource, ResolveError> {
        if from.is_empty() {
            return Err(ResolveError::Empty {
                what: "--from",
                span: self.span,
            });
        }
        let target = if is_index(from) {
            match from.parse::<usize>() {
                Ok(i) if i < self.names.len() => i,
                _ => {
                    return Err(ResolveError::UnknownStageIndex {
                        index: from.to_string(),
                        stages: self.names.len(),
                        span: self.span,
                    })
                }
            }
        } else {
            let lower = from.to_lowercase();
            match self
                .names
                .iter()
                .position(|n| n.as_ref().is_some_and(|n| n.lower == lower))
            {
                Some(i) => i,
                None if lower == "context" => return Ok(StageSource::Context),
                None => return Ok(StageSource::Image(from.to_string())),
            }
        };
        if target > self.index {
            return Err(ResolveError::ForwardReference {
                reference: from.to_string(),
                stage: self.index,
                target,
                span: self.span,
            });
        }
        if target == self.index {
            let n = stage_label(self.names, target);
            return Err(ResolveError::Cycle {
                path: vec![n.clone(), n],
                span: self.span,
            });
        }
        Ok(StageSource::Stage(target))
    }
}

/// `-?[0-9]+`: a stage index (a negative one is always unknown).
fn is_index(s: &str) -> bool {
    let digits = s.strip_prefix('-').unwrap_or(s);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

fn stage_label(names: &[Option<StageName>], i: usize) -> String {
    match names.get(i) {
        Some(Some(n)) => n.lower.clone(),
        _ => format!("stage-{i}"),
    }
}

/// Kahn's algorithm, smallest index first among the ready stages.
fn build_order(
    stages: &[ResolvedStage],
    names: &[Option<StageName>],
) -> Result<Vec<usize>, ResolveError> {
    let n = stages.len();
    let mut indegree = vec![0usize; n];
    let mut users: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, s) in stages.iter().enumerate() {
        for &d in &s.dependencies {
            if d < n {
                indegree[i] += 1;
                users[d].push(i);
            }
        }
    }
    let mut ready: BTreeSet<usize> = (0..n).filter(|&i| indegree[i] == 0).collect();
    let mut order = Vec::with_capacity(n);
    while let Some(i) = ready.pop_first() {
        order.push(i);
        for &u in &users[i] {
            indegree[u] -= 1;
            if indegree[u] == 0 {
                ready.insert(u);
            }
        }
    }
    if order.len() == n {
        return Ok(order);
    }
    // Some stages wait on one another: walk dependencies from one of them until a repeat.
    let start = (0..n).find(|&i| indegree[i] > 0).unwrap_or(0);
    let mut path = vec![start];
    let mut cur = start;
    loop {
        let next = stages[cur]
            .dependencies
            .iter()
            .copied()
            .find(|&d| d < n && indegree[d] > 0);
        let Some(next) = next else { break };
        if let Some(pos) = path.iter().position(|&p| p == next) {
            let mut cycle: Vec<String> =
                path[pos..].iter().map(|&i| stage_label(names, i)).collect();
            cycle.push(stage_label(names, next));
            return Err(ResolveError::Cycle {
                path: cycle,
                span: stages[cur].span,
            });
        }
        path.push(next);
        cur = next;
    }
    Err(ResolveError::Cycle {
        path: path.iter().map(|&i| stage_label(names, i)).collect(),
        span: stages[start].span,
    })
}

fn keyword(kind: &InstructionKind) -> &'static str {
    match kind {
        InstructionKind::From(_) => "FROM",
        InstructionKind::Arg(_) => "ARG",
        InstructionKind::Label(_) => "LABEL",
        InstructionKind::Add(_) => "ADD",
        InstructionKind::Copy(_) => "COPY",
        InstructionKind::Cat(_) => "CAT",
        InstructionKind::Cmd(_) => "CMD",
        InstructionKind::Convert(_) => "CONVERT",
        InstructionKind::Quantize(_) => "QUANTIZE",
    }
}

/// `^[a-z][a-z0-9-_.]*$`, as BuildKit checks stage names.
fn valid_stage_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.'))
}

/// The source form of a word, for messages.
fn word_source(w: &Word) -> String {
    let mut s = String::new();
    for p in &w.parts {
        match p {
            WordPart::Literal(l) => s.push_str(l),
            WordPart::Var(v) => s.push_str(&var_source(v)),
        }
    }
    s
}

fn opt_nonempty(scope: &Scope, w: &Option<Word>, u: &mut Acc) -> Option<String> {
    w.as_ref()
        .map(|w| Resolver::ex(scope, w, u))
        .filter(|s| !s.is_empty())
}

fn all(scope: &Scope, words: &[Word], u: &mut Acc) -> Vec<String> {
    words.iter().map(|w| Resolver::ex(scope, w, u)).collect()
}

fn nonempty(s: &str, what: &'static str, span: Span) -> Result<(), ResolveError> {
    if s.is_empty() {
        Err(ResolveError::Empty { what, span })
    } else {
        Ok(())
    }
}

/// Every comma-separated, trimmed, non-empty name of the values.
fn tensor_names(values: &[String]) -> Vec<String> {
    values
        .iter()
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// The entry of `list` equal to `value` ignoring ASCII case.
fn pick(
    list: &[String],
    value: &str,
    flag: &'static str,
    span: Span,
) -> Result<String, ResolveError> {
    list.iter()
        .find(|v| v.eq_ignore_ascii_case(value))
        .cloned()
        .ok_or_else(|| ResolveError::InvalidQuantizeType {
            flag,
            value: value.to_string(),
            valid: list.to_vec(),
            span,
        })
}

/// `<sha256|sha384|sha512>:<hex>` with the digest's length; the hex made lower case.
fn check_checksum(value: &str, span: Span) -> Result<String, ResolveError> {
    let err = |reason: &str| ResolveError::InvalidChecksum {
        value: value.to_string(),
        reason: reason.to_string(),
        span,
    };
    let (algo, hex) = value
        .split_once(':')
        .ok_or_else(|| err("expected <algorithm>:<hex digest>"))?;
    let want = match algo {
        "sha256" => 64,
        "sha384" => 96,
        "sha512" => 128,
        _ => return Err(err("the algorithm must be sha256, sha384 or sha512")),
    };
    if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(err("the digest must be hexadecimal"));
    }
    if hex.len() != want {
        return Err(err(&format!(
            "a {algo} digest has {want} hex digits, this one {}",
            hex.len()
        )));
    }
    Ok(format!("{algo}:{}", hex.to_ascii_lowercase()))
}

/// Does `path` (absolute, or relative to the stage's root) climb above the root?
pub(crate) fn escapes_root(path: &str) -> bool {
    let mut depth = 0usize;
    for comp in path.split('/') {
        match comp {
            "" | "." => {}
            ".." => {
                if depth == 0 {
                    return true;
                }
                depth -= 1;
            }
            _ => depth += 1,
        }
    }
    false
}

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
pub(crate) mod testutil;

#[cfg(test)]
mod tests;
