// Reading dropped or picked files and folders into `{path, text}` pairs.

const SKIP_DIRS = new Set(['.git', 'node_modules', '.hg', '.svn']);
const MAX_FILE = 8 * 1024 * 1024;

function skipped(path) {
  return path.split('/').some((part) => SKIP_DIRS.has(part));
}

async function readFile(file, path) {
  if (file.size > MAX_FILE || skipped(path)) return null;
  return { path, text: await file.text() };
}

function entryFile(entry) {
  return new Promise((resolve, reject) => entry.file(resolve, reject));
}

function readBatch(reader) {
  return new Promise((resolve, reject) => reader.readEntries(resolve, reject));
}

async function walk(entry, prefix, out) {
  const path = prefix ? `${prefix}/${entry.name}` : entry.name;
  if (entry.isFile) {
    const read = await readFile(await entryFile(entry), path);
    if (read) out.push(read);
  } else if (entry.isDirectory && !SKIP_DIRS.has(entry.name)) {
    const reader = entry.createReader();
    // readEntries returns at most ~100 entries per call; call until empty.
    for (let batch = await readBatch(reader); batch.length; batch = await readBatch(reader)) {
      for (const child of batch) await walk(child, path, out);
    }
  }
}

/** Files and folders dropped on the page, with folder-relative paths. */
export async function readDrop(dataTransfer) {
  const entries = [...dataTransfer.items]
    .filter((item) => item.kind === 'file')
    .map((item) => (item.webkitGetAsEntry ? item.webkitGetAsEntry() : null));
  const out = [];
  if (entries.every(Boolean)) {
    for (const entry of entries) await walk(entry, '', out);
  } else {
    for (const file of dataTransfer.files) {
      const read = await readFile(file, file.name);
      if (read) out.push(read);
    }
  }
  return out;
}

/** Files from an `<input type=file>` (with `webkitdirectory`, paths include the folder). */
export async function readPicked(fileList) {
  const out = [];
  for (const file of fileList) {
    const read = await readFile(file, file.webkitRelativePath || file.name);
    if (read) out.push(read);
  }
  return out;
}
