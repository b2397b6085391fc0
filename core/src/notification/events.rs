//! The typed plaintext of every termination event, field for field as `docs/notifications.md`
//! lists them. Unknown fields are ignored; documented alternates are read (`mch_id`,
//! `sub_mch_id`, `{amount, currency}`); numbers the docs type inconsistently are read from a
//! number or a string and come out as one type.

use serde::{Deserialize, Deserializer, Serialize};

use crate::catalog::DeductSchedule;
// The string-typed alternates share the result models' readers; the u64 ones are below.
use crate::catalog::models::{optional_string_or_integer, string_or_integer};

/// 协议解约信息 of a notification (the termination time may be absent).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct TerminationInfo {
    /// 解约方式: `USER_TERMINATE`, `MCH_API_TERMINATE`, `CUSTOMER_SERVICE_TERMINATE`, …
    pub contract_termination_mode: String,
    /// 解约时间.
    pub contract_terminated_time: Option<String>,
    /// 解约备注.
    pub contract_termination_remark: Option<String>,
}

/// `ENTRUST.TERMINATE`: a papay contract (direct or partner) was terminated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct PapayTerminated {
    /// 委托代扣协议ID.
    pub contract_id: String,
    /// 委托代扣模板ID.
    #[serde(deserialize_with = "u64_or_string")]
    pub plan_id: u64,
    /// 商户签约协议号.
    pub out_contract_code: String,
    /// 签约用户展示名.
    pub contract_display_account: Option<String>,
    /// 协议状态: `SIGNED` or `TERMINATED`.
    pub contract_state: String,
    /// 签约时间.
    pub contract_signed_time: Option<String>,
    /// 协议到期时间.
    pub contract_expired_time: Option<String>,
    /// 解约信息.
    pub contract_terminate_info: Option<TerminationInfo>,
    /// 预约扣费信息.
    pub deduct_schedule: Option<DeductSchedule>,
    /// 商户侧用户标识.
    pub out_user_code: Option<String>,
    /// 商户号 (direct merchants).
    #[serde(alias = "mch_id")]
    pub mchid: Option<String>,
    /// AppID (direct merchants).
    pub appid: Option<String>,
    /// 用户标识 (direct merchants).
    pub openid: Option<String>,
    /// 服务商商户号.
    pub sp_mchid: Option<String>,
    /// 服务商AppID.
    pub sp_appid: Option<String>,
    /// 子商户号.
    #[serde(alias = "sub_mch_id")]
    pub sub_mchid: Option<String>,
    /// 子商户AppID.
    pub sub_appid: Option<String>,
    /// 服务商用户标识.
    pub sp_openid: Option<String>,
    /// 子商户用户标识.
    pub sub_openid: Option<String>,
}

/// `INSURANCE_ENTRUST.TERMINATE`: an insurance renewal contract was terminated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct InsuranceTerminated {
    /// 商户号.
    #[serde(alias = "mch_id")]
    pub mchid: String,
    /// 委托代扣协议ID.
    pub contract_id: String,
    /// AppID.
    pub appid: String,
    /// 委托代扣模板ID.
    #[serde(deserialize_with = "u64_or_string")]
    pub plan_id: u64,
    /// 商户签约协议号.
    pub out_contract_code: String,
    /// 被保人展示名.
    pub insured_display_name: Option<String>,
    /// 协议状态.
    pub contract_state: String,
    /// 签约时间.
    pub contract_signed_time: Option<String>,
    /// 协议到期时间.
    pub contract_expired_time: Option<String>,
    /// 用户标识.
    pub openid: String,
    /// 解约信息.
    pub contract_terminate_info: Option<TerminationInfo>,
    /// 商户侧用户标识.
    pub out_user_code: Option<String>,
}

/// `ECOMMERCE_ENTRUST.TERMINATE`: a combine-papay contract was terminated (no contract id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct CombinePapayTerminated {
    /// 商户号.
    #[serde(alias = "mch_id")]
    pub mchid: String,
    /// 商户签约协议号.
    pub out_contract_code: String,
    /// 委托代扣模板ID.
    #[serde(deserialize_with = "u64_or_string")]
    pub plan_id: u64,
    /// AppID.
    pub appid: Option<String>,
    /// 用户标识.
    pub openid: Option<String>,
    /// 操作时间.
    pub operate_time: Option<String>,
    /// 解约方式.
    pub contract_termination_mode: String,
    /// 附加数据.
    pub attach: Option<String>,
}

/// `CREDIT_REPAYMENT.TERMINATE_CONTRACT`: a credit-card auto-repayment contract was terminated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct CreditRepaymentTerminated {
    /// 服务商商户号.
    pub sp_mchid: Option<String>,
    /// 签约协议号.
    pub contract_id: String,
    /// 模板ID (a string, as in the terminate result).
    #[serde(deserialize_with = "string_or_integer")]
    pub plan_id: String,
    /// 商户签约协议号.
    pub out_contract_code: String,
    /// 展示名.
    pub display_name: Option<String>,
    /// 协议状态, e.g. `CONTRACT_STATE_TERMINATED`.
    pub contract_state: String,
    /// 签约时间.
    pub contract_signed_time: Option<String>,
    /// 解约时间.
    pub contract_terminated_time: Option<String>,
    /// 解约方式, e.g. `TERMINATION_MODE_BY_USER`.
    pub contract_terminated_mode: Option<String>,
    /// 解约备注.
    pub contract_termination_remark: Option<String>,
    /// 还款日.
    #[serde(default, deserialize_with = "optional_u64_or_string")]
    pub repayment_day: Option<u64>,
    /// 还款额度上限 (分).
    #[serde(default, deserialize_with = "optional_u64_or_string")]
    pub repayment_amount_limit: Option<u64>,
    /// AppID.
    pub appid: Option<String>,
    /// 用户标识.
    pub openid: Option<String>,
}

/// `PAPAY.TERMINATE`: a cross-border papay contract was terminated (every field optional).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct GlobalPapayTerminated {
    /// 商户号.
    #[serde(alias = "mch_id")]
    pub mchid: Option<String>,
    /// 商户签约协议号.
    pub out_contract_code: Option<String>,
    /// AppID.
    pub appid: Option<String>,
    /// 用户标识.
    pub openid: Option<String>,
    /// 委托代扣协议ID.
    pub contract_id: Option<String>,
    /// 模板ID.
    #[serde(default, deserialize_with = "optional_u64_or_string")]
    pub plan_id: Option<u64>,
    /// 操作时间.
    pub operate_time: Option<String>,
    /// 协议到期时间.
    pub contract_expired_time: Option<String>,
    /// 解约方式: `USER`, `MERCHANT`, `PLATFORM`.
    pub contract_termination_mode: Option<String>,
    /// 机构商户号.
    pub sp_mchid: Option<String>,
    /// 机构AppID.
    pub sp_appid: Option<String>,
    /// 机构用户标识.
    pub sp_openid: Option<String>,
    /// 子商户号.
    #[serde(alias = "sub_mch_id")]
    pub sub_mchid: Option<String>,
    /// 子商户AppID.
    pub sub_appid: Option<String>,
    /// 子商户用户标识.
    pub sub_openid: Option<String>,
}

/// The contract part of `ENTRUST.RELEASE`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ContractInformation {
    /// 签约协议号.
    pub contract_id: String,
    /// `ADD` (signed) or `DELETE` (terminated).
    pub contract_status: String,
    /// 时间.
    pub create_time: Option<String>,
}

/// `ENTRUST.RELEASE`: an education-renewal (edu-papay) contract changed; `DELETE` = terminated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct EduPapayReleased {
    /// 服务商商户号.
    pub sp_mchid: Option<String>,
    /// AppID.
    pub appid: Option<String>,
    /// 子商户号.
    #[serde(alias = "sub_mch_id")]
    pub sub_mchid: Option<String>,
    /// 子商户AppID.
    pub sub_appid: Option<String>,
    /// 用户标识.
    pub openid: Option<String>,
    /// 子商户用户标识.
    pub sub_openid: Option<String>,
    /// 模板ID (a string here).
    #[serde(default, deserialize_with = "optional_string_or_integer")]
    pub plan_id: Option<String>,
    /// 协议信息.
    pub contract_information: ContractInformation,
}

/// `PAYSCORE.USER_CLOSE_SERVICE`: the user closed a pay-score service (also eduschoolpay).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct PayscoreServiceClosed {
    /// AppID.
    pub appid: Option<String>,
    /// 商户号.
    #[serde(alias = "mch_id")]
    pub mchid: Option<String>,
    /// 子商户AppID.
    pub sub_appid: Option<String>,
    /// 子商户号.
    #[serde(alias = "sub_mch_id")]
    pub sub_mchid: Option<String>,
    /// 渠道商商户号.
    pub channel_id: Option<String>,
    /// 服务ID.
    #[serde(deserialize_with = "string_or_integer")]
    pub service_id: String,
    /// 用户标识.
    pub openid: Option<String>,
    /// 子商户用户标识.
    pub sub_openid: Option<String>,
    /// `USER_CLOSE_SERVICE` or `USER_OPEN_SERVICE`.
    pub user_service_status: Option<String>,
    /// 服务开启/解除授权时间.
    pub openorclose_time: Option<String>,
    /// 授权协议号.
    pub authorization_code: Option<String>,
    /// 商户请求单号.
    pub out_request_no: Option<String>,
    /// 签约协议号 (eduschoolpay).
    pub contract_id: Option<String>,
    /// 模板ID (eduschoolpay).
    #[serde(default, deserialize_with = "optional_string_or_integer")]
    pub plan_id: Option<String>,
    /// `ADD` or `DELETE` (eduschoolpay).
    pub contract_status: Option<String>,
    /// 商户签约协议号 (eduschoolpay).
    pub out_contract_code: Option<String>,
}

/// `FACEPAY.USER_STATE_CHANGE`: a face-pay user's contract changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct FacepayUserStateChanged {
    /// 微信用户ID.
    pub user_id: Option<String>,
    /// 商户侧用户ID.
    pub out_user_id: Option<String>,
    /// 机构ID.
    pub organization_id: Option<String>,
    /// 商户号.
    #[serde(alias = "mch_id")]
    pub mchid: Option<String>,
    /// 通知创建时间.
    pub notify_create_time: Option<String>,
    /// AppID.
    pub appid: Option<String>,
    /// 用户标识.
    pub openid: Option<String>,
    /// 签约协议号.
    pub contract_id: String,
}

/// 关闭信息 of a transfer authorization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct AuthorizationCloseInfo {
    /// 关闭时间.
    pub close_time: String,
    /// `CLOSE_VIA_MCH_API` or `USER_CLOSE`.
    pub close_reason: String,
}

/// `MCHTRANSFER.AUTHORIZATION.CLOSED`: a transfer authorization was closed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct TransferAuthorizationClosed {
    /// 商户授权单号.
    pub out_authorization_no: String,
    /// AppID.
    pub appid: Option<String>,
    /// 用户标识.
    pub openid: Option<String>,
    /// 用户展示名.
    pub user_display_name: Option<String>,
    /// 微信授权单号.
    pub authorization_id: Option<String>,
    /// `TAKING_EFFECT` or `CLOSED`.
    pub state: String,
    /// 授权时间.
    pub authorize_time: Option<String>,
    /// 关闭信息.
    pub close_info: Option<AuthorizationCloseInfo>,
}

/// `WEBIZPAY.REVOKED`: a WeBizPay employee's authorization was revoked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct WebizpayRevoked {
    /// 服务商商户号.
    pub sp_mchid: Option<String>,
    /// 子商户号.
    #[serde(alias = "sub_mch_id")]
    pub sub_mchid: String,
    /// 员工用户ID.
    pub user_id: String,
    /// `AUTHORIZED` or `REVOKED`.
    pub authorization_state: String,
    /// 撤销时间.
    pub authorization_revoked_time: Option<String>,
    /// 原因: `企业发起` or `员工注销`.
    pub reason: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum NumberOrString {
    Number(u64),
    String(String),
}

fn u64_or_string<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    match NumberOrString::deserialize(d)? {
        NumberOrString::Number(n) => Ok(n),
        NumberOrString::String(s) => s
            .trim()
            .parse()
            .map_err(|_| serde::de::Error::custom("expected an unsigned integer")),
    }
}

fn optional_u64_or_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    #[derive(Deserialize)]
    struct Wrap(#[serde(deserialize_with = "u64_or_string")] u64);
    Ok(Option::<Wrap>::deserialize(d)?.map(|w| w.0))
}
