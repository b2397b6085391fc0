package com.wxpayterminate

import com.wxpayterminate.catalog.AnyOperation
import com.wxpayterminate.catalog.AnyOutput
import com.wxpayterminate.catalog.ClientConfig
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
        // Not uniffi's "record=ErrorRecord(…)": exactly the core's message (kotlin/patch-messages.sh).
        assertEquals(e.record.message, e.message)
        assertTrue(!e.message.startsWith("record="), e.message)
        assertEquals("invalid_input", e.record.kind)
        assertEquals("out_contract_code", e.record.field)
        assertEquals(e.record, e.record())
        // The stack trace header is still the class and the message.
        assertEquals("com.wxpayterminate.WxpayException\$InvalidInput: ${e.record.message}", e.toString())
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
        val data = parsed.data as AnyOutput.PapayContract
        val expected = case.getJSONObject("expect").getJSONObject("ok").getJSONObject("data")
        assertEquals(expected.getString("contract_state"), data.v1.contractState)
        assertEquals(expected.getLong("plan_id").toULong(), data.v1.planId)
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
        assertThrows<WxpayException.InvalidKey> { Client(ClientConfig(mchid = "1900007291", serialNo = "AB", privateKey = "not a key", platformCertificates = listOf(Fixtures.key("platform_cert_a.pem")))) }
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

    @Test
    fun keystoreStyleTwoPhaseSigning() {
        val keyless = Client(Fixtures.config(JSONObject(Fixtures.clients.getJSONObject("doc_pubkey").toString()).put("private_key", JSONObject.NULL)))
        assertThrows<WxpayException.InvalidKey> { keyless.prepare(AnyOperation.TerminatePapayContract(papay)) }
        assertThrows<WxpayException.InvalidKey> { keyless.sign(keyless.unsigned(AnyOperation.TerminatePapayContract(papay))) }
        val unsigned = keyless.unsigned(AnyOperation.TerminatePapayContract(papay), 1554208460L, "593BEC0C930BF1AFEB40B4A08C8FB242")
        assertEquals("terminate_papay_contract", unsigned.operation())
        // Stand-in for Android Keystore / a KMS: SHA256withRSA with the same key, through the JDK.
        val signature = signMessage(Fixtures.key("merchant_doc_pkcs8.pem"), unsigned.stringToSign())
        val completed = unsigned.complete(signature)
        val direct = client.prepare(AnyOperation.TerminatePapayContract(papay), 1554208460L, "593BEC0C930BF1AFEB40B4A08C8FB242")
        assertEquals(direct.headers, completed.headers)
    }
}
