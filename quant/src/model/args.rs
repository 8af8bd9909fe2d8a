//! `llama-quantize`'s command line: the same option names, positional arguments and defaults,
//! parsed into [`QuantizeModelOptions`].

use std::path::{Path, PathBuf};
use std::str::FromStr;

use ggufpack_gguf::GgmlType;

use super::error::ModelError;
use super::file_type::{ModelFileType, QuantOption};
use super::imatrix::Imatrix;
use super::kv_override::KvOverride;
use super::plan::TensorTypeOverride;
use super::prune::parse_prune_layers;
use super::quantize::QuantizeModelOptions;

/// A parsed `llama-quantize` command line.
#[derive(Debug, Clone)]
pub struct QuantizeArgs {
    /// The input model (a file or any shard of a split model).
    pub input: PathBuf,
    /// The output file (or shard prefix with `--keep-split`); `[input dir]/ggml-model-TYPE.gguf`
    /// when not given.
    pub output: PathBuf,
    /// The options; the importance matrix is not loaded yet (see
    /// [`QuantizeArgs::imatrix_file`]).
    pub options: QuantizeModelOptions,
    /// `--imatrix FILE`, as given.
    pub imatrix_file: Option<String>,
    /// `--dry-run`: plan only.
    pub dry_run: bool,
    /// The type name as given (`Q4_K_M`, `COPY`, …).
    pub type_name: &'static str,
}

/// The usage text, with the accepted types.
pub fn quantize_usage() -> String {
    let mut s = String::from(
        "usage: quantize [--allow-requantize] [--leave-output-tensor] [--pure] [--imatrix FILE]\n\
         \x20      [--include-weights NAME] [--exclude-weights NAME] [--output-tensor-type TYPE]\n\
         \x20      [--token-embedding-type TYPE] [--tensor-type NAME=TYPE] [--tensor-type-file FILE]\n\
         \x20      [--prune-layers L0,L1,...] [--keep-split] [--override-kv KEY=TYPE:VALUE]\n\
         \x20      [--dry-run] [--max-buffer-size MiB]\n\
         \x20      model-f32.gguf [model-quant.gguf] type [nthreads]\n\nallowed types:\n",
    );
    for o in super::QUANT_OPTIONS {
        s.push_str(&format!(
            "  {:>2}  {:<9} {}\n",
            o.file_type.id(),
            o.name,
            o.description
        ));
    }
    s
}

fn usage(msg: impl Into<String>) -> ModelError {
    ModelError::Usage(msg.into())
}

fn ggml_type(s: &str) -> Result<GgmlType, ModelError> {
    GgmlType::from_str(s).map_err(|_| usage(format!("invalid ggml_type '{s}'")))
}

impl QuantizeArgs {
    /// Parses `llama-quantize`'s arguments (without the program name): options first, then
    /// `input [output] type [nthreads]`. `--tensor-type-file` is read here.
    pub fn parse<S: AsRef<str>>(args: &[S]) -> Result<QuantizeArgs, ModelError> {
        let mut it = args.iter().map(AsRef::as_ref).peekable();
        let mut o = QuantizeModelOptions::new(ModelFileType::Q8_0);
        let (mut imatrix_file, mut dry_run) = (None, false);
        while let Some(a) = it.next_if(|a| a.starts_with("--")) {
            let mut value = || {
                it.next()
                    .map(str::to_string)
                    .ok_or_else(|| usage(format!("{a} needs a value")))
            };
            match a {
                "--allow-requantize" => o.allow_requantize = true,
                "--leave-output-tensor" => o.plan.leave_output_tensor = true,
                "--pure" => o.plan.pure = true,
                "--keep-split" => o.keep_split = true,
                "--dry-run" => dry_run = true,
                "--imatrix" => imatrix_file = Some(value()?),
                "--include-weights" => o.include_weights.push(value()?),
                "--exclude-weights" => o.exclude_weights.push(value()?),
                "--output-tensor-type" => {
                    o.plan.output_tensor_type = Some(ggml_type(&value()?)?);
                }
                "--token-embedding-type" => {
                    o.plan.token_embedding_type = Some(ggml_type(&value()?)?);
                }
                "--tensor-type" => o
                    .plan
                    .tensor_types
                    .push(TensorTypeOverride::parse(&value()?)?),
                "--tensor-type-file" => {
                    let f = value()?;
                    let text = std::fs::read_to_string(&f).map_err(|source| ModelError::Io {
                        path: PathBuf::from(&f),
                        source,
                    })?;
                    for word in text.split_whitespace() {
                        o.plan.tensor_types.push(TensorTypeOverride::parse(word)?);
                    }
                }
                "--prune-layers" => o.prune_layers = parse_prune_layers(&value()?)?,
                "--override-kv" => o.kv_overrides.push(KvOverride::parse(&value()?)?),
                "--max-buffer-size" => {
                    // accepted for compatibility: memory is bounded by row slabs anyway
                    let v = value()?;
                    if v.parse::<u64>().map_or(true, |m| m == 0) {
                        return Err(usage(format!("invalid --max-buffer-size '{v}'")));
                    }
                }
                other => return Err(usage(format!("unknown option {other}"))),
            }
        }
        if !o.include_weights.is_empty() && !o.exclude_weights.is_empty() {
            return Err(ModelError::IncludeAndExclude);
        }
        let pos: Vec<&str> = it.collect();
        if pos.len() < 2 {
            return Err(usage(
                "bad arguments: expected input [output] type [nthreads]",
            ));
        }
        let input = PathBuf::from(pos[0]);
        // `input TYPE [n]` or `input OUTPUT TYPE [n]`, decided as llama-quantize decides
        let (output, option, rest) = match QuantOption::parse(pos[1]) {
            Ok(opt) => {
                let dir = input.parent().unwrap_or(Path::new(""));
                let mut name = format!("ggml-model-{}", opt.name);
                if !o.keep_split {
                    name.push_str(".gguf");
                }
                (dir.join(name), opt, &pos[2..])
            }
            Err(_) => {
                let ty = pos.get(2).ok_or_else(|| usage("missing ftype"))?;
                (PathBuf::from(pos[1]), QuantOption::parse(ty)?, &pos[3..])
            }
        };
        o.plan.file_type = option.file_type;
        o.plan.only_copy = option.is_copy();
        if let Some(n) = rest.first() {
            o.threads = n
                .parse()
                .map_err(|_| usage(format!("invalid nthread '{n}'")))?;
        }
        Ok(QuantizeArgs {
            input,
            output,
            options: o,
            imatrix_file,
            dry_run,
            type_name: option.name,
        })
    }

    /// The options with the importance matrix loaded from [`QuantizeArgs::imatrix_file`].
    pub fn load_options(&self) -> Result<QuantizeModelOptions, ModelError> {
        let mut o = self.options.clone();
        if let Some(f) = &self.imatrix_file {
            o.imatrix = Some(Imatrix::open(f)?);
        }
        Ok(o)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positional_forms() {
        let a = QuantizeArgs::parse(&["--pure", "dir/m.gguf", "q4_k_m", "3"]).unwrap();
        assert_eq!(a.output, PathBuf::from("dir/ggml-model-Q4_K_M.gguf"));
        assert_eq!(a.options.plan.file_type, ModelFileType::Q4_K_M);
        assert!(a.options.plan.pure);
        assert_eq!(a.options.threads, 3);
        let a = QuantizeArgs::parse(&["m.gguf", "out.gguf", "COPY"]).unwrap();
        assert!(a.options.plan.only_copy);
        assert_eq!(a.output, PathBuf::from("out.gguf"));
        assert!(matches!(
            QuantizeArgs::parse(&["m.gguf", "out.gguf", "Q9_X"]),
            Err(ModelError::UnknownFileType { .. })
        ));
        assert!(matches!(
            QuantizeArgs::parse(&[
                "--include-weights",
                "a",
                "--exclude-weights",
                "b",
                "m",
                "Q4_0"
            ]),
            Err(ModelError::IncludeAndExclude)
        ));
        assert!(matches!(
            QuantizeArgs::parse(&["--bogus", "m", "Q4_0"]),
            Err(ModelError::Usage(_))
        ));
    }
}
