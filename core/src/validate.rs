//! Input rules shared by typed operations, the generic call and the client config.

use crate::error::{Error, Result};

/// Length and character-set rules of one string field, as the API documents them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Maximum length in characters (Unicode scalar values), if documented.
    pub max_chars: Option<usize>,
    /// Only ASCII letters and digits (e.g. `out_contract_code`: "只能是数字、大小写字母的组合").
    pub alnum: bool,
}

impl Limits {
    /// No documented limit beyond the rules every string follows.
    pub const NONE: Limits = Limits {
        max_chars: None,
        alnum: false,
    };

    /// At most `n` characters.
    pub const fn max(n: usize) -> Limits {
        Limits {
            max_chars: Some(n),
            alnum: false,
        }
    }

    /// Also restrict to ASCII letters and digits.
    pub const fn alnum(self) -> Limits {
        Limits {
            alnum: true,
            ..self
        }
    }
}

/// Where a field travels: a URL path segment, the query string or the JSON body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    /// A `{var}` of the path template.
    Path,
    /// A `name=value` pair of the query string (part of the signed URL).
    Query,
    /// A member of the JSON body.
    Body,
}

impl Location {
    /// `path`, `query` or `body`, as the catalog JSON spells it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Location::Path => "path",
            Location::Query => "query",
            Location::Body => "body",
        }
    }
}

/// Every string the API accepts: non-empty, UTF-8 of one to three bytes per character
/// (APIv3 basic rules: no 4-byte characters such as emoji), within its documented limits.
/// Path values also may not hold whitespace or control characters, which no WeChat Pay id has.
pub(crate) fn check_string(
    field: &str,
    value: &str,
    limits: Limits,
    location: Location,
) -> Result<()> {
    if value.is_empty() {
        return Err(Error::invalid_input(
            field,
            format!("`{field}` must not be empty"),
        ));
    }
    if value.chars().any(|c| c as u32 > 0xFFFF) {
        return Err(Error::invalid_input(
            field,
            format!(
                "`{field}` contains a 4-byte UTF-8 character (e.g. an emoji), which WeChat Pay rejects"
            ),
        ));
    }
    if let Some(max) = limits.max_chars {
        let count = value.chars().count();
        if count > max {
            return Err(Error::invalid_input(
                field,
                format!("`{field}` is {count} characters long; at most {max} are allowed"),
            ));
        }
    }
    if limits.alnum && !value.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(Error::invalid_input(
            field,
            format!("`{field}` may contain only ASCII letters and digits"),
        ));
    }
    // Ids in the URL never hold whitespace or controls; a body remark may.
    if location != Location::Body && value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Error::invalid_input(
            field,
            format!("`{field}` contains whitespace or a control character"),
        ));
    }
    Ok(())
}

/// The request nonce goes into the signed message and the quoted `Authorization` value.
pub(crate) fn check_nonce(nonce: &str) -> Result<()> {
    if nonce.is_empty() || nonce.len() > 32 || !nonce.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(Error::invalid_input(
            "nonce",
            "nonce must be 1 to 32 ASCII letters or digits",
        ));
    }
    Ok(())
}

/// Unix seconds; WeChat Pay rejects requests more than 5 minutes off its clock.
pub(crate) fn check_timestamp(timestamp: i64) -> Result<()> {
    if timestamp < 0 {
        return Err(Error::invalid_input(
            "timestamp",
            "timestamp must be non-negative Unix seconds",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_counts_characters_not_bytes() {
        let remark: String = "解".repeat(256);
        assert!(check_string("r", &remark, Limits::max(256), Location::Body).is_ok());
        let long: String = "解".repeat(257);
        let err = check_string("r", &long, Limits::max(256), Location::Body).unwrap_err();
        assert_eq!(err.field(), Some("r"));
    }

    #[test]
    fn three_byte_characters_pass_four_byte_ones_fail() {
        assert!(check_string("r", "用户解约", Limits::NONE, Location::Body).is_ok());
        assert!(check_string("r", "用户😀", Limits::NONE, Location::Body).is_err());
    }

    #[test]
    fn path_values_reject_whitespace_body_values_keep_it() {
        assert!(check_string("id", "a b", Limits::NONE, Location::Path).is_err());
        assert!(check_string("id", "a b", Limits::NONE, Location::Body).is_ok());
    }

    #[test]
    fn nonce_rules() {
        assert!(check_nonce("593BEC0C930BF1AFEB40B4A08C8FB242").is_ok());
        assert!(check_nonce("").is_err());
        assert!(check_nonce("a b").is_err());
        assert!(check_nonce("a\"b").is_err());
        assert!(check_nonce(&"a".repeat(33)).is_err());
    }
}
