//! Typed values as JSON text with absent optional fields left out, written in one pass.
//!
//! Bindings whose host parses JSON natively (the JS engine's `JSON.parse`) take results as text:
//! serialising the typed value straight to text is several times cheaper than building a
//! `serde_json::Value`, pruning its nulls and writing that out.

use std::io::{self, Write};

use serde::Serialize;
use serde_json::ser::{CharEscape, CompactFormatter, Formatter};

/// `value` as compact JSON in which object members whose value is `null` are left out (as
/// [`crate::catalog::drop_nulls`] leaves them out of a `Value`); `null`s in arrays stay.
pub(crate) fn to_text_without_nulls<T: Serialize + ?Sized>(value: &T) -> String {
    let mut out = Vec::with_capacity(256);
    write_without_nulls(value, &mut out);
    into_text(out)
}

/// [`to_text_without_nulls`], appended to `out`.
pub(crate) fn write_without_nulls<T: Serialize + ?Sized>(value: &T, out: &mut Vec<u8>) {
    let mut serializer = serde_json::Serializer::with_formatter(out, NullMembersLeftOut::default());
    // The typed results are structs of strings and integers: serialising them cannot fail, and
    // a failure would leave partial text, so it is not swallowed silently in debug builds.
    let written = value.serialize(&mut serializer);
    debug_assert!(written.is_ok(), "typed results always serialise");
}

/// Text written by [`write_without_nulls`] (plus ASCII and `String`s around it) as a `String`.
/// serde_json writes only UTF-8 and the formatter only holds whole pieces of it back, so the
/// check cannot fail; it is kept (not `from_utf8_unchecked`) because it costs nanoseconds.
pub(crate) fn into_text(out: Vec<u8>) -> String {
    String::from_utf8(out).unwrap_or_else(|_| {
        debug_assert!(false, "serde_json writes UTF-8");
        String::new()
    })
}

/// A compact formatter that holds each object key back until its value starts: a `null` value
/// drops the key, anything else writes the separator, the key and the value.
#[derive(Default)]
struct NullMembersLeftOut {
    /// The key being written or waiting for its value (quotes and escapes included).
    key: Vec<u8>,
    writing_key: bool,
    key_pending: bool,
    /// Per open object: has a member been written yet (for the `,` before the next one).
    members_written: Vec<bool>,
}

impl NullMembersLeftOut {
    fn write_pending_key<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        if !self.key_pending {
            return Ok(());
        }
        self.key_pending = false;
        if let Some(written) = self.members_written.last_mut() {
            if *written {
                writer.write_all(b",")?;
            }
            *written = true;
        }
        writer.write_all(&self.key)?;
        writer.write_all(b":")
    }
}

/// Scalars go into the key while one is being written (serde_json writes integer map keys
/// with these too), else after the pending key.
macro_rules! scalars {
    ($($method:ident($ty:ty)),* $(,)?) => {$(
        fn $method<W: ?Sized + Write>(&mut self, writer: &mut W, value: $ty) -> io::Result<()> {
            if self.writing_key {
                CompactFormatter.$method(&mut self.key, value)
            } else {
                self.write_pending_key(writer)?;
                CompactFormatter.$method(writer, value)
            }
        }
    )*};
}

impl Formatter for NullMembersLeftOut {
    fn write_null<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        if self.key_pending {
            self.key_pending = false;
            return Ok(());
        }
        writer.write_all(b"null")
    }

    scalars! {
        write_bool(bool), write_i8(i8), write_i16(i16), write_i32(i32), write_i64(i64),
        write_i128(i128), write_u8(u8), write_u16(u16), write_u32(u32), write_u64(u64),
        write_u128(u128), write_f32(f32), write_f64(f64), write_number_str(&str),
        write_raw_fragment(&str), write_string_fragment(&str), write_byte_array(&[u8]),
    }

    fn write_char_escape<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        escape: CharEscape,
    ) -> io::Result<()> {
        if self.writing_key {
            CompactFormatter.write_char_escape(&mut self.key, escape)
        } else {
            CompactFormatter.write_char_escape(writer, escape)
        }
    }

    fn begin_string<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        if self.writing_key {
            self.key.push(b'"');
            return Ok(());
        }
        self.write_pending_key(writer)?;
        writer.write_all(b"\"")
    }

    fn end_string<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        if self.writing_key {
            self.key.push(b'"');
            return Ok(());
        }
        writer.write_all(b"\"")
    }

    fn begin_array<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.write_pending_key(writer)?;
        writer.write_all(b"[")
    }

    fn begin_object<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.write_pending_key(writer)?;
        self.members_written.push(false);
        writer.write_all(b"{")
    }

    fn end_object<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.members_written.pop();
        writer.write_all(b"}")
    }

    fn begin_object_key<W: ?Sized + Write>(
        &mut self,
        _writer: &mut W,
        _first: bool,
    ) -> io::Result<()> {
        self.key.clear();
        self.writing_key = true;
        Ok(())
    }

    fn end_object_key<W: ?Sized + Write>(&mut self, _writer: &mut W) -> io::Result<()> {
        self.writing_key = false;
        self.key_pending = true;
        Ok(())
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, _writer: &mut W) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pruned(value: &serde_json::Value) -> serde_json::Value {
        let mut value = value.clone();
        crate::catalog::drop_nulls(&mut value);
        value
    }

    #[test]
    fn leaves_out_null_members_at_every_depth_and_keeps_array_nulls() {
        let value = json!({
            "a": null, "b": 1, "c": {"x": null, "y": "s\"\n", "z": null},
            "d": [null, {"e": null}, 2], "f": null, "g": {"h": null}, "i": -7, "j": true,
            "k": 1.5, "esc\"key": "v", "l": null
        });
        let text = to_text_without_nulls(&value);
        let reparsed: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(reparsed, pruned(&value));
        assert_eq!(
            text,
            r#"{"b":1,"c":{"y":"s\"\n"},"d":[null,{},2],"g":{},"i":-7,"j":true,"k":1.5,"esc\"key":"v"}"#
        );
    }

    #[test]
    fn an_object_whose_members_are_all_null_is_empty_and_top_level_null_stays() {
        assert_eq!(to_text_without_nulls(&json!({"a": null, "b": null})), "{}");
        assert_eq!(to_text_without_nulls(&json!(null)), "null");
        assert_eq!(to_text_without_nulls(&json!([])), "[]");
        assert_eq!(
            to_text_without_nulls(&json!({"a": null, "b": [], "c": null})),
            r#"{"b":[]}"#
        );
    }

    fn json_values() -> impl proptest::strategy::Strategy<Value = serde_json::Value> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::from),
            any::<i64>().prop_map(serde_json::Value::from),
            any::<u64>().prop_map(serde_json::Value::from),
            "\\PC{0,6}".prop_map(serde_json::Value::from),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::from),
                proptest::collection::vec(("[a-z\"\\\\\u{7f}-\u{3000}]{0,4}", inner), 0..6)
                    .prop_map(|members| serde_json::Value::Object(members.into_iter().collect())),
            ]
        })
    }

    proptest::proptest! {
        /// The one-pass text is exactly the pruned `Value`, whatever the nesting and escapes.
        #[test]
        fn text_is_the_value_with_null_members_dropped(value in json_values()) {
            let text = to_text_without_nulls(&value);
            let reparsed: serde_json::Value = serde_json::from_str(&text).unwrap();
            proptest::prop_assert_eq!(&reparsed, &pruned(&value));
            proptest::prop_assert_eq!(text, serde_json::to_string(&pruned(&value)).unwrap());
        }
    }

    #[test]
    fn integer_map_keys_are_written_as_strings() {
        let map: std::collections::BTreeMap<u32, Option<u8>> = [(1, Some(2)), (3, None)].into();
        assert_eq!(to_text_without_nulls(&map), r#"{"1":2}"#);
    }
}
