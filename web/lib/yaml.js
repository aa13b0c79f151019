// JSON value -> YAML text, in the block style kubectl prints. Strings are
// quoted whenever a plain scalar could be read back as something else.

const RESERVED = /^(?:~|null|Null|NULL|true|True|TRUE|false|False|FALSE|y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF|\.inf|\.nan|[-+]?\.inf)$/;
const NUMBERISH = /^[-+]?(?:\d[\d_]*(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$|^0[xo][0-9a-fA-F]+$|^[-+]?\d+:\d+/;
const PLAIN = /^(?:[A-Za-z0-9_./$@(]|-(?=\S))[^\n\t]*$/;

/** Whether `s` can be written as a plain (unquoted) scalar. */
function plainOk(s) {
  return (
    s !== '' &&
    PLAIN.test(s) &&
    !RESERVED.test(s) &&
    !NUMBERISH.test(s) &&
    s.trim() === s &&
    !s.includes(': ') &&
    !s.includes(' #') &&
    !s.endsWith(':') &&
    !/[{}[\],&*!|>'"%`]/.test(s[0])
  );
}

function scalar(s) {
  return plainOk(s) ? s : JSON.stringify(s);
}

function isBlockString(v) {
  return typeof v === 'string' && v.includes('\n') && !v.includes('\r') && !/^[ \t]/.test(v) && !/[ \t]\n/.test(v);
}

function block(s, indent) {
  const chomp = s.endsWith('\n') ? (s.endsWith('\n\n') ? '+' : '') : '-';
  const body = s.endsWith('\n') && chomp === '' ? s.slice(0, -1) : chomp === '+' ? s.slice(0, -1) : s;
  const pad = ' '.repeat(indent);
  return `|${chomp}\n` + body.split('\n').map((l) => (l === '' ? '' : pad + l)).join('\n');
}

function isCollection(v) {
  return v !== null && typeof v === 'object' && (Array.isArray(v) ? v.length > 0 : Object.keys(v).length > 0);
}

function inline(v) {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return scalar(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return '[]';
  return '{}';
}

function emit(v, indent, out) {
  const pad = ' '.repeat(indent);
  if (Array.isArray(v)) {
    for (const item of v) {
      if (isCollection(item)) {
        const inner = [];
        emit(item, indent + 2, inner);
        // The first line of the nested block goes on the dash line.
        out.push(pad + '- ' + inner[0].slice(indent + 2), ...inner.slice(1));
      } else if (isBlockString(item)) {
        out.push(pad + '- ' + block(item, indent + 2));
      } else {
        out.push(pad + '- ' + inline(item));
      }
    }
    return;
  }
  for (const [k, item] of Object.entries(v)) {
    const key = pad + scalar(k) + ':';
    if (isCollection(item)) {
      out.push(key);
      emit(item, Array.isArray(item) ? indent + 2 : indent + 2, out);
    } else if (isBlockString(item)) {
      out.push(key + ' ' + block(item, indent + 2));
    } else {
      out.push(key + ' ' + inline(item));
    }
  }
}

/** Renders a JSON-compatible value as a YAML document (ending in a newline). */
export function toYaml(value) {
  if (!isCollection(value)) return inline(value) + '\n';
  const out = [];
  emit(value, 0, out);
  return out.join('\n') + '\n';
}
