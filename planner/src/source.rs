//! Source formats: which of CUE, YAML and JSON a bundle or runtime source
//! is written in.

/// A source's format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// CUE.
    Cue,
    /// YAML (one document).
    Yaml,
    /// JSON.
    Json,
}

impl Format {
    /// The format a source name's extension selects, if it has a known one.
    pub fn from_name(name: &str) -> Option<Format> {
        let file = name.rsplit('/').next().unwrap_or(name);
        let ext = file.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase())?;
        match ext.as_str() {
            "cue" => Some(Format::Cue),
            "yaml" | "yml" => Some(Format::Yaml),
            "json" => Some(Format::Json),
            _ => None,
        }
    }

    /// The format of a source: from its name's extension, else from its
    /// content ([`Format::sniff`]).
    pub fn of(name: &str, text: &str) -> Format {
        Format::from_name(name).unwrap_or_else(|| Format::sniff(text))
    }

    /// Guesses the format of text without a name (stdin): JSON when it
    /// parses as JSON; CUE when it shows CUE-only syntax (`package`,
    /// `import`, `//` comments, attributes, a line ending in `{` or a
    /// `a: b: c` chain); YAML when it shows YAML-only syntax (`---`, `#`
    /// comments, `- ` items, a `key:` line opening an indented block);
    /// otherwise CUE.
    pub fn sniff(text: &str) -> Format {
        let trimmed = text.trim_start();
        if (trimmed.starts_with('{') || trimmed.starts_with('['))
            && serde_json::from_str::<serde_json::Value>(text).is_ok()
        {
            return Format::Json;
        }
        let lines: Vec<&str> = text.lines().collect();
        let mut yaml = 0;
        let mut cue = 0;
        for (i, raw) in lines.iter().enumerate() {
            let line = raw.trim();
            if line.is_empty() {
                continue;
            }
            if line.starts_with("package ")
                || line.starts_with("import ")
                || line.starts_with("//")
                || line.contains("@timoni(")
                || line.ends_with('{')
                || line.starts_with("let ")
            {
                cue += 1;
            }
            if line == "---" || line.starts_with("# ") || line == "#" || line.starts_with("- ") {
                yaml += 1;
            }
            // `key:` alone on its line, followed by a more indented line:
            // a YAML block mapping (CUE would need braces or `a: b: c`).
            if line.ends_with(':') && !line.contains(' ') {
                let indent = raw.len() - raw.trim_start().len();
                let next = lines[i + 1..].iter().find(|l| !l.trim().is_empty());
                if let Some(next) = next {
                    let next_indent = next.len() - next.trim_start().len();
                    if next_indent > indent {
                        yaml += 1;
                    }
                }
            }
        }
        if yaml > cue {
            Format::Yaml
        } else {
            Format::Cue
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extension_wins() {
        assert_eq!(Format::from_name("examples/bundle.cue"), Some(Format::Cue));
        assert_eq!(Format::from_name("a/b.YML"), Some(Format::Yaml));
        assert_eq!(Format::from_name("b.yaml"), Some(Format::Yaml));
        assert_eq!(Format::from_name("b.json"), Some(Format::Json));
        assert_eq!(Format::from_name("<stdin>"), None);
        assert_eq!(Format::from_name("dir.d/bundle"), None);
    }

    #[test]
    fn sniffing() {
        assert_eq!(Format::sniff("{\"bundle\": {}}"), Format::Json);
        assert_eq!(
            Format::sniff("bundle: {\n  apiVersion: \"v1alpha1\"\n}\n"),
            Format::Cue
        );
        assert_eq!(
            Format::sniff("bundle:\n  apiVersion: v1alpha1\n  name: x\n"),
            Format::Yaml
        );
        assert_eq!(Format::sniff("---\nbundle:\n  name: x\n"), Format::Yaml);
        assert_eq!(
            Format::sniff("package main\n\nbundle: name: \"x\"\n"),
            Format::Cue
        );
        // CUE that looks like JSON but is not JSON.
        assert_eq!(Format::sniff("{ bundle: name: \"x\" }"), Format::Cue);
    }
}
