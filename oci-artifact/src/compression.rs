//! Layer compression for the `image` profile: none (the default), gzip or zstd. Output is
//! deterministic: a fixed compression level, and gzip headers without a file name or timestamp
//! (mtime 0, OS "unknown"), so the same layer always gives the same digest. A layer's diff_id
//! stays the digest of the uncompressed tar.

use std::fmt;
use std::io::{self, Read, Write};

use oci_spec::image::MediaType;

/// How the tar layers of an image are compressed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum LayerCompression {
    /// Uncompressed tar (`application/vnd.oci.image.layer.v1.tar`), the default.
    #[default]
    None,
    /// gzip at level [`GZIP_LEVEL`] (`application/vnd.oci.image.layer.v1.tar+gzip`).
    Gzip,
    /// zstd at level [`ZSTD_LEVEL`] (`application/vnd.oci.image.layer.v1.tar+zstd`).
    Zstd,
}

/// The gzip level used for layers (zlib's default).
pub const GZIP_LEVEL: u32 = 6;
/// The zstd level used for layers (zstd's default).
pub const ZSTD_LEVEL: i32 = 3;

impl LayerCompression {
    /// The OCI layer media type for a tar compressed this way.
    pub fn media_type(self) -> MediaType {
        match self {
            LayerCompression::None => MediaType::ImageLayer,
            LayerCompression::Gzip => MediaType::ImageLayerGzip,
            LayerCompression::Zstd => MediaType::ImageLayerZstd,
        }
    }

    /// The compression a tar layer media type names (`None` for other media types).
    pub fn of_media_type(mt: &MediaType) -> Option<LayerCompression> {
        match mt {
            MediaType::ImageLayer => Some(LayerCompression::None),
            MediaType::ImageLayerGzip => Some(LayerCompression::Gzip),
            MediaType::ImageLayerZstd => Some(LayerCompression::Zstd),
            _ => None,
        }
    }

    /// The name (`none`, `gzip`, `zstd`).
    pub fn as_str(self) -> &'static str {
        match self {
            LayerCompression::None => "none",
            LayerCompression::Gzip => "gzip",
            LayerCompression::Zstd => "zstd",
        }
    }
}

impl fmt::Display for LayerCompression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A writer that compresses into `W`.
pub(crate) enum Encoder<W: Write> {
    Plain(W),
    Gzip(flate2::write::GzEncoder<W>),
    Zstd(zstd::stream::write::Encoder<'static, W>),
}

impl<W: Write> Encoder<W> {
    pub(crate) fn new(c: LayerCompression, inner: W) -> io::Result<Encoder<W>> {
        Ok(match c {
            LayerCompression::None => Encoder::Plain(inner),
            // GzBuilder writes mtime 0, no file name, no comment and OS 255 ("unknown").
            LayerCompression::Gzip => Encoder::Gzip(
                flate2::GzBuilder::new().write(inner, flate2::Compression::new(GZIP_LEVEL)),
            ),
            LayerCompression::Zstd => {
                let mut e = zstd::stream::write::Encoder::new(inner, ZSTD_LEVEL)?;
                e.include_checksum(false)?;
                Encoder::Zstd(e)
            }
        })
    }

    /// Writes the trailer and gives back the inner writer.
    pub(crate) fn finish(self) -> io::Result<W> {
        match self {
            Encoder::Plain(w) => Ok(w),
            Encoder::Gzip(e) => e.finish(),
            Encoder::Zstd(e) => e.finish(),
        }
    }
}

impl<W: Write> Write for Encoder<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Encoder::Plain(w) => w.write(buf),
            Encoder::Gzip(e) => e.write(buf),
            Encoder::Zstd(e) => e.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Encoder::Plain(w) => w.flush(),
            Encoder::Gzip(e) => e.flush(),
            Encoder::Zstd(e) => e.flush(),
        }
    }
}

/// A reader that decompresses its inner reader (gzip members or zstd frames, or the plain
/// bytes), giving the inner reader back with [`Decoder::into_inner`].
pub(crate) enum Decoder<R: Read> {
    Plain(R),
    Gzip(flate2::read::MultiGzDecoder<R>),
    Zstd(zstd::stream::read::Decoder<'static, io::BufReader<R>>),
}

impl<R: Read> Decoder<R> {
    pub(crate) fn new(c: LayerCompression, inner: R) -> io::Result<Decoder<R>> {
        Ok(match c {
            LayerCompression::None => Decoder::Plain(inner),
            LayerCompression::Gzip => Decoder::Gzip(flate2::read::MultiGzDecoder::new(inner)),
            LayerCompression::Zstd => Decoder::Zstd(zstd::stream::read::Decoder::new(inner)?),
        })
    }

    /// The inner reader (bytes it buffered ahead are dropped).
    pub(crate) fn into_inner(self) -> R {
        match self {
            Decoder::Plain(r) => r,
            Decoder::Gzip(d) => d.into_inner(),
            Decoder::Zstd(d) => d.finish().into_inner(),
        }
    }
}

impl<R: Read> Read for Decoder<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Decoder::Plain(r) => r.read(buf),
            Decoder::Gzip(d) => d.read(buf),
            Decoder::Zstd(d) => d.read(buf),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_is_deterministic() {
        let data: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        for c in [
            LayerCompression::None,
            LayerCompression::Gzip,
            LayerCompression::Zstd,
        ] {
            let once = || {
                let mut e = Encoder::new(c, Vec::new()).unwrap();
                e.write_all(&data).unwrap();
                e.finish().unwrap()
            };
            let a = once();
            assert_eq!(a, once(), "{c}");
            let mut back = Vec::new();
            Decoder::new(c, a.as_slice())
                .unwrap()
                .read_to_end(&mut back)
                .unwrap();
            assert_eq!(back, data, "{c}");
            assert_eq!(LayerCompression::of_media_type(&c.media_type()), Some(c));
        }
    }

    #[test]
    fn gzip_header_has_no_name_or_time() {
        let mut e = Encoder::new(LayerCompression::Gzip, Vec::new()).unwrap();
        e.write_all(b"x").unwrap();
        let out = e.finish().unwrap();
        // ID1 ID2 CM FLG MTIME(4) XFL OS
        assert_eq!(&out[..4], &[0x1f, 0x8b, 8, 0]);
        assert_eq!(&out[4..8], &[0, 0, 0, 0]);
        assert_eq!(out[9], 255);
    }
}
