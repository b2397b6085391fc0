package com.wxpayterminate

import com.wxpayterminate.catalog.AnyOutput
import com.wxpayterminate.catalog.ClientConfig
import com.wxpayterminate.catalog.Header
import com.wxpayterminate.catalog.RequestRecord
import java.io.File
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest as JdkRequest
import java.net.http.HttpResponse
import java.time.Duration
import org.json.JSONObject

/** `make demo`, Kotlin part: terminate the four seed contracts on the sandbox with java.net.http. */
fun main() {
    val root = File(System.getProperty("repo.root") ?: error("repo.root is not set"))
    val sandbox = System.getenv("SANDBOX_URL") ?: error("SANDBOX_URL is not set")
    val plan = JSONObject(File(root, "tests/sandbox/e2e_plan.json").readText())
    val m = plan.getJSONObject("merchant")
    val client = Client(ClientConfig(
        mchid = m.getString("mchid"),
        serialNo = m.getString("serial_no"),
        privateKey = File(root, m.getString("private_key")).readText(),
        wechatpayPublicKeyId = m.getString("wechatpay_public_key_id"),
        wechatpayPublicKey = File(root, m.getString("wechatpay_public_key")).readText(),
        baseUrl = sandbox,
    ))
    val http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build()

    fun send(req: RequestRecord, extra: Map<String, String> = emptyMap()): HttpResponse<ByteArray> {
        val builder = JdkRequest.newBuilder(URI.create(req.url)).timeout(Duration.ofSeconds(10))
        req.headers.forEach { builder.header(it.name, it.value) }
        extra.forEach { (name, value) -> builder.header(name, value) }
        builder.method(req.method, req.body?.let { JdkRequest.BodyPublishers.ofByteArray(it) } ?: JdkRequest.BodyPublishers.noBody())
        return http.send(builder.build(), HttpResponse.BodyHandlers.ofByteArray())
    }
    fun headers(r: HttpResponse<ByteArray>) = r.headers().map().flatMap { (name, values) -> values.map { Header(name, it) } }

    val seeds = plan.getJSONArray("seed_operations").map { it as String }.toSet()
    for (step in plan.getJSONArray("terminations").map { it as JSONObject }.filter { it.getString("operation") in seeds }) {
        val req = client.sign(client.unsignedById(step.getString("operation"), step.getJSONObject("params").toString()))
        val response = send(req)
        val parsed = client.parse(req, response.statusCode().toUShort(), headers(response), response.body())
        println("  ${req.method} ${req.url.removePrefix(sandbox)}")
        println("    → ${parsed.status}, signature verified (${response.headers().firstValue("Wechatpay-Serial").orElse("?")}), Request-ID ${parsed.requestId}")
        val result = when (val d = parsed.data) {
            is AnyOutput.NoContent -> "empty (204): the termination is done"
            is AnyOutput.PasswordExemptContract -> "PasswordExemptContract(mchid=${d.v1.mchid}, serviceId=${d.v1.serviceId}, outContractCode=${d.v1.outContractCode})"
            is AnyOutput.PapayContract -> "PapayContract(contractId=${d.v1.contractId}, contractState=${d.v1.contractState}, terminatedAt=${d.v1.contractTerminateInfo?.contractTerminatedTime})"
            is AnyOutput.CreditRepaymentTermination -> "CreditRepaymentContract(outContractCode=${d.v1.contractInfo?.outContractCode}, contractState=${d.v1.contractInfo?.contractState})"
            else -> d.toString()
        }
        println("    typed result: $result")
    }

    val req = client.sign(client.unsignedById("terminate_papay_contract", """{"plan_id":12535,"out_contract_code":"wxwtdk20200910100001","contract_termination_remark":"用户解约"}"""))
    val response = send(req, mapOf("X-Sandbox-Fault" to "tampered_body"))
    try {
        client.parse(req, response.statusCode().toUShort(), headers(response), response.body())
        error("a tampered response was accepted")
    } catch (e: WxpayException.InvalidSignature) {
        println("  tampered response → rejected: WxpayException.InvalidSignature: ${e.message}")
    }
}
