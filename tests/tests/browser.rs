//! The preview page in a real browser: headless Chromium (Debian's
//! `chromium`, driven through `chromium-driver`) loads the page from `ferry
//! preview`, loads the example bundle, runtime and modules through the
//! page's folder picker, and checks what the page shows. Screenshots go to
//! `target/test-artifacts/`.
//!
//! Needs `scripts/build-web` to have built `web/pkg`.
//!
//! The checks of planned content (matrix, YAML, error locations) need the
//! planner to build the example modules; they run only with
//! `FERRY_BROWSER_PLANS=1` until it does (see `plans_enabled`).

use std::time::Duration;

use anyhow::Context;
use fantoccini::Locator;
use ferry_tests::browser::{Browser, Preview, example_input, workspace_root};
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(30);

/// Opt-in for the checks that need real plans of the example bundle.
fn plans_enabled() -> bool {
    std::env::var("FERRY_BROWSER_PLANS").is_ok_and(|v| v == "1")
}

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

/// Uploads the examples folder through the page's folder picker
/// (`<input webkitdirectory>`), as a user choosing the folder would.
async fn load_examples(browser: &Browser) -> anyhow::Result<()> {
    let before = browser
        .client
        .execute("return document.body.dataset.planned ?? '';", vec![])
        .await?;
    let input = browser.client.find(Locator::Id("add-folder")).await?;
    input
        .send_keys(&workspace_root().join("examples").display().to_string())
        .await
        .context("choosing the examples folder")?;
    // A new plan arrives once the files are read and planned.
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
    browser.close().await
}

/// What the native planner plans for the examples with the page's inputs.
fn native_plan() -> anyhow::Result<planner::PlanOutput> {
    Ok(planner::plan(&example_input()?))
}

#[tokio::test(flavor = "multi_thread")]
async fn matrix_yaml_and_error_locations() -> anyhow::Result<()> {
    if !plans_enabled() {
        eprintln!("skipped: set FERRY_BROWSER_PLANS=1 once the planner builds the example modules");
        return Ok(());
    }
    let preview = Preview::start(&[])?;
    let browser = Browser::start().await?;
    open(&browser, &preview).await?;
    load_examples(&browser).await?;
    let native = native_plan()?;
    assert!(
        !native.diagnostics.iter().any(|d| d.is_error()),
        "the native plan of the examples has errors: {:?}",
        native.diagnostics
    );

    // Every cluster is a column and every instance a row, with the count
    // of its objects in each cell.
    let matrix = js(
        &browser,
        "return { clusters: [...document.querySelectorAll('#matrix-table thead th[data-cluster]')].map(th => th.dataset.cluster),
                  cells: [...document.querySelectorAll('#matrix-table td.cell')].map(td => [td.dataset.instance, td.dataset.cluster, Number(td.dataset.count)]) };",
    )
    .await?;
    let clusters: Vec<String> = serde_json::from_value(matrix["clusters"].clone())?;
    assert_eq!(clusters, ["staging-1", "production-1", "production-2"]);
    let mut cells: Vec<(String, String, usize)> = serde_json::from_value(matrix["cells"].clone())?;
    cells.sort();
    let mut expected = Vec::new();
    for c in &native.clusters {
        for i in &c.instances {
            let n = i.steps.iter().map(|s| s.objects.len()).sum::<usize>();
            expected.push((i.name.clone(), c.name.clone(), n));
        }
    }
    expected.sort();
    assert_eq!(cells, expected);
    for instance in ["frontend", "backend", "cache"] {
        assert!(
            cells.iter().any(|(i, _, n)| i == instance && *n > 0),
            "{instance} has objects"
        );
    }
    browser.screenshot("preview-matrix.png").await?;

    // An object's YAML: click the cell, pick the Deployment, and read the
    // YAML back; it is the native plan's object.
    let cell = browser
        .client
        .find(Locator::Css(
            "td.cell[data-instance='frontend'][data-cluster='production-1']",
        ))
        .await?;
    cell.click().await?;
    let planned = native
        .clusters
        .iter()
        .find(|c| c.name == "production-1")
        .and_then(|c| c.instances.iter().find(|i| i.name == "frontend"))
        .context("frontend on production-1")?;
    let deployment = planned
        .steps
        .iter()
        .flat_map(|s| &s.objects)
        .find(|o| o.kind == "Deployment")
        .context("frontend has a Deployment")?;
    let key = format!(
        "Deployment {}/{}",
        deployment.namespace.as_deref().unwrap_or_default(),
        deployment.name
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
    assert_eq!(shown, deployment.object);
    assert!(
        yaml.contains("replicas: 3"),
        "production runs 3 replicas:\n{yaml}"
    );
    browser.screenshot("preview-object.png").await?;

    // A syntax error in the bundle shows its location, linked to the source.
    js(
        &browser,
        "const p = 'examples/bundle.cue'; window.ferryPreview.openFile(p);
         const src = document.getElementById('source');
         src.value = src.value.replace('name:       \"shop\"', 'name:       \"shop\" }}');
         src.dispatchEvent(new Event('input'));
         return true;",
    )
    .await?;
    let line = std::fs::read_to_string(workspace_root().join("examples/bundle.cue"))?
        .lines()
        .position(|l| l.contains("name:       \"shop\""))
        .context("the bundle names itself")?
        + 1;
    let loc = browser
        .wait_js(
            "[...document.querySelectorAll('#diag-body a.loc')].map(a => a.textContent).find(t => t.startsWith('examples/bundle.cue:'))",
            WAIT,
        )
        .await?;
    let loc = loc.as_str().unwrap_or_default().to_string();
    assert!(
        loc.starts_with(&format!("examples/bundle.cue:{line}:")),
        "location {loc}, expected line {line}"
    );
    browser
        .client
        .find(Locator::Css("[data-tab='diagnostics']"))
        .await?
        .click()
        .await?;
    js(
        &browser,
        "[...document.querySelectorAll('#diag-body a.loc')].find(a => a.textContent.startsWith('examples/bundle.cue:')).click(); return true;",
    )
    .await?;
    let caret_line = js(
        &browser,
        "const s = document.getElementById('source'); return s.value.slice(0, s.selectionStart).split('\\n').length;",
    )
    .await?;
    assert_eq!(caret_line, json!(line));
    browser.screenshot("preview-syntax-error.png").await?;
    browser.close().await
}
