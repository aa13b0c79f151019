//! Package `net`: IP addresses (as strings or lists of bytes), CIDR
//! ranges, domain names and URL escaping.

use super::{fail, func, int, s, validator};
use crate::kind::{INT, LIST, STRING};
use crate::{Builtin, Data, StdError, StdResult};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

const P: &str = "net";

/// An IP from a string or a list of 4 or 16 bytes.
fn ip(d: &Data) -> Option<IpAddr> {
    match d {
        Data::String(x) => x.parse().ok(),
        Data::List(l) => {
            let b: Option<Vec<u8>> = l
                .iter()
                .map(|x| int(x).ok().and_then(|i| u8::try_from(i).ok()))
                .collect();
            let b = b?;
            match b.len() {
                4 => Some(IpAddr::V4(Ipv4Addr::new(b[0], b[1], b[2], b[3]))),
                16 => {
                    let a: [u8; 16] = b.try_into().ok()?;
                    Some(IpAddr::V6(Ipv6Addr::from(a)))
                }
                _ => None,
            }
        }
        _ => None,
    }
}

fn need_ip(d: &Data) -> Result<IpAddr, StdError> {
    ip(d).ok_or_else(|| StdError::new(format!("invalid IP {d}")))
}

/// The IPv4 form of an address, including IPv4-mapped IPv6 addresses.
fn to4(a: IpAddr) -> Option<Ipv4Addr> {
    match a {
        IpAddr::V4(v) => Some(v),
        IpAddr::V6(v) => v.to_ipv4_mapped(),
    }
}

fn bytes_list(b: &[u8]) -> Data {
    Data::List(b.iter().map(|&x| Data::int(x)).collect())
}

fn to16(a: IpAddr) -> [u8; 16] {
    match a {
        IpAddr::V4(v) => v.to_ipv6_mapped().octets(),
        IpAddr::V6(v) => v.octets(),
    }
}

/// Parses `addr/prefix`.
fn cidr(x: &str) -> Result<(IpAddr, u8), StdError> {
    let bad = || StdError::new(format!("invalid CIDR address: {x}"));
    let (a, p) = x.split_once('/').ok_or_else(bad)?;
    let a: IpAddr = a.parse().map_err(|_| bad())?;
    if p.is_empty()
        || p.len() > 3
        || !p.bytes().all(|b| b.is_ascii_digit())
        || (p.len() > 1 && p.starts_with('0'))
    {
        return Err(bad());
    }
    let p: u8 = p.parse().map_err(|_| bad())?;
    let max = if a.is_ipv4() { 32 } else { 128 };
    if p > max {
        return Err(bad());
    }
    Ok((a, p))
}

fn in_cidr(a: IpAddr, net: IpAddr, prefix: u8) -> bool {
    let (x, y, p) = match (a, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => (
            u128::from(u32::from(a)) << 96,
            u128::from(u32::from(n)) << 96,
            prefix,
        ),
        (IpAddr::V6(a), IpAddr::V6(n)) => (u128::from(a), u128::from(n), prefix),
        (IpAddr::V6(a), IpAddr::V4(n)) => match a.to_ipv4_mapped() {
            Some(a) => (
                u128::from(u32::from(a)) << 96,
                u128::from(u32::from(n)) << 96,
                prefix,
            ),
            None => return false,
        },
        (IpAddr::V4(a), IpAddr::V6(n)) => (u128::from(a.to_ipv6_mapped()), u128::from(n), prefix),
    };
    let mask = if p == 0 {
        0
    } else {
        u128::MAX << (128 - u32::from(p))
    };
    x & mask == y & mask
}

/// RFC 1034 names: ASCII letters, digits and hyphens in labels of 1–63
/// characters, at most 255 in all, an optional trailing dot.
pub fn fqdn(x: &str) -> bool {
    let name = x.strip_suffix('.').unwrap_or(x);
    if name.is_empty() || x.len() > 255 {
        return false;
    }
    name.split('.').all(|l| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    })
}

/// Percent-escaping as Go's `url.QueryEscape` (`space` = `+`) or
/// `url.PathEscape`.
fn escape(x: &str, query: bool) -> String {
    let mut out = String::new();
    for b in x.bytes() {
        let keep = b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'_' | b'.' | b'~')
            || (!query && matches!(b, b'$' | b'&' | b'+' | b',' | b':' | b';' | b'=' | b'@'));
        if keep {
            out.push(b as char);
        } else if query && b == b' ' {
            out.push('+');
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn unescape(x: &str, query: bool) -> StdResult {
    let b = x.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                let h = x
                    .get(i + 1..i + 3)
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match h {
                    Some(v) => out.push(v),
                    None => {
                        return fail(format!(
                            "invalid URL escape {}",
                            super::json::quote(&x[i..(i + 3).min(x.len())])
                        ));
                    }
                }
                i += 3;
                continue;
            }
            b'+' if query => out.push(b' '),
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8(out)
        .map(Data::String)
        .map_err(|_| StdError::new("invalid UTF-8"))
}

/// The functions.
pub static FUNCS: &[Builtin] = &[
    validator!(P, "FQDN", [STRING], |a| Ok(Data::Bool(fqdn(&s(&a[0]))))),
    validator!(P, "IP", [STRING | LIST], |a| Ok(Data::Bool(
        ip(&a[0]).is_some()
    ))),
    validator!(P, "IPv4", [STRING | LIST], |a| Ok(Data::Bool(
        ip(&a[0]).and_then(to4).is_some()
    ))),
    validator!(P, "IPv6", [STRING | LIST], |a| Ok(Data::Bool(matches!(
        ip(&a[0]),
        Some(IpAddr::V6(_))
    )))),
    validator!(P, "IPCIDR", [STRING], |a| cidr(&s(&a[0]))
        .map(|_| Data::Bool(true))),
    validator!(P, "LoopbackIP", [STRING | LIST], |a| Ok(Data::Bool(
        ip(&a[0]).is_some_and(|i| i.is_loopback())
    ))),
    validator!(P, "MulticastIP", [STRING | LIST], |a| Ok(Data::Bool(
        ip(&a[0]).is_some_and(|i| i.is_multicast())
    ))),
    validator!(P, "UnspecifiedIP", [STRING | LIST], |a| Ok(Data::Bool(
        ip(&a[0]).is_some_and(|i| i.is_unspecified())
    ))),
    validator!(P, "LinkLocalUnicastIP", [STRING | LIST], |a| {
        Ok(Data::Bool(ip(&a[0]).is_some_and(|i| match i {
            IpAddr::V4(v) => v.is_link_local(),
            IpAddr::V6(v) => v.segments()[0] & 0xffc0 == 0xfe80,
        })))
    }),
    validator!(P, "GlobalUnicastIP", [STRING | LIST], |a| {
        Ok(Data::Bool(ip(&a[0]).is_some_and(|i| match i {
            IpAddr::V4(v) => {
                !(v.is_unspecified()
                    || v.is_loopback()
                    || v.is_multicast()
                    || v.is_link_local()
                    || v.is_broadcast())
            }
            IpAddr::V6(v) => {
                !(v.is_unspecified()
                    || v.is_loopback()
                    || v.is_multicast()
                    || v.segments()[0] & 0xffc0 == 0xfe80)
            }
        })))
    }),
    validator!(P, "InCIDR", [STRING | LIST, STRING], |a| {
        let (n, p) = cidr(&s(&a[1]))?;
        Ok(Data::Bool(in_cidr(need_ip(&a[0])?, n, p)))
    }),
    func!(P, "ParseIP", [STRING], LIST, |a| {
        let i = need_ip(&a[0])?;
        Ok(match i {
            IpAddr::V4(v) => bytes_list(&v.octets()),
            IpAddr::V6(v) => bytes_list(&v.octets()),
        })
    }),
    func!(
        P,
        "ToIP4",
        [STRING | LIST],
        LIST,
        |a| match to4(need_ip(&a[0])?) {
            Some(v) => Ok(bytes_list(&v.octets())),
            None => fail(format!("cannot convert {} to IPv4", a[0])),
        }
    ),
    func!(P, "ToIP16", [STRING | LIST], LIST, |a| Ok(bytes_list(
        &to16(need_ip(&a[0])?)
    ))),
    func!(P, "IPString", [STRING | LIST], STRING, |a| Ok(Data::str(
        need_ip(&a[0])?.to_string()
    ))),
    func!(P, "SplitHostPort", [STRING], LIST, |a| {
        let x = s(&a[0]);
        let (host, port) = if let Some(rest) = x.strip_prefix('[') {
            let (h, p) = rest
                .split_once(']')
                .ok_or_else(|| StdError::new(format!("address {x}: missing ']' in address")))?;
            (
                h.to_string(),
                p.strip_prefix(':')
                    .ok_or_else(|| StdError::new(format!("address {x}: missing port in address")))?
                    .to_string(),
            )
        } else {
            let (h, p) = x
                .rsplit_once(':')
                .ok_or_else(|| StdError::new(format!("address {x}: missing port in address")))?;
            if h.contains(':') {
                return fail(format!("address {x}: too many colons in address"));
            }
            (h.to_string(), p.to_string())
        };
        Ok(super::str_list([host, port]))
    }),
    func!(
        P,
        "JoinHostPort",
        [STRING | INT | LIST, STRING | INT],
        STRING,
        |a| {
            let host = match &a[0] {
                Data::List(_) => need_ip(&a[0])?.to_string(),
                other => s(other).into_owned(),
            };
            let port = s(&a[1]);
            Ok(Data::str(if host.contains(':') {
                format!("[{host}]:{port}")
            } else {
                format!("{host}:{port}")
            }))
        }
    ),
    func!(P, "PathEscape", [STRING], STRING, |a| Ok(Data::str(
        escape(&s(&a[0]), false)
    ))),
    func!(P, "PathUnescape", [STRING], STRING, |a| unescape(
        &s(&a[0]),
        false
    )),
    func!(P, "QueryEscape", [STRING], STRING, |a| Ok(Data::str(
        escape(&s(&a[0]), true)
    ))),
    func!(P, "QueryUnescape", [STRING], STRING, |a| unescape(
        &s(&a[0]),
        true
    )),
    func!(P, "IPCIDRString", [STRING], STRING, |a| {
        let (n, p) = cidr(&s(&a[0]))?;
        Ok(Data::str(format!("{n}/{p}")))
    }),
];

#[cfg(test)]
mod tests {
    use crate::{Data, lookup};

    fn call(n: &str, args: Vec<Data>) -> crate::StdResult {
        lookup("net", n).unwrap().call(&args)
    }
    fn st(x: &str) -> Data {
        Data::str(x)
    }

    #[test]
    fn ip_validators() {
        assert_eq!(call("IP", vec![st("10.0.0.1")]), Ok(Data::Bool(true)));
        assert_eq!(call("IP", vec![st("10.0.0.256")]), Ok(Data::Bool(false)));
        assert_eq!(call("IP", vec![st("010.0.0.1")]), Ok(Data::Bool(false)));
        assert_eq!(call("IPv4", vec![st("::1")]), Ok(Data::Bool(false)));
        assert_eq!(
            call(
                "IPv4",
                vec![Data::List(vec![
                    Data::int(10),
                    Data::int(0),
                    Data::int(0),
                    Data::int(1)
                ])]
            ),
            Ok(Data::Bool(true))
        );
        assert_eq!(call("IPv6", vec![st("2001:db8::1")]), Ok(Data::Bool(true)));
        assert_eq!(call("IPCIDR", vec![st("10.0.0.0/8")]), Ok(Data::Bool(true)));
        assert!(call("IPCIDR", vec![st("10.0.0.0/33")]).is_err());
        assert_eq!(
            call("InCIDR", vec![st("10.1.2.3"), st("10.0.0.0/8")]),
            Ok(Data::Bool(true))
        );
        assert_eq!(
            call("InCIDR", vec![st("11.1.2.3"), st("10.0.0.0/8")]),
            Ok(Data::Bool(false))
        );
        assert_eq!(
            call("LoopbackIP", vec![st("127.0.0.1")]),
            Ok(Data::Bool(true))
        );
    }

    #[test]
    fn names_and_conversions() {
        assert_eq!(call("FQDN", vec![st("example.com.")]), Ok(Data::Bool(true)));
        assert_eq!(call("FQDN", vec![st("-bad.com")]), Ok(Data::Bool(false)));
        assert_eq!(call("FQDN", vec![st("a..b")]), Ok(Data::Bool(false)));
        assert_eq!(
            call(
                "IPString",
                vec![Data::List([127, 0, 0, 1].map(Data::int).to_vec())]
            ),
            Ok(st("127.0.0.1"))
        );
        assert_eq!(
            call("ToIP4", vec![st("::ffff:10.0.0.1")]),
            Ok(Data::List([10, 0, 0, 1].map(Data::int).to_vec()))
        );
        assert_eq!(
            call("SplitHostPort", vec![st("[::1]:80")]),
            Ok(Data::List(vec![st("::1"), st("80")]))
        );
        assert_eq!(
            call("JoinHostPort", vec![st("::1"), st("80")]),
            Ok(st("[::1]:80"))
        );
        assert_eq!(
            call("QueryEscape", vec![st("a b/c?")]),
            Ok(st("a+b%2Fc%3F"))
        );
        assert_eq!(call("PathEscape", vec![st("a b/c")]), Ok(st("a%20b%2Fc")));
        assert_eq!(call("QueryUnescape", vec![st("a+b%2F")]), Ok(st("a b/")));
    }
}
