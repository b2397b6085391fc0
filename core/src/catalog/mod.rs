//! The endpoint catalog: every termination endpoint, declared once.
//!
//! Each endpoint is one block of `declare_endpoints!` in [`endpoints`]: type name and id,
//! method, host, path template, typed path and body fields with their documented limits,
//! typed output and official pages. The macro derives the Rust params struct, its validation,
//! the JSON body (the struct itself, path fields skipped), an [`EndpointSpec`] that bindings
//! read, and the catalog-wide [`OPERATIONS`], [`AnyOperation`] and `for_each_operation!`, so no
//! binding holds per-endpoint code.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{Error, ErrorKind, Result};
use crate::request::Method;
use crate::validate::{Limits, Location, check_string};

pub mod endpoints;
pub mod models;

pub use endpoints::*;
pub use models::*;

/// Which WeChat Pay host serves an endpoint; each can be overridden in the client config.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum Host {
    /// `https://api.mch.weixin.qq.com` (backup `https://api2.mch.weixin.qq.com`).
    Api,
    /// `https://apihk.mch.weixin.qq.com`, for cross-border (global) APIs.
    Global,
}

impl Host {
    /// The production origin.
    pub const fn default_origin(self) -> &'static str {
        match self {
            Host::Api => "https://api.mch.weixin.qq.com",
            Host::Global => "https://apihk.mch.weixin.qq.com",
        }
    }
}

/// The JSON type of a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    /// A JSON string.
    String,
    /// A non-negative JSON integer.
    Integer,
}

/// One request field of an endpoint.
#[derive(Debug, Clone, Copy)]
pub struct FieldSpec {
    /// The API's own field name (snake_case).
    pub name: &'static str,
    /// Path segment or JSON body member.
    pub location: Location,
    /// JSON type.
    pub ty: FieldType,
    /// Whether the API requires it.
    pub required: bool,
    /// Documented length and character-set limits.
    pub limits: Limits,
    /// What the field is, from the official docs.
    pub doc: &'static str,
}

/// Everything the core knows about one endpoint.
#[derive(Debug)]
pub struct EndpointSpec {
    /// Stable operation id, e.g. `terminate_papay_contract`.
    pub id: &'static str,
    /// The official page title (Chinese).
    pub title: &'static str,
    /// HTTP method.
    pub method: Method,
    /// Host the endpoint lives on.
    pub host: Host,
    /// Path template with `{var}` path parameters.
    pub path: &'static str,
    /// 200 (JSON body) or 204 (no body).
    pub success_status: u16,
    /// Whether a JSON body is sent (`{}` when every body field is optional and absent).
    pub has_body: bool,
    /// Request fields: path parameters, then query parameters in URL order, then body fields
    /// in body order.
    pub fields: &'static [FieldSpec],
    /// Rust name of the typed output.
    pub output: &'static str,
    /// Official documentation pages.
    pub docs: &'static [&'static str],
    /// For a termination: the id of the query that reads the contract's state afterwards
    /// (terminate-and-confirm, [`crate::confirm`]).
    pub confirm_with: Option<&'static str>,
    /// For a query: whether WeChat Pay may answer 404 for a contract once it is terminated
    /// (documented for some families), so a 404 after a possibly applied termination confirms it.
    pub gone_when_terminated: bool,
}

impl EndpointSpec {
    /// The field named `name`.
    pub fn field(&self, name: &str) -> Option<&'static FieldSpec> {
        self.fields.iter().find(|f| f.name == name)
    }
}

/// A typed operation: the params struct of one endpoint.
pub trait Operation: Serialize + DeserializeOwned {
    /// The endpoint's declaration.
    const SPEC: &'static EndpointSpec;
    /// The typed success result.
    type Output: ResponseBody;
    /// Checks every field against the documented rules.
    fn validate(&self) -> Result<()>;
    /// `(name, value)` for each path parameter, unencoded.
    fn path_params(&self) -> Vec<(&'static str, String)>;
    /// `(name, value)` for each query parameter given, unencoded, in URL order (absent
    /// optional ones left out).
    fn query_params(&self) -> Vec<(String, String)>;
    /// Every field given, path, query and body alike, as a JSON object of API names: the form
    /// operations take by id (absent optional fields left out).
    fn params_json(&self) -> serde_json::Value;
    /// The compact JSON body — the params struct itself serialised, path parameters skipped
    /// and absent optional fields left out — or `None` for body-less endpoints.
    fn body(&self) -> Result<Option<Vec<u8>>> {
        if !Self::SPEC.has_body {
            return Ok(None);
        }
        serde_json::to_vec(self).map(Some).map_err(|e| {
            Error::invalid_input("body", format!("body could not be serialised ({e})"))
        })
    }
}

/// A success body type: JSON-decoded, or [`NoContent`] for 204 endpoints.
pub trait ResponseBody: Serialize + Sized + Into<AnyOutput> {
    /// The status WeChat Pay answers success with: 204 for no body, 200 for JSON.
    const SUCCESS_STATUS: u16;
    /// Decodes the verified raw body.
    fn decode(body: &[u8]) -> Result<Self>;
    /// A `$ref` to this type's JSON Schema, or `None` for [`NoContent`].
    #[cfg(feature = "schema")]
    fn schema(generator: &mut schemars::SchemaGenerator) -> Option<schemars::Schema>;
}

pub(crate) fn decode_json<T: DeserializeOwned>(body: &[u8]) -> Result<T> {
    if body.is_empty() {
        return Err(Error::new(
            ErrorKind::Decode,
            "the success response has an empty body",
        ));
    }
    decode_json_as(body, "the success body")
}

/// Decodes JSON into `T`; a mismatch names `what` and the field path, never a value.
pub(crate) fn decode_json_as<T: DeserializeOwned>(body: &[u8], what: &str) -> Result<T> {
    // Tracking the path costs as much as the decoding itself, so natively it is done only to
    // describe a body that failed. Not in WASM: a second decoder per type there costs ~200 KB of
    // .wasm for ~4 µs per parse.
    #[cfg(not(target_arch = "wasm32"))]
    if let Ok(value) = serde_json::from_slice(body) {
        return Ok(value);
    }
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut deserializer)
        .map_err(|e| decode_error(what, Some(e.path().to_string()), e.inner()))?;
    deserializer
        .end()
        .map_err(|e| decode_error(what, None, &e))?;
    Ok(value)
}

/// serde_json's own message can quote a value from the body, so only the path and the kind of
/// mismatch are reported.
fn decode_error(subject: &str, path: Option<String>, e: &serde_json::Error) -> Error {
    let what = match e.classify() {
        serde_json::error::Category::Data => "is missing or has the wrong type",
        serde_json::error::Category::Syntax | serde_json::error::Category::Io => {
            "is not valid JSON"
        }
        serde_json::error::Category::Eof => "is truncated JSON",
    };
    let at = match path.as_deref() {
        Some(path) if path != "." => format!("`{path}`"),
        _ => "the body".to_owned(),
    };
    Error::new(
        ErrorKind::Decode,
        format!(
            "{subject} does not match the documented shape: {at} {what} (line {}, column {})",
            e.line(),
            e.column()
        ),
    )
}

/// A value a request field can hold.
pub trait FieldValue {
    /// JSON type.
    const TYPE: FieldType;
    /// `false` only for `Option`.
    const REQUIRED: bool;
    /// Applies the field's rules.
    fn check(&self, name: &str, limits: Limits, location: Location) -> Result<()>;
    /// The unencoded path segment.
    fn path_segment(&self) -> String;
    /// True for an absent optional field, which the body omits.
    fn is_absent(&self) -> bool {
        false
    }
}

impl FieldValue for String {
    const TYPE: FieldType = FieldType::String;
    const REQUIRED: bool = true;
    fn check(&self, name: &str, limits: Limits, location: Location) -> Result<()> {
        check_string(name, self, limits, location)
    }
    fn path_segment(&self) -> String {
        self.clone()
    }
}

impl FieldValue for u64 {
    const TYPE: FieldType = FieldType::Integer;
    const REQUIRED: bool = true;
    fn check(&self, _: &str, _: Limits, _: Location) -> Result<()> {
        Ok(())
    }
    fn path_segment(&self) -> String {
        self.to_string()
    }
}

impl<T: FieldValue> FieldValue for Option<T> {
    const TYPE: FieldType = T::TYPE;
    const REQUIRED: bool = false;
    fn check(&self, name: &str, limits: Limits, location: Location) -> Result<()> {
        match self {
            Some(v) => v.check(name, limits, location),
            None => Ok(()),
        }
    }
    fn path_segment(&self) -> String {
        self.as_ref().map(T::path_segment).unwrap_or_default()
    }
    fn is_absent(&self) -> bool {
        self.is_none()
    }
}

/// The first id of a list of zero or one, in a const context (the macro's optional `confirm_with`).
pub(crate) const fn first_id(ids: &[&'static str]) -> Option<&'static str> {
    match ids {
        [id, ..] => Some(*id),
        [] => None,
    }
}

/// Whether `snake` is the snake_case spelling of the CamelCase `camel` (`TerminatePapayContract`
/// ↔ `terminate_papay_contract`): checked at compile time for every operation, so an id can never
/// drift from its type name.
#[allow(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    reason = "const fn run only at compile time on the catalog's own names (slice `get` is not const); bounds checked above each index"
)]
pub const fn is_snake_case_of(camel: &str, snake: &str) -> bool {
    let (c, s) = (camel.as_bytes(), snake.as_bytes());
    let (mut i, mut j) = (0, 0);
    while i < c.len() {
        let b = c[i];
        if b.is_ascii_uppercase() {
            if i > 0 {
                if j >= s.len() || s[j] != b'_' {
                    return false;
                }
                j += 1;
            }
            if j >= s.len() || s[j] != b.to_ascii_lowercase() {
                return false;
            }
        } else if j >= s.len() || s[j] != b {
            return false;
        }
        i += 1;
        j += 1;
    }
    j == s.len()
}

/// Declares every endpoint of the catalog, each in one block (see `endpoints.rs`): the params
/// struct with its validation and body, its [`EndpointSpec`], and from the whole list the
/// [`OPERATIONS`] table, the [`AnyOperation`] enum and `for_each_operation!`.
macro_rules! declare_endpoints {
    ($(
        $(#[doc = $doc:literal])*
        $name:ident => $id:ident {
            title: $title:literal,
            method: $method:ident,
            host: $host:ident,
            path: $path:literal,
            output: $output:ty,
            $(confirm_with: $confirm:ident,)?
            $(gone_when_terminated: $gone:literal,)?
            docs: [$($docurl:literal),* $(,)?],
            path_params: { $( $(#[doc = $pdoc:literal])* $pname:ident : $pty:ty = $plim:expr ),* $(,)? },
            query: { $( $(#[doc = $qdoc:literal])* $qname:ident : $qty:ty = $qlim:expr ),* $(,)? },
            body: { $( $(#[doc = $bdoc:literal])* $bname:ident : $bty:ty = $blim:expr ),* $(,)? } $(,)?
        }
    )*) => {
        $(
            $(#[doc = $doc])*
            #[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
            #[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
            #[serde(deny_unknown_fields)]
            pub struct $name {
                // Path parameters are read from JSON params but never part of the body.
                $( $(#[doc = $pdoc])* #[serde(skip_serializing)] pub $pname: $pty, )*
                $( $(#[doc = $qdoc])* #[serde(skip_serializing)] pub $qname: $qty, )*
                $( $(#[doc = $bdoc])* #[serde(skip_serializing_if = "crate::catalog::FieldValue::is_absent")] pub $bname: $bty, )*
            }

            const _: () = assert!(
                crate::catalog::is_snake_case_of(stringify!($name), stringify!($id)),
                concat!("the operation id of ", stringify!($name), " must be its snake_case name")
            );

            impl crate::catalog::Operation for $name {
                const SPEC: &'static crate::catalog::EndpointSpec = &crate::catalog::EndpointSpec {
                    id: stringify!($id),
                    title: $title,
                    method: crate::request::Method::$method,
                    host: crate::catalog::Host::$host,
                    path: $path,
                    success_status: <$output as crate::catalog::ResponseBody>::SUCCESS_STATUS,
                    has_body: !<[&str]>::is_empty(&[$(stringify!($bname)),*]),
                    fields: &[
                        $(crate::catalog::FieldSpec {
                            name: stringify!($pname),
                            location: crate::validate::Location::Path,
                            ty: <$pty as crate::catalog::FieldValue>::TYPE,
                            required: <$pty as crate::catalog::FieldValue>::REQUIRED,
                            limits: $plim,
                            doc: concat!($($pdoc),*),
                        },)*
                        $(crate::catalog::FieldSpec {
                            name: stringify!($qname),
                            location: crate::validate::Location::Query,
                            ty: <$qty as crate::catalog::FieldValue>::TYPE,
                            required: <$qty as crate::catalog::FieldValue>::REQUIRED,
                            limits: $qlim,
                            doc: concat!($($qdoc),*),
                        },)*
                        $(crate::catalog::FieldSpec {
                            name: stringify!($bname),
                            location: crate::validate::Location::Body,
                            ty: <$bty as crate::catalog::FieldValue>::TYPE,
                            required: <$bty as crate::catalog::FieldValue>::REQUIRED,
                            limits: $blim,
                            doc: concat!($($bdoc),*),
                        },)*
                    ],
                    output: stringify!($output),
                    docs: &[$($docurl),*],
                    confirm_with: crate::catalog::first_id(&[$(<$confirm as crate::catalog::Operation>::SPEC.id)?]),
                    gone_when_terminated: false $(|| $gone)?,
                };
                type Output = $output;

                fn validate(&self) -> crate::error::Result<()> {
                    $( crate::catalog::FieldValue::check(&self.$pname, stringify!($pname), $plim, crate::validate::Location::Path)?; )*
                    $( crate::catalog::FieldValue::check(&self.$qname, stringify!($qname), $qlim, crate::validate::Location::Query)?; )*
                    $( crate::catalog::FieldValue::check(&self.$bname, stringify!($bname), $blim, crate::validate::Location::Body)?; )*
                    Ok(())
                }

                fn path_params(&self) -> Vec<(&'static str, String)> {
                    vec![$( (stringify!($pname), crate::catalog::FieldValue::path_segment(&self.$pname)) ),*]
                }

                fn query_params(&self) -> Vec<(String, String)> {
                    #[allow(unused_mut)] // no query parameters: nothing is pushed
                    let mut pairs = Vec::new();
                    $(
                        if !crate::catalog::FieldValue::is_absent(&self.$qname) {
                            pairs.push((stringify!($qname).to_owned(), crate::catalog::FieldValue::path_segment(&self.$qname)));
                        }
                    )*
                    pairs
                }

                fn params_json(&self) -> serde_json::Value {
                    let mut params = serde_json::Map::new();
                    $( params.insert(stringify!($pname).to_owned(), serde_json::json!(self.$pname)); )*
                    $( params.insert(stringify!($qname).to_owned(), serde_json::json!(self.$qname)); )*
                    $( params.insert(stringify!($bname).to_owned(), serde_json::json!(self.$bname)); )*
                    params.retain(|_, v| !v.is_null());
                    serde_json::Value::Object(params)
                }
            }
        )*

        /// Calls `$callback! { Type => method_name, … }` with every operation of the catalog, so a
        /// binding can stamp out one method per operation without listing them (adding an
        /// endpoint then touches only the core).
        #[macro_export]
        #[doc(hidden)]
        macro_rules! for_each_operation {
            ($callback:ident) => {
                $callback! { $($name => $id,)* }
            };
        }

        /// Every operation of the catalog, in table order.
        pub static OPERATIONS: &[crate::catalog::OperationEntry] =
            &[$(crate::catalog::OperationEntry::of::<$name>()),*];

        /// Any operation of the catalog with its typed params: one variant per endpoint.
        #[derive(Debug, Clone, PartialEq, Eq)]
        #[cfg_attr(feature = "uniffi", allow(missing_docs))]
        #[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
        pub enum AnyOperation {
            $(
                #[cfg_attr(not(feature = "uniffi"), doc = concat!("[`", stringify!($name), "`]"))]
                $name($name),
            )*
        }

        impl AnyOperation {
            /// The endpoint declaration of this operation.
            pub fn spec(&self) -> &'static crate::catalog::EndpointSpec {
                match self {
                    $(AnyOperation::$name(_) => <$name as crate::catalog::Operation>::SPEC,)*
                }
            }

            pub(crate) fn build(&self) -> crate::error::Result<crate::catalog::BuiltParams> {
                match self {
                    $(AnyOperation::$name(op) => crate::catalog::build_params(op),)*
                }
            }

            /// The operation's fields as a JSON object of API names (path, query and body
            /// alike), as operations by id take them.
            pub fn params_json(&self) -> serde_json::Value {
                match self {
                    $(AnyOperation::$name(op) => crate::catalog::Operation::params_json(op),)*
                }
            }
        }

        $(
            impl From<$name> for AnyOperation {
                fn from(op: $name) -> Self {
                    AnyOperation::$name(op)
                }
            }
        )*
    };
}
pub(crate) use declare_endpoints;

/// Type-erased entry points of one operation, for bindings that call by id with JSON.
#[derive(Debug, Clone, Copy)]
pub struct OperationEntry {
    /// The endpoint declaration.
    pub spec: &'static EndpointSpec,
    pub(crate) from_json: fn(serde_json::Value) -> Result<BuiltParams>,
    pub(crate) decode_output: fn(&[u8]) -> Result<AnyOutput>,
    #[cfg(feature = "schema")]
    pub(crate) output_schema: fn(&mut schemars::SchemaGenerator) -> Option<schemars::Schema>,
}

/// Path parameters and body of a validated typed operation.
#[derive(Debug)]
pub(crate) struct BuiltParams {
    pub(crate) path_params: Vec<(&'static str, String)>,
    pub(crate) query: Vec<(String, String)>,
    pub(crate) body: Option<Vec<u8>>,
}

impl OperationEntry {
    pub(crate) const fn of<T: Operation>() -> OperationEntry {
        OperationEntry {
            spec: T::SPEC,
            from_json: params_from_json::<T>,
            decode_output: decode_to_output::<T>,
            #[cfg(feature = "schema")]
            output_schema: <T::Output as ResponseBody>::schema,
        }
    }
}

pub(crate) fn build_params<T: Operation>(op: &T) -> Result<BuiltParams> {
    op.validate()?;
    Ok(BuiltParams {
        path_params: op.path_params(),
        query: op.query_params(),
        body: op.body()?,
    })
}

/// Checks a JSON object against the spec field by field, so each mistake names its field,
/// then deserialises it into the typed params.
fn params_from_json<T: Operation>(params: serde_json::Value) -> Result<BuiltParams> {
    let serde_json::Value::Object(mut object) = params else {
        return Err(Error::invalid_input(
            "params",
            "params must be an object of field names to values",
        ));
    };
    if let Some(unknown) = object.keys().find(|k| T::SPEC.field(k).is_none()) {
        return Err(Error::invalid_input(
            unknown.as_str(),
            format!("`{unknown}` is not a parameter of `{}`", T::SPEC.id),
        ));
    }
    // An explicit null means "not given", as a binding's `None`/`undefined` does.
    object.retain(|_, v| !v.is_null());
    for field in T::SPEC.fields {
        match object.get(field.name) {
            None if field.required => {
                return Err(Error::invalid_input(
                    field.name,
                    format!("`{}` is required", field.name),
                ));
            }
            None => {}
            Some(value) => check_json_type(field, value)?,
        }
    }
    let op: T = serde_json::from_value(serde_json::Value::Object(object)).map_err(|e| {
        Error::invalid_input(
            "params",
            format!("params do not match `{}` ({e})", T::SPEC.id),
        )
    })?;
    build_params(&op)
}

fn check_json_type(field: &FieldSpec, value: &serde_json::Value) -> Result<()> {
    let ok = match field.ty {
        FieldType::String => value.is_string(),
        FieldType::Integer => value.is_u64(),
    };
    if ok {
        return Ok(());
    }
    let expected = match field.ty {
        FieldType::String => "a string",
        FieldType::Integer => "a non-negative integer",
    };
    Err(Error::invalid_input(
        field.name,
        format!("`{}` must be {expected}", field.name),
    ))
}

fn decode_to_output<T: Operation>(body: &[u8]) -> Result<AnyOutput> {
    T::Output::decode(body).map(Into::into)
}

/// Absent optional output fields are left out rather than sent to bindings as null.
pub(crate) fn drop_nulls(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            map.retain(|_, v| !v.is_null());
            map.values_mut().for_each(drop_nulls);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(drop_nulls),
        _ => {}
    }
}

/// The operation with this id.
pub fn operation(id: &str) -> Option<&'static OperationEntry> {
    OPERATIONS.iter().find(|entry| entry.spec.id == id)
}

/// The catalog entry of an operation id, or the caller's `InvalidInput`.
pub(crate) fn lookup(id: &str) -> Result<&'static OperationEntry> {
    operation(id).ok_or_else(|| {
        Error::invalid_input(
            "operation",
            format!("`{id}` is not an operation of the catalog"),
        )
    })
}

/// A verified body as the operation's typed result in JSON (absent optional fields left out),
/// or as raw JSON for a generic call.
pub(crate) fn decode_with(
    entry: Option<&OperationEntry>,
    body: &[u8],
) -> Result<serde_json::Value> {
    match entry {
        Some(entry) => {
            let output = (entry.decode_output)(body)?;
            let mut value = serde_json::to_value(&output).map_err(|e| {
                Error::new(
                    ErrorKind::Decode,
                    format!("typed output could not be re-encoded ({e})"),
                )
            })?;
            drop_nulls(&mut value);
            Ok(value)
        }
        None if body.is_empty() => Ok(serde_json::Value::Null),
        None => decode_json(body),
    }
}

/// [`decode_with`] as JSON text, for hosts that parse JSON natively: the same JSON, written
/// straight from the typed result; a generic call's body is checked and passed through.
pub(crate) fn decode_text_with(entry: Option<&OperationEntry>, body: &[u8]) -> Result<String> {
    match entry {
        Some(entry) => Ok(crate::json_text::to_text_without_nulls(&(entry
            .decode_output)(
            body
        )?)),
        None if body.is_empty() => Ok("null".to_owned()),
        None => {
            decode_json::<serde::de::IgnoredAny>(body)?;
            // serde_json skips ignored strings without checking their UTF-8.
            let text = std::str::from_utf8(body)
                .map_err(|_| Error::new(ErrorKind::Decode, "the success body is not UTF-8"))?;
            Ok(text.to_owned())
        }
    }
}

/// The whole catalog as JSON, for binding generators (type stubs, docs):
/// `{"operations": [{id, title, method, host, default_origin, path, success_status, has_body,
/// docs, fields: [{name, location, type, required, max_chars, alnum, doc}], output}],
/// "definitions": {TypeName: JSON Schema}}` where `output` is a `$ref` into `definitions` or null.
#[cfg(feature = "schema")]
pub fn catalog_json() -> serde_json::Value {
    use serde_json::json;
    let mut generator = schemars::generate::SchemaSettings::draft2020_12().into_generator();
    let operations: Vec<serde_json::Value> = OPERATIONS
        .iter()
        .map(|entry| {
            let s = entry.spec;
            let fields: Vec<serde_json::Value> = s
                .fields
                .iter()
                .map(|f| {
                    json!({
                        "name": f.name,
                        "location": f.location.as_str(),
                        "type": match f.ty { FieldType::String => "string", FieldType::Integer => "integer" },
                        "required": f.required,
                        "max_chars": f.limits.max_chars,
                        "alnum": f.limits.alnum,
                        "doc": f.doc.trim(),
                    })
                })
                .collect();
            json!({
                "id": s.id,
                "title": s.title,
                "method": s.method.as_str(),
                "host": match s.host { Host::Api => "api", Host::Global => "global" },
                "default_origin": s.host.default_origin(),
                "path": s.path,
                "success_status": s.success_status,
                "has_body": s.has_body,
                "docs": s.docs,
                "confirm_with": s.confirm_with,
                "gone_when_terminated": s.gone_when_terminated,
                "fields": fields,
                "output": (entry.output_schema)(&mut generator).map(|schema| schema.to_value()),
            })
        })
        .collect();
    let events = crate::notification::resource_schemas(&mut generator);
    json!({ "operations": operations, "events": events, "definitions": generator.take_definitions(true) })
}
