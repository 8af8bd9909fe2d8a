//! `--prune-layers`: drop whole layers and renumber the ones that stay, as `llama-quantize`'s
//! `remap_layer` does.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use regex::Regex;

use super::error::ModelError;
use super::kv_override::c_atol;

/// Parses a comma-separated list of layer numbers (`--prune-layers 3,7,8`), sorted and without
/// repeats. Each piece is read like C's `stoi` (leading digits), and must be a number ≥ 0.
pub fn parse_prune_layers(s: &str) -> Result<Vec<u32>, ModelError> {
    let mut out = Vec::new();
    for piece in s.split(',') {
        let t = piece.trim_start();
        let t = t.strip_prefix(['+', '-']).unwrap_or(t);
        if !t.starts_with(|c: char| c.is_ascii_digit()) {
            return Err(ModelError::BadPruneLayers {
                input: piece.to_string(),
            });
        }
        let id = u32::try_from(c_atol(piece)).map_err(|_| ModelError::BadPruneLayers {
            input: piece.to_string(),
        })?;
        out.push(id);
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

fn blk_pattern() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"blk\.(\d+)\.").expect("constant pattern"))
}

/// Renames `blk.N.` tensors as layers are pruned. Feed it names in the loader's order.
#[derive(Debug, Clone)]
pub(crate) struct LayerRemap {
    prune: Vec<u32>,
    /// Old layer → new layer (`None`: pruned).
    mapped: BTreeMap<u64, Option<u64>>,
    next_id: u64,
}

impl LayerRemap {
    /// A remapper for the sorted, unique layer list `prune`.
    pub(crate) fn new(prune: &[u32]) -> Self {
        LayerRemap {
            prune: prune.to_vec(),
            mapped: BTreeMap::new(),
            next_id: 0,
        }
    }

    /// Whether any layer is pruned.
    pub(crate) fn is_active(&self) -> bool {
        !self.prune.is_empty()
    }

    /// The new name of `name`, or `None` when its layer is pruned.
    pub(crate) fn remap(&mut self, name: &str) -> Option<String> {
        if self.prune.is_empty() {
            return Some(name.to_string());
        }
        let Some(caps) = blk_pattern().captures(name) else {
            return Some(name.to_string());
        };
        let digits = caps.get(1)?;
        let Ok(blk) = digits.as_str().parse::<u64>() else {
            return Some(name.to_string());
        };
        let first = u64::from(self.prune[0]);
        let new = *self.mapped.entry(blk).or_insert_with(|| {
            if self.prune.iter().any(|&p| u64::from(p) == blk) {
                None
            } else if blk < first {
                self.next_id = blk + 1;
                Some(blk)
            } else {
                let id = self.next_id;
                self.next_id += 1;
                Some(id)
            }
        });
        let new = new?;
        Some(format!(
            "{}{}{}",
            &name[..digits.start()],
            new,
            &name[digits.end()..]
        ))
    }

    /// The layer count after pruning (written to `<arch>.block_count`).
    pub(crate) fn block_count(&self) -> u64 {
        self.next_id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_lists() {
        assert_eq!(parse_prune_layers("7,3,3, 5").unwrap(), vec![3, 5, 7]);
        assert!(parse_prune_layers("1,x").is_err());
        assert!(parse_prune_layers("-1").is_err());
        assert!(parse_prune_layers("").is_err());
    }

    #[test]
    fn renumbers_the_layers_that_stay() {
        let mut r = LayerRemap::new(&[1, 3]);
        let names = [
            "token_embd.weight",
            "blk.0.attn_q.weight",
            "blk.1.attn_q.weight",
            "blk.2.attn_q.weight",
            "blk.2.ffn_up.weight",
            "blk.3.attn_q.weight",
            "blk.4.attn_q.weight",
        ];
        let out: Vec<Option<String>> = names.iter().map(|n| r.remap(n)).collect();
        assert_eq!(
            out,
            [
                Some("token_embd.weight".to_string()),
                Some("blk.0.attn_q.weight".into()),
                None,
                Some("blk.1.attn_q.weight".into()),
                Some("blk.1.ffn_up.weight".into()),
                None,
                Some("blk.2.attn_q.weight".into()),
            ]
        );
        assert_eq!(r.block_count(), 3);
    }
}
