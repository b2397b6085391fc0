# The pyo3 bridge. Not API: use the wxpay_terminate package.
from typing import Any, Dict, List, Optional, Sequence, Tuple

from typing_extensions import final

__all__ = ["__version__", "NativeClient", "NativeUnsigned", "catalog_json", "error_kinds", "sign_message"]

__version__: str

_RequestTuple = Tuple[Optional[str], str, str, List[Tuple[str, str]], Optional[bytes]]

@final
class NativeUnsigned:
    @property
    def string_to_sign(self) -> bytes: ...
    @property
    def operation(self) -> Optional[str]: ...
    def complete(self, signature_b64: Any) -> _RequestTuple: ...

@final
class NativeClient:
    def __new__(
        cls,
        mchid: str,
        serial_no: str,
        private_key: Optional[bytes],
        wechatpay_public_key_id: Optional[str],
        wechatpay_public_key: Optional[bytes],
        platform_certificates: Sequence[bytes],
        base_url: Optional[str],
        global_base_url: Optional[str],
        user_agent_platform: Optional[str],
        user_agent_suffix: Optional[str],
    ) -> NativeClient: ...
    @property
    def verification_serials(self) -> List[str]: ...
    @property
    def user_agent(self) -> str: ...
    def prepare(self, operation: str, params: Dict[str, Any], timestamp: Any, nonce: Any, sign: bool) -> Any: ...
    def request(
        self,
        method: Any,
        template: Any,
        path_params: Sequence[Tuple[Any, Any]],
        query: Sequence[Tuple[Any, Any]],
        json: Any,
        timestamp: Any,
        nonce: Any,
        sign: bool,
    ) -> Any: ...
    def parse(
        self, operation: Optional[str], status: Any, headers: Sequence[Tuple[str, str]], body: bytes, now: Any
    ) -> Tuple[int, Optional[str], Any]: ...

def catalog_json() -> str: ...
def error_kinds() -> List[str]: ...
def sign_message(private_key: bytes, message: bytes) -> str: ...
