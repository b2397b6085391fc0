package com.wxpayterminate

import com.wxpayterminate.catalog.AnyOperation
import com.wxpayterminate.catalog.AnyOutput
import com.wxpayterminate.catalog.Amount
import com.wxpayterminate.catalog.ClientConfig
import com.wxpayterminate.catalog.ContractTerminateInfo
import com.wxpayterminate.catalog.DeductSchedule
import com.wxpayterminate.catalog.PapayContract
import com.wxpayterminate.catalog.Header
import com.wxpayterminate.catalog.TerminateEduschoolpayContract
import com.wxpayterminate.catalog.TerminateGlobalPapayContract
import com.wxpayterminate.catalog.TerminatePapayContract
import org.json.JSONObject
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import java.io.File
import java.security.KeyFactory
import java.security.Signature
import java.security.spec.PKCS8EncodedKeySpec
import java.util.Base64

/** The typed Kotlin surface: sealed operations and results, exceptions per core kind, bad input. */
class TypedApiTest {
    private val client = Fixtures.client("doc_pubkey")
    private val papay = TerminatePapayContract(planId = 12535uL, outContractCode = "wxwtdk20200910100000", contractTerminationRemark = "用户解约")

    @Test
    fun everyCoreErrorKindHasAnExceptionClass() {
        // Java reflection: the nested subclasses of the sealed exception (no kotlin-reflect needed).
        val classes = WxpayException::class.java.declaredClasses
            .filter { WxpayException::class.java.isAssignableFrom(it) && it != WxpayException::class.java }
            .map { it.simpleName }.toSet()
        val expected = errorKinds().map { kind -> kind.split('_').joinToString("") { it.replaceFirstChar(Char::uppercase) } }.toSet()
        // One class per core kind, plus Other for a kind a newer core adds.
        assertEquals(expected + "Other", classes)
        assertEquals(11, errorKinds().size)
    }

    @Test
    fun theMessageIsTheRecordMessageAndTheFieldsAreTheRecords() {
        val e = assertThrows<WxpayException.InvalidInput> {
            client.prepare(AnyOperation.TerminatePapayContract(papay.copy(outContractCode = "")))
        }
        // Not uniffi's "record=ErrorRecord(…)": exactly the core's message (kotlin/patch-generated.sh).
        assertEquals(e.record.message, e.message)
        assertTrue(!e.message.startsWith("record="), e.message)
        assertEquals("invalid_input", e.record.kind)
        assertEquals("out_contract_code", e.record.field)
        assertEquals(e.record, e.record())
        // The stack trace header is still the class and the message.
        assertEquals("com.wxpayterminate.WxpayException\$InvalidInput: ${e.record.message}", e.toString())
    }

    @Test
    fun reusedCallStatusesKeepErrorsAndResultsApartAcrossThreads() {
        // Call statuses are reused per thread (kotlin/patch-generated.sh): a status left holding an
        // error would turn the next good call on that thread into an exception, and a status shared
        // between threads would swap outcomes. Errors and successes alternate on 4 threads at once.
        val expected = client.prepare(AnyOperation.TerminatePapayContract(papay), 1554208460L, "593BEC0C930BF1AFEB40B4A08C8FB242")
        val failures = java.util.concurrent.ConcurrentLinkedQueue<String>()
        val threads = (0 until 4).map { t ->
            Thread {
                repeat(500) { i ->
                    try {
                        client.prepare(AnyOperation.TerminatePapayContract(papay.copy(outContractCode = "")), 1554208460L, "N$t$i")
                        failures.add("thread $t call $i: bad input was accepted")
                    } catch (e: WxpayException.InvalidInput) {
                        if (e.record.field != "out_contract_code") failures.add("thread $t call $i: field ${e.record.field}")
                    }
                    val good = client.prepare(AnyOperation.TerminatePapayContract(papay), 1554208460L, "593BEC0C930BF1AFEB40B4A08C8FB242")
                    if (good.headers != expected.headers) failures.add("thread $t call $i: another request's headers")
                    if (client.certificatesRefreshDue(1554208460L)) failures.add("thread $t call $i: refresh due")
                }
            }.apply { start() }
        }
        threads.forEach { it.join() }
        assertEquals(emptyList<String>(), failures.toList())
    }

    @Test
    fun typedOperationMatchesTheJsonCall() {
        val typed = client.prepare(AnyOperation.TerminatePapayContract(papay), 1554208460L, "593BEC0C930BF1AFEB40B4A08C8FB242")
        val byId = client.sign(client.unsignedById(
            "terminate_papay_contract",
            """{"plan_id":12535,"out_contract_code":"wxwtdk20200910100000","contract_termination_remark":"用户解约"}""",
            1554208460L, "593BEC0C930BF1AFEB40B4A08C8FB242",
        ))
        assertEquals(byId.headers, typed.headers)
        assertEquals(byId.url, typed.url)
        assertEquals("terminate_papay_contract", typed.operation)
        assertEquals("""{"contract_termination_remark":"用户解约"}""", String(typed.body!!))
        // The package is named in User-Agent: Kotlin on the JVM (this build's target is Linux).
        assertTrue(typed.headers.first { it.name == "User-Agent" }.value.endsWith("(kotlin/jvm)"), client.userAgent())
        val own = Client(Fixtures.config(Fixtures.clients.getJSONObject("doc_pubkey")).apply { userAgentPlatform = "kotlin/desktop" })
        assertTrue(own.userAgent().endsWith("(kotlin/desktop)"), own.userAgent())
    }

    @Test
    fun oneMethodPerOperation() {
        val viaMethod = client.terminatePapayContract(papay, 1554208460L, "593BEC0C930BF1AFEB40B4A08C8FB242")
        val viaEnum = client.prepare(AnyOperation.TerminatePapayContract(papay), 1554208460L, "593BEC0C930BF1AFEB40B4A08C8FB242")
        assertEquals(viaEnum.headers, viaMethod.headers)
        assertEquals(viaEnum.url, viaMethod.url)
        // Every catalog operation has its method on Client (camelCase of the id).
        val methods = Client::class.java.methods.map { it.name }.toSet()
        val ids = JSONObject(catalogJson()).getJSONArray("operations").map { (it as JSONObject).getString("id") }
        for (id in ids) {
            val camel = id.split('_').mapIndexed { i, p -> if (i == 0) p else p.replaceFirstChar(Char::uppercase) }.joinToString("")
            assertTrue(camel in methods, "Client lacks $camel")
        }
    }

    @Test
    fun defaultsFillTimeAndNonceFromTheHost() {
        val before = System.currentTimeMillis() / 1000
        val req = client.prepare(AnyOperation.TerminateEduschoolpayContract(TerminateEduschoolpayContract("2045011120563805041758214605")))
        val auth = req.headers.first { it.name == "Authorization" }.value
        val timestamp = Regex("timestamp=\"(\\d+)\"").find(auth)!!.groupValues[1].toLong()
        assertTrue(timestamp in before..before + 5)
        assertTrue(Regex("nonce_str=\"[0-9A-F]{32}\"").containsMatchIn(auth))
        assertNull(req.body)
        assertTrue(req.headers.none { it.name == "Content-Type" })
    }

    @Test
    fun typedResultsFromAVectorResponse() {
        val case = JSONObject(File(Fixtures.vectors, "cases/response/papay_200_cert_a.json").readText())
        val c = Fixtures.client(case.getString("client"))
        val r = case.getJSONObject("response")
        val request = c.prepare(AnyOperation.TerminatePapayContract(papay))
        val parsed = c.parse(request, r.getInt("status").toUShort(), Fixtures.pairs(r.getJSONArray("headers")), r.getString("body").toByteArray(), case.getLong("now"))
        val ok = case.getJSONObject("expect").getJSONObject("ok")
        assertEquals(ok.getInt("status"), parsed.status.toInt())
        assertEquals(ok.getString("request_id"), parsed.requestId)
        // The whole typed record, built from the oracle's data (every field the vector lists).
        val d = ok.getJSONObject("data")
        val info = d.getJSONObject("contract_terminate_info")
        val schedule = d.getJSONObject("deduct_schedule")
        fun amount(o: JSONObject) = Amount(total = o.getLong("total"), currency = Fixtures.str(o, "currency"))
        val expected = PapayContract(
            mchid = d.getString("mchid"), contractId = d.getString("contract_id"), appid = d.getString("appid"),
            planId = d.getLong("plan_id").toULong(), outContractCode = d.getString("out_contract_code"),
            contractDisplayAccount = d.getString("contract_display_account"), contractState = d.getString("contract_state"),
            contractSignedTime = d.getString("contract_signed_time"), contractExpiredTime = d.getString("contract_expired_time"),
            openid = d.getString("openid"),
            contractTerminateInfo = ContractTerminateInfo(
                contractTerminationMode = info.getString("contract_termination_mode"),
                contractTerminatedTime = info.getString("contract_terminated_time"),
                contractTerminationRemark = info.getString("contract_termination_remark"),
            ),
            outUserCode = d.getString("out_user_code"),
            deductSchedule = DeductSchedule(
                estimatedDeductDate = schedule.getString("estimated_deduct_date"),
                estimatedDeductAmount = amount(schedule.getJSONObject("estimated_deduct_amount")),
                scheduleState = schedule.getString("schedule_state"),
                scheduledAmount = amount(schedule.getJSONObject("scheduled_amount")),
                deductAmount = amount(schedule.getJSONObject("deduct_amount")),
                deductDate = schedule.getString("deduct_date"),
            ),
        )
        assertEquals(AnyOutput.PapayContract(expected), parsed.data)
    }

    @Test
    fun a204IsAVerifiedEmptySuccess() {
        val case = JSONObject(File(Fixtures.vectors, "cases/response/eduschoolpay_204_pubkey.json").readText())
        val r = case.getJSONObject("response")
        val request = client.prepare(AnyOperation.TerminateEduschoolpayContract(TerminateEduschoolpayContract("2045011120563805041758214605")))
        val parsed = client.parse(request, 204u, Fixtures.pairs(r.getJSONArray("headers")), ByteArray(0), case.getLong("now"))
        assertEquals(AnyOutput.NoContent, parsed.data)
    }

    @Test
    fun badInputIsATypedErrorNamingTheField() {
        val long = papay.copy(contractTerminationRemark = "解".repeat(257))
        val e = assertThrows<WxpayException.InvalidInput> { client.prepare(AnyOperation.TerminatePapayContract(long)) }
        assertEquals("contract_termination_remark", e.record.field)
        val emoji = TerminateGlobalPapayContract(contractId = "C1", appid = null, spAppid = null, subMchid = null, subAppid = null, terminationNote = "😀")
        assertEquals("termination_note", assertThrows<WxpayException.InvalidInput> { client.prepare(AnyOperation.TerminateGlobalPapayContract(emoji)) }.record.field)
        assertEquals("out_contract_code", assertThrows<WxpayException.InvalidInput> { client.prepare(AnyOperation.TerminatePapayContract(papay.copy(outContractCode = ""))) }.record.field)
        assertEquals("nonce", assertThrows<WxpayException.InvalidInput> { client.prepare(AnyOperation.TerminatePapayContract(papay), nonce = "has space") }.record.field)
        val notAKey = assertThrows<WxpayException.InvalidKey> {
            Client(ClientConfig(mchid = "1900007291", serialNo = "AB", privateKey = "not a key", platformCertificates = listOf(Fixtures.key("platform_cert_a.pem"))))
        }
        assertEquals("private_key", notAKey.record.field)
        val json = assertThrows<WxpayException.InvalidInput> { client.unsignedById("terminate_papay_contract", "{not json", null, null) }
        assertEquals("params", json.record.field)
        assertEquals(json.record.message, json.message)
    }

    @Test
    fun apiErrorsCarryTheServerAnswer() {
        val body = """{"code":"SYSTEM_ERROR","message":"系统错误"}""".toByteArray()
        val e = assertThrows<WxpayException.Api> {
            client.parseById("terminate_papay_contract", 500u, listOf(Header("Request-ID", "08F1")), body, 0L)
        }
        assertEquals(listOf("SYSTEM_ERROR", "系统错误", "08F1"), listOf(e.record.code, e.record.apiMessage, e.record.requestId))
        assertEquals(500, e.record.status?.toInt())
        assertTrue(e.record.retryable)
        assertEquals("HTTP 500 SYSTEM_ERROR: 系统错误", e.message)
    }

    /** SHA256withRSA through the JDK alone (java.security), over a PKCS#8 PEM key: no library code. */
    private fun jdkSign(pkcs8Pem: String, message: ByteArray): String {
        val der = Base64.getMimeDecoder().decode(pkcs8Pem.lines().filter { !it.startsWith("-----") }.joinToString(""))
        val key = KeyFactory.getInstance("RSA").generatePrivate(PKCS8EncodedKeySpec(der))
        return Base64.getEncoder().encodeToString(Signature.getInstance("SHA256withRSA").run { initSign(key); update(message); sign() })
    }

    @Test
    fun keystoreStyleTwoPhaseSigning() {
        val keyless = Client(Fixtures.config(JSONObject(Fixtures.clients.getJSONObject("doc_pubkey").toString()).put("private_key", JSONObject.NULL)))
        val noKey = "no merchant private key is configured: pass one, or sign string_to_sign yourself"
        assertEquals(noKey, assertThrows<WxpayException.InvalidKey> { keyless.prepare(AnyOperation.TerminatePapayContract(papay)) }.message)
        assertEquals(noKey, assertThrows<WxpayException.InvalidKey> { keyless.sign(keyless.unsigned(AnyOperation.TerminatePapayContract(papay))) }.message)
        // The vector of this very request (doc key, the doc's timestamp and nonce), signed by the oracle.
        val case = JSONObject(File(Fixtures.vectors, "cases/request/papay_v1_timestamp_doc_pubkey.json").readText())
        val expect = case.getJSONObject("expect")
        val unsigned = keyless.unsigned(AnyOperation.TerminatePapayContract(papay), case.getLong("timestamp"), case.getString("nonce"))
        assertEquals(case.getString("operation"), unsigned.operation())
        assertEquals(expect.getString("string_to_sign"), String(unsigned.stringToSign(), Charsets.UTF_8))
        // Stand-in for Android Keystore / a KMS: the JDK signs with the client's key file, and its
        // signature is the oracle's (PKCS#1 v1.5 is deterministic).
        val signature = jdkSign(Fixtures.key(Fixtures.clients.getJSONObject(case.getString("client")).getString("private_key")), unsigned.stringToSign())
        assertEquals(expect.getString("signature"), signature)
        val completed = unsigned.complete(signature)
        val want = expect.getJSONObject("request")
        assertEquals(want.getString("method"), completed.method)
        assertEquals(want.getString("url"), completed.url)
        assertEquals(expect.getString("authorization"), completed.headers.single { it.name == "Authorization" }.value)
        assertEquals(want.getString("body"), completed.body?.toString(Charsets.UTF_8))
        val direct = client.prepare(AnyOperation.TerminatePapayContract(papay), case.getLong("timestamp"), case.getString("nonce"))
        assertEquals(direct.headers, completed.headers)
    }
}
