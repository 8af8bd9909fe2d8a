//! OCI image layouts, manifests, configs and labels for model artifacts, for ggufpack.
//!
//! This crate is being built (see the project's `oci-artifact` issue). The media type of the
//! uncompressed tar layer that the default `image` profile gives each model file:
//!
//! ```
//! assert_eq!(ggufpack_oci_artifact::OCI_LAYER_TAR, "application/vnd.oci.image.layer.v1.tar");
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

/// Media type of an uncompressed OCI image layer (one tar per model file in the `image` profile).
pub const OCI_LAYER_TAR: &str = "application/vnd.oci.image.layer.v1.tar";
