//! One block per termination endpoint in `declare_endpoints!` — the only place one is declared.
//!
//! Limits come from the official pages linked in each block. Where an official page was not
//! available (papay sign, partner and insurance), the limits of the APIv2 `papay/deletecontract`
//! contract are used: `out_contract_code` string(32), `contract_termination_remark` string(256).

use super::declare_endpoints;
use super::models::*;
use crate::validate::Limits;

/// `out_contract_code` of papay-family contracts: string(32).
const CONTRACT_CODE: Limits = Limits::max(32);
/// `contract_termination_remark`: string(256).
const REMARK_256: Limits = Limits::max(256);

declare_endpoints! {
    /// `POST /v3/eduschoolpay/contracts/{contract_id}/terminate` — [official page](https://pay.weixin.qq.com/doc/v3/partner/4012469025).
    ///
    /// 校园轻松付 · 商户主动解约 (service provider).
    TerminateEduschoolpayContract => terminate_eduschoolpay_contract {
        title: "商户主动解约",
        method: Post,
        host: Api,
        path: "/v3/eduschoolpay/contracts/{contract_id}/terminate",
        output: NoContent,
        docs: ["https://pay.weixin.qq.com/doc/v3/partner/4012469025"],
        path_params: {
            /// 签约协议号: the contract id WeChat Pay generated (from the signing notification).
            contract_id: String = Limits::max(32),
        },
        body: {},
    }

    /// `POST /v3/password-exempt-contract/contracts/service-id/{service_id}/out-contract-code/{out_contract_code}/terminate` — [official page](https://pay.weixin.qq.com/doc/v3/merchant/4012472858).
    ///
    /// 免密支付 · 商户通过商户协议号解约协议 (merchant and partner, same URL).
    TerminatePasswordExemptContract => terminate_password_exempt_contract {
        title: "商户通过商户协议号解约协议",
        method: Post,
        host: Api,
        path: "/v3/password-exempt-contract/contracts/service-id/{service_id}/out-contract-code/{out_contract_code}/terminate",
        output: PasswordExemptContract,
        docs: [
            "https://pay.weixin.qq.com/doc/v3/merchant/4012472858",
            "https://pay.weixin.qq.com/doc/v3/partner/4012715383",
        ],
        path_params: {
            /// 免密支付服务ID.
            service_id: u64 = Limits::NONE,
            /// 商户签约协议号: digits and letters only, not reusable after termination.
            out_contract_code: String = Limits::max(32).alnum(),
        },
        body: {
            /// 解约备注.
            contract_termination_remark: String = Limits::max(256),
        },
    }

    /// `POST /v3/papay/sign/contracts/plan-id/{plan_id}/out-contract-code/{out_contract_code}/terminate` — [official page](https://pay.weixin.qq.com/doc/v3/merchant/4012489295).
    ///
    /// 委托代扣 · 通过商户协议号解除签约协议 (direct merchant).
    TerminatePapayContract => terminate_papay_contract {
        title: "通过商户协议号解除委托代扣签约协议",
        method: Post,
        host: Api,
        path: "/v3/papay/sign/contracts/plan-id/{plan_id}/out-contract-code/{out_contract_code}/terminate",
        output: PapayContract,
        docs: ["https://pay.weixin.qq.com/doc/v3/merchant/4012489295"],
        path_params: {
            /// 委托代扣模板ID.
            plan_id: u64 = Limits::NONE,
            /// 商户签约协议号.
            out_contract_code: String = CONTRACT_CODE,
        },
        body: {
            /// 解约备注.
            contract_termination_remark: String = REMARK_256,
        },
    }

    /// `POST /v3/papay/sign/partner/contracts/plan-id/{plan_id}/out-contract-code/{out_contract_code}/terminate` — [official page](https://pay.weixin.qq.com/doc/v3/partner/4012489491).
    ///
    /// 委托代扣 · 通过商户协议号解除签约协议 (service provider).
    TerminatePapayPartnerContract => terminate_papay_partner_contract {
        title: "通过商户协议号解除委托代扣签约协议（服务商）",
        method: Post,
        host: Api,
        path: "/v3/papay/sign/partner/contracts/plan-id/{plan_id}/out-contract-code/{out_contract_code}/terminate",
        output: PapayPartnerContract,
        docs: ["https://pay.weixin.qq.com/doc/v3/partner/4012489491"],
        path_params: {
            /// 委托代扣模板ID.
            plan_id: u64 = Limits::NONE,
            /// 商户签约协议号.
            out_contract_code: String = CONTRACT_CODE,
        },
        body: {
            /// 子商户号.
            sub_mchid: String = Limits::NONE,
            /// 解约备注.
            contract_termination_remark: String = REMARK_256,
        },
    }

    /// `POST /v3/papay/insurance-sign/contracts/plan-id/{plan_id}/out-contract-code/{out_contract_code}/terminate` — [official page](https://pay.weixin.qq.com/doc/v3/merchant/4012472767).
    ///
    /// 保险自动续费 · 解约 (insurance merchant).
    TerminatePapayInsuranceContract => terminate_papay_insurance_contract {
        title: "保险商户通过商户协议号解约",
        method: Post,
        host: Api,
        path: "/v3/papay/insurance-sign/contracts/plan-id/{plan_id}/out-contract-code/{out_contract_code}/terminate",
        output: InsuranceContract,
        docs: [
            "https://pay.weixin.qq.com/doc/v3/merchant/4012472767",
            "https://pay.weixin.qq.com/doc/v3/merchant/4016724542",
        ],
        path_params: {
            /// 委托代扣模板ID.
            plan_id: u64 = Limits::NONE,
            /// 商户签约协议号.
            out_contract_code: String = CONTRACT_CODE,
        },
        body: {
            /// 解约备注.
            contract_termination_remark: String = REMARK_256,
        },
    }

    /// `POST /v3/ecommerce/combine-papay/contracts/plan-id/{plan_id}/out-contract-code/{out_contract_code}/terminate` — [official page](https://pay.weixin.qq.com/doc/v3/partner/4012884072).
    ///
    /// 收付通合单代扣 · 解约 (e-commerce platform / service provider).
    TerminateCombinePapayContract => terminate_combine_papay_contract {
        title: "合单代扣通过商户协议号解约",
        method: Post,
        host: Api,
        path: "/v3/ecommerce/combine-papay/contracts/plan-id/{plan_id}/out-contract-code/{out_contract_code}/terminate",
        output: CombinePapayContract,
        docs: ["https://pay.weixin.qq.com/doc/v3/partner/4012884072"],
        path_params: {
            /// 委托代扣模板ID.
            plan_id: u64 = Limits::NONE,
            /// 商户签约协议号.
            out_contract_code: String = Limits::max(32),
        },
        body: {
            /// 解约备注.
            contract_termination_remark: String = Limits::max(256),
        },
    }

    /// `POST /v3/credit-repayment/partner/contracts/terminate` — [official page](https://pay.weixin.qq.com/doc/v3/partner/4016125830).
    ///
    /// 信用卡自动还款 · 解除自动还款协议 (service provider).
    TerminateCreditRepaymentContract => terminate_credit_repayment_contract {
        title: "解除自动还款协议",
        method: Post,
        host: Api,
        path: "/v3/credit-repayment/partner/contracts/terminate",
        output: CreditRepaymentTermination,
        docs: ["https://pay.weixin.qq.com/doc/v3/partner/4016125830"],
        path_params: {},
        body: {
            /// 服务商签约协议号: digits and letters only.
            out_contract_code: String = Limits::max(32).alnum(),
            /// 协议解约备注.
            contract_termination_remark: String = Limits::max(128),
        },
    }

    /// `POST /v3/global/papay/contracts/{contract_id}/terminate` (Hong Kong host) — [official page](https://pay.weixin.qq.com/doc/global/v3/zh/4013015478).
    ///
    /// 跨境代扣 · 申请解约 (Hong Kong host).
    TerminateGlobalPapayContract => terminate_global_papay_contract {
        title: "申请解约（跨境）",
        method: Post,
        host: Global,
        path: "/v3/global/papay/contracts/{contract_id}/terminate",
        output: NoContent,
        docs: [
            "https://pay.weixin.qq.com/doc/global/v3/zh/4013015478",
            "https://pay.weixin.qq.com/wiki/doc/api_external/ch/apis/chapter5_1_4.shtml",
        ],
        path_params: {
            /// 委托代扣协议ID.
            contract_id: String = Limits::max(64),
        },
        body: {
            /// 公众账号ID (direct merchants only).
            appid: Option<String> = Limits::NONE,
            /// 服务商公众账号ID (institutions only).
            sp_appid: Option<String> = Limits::NONE,
            /// 子商户号 (institutions only).
            sub_mchid: Option<String> = Limits::NONE,
            /// 子商户公众账号ID (institutions only).
            sub_appid: Option<String> = Limits::NONE,
            /// 解约备注.
            termination_note: Option<String> = Limits::max(256),
        },
    }

    /// `DELETE /v3/edu-papay/contracts/{contract_id}` — [official page](https://pay.weixin.qq.com/doc/v3/merchant/4012466882).
    ///
    /// 教育续费通 · 解约 (merchant and partner).
    TerminateEduPapayContract => terminate_edu_papay_contract {
        title: "教育续费通解约",
        method: Delete,
        host: Api,
        path: "/v3/edu-papay/contracts/{contract_id}",
        output: NoContent,
        docs: [
            "https://pay.weixin.qq.com/doc/v3/merchant/4012466882",
            "https://pay.weixin.qq.com/doc/v3/partner/4012465374",
        ],
        path_params: {
            /// 签约协议号.
            contract_id: String = Limits::max(32),
        },
        body: {},
    }

    /// `POST /v3/offlinefacemch/organizations/{organization_id}/users/user-id/{user_id}/terminate-contract` — [official page](https://pay.weixin.qq.com/wiki/doc/wxfacepay/develop/access-specifications.html).
    ///
    /// 刷脸支付 · 刷脸用户解约 (service provider).
    TerminateFacepayUserContract => terminate_facepay_user_contract {
        title: "刷脸用户解约",
        method: Post,
        host: Api,
        path: "/v3/offlinefacemch/organizations/{organization_id}/users/user-id/{user_id}/terminate-contract",
        output: NoContent,
        docs: ["https://pay.weixin.qq.com/wiki/doc/wxfacepay/develop/access-specifications.html"],
        path_params: {
            /// 机构ID.
            organization_id: String = Limits::NONE,
            /// 用户ID (the docs mislabel it `use_id`).
            user_id: String = Limits::NONE,
        },
        body: {},
    }

    /// `POST /v3/payscore/permissions/authorization-code/{authorization_code}/terminate` — [official page](https://pay.weixin.qq.com/doc/v3/merchant/4012647410).
    ///
    /// 微信支付分 · 通过授权协议号解除用户授权 (direct merchant).
    TerminatePayscorePermissionByAuthorizationCode => terminate_payscore_permission_by_authorization_code {
        title: "商户解除用户授权关系（授权协议号）",
        method: Post,
        host: Api,
        path: "/v3/payscore/permissions/authorization-code/{authorization_code}/terminate",
        output: NoContent,
        docs: ["https://pay.weixin.qq.com/doc/v3/merchant/4012647410"],
        path_params: {
            /// 授权协议号.
            authorization_code: String = Limits::NONE,
        },
        body: {
            /// 支付分服务ID.
            service_id: String = Limits::NONE,
            /// 解除授权原因.
            reason: String = Limits::NONE,
        },
    }

    /// `POST /v3/payscore/permissions/openid/{openid}/terminate` — [official page](https://pay.weixin.qq.com/doc/v3/merchant/4012647413).
    ///
    /// 微信支付分 · 通过 openid 解除用户授权 (direct merchant).
    TerminatePayscorePermissionByOpenid => terminate_payscore_permission_by_openid {
        title: "商户解除用户授权关系（openid）",
        method: Post,
        host: Api,
        path: "/v3/payscore/permissions/openid/{openid}/terminate",
        output: NoContent,
        docs: ["https://pay.weixin.qq.com/doc/v3/merchant/4012647413"],
        path_params: {
            /// 用户标识.
            openid: String = Limits::NONE,
        },
        body: {
            /// 支付分服务ID.
            service_id: String = Limits::NONE,
            /// 应用ID.
            appid: String = Limits::NONE,
            /// 解除授权原因.
            reason: String = Limits::NONE,
        },
    }

    /// `POST /v3/payscore/partner/permissions/authorization-code/{authorization_code}/terminate` — [official page](https://pay.weixin.qq.com/doc/v3/partner/4012382049).
    ///
    /// 微信支付分 · 通过授权协议号解除用户授权 (service provider).
    TerminatePayscorePartnerPermissionByAuthorizationCode => terminate_payscore_partner_permission_by_authorization_code {
        title: "服务商解除用户授权关系（授权协议号）",
        method: Post,
        host: Api,
        path: "/v3/payscore/partner/permissions/authorization-code/{authorization_code}/terminate",
        output: NoContent,
        docs: ["https://pay.weixin.qq.com/doc/v3/partner/4012382049"],
        path_params: {
            /// 授权协议号.
            authorization_code: String = Limits::NONE,
        },
        body: {
            /// 支付分服务ID.
            service_id: String = Limits::NONE,
            /// 子商户号.
            sub_mchid: String = Limits::NONE,
            /// 解除授权原因.
            reason: String = Limits::NONE,
        },
    }

    /// `POST /v3/payscore/partner/permissions/terminate` — [official page](https://pay.weixin.qq.com/doc/v3/partner/4012461154).
    ///
    /// 微信支付分 · 通过 openid 解除用户授权 (service provider; the openid moves into the body).
    TerminatePayscorePartnerPermission => terminate_payscore_partner_permission {
        title: "服务商解除用户授权关系（openid）",
        method: Post,
        host: Api,
        path: "/v3/payscore/partner/permissions/terminate",
        output: NoContent,
        docs: ["https://pay.weixin.qq.com/doc/v3/partner/4012461154"],
        path_params: {},
        body: {
            /// 支付分服务ID.
            service_id: String = Limits::NONE,
            /// 服务商应用ID.
            appid: String = Limits::NONE,
            /// 子商户号.
            sub_mchid: String = Limits::NONE,
            /// 解除授权原因.
            reason: String = Limits::NONE,
            /// 用户在服务商应用下的标识.
            openid: Option<String> = Limits::NONE,
            /// 用户在子商户应用下的标识.
            sub_openid: Option<String> = Limits::NONE,
            /// 子商户应用ID.
            sub_appid: Option<String> = Limits::NONE,
        },
    }

    /// `POST /v3/payscore/acquiringbank/permissions/authorization-code/{authorization_code}/terminate` — [official page](https://pay.weixin.qq.com/doc/v3/partner/4012461012).
    ///
    /// 微信支付分 · 从业机构解除用户授权 (acquiring bank).
    TerminatePayscoreAcquiringbankPermission => terminate_payscore_acquiringbank_permission {
        title: "从业机构解除用户授权关系（授权协议号）",
        method: Post,
        host: Api,
        path: "/v3/payscore/acquiringbank/permissions/authorization-code/{authorization_code}/terminate",
        output: NoContent,
        docs: ["https://pay.weixin.qq.com/doc/v3/partner/4012461012"],
        path_params: {
            /// 授权协议号.
            authorization_code: String = Limits::NONE,
        },
        body: {
            /// 支付分服务ID.
            service_id: String = Limits::NONE,
            /// 子商户号.
            sub_mchid: String = Limits::NONE,
            /// 解除授权原因.
            reason: String = Limits::NONE,
            /// 渠道商商户号.
            channel_id: Option<String> = Limits::NONE,
        },
    }

    /// `POST /v3/payscore/users/{openid}/permissions/{service_id}/terminate` — [official page](https://pay.weixin.qq.com/wiki/doc/apiv3/wxpay/payscore/chapter9_1.shtml).
    ///
    /// 微信支付分 · 解除用户授权关系 (older 普通授权 API; the community OpenAPI description wrongly calls the path values query).
    TerminatePayscoreUserPermission => terminate_payscore_user_permission {
        title: "解除用户授权关系（普通授权）",
        method: Post,
        host: Api,
        path: "/v3/payscore/users/{openid}/permissions/{service_id}/terminate",
        output: NoContent,
        docs: ["https://pay.weixin.qq.com/wiki/doc/apiv3/wxpay/payscore/chapter9_1.shtml"],
        path_params: {
            /// 用户标识.
            openid: String = Limits::NONE,
            /// 支付分服务ID.
            service_id: String = Limits::NONE,
        },
        body: {
            /// 应用ID.
            appid: String = Limits::NONE,
            /// 解除授权原因.
            reason: String = Limits::NONE,
        },
    }

    /// `POST /v3/fund-app/mch-transfer/user-confirm-authorization/out-authorization-no/{out_authorization_no}/close` — [official page](https://pay.weixin.qq.com/doc/v3/merchant/4015653811).
    ///
    /// 商家转账 · 解除免确认收款授权 (direct merchant).
    CloseTransferAuthorization => close_transfer_authorization {
        title: "商户解除免确认收款授权",
        method: Post,
        host: Api,
        path: "/v3/fund-app/mch-transfer/user-confirm-authorization/out-authorization-no/{out_authorization_no}/close",
        output: TransferAuthorization,
        docs: ["https://pay.weixin.qq.com/doc/v3/merchant/4015653811"],
        path_params: {
            /// 商户侧授权单号.
            out_authorization_no: String = Limits::NONE,
        },
        body: {},
    }

    /// `POST /v3/fund-app/mch-transfer/partner/user-confirm-authorizations/{out_authorization_no}/close` — [official page](https://pay.weixin.qq.com/doc/v3/partner/4016809851).
    ///
    /// 商家转账 · 解除免确认收款授权 (service provider).
    CloseTransferPartnerAuthorization => close_transfer_partner_authorization {
        title: "服务商解除免确认收款授权",
        method: Post,
        host: Api,
        path: "/v3/fund-app/mch-transfer/partner/user-confirm-authorizations/{out_authorization_no}/close",
        output: TransferAuthorization,
        docs: ["https://pay.weixin.qq.com/doc/v3/partner/4016809851"],
        path_params: {
            /// 商户侧授权单号.
            out_authorization_no: String = Limits::NONE,
        },
        body: {},
    }

    /// `POST /v3/webizpay/employees/{employee_id}/revoke` — [official page](https://pay.weixin.qq.com/doc/v3/partner/4014507156).
    ///
    /// 企业支付 · 解除员工授权 (service provider).
    RevokeWebizpayEmployee => revoke_webizpay_employee {
        title: "解除员工授权",
        method: Post,
        host: Api,
        path: "/v3/webizpay/employees/{employee_id}/revoke",
        output: EmployeeRevocation,
        docs: ["https://pay.weixin.qq.com/doc/v3/partner/4014507156"],
        path_params: {
            /// 员工ID.
            employee_id: String = Limits::NONE,
        },
        body: {
            /// 服务商商户号.
            sp_mchid: String = Limits::NONE,
            /// 子商户号.
            sub_mchid: String = Limits::NONE,
        },
    }
}
