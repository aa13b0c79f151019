// Line diff (longest common subsequence), small and dependency-free: the
// texts compared are single Kubernetes objects of at most a few hundred lines.

/**
 * @param {string} a
 * @param {string} b
 * @returns {{op: ' ' | '-' | '+', line: string}[]}
 */
export function diffLines(a, b) {
  const x = a.split('\n');
  const y = b.split('\n');
  if (x.at(-1) === '') x.pop();
  if (y.at(-1) === '') y.pop();
  let start = 0;
  while (start < x.length && start < y.length && x[start] === y[start]) start++;
  let endX = x.length;
  let endY = y.length;
  while (endX > start && endY > start && x[endX - 1] === y[endY - 1]) {
    endX--;
    endY--;
  }
  const n = endX - start;
  const m = endY - start;
  // lcs[i][j]: LCS length of x[start+i..endX) and y[start+j..endY).
  const lcs = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i][j] = x[start + i] === y[start + j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  const out = x.slice(0, start).map((line) => ({ op: ' ', line }));
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && x[start + i] === y[start + j]) {
      out.push({ op: ' ', line: x[start + i] });
      i++;
      j++;
    } else if (j < m && (i === n || lcs[i][j + 1] >= lcs[i + 1][j])) {
      out.push({ op: '+', line: y[start + j] });
      j++;
    } else {
      out.push({ op: '-', line: x[start + i] });
      i++;
    }
  }
  for (let k = endX; k < x.length; k++) out.push({ op: ' ', line: x[k] });
  return out;
}
