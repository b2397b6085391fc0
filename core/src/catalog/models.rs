//! Typed success bodies. Unknown fields are ignored, so new server fields never break parsing;
//! fields the docs mark optional are `Option`.

use serde::{Deserialize, Deserializer, Serialize};

use super::{ResponseBody, decode_json};
use crate::error::Result;

/// The result of a 204 endpoint: the verified empty success. Serialises as `null`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct NoContent;

impl ResponseBody for NoContent {
    const SUCCESS_STATUS: u16 = 204;
    // A 204 endpoint that ever sends a body has still succeeded once the signature verified.
    fn decode(_body: &[u8]) -> Result<Self> {
        Ok(NoContent)
    }
    #[cfg(feature = "schema")]
    fn schema(_generator: &mut schemars::SchemaGenerator) -> Option<schemars::Schema> {
        None
    }
}

/// Declares the JSON result types, each once: the struct with its derives, its
/// [`ResponseBody`] impl and its variant of [`AnyOutput`].
macro_rules! declare_results {
    ($(
        $(#[doc = $doc:literal])*
        pub struct $t:ident { $($fields:tt)* }
    )*) => {
        $(
            $(#[doc = $doc])*
            #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
            #[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
            #[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
            pub struct $t { $($fields)* }
        )*

        /// The typed result of any operation: one variant per result type.
        #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
        #[cfg_attr(feature = "uniffi", allow(missing_docs))]
        #[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
        #[serde(untagged)]
        pub enum AnyOutput {
            /// A 204 endpoint's verified empty success.
            NoContent,
            $(
                #[cfg_attr(not(feature = "uniffi"), doc = concat!("[`", stringify!($t), "`]"))]
                $t($t),
            )*
        }

        impl From<NoContent> for AnyOutput {
            fn from(_: NoContent) -> Self {
                AnyOutput::NoContent
            }
        }

        $(impl From<$t> for AnyOutput {
            fn from(value: $t) -> Self {
                AnyOutput::$t(value)
            }
        })*

        $(impl ResponseBody for $t {
            const SUCCESS_STATUS: u16 = 200;
            fn decode(body: &[u8]) -> Result<Self> {
                decode_json(body)
            }
            #[cfg(feature = "schema")]
            fn schema(generator: &mut schemars::SchemaGenerator) -> Option<schemars::Schema> {
                Some(generator.subschema_for::<$t>())
            }
        })*
    };
}

declare_results! {
    /// 免密支付解约结果: an echo of the request.
    pub struct PasswordExemptContract {
        /// 商户号.
        pub mchid: String,
        /// 免密支付服务ID.
        pub service_id: u64,
        /// 商户签约协议号.
        pub out_contract_code: String,
    }

    /// 委托代扣签约协议 (direct merchant).
    pub struct PapayContract {
        /// 商户号.
        pub mchid: String,
        /// 委托代扣协议ID.
        pub contract_id: String,
        /// 商户AppID.
        pub appid: String,
        /// 委托代扣模板ID.
        pub plan_id: u64,
        /// 商户签约协议号.
        pub out_contract_code: String,
        /// 用户账户展示名称.
        pub contract_display_account: String,
        /// 委托代扣协议状态, e.g. `TERMINATED`.
        pub contract_state: String,
        /// 协议签署时间.
        pub contract_signed_time: Option<String>,
        /// 协议到期时间.
        pub contract_expired_time: Option<String>,
        /// 用户OpenID.
        pub openid: String,
        /// 协议解约信息.
        pub contract_terminate_info: Option<ContractTerminateInfo>,
        /// 商户侧用户标识.
        pub out_user_code: Option<String>,
        /// 预约扣费场景的预约信息.
        pub deduct_schedule: Option<DeductSchedule>,
    }

    /// 委托代扣签约协议 (service provider).
    pub struct PapayPartnerContract {
        /// 委托代扣协议ID.
        pub contract_id: String,
        /// 服务商商户号.
        pub sp_mchid: String,
        /// 服务商AppID.
        pub sp_appid: String,
        /// 子商户号.
        pub sub_mchid: String,
        /// 子商户AppID.
        pub sub_appid: Option<String>,
        /// 委托代扣模板ID.
        pub plan_id: u64,
        /// 商户签约协议号.
        pub out_contract_code: String,
        /// 用户账户展示名称.
        pub contract_display_account: String,
        /// 委托代扣协议状态.
        pub contract_state: String,
        /// 协议签署时间.
        pub contract_signed_time: Option<String>,
        /// 协议到期时间.
        pub contract_expired_time: Option<String>,
        /// 用户在服务商AppID下的OpenID.
        pub sp_openid: String,
        /// 用户在子商户AppID下的OpenID.
        pub sub_openid: Option<String>,
        /// 协议解约信息.
        pub contract_terminate_info: Option<ContractTerminateInfo>,
        /// 商户侧用户标识.
        pub out_user_code: Option<String>,
        /// 预约扣费场景的预约信息.
        pub deduct_schedule: Option<DeductSchedule>,
    }

    /// 保险自动续费签约协议.
    pub struct InsuranceContract {
        /// 商户号.
        pub mchid: String,
        /// 委托代扣协议ID.
        pub contract_id: String,
        /// 商户AppID.
        pub appid: String,
        /// 委托代扣模板ID.
        pub plan_id: u64,
        /// 商户签约协议号.
        pub out_contract_code: String,
        /// 被保人展示名称.
        pub insured_display_name: Option<String>,
        /// `SIGNED`, `TERMINATED`, `SIGN_FAILED`, `TO_BE_RENEWED`, `TERMINATE_PENDING`.
        pub contract_state: String,
        /// 协议签署时间.
        pub contract_signed_time: Option<String>,
        /// 协议到期时间.
        pub contract_expired_time: Option<String>,
        /// 协议解约信息.
        pub contract_terminate_info: Option<ContractTerminateInfo>,
        /// 用户OpenID.
        pub openid: String,
        /// 商户侧用户标识.
        pub out_user_code: Option<String>,
    }

    /// 合单代扣解约结果.
    pub struct CombinePapayContract {
        /// 商户号.
        pub mchid: String,
        /// 委托代扣模板ID.
        pub plan_id: u64,
        /// 商户签约协议号.
        pub out_contract_code: String,
    }

    /// 解除自动还款协议结果.
    pub struct CreditRepaymentTermination {
        /// 协议信息.
        pub contract_info: Option<CreditRepaymentContract>,
    }

    /// 免确认收款授权 after closing.
    pub struct TransferAuthorization {
        /// 商户侧授权单号.
        pub out_authorization_no: String,
        /// 商户AppID.
        pub appid: String,
        /// 用户OpenID.
        pub openid: String,
        /// 用户展示名称.
        pub user_display_name: String,
        /// 微信侧授权单号.
        pub authorization_id: Option<String>,
        /// 授权状态, `CLOSED` after this call.
        pub state: String,
        /// 授权时间.
        pub authorize_time: Option<String>,
        /// 解除授权信息.
        pub close_info: Option<TransferAuthorizationCloseInfo>,
        /// 转账场景ID, e.g. `1000`.
        #[serde(default, deserialize_with = "optional_string_or_integer")]
        pub transfer_scene_id: Option<String>,
        /// 用户收款感知.
        pub user_recv_perception: Option<String>,
        /// 创建时间.
        pub create_time: Option<String>,
    }

    /// 免密支付签约协议, as the query returns it.
    pub struct PasswordExemptContractDetails {
        /// 商户号.
        pub mchid: String,
        /// 免密支付协议ID.
        pub contract_id: String,
        /// 商户AppID.
        pub appid: String,
        /// 用户OpenID.
        pub openid: String,
        /// 子商户AppID.
        pub sub_appid: Option<String>,
        /// 用户在子商户AppID下的OpenID.
        pub sub_openid: Option<String>,
        /// 免密支付服务ID.
        pub service_id: u64,
        /// 商户签约协议号.
        pub out_contract_code: String,
        /// 用户账户展示名称.
        pub contract_display_account: Option<String>,
        /// 协议状态, e.g. `SIGNED`, `TERMINATED`.
        pub contract_state: String,
        /// 协议签署时间.
        pub contract_signed_time: Option<String>,
        /// 协议解约信息 (the time is optional on this page).
        pub contract_terminate_info: Option<crate::notification::TerminationInfo>,
    }

    /// 合单代扣签约协议, as the query returns it.
    pub struct CombinePapayContractDetails {
        /// 商户号.
        pub mchid: String,
        /// 委托代扣协议ID.
        pub contract_id: String,
        /// 商户AppID.
        pub appid: String,
        /// 委托代扣模板ID.
        pub plan_id: u64,
        /// 商户签约协议号.
        pub out_contract_code: String,
        /// 用户账户展示名称.
        pub contract_display_account: Option<String>,
        /// `NOT_SIGNED`, `SIGNED` or `TERMINATED`.
        pub contract_state: String,
        /// 协议签署时间.
        pub contract_signed_time: Option<String>,
        /// 协议到期时间.
        pub contract_expired_time: Option<String>,
        /// 协议解约信息.
        pub contract_terminate_info: Option<crate::notification::TerminationInfo>,
        /// 用户OpenID.
        pub openid: Option<String>,
    }

    /// 跨境代扣签约协议 (every field optional in the docs).
    pub struct GlobalPapayContract {
        /// 商户号 (direct).
        pub mchid: Option<String>,
        /// AppID (direct).
        pub appid: Option<String>,
        /// 机构商户号.
        pub sp_mchid: Option<String>,
        /// 子商户号.
        pub sub_mchid: Option<String>,
        /// 机构AppID.
        pub sp_appid: Option<String>,
        /// 子商户AppID.
        pub sub_appid: Option<String>,
        /// 委托代扣协议ID.
        pub contract_id: Option<String>,
        /// 委托代扣模板ID.
        #[serde(default, deserialize_with = "optional_string_or_integer")]
        pub plan_id: Option<String>,
        /// 商户签约协议号.
        pub out_contract_code: Option<String>,
        /// 用户展示名称.
        pub user_display_name: Option<String>,
        /// 协议状态, e.g. `SIGNED`, `TERMINATED`.
        pub state: Option<String>,
        /// 签约时间.
        pub signed_time: Option<String>,
        /// 解约时间.
        pub terminated_time: Option<String>,
        /// 解约方式, e.g. `USER`, `MERCHANT`.
        pub termination_mode: Option<String>,
        /// 解约备注.
        pub termination_note: Option<String>,
        /// 用户标识.
        pub openid: Option<String>,
    }

    /// 教育续费通签约协议.
    pub struct EduPapayContract {
        /// 服务商商户号 / 商户号.
        pub sp_mchid: Option<String>,
        /// AppID.
        pub appid: Option<String>,
        /// 子商户号.
        pub sub_mchid: Option<String>,
        /// 子商户AppID.
        pub sub_appid: Option<String>,
        /// 用户标识.
        pub openid: Option<String>,
        /// 子商户用户标识.
        pub sub_openid: Option<String>,
        /// 签约模板ID (a string here).
        #[serde(default, deserialize_with = "optional_string_or_integer")]
        pub plan_id: Option<String>,
        /// 签约信息: `contract_status` is `ADD` (signed) or `DELETE` (terminated).
        pub contract_information: crate::notification::ContractInformation,
    }

    /// 校园轻松付签约协议.
    pub struct EduschoolpayContract {
        /// 签约协议号.
        pub contract_id: String,
        /// 商户号.
        pub mchid: Option<String>,
        /// AppID.
        pub appid: Option<String>,
        /// 用户标识.
        pub openid: Option<String>,
        /// 签约模板ID.
        #[serde(default, deserialize_with = "optional_string_or_integer")]
        pub plan_id: Option<String>,
        /// `ADD` (signed) or `DELETE` (terminated).
        pub contract_status: String,
        /// 签约时间.
        pub create_time: Option<String>,
        /// 商户签约协议号.
        pub out_contract_code: Option<String>,
    }

    /// 刷脸用户信息.
    pub struct FacepayUser {
        /// 微信刷脸用户ID (the docs spell the field `use_id`).
        #[serde(alias = "user_id")]
        pub use_id: Option<String>,
        /// 商户侧用户ID.
        pub out_user_id: Option<String>,
        /// 机构ID.
        pub organization_id: Option<String>,
        /// 姓名.
        pub user_name: Option<String>,
        /// `STUDENT` or `STUFF`.
        pub user_type: Option<String>,
        /// `NORMAL` or `DISABLED`.
        pub status: Option<String>,
        /// `NOT_CONTRACTED`, `CONTRACTED` or `TERMINATED`.
        pub contract_state: Option<String>,
        /// 人脸图片是否可用.
        pub face_image_ok: Option<bool>,
        /// 签约协议号.
        pub contract_id: Option<String>,
    }

    /// 支付分授权关系 (direct, partner and acquiring-bank queries).
    pub struct PayscorePermission {
        /// 支付分服务ID.
        #[serde(deserialize_with = "string_or_integer")]
        pub service_id: String,
        /// AppID.
        pub appid: Option<String>,
        /// 商户号.
        pub mchid: Option<String>,
        /// 子商户号 (partner and acquiring bank).
        pub sub_mchid: Option<String>,
        /// 子商户AppID.
        pub sub_appid: Option<String>,
        /// 用户标识.
        pub openid: Option<String>,
        /// 子商户用户标识.
        pub sub_openid: Option<String>,
        /// 授权协议号.
        pub authorization_code: Option<String>,
        /// `UNBINDUSER`, `AVAILABLE` or `UNAVAILABLE` (revoked).
        pub authorization_state: String,
        /// 授权回调地址.
        pub notify_url: Option<String>,
        /// 最近一次解除授权时间.
        pub cancel_authorization_time: Option<String>,
        /// 最近一次授权成功时间.
        pub authorization_success_time: Option<String>,
        /// 渠道商商户号 (acquiring bank).
        pub channel_id: Option<String>,
    }

    /// 用户授权状态 (the older 普通授权 API).
    pub struct PayscoreUserServiceState {
        /// AppID.
        pub appid: String,
        /// 支付分服务ID.
        #[serde(deserialize_with = "string_or_integer")]
        pub service_id: String,
        /// 用户标识.
        pub openid: Option<String>,
        /// `AVAILABLE` or `UNAVAILABLE`.
        pub use_service_state: String,
    }

    /// 企业员工授权状态: one entry per authorization of the enterprise user.
    pub struct WebizpayEmployeeAuthorizations {
        /// 服务商商户号.
        pub sp_mchid: String,
        /// 子商户号.
        pub sub_mchid: String,
        /// 企业员工ID.
        pub user_id: String,
        /// 员工授权列表.
        #[serde(default)]
        pub employee_list: Vec<WebizpayEmployeeAuthorization>,
    }

    /// 自动还款协议信息.
    pub struct CreditRepaymentContract {
        /// 协议ID.
        pub contract_id: String,
        /// 模板ID: a string here (a number on every other endpoint), so both are read.
        #[serde(deserialize_with = "string_or_integer")]
        pub plan_id: String,
        /// 服务商签约协议号.
        pub out_contract_code: String,
        /// 用户展示名称.
        pub display_name: String,
        /// `CONTRACT_STATE_INVALID`, `CONTRACT_STATE_EFFECTIVE`, `CONTRACT_STATE_TERMINATED`.
        pub contract_state: String,
        /// 协议签署时间.
        pub contract_signed_time: Option<String>,
        /// 协议解约时间.
        pub contract_terminated_time: Option<String>,
        /// `TERMINATION_MODE_INVALID`, `TERMINATION_MODE_BY_USER`, `TERMINATION_MODE_BY_MERCHANT`,
        /// `TERMINATION_MODE_BY_CUSTOMER_SERVICE`. Older pages spell it `contract_termination_mode`.
        #[serde(alias = "contract_termination_mode")]
        pub contract_terminated_mode: Option<String>,
        /// 协议解约备注.
        pub contract_termination_remark: Option<String>,
        /// 还款日.
        pub repayment_day: Option<i64>,
        /// 用户服务商标识.
        pub openid: Option<String>,
        /// 服务商AppID.
        pub appid: Option<String>,
        /// 还款金额上限 (分). An integer in the API, a string in its notification, so both are read.
        #[serde(deserialize_with = "integer_or_string")]
        pub repayment_amount_limit: i64,
    }

    /// 解除员工授权结果.
    pub struct EmployeeRevocation {
        /// 服务商商户号.
        pub sp_mchid: String,
        /// 子商户号.
        pub sub_mchid: String,
        /// 企业支付员工ID.
        pub user_id: String,
        /// `REVOKED` or `AUTHORIZED`.
        pub authorization_state: String,
        /// 解除授权时间 (RFC 3339).
        pub authorization_revoked_time: String,
        /// 解除授权原因.
        pub reason: String,
    }
}

/// An amount in the smallest currency unit (分 for CNY).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Amount {
    /// 金额. The ENTRUST.TERMINATE notification spells it `amount`, so both are read.
    #[serde(alias = "amount")]
    pub total: i64,
    /// 货币类型, e.g. `CNY`.
    pub currency: Option<String>,
}

/// 协议解约信息.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ContractTerminateInfo {
    /// 协议解约方式, e.g. `MCH_API_TERMINATE`, `USER_TERMINATE`.
    pub contract_termination_mode: String,
    /// 协议解约时间 (RFC 3339).
    pub contract_terminated_time: String,
    /// 解约备注.
    pub contract_termination_remark: Option<String>,
}

/// 预约扣费场景的预约信息.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct DeductSchedule {
    /// 预计扣费的日期 (`YYYY-MM-DD`).
    pub estimated_deduct_date: String,
    /// 预计的扣费金额.
    pub estimated_deduct_amount: Amount,
    /// 扣费预约状态: `NO_SCHEDULED`, `SCHEDULED`, `PAID`, `EXPIRED`.
    pub schedule_state: String,
    /// 已预约的扣费金额.
    pub scheduled_amount: Option<Amount>,
    /// 实际扣费金额.
    pub deduct_amount: Option<Amount>,
    /// 实际扣费的日期.
    pub deduct_date: Option<String>,
}

/// One authorization of a WeBizPay employee.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct WebizpayEmployeeAuthorization {
    /// 微信授权关系ID (what revoke takes as `employee_id`).
    pub employee_id: String,
    /// `AUTHORIZED` or `REVOKED`.
    pub authorization_state: String,
    /// 授权时间.
    pub authorization_time: Option<String>,
    /// 解除授权时间 (documented as required, but an authorized entry has none).
    pub authorization_revoked_time: Option<String>,
}

/// 解除授权信息.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct TransferAuthorizationCloseInfo {
    /// 解除授权时间.
    pub close_time: String,
    /// 解除授权原因, e.g. `CLOSE_VIA_MCH_API`.
    pub close_reason: String,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum StringOrInteger {
    String(String),
    Integer(i64),
}

pub(crate) fn string_or_integer<'de, D: Deserializer<'de>>(
    d: D,
) -> std::result::Result<String, D::Error> {
    Ok(match StringOrInteger::deserialize(d)? {
        StringOrInteger::String(s) => s,
        StringOrInteger::Integer(i) => i.to_string(),
    })
}

pub(crate) fn optional_string_or_integer<'de, D: Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<String>, D::Error> {
    Option::<StringOrInteger>::deserialize(d).map(|v| {
        v.map(|v| match v {
            StringOrInteger::String(s) => s,
            StringOrInteger::Integer(i) => i.to_string(),
        })
    })
}

fn integer_or_string<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<i64, D::Error> {
    match StringOrInteger::deserialize(d)? {
        StringOrInteger::Integer(i) => Ok(i),
        StringOrInteger::String(s) => s
            .parse()
            .map_err(|_| serde::de::Error::custom("expected an integer or a string of digits")),
    }
}
