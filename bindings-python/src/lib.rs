//! The pyo3 bridge behind `wxpay_terminate`. Not API: the Python package in `python/` is.
//!
//! It converts Python values to JSON for the core and back, releases the GIL around every
//! RSA operation, and turns core errors into the classes of `wxpay_terminate.errors`.
//! Nothing here knows an endpoint: operations are called by catalog id.

use base64::Engine as _;
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{
    PyBool, PyByteArray, PyBytes, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple,
};
use serde_json::Value;
use wxpay_terminate::{
    ApiCall, Client, ClientConfig, Error, ErrorKind, Method, Request, UnsignedRequest,
};

/// `wxpay_terminate.errors._from_native`, looked up once.
static ERROR_FACTORY: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

fn raise(
    py: Python<'_>,
    kind: &str,
    message: &str,
    field: Option<&str>,
    api: Option<&wxpay_terminate::ApiError>,
) -> PyErr {
    let build = || -> PyResult<PyErr> {
        let factory = ERROR_FACTORY
            .get_or_try_init(py, || {
                Ok::<_, PyErr>(
                    py.import("wxpay_terminate.errors")?
                        .getattr("_from_native")?
                        .unbind(),
                )
            })?
            .bind(py);
        let detail = match api.and_then(|a| a.detail.as_ref()) {
            Some(detail) => json_to_py(py, detail)?,
            None => py.None().into_bound(py),
        };
        let exception = factory.call1((
            kind,
            message,
            field,
            api.map(|a| a.status),
            api.and_then(|a| a.code.as_deref()),
            api.and_then(|a| a.message.as_deref()),
            detail,
            api.and_then(|a| a.request_id.as_deref()),
            api.is_some_and(|a| a.retryable()),
        ))?;
        Ok(PyErr::from_value(exception))
    };
    // Only a broken installation gets here; say so rather than lose the original error kind.
    build().unwrap_or_else(|e| {
        PyRuntimeError::new_err(format!(
            "wxpay_terminate.errors is unusable ({e}) while raising {kind}"
        ))
    })
}

fn to_py_err(py: Python<'_>, e: Error) -> PyErr {
    raise(py, e.kind().as_str(), e.message(), e.field(), e.api_error())
}

fn input_error(py: Python<'_>, field: &str, message: String) -> PyErr {
    raise(
        py,
        ErrorKind::InvalidInput.as_str(),
        &message,
        Some(field),
        None,
    )
}

/// Python → JSON, with a typed error naming the field for anything JSON cannot carry.
fn py_to_json(py: Python<'_>, value: &Bound<'_, PyAny>, field: &str) -> PyResult<Value> {
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
        Err(input_error(
            py,
            field,
            format!("`{field}` must be str, not bytes: decode it first"),
        ))
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
            let item = py_to_json(py, &item, field)?;
            map.insert(key, item);
        }
        Ok(Value::Object(map))
    } else if value.is_instance_of::<PyList>() || value.is_instance_of::<PyTuple>() {
        value
            .try_iter()?
            .map(|item| py_to_json(py, &item?, field))
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

/// `(operation, method, url, [(name, value)], body | None)`: the Python layer makes it a `Request`.
type RequestTuple<'py> = (
    Option<&'static str>,
    &'static str,
    String,
    Vec<(String, String)>,
    Option<Bound<'py, PyBytes>>,
);

fn request_tuple(py: Python<'_>, request: Request) -> RequestTuple<'_> {
    let headers = request
        .headers()
        .map(|(n, v)| (n.to_owned(), v.to_owned()))
        .collect();
    let body = request.body().map(|b| PyBytes::new(py, b));
    (
        request.operation(),
        request.method().as_str(),
        request.url().to_owned(),
        headers,
        body,
    )
}

fn int_arg(py: Python<'_>, value: &Bound<'_, PyAny>, field: &str) -> PyResult<i64> {
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

fn str_arg(py: Python<'_>, value: &Bound<'_, PyAny>, field: &str) -> PyResult<String> {
    match py_to_json(py, value, field)? {
        Value::String(s) => Ok(s),
        _ => Err(input_error(py, field, format!("`{field}` must be a str"))),
    }
}

/// A request waiting for the host's signature (KMS, HSM).
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
    ) -> PyResult<RequestTuple<'py>> {
        let signature = str_arg(py, signature_b64, "signature")?;
        let request = self
            .inner
            .clone()
            .complete(&signature)
            .map_err(|e| to_py_err(py, e))?;
        Ok(request_tuple(py, request))
    }
}

/// Either a signed request tuple or an unsigned request object.
#[derive(IntoPyObject)]
enum Prepared<'py> {
    Signed(RequestTuple<'py>),
    Unsigned(NativeUnsigned),
}

#[pyclass(module = "wxpay_terminate._native", frozen)]
struct NativeClient {
    inner: Client,
}

#[pymethods]
impl NativeClient {
    #[new]
    #[pyo3(signature = (mchid, serial_no, private_key, wechatpay_public_key_id, wechatpay_public_key, platform_certificates, base_url, global_base_url, user_agent_platform, user_agent_suffix))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        mchid: String,
        serial_no: String,
        private_key: Option<Vec<u8>>,
        wechatpay_public_key_id: Option<String>,
        wechatpay_public_key: Option<Vec<u8>>,
        platform_certificates: Vec<Vec<u8>>,
        base_url: Option<String>,
        global_base_url: Option<String>,
        user_agent_platform: Option<String>,
        user_agent_suffix: Option<String>,
    ) -> PyResult<Self> {
        let config = ClientConfig {
            mchid,
            serial_no,
            private_key_pem: private_key.map(Into::into),
            wechatpay_public_key_id,
            wechatpay_public_key_pem: wechatpay_public_key,
            platform_certificates_pem: platform_certificates,
            base_url,
            global_base_url,
            user_agent_platform,
            user_agent_suffix,
        };
        // Key parsing is RSA work too: let other threads run meanwhile.
        let client = py
            .detach(|| Client::new(&config))
            .map_err(|e| to_py_err(py, e))?;
        Ok(NativeClient { inner: client })
    }

    #[getter]
    fn verification_serials(&self) -> Vec<String> {
        self.inner
            .verification_serials()
            .into_iter()
            .map(str::to_owned)
            .collect()
    }

    #[getter]
    fn user_agent(&self) -> &str {
        self.inner.user_agent()
    }

    /// Builds the operation named `operation` from a dict of API field names.
    fn prepare<'py>(
        &self,
        py: Python<'py>,
        operation: &str,
        params: &Bound<'py, PyDict>,
        timestamp: &Bound<'py, PyAny>,
        nonce: &Bound<'py, PyAny>,
        sign: bool,
    ) -> PyResult<Prepared<'py>> {
        let mut object = serde_json::Map::with_capacity(params.len());
        for (key, value) in params.iter() {
            let key: String = key.extract()?;
            let value = py_to_json(py, &value, &key)?;
            object.insert(key, value);
        }
        let (timestamp, nonce) = (
            int_arg(py, timestamp, "timestamp")?,
            str_arg(py, nonce, "nonce")?,
        );
        let client = &self.inner;
        let params = Value::Object(object);
        if sign {
            let request = py
                .detach(|| client.prepare_operation(operation, params, timestamp, &nonce))
                .map_err(|e| to_py_err(py, e))?;
            Ok(Prepared::Signed(request_tuple(py, request)))
        } else {
            let unsigned = client
                .prepare_operation_unsigned(operation, params, timestamp, &nonce)
                .map_err(|e| to_py_err(py, e))?;
            Ok(Prepared::Unsigned(NativeUnsigned { inner: unsigned }))
        }
    }

    /// The generic template call.
    #[allow(clippy::too_many_arguments)]
    fn request<'py>(
        &self,
        py: Python<'py>,
        method: &Bound<'py, PyAny>,
        template: &Bound<'py, PyAny>,
        path_params: Vec<(Bound<'py, PyAny>, Bound<'py, PyAny>)>,
        query: Vec<(Bound<'py, PyAny>, Bound<'py, PyAny>)>,
        json: &Bound<'py, PyAny>,
        timestamp: &Bound<'py, PyAny>,
        nonce: &Bound<'py, PyAny>,
        sign: bool,
    ) -> PyResult<Prepared<'py>> {
        let method =
            Method::parse(&str_arg(py, method, "method")?).map_err(|e| to_py_err(py, e))?;
        let mut call = ApiCall::new(method, str_arg(py, template, "template")?);
        for (name, value) in &path_params {
            let name = str_arg(py, name, "path_params")?;
            let value = str_arg(py, value, &name)?;
            call = call.path_param(name, value);
        }
        for (name, value) in &query {
            call = call.query(str_arg(py, name, "query")?, str_arg(py, value, "query")?);
        }
        call.json = if json.is_none() {
            None
        } else {
            Some(py_to_json(py, json, "json")?)
        };
        let (timestamp, nonce) = (
            int_arg(py, timestamp, "timestamp")?,
            str_arg(py, nonce, "nonce")?,
        );
        let client = &self.inner;
        if sign {
            let request = py
                .detach(|| client.request(&call, timestamp, &nonce))
                .map_err(|e| to_py_err(py, e))?;
            Ok(Prepared::Signed(request_tuple(py, request)))
        } else {
            let unsigned = client
                .request_unsigned(&call, timestamp, &nonce)
                .map_err(|e| to_py_err(py, e))?;
            Ok(Prepared::Unsigned(NativeUnsigned { inner: unsigned }))
        }
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
        let status = u16::try_from(int_arg(py, status, "status")?).map_err(|_| {
            input_error(
                py,
                "status",
                "`status` must be an HTTP status code".to_owned(),
            )
        })?;
        let now = int_arg(py, now, "now")?;
        let header_refs: Vec<(&str, &str)> = headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        let client = &self.inner;
        let parsed = py
            .detach(|| client.parse_operation(operation, status, &header_refs, body, now))
            .map_err(|e| to_py_err(py, e))?;
        Ok((
            parsed.status,
            parsed.request_id,
            json_to_py(py, &parsed.data)?,
        ))
    }
}

/// The catalog with result schemas, as JSON text (for the package and its stub generator).
#[pyfunction]
fn catalog_json() -> String {
    wxpay_terminate::catalog_json().to_string()
}

/// Signs raw bytes with a merchant key (RSASSA-PKCS1-v1_5 / SHA-256), base64. Used by the
/// vector suite for its signing-stage cases.
#[pyfunction]
fn sign_message(py: Python<'_>, private_key: &[u8], message: &[u8]) -> PyResult<String> {
    use wxpay_terminate::crypto::{MerchantPrivateKey, Signer};
    let signature = py
        .detach(|| MerchantPrivateKey::from_pem(private_key).and_then(|key| key.sign(message)))
        .map_err(|e| to_py_err(py, e))?;
    Ok(base64::engine::general_purpose::STANDARD.encode(signature))
}

/// Every core error kind name.
#[pyfunction]
fn error_kinds() -> Vec<&'static str> {
    ErrorKind::ALL.iter().map(|k| k.as_str()).collect()
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<NativeClient>()?;
    m.add_class::<NativeUnsigned>()?;
    m.add_function(wrap_pyfunction!(catalog_json, m)?)?;
    m.add_function(wrap_pyfunction!(error_kinds, m)?)?;
    m.add_function(wrap_pyfunction!(sign_message, m)?)?;
    Ok(())
}
