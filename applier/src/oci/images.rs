//! The `sh.timoni.images` annotation: the default container images a module
//! declares in its `images.cue`, computed at push time as Timoni does.
//!
//! Timoni compiles `images.cue` on its own (no imports, no other file of the
//! module), looks up `values`, and walks it: every struct with a
//! `repository` field and a `tag` or `digest` field is one image, written
//! `repository[:tag][@digest]` from the fields' defaults (empty tag or digest
//! left out), and not walked further. The references are sorted and
//! de-duplicated. A module without `images.cue` gets no annotation.

use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use cue_eval::{FieldOpts, Runtime, Value};

use super::reference::validate_digest;

/// The file holding the module's default images, at the module root.
pub const IMAGES_FILE: &str = "images.cue";

/// The default images of the module in `dir`: sorted, de-duplicated;
/// empty when the module has no `images.cue`.
pub fn module_images(dir: &Path) -> Result<Vec<String>> {
    let path = dir.join(IMAGES_FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(err) => return Err(err).with_context(|| format!("reading {}", path.display())),
    };
    images_in(&path.display().to_string(), &text)
}

/// The default images declared under `values` in the CUE source `text`
/// (named `name` in messages).
pub fn images_in(name: &str, text: &str) -> Result<Vec<String>> {
    let runtime = Runtime::new();
    let root = runtime
        .compile_files(&[(name, text)])
        .map_err(|err| anyhow!("reading {name} failed: {err}"))?;
    let values = root
        .lookup("values")
        .map_err(|err| anyhow!("reading {name} failed: {err}"))?;
    let mut images = Vec::new();
    collect(&values, &mut images).with_context(|| format!("reading {name} failed"))?;
    images.sort();
    images.dedup();
    Ok(images)
}

fn collect(value: &Value, images: &mut Vec<String>) -> Result<()> {
    if value.is_list() {
        for item in value.list().map_err(|err| anyhow!("{err}"))? {
            collect(&item, images)?;
        }
        return Ok(());
    }
    if !value.is_struct() {
        return Ok(());
    }
    let fields = value
        .fields(FieldOpts::default())
        .map_err(|err| anyhow!("{err}"))?;
    let field = |label: &str| fields.iter().find(|f| f.label == label).map(|f| &f.value);
    if let Some(repository) = field("repository")
        && (field("tag").is_some() || field("digest").is_some())
    {
        let reference = reference(repository, field("tag"), field("digest"))
            .with_context(|| format!("at {}", value.path()))?;
        images.push(reference);
        return Ok(());
    }
    for f in &fields {
        collect(&f.value, images)?;
    }
    Ok(())
}

/// `repository[:tag][@digest]` from the fields' defaults, checked.
fn reference(repository: &Value, tag: Option<&Value>, digest: Option<&Value>) -> Result<String> {
    let mut reference = default_string(repository)?;
    check_repository(&reference)?;
    if let Some(tag) = tag
        .map(default_string)
        .transpose()?
        .filter(|t| !t.is_empty())
    {
        check_tag(&tag).with_context(|| format!("invalid image reference {reference}:{tag}"))?;
        reference = format!("{reference}:{tag}");
    }
    if let Some(digest) = digest
        .map(default_string)
        .transpose()?
        .filter(|d| !d.is_empty())
    {
        validate_digest(&digest)
            .with_context(|| format!("invalid image reference {reference}@{digest}"))?;
        reference = format!("{reference}@{digest}");
    }
    Ok(reference)
}

fn default_string(value: &Value) -> Result<String> {
    match value.default_value().to_json() {
        Ok(serde_json::Value::String(s)) => Ok(s),
        Ok(other) => bail!("{}: {other} is not a string", value.path()),
        Err(err) => bail!("{}: not a concrete string: {err}", value.path()),
    }
}

/// A repository: an optional registry host (with a `.` or `:`, or
/// `localhost`) then lowercase path components of `[a-z0-9]` joined by
/// `.`, `_`, `__` or `-` runs, as in the distribution reference grammar.
fn check_repository(repository: &str) -> Result<()> {
    let invalid = || anyhow!("invalid image repository {repository:?}");
    if repository.is_empty() {
        bail!("image repository is empty");
    }
    let mut parts: Vec<&str> = repository.split('/').collect();
    if parts.len() > 1
        && (parts[0].contains(['.', ':']) || parts[0] == "localhost")
        && parts[0]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':'))
    {
        parts.remove(0);
    }
    for part in parts {
        let ok = !part.is_empty()
            && part.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
            && part.ends_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
            && part.chars().all(|c| {
                c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-')
            });
        if !ok {
            return Err(invalid());
        }
    }
    Ok(())
}

/// A tag: `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
fn check_tag(tag: &str) -> Result<()> {
    let ok = tag.len() <= 128
        && tag.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
        && tag
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if !ok {
        bail!("invalid tag {tag:?}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIGEST: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";

    #[test]
    fn finds_default_images_sorted_and_deduplicated() {
        let source = format!(
            r#"
package main

#Image: {{
	repository!: string
	tag!:        string
	digest!:     string
}}

values: {{
	image: #Image & {{repository: *"docker.io/library/nginx" | string, tag: *"1.27" | string, digest: ""}}
	sidecar: {{repository: "ghcr.io/org/proxy", tag: "", digest: "{DIGEST}"}}
	again: {{repository: "docker.io/library/nginx", tag: "1.27"}}
	jobs: [{{repository: "localhost:5000/tools/job", tag: "v2", digest: "{DIGEST}"}}]
	// Not an image: no tag and no digest.
	store: repository: "s3://bucket"
	replicas: 2
}}
"#
        );
        assert_eq!(
            images_in("images.cue", &source).unwrap(),
            [
                "docker.io/library/nginx:1.27".to_owned(),
                format!("ghcr.io/org/proxy@{DIGEST}"),
                format!("localhost:5000/tools/job:v2@{DIGEST}"),
            ]
        );
    }

    #[test]
    fn refuses_invalid_references_and_missing_values() {
        let err = images_in(
            "images.cue",
            "values: a: {repository: \"Bad/Repo\", tag: \"1\"}",
        )
        .unwrap_err();
        assert!(
            format!("{err:#}").contains("invalid image repository"),
            "{err:#}"
        );
        let err =
            images_in("images.cue", "values: a: {repository: \"x\", tag: \"a b\"}").unwrap_err();
        assert!(format!("{err:#}").contains("invalid tag"), "{err:#}");
        let err =
            images_in("images.cue", "values: a: {repository: string, tag: \"1\"}").unwrap_err();
        assert!(
            format!("{err:#}").contains("not a concrete string"),
            "{err:#}"
        );
        let err = images_in("images.cue", "other: 1").unwrap_err();
        assert!(
            format!("{err:#}").contains("reading images.cue failed"),
            "{err:#}"
        );
    }
}
