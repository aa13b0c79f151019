//! The preview page in a real browser: headless Chromium (Debian's
//! `chromium`, driven through `chromium-driver`) loads the page from `ferry
//! preview`, loads the example bundle, runtime and modules through the
//! page's folder picker, and checks what the page shows. Screenshots go to
//! `target/test-artifacts/`.
//!
//! Needs `scripts/build-web` to have built `web/pkg`.
//!
//! Planned content (matrix, YAML, error locations) is checked on the
//! fixture `tests/fixtures/preview` (one-file module, with a diff between
//! clusters) and on `examples/` (modules importing vendored packages), each
//! against the native planner's plan of the same input.

use std::time::Duration;

use anyhow::Context;
use fantoccini::Locator;
use ferry_tests::browser::{Browser, Preview, example_input, fixture_input, workspace_root};
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(30);

/// Opens the page on a fresh session and waits for the wasm planner.
async fn open(browser: &Browser, preview: &Preview) -> anyhow::Result<f64> {
    browser
        .client
        .goto(&format!("{}?fresh", preview.url))
        .await?;
    browser
        .wait_js("document.body.dataset.plannerReady === 'true'", WAIT)
        .await?;
    let ms = browser
        .client
        .execute("return performance.now();", vec![])
        .await?
        .as_f64()
        .unwrap_or_default();
    Ok(ms)
}

/// Waits for the page to finish a plan newer than `before` (the value of
/// `document.body.dataset.planned` before the change).
async fn wait_planned(browser: &Browser, before: &Value) -> anyhow::Result<()> {
    browser
        .wait_js(
            &format!(
                "document.body.dataset.planned !== {before} && !document.body.dataset.planning"
            ),
            WAIT,
        )
        .await?;
    Ok(())
}

async fn planned(browser: &Browser) -> anyhow::Result<Value> {
    js(browser, "return document.body.dataset.planned ?? '';").await
}

/// Uploads a folder (relative to the workspace root) through the page's
/// folder picker (`<input webkitdirectory>`), as a user choosing it would.
async fn load_folder(browser: &Browser, dir: &str) -> anyhow::Result<()> {
    let before = planned(browser).await?;
    let input = browser.client.find(Locator::Id("add-folder")).await?;
    input
        .send_keys(&workspace_root().join(dir).display().to_string())
        .await
        .with_context(|| format!("choosing the folder {dir}"))?;
    wait_planned(browser, &before).await
}

/// Loads a JSON file of runtime values per cluster through the page's
/// "Load values JSON" picker.
async fn load_values(browser: &Browser, file: &str) -> anyhow::Result<()> {
    let before = planned(browser).await?;
    let input = browser.client.find(Locator::Id("open-values")).await?;
    input
        .send_keys(&workspace_root().join(file).display().to_string())
        .await
        .with_context(|| format!("choosing {file}"))?;
    wait_planned(browser, &before).await
}

async fn load_examples(browser: &Browser) -> anyhow::Result<()> {
    load_folder(browser, "examples").await
}

async fn js(browser: &Browser, script: &str) -> anyhow::Result<Value> {
    Ok(browser.client.execute(script, vec![]).await?)
}

#[tokio::test(flavor = "multi_thread")]
async fn page_loads_examples_and_works_offline() -> anyhow::Result<()> {
    let preview = Preview::start(&[])?;
    let browser = Browser::start().await?;
    let ready_ms = open(&browser, &preview).await?;
    println!("page and wasm planner ready {ready_ms:.0} ms after navigation");
    assert_eq!(browser.client.title().await?, "ferry preview");

    load_examples(&browser).await?;
    // The folder's files are in the tree with their roles.
    let tree = js(
        &browser,
        "return [...document.querySelectorAll('#file-tree li[data-path]')].map(li => [li.dataset.path, li.querySelector('.tag')?.textContent ?? '']);",
    )
    .await?;
    let tree: Vec<(String, String)> = serde_json::from_value(tree)?;
    assert!(
        tree.contains(&("examples/bundle.cue".into(), "bundle".into())),
        "{tree:?}"
    );
    assert!(
        tree.contains(&("examples/runtime.cue".into(), "runtime".into())),
        "{tree:?}"
    );
    assert!(
        tree.iter()
            .any(|(p, _)| p == "examples/modules/webapp/templates/deployment.cue"),
        "module files are loaded: {tree:?}"
    );
    // The page planned them and reports what the planner said: the
    // diagnostics badge equals the rows of the diagnostics table.
    let (badge, rows) = serde_json::from_value::<(String, usize)>(
        js(
            &browser,
            "return [document.getElementById('diag-count').textContent, document.querySelectorAll('#diag-body tr td.sev').length];",
        )
        .await?,
    )?;
    assert_eq!(badge, rows.to_string());
    browser.screenshot("preview-examples.png").await?;

    // The session survives a reload (IndexedDB).
    browser.client.goto(&preview.url).await?;
    browser
        .wait_js("document.body.dataset.plannerReady === 'true'", WAIT)
        .await?;
    browser
        .wait_js(
            "document.querySelector('#file-tree li[data-path=\"examples/bundle.cue\"]') !== null",
            WAIT,
        )
        .await?;

    // Offline: once the service worker has cached the page, it loads and
    // plans with the server gone.
    js(
        &browser,
        "return navigator.serviceWorker.ready.then(() => true);",
    )
    .await?;
    browser
        .wait_js("navigator.serviceWorker.controller !== null", WAIT)
        .await
        .context("the service worker controls the page")?;
    let url = preview.url.clone();
    drop(preview);
    browser.client.goto(&url).await?;
    browser
        .wait_js("document.body.dataset.plannerReady === 'true'", WAIT)
        .await?;
    browser
        .wait_js(
            "document.querySelector('#file-tree li[data-path=\"examples/bundle.cue\"]') !== null",
            WAIT,
        )
        .await?;
    browser.screenshot("preview-offline.png").await?;
    browser.close().await
}

#[tokio::test(flavor = "multi_thread")]
async fn page_opens_a_preloaded_input() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("input.json");
    std::fs::write(&path, serde_json::to_string(&example_input()?)?)?;
    let preview = Preview::start(&["--input", path.to_str().unwrap()])?;
    let browser = Browser::start().await?;
    // Without `?fresh` the page takes the preloaded input over any saved session.
    browser.client.goto(&preview.url).await?;
    browser
        .wait_js("document.body.dataset.plannerReady === 'true'", WAIT)
        .await?;
    browser
        .wait_js(
            "document.body.dataset.planned && !document.body.dataset.planning",
            WAIT,
        )
        .await?;
    let active = js(
        &browser,
        "return document.getElementById('editor-path').textContent;",
    )
    .await?;
    assert_eq!(active, json!("examples/bundle.cue"));
    let source = js(&browser, "return document.getElementById('source').value;").await?;
    assert_eq!(
        source.as_str(),
        Some(std::fs::read_to_string(workspace_root().join("examples/bundle.cue"))?.as_str())
    );
    drop(preview);

    // `ferry preview -f ... --runtime ... --runtime-values ...` reads the
    // bundle and its modules from disk; the page opens on its plan.
    let fixture = "tests/fixtures/preview";
    let preview = Preview::start(&[
        "-f",
        &format!("{fixture}/bundle.cue"),
        "--runtime",
        &format!("{fixture}/runtime.cue"),
        "--runtime-values",
        &format!("{fixture}/values.json"),
    ])?;
    browser.client.goto(&preview.url).await?;
    browser
        .wait_js("document.body.dataset.plannerReady === 'true'", WAIT)
        .await?;
    let cells = browser
        .wait_js(
            "document.querySelectorAll('#matrix-table td.cell[data-count=\"2\"]').length",
            WAIT,
        )
        .await?;
    assert_eq!(cells, json!(6), "2 instances x 3 clusters, 2 objects each");
    browser.close().await
}

/// Checks what the page shows against the native plan of the same input:
/// the matrix (every cluster and instance, object counts), one object's
/// YAML (`kind` of `instance` on `cluster`), and that a syntax error in the
/// bundle (`bundle` as the page names it, `disk` as the workspace does) at
/// the line holding `marker` is shown with its location and links to it.
/// Saves screenshots named after `name`.
async fn check_plan_in_page(
    browser: &Browser,
    name: &str,
    native: &planner::PlanOutput,
    (cluster, instance, kind): (&str, &str, &str),
    (bundle, disk, marker): (&str, &str, &str),
) -> anyhow::Result<()> {
    assert!(
        !native.diagnostics.iter().any(|d| d.is_error()),
        "the native plan has errors: {:?}",
        native.diagnostics
    );
    browser
        .client
        .find(Locator::Css("[data-tab='matrix']"))
        .await?
        .click()
        .await?;
    // Every cluster is a column and every instance a row, with the count
    // of its objects in each cell.
    let matrix = js(
        browser,
        "return { clusters: [...document.querySelectorAll('#matrix-table thead th[data-cluster]')].map(th => th.dataset.cluster),
                  cells: [...document.querySelectorAll('#matrix-table td.cell')].map(td => [td.dataset.instance, td.dataset.cluster, Number(td.dataset.count)]) };",
    )
    .await?;
    let clusters: Vec<String> = serde_json::from_value(matrix["clusters"].clone())?;
    let native_clusters: Vec<&str> = native.clusters.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(clusters, native_clusters);
    let mut cells: Vec<(String, String, usize)> = serde_json::from_value(matrix["cells"].clone())?;
    cells.sort();
    let mut expected = Vec::new();
    for c in &native.clusters {
        for i in &c.instances {
            let n = i.steps.iter().map(|s| s.objects.len()).sum::<usize>();
            assert!(n > 0, "{}/{} has objects", c.name, i.name);
            expected.push((i.name.clone(), c.name.clone(), n));
        }
    }
    expected.sort();
    assert_eq!(cells, expected);
    browser.screenshot(&format!("{name}-matrix.png")).await?;

    // An object's YAML: click the cell, pick the object, read the YAML back;
    // it is the native plan's object.
    browser
        .client
        .find(Locator::Css(&format!(
            "td.cell[data-instance='{instance}'][data-cluster='{cluster}']"
        )))
        .await?
        .click()
        .await?;
    let object = native
        .clusters
        .iter()
        .find(|c| c.name == cluster)
        .and_then(|c| c.instances.iter().find(|i| i.name == instance))
        .and_then(|i| {
            i.steps
                .iter()
                .flat_map(|s| &s.objects)
                .find(|o| o.kind == kind)
        })
        .with_context(|| format!("{instance} on {cluster} has a {kind}"))?;
    let key = format!(
        "{kind} {}/{}",
        object.namespace.as_deref().unwrap_or_default(),
        object.name
    );
    browser
        .client
        .find(Locator::Css(&format!("#obj-list li[data-key='{key}']")))
        .await?
        .click()
        .await?;
    let yaml = browser
        .client
        .find(Locator::Id("obj-yaml"))
        .await?
        .text()
        .await?;
    let shown: Value = serde_saphyr::from_str(&yaml)
        .with_context(|| format!("the page's YAML parses:\n{yaml}"))?;
    assert_eq!(shown, object.object, "the page's YAML:\n{yaml}");
    browser.screenshot(&format!("{name}-object.png")).await?;

    // A syntax error in the bundle shows its location, linked to the source.
    let line = std::fs::read_to_string(workspace_root().join(disk))?
        .lines()
        .position(|l| l.contains(marker))
        .context("the marker is in the bundle")?
        + 1;
    let before = planned(browser).await?;
    browser
        .client
        .execute(
            "window.ferryPreview.openFile(arguments[0]);
             const src = document.getElementById('source');
             src.value = src.value.replace(arguments[1], arguments[1] + ' }}');
             src.dispatchEvent(new Event('input'));",
            vec![json!(bundle), json!(marker)],
        )
        .await?;
    wait_planned(browser, &before).await?;
    let loc = browser
        .wait_js(
            &format!(
                "[...document.querySelectorAll('#diag-body a.loc')].map(a => a.textContent).find(t => t.startsWith('{bundle}:'))"
            ),
            WAIT,
        )
        .await?;
    let loc = loc.as_str().unwrap_or_default().to_string();
    assert!(
        loc.starts_with(&format!("{bundle}:{line}:")),
        "location {loc}, expected line {line}"
    );
    browser
        .client
        .find(Locator::Css("[data-tab='diagnostics']"))
        .await?
        .click()
        .await?;
    browser
        .client
        .execute(
            "[...document.querySelectorAll('#diag-body a.loc')].find(a => a.textContent.startsWith(arguments[0] + ':')).click();",
            vec![json!(bundle)],
        )
        .await?;
    let caret_line = js(
        browser,
        "const s = document.getElementById('source'); return s.value.slice(0, s.selectionStart).split('\\n').length;",
    )
    .await?;
    assert_eq!(caret_line, json!(line));
    browser
        .screenshot(&format!("{name}-syntax-error.png"))
        .await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn fixture_matrix_yaml_diff_and_error_locations() -> anyhow::Result<()> {
    let preview = Preview::start(&[])?;
    let browser = Browser::start().await?;
    open(&browser, &preview).await?;
    load_folder(&browser, "tests/fixtures/preview").await?;
    load_values(&browser, "tests/fixtures/preview/values.json").await?;
    let native = planner::plan(&fixture_input()?);

    // The runtime values reached the plan: each cluster's region.
    let cm = js(
        &browser,
        "window.ferryPreview.selectTab('objects');
         const pick = (id, v) => { const e = document.getElementById(id); e.value = v; e.dispatchEvent(new Event('change')); };
         pick('obj-cluster', 'production-2'); pick('obj-instance', 'web');
         document.querySelector(\"#obj-list li[data-key='ConfigMap apps/web-config']\").click();
         return document.getElementById('obj-yaml').textContent;",
    )
    .await?;
    assert!(
        cm.as_str()
            .unwrap_or_default()
            .contains("message: hello from ap-south-1"),
        "{cm}"
    );

    // The diff of one object between a staging and a production cluster.
    js(
        &browser,
        "window.ferryPreview.selectTab('diff');
         const pick = (id, v) => { const e = document.getElementById(id); e.value = v; e.dispatchEvent(new Event('change')); };
         pick('diff-object', 'web\\u0000ConfigMap apps/web-config'); pick('diff-a', 'staging-1'); pick('diff-b', 'production-1');
         return true;",
    )
    .await?;
    let diff = browser
        .client
        .find(Locator::Id("diff-view"))
        .await?
        .text()
        .await?;
    for line in [
        "-   message: hello from eu-west-1",
        "+   message: hello from us-east-1",
        "-   tier: staging",
        "+   tier: production",
    ] {
        assert!(
            diff.lines().any(|l| l == line),
            "{line:?} in the diff:\n{diff}"
        );
    }
    browser.screenshot("fixture-diff.png").await?;

    check_plan_in_page(
        &browser,
        "fixture",
        &native,
        ("production-1", "web", "Deployment"),
        // A chosen folder's files are named from the folder on.
        (
            "preview/bundle.cue",
            "tests/fixtures/preview/bundle.cue",
            "name:       \"demo\"",
        ),
    )
    .await?;
    browser.close().await
}

#[tokio::test(flavor = "multi_thread")]
async fn examples_matrix_yaml_and_error_locations() -> anyhow::Result<()> {
    let preview = Preview::start(&[])?;
    let browser = Browser::start().await?;
    open(&browser, &preview).await?;
    load_examples(&browser).await?;
    let values_file = "examples/runtime-values.json";
    load_values(&browser, values_file).await?;
    // The page's own timing of the example plan (3 clusters), for the
    // README; reported, not asserted.
    let status = js(
        &browser,
        "return document.getElementById('status').textContent;",
    )
    .await?;
    println!("page status after planning the examples: {status}");
    let mut input = example_input()?;
    let values: std::collections::BTreeMap<
        String,
        std::collections::BTreeMap<String, planner::input::RuntimeValue>,
    > = serde_json::from_str(&std::fs::read_to_string(
        workspace_root().join(values_file),
    )?)?;
    for (cluster, values) in values {
        input.clusters.entry(cluster).or_default().runtime_values = values;
    }
    let native = planner::plan(&input);

    // Each cluster's region reached its frontend page.
    for (cluster, region) in [
        ("staging-1", "eu-west"),
        ("production-1", "us-east"),
        ("production-2", "ap-south"),
    ] {
        let cm = native
            .clusters
            .iter()
            .find(|c| c.name == cluster)
            .and_then(|c| c.instances.iter().find(|i| i.name == "frontend"))
            .and_then(|i| {
                i.steps
                    .iter()
                    .flat_map(|s| &s.objects)
                    .find(|o| o.kind == "ConfigMap")
            })
            .with_context(|| format!("{cluster} has a frontend ConfigMap"))?;
        let yaml = js(
            &browser,
            &format!(
                "window.ferryPreview.selectTab('objects');
                 const pick = (id, v) => {{ const e = document.getElementById(id); e.value = v; e.dispatchEvent(new Event('change')); }};
                 pick('obj-cluster', '{cluster}'); pick('obj-instance', 'frontend');
                 document.querySelector(\"#obj-list li[data-key='ConfigMap shop/{}']\").click();
                 return document.getElementById('obj-yaml').textContent;",
                cm.name
            ),
        )
        .await?;
        assert!(
            yaml.as_str()
                .unwrap_or_default()
                .contains(&format!("region: {region}")),
            "{cluster}: {yaml}"
        );
    }

    check_plan_in_page(
        &browser,
        "examples",
        &native,
        ("production-1", "frontend", "Deployment"),
        (
            "examples/bundle.cue",
            "examples/bundle.cue",
            "name:       \"shop\"",
        ),
    )
    .await?;
    browser.close().await
}
