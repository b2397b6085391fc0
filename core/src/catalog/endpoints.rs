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
        confirm_with: QueryEduschoolpayContract,
        docs: ["https://pay.weixin.qq.com/doc/v3/partner/4012469025"],
        path_params: {
            /// 签约协议号: the contract id WeChat Pay generated (from the signing notification).
            contract_id: String = Limits::max(32),
        },
        query: {},
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
        confirm_with: QueryPasswordExemptContract,
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
        query: {},
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
        confirm_with: QueryPapayContract,
        docs: ["https://pay.weixin.qq.com/doc/v3/merchant/4012489295"],
        path_params: {
            /// 委托代扣模板ID.
            plan_id: u64 = Limits::NONE,
            /// 商户签约协议号.
            out_contract_code: String = CONTRACT_CODE,
        },
        query: {},
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
        confirm_with: QueryPapayPartnerContract,
        docs: ["https://pay.weixin.qq.com/doc/v3/partner/4012489491"],
        path_params: {
            /// 委托代扣模板ID.
            plan_id: u64 = Limits::NONE,
            /// 商户签约协议号.
            out_contract_code: String = CONTRACT_CODE,
        },
        query: {},
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
        confirm_with: QueryPapayInsuranceContract,
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
        query: {},
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
        confirm_with: QueryCombinePapayContract,
        docs: ["https://pay.weixin.qq.com/doc/v3/partner/4012884072"],
        path_params: {
            /// 委托代扣模板ID.
            plan_id: u64 = Limits::NONE,
            /// 商户签约协议号.
            out_contract_code: String = Limits::max(32),
        },
        query: {},
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
        confirm_with: QueryCreditRepaymentContract,
        docs: ["https://pay.weixin.qq.com/doc/v3/partner/4016125830"],
        path_params: {},
        query: {},
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
        confirm_with: QueryGlobalPapayContract,
        docs: [
            "https://pay.weixin.qq.com/doc/global/v3/zh/4013015478",
            "https://pay.weixin.qq.com/wiki/doc/api_external/ch/apis/chapter5_1_4.shtml",
        ],
        path_params: {
            /// 委托代扣协议ID.
            contract_id: String = Limits::max(64),
        },
        query: {},
        body: {
            /// 公众账号ID (direct merchants only).
            appid: Option<String> = Limits::max(32),
            /// 服务商公众账号ID (institutions only).
            sp_appid: Option<String> = Limits::max(32),
            /// 子商户号 (institutions only).
            sub_mchid: Option<String> = Limits::max(32),
            /// 子商户公众账号ID (institutions only).
            sub_appid: Option<String> = Limits::max(32),
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
        confirm_with: QueryEduPapayContract,
        docs: [
            "https://pay.weixin.qq.com/doc/v3/merchant/4012466882",
            "https://pay.weixin.qq.com/doc/v3/partner/4012465374",
        ],
        path_params: {
            /// 签约协议号.
            contract_id: String = Limits::max(32),
        },
        query: {},
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
        confirm_with: QueryFacepayUser,
        docs: ["https://pay.weixin.qq.com/wiki/doc/wxfacepay/develop/access-specifications.html"],
        path_params: {
            /// 机构ID.
            organization_id: String = Limits::NONE,
            /// 用户ID (the docs mislabel it `use_id`).
            user_id: String = Limits::NONE,
        },
        query: {},
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
        confirm_with: QueryPayscorePermissionByAuthorizationCode,
        docs: ["https://pay.weixin.qq.com/doc/v3/merchant/4012647410"],
        path_params: {
            /// 授权协议号.
            authorization_code: String = Limits::max(32),
        },
        query: {},
        body: {
            /// 支付分服务ID.
            service_id: String = Limits::max(32),
            /// 解除授权原因.
            reason: String = Limits::max(50),
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
        confirm_with: QueryPayscorePermissionByOpenid,
        docs: ["https://pay.weixin.qq.com/doc/v3/merchant/4012647413"],
        path_params: {
            /// 用户标识.
            openid: String = Limits::max(128),
        },
        query: {},
        body: {
            /// 支付分服务ID.
            service_id: String = Limits::max(32),
            /// 应用ID.
            appid: String = Limits::max(32),
            /// 解除授权原因.
            reason: String = Limits::max(50),
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
        confirm_with: QueryPayscorePartnerPermissionByAuthorizationCode,
        docs: ["https://pay.weixin.qq.com/doc/v3/partner/4012382049"],
        path_params: {
            /// 授权协议号.
            authorization_code: String = Limits::max(32),
        },
        query: {},
        body: {
            /// 支付分服务ID.
            service_id: String = Limits::max(32),
            /// 子商户号.
            sub_mchid: String = Limits::max(32),
            /// 解除授权原因.
            reason: String = Limits::max(50),
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
        confirm_with: QueryPayscorePartnerPermission,
        docs: ["https://pay.weixin.qq.com/doc/v3/partner/4012461154"],
        path_params: {},
        query: {},
        body: {
            /// 支付分服务ID.
            service_id: String = Limits::max(32),
            /// 服务商应用ID.
            appid: String = Limits::max(32),
            /// 子商户号.
            sub_mchid: String = Limits::max(32),
            /// 解除授权原因.
            reason: String = Limits::max(50),
            /// 用户在服务商应用下的标识.
            openid: Option<String> = Limits::max(128),
            /// 用户在子商户应用下的标识.
            sub_openid: Option<String> = Limits::max(128),
            /// 子商户应用ID.
            sub_appid: Option<String> = Limits::max(32),
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
        confirm_with: QueryPayscoreAcquiringbankPermission,
        docs: ["https://pay.weixin.qq.com/doc/v3/partner/4012461012"],
        path_params: {
            /// 授权协议号.
            authorization_code: String = Limits::max(32),
        },
        query: {},
        body: {
            /// 支付分服务ID.
            service_id: String = Limits::max(32),
            /// 子商户号.
            sub_mchid: String = Limits::max(32),
            /// 解除授权原因.
            reason: String = Limits::max(50),
            /// 渠道商商户号 (required on the official page, 4012461012).
            channel_id: String = Limits::max(32),
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
        confirm_with: QueryPayscoreUserServiceState,
        docs: ["https://pay.weixin.qq.com/wiki/doc/apiv3/wxpay/payscore/chapter9_1.shtml"],
        path_params: {
            /// 用户标识.
            openid: String = Limits::NONE,
            /// 支付分服务ID.
            service_id: String = Limits::NONE,
        },
        query: {},
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
        confirm_with: QueryTransferAuthorization,
        docs: ["https://pay.weixin.qq.com/doc/v3/merchant/4015653811"],
        path_params: {
            /// 商户侧授权单号.
            out_authorization_no: String = Limits::max(32),
        },
        query: {},
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
        confirm_with: QueryTransferPartnerAuthorization,
        docs: ["https://pay.weixin.qq.com/doc/v3/partner/4016809851"],
        path_params: {
            /// 商户侧授权单号.
            out_authorization_no: String = Limits::max(32),
        },
        query: {},
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
        confirm_with: QueryWebizpayEmployeeAuthorization,
        docs: ["https://pay.weixin.qq.com/doc/v3/partner/4014507156"],
        path_params: {
            /// 员工ID.
            employee_id: String = Limits::max(64),
        },
        query: {},
        body: {
            /// 服务商商户号.
            sp_mchid: String = Limits::max(32),
            /// 子商户号.
            sub_mchid: String = Limits::max(32),
        },
    }
    // ---- Queries: the state of one contract or authorization, read after a termination
    // (terminate-and-confirm). Each terminate block above names its query in `confirm_with`.

    /// `GET /v3/eduschoolpay/contracts/{contract_id}` — [official page](https://pay.weixin.qq.com/docs/partner/apis/campus-easy-pay/contracts/query-contract.html).
    ///
    /// 校园轻松付 · 查询签约协议 (service provider).
    QueryEduschoolpayContract => query_eduschoolpay_contract {
        title: "查询签约协议（校园轻松付）",
        method: Get,
        host: Api,
        path: "/v3/eduschoolpay/contracts/{contract_id}",
        output: EduschoolpayContract,
        docs: ["https://pay.weixin.qq.com/docs/partner/apis/campus-easy-pay/contracts/query-contract.html"],
        path_params: {
            /// 签约协议号.
            contract_id: String = Limits::max(32),
        },
        query: {},
        body: {},
    }

    /// `GET /v3/password-exempt-contract/contracts/service-id/{service_id}/out-contract-code/{out_contract_code}` — [official page](https://pay.weixin.qq.com/doc/v3/merchant/4012472855).
    ///
    /// 免密支付 · 商户通过商户协议号查询协议 (merchant and partner, same URL).
    QueryPasswordExemptContract => query_password_exempt_contract {
        title: "商户通过商户协议号查询协议",
        method: Get,
        host: Api,
        path: "/v3/password-exempt-contract/contracts/service-id/{service_id}/out-contract-code/{out_contract_code}",
        output: PasswordExemptContractDetails,
        docs: [
            "https://pay.weixin.qq.com/doc/v3/merchant/4012472855",
            "https://pay.weixin.qq.com/doc/v3/partner/4012715321",
        ],
        path_params: {
            /// 免密支付服务ID.
            service_id: u64 = Limits::NONE,
            /// 商户签约协议号: digits and letters only.
            out_contract_code: String = Limits::max(32).alnum(),
        },
        query: {},
        body: {},
    }

    /// `GET /v3/papay/sign/contracts/plan-id/{plan_id}/out-contract-code/{out_contract_code}` — [official page](https://pay.weixin.qq.com/docs/merchant/apis/entrusted-payment/normal/normal-get-contract-by-code.html).
    ///
    /// 委托代扣 · 通过商户协议号查询签约协议 (direct merchant).
    QueryPapayContract => query_papay_contract {
        title: "通过商户协议号查询委托代扣签约协议",
        method: Get,
        host: Api,
        path: "/v3/papay/sign/contracts/plan-id/{plan_id}/out-contract-code/{out_contract_code}",
        output: PapayContract,
        docs: ["https://pay.weixin.qq.com/docs/merchant/apis/entrusted-payment/normal/normal-get-contract-by-code.html"],
        path_params: {
            /// 委托代扣模板ID.
            plan_id: u64 = Limits::NONE,
            /// 商户签约协议号.
            out_contract_code: String = CONTRACT_CODE,
        },
        query: {},
        body: {},
    }

    /// `GET /v3/papay/sign/partner/contracts/plan-id/{plan_id}/out-contract-code/{out_contract_code}` — [official page](https://pay.weixin.qq.com/docs/partner/apis/entrusted-payment/partner/partner-get-contract-by-code.html).
    ///
    /// 委托代扣 · 通过商户协议号查询签约协议 (service provider; `sub_mchid` in the query, not the body).
    QueryPapayPartnerContract => query_papay_partner_contract {
        title: "通过商户协议号查询委托代扣签约协议（服务商）",
        method: Get,
        host: Api,
        path: "/v3/papay/sign/partner/contracts/plan-id/{plan_id}/out-contract-code/{out_contract_code}",
        output: PapayPartnerContract,
        docs: ["https://pay.weixin.qq.com/docs/partner/apis/entrusted-payment/partner/partner-get-contract-by-code.html"],
        path_params: {
            /// 委托代扣模板ID.
            plan_id: u64 = Limits::NONE,
            /// 商户签约协议号.
            out_contract_code: String = CONTRACT_CODE,
        },
        query: {
            /// 子商户号.
            sub_mchid: String = Limits::max(32),
        },
        body: {},
    }

    /// `GET /v3/papay/insurance-sign/contracts/plan-id/{plan_id}/out-contract-code/{out_contract_code}` — [official page](https://pay.weixin.qq.com/doc/v3/merchant/4016724540).
    ///
    /// 保险自动续费 · 查询协议 (insurance merchant).
    QueryPapayInsuranceContract => query_papay_insurance_contract {
        title: "保险商户查询保险自动续费协议",
        method: Get,
        host: Api,
        path: "/v3/papay/insurance-sign/contracts/plan-id/{plan_id}/out-contract-code/{out_contract_code}",
        output: InsuranceContract,
        docs: ["https://pay.weixin.qq.com/doc/v3/merchant/4016724540"],
        path_params: {
            /// 委托代扣模板ID.
            plan_id: u64 = Limits::NONE,
            /// 商户签约协议号.
            out_contract_code: String = CONTRACT_CODE,
        },
        query: {},
        body: {},
    }

    /// `GET /v3/ecommerce/combine-papay/contracts/plan-id/{plan_id}/out-contract-code/{out_contract_code}` — [official page](https://pay.weixin.qq.com/doc/v3/partner/4012884060).
    ///
    /// 收付通合单代扣 · 通过商户协议号查询协议 (e-commerce platform / service provider).
    QueryCombinePapayContract => query_combine_papay_contract {
        title: "合单代扣通过商户协议号查询协议",
        method: Get,
        host: Api,
        path: "/v3/ecommerce/combine-papay/contracts/plan-id/{plan_id}/out-contract-code/{out_contract_code}",
        output: CombinePapayContractDetails,
        docs: ["https://pay.weixin.qq.com/doc/v3/partner/4012884060"],
        path_params: {
            /// 委托代扣模板ID.
            plan_id: u64 = Limits::NONE,
            /// 商户签约协议号.
            out_contract_code: String = CONTRACT_CODE,
        },
        query: {},
        body: {},
    }

    /// `GET /v3/credit-repayment/partner/contracts/{out_contract_code}` — [official page](https://pay.weixin.qq.com/doc/v3/partner/4016125810).
    ///
    /// 信用卡自动还款 · 查询自动还款协议 (service provider; the key terminate takes in its body).
    QueryCreditRepaymentContract => query_credit_repayment_contract {
        title: "查询自动还款协议",
        method: Get,
        host: Api,
        path: "/v3/credit-repayment/partner/contracts/{out_contract_code}",
        output: CreditRepaymentContract,
        docs: ["https://pay.weixin.qq.com/doc/v3/partner/4016125810"],
        path_params: {
            /// 服务商签约协议号: digits and letters only.
            out_contract_code: String = Limits::max(32).alnum(),
        },
        query: {},
        body: {},
    }

    /// `GET /v3/global/papay/contracts/{contract_id}` (Hong Kong host) — [official page](https://pay.weixin.qq.com/doc/global/v3/zh/4013015470).
    ///
    /// 跨境代扣 · 查询签约协议 (direct merchants send `appid`; institutions `sub_mchid` and `sp_appid`).
    QueryGlobalPapayContract => query_global_papay_contract {
        title: "查询签约协议（跨境）",
        method: Get,
        host: Global,
        path: "/v3/global/papay/contracts/{contract_id}",
        output: GlobalPapayContract,
        docs: [
            "https://pay.weixin.qq.com/doc/global/v3/zh/4013015470",
            "https://pay.weixin.qq.com/doc/global/v3/en/4012356579",
        ],
        path_params: {
            /// 委托代扣协议ID.
            contract_id: String = Limits::max(64),
        },
        query: {
            /// 公众账号ID (direct merchants only).
            appid: Option<String> = Limits::max(32),
            /// 子商户号 (institutions only).
            sub_mchid: Option<String> = Limits::max(32),
            /// 服务商公众账号ID (institutions only).
            sp_appid: Option<String> = Limits::max(32),
            /// 子商户公众账号ID (institutions, optional).
            sub_appid: Option<String> = Limits::max(32),
        },
        body: {},
    }

    /// `GET /v3/edu-papay/contracts/id/{contract_id}` — [official page](https://pay.weixin.qq.com/docs/merchant/apis/education-fee-payment/contracts/query-contract.html).
    ///
    /// 教育续费通 · 通过协议号查询签约 (merchant and partner). Older pages answer a terminated
    /// contract with an error, so a 404 after a possibly applied termination confirms it.
    QueryEduPapayContract => query_edu_papay_contract {
        title: "通过协议号查询签约（教育续费通）",
        method: Get,
        host: Api,
        path: "/v3/edu-papay/contracts/id/{contract_id}",
        output: EduPapayContract,
        gone_when_terminated: true,
        docs: [
            "https://pay.weixin.qq.com/docs/merchant/apis/education-fee-payment/contracts/query-contract.html",
            "https://pay.weixin.qq.com/docs/partner/apis/education-fee-payment/contracts/query-contract.html",
        ],
        path_params: {
            /// 签约协议号.
            contract_id: String = Limits::max(32),
        },
        query: {
            /// 服务商/商户 AppID.
            appid: String = Limits::max(32),
            /// 子商户号 (partner only).
            sub_mchid: Option<String> = Limits::max(32),
            /// 子商户AppID (partner only).
            sub_appid: Option<String> = Limits::max(32),
        },
        body: {},
    }

    /// `GET /v3/offlinefacemch/organizations/{organization_id}/users/out-user-id/{out_user_id}` — [official page](https://pay.weixin.qq.com/wiki/doc/wxfacepay/develop/k12-development-guidelines.html).
    ///
    /// 刷脸支付 · 刷脸用户信息查询 (service provider; keyed by the merchant's `out_user_id`, not
    /// the `user_id` termination takes).
    QueryFacepayUser => query_facepay_user {
        title: "刷脸用户信息查询",
        method: Get,
        host: Api,
        path: "/v3/offlinefacemch/organizations/{organization_id}/users/out-user-id/{out_user_id}",
        output: FacepayUser,
        docs: ["https://pay.weixin.qq.com/wiki/doc/wxfacepay/develop/k12-development-guidelines.html"],
        path_params: {
            /// 机构ID.
            organization_id: String = Limits::NONE,
            /// 商户侧用户ID.
            out_user_id: String = Limits::NONE,
        },
        query: {},
        body: {},
    }

    /// `GET /v3/payscore/permissions/authorization-code/{authorization_code}` — [official page](https://pay.weixin.qq.com/docs/merchant/apis/weixin-pay-score-no-confirm/get-permissions-by-authorization-code.html).
    ///
    /// 微信支付分 · 查询用户授权记录（授权协议号） (direct merchant).
    QueryPayscorePermissionByAuthorizationCode => query_payscore_permission_by_authorization_code {
        title: "查询用户授权记录（授权协议号）",
        method: Get,
        host: Api,
        path: "/v3/payscore/permissions/authorization-code/{authorization_code}",
        output: PayscorePermission,
        docs: ["https://pay.weixin.qq.com/docs/merchant/apis/weixin-pay-score-no-confirm/get-permissions-by-authorization-code.html"],
        path_params: {
            /// 授权协议号.
            authorization_code: String = Limits::max(32),
        },
        query: {
            /// 支付分服务ID.
            service_id: String = Limits::max(32),
        },
        body: {},
    }

    /// `GET /v3/payscore/permissions/openid/{openid}` — [official page](https://pay.weixin.qq.com/docs/merchant/apis/weixin-pay-score/service-auth/get-permissions-by-open-id.html).
    ///
    /// 微信支付分 · 查询用户授权记录（openid） (direct merchant).
    QueryPayscorePermissionByOpenid => query_payscore_permission_by_openid {
        title: "查询用户授权记录（openid）",
        method: Get,
        host: Api,
        path: "/v3/payscore/permissions/openid/{openid}",
        output: PayscorePermission,
        docs: ["https://pay.weixin.qq.com/docs/merchant/apis/weixin-pay-score/service-auth/get-permissions-by-open-id.html"],
        path_params: {
            /// 用户标识.
            openid: String = Limits::NONE,
        },
        query: {
            /// 支付分服务ID.
            service_id: String = Limits::NONE,
            /// 应用ID.
            appid: String = Limits::NONE,
        },
        body: {},
    }

    /// `GET /v3/payscore/partner/permissions/authorization-code/{authorization_code}` — [official page](https://pay.weixin.qq.com/docs/partner/apis/partner-weixin-pay-score/partner-service-auth/get-partner-permissions-by-code.html).
    ///
    /// 微信支付分 · 查询用户授权记录（授权协议号） (service provider).
    QueryPayscorePartnerPermissionByAuthorizationCode => query_payscore_partner_permission_by_authorization_code {
        title: "服务商查询用户授权记录（授权协议号）",
        method: Get,
        host: Api,
        path: "/v3/payscore/partner/permissions/authorization-code/{authorization_code}",
        output: PayscorePermission,
        docs: ["https://pay.weixin.qq.com/docs/partner/apis/partner-weixin-pay-score/partner-service-auth/get-partner-permissions-by-code.html"],
        path_params: {
            /// 授权协议号.
            authorization_code: String = Limits::max(32),
        },
        query: {
            /// 支付分服务ID.
            service_id: String = Limits::max(32),
            /// 子商户号.
            sub_mchid: String = Limits::max(32),
        },
        body: {},
    }

    /// `GET /v3/payscore/partner/permissions/search` — [official page](https://pay.weixin.qq.com/doc/v3/partner/4012692798).
    ///
    /// 微信支付分 · 查询用户授权记录（openid） (service provider; everything in the query).
    QueryPayscorePartnerPermission => query_payscore_partner_permission {
        title: "服务商查询用户授权记录（openid）",
        method: Get,
        host: Api,
        path: "/v3/payscore/partner/permissions/search",
        output: PayscorePermission,
        docs: ["https://pay.weixin.qq.com/doc/v3/partner/4012692798"],
        path_params: {},
        query: {
            /// 支付分服务ID.
            service_id: String = Limits::NONE,
            /// 服务商应用ID.
            appid: String = Limits::NONE,
            /// 子商户号.
            sub_mchid: String = Limits::NONE,
            /// 子商户应用ID.
            sub_appid: Option<String> = Limits::NONE,
            /// 用户在服务商应用下的标识.
            openid: Option<String> = Limits::NONE,
            /// 用户在子商户应用下的标识.
            sub_openid: Option<String> = Limits::NONE,
        },
        body: {},
    }

    /// `GET /v3/payscore/acquiringbank/permissions/authorization-code/{authorization_code}` — [official page](https://pay.weixin.qq.com/doc/v3/partner/4012461004).
    ///
    /// 微信支付分 · 从业机构查询用户授权记录 (acquiring bank; `channel_id` is required here).
    QueryPayscoreAcquiringbankPermission => query_payscore_acquiringbank_permission {
        title: "从业机构查询用户授权记录（授权协议号）",
        method: Get,
        host: Api,
        path: "/v3/payscore/acquiringbank/permissions/authorization-code/{authorization_code}",
        output: PayscorePermission,
        docs: ["https://pay.weixin.qq.com/doc/v3/partner/4012461004"],
        path_params: {
            /// 授权协议号.
            authorization_code: String = Limits::max(32),
        },
        query: {
            /// 支付分服务ID.
            service_id: String = Limits::max(32),
            /// 渠道商商户号.
            channel_id: String = Limits::max(32),
            /// 子商户号.
            sub_mchid: String = Limits::max(32),
        },
        body: {},
    }

    /// `GET /v3/payscore/user-service-state` — [official page](https://pay.weixin.qq.com/wiki/doc/apiv3/wxpay/payscore/chapter3_8.shtml).
    ///
    /// 微信支付分 · 查询用户授权状态 (older 普通授权 API).
    QueryPayscoreUserServiceState => query_payscore_user_service_state {
        title: "查询用户授权状态（普通授权）",
        method: Get,
        host: Api,
        path: "/v3/payscore/user-service-state",
        output: PayscoreUserServiceState,
        docs: ["https://pay.weixin.qq.com/wiki/doc/apiv3/wxpay/payscore/chapter3_8.shtml"],
        path_params: {},
        query: {
            /// 应用ID.
            appid: String = Limits::NONE,
            /// 支付分服务ID.
            service_id: String = Limits::NONE,
            /// 用户标识.
            openid: String = Limits::NONE,
        },
        body: {},
    }

    /// `GET /v3/fund-app/mch-transfer/user-confirm-authorization/out-authorization-no/{out_authorization_no}` — [official page](https://pay.weixin.qq.com/doc/v3/merchant/4014399423).
    ///
    /// 商家转账 · 商户单号查询授权结果 (direct merchant).
    QueryTransferAuthorization => query_transfer_authorization {
        title: "商户单号查询免确认收款授权结果",
        method: Get,
        host: Api,
        path: "/v3/fund-app/mch-transfer/user-confirm-authorization/out-authorization-no/{out_authorization_no}",
        output: TransferAuthorization,
        docs: ["https://pay.weixin.qq.com/doc/v3/merchant/4014399423"],
        path_params: {
            /// 商户侧授权单号.
            out_authorization_no: String = Limits::max(32),
        },
        query: {},
        body: {},
    }

    /// `GET /v3/fund-app/mch-transfer/partner/user-confirm-authorizations/{out_authorization_no}` — [official page](https://pay.weixin.qq.com/doc/v3/partner/4016809859).
    ///
    /// 商家转账 · 商户单号查询授权结果 (service provider).
    QueryTransferPartnerAuthorization => query_transfer_partner_authorization {
        title: "服务商商户单号查询免确认收款授权结果",
        method: Get,
        host: Api,
        path: "/v3/fund-app/mch-transfer/partner/user-confirm-authorizations/{out_authorization_no}",
        output: TransferAuthorization,
        docs: ["https://pay.weixin.qq.com/doc/v3/partner/4016809859"],
        path_params: {
            /// 商户侧授权单号.
            out_authorization_no: String = Limits::max(32),
        },
        query: {},
        body: {},
    }

    /// `GET /v3/webizpay/users/{user_id}/authorization-state` — [official page](https://pay.weixin.qq.com/doc/v3/partner/4014507163).
    ///
    /// 企业支付 · 查询企业员工开通授权状态 (service provider; keyed by the enterprise's `user_id`,
    /// not the `employee_id` revoke takes).
    QueryWebizpayEmployeeAuthorization => query_webizpay_employee_authorization {
        title: "企业商户查询企业员工开通授权状态",
        method: Get,
        host: Api,
        path: "/v3/webizpay/users/{user_id}/authorization-state",
        output: WebizpayEmployeeAuthorizations,
        docs: ["https://pay.weixin.qq.com/doc/v3/partner/4014507163"],
        path_params: {
            /// 企业员工ID.
            user_id: String = Limits::max(32),
        },
        query: {
            /// 服务商商户号.
            sp_mchid: String = Limits::max(32),
            /// 子商户号.
            sub_mchid: String = Limits::max(32),
        },
        body: {},
    }
}
