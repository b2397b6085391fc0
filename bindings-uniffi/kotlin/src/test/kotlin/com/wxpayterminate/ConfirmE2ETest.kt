package com.wxpayterminate

import com.sun.net.httpserver.HttpServer
import com.wxpayterminate.catalog.AnyOperation
import com.wxpayterminate.catalog.ConfirmPolicy
import com.wxpayterminate.catalog.EvidenceSource
import com.wxpayterminate.catalog.Header
import com.wxpayterminate.catalog.Notification
import com.wxpayterminate.catalog.Outcome
import com.wxpayterminate.catalog.OutcomeKind
import com.wxpayterminate.catalog.Purpose
import com.wxpayterminate.catalog.QueryPapayContract
import com.wxpayterminate.catalog.TerminatePapayContract
import java.io.IOException
import java.net.InetSocketAddress
import java.net.http.HttpClient
import java.time.Duration
import java.util.concurrent.LinkedBlockingQueue
import java.util.concurrent.TimeUnit
import java.util.stream.Stream
import org.json.JSONObject
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeEach
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.api.fail
import org.junit.jupiter.params.ParameterizedTest
import org.junit.jupiter.params.provider.Arguments
import org.junit.jupiter.params.provider.MethodSource

/**
 * Terminate-and-confirm against the sandbox, the Kotlin twin of bindings-python/tests/test_confirm.py:
 * every fault the recipe must survive, counted from the sandbox's own ledger (terminations applied,
 * terminations sent after confirmation).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ConfirmE2ETest {
    private val sandbox = SandboxServer("--notify-time-scale", "0.001")
    private val client = sandbox.client()
    private val http: HttpClient = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build()

    private val papay = mapOf("plan_id" to 12535, "out_contract_code" to "wxwtdk20200910100001", "contract_termination_remark" to "测试解约")
    private val papayId = "papay:12535:wxwtdk20200910100001"
    private val fast = ConfirmPolicy.default().copy(backoffInitialMs = 20uL, backoffMaxMs = 200uL)

    @BeforeEach
    fun reset() {
        sandbox.reset()
    }

    @AfterAll
    fun stop() = sandbox.close()

    private fun terminatedOnce(id: String) {
        assertEquals("TERMINATED", sandbox.state(id))
        val entry = sandbox.ledger(id)
        assertEquals(1, entry.getInt("applied"), entry.toString())
        assertEquals(0, entry.getInt("after_confirmed"), entry.toString())
    }

    /** The answer the outcome names as its evidence is, by its Request-ID in the sandbox's log, one
     *  the sandbox sent intact (no fault), to the evidence's operation, with the evidence's status. */
    private fun evidenceIsAnIntactAnswer(outcome: Outcome) {
        val evidence = outcome.evidence ?: fail("no evidence: ${outcome.reason}")
        val log = sandbox.control("GET", "/sandbox/log").getJSONArray("requests")
        val entry = (0 until log.length()).map { log.getJSONObject(it) }.singleOrNull { it.getString("request_id") == evidence.requestId }
            ?: fail("the evidence's Request-ID ${evidence.requestId} is not an answer in the sandbox's log")
        assertTrue(entry.isNull("fault"), entry.toString())
        assertEquals(evidence.operation, entry.getString("operation"))
        assertEquals(evidence.status?.toInt(), entry.getInt("status"))
    }

    fun faults(): Stream<Arguments> = Stream.of(
        Arguments.of(listOf<String>(), listOf("POST"), EvidenceSource.TERMINATE_RESPONSE),
        // The answer is lost after the termination was applied: the query confirms it.
        Arguments.of(listOf("reset_after"), listOf("POST", "GET"), EvidenceSource.QUERY_RESPONSE),
        // Lost before it was applied: the query finds it effective, the terminate goes again.
        Arguments.of(listOf("reset_before"), listOf("POST", "GET", "POST"), EvidenceSource.TERMINATE_RESPONSE),
        Arguments.of(listOf("ratelimit", "ratelimit"), listOf("POST", "POST", "POST"), EvidenceSource.TERMINATE_RESPONSE),
        // A 5xx is retried with the same signed request, as WeChat Pay advises.
        Arguments.of(listOf("system_error"), listOf("POST", "POST"), EvidenceSource.TERMINATE_RESPONSE),
        // Answers that do not verify are not trusted either way: the query decides.
        Arguments.of(listOf("probe"), listOf("POST", "GET"), EvidenceSource.QUERY_RESPONSE),
        Arguments.of(listOf("bad_signature"), listOf("POST", "GET"), EvidenceSource.QUERY_RESPONSE),
        Arguments.of(listOf("tampered_body"), listOf("POST", "GET"), EvidenceSource.QUERY_RESPONSE),
        Arguments.of(listOf("unknown_serial"), listOf("POST", "GET"), EvidenceSource.QUERY_RESPONSE),
        Arguments.of(listOf("reset_after", "system_error", "reset_before"), listOf("POST", "GET", "GET", "GET"), EvidenceSource.QUERY_RESPONSE),
    )

    @ParameterizedTest(name = "{0}")
    @MethodSource("faults")
    fun everyFaultEndsConfirmedAndTerminatedOnce(faults: List<String>, calls: List<String>, evidence: EvidenceSource) {
        val faulty = FaultyHttp(faults)
        val outcome = client.terminateAndConfirm("terminate_papay_contract", papay, policy = fast, http = faulty)
        assertEquals(OutcomeKind.TERMINATED, outcome.kind, outcome.reason)
        assertTrue(outcome.confirmed)
        assertEquals(calls, faulty.methods, faulty.calls.toString())
        assertEquals(evidence, outcome.evidence?.source)
        evidenceIsAnIntactAnswer(outcome)
        terminatedOnce(papayId)
    }

    @Test
    fun aSlowAnswerPastTheTimeoutIsALostAnswer() {
        sandbox.post("/sandbox/faults", JSONObject().put("fault", "slow").put("count", 1).put("delay_ms", 1500))
        val faulty = FaultyHttp(emptyList())
        val outcome = client.terminateAndConfirm("terminate_papay_contract", papay, policy = fast, http = faulty, timeout = Duration.ofMillis(500))
        assertEquals(OutcomeKind.TERMINATED, outcome.kind, outcome.reason)
        assertEquals(EvidenceSource.QUERY_RESPONSE, outcome.evidence?.source)
        assertEquals(listOf("POST", "GET"), faulty.methods)
        terminatedOnce(papayId)
    }

    @Test
    fun aRefusalThenTheQuerySaysAlreadyTerminated() {
        // The user ended this one before (a built-in record).
        val outcome = client.terminateAndConfirm("terminate_papay_contract", papay + ("out_contract_code" to "wxwtdk20200910100009"), policy = fast)
        assertEquals(OutcomeKind.ALREADY_TERMINATED, outcome.kind, outcome.reason)
        assertTrue(outcome.confirmed)
        val error = outcome.error ?: fail("the refusal is kept")
        assertEquals("api", error.kind)
        assertEquals(400, error.status?.toInt())
        assertEquals("contract_state TERMINATED (USER_TERMINATE)", outcome.evidence?.state)
        assertEquals(0, sandbox.ledger("papay:12535:wxwtdk20200910100009").getInt("applied"))
    }

    @Test
    fun anUnknownContractIsNotFound() {
        val outcome = client.terminateAndConfirm("terminate_papay_contract", papay + ("out_contract_code" to "nosuchcontract"), policy = fast)
        assertEquals(OutcomeKind.NOT_FOUND, outcome.kind, outcome.reason)
        assertEquals("NOT_FOUND", outcome.evidence?.state)
        assertEquals(EvidenceSource.TERMINATE_RESPONSE, outcome.evidence?.source)
        assertEquals(1u to 0u, outcome.terminateSends to outcome.querySends)
    }

    /** One contract of every family, with what its query needs beyond the termination's fields. */
    fun families(): Stream<Arguments> = Stream.of(
        Arguments.of("terminate_eduschoolpay_contract", mapOf("contract_id" to "2045011120563805041758214605"), null),
        Arguments.of("terminate_password_exempt_contract",
            mapOf("service_id" to 12535, "out_contract_code" to "wxwtdk20200910100000", "contract_termination_remark" to "r"), null),
        Arguments.of("terminate_papay_contract", papay, null),
        Arguments.of("terminate_papay_partner_contract",
            mapOf("plan_id" to 12535, "out_contract_code" to "wxwtdk20200910200000", "sub_mchid" to "1900000109", "contract_termination_remark" to "r"), null),
        Arguments.of("terminate_papay_insurance_contract",
            mapOf("plan_id" to 12535, "out_contract_code" to "insur20240101000001", "contract_termination_remark" to "r"), null),
        Arguments.of("terminate_combine_papay_contract",
            mapOf("plan_id" to 12535, "out_contract_code" to "combine2024010100001", "contract_termination_remark" to "r"), null),
        Arguments.of("terminate_credit_repayment_contract", mapOf("out_contract_code" to "100001256", "contract_termination_remark" to "r"), null),
        Arguments.of("terminate_global_papay_contract", mapOf("contract_id" to "203009101000000000000001", "appid" to "wxd678efh567hg6787"), null),
        Arguments.of("terminate_edu_papay_contract", mapOf("contract_id" to "204009101000000000000001"), mapOf("appid" to "wxd678efh567hg6787")),
    )

    @ParameterizedTest(name = "{0}")
    @MethodSource("families")
    fun eachFamilyIsConfirmedByItsOwnQueryAfterALostAnswer(operation: String, params: Map<String, Any?>, queryParams: Map<String, Any?>?) {
        val faulty = FaultyHttp(listOf("reset_after"))
        val outcome = client.terminateAndConfirm(operation, params, queryParams, fast, faulty)
        assertEquals(OutcomeKind.TERMINATED, outcome.kind, outcome.reason)
        assertEquals(EvidenceSource.QUERY_RESPONSE, outcome.evidence?.source)
        val operations = JSONObject(catalogJson()).getJSONArray("operations")
        val confirmWith = (0 until operations.length()).map { operations.getJSONObject(it) }.first { it.getString("id") == operation }.getString("confirm_with")
        assertEquals(confirmWith, outcome.evidence?.operation)
        // One terminate (POST, or DELETE for edu-papay), then the query: never a blind resend.
        val method = (0 until operations.length()).map { operations.getJSONObject(it) }.first { it.getString("id") == operation }.getString("method")
        assertEquals(listOf(method, "GET"), faulty.methods)
        val totals = sandbox.ledger().getJSONObject("totals")
        assertEquals(1, totals.getInt("applied"), totals.toString())
        assertEquals(0, totals.getInt("after_confirmed"), totals.toString())
    }

    @Test
    fun stepByStepWithAJournalRoundTrip() {
        val machine = Termination("terminate_papay_contract", WxpayJava.toJson(papay), policy = fast)
        val step = machine.next(client) as? TerminationStep.Send ?: fail("a send first")
        assertEquals(Purpose.TERMINATE, step.purpose)
        assertEquals(1u, step.attempt)
        assertThrows<IOException> { WxpayJava.send(FaultyHttp(listOf("reset_after")), step.request, Duration.ofSeconds(5)) }
        // The process dies here with the request in flight; the journal holds no signature.
        val saved = machine.toJson()
        machine.close()
        val signature = step.request.headers.first { it.name == "Authorization" }.value.substringAfter("signature=\"").substringBefore('"')
        assertFalse("signature" in saved || "WECHATPAY2" in saved || signature in saved, saved)
        val resumed = Termination.fromJson(saved)
        val query = resumed.next(client) as? TerminationStep.Send ?: fail("the query first")
        assertEquals(Purpose.QUERY, query.purpose)
        assertEquals("GET", query.request.method)
        val response = WxpayJava.send(http, query.request)
        resumed.onResponse(client, response.statusCode().toUShort(), WxpayJava.headers(response.headers().map()), response.body())
        val done = resumed.next(client) as? TerminationStep.Done ?: fail("done after the query")
        assertEquals(OutcomeKind.TERMINATED, done.outcome.kind, done.outcome.reason)
        assertEquals(done.outcome, resumed.outcome())
        assertEquals((1u to 1u), done.outcome.terminateSends to done.outcome.querySends)
        terminatedOnce(papayId)
    }

    @Test
    fun aRestoredMachineIsDrivenToItsOutcome() {
        val machine = Termination("terminate_papay_contract", WxpayJava.toJson(papay), policy = fast)
        val step = machine.next(client) as TerminationStep.Send
        assertThrows<IOException> { WxpayJava.send(FaultyHttp(listOf("reset_after")), step.request, Duration.ofSeconds(5)) }
        val faulty = FaultyHttp(emptyList())
        val outcome = Termination.fromJson(machine.toJson()).use { it.drive(client, faulty) }
        assertEquals(OutcomeKind.TERMINATED, outcome.kind, outcome.reason)
        assertEquals(listOf("GET"), faulty.methods) // the query, never a blind resend
        terminatedOnce(papayId)
    }

    /** A notify_url on loopback that verifies and queues each notification. */
    private fun <T> withReceiver(client: Client, body: (LinkedBlockingQueue<Notification>) -> T): T {
        val received = LinkedBlockingQueue<Notification>()
        val server = HttpServer.create(InetSocketAddress("127.0.0.1", 0), 0)
        server.createContext("/wxpay/notify") { exchange ->
            exchange.use {
                val headers = it.requestHeaders.flatMap { (name, values) -> values.map { v -> Header(name, v) } }
                val reply = try {
                    received.add(client.parseNotification(headers, it.requestBody.readAllBytes()))
                    notificationAck()
                } catch (e: WxpayException) {
                    notificationNack("verification failed")
                }
                reply.headers.forEach { h -> it.responseHeaders.add(h.name, h.value) }
                it.sendResponseHeaders(reply.status.toInt(), reply.body.size.toLong())
                it.responseBody.write(reply.body)
            }
        }
        server.start()
        try {
            sandbox.post("/sandbox/merchants/${sandbox.mchid}/notify-url", JSONObject().put("notify_url", "http://127.0.0.1:${server.address.port}/wxpay/notify"))
            return body(received)
        } finally {
            server.stop(0)
        }
    }

    @Test
    fun aNotificationConfirmsWithoutAQuery() {
        val client = sandbox.client(apiv3Key = sandbox.apiv3Key())
        withReceiver(client) { received ->
            val machine = Termination("terminate_papay_contract", WxpayJava.toJson(papay), policy = fast)
            val first = machine.next(client) as? TerminationStep.Send ?: fail("a send first")
            assertEquals(Purpose.TERMINATE to 1u, first.purpose to first.attempt)
            machine.onTransportError() // the answer is lost ...
            // ... another contract's end is not this one's ...
            sandbox.post("/sandbox/contracts/terminate", JSONObject().put("contract", "papay:12535:wxwtdk20200910100000"))
            val other = received.poll(10, TimeUnit.SECONDS) ?: fail("no notification")
            assertFalse(machine.onNotification(other))
            // ... and the user's own termination arrives as a real, verified notification.
            sandbox.post("/sandbox/contracts/terminate", JSONObject().put("contract", papayId))
            val mine = received.poll(10, TimeUnit.SECONDS) ?: fail("no notification")
            assertTrue(machine.onNotification(mine))
            val done = machine.next(client) as? TerminationStep.Done ?: fail("done after the notification")
            assertEquals(OutcomeKind.TERMINATED, done.outcome.kind, done.outcome.reason)
            assertEquals(EvidenceSource.NOTIFICATION, done.outcome.evidence?.source)
            assertEquals(mine.id, done.outcome.evidence?.notificationId)
            assertEquals(0, done.outcome.querySends.toInt())
            // Nothing but the first (lost) terminate was ever built, and it was never sent.
            assertEquals(0, sandbox.control("GET", "/sandbox/log").getJSONArray("requests").length())
        }
    }

    @Test
    fun badInputIsRefusedBeforeAnythingIsSigned() {
        var e: WxpayException.InvalidInput = assertThrows {
            client.terminateAndConfirm("terminate_facepay_user_contract", mapOf("organization_id" to "1000032", "user_id" to "FACEUSER0000000001"))
        }
        assertEquals("out_user_id", e.record.field)
        assertEquals(e.record.message, e.message)
        e = assertThrows { Termination("query_papay_contract", """{"plan_id": 1, "out_contract_code": "x"}""") }
        assertEquals("operation", e.record.field)
        e = assertThrows { Termination.of(AnyOperation.QueryPapayContract(QueryPapayContract(1uL, "x"))) }
        assertEquals("operation", e.record.field)
        e = assertThrows { Termination("terminate_papay_contract", "{not json") }
        assertEquals("params", e.record.field)
        e = assertThrows { confirmPolicyFromJson("""{"max_query_sends": "many"}""") }
        assertEquals("policy", e.record.field)
        e = assertThrows { WxpayJava.confirmPolicy(mapOf("max_querys" to 1)) }
        assertEquals("policy", e.record.field)
        e = assertThrows { Termination.fromJson("{not json") }
        assertEquals("state", e.record.field)
        assertEquals(0, sandbox.control("GET", "/sandbox/log").getJSONArray("requests").length())
    }

    @Test
    fun waitStepsGiveTheBackOff() {
        val machine = Termination("terminate_papay_contract", WxpayJava.toJson(papay),
            policy = ConfirmPolicy.default().copy(backoffInitialMs = 400uL, backoffMaxMs = 400uL))
        val first = machine.next(client, nowMs = 1_000) as? TerminationStep.Send ?: fail("a send first")
        assertEquals(Purpose.TERMINATE to 1u, first.purpose to first.attempt)
        machine.onResponse(client, 429u, emptyList(), """{"code":"RATELIMIT_EXCEEDED","message":"x"}""".toByteArray(), nowMs = 1_000)
        val wait = machine.next(client, nowMs = 1_000) as? TerminationStep.Wait ?: fail("a wait after a 429")
        assertTrue(wait.untilMs in 1_200..1_400, "${wait.untilMs}")
        val error = machine.lastError() ?: fail("the 429 is the last error")
        assertEquals("api", error.kind)
        assertTrue(error.retryable)
        // Misuse is a typed error, not a crash: no request is in flight now.
        val misuse = assertThrows<WxpayException.InvalidInput> { machine.onTransportError() }
        assertEquals(misuse.record.message, misuse.message)
        assertNull(machine.outcome())
    }

    @Test
    fun theTypedConstructorIsTheSameMachineAsItsParamsById() {
        val typed = AnyOperation.TerminatePapayContract(TerminatePapayContract(12535uL, "wxwtdk20200910100001", "测试解约"))
        Termination.of(typed, policy = fast).use { a ->
            Termination("terminate_papay_contract", WxpayJava.toJson(papay), policy = fast).use { b -> assertEquals(b.toJson(), a.toJson()) }
            assertEquals("terminate_papay_contract", a.operation())
            assertEquals("query_papay_contract", a.queryOperation())
        }
        val outcome = client.terminateAndConfirm(typed, policy = fast)
        assertEquals(OutcomeKind.TERMINATED, outcome.kind, outcome.reason)
        assertEquals(EvidenceSource.TERMINATE_RESPONSE, outcome.evidence?.source)
        assertEquals(200, outcome.evidence?.status?.toInt())
        terminatedOnce(papayId)
    }

    @Test
    fun theJavaDoorTakesMapsAndGivesInts() {
        val outcome = WxpayJava.terminateAndConfirm(client, "terminate_papay_contract", papay, null,
            WxpayJava.confirmPolicy(mapOf("backoff_initial_ms" to 20, "backoff_max_ms" to 200)))
        assertEquals(OutcomeKind.TERMINATED, outcome.kind)
        assertTrue(WxpayJava.isConfirmed(outcome))
        assertEquals(1, WxpayJava.terminateSends(outcome))
        assertEquals(0, WxpayJava.querySends(outcome))
        assertEquals(200, WxpayJava.status(outcome.evidence!!))
        assertEquals(fast, WxpayJava.confirmPolicy(mapOf("backoff_initial_ms" to 20, "backoff_max_ms" to 200)))
        assertEquals(ConfirmPolicy.default(), WxpayJava.confirmPolicy())
        terminatedOnce(papayId)
    }
}
