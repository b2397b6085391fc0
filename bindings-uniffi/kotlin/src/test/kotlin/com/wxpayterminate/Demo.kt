package com.wxpayterminate

import com.sun.net.httpserver.HttpServer
import com.wxpayterminate.catalog.AnyOutput
import com.wxpayterminate.catalog.ClientConfig
import com.wxpayterminate.catalog.Header
import com.wxpayterminate.catalog.Notification
import com.wxpayterminate.catalog.NotificationResource
import com.wxpayterminate.catalog.RequestRecord
import java.io.File
import java.net.InetSocketAddress
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest as JdkRequest
import java.net.http.HttpResponse
import java.time.Duration
import java.util.concurrent.LinkedBlockingQueue
import java.util.concurrent.TimeUnit
import org.json.JSONObject

/** `make demo`, Kotlin part: terminate the four seed contracts on the sandbox with java.net.http, then
 *  receive the notification of a contract the user ends (JDK `HttpServer` as the notify_url). */
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

    // A contract the user ends inside WeChat: the sandbox POSTs a signed, encrypted ENTRUST.TERMINATE
    // to our notify_url; the JDK's HttpServer receives it, acknowledges, then it is processed.
    val merchants = JSONObject(File(root, "tests/sandbox/merchants.json").readText()).getJSONArray("merchants")
    val apiv3Key = merchants.map { it as JSONObject }.first { it.getString("mchid") == m.getString("mchid") }.getString("apiv3_key")
    val receiver = Client(ClientConfig(
        mchid = m.getString("mchid"),
        serialNo = m.getString("serial_no"),
        wechatpayPublicKeyId = m.getString("wechatpay_public_key_id"),
        wechatpayPublicKey = File(root, m.getString("wechatpay_public_key")).readText(),
        apiv3Key = apiv3Key,
    ))
    val events = LinkedBlockingQueue<Pair<Notification, Int>>()
    val server = HttpServer.create(InetSocketAddress("127.0.0.1", 0), 0)
    server.createContext("/notify") { exchange ->
        exchange.use {
            val headers = it.requestHeaders.flatMap { (name, values) -> values.map { v -> Header(name, v) } }
            val body = it.requestBody.readAllBytes() // the raw bytes: the signature covers them exactly
            val (event, reply) = try {
                receiver.parseNotification(headers, body) to notificationAck()
            } catch (e: WxpayException) {
                null to notificationNack(e.javaClass.simpleName)
            }
            reply.headers.forEach { h -> it.responseHeaders.add(h.name, h.value) }
            it.sendResponseHeaders(reply.status.toInt(), reply.body.size.toLong())
            it.responseBody.write(reply.body)
            if (event != null) events.add(event to reply.status.toInt()) // processed after the reply went out
        }
    }
    server.start()
    fun control(path: String, doc: JSONObject) {
        val request = JdkRequest.newBuilder(URI.create(sandbox + path)).timeout(Duration.ofSeconds(10))
            .header("Content-Type", "application/json").POST(JdkRequest.BodyPublishers.ofString(doc.toString())).build()
        val answer = http.send(request, HttpResponse.BodyHandlers.ofString())
        check(answer.statusCode() in 200..299) { "$path → ${answer.statusCode()} ${answer.body()}" }
    }
    try {
        control("/sandbox/merchants/${m.getString("mchid")}/notify-url", JSONObject().put("notify_url", "http://127.0.0.1:${server.address.port}/notify"))
        control("/sandbox/contracts/terminate", JSONObject().put("contract", "papay_partner:12535:wxwtdk20200910200001").put("mode", "USER_TERMINATE"))
        val (event, status) = events.poll(15, TimeUnit.SECONDS) ?: error("no notification arrived")
        println("  notification ${event.eventType} id=${event.id} → verified, decrypted, acknowledged ($status)")
        when (val r = event.resource) {
            is NotificationResource.PapayTerminated ->
                println("    the user ended ${r.v1.outContractCode} (${r.v1.contractTerminateInfo?.contractTerminationMode})")
            else -> println("    ${notificationJson(event)}")
        }
        control("/sandbox/merchants/${m.getString("mchid")}/notify-url", JSONObject().put("notify_url", JSONObject.NULL))
    } finally {
        server.stop(0)
    }
}
