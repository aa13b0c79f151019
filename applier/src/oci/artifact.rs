//! Timoni's module artifact: the manifest, its config, and its two layers.

use std::collections::BTreeMap;
use std::io::Write;

use anyhow::{Context, Result, bail};
use flate2::Compression;
use flate2::write::GzEncoder;
use serde::{Deserialize, Serialize};

use super::client::{OCI_MANIFEST_MEDIA_TYPE, sha256_digest};

/// Media type of the artifact config.
pub const CONFIG_MEDIA_TYPE: &str = "application/vnd.timoni.config.v1+json";
/// Media type of content layers (gzip tarballs).
pub const CONTENT_MEDIA_TYPE: &str = "application/vnd.timoni.content.v1.tar+gzip";
/// Layer annotation naming what a content layer holds.
pub const CONTENT_TYPE_ANNOTATION: &str = "sh.timoni.content.type";
/// [`CONTENT_TYPE_ANNOTATION`] of the layer with the module files.
pub const CONTENT_TYPE_MODULE: &str = "module";
/// [`CONTENT_TYPE_ANNOTATION`] of the layer with the vendored `cue.mod`.
pub const CONTENT_TYPE_VENDOR: &str = "module/vendor";
/// Manifest annotation: upstream source URL.
pub const SOURCE_ANNOTATION: &str = "org.opencontainers.image.source";
/// Manifest annotation: upstream source revision.
pub const REVISION_ANNOTATION: &str = "org.opencontainers.image.revision";
/// Manifest annotation: the module's semantic version.
pub const VERSION_ANNOTATION: &str = "org.opencontainers.image.version";
/// Manifest annotation: build time (RFC 3339).
pub const CREATED_ANNOTATION: &str = "org.opencontainers.image.created";
/// Manifest annotation: the module's default images, sorted, comma-separated.
pub const IMAGES_ANNOTATION: &str = "sh.timoni.images";

/// An OCI content descriptor.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    /// Media type of the referenced content.
    pub media_type: String,
    /// `sha256:<hex>` of the content.
    pub digest: String,
    /// Size of the content in bytes.
    pub size: u64,
    /// Descriptor annotations.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

/// An OCI image manifest (the subset Timoni artifacts use).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    /// Always 2.
    pub schema_version: u32,
    /// `application/vnd.oci.image.manifest.v1+json`.
    #[serde(default)]
    pub media_type: Option<String>,
    /// The config blob.
    pub config: Descriptor,
    /// The layers, in order.
    pub layers: Vec<Descriptor>,
    /// Manifest annotations.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

impl Manifest {
    /// Parses a manifest and checks that it is a Timoni module.
    pub fn parse_module(bytes: &[u8], what: &str) -> Result<Self> {
        let manifest: Manifest = serde_json::from_slice(bytes)
            .with_context(|| format!("the manifest of {what} is not an OCI image manifest"))?;
        if manifest.config.media_type != CONFIG_MEDIA_TYPE {
            bail!(
                "{what} is not a Timoni module: unsupported artifact type {:?}, must be {CONFIG_MEDIA_TYPE:?}",
                manifest.config.media_type
            );
        }
        if manifest.content_layers().next().is_none() {
            bail!("{what} has no layer with media type {CONTENT_MEDIA_TYPE:?}");
        }
        for layer in manifest.content_layers() {
            super::reference::validate_digest(&layer.digest)
                .with_context(|| format!("a layer of {what} has an invalid digest"))?;
        }
        Ok(manifest)
    }

    /// The content layers, in the order they are extracted.
    pub fn content_layers(&self) -> impl Iterator<Item = &Descriptor> {
        self.layers
            .iter()
            .filter(|l| l.media_type == CONTENT_MEDIA_TYPE)
    }
}

/// One built layer: its gzip bytes and what describes it.
pub struct BuiltLayer {
    /// The compressed tarball.
    pub data: Vec<u8>,
    /// Its descriptor in the manifest.
    pub descriptor: Descriptor,
    /// `sha256:` of the uncompressed tarball (the config's diff ID).
    pub diff_id: String,
}

/// A complete artifact ready to push.
pub struct BuiltArtifact {
    /// The layers, vendor first.
    pub layers: Vec<BuiltLayer>,
    /// The config blob.
    pub config: Vec<u8>,
    /// The serialized manifest.
    pub manifest: Vec<u8>,
    /// The manifest digest (the module digest).
    pub digest: String,
}

/// A file of a module as it goes into a layer.
#[derive(Debug, Clone)]
pub struct LayerFile {
    /// Path relative to the module root, `/`-separated.
    pub path: String,
    /// Unix permission bits.
    pub mode: u32,
    /// Contents.
    pub data: Vec<u8>,
}

/// Builds one gzip tarball: directory entries for every parent, then files,
/// all sorted, owned by root, with zero timestamps (reproducible bytes).
pub fn build_layer(files: &[LayerFile], content_type: &str) -> Result<BuiltLayer> {
    let mut tar = tar::Builder::new(Vec::new());
    let mut dirs = std::collections::BTreeSet::new();
    for file in files {
        let mut parent = file.path.as_str();
        while let Some((dir, _)) = parent.rsplit_once('/') {
            dirs.insert(dir.to_owned());
            parent = dir;
        }
    }
    let mut entries: Vec<(&str, Option<&LayerFile>)> =
        dirs.iter().map(|d| (d.as_str(), None)).collect();
    entries.extend(files.iter().map(|f| (f.path.as_str(), Some(f))));
    entries.sort_by(|a, b| a.0.cmp(b.0));
    for (path, file) in entries {
        let mut header = tar::Header::new_ustar();
        header.set_uid(0);
        header.set_gid(0);
        header.set_mtime(0);
        match file {
            None => {
                header.set_entry_type(tar::EntryType::Directory);
                header.set_mode(0o755);
                header.set_size(0);
                tar.append_data(&mut header, format!("{path}/"), std::io::empty())?;
            }
            Some(file) => {
                header.set_entry_type(tar::EntryType::Regular);
                header.set_mode(file.mode & 0o7777);
                header.set_size(file.data.len() as u64);
                tar.append_data(&mut header, path, file.data.as_slice())
                    .with_context(|| format!("archiving {path}"))?;
            }
        }
    }
    let raw = tar.into_inner()?;
    let diff_id = sha256_digest(&raw);
    let mut gz = GzEncoder::new(Vec::new(), Compression::default());
    gz.write_all(&raw)?;
    let data = gz.finish()?;
    let descriptor = Descriptor {
        media_type: CONTENT_MEDIA_TYPE.to_owned(),
        digest: sha256_digest(&data),
        size: data.len() as u64,
        annotations: BTreeMap::from([(
            CONTENT_TYPE_ANNOTATION.to_owned(),
            content_type.to_owned(),
        )]),
    };
    Ok(BuiltLayer {
        data,
        descriptor,
        diff_id,
    })
}

/// Assembles the artifact from its layers (vendor first) and annotations.
pub fn build_artifact(
    layers: Vec<BuiltLayer>,
    annotations: BTreeMap<String, String>,
) -> Result<BuiltArtifact> {
    // Timoni never reads the config; this mirrors what go-containerregistry writes.
    let config = serde_json::to_vec(&serde_json::json!({
        "architecture": "",
        "os": "",
        "config": {},
        "rootfs": {"type": "layers", "diff_ids": layers.iter().map(|l| &l.diff_id).collect::<Vec<_>>()},
    }))?;
    let manifest = Manifest {
        schema_version: 2,
        media_type: Some(OCI_MANIFEST_MEDIA_TYPE.to_owned()),
        config: Descriptor {
            media_type: CONFIG_MEDIA_TYPE.to_owned(),
            digest: sha256_digest(&config),
            size: config.len() as u64,
            annotations: BTreeMap::new(),
        },
        layers: layers.iter().map(|l| l.descriptor.clone()).collect(),
        annotations,
    };
    let manifest = serde_json::to_vec(&manifest)?;
    let digest = sha256_digest(&manifest);
    Ok(BuiltArtifact {
        layers,
        config,
        manifest,
        digest,
    })
}
