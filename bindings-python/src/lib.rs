//! The pyo3 bridge behind `wxpay_terminate`. Not API: the Python package in `python/` is.
//!
//! It converts Python values to JSON for the core and back, releases the GIL around every
//! RSA operation, and hands the core's records to the Python layer: a `RequestRecord` becomes
//! `wxpay_terminate._model.Request`, a reply `NotificationReply`, an `ErrorRecord` the
//! exception `wxpay_terminate.errors._from_native` builds. Nothing here knows an endpoint
//! (operations are called by catalog id) or a client option (the config is one dict, read by
//! `ClientConfig::from_json`).

use base64::Engine as _;
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{
    PyBool, PyByteArray, PyBytes, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple,
};
use serde_json::Value;
use std::sync::{Mutex, PoisonError};

use wxpay_terminate::{
    ApiCall, CertificateSet, Client, ClientConfig, ConfirmPolicy, Error, ErrorKind, ErrorRecord,
    Header, Host, Method, Notification, NotificationReply, Request, RequestRecord, Step,
    Termination, UnsignedRequest,
};

mod options;

/// A Python callable of the package, looked up once.
struct PyCallable {
    module: &'static str,
    name: &'static str,
    cell: PyOnceLock<Py<PyAny>>,
}

impl PyCallable {
    const fn new(module: &'static str, name: &'static str) -> Self {
        PyCallable {
            module,
            name,
            cell: PyOnceLock::new(),
        }
    }

    fn call<'py>(
        &self,
        py: Python<'py>,
        kwargs: &Bound<'py, PyDict>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let callable = self.cell.get_or_try_init(py, || {
            Ok::<_, PyErr>(py.import(self.module)?.getattr(self.name)?.unbind())
        })?;
        callable.bind(py).call((), Some(kwargs))
    }
}

static ERROR_FACTORY: PyCallable = PyCallable::new("wxpay_terminate.errors", "_from_native");
static REQUEST_CLASS: PyCallable = PyCallable::new("wxpay_terminate._model", "Request");
static REPLY_CLASS: PyCallable = PyCallable::new("wxpay_terminate._model", "NotificationReply");

// ---- errors ---------------------------------------------------------------------------------

/// The one way an error reaches Python: the record's fields as keyword arguments of the
/// factory, so a new record field needs no change here.
fn raise(py: Python<'_>, record: ErrorRecord) -> PyErr {
    let build = || -> PyResult<PyErr> {
        let fields = serde_json::to_value(&record)
            .map_err(|e| PyRuntimeError::new_err(format!("error record: {e}")))?;
        let kwargs = json_to_py(py, &fields)?.cast_into::<PyDict>()?;
        Ok(PyErr::from_value(ERROR_FACTORY.call(py, &kwargs)?))
    };
    // Only a broken installation gets here; say so rather than lose the original error kind.
    build().unwrap_or_else(|e| {
        PyRuntimeError::new_err(format!(
            "wxpay_terminate.errors is unusable ({e}) while raising {}: {}",
            record.kind, record.message
        ))
    })
}

fn to_py_err(py: Python<'_>, e: Error) -> PyErr {
    raise(py, ErrorRecord::from(e))
}

/// The binding's own input checks, as the core would report them.
fn input_error(py: Python<'_>, field: &str, message: String) -> PyErr {
    let mut record = ErrorRecord::from(Error::new(ErrorKind::InvalidInput, message));
    record.field = Some(field.to_owned());
    raise(py, record)
}

/// Runs core work without the GIL (RSA signing and verification, key parsing), so other
/// Python threads run meanwhile. A panic — a bug — comes back as the core's `internal` error
/// rather than a `PanicException`.
fn detached<T: Send>(
    py: Python<'_>,
    work: impl FnOnce() -> wxpay_terminate::Result<T> + Send,
) -> PyResult<T> {
    py.detach(|| std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)))
        .unwrap_or_else(|_| Err(panicked()))
        .map_err(|e| to_py_err(py, e))
}

/// Every other call into the core, with the GIL held: a panic — a bug — becomes the core's
/// `internal` error (`InternalError`, a `WxpayError`), never a `PanicException` (which is not
/// an `Exception`) and never an abort of the interpreter.
fn guarded<T>(py: Python<'_>, work: impl FnOnce() -> wxpay_terminate::Result<T>) -> PyResult<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(work))
        .unwrap_or_else(|_| Err(panicked()))
        .map_err(|e| to_py_err(py, e))
}

fn panicked() -> Error {
    Error::new(
        ErrorKind::Internal,
        "wxpay-terminate panicked: please report this as a bug",
    )
}

// ---- values ---------------------------------------------------------------------------------

/// What `bytes` become in JSON: refused (API fields are text), or an array of byte values
/// (client options such as keys, which the core takes as text or bytes).
#[derive(Clone, Copy)]
enum BytesAs {
    Refused,
    Array,
}

/// Python → JSON, with a typed error naming the field for anything JSON cannot carry.
fn py_to_json(value: &Bound<'_, PyAny>, field: &str, bytes: BytesAs) -> PyResult<Value> {
    let py = value.py();
    if value.is_none() {
        Ok(Value::Null)
    } else if let Ok(b) = value.cast::<PyBool>() {
        Ok(Value::Bool(b.is_true()))
    } else if value.is_instance_of::<PyInt>() {
        if let Ok(i) = value.extract::<i64>() {
            Ok(Value::from(i))
        } else if let Ok(u) = value.extract::<u64>() {
            Ok(Value::from(u))
        } else {
            Err(input_error(
                py,
                field,
                format!("`{field}` is out of the 64-bit integer range"),
            ))
        }
    } else if let Ok(f) = value.cast::<PyFloat>() {
        serde_json::Number::from_f64(f.value())
            .map(Value::Number)
            .ok_or_else(|| input_error(py, field, format!("`{field}` must be a finite number")))
    } else if let Ok(s) = value.cast::<PyString>() {
        // `to_cow` (not `to_str`) works on the 3.9 stable ABI; it fails on lone surrogates.
        s.to_cow()
            .map(|s| Value::String(s.into_owned()))
            .map_err(|_| {
                input_error(
                    py,
                    field,
                    format!("`{field}` is not valid Unicode text (lone surrogate)"),
                )
            })
    } else if value.is_instance_of::<PyBytes>() || value.is_instance_of::<PyByteArray>() {
        match bytes {
            BytesAs::Array => Ok(Value::Array(
                value
                    .extract::<Vec<u8>>()?
                    .into_iter()
                    .map(Value::from)
                    .collect(),
            )),
            BytesAs::Refused => Err(input_error(
                py,
                field,
                format!("`{field}` must be str, not bytes: decode it first"),
            )),
        }
    } else if let Ok(dict) = value.cast::<PyDict>() {
        let mut map = serde_json::Map::with_capacity(dict.len());
        for (key, item) in dict.iter() {
            let key: String = key
                .cast::<PyString>()
                .ok()
                .and_then(|k| k.to_cow().ok().map(|k| k.into_owned()))
                .ok_or_else(|| {
                    input_error(py, field, format!("keys in `{field}` must be strings"))
                })?;
            let item = py_to_json(&item, field, bytes)?;
            map.insert(key, item);
        }
        Ok(Value::Object(map))
    } else if value.is_instance_of::<PyList>() || value.is_instance_of::<PyTuple>() {
        value
            .try_iter()?
            .map(|item| py_to_json(&item?, field, bytes))
            .collect::<PyResult<Vec<_>>>()
            .map(Value::Array)
    } else {
        let type_name = value
            .get_type()
            .name()
            .map(|n| n.to_string())
            .unwrap_or_default();
        Err(input_error(
            py,
            field,
            format!("`{field}` has unsupported type {type_name}"),
        ))
    }
}

/// A dict of API field names (or option names) → a JSON object, each value's errors naming its key.
fn dict_to_json(dict: &Bound<'_, PyDict>, bytes: BytesAs) -> PyResult<Value> {
    let mut object = serde_json::Map::with_capacity(dict.len());
    for (key, value) in dict.iter() {
        let key: String = key.extract()?;
        let value = py_to_json(&value, &key, bytes)?;
        object.insert(key, value);
    }
    Ok(Value::Object(object))
}

/// JSON → Python: dicts, lists, str, int, float, bool, None.
fn json_to_py<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => i.into_pyobject(py)?.into_any(),
            (None, Some(u)) => u.into_pyobject(py)?.into_any(),
            _ => n.as_f64().unwrap_or(f64::NAN).into_pyobject(py)?.into_any(),
        },
        Value::String(s) => PyString::new(py, s).into_any(),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(json_to_py(py, item)?)?;
            }
            list.into_any()
        }
        Value::Object(map) => {
            let dict = PyDict::new(py);
            for (key, item) in map {
                dict.set_item(key, json_to_py(py, item)?)?;
            }
            dict.into_any()
        }
    })
}

fn headers_dict<'py>(py: Python<'py>, headers: &[Header]) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    for header in headers {
        dict.set_item(&header.name, &header.value)?;
    }
    Ok(dict)
}

/// The one conversion of a request descriptor: `RequestRecord` → `wxpay_terminate.Request`.
fn request_to_py(py: Python<'_>, request: Request) -> PyResult<Bound<'_, PyAny>> {
    let record = RequestRecord::from(request);
    let kwargs = PyDict::new(py);
    kwargs.set_item("operation", record.operation)?;
    kwargs.set_item("method", record.method)?;
    kwargs.set_item("url", record.url)?;
    kwargs.set_item("headers", headers_dict(py, &record.headers)?)?;
    kwargs.set_item("body", record.body.map(|b| PyBytes::new(py, &b)))?;
    REQUEST_CLASS.call(py, &kwargs)
}

/// `NotificationReply` → `wxpay_terminate.NotificationReply`.
fn reply_to_py(py: Python<'_>, reply: NotificationReply) -> PyResult<Bound<'_, PyAny>> {
    let kwargs = PyDict::new(py);
    kwargs.set_item("status", reply.status)?;
    kwargs.set_item("headers", headers_dict(py, &reply.headers)?)?;
    kwargs.set_item("body", PyBytes::new(py, &reply.body))?;
    REPLY_CLASS.call(py, &kwargs)
}

fn int_arg(value: &Bound<'_, PyAny>, field: &str) -> PyResult<i64> {
    let py = value.py();
    if value.is_instance_of::<PyBool>() || !value.is_instance_of::<PyInt>() {
        return Err(input_error(
            py,
            field,
            format!("`{field}` must be an int (Unix seconds)"),
        ));
    }
    value
        .extract::<i64>()
        .map_err(|_| input_error(py, field, format!("`{field}` is out of range")))
}

fn str_arg(value: &Bound<'_, PyAny>, field: &str) -> PyResult<String> {
    match py_to_json(value, field, BytesAs::Refused)? {
        Value::String(s) => Ok(s),
        _ => Err(input_error(
            value.py(),
            field,
            format!("`{field}` must be a str"),
        )),
    }
}

fn pairs_arg(value: &Bound<'_, PyAny>, field: &str) -> PyResult<Vec<(String, String)>> {
    let mut pairs = Vec::new();
    if value.is_none() {
        return Ok(pairs);
    }
    for item in value.try_iter()? {
        let item = item?;
        let (name, value): (Bound<'_, PyAny>, Bound<'_, PyAny>) = item.extract().map_err(|_| {
            input_error(
                item.py(),
                field,
                format!("`{field}` must be (name, value) pairs"),
            )
        })?;
        let name = str_arg(&name, field)?;
        let value = str_arg(&value, &name)?;
        pairs.push((name, value));
    }
    Ok(pairs)
}

fn status_arg(value: &Bound<'_, PyAny>) -> PyResult<u16> {
    u16::try_from(int_arg(value, "status")?).map_err(|_| {
        input_error(
            value.py(),
            "status",
            "`status` must be an HTTP status code".to_owned(),
        )
    })
}

/// When and with which random string a request is signed; the Python layer fills defaults.
fn stamp(timestamp: &Bound<'_, PyAny>, nonce: &Bound<'_, PyAny>) -> PyResult<(i64, String)> {
    Ok((int_arg(timestamp, "timestamp")?, str_arg(nonce, "nonce")?))
}

// ---- classes --------------------------------------------------------------------------------

/// A request waiting for its signature: `NativeClient.sign`, or the host's own (KMS, HSM).
#[pyclass(module = "wxpay_terminate._native", frozen)]
struct NativeUnsigned {
    inner: UnsignedRequest,
}

#[pymethods]
impl NativeUnsigned {
    #[getter]
    fn string_to_sign<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, self.inner.string_to_sign())
    }

    #[getter]
    fn operation(&self) -> Option<&'static str> {
        self.inner.operation()
    }

    fn complete<'py>(
        &self,
        py: Python<'py>,
        signature_b64: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let signature = str_arg(signature_b64, "signature")?;
        let request = guarded(py, || self.inner.clone().complete(&signature))?;
        request_to_py(py, request)
    }
}

#[pyclass(module = "wxpay_terminate._native", frozen)]
struct NativeClient {
    inner: Client,
}

#[pymethods]
impl NativeClient {
    /// `config`: the client options by the core's names (`ClientConfig`); keys as str or bytes.
    #[new]
    fn new(py: Python<'_>, config: &Bound<'_, PyDict>) -> PyResult<Self> {
        let options = dict_to_json(config, BytesAs::Array)?;
        let config = guarded(py, || ClientConfig::from_json(options))?;
        // Key parsing is RSA work too: let other threads run meanwhile.
        let client = detached(py, || Client::new(&config))?;
        Ok(NativeClient { inner: client })
    }

    #[getter]
    fn verification_serials(&self) -> Vec<String> {
        self.inner.verification_serials()
    }

    #[getter]
    fn user_agent(&self) -> &str {
        self.inner.user_agent()
    }

    /// The operation named `operation`, from a dict of API field names, unsigned.
    fn unsigned(
        &self,
        py: Python<'_>,
        operation: &str,
        params: &Bound<'_, PyDict>,
        timestamp: &Bound<'_, PyAny>,
        nonce: &Bound<'_, PyAny>,
    ) -> PyResult<NativeUnsigned> {
        let params = dict_to_json(params, BytesAs::Refused)?;
        let (timestamp, nonce) = stamp(timestamp, nonce)?;
        let unsigned = guarded(py, || {
            self.inner
                .unsigned_by_id(operation, params, timestamp, &nonce)
        })?;
        Ok(NativeUnsigned { inner: unsigned })
    }

    /// The generic template call, unsigned. `call`: `method`, `template`, `path_params` and
    /// `query` (pairs), `json` (None for no body), `allow_any_host`.
    fn unsigned_call(
        &self,
        py: Python<'_>,
        call: &Bound<'_, PyDict>,
        timestamp: &Bound<'_, PyAny>,
        nonce: &Bound<'_, PyAny>,
    ) -> PyResult<NativeUnsigned> {
        let item = |name: &str| -> PyResult<Bound<'_, PyAny>> {
            Ok(call
                .get_item(name)?
                .unwrap_or_else(|| py.None().into_bound(py)))
        };
        let method_name = str_arg(&item("method")?, "method")?;
        let method = guarded(py, || Method::parse(&method_name))?;
        let mut api_call = ApiCall::new(method, str_arg(&item("template")?, "template")?);
        api_call.path_params = pairs_arg(&item("path_params")?, "path_params")?;
        api_call.query = pairs_arg(&item("query")?, "query")?;
        let allow_any_host = item("allow_any_host")?;
        api_call.allow_any_host = !allow_any_host.is_none() && allow_any_host.is_truthy()?;
        let json = item("json")?;
        if !json.is_none() {
            api_call.json = Some(py_to_json(&json, "json", BytesAs::Refused)?);
        }
        let (timestamp, nonce) = stamp(timestamp, nonce)?;
        let unsigned = guarded(py, || {
            self.inner.unsigned_call(&api_call, timestamp, &nonce)
        })?;
        Ok(NativeUnsigned { inner: unsigned })
    }

    /// Signs with the configured private key, without the GIL.
    fn sign<'py>(
        &self,
        py: Python<'py>,
        unsigned: &Bound<'py, NativeUnsigned>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let unsigned = unsigned.get().inner.clone();
        let client = &self.inner;
        let request = detached(py, || client.sign(unsigned))?;
        request_to_py(py, request)
    }

    /// Verifies and decodes a response: `(status, request_id, data)`.
    fn parse<'py>(
        &self,
        py: Python<'py>,
        operation: Option<&str>,
        status: &Bound<'py, PyAny>,
        headers: Vec<(String, String)>,
        body: &[u8],
        now: &Bound<'py, PyAny>,
    ) -> PyResult<(u16, Option<String>, Bound<'py, PyAny>)> {
        let status = status_arg(status)?;
        let now = int_arg(now, "now")?;
        let client = &self.inner;
        let parsed = detached(py, || {
            client.parse_by_id(operation, status, &headers, body, now)
        })?;
        Ok((
            parsed.status,
            parsed.request_id,
            json_to_py(py, &parsed.data)?,
        ))
    }

    /// Verifies, decrypts and types a notification: its JSON (`docs/notifications.md`) as a dict.
    fn parse_notification<'py>(
        &self,
        py: Python<'py>,
        headers: Vec<(String, String)>,
        body: &[u8],
        now: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let now = int_arg(now, "now")?;
        let client = &self.inner;
        let notification = detached(py, || client.parse_notification(&headers, body, now))?;
        json_to_py(py, &notification.to_json())
    }

    /// The platform-certificate download for `host` (`"api"` or `"global"`), unsigned.
    fn unsigned_certificates(
        &self,
        py: Python<'_>,
        host: &Bound<'_, PyAny>,
        timestamp: &Bound<'_, PyAny>,
        nonce: &Bound<'_, PyAny>,
    ) -> PyResult<NativeUnsigned> {
        let host = match str_arg(host, "host")?.as_str() {
            "api" => Host::Api,
            "global" => Host::Global,
            _ => {
                return Err(input_error(
                    py,
                    "host",
                    "`host` must be \"api\" or \"global\"".to_owned(),
                ));
            }
        };
        let (timestamp, nonce) = stamp(timestamp, nonce)?;
        let unsigned = guarded(py, || {
            self.inner.unsigned_certificates(host, timestamp, &nonce)
        })?;
        Ok(NativeUnsigned { inner: unsigned })
    }

    /// Decrypts and verifies a certificate download: `{"certificates": [...]}`.
    fn parse_certificates<'py>(
        &self,
        py: Python<'py>,
        status: &Bound<'py, PyAny>,
        headers: Vec<(String, String)>,
        body: &[u8],
        now: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (status, now) = (status_arg(status)?, int_arg(now, "now")?);
        let client = &self.inner;
        let set = detached(py, || {
            client.parse_certificates(status, &headers, body, now)
        })?;
        let value = serde_json::to_value(&set)
            .map_err(|e| PyRuntimeError::new_err(format!("certificate set: {e}")))?;
        json_to_py(py, &value)
    }

    /// Replaces the platform certificates with a set from `parse_certificates`.
    fn update_certificates(
        &self,
        py: Python<'_>,
        certificates: &Bound<'_, PyAny>,
        now: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let value = py_to_json(certificates, "certificates", BytesAs::Refused)?;
        let set: CertificateSet = serde_json::from_value(value).map_err(|_| {
            input_error(
                py,
                "certificates",
                "`certificates` must be the set parse_certificates returned".to_owned(),
            )
        })?;
        let now = int_arg(now, "now")?;
        let client = &self.inner;
        detached(py, || client.update_certificates(&set, now))
    }

    /// `(serial, not_after)` of every platform certificate the client holds.
    #[getter]
    fn certificates(&self) -> Vec<(String, i64)> {
        self.inner.certificates()
    }

    /// Test hook: panics inside the core (tests show it surfaces as `InternalError`).
    fn _panic_for_test(&self, py: Python<'_>) -> PyResult<()> {
        guarded(py, || self.inner.panic_for_test())
    }

    /// Whether the host should download certificates now.
    fn certificates_refresh_due(&self, now: &Bound<'_, PyAny>) -> PyResult<bool> {
        Ok(self.inner.certificates_refresh_due(int_arg(now, "now")?))
    }
}

/// One contract's terminate-and-confirm machine (`wxpay_terminate.confirm` drives it).
#[pyclass(module = "wxpay_terminate._native", frozen)]
struct NativeTermination {
    inner: Mutex<Termination>,
}

impl NativeTermination {
    fn with<T>(&self, work: impl FnOnce(&mut Termination) -> T) -> T {
        work(&mut self.inner.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

fn ms_arg(value: &Bound<'_, PyAny>) -> PyResult<i64> {
    int_arg(value, "now_ms")
}

fn to_json_value<T: serde::Serialize>(value: &T) -> PyResult<Value> {
    serde_json::to_value(value).map_err(|e| PyRuntimeError::new_err(format!("record: {e}")))
}

#[pymethods]
impl NativeTermination {
    /// `operation`: a termination id; `params`/`query_params` dicts of API field names;
    /// `policy`: a dict of `ConfirmPolicy` fields to change.
    #[new]
    #[pyo3(signature = (operation, params, query_params=None, policy=None))]
    fn new(
        py: Python<'_>,
        operation: &str,
        params: &Bound<'_, PyDict>,
        query_params: Option<&Bound<'_, PyDict>>,
        policy: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        let params = dict_to_json(params, BytesAs::Refused)?;
        let query_params = query_params
            .map(|q| dict_to_json(q, BytesAs::Refused))
            .transpose()?;
        let policy = match policy {
            Some(policy) => {
                let policy = dict_to_json(policy, BytesAs::Refused)?;
                guarded(py, || ConfirmPolicy::from_json(policy))?
            }
            None => ConfirmPolicy::default(),
        };
        let machine = guarded(py, || {
            Termination::new(operation, params, query_params, policy)
        })?;
        Ok(NativeTermination {
            inner: Mutex::new(machine),
        })
    }

    /// Restores a machine saved with `to_json` (a request then in flight counts as lost).
    #[staticmethod]
    fn from_json(py: Python<'_>, state: &str) -> PyResult<Self> {
        let machine = guarded(py, || Termination::from_json(state))?;
        Ok(NativeTermination {
            inner: Mutex::new(machine),
        })
    }

    fn to_json(&self) -> String {
        self.with(|m| m.to_json())
    }

    #[getter]
    fn operation(&self) -> String {
        self.with(|m| m.operation().to_owned())
    }

    #[getter]
    fn query_operation(&self) -> String {
        self.with(|m| m.query_operation().to_owned())
    }

    /// The outcome as a dict, or None while undecided.
    #[getter]
    fn outcome<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        let outcome = self.with(|m| m.outcome().cloned());
        outcome
            .map(|o| json_to_py(py, &to_json_value(&o)?))
            .transpose()
    }

    /// The last error seen, as the error record dict, or None.
    #[getter]
    fn last_error<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        let error = self.with(|m| m.last_error().cloned());
        error
            .map(|e| json_to_py(py, &to_json_value(&e)?))
            .transpose()
    }

    /// `("send", Request, purpose, attempt)`, `("wait", until_ms)` or `("done", outcome)`.
    /// Signing a new request is RSA work, done without the GIL.
    fn next<'py>(
        &self,
        py: Python<'py>,
        client: &Bound<'py, NativeClient>,
        now_ms: &Bound<'py, PyAny>,
        nonce: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyTuple>> {
        let (now_ms, nonce) = (ms_arg(now_ms)?, str_arg(nonce, "nonce")?);
        let client = &client.get().inner;
        let step = detached(py, || self.with(|m| m.next(client, now_ms, &nonce)))?;
        match step {
            Step::Send {
                request,
                purpose,
                attempt,
            } => {
                let purpose = to_json_value(&purpose)?;
                let items: [Bound<'py, PyAny>; 4] = [
                    PyString::new(py, "send").into_any(),
                    request_to_py(py, request)?,
                    json_to_py(py, &purpose)?,
                    attempt.into_pyobject(py)?.into_any(),
                ];
                PyTuple::new(py, items)
            }
            Step::Wait { until_ms } => PyTuple::new(
                py,
                [
                    PyString::new(py, "wait").into_any(),
                    until_ms.into_pyobject(py)?.into_any(),
                ],
            ),
            Step::Done(outcome) => PyTuple::new(
                py,
                [
                    PyString::new(py, "done").into_any(),
                    json_to_py(py, &to_json_value(&outcome)?)?,
                ],
            ),
        }
    }

    /// Verifies (without the GIL) and reports the answer to the request in flight.
    fn on_response<'py>(
        &self,
        py: Python<'py>,
        client: &Bound<'py, NativeClient>,
        status: &Bound<'py, PyAny>,
        headers: Vec<(String, String)>,
        body: &[u8],
        now_ms: &Bound<'py, PyAny>,
    ) -> PyResult<()> {
        let (status, now_ms) = (status_arg(status)?, ms_arg(now_ms)?);
        let client = &client.get().inner;
        detached(py, || {
            self.with(|m| m.on_response(client, status, &headers, body, now_ms))
        })
    }

    /// No answer arrived for the request in flight (timeout, reset, DNS, TLS).
    fn on_transport_error(&self, py: Python<'_>, now_ms: &Bound<'_, PyAny>) -> PyResult<()> {
        let now_ms = ms_arg(now_ms)?;
        guarded(py, || self.with(|m| m.on_transport_error(now_ms)))
    }

    /// Offers a parsed notification (the dict `parse_notification` returned); True when it
    /// confirms this contract.
    fn on_notification(
        &self,
        py: Python<'_>,
        notification: &Bound<'_, PyAny>,
        now_ms: &Bound<'_, PyAny>,
    ) -> PyResult<bool> {
        let now_ms = ms_arg(now_ms)?;
        let value = py_to_json(notification, "notification", BytesAs::Refused)?;
        guarded(py, || {
            let notification = Notification::from_json(&value)?;
            Ok(self.with(|m| m.on_notification(&notification, now_ms)))
        })
    }
}

// ---- functions ------------------------------------------------------------------------------

/// The catalog with result and event schemas, as JSON text (for the package and its stub generator).
#[pyfunction]
fn catalog_json() -> String {
    wxpay_terminate::catalog_json().to_string()
}

/// Every client option as `(name, shape)`, read from `ClientConfig` itself; see `options.rs`.
#[pyfunction]
fn config_options() -> PyResult<Vec<(String, String)>> {
    options::client_options().map_err(PyRuntimeError::new_err)
}

/// Signs raw bytes with a merchant key (RSASSA-PKCS1-v1_5 / SHA-256), base64. Used by the
/// vector suite for its signing-stage cases.
#[pyfunction]
fn sign_message(py: Python<'_>, private_key: &[u8], message: &[u8]) -> PyResult<String> {
    use wxpay_terminate::crypto::{MerchantPrivateKey, Signer};
    let signature = detached(py, || {
        MerchantPrivateKey::from_pem(private_key).and_then(|key| key.sign(message))
    })?;
    Ok(base64::engine::general_purpose::STANDARD.encode(signature))
}

/// The core's nonce: 32 upper-case hex characters from the OS RNG.
#[pyfunction]
fn generate_nonce(py: Python<'_>) -> PyResult<String> {
    guarded(py, wxpay_terminate::generate_nonce)
}

/// Every core error kind name.
#[pyfunction]
fn error_kinds() -> Vec<&'static str> {
    ErrorKind::ALL.iter().map(|k| k.as_str()).collect()
}

/// The reply acknowledging a notification.
#[pyfunction]
fn notification_ack(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    reply_to_py(py, wxpay_terminate::notification_ack())
}

/// The reply refusing a notification, so WeChat Pay retries it.
#[pyfunction]
fn notification_nack<'py>(
    py: Python<'py>,
    message: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let message = str_arg(message, "message")?;
    let reply = guarded(py, || wxpay_terminate::notification_nack(&message))?;
    reply_to_py(py, reply)
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<NativeClient>()?;
    m.add_class::<NativeUnsigned>()?;
    m.add_class::<NativeTermination>()?;
    m.add_function(wrap_pyfunction!(catalog_json, m)?)?;
    m.add_function(wrap_pyfunction!(config_options, m)?)?;
    m.add_function(wrap_pyfunction!(error_kinds, m)?)?;
    m.add_function(wrap_pyfunction!(generate_nonce, m)?)?;
    m.add_function(wrap_pyfunction!(notification_ack, m)?)?;
    m.add_function(wrap_pyfunction!(notification_nack, m)?)?;
    m.add_function(wrap_pyfunction!(sign_message, m)?)?;
    Ok(())
}
