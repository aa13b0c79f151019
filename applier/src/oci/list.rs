//! Listing a module's versions.

use anyhow::Result;

use super::client::{Registry, RegistryOptions};
use super::reference::ModuleUrl;

/// One listed version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedVersion {
    /// The tag: a semver version, or `latest`.
    pub version: String,
    /// The manifest digest it points to.
    pub digest: String,
}

/// The tags that are strict semver versions (no `v` prefix, as Timoni
/// requires), sorted oldest first.
pub fn semver_tags(tags: &[String]) -> Vec<(semver::Version, String)> {
    let mut versions: Vec<_> = tags
        .iter()
        .filter_map(|t| semver::Version::parse(t).ok().map(|v| (v, t.clone())))
        .collect();
    versions.sort();
    versions
}

/// Lists `url`'s versions, newest first, each with its digest; the `latest`
/// tag, when present, comes first (as `timoni mod list` shows it).
pub async fn list_versions(
    url: &ModuleUrl,
    options: &RegistryOptions,
) -> Result<Vec<ListedVersion>> {
    let registry = Registry::new(url, options)?;
    let tags = registry.list_tags(url).await?;
    let mut listed = Vec::new();
    if tags.iter().any(|t| t == "latest") {
        let digest = registry.tag_digest(url, "latest").await?;
        listed.push(ListedVersion {
            version: "latest".to_owned(),
            digest,
        });
    }
    for (_, tag) in semver_tags(&tags).into_iter().rev() {
        let digest = registry.tag_digest(url, &tag).await?;
        listed.push(ListedVersion {
            version: tag,
            digest,
        });
    }
    Ok(listed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_by_semver() {
        let tags: Vec<String> = ["1.10.0", "latest", "1.9.0", "v2.0.0", "2.0.0-rc.1", "1.2"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let sorted: Vec<_> = semver_tags(&tags).into_iter().map(|(_, t)| t).collect();
        assert_eq!(sorted, ["1.9.0", "1.10.0", "2.0.0-rc.1"]);
    }
}
