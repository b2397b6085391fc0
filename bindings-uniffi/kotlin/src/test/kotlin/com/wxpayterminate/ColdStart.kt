package com.wxpayterminate

import com.wxpayterminate.catalog.AnyOperation
import com.wxpayterminate.catalog.ClientConfig
import com.wxpayterminate.catalog.TerminatePapayContract
import java.io.File
import java.security.KeyFactory
import java.security.Signature
import java.security.spec.PKCS8EncodedKeySpec
import java.util.Base64

/**
 * `make bench` cold start: a fresh JVM builds and signs one terminate request, then exits.
 * `ours`: the binding (loads the native library through JNA). `jdk`: the same request by hand
 * with the JDK's SHA256withRSA, the reference. tests/bench/cold_start.py launches and times it.
 */
fun main(args: Array<String>) {
    val keys = File(System.getProperty("repo.root") ?: error("repo.root is not set"), "tests/vectors/keys")
    val pem = File(keys, "merchant_go_pkcs8.pem").readText()
    val authorization = when (args.firstOrNull()) {
        "ours" -> {
            val client = Client(ClientConfig(
                mchid = "1234567890",
                serialNo = "F5765756002FDD77",
                privateKey = pem,
                platformCertificates = listOf(File(keys, "platform_cert_a.pem").readText()),
            ))
            val op = AnyOperation.TerminatePapayContract(TerminatePapayContract(12535uL, "wxwtdk20200910100000", "用户解约"))
            client.prepare(op, 1700000000L, "N").headers.first { it.name == "Authorization" }.value
        }
        "jdk" -> {
            val der = Base64.getMimeDecoder().decode(pem.lines().filter { !it.startsWith("-----") }.joinToString(""))
            val key = KeyFactory.getInstance("RSA").generatePrivate(PKCS8EncodedKeySpec(der))
            val path = "/v3/papay/sign/contracts/plan-id/12535/out-contract-code/wxwtdk20200910100000/terminate"
            val message = "POST\n$path\n1700000000\nN\n{\"contract_termination_remark\":\"用户解约\"}\n"
            val signature = Signature.getInstance("SHA256withRSA").run {
                initSign(key)
                update(message.toByteArray())
                Base64.getEncoder().encodeToString(sign())
            }
            "WECHATPAY2-SHA256-RSA2048 mchid=\"1234567890\",nonce_str=\"N\",signature=\"$signature\",timestamp=\"1700000000\",serial_no=\"F5765756002FDD77\""
        }
        else -> error("usage: ColdStartKt ours|jdk")
    }
    check(authorization.startsWith("WECHATPAY2-SHA256-RSA2048"))
}
