//! URI templates (`v3/…/{var}/…`) and RFC 3986 percent-encoding.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::error::{Error, Result};
use crate::validate::{Limits, Location, check_string};

/// Everything but RFC 3986 unreserved characters (`A-Z a-z 0-9 - . _ ~`) is encoded,
/// so a path value can never add a segment, a query or a fragment. Case is never changed.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

pub(crate) fn encode_component(value: &str, out: &mut String) {
    out.extend(utf8_percent_encode(value, COMPONENT));
}

/// Splits an absolute template into (origin, path); a relative one has no origin.
pub(crate) fn split_origin(template: &str) -> Result<(Option<&str>, &str)> {
    for scheme in ["https://", "http://"] {
        // Schemes are case-insensitive (RFC 3986 §3.1): `HTTPS://host/…` is absolute too, not
        // a relative path on the configured host (found by fuzzing).
        let matches = template
            .get(..scheme.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(scheme));
        if matches {
            let (_, rest) = template.split_at(scheme.len());
            let slash = rest.find('/').ok_or_else(|| {
                Error::invalid_input(
                    "template",
                    "an absolute template needs a path after the host",
                )
            })?;
            let (origin, path) = template.split_at(scheme.len().saturating_add(slash));
            return Ok((Some(origin), path));
        }
    }
    // A relative reference cannot have `:` in its first segment (RFC 3986 §4.2): `ftp://…`,
    // `HTTPS:/x` or `mailto:x` are URLs of another shape, never a WeChat Pay path.
    let first_segment = template
        .trim_start_matches('/')
        .split(['/', '?'])
        .next()
        .unwrap_or_default();
    if !template.starts_with('/') && first_segment.contains(':') {
        return Err(Error::invalid_input(
            "template",
            "the template looks like a URL with another scheme: only https:// and http:// URLs or paths are accepted",
        ));
    }
    Ok((None, template))
}

/// `origin` with its scheme (`https`/`http`, any case) in lower case.
pub(crate) fn lower_case_scheme(origin: &str) -> std::borrow::Cow<'_, str> {
    match origin.split_once("://") {
        Some((scheme, rest)) if scheme.bytes().any(|b| b.is_ascii_uppercase()) => {
            format!("{}://{rest}", scheme.to_ascii_lowercase()).into()
        }
        _ => origin.into(),
    }
}

/// Expands `{name}` variables with percent-encoded values into the path.
///
/// Every variable must be given and every given value must be used, so a typo in a
/// parameter name is an error instead of a request to the wrong URL.
pub(crate) fn expand_path<'a, I>(template: &str, params: I, out: &mut String) -> Result<()>
where
    I: IntoIterator<Item = (&'a str, &'a str)> + Clone,
{
    let start = out.len();
    expand_into(template, params, out)?;
    // fetch, browsers and most HTTP stacks normalise `.`/`..` segments (WHATWG URL, also in
    // their `%2e` forms), so such a path would be sent somewhere other than where it was signed.
    if out
        .get(start..)
        .unwrap_or_default()
        .split('/')
        .any(is_dot_segment)
    {
        return Err(Error::invalid_input(
            "template",
            "the path holds a dot segment (`.`, `..` or a %2e form), which HTTP clients resolve away",
        ));
    }
    Ok(())
}

/// `.` or `..`, also spelt with `%2e`/`%2E`. Checked without allocating: it runs for every
/// segment of every request.
fn is_dot_segment(segment: &str) -> bool {
    let mut rest = segment.as_bytes();
    let mut dots: u8 = 0;
    while let Some(after) = rest.strip_prefix(b".").or_else(|| {
        let (head, tail) = rest.split_at_checked(3)?;
        head.eq_ignore_ascii_case(b"%2e").then_some(tail)
    }) {
        rest = after;
        dots = dots.saturating_add(1);
    }
    rest.is_empty() && (dots == 1 || dots == 2)
}

fn expand_into<'a, I>(template: &str, params: I, out: &mut String) -> Result<()>
where
    I: IntoIterator<Item = (&'a str, &'a str)> + Clone,
{
    if !template.starts_with('/') {
        out.push('/');
    }
    let mut used = 0usize;
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let (literal, after) = rest.split_at(open);
        check_literal(literal)?;
        out.push_str(literal);
        let (name, after_close) = after
            .strip_prefix('{')
            .and_then(|inside| inside.split_once('}'))
            .ok_or_else(|| Error::invalid_input("template", "unclosed `{` in the path template"))?;
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(Error::invalid_input(
                "template",
                "path template variables look like `{name}`",
            ));
        }
        let value = params
            .clone()
            .into_iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v)
            .ok_or_else(|| {
                Error::invalid_input(name, format!("path parameter `{name}` is missing"))
            })?;
        check_string(name, value, Limits::NONE, Location::Path)?;
        if is_dot_segment(value) {
            return Err(Error::invalid_input(
                name,
                format!(
                    "path parameter `{name}` must not be `.` or `..`: HTTP clients resolve dot segments away, so the request would go elsewhere than signed"
                ),
            ));
        }
        encode_component(value, out);
        used = used.saturating_add(1);
        rest = after_close;
    }
    check_literal(rest)?;
    out.push_str(rest);
    if let Some((unused, _)) = params
        .into_iter()
        .find(|(n, _)| !template.contains(&format!("{{{n}}}")))
    {
        return Err(Error::invalid_input(
            unused,
            format!("path parameter `{unused}` does not appear in the template"),
        ));
    }
    debug_assert!(used > 0 || !template.contains('{'));
    Ok(())
}

/// Literal parts of a template are written as they are, so they must already be a valid path.
fn check_literal(literal: &str) -> Result<()> {
    let ok = literal
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-._~/%!$&'()*+,;=:@".contains(&b));
    if !ok {
        return Err(Error::invalid_input(
            "template",
            "path template holds characters that need encoding; put values in `{variables}`",
        ));
    }
    Ok(())
}

/// `name=value&…` with both sides percent-encoded, in the order given.
pub(crate) fn append_query(query: &[(String, String)], out: &mut String) -> Result<()> {
    for (i, (name, value)) in query.iter().enumerate() {
        if name.is_empty() {
            return Err(Error::invalid_input(
                "query",
                "query parameter names must not be empty",
            ));
        }
        out.push(if i == 0 { '?' } else { '&' });
        encode_component(name, out);
        out.push('=');
        encode_component(value, out);
    }
    Ok(())
}

/// A base URL is an origin: `https://host[:port]`, optionally with a trailing slash.
pub(crate) fn normalize_origin(field: &str, url: &str) -> Result<String> {
    let trimmed = url.strip_suffix('/').unwrap_or(url);
    let authority = trimmed
        .strip_prefix("https://")
        .or_else(|| trimmed.strip_prefix("http://"))
        .ok_or_else(|| {
            Error::invalid_input(
                field,
                format!("`{field}` must start with https:// or http://"),
            )
        })?;
    let valid = !authority.is_empty()
        && authority
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b));
    if !valid {
        return Err(Error::invalid_input(
            field,
            format!("`{field}` must be scheme://host[:port] with no path, query or credentials"),
        ));
    }
    Ok(trimmed.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expand(template: &str, params: &[(&str, &str)]) -> Result<String> {
        let mut out = String::new();
        expand_path(template, params.iter().copied(), &mut out)?;
        Ok(out)
    }

    #[test]
    fn values_are_encoded_and_never_case_folded() {
        let url = expand("v3/x/{id}/y", &[("id", "AbC/é~._-")]).expect("valid");
        assert_eq!(url, "/v3/x/AbC%2F%C3%A9~._-/y");
    }

    #[test]
    fn missing_and_unused_params_name_the_field() {
        assert_eq!(expand("/v3/{a}", &[]).unwrap_err().field(), Some("a"));
        assert_eq!(
            expand("/v3/{a}", &[("a", "1"), ("b", "2")])
                .unwrap_err()
                .field(),
            Some("b")
        );
    }

    #[test]
    fn dot_segments_are_refused_in_values_and_templates() {
        for value in [".", "..", "%2e", "%2E%2e", ".%2E"] {
            assert_eq!(
                expand("/v3/x/{id}/y", &[("id", value)])
                    .unwrap_err()
                    .field(),
                Some("id"),
                "{value}"
            );
        }
        for template in [
            "/v3/../x",
            "v3/./x",
            "/v3/%2e%2e/x",
            "/v3/x/..",
            "/v3/.%2e/x",
        ] {
            assert_eq!(
                expand(template, &[]).unwrap_err().field(),
                Some("template"),
                "{template}"
            );
        }
        // Dots inside a longer segment are ordinary.
        assert_eq!(
            expand("/v3/x/{id}", &[("id", "a..b")]).unwrap(),
            "/v3/x/a..b"
        );
        assert_eq!(expand("/v3/x/{id}", &[("id", "...")]).unwrap(), "/v3/x/...");
        assert_eq!(
            expand("/v3/x/{id}", &[("id", "%2E%2e%2E")]).unwrap(),
            "/v3/x/%252E%252e%252E"
        );
        assert_eq!(
            expand("/v3/x/{id}", &[("id", "a/..")]).unwrap(),
            "/v3/x/a%2F.."
        );
    }

    #[test]
    fn a_lower_case_scheme_is_kept_as_is_and_an_upper_case_one_lowered() {
        // Every request checks its origin: one already in lower case (nearly all) is not copied.
        let kept = lower_case_scheme("https://api.mch.weixin.qq.com");
        assert!(matches!(kept, std::borrow::Cow::Borrowed(_)));
        assert_eq!(kept, "https://api.mch.weixin.qq.com");
        assert_eq!(lower_case_scheme("HTTPs://API.x"), "https://API.x");
        assert_eq!(lower_case_scheme("no scheme"), "no scheme");
    }

    #[test]
    fn origins() {
        assert_eq!(
            normalize_origin("base_url", "https://api2.mch.weixin.qq.com/").expect("ok"),
            "https://api2.mch.weixin.qq.com"
        );
        assert_eq!(
            normalize_origin("base_url", "http://127.0.0.1:8080").expect("ok"),
            "http://127.0.0.1:8080"
        );
        assert!(normalize_origin("base_url", "https://h/v3").is_err());
        assert!(normalize_origin("base_url", "ftp://h").is_err());
        assert!(normalize_origin("base_url", "https://u:p@h").is_err());
    }
}
