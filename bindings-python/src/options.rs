//! The client options, read from `ClientConfig`'s own `Deserialize` impl: the names serde
//! derives for it and the shape each field asks for. The core exposes no list of its options,
//! so the binding walks the deserializer once instead of copying the list; the Python
//! `Client` signature and the stubs are built from the result.
//!
//! Shapes: `str`, `int`, `bool`, `float`, `text_or_bytes` (a field that deserialises through
//! `deserialize_any` and takes text or bytes: key material), `Optional[…]`, `List[…]`. A field
//! of any other shape is an error, so a new kind of option fails the import (and the tests)
//! rather than being typed wrongly.

use serde::Deserialize;
use serde::de::value::Error;
use serde::de::{
    DeserializeSeed, Deserializer, Error as _, IntoDeserializer, MapAccess, SeqAccess, Visitor,
};
use wxpay_terminate::ClientConfig;

/// Every option of `ClientConfig` as `(name, shape)`, in declaration order.
pub(crate) fn client_options() -> Result<Vec<(String, String)>, String> {
    let mut options = Vec::new();
    ClientConfig::deserialize(Fields {
        options: &mut options,
    })
    .map_err(|e| format!("cannot read the client options of the core: {e}"))?;
    Ok(options)
}

/// The top level: answers `deserialize_struct` with every field name serde asks about.
struct Fields<'a> {
    options: &'a mut Vec<(String, String)>,
}

impl<'de> Deserializer<'de> for Fields<'_> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Error> {
        Err(Error::custom("ClientConfig is not a struct"))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_map(FieldMap {
            fields: fields.iter(),
            current: None,
            options: self.options,
        })
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

struct FieldMap<'a> {
    fields: std::slice::Iter<'static, &'static str>,
    current: Option<&'static str>,
    options: &'a mut Vec<(String, String)>,
}

impl<'de> MapAccess<'de> for FieldMap<'_> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        match self.fields.next() {
            Some(name) => {
                self.current = Some(name);
                seed.deserialize((*name).into_deserializer()).map(Some)
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, Error> {
        let name = self
            .current
            .take()
            .ok_or_else(|| Error::custom("a value without a key"))?;
        let mut shape = String::new();
        let value = seed
            .deserialize(Shape { out: &mut shape })
            .map_err(|e| Error::custom(format!("option `{name}`: {e}")))?;
        self.options.push((name.to_owned(), shape));
        Ok(value)
    }
}

/// One field's value: records the shape asked for and answers with a placeholder of it.
struct Shape<'a> {
    out: &'a mut String,
}

macro_rules! shapes {
    ($($method:ident => $shape:literal, $visit:ident($value:expr);)*) => {
        $(fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            *self.out = $shape.to_owned();
            visitor.$visit($value)
        })*
    };
}

macro_rules! unsupported {
    ($($method:ident)*) => {
        $(fn $method<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Error> {
            Err(Error::custom(concat!("the binding has no Python type for ", stringify!($method))))
        })*
    };
}

impl<'de> Deserializer<'de> for Shape<'_> {
    type Error = Error;

    shapes! {
        deserialize_any => "text_or_bytes", visit_str("");
        deserialize_str => "str", visit_str("");
        deserialize_string => "str", visit_str("");
        deserialize_bool => "bool", visit_bool(false);
        deserialize_u8 => "int", visit_u64(0);
        deserialize_u16 => "int", visit_u64(0);
        deserialize_u32 => "int", visit_u64(0);
        deserialize_u64 => "int", visit_u64(0);
        deserialize_i8 => "int", visit_i64(0);
        deserialize_i16 => "int", visit_i64(0);
        deserialize_i32 => "int", visit_i64(0);
        deserialize_i64 => "int", visit_i64(0);
        deserialize_f32 => "float", visit_f64(0.0);
        deserialize_f64 => "float", visit_f64(0.0);
    }

    unsupported! {
        deserialize_i128 deserialize_u128 deserialize_char deserialize_bytes deserialize_byte_buf
        deserialize_unit deserialize_map deserialize_identifier deserialize_ignored_any
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let mut inner = String::new();
        let value = visitor.visit_some(Shape { out: &mut inner })?;
        *self.out = format!("Optional[{inner}]");
        Ok(value)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let mut inner = String::new();
        let value = visitor.visit_seq(OneItem {
            out: &mut inner,
            done: false,
        })?;
        *self.out = format!("List[{inner}]");
        Ok(value)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _visitor: V,
    ) -> Result<V::Value, Error> {
        Err(Error::custom(
            "the binding has no Python type for a unit struct",
        ))
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        _visitor: V,
    ) -> Result<V::Value, Error> {
        Err(Error::custom("the binding has no Python type for a tuple"))
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        _visitor: V,
    ) -> Result<V::Value, Error> {
        Err(Error::custom(
            "the binding has no Python type for a tuple struct",
        ))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Error> {
        Err(Error::custom(
            "the binding has no Python type for a nested struct",
        ))
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Error> {
        Err(Error::custom("the binding has no Python type for an enum"))
    }
}

/// A sequence of one element, so the element's shape is recorded too.
struct OneItem<'a> {
    out: &'a mut String,
    done: bool,
}

impl<'de> SeqAccess<'de> for OneItem<'_> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        if self.done {
            return Ok(None);
        }
        self.done = true;
        seed.deserialize(Shape { out: self.out }).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::client_options;

    #[test]
    fn reads_every_option_of_client_config() {
        let options = client_options().expect("options");
        let find = |name: &str| {
            options
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, s)| s.as_str())
        };
        assert_eq!(find("mchid"), Some("str"));
        assert_eq!(find("private_key"), Some("Optional[text_or_bytes]"));
        assert_eq!(find("platform_certificates"), Some("List[text_or_bytes]"));
        assert_eq!(find("apiv3_key"), Some("Optional[text_or_bytes]"));
        assert_eq!(find("base_url"), Some("Optional[str]"));
    }
}
