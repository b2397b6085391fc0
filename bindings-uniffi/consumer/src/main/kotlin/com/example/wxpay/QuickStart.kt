package com.example.wxpay

import com.wxpayterminate.Client
import com.wxpayterminate.WxpayException
import com.wxpayterminate.catalog.AnyOutput
import com.wxpayterminate.catalog.ClientConfig
import com.wxpayterminate.catalog.Header
import com.wxpayterminate.catalog.TerminatePapayContract
import java.io.File
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest as JdkRequest
import java.net.http.HttpResponse
import kotlin.system.exitProcess

/** The README's Kotlin quick start, against the sandbox (SANDBOX_URL) with its test keys. */
fun main() {
    val root = File(System.getProperty("repo.root") ?: error("repo.root is not set"))
    val sandbox = System.getenv("SANDBOX_URL") ?: error("SANDBOX_URL is not set (run under tests/sandbox/with_sandbox.py)")
    val http = HttpClient.newHttpClient()
    http.send(JdkRequest.newBuilder(URI.create("$sandbox/sandbox/reset")).POST(JdkRequest.BodyPublishers.noBody()).build(),
        HttpResponse.BodyHandlers.discarding())

    val client = Client(ClientConfig(
        mchid = "1900007291",
        serialNo = "408B07E79B8269FEC3D5D3E6AB8ED163A6A380DB",
        privateKey = File(root, "tests/vectors/keys/merchant_doc_pkcs8.pem").readText(),
        wechatpayPublicKeyId = "PUB_KEY_ID_0119000072912025112400000000000099",
        wechatpayPublicKey = File(root, "tests/sandbox/keys/wechatpay_public_key.pem").readText(),
        baseUrl = sandbox,
    ))

    // One method per operation; `client.prepare(AnyOperation.…)` takes any of them as a value.
    val req = client.terminatePapayContract(TerminatePapayContract(
        planId = 12535uL, outContractCode = "wxwtdk20200910100000", contractTerminationRemark = "用户解约"))

    val builder = JdkRequest.newBuilder(URI.create(req.url))
    req.headers.forEach { builder.header(it.name, it.value) }
    builder.method(req.method, req.body?.let { JdkRequest.BodyPublishers.ofByteArray(it) } ?: JdkRequest.BodyPublishers.noBody())
    val response = http.send(builder.build(), HttpResponse.BodyHandlers.ofByteArray())

    val headers = response.headers().map().flatMap { (name, values) -> values.map { Header(name, it) } }
    try {
        val parsed = client.parse(req, response.statusCode().toUShort(), headers, response.body())
        when (val data = parsed.data) {
            is AnyOutput.PapayContract -> println("kotlin quick start: ${data.v1.contractId} → ${data.v1.contractState} (verified, Request-ID ${parsed.requestId})")
            else -> error("unexpected result $data")
        }
        check((parsed.data as AnyOutput.PapayContract).v1.contractState == "TERMINATED")
    } catch (e: WxpayException) {
        System.err.println("kotlin quick start failed: ${e.record().kind}: ${e.message}")
        exitProcess(1)
    }
}
