//! Package `encoding/csv`: Go's `csv.Reader.ReadAll` and `csv.Writer`.

use super::{bytes, fail, func, list};
use crate::kind::{BYTES, LIST, STRING};
use crate::{Builtin, Data, StdError};

const P: &str = "encoding/csv";

/// Reads all records; every record must have as many fields as the first.
pub fn decode(text: &str) -> Result<Vec<Vec<String>>, StdError> {
    let mut records: Vec<Vec<String>> = Vec::new();
    let mut chars = text.chars().peekable();
    let mut line = 1;
    while chars.peek().is_some() {
        // Skip empty lines.
        if matches!(chars.peek(), Some('\n')) {
            chars.next();
            line += 1;
            continue;
        }
        if chars.peek() == Some(&'\r') {
            let mut look = chars.clone();
            look.next();
            if look.peek() == Some(&'\n') {
                chars.next();
                chars.next();
                line += 1;
                continue;
            }
        }
        let mut rec = Vec::new();
        loop {
            let mut field = String::new();
            if chars.peek() == Some(&'"') {
                chars.next();
                loop {
                    match chars.next() {
                        Some('"') if chars.peek() == Some(&'"') => {
                            chars.next();
                            field.push('"');
                        }
                        Some('"') => break,
                        Some(c) => {
                            if c == '\n' {
                                line += 1;
                            }
                            field.push(c);
                        }
                        None => {
                            return fail(format!(
                                "record on line {line}: extraneous or missing \" in quoted-field"
                            ));
                        }
                    }
                }
                match chars.peek() {
                    None | Some(',') | Some('\n') | Some('\r') => {}
                    Some(_) => {
                        return fail(format!(
                            "parse error on line {line}: extraneous or missing \" in quoted-field"
                        ));
                    }
                }
            } else {
                while let Some(&c) = chars.peek() {
                    if c == ',' || c == '\n' || c == '\r' {
                        break;
                    }
                    if c == '"' {
                        return fail(format!(
                            "parse error on line {line}: bare \" in non-quoted-field"
                        ));
                    }
                    field.push(c);
                    chars.next();
                }
            }
            rec.push(field);
            match chars.next() {
                Some(',') => continue,
                Some('\r') => {
                    if chars.peek() == Some(&'\n') {
                        chars.next();
                    }
                    break;
                }
                _ => break,
            }
        }
        line += 1;
        if let Some(first) = records.first()
            && first.len() != rec.len()
        {
            return fail(format!(
                "record on line {}: wrong number of fields",
                line - 1
            ));
        }
        records.push(rec);
    }
    Ok(records)
}

fn needs_quotes(f: &str) -> bool {
    !f.is_empty()
        && (f == "\\."
            || f.contains([',', '"', '\r', '\n'])
            || f.chars().next().is_some_and(super::strings::is_space))
}

/// Writes records as Go's `csv.Writer` does (`\n` line ends).
pub fn encode(records: &[Vec<String>]) -> String {
    let mut out = String::new();
    for r in records {
        let fields: Vec<String> = r
            .iter()
            .map(|f| {
                if needs_quotes(f) {
                    format!("\"{}\"", f.replace('"', "\"\""))
                } else {
                    f.clone()
                }
            })
            .collect();
        out.push_str(&fields.join(","));
        out.push('\n');
    }
    out
}

/// The functions.
pub static FUNCS: &[Builtin] = &[
    func!(P, "Decode", [BYTES | STRING], LIST, |a| {
        let text = String::from_utf8_lossy(&bytes(&a[0])).into_owned();
        let recs = decode(&text)?;
        Ok(Data::List(recs.into_iter().map(super::str_list).collect()))
    }),
    func!(P, "Encode", [LIST], STRING, |a| {
        let mut recs = Vec::new();
        for r in list(&a[0]) {
            let Data::List(fs) = r else {
                return fail(format!("cannot use {r} as list"));
            };
            recs.push(
                fs.iter()
                    .map(|f| match f {
                        Data::String(s) => s.clone(),
                        other => other.to_string(),
                    })
                    .collect(),
            );
        }
        Ok(Data::str(encode(&recs)))
    }),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_writes_like_go() {
        let r = decode(
            "first_name,last_name\n\"Rob\",\"Pike\"\nKen,\"Thomp\"\"son\"\n\n\"a,b\",\"c\nd\"\n",
        )
        .unwrap();
        assert_eq!(r[1], ["Rob", "Pike"]);
        assert_eq!(r[2], ["Ken", "Thomp\"son"]);
        assert_eq!(r[3], ["a,b", "c\nd"]);
        assert!(
            decode("a,b\nc\n")
                .unwrap_err()
                .msg
                .contains("wrong number of fields")
        );
        assert!(decode("a\"b\n").is_err());
        assert_eq!(
            encode(&r),
            "first_name,last_name\nRob,Pike\nKen,\"Thomp\"\"son\"\n\"a,b\",\"c\nd\"\n"
        );
        assert_eq!(encode(&[vec![" x".into(), "".into()]]), "\" x\",\n");
    }
}
