package com.wxpayterminate

import com.sun.net.httpserver.HttpServer
import com.wxpayterminate.catalog.Amount
import com.wxpayterminate.catalog.AuthorizationCloseInfo
import com.wxpayterminate.catalog.ClientConfig
import com.wxpayterminate.catalog.CreditRepaymentTerminated
import com.wxpayterminate.catalog.DeductSchedule
import com.wxpayterminate.catalog.Header
import com.wxpayterminate.catalog.InsuranceTerminated
import com.wxpayterminate.catalog.Notification
import com.wxpayterminate.catalog.NotificationResource
import com.wxpayterminate.catalog.PapayTerminated
import com.wxpayterminate.catalog.PayscoreServiceClosed
import com.wxpayterminate.catalog.TerminationInfo
import com.wxpayterminate.catalog.TransferAuthorizationClosed
import com.wxpayterminate.catalog.WebizpayRevoked
import java.io.File
import java.net.InetSocketAddress
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest as JdkRequest
import java.net.http.HttpResponse
import java.time.Duration
import java.util.concurrent.ArrayBlockingQueue
import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.CountDownLatch
import java.util.concurrent.LinkedBlockingQueue
import java.util.concurrent.RejectedExecutionException
import java.util.concurrent.ThreadPoolExecutor
import java.util.concurrent.TimeUnit
import java.util.concurrent.atomic.AtomicInteger
import java.util.stream.Stream
import org.json.JSONObject
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeAll
import org.junit.jupiter.api.BeforeEach
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import org.junit.jupiter.api.fail
import org.junit.jupiter.params.ParameterizedTest
import org.junit.jupiter.params.provider.Arguments
import org.junit.jupiter.params.provider.MethodSource

/**
 * The README's notification quick start (JDK `com.sun.net.httpserver`) on loopback, receiving the
 * sandbox's real notifications: signed, AES-256-GCM encrypted, retried on WeChat Pay's schedules
 * (scaled by `--notify-time-scale 0.001`), with the notification faults of tests/sandbox/README.md.
 *
 * The receiver acknowledges as soon as the notification verifies and is handed to a worker, processes
 * it after replying, and de-duplicates on `id`. Each test checks what the receiver answered, what the
 * worker processed, and the sandbox's delivery log (`GET /sandbox/notifications`).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NotificationE2ETest {
    private val plan = JSONObject(File(Fixtures.root, "tests/sandbox/e2e_plan.json").readText())
    private val m = plan.getJSONObject("merchant")
    private val mchid = m.getString("mchid")
    private lateinit var sandbox: Process
    private lateinit var baseUrl: String
    private lateinit var client: Client
    private lateinit var receiver: Receiver
    private val http: HttpClient = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build()

    // ---- the receiver: the README's recipe ---------------------------------------------------------

    /** What the receiver answered one POST: status and body, the id it verified, the refusal. */
    data class Reply(val status: Int, val body: String, val id: String?, val error: WxpayException?)

    /**
     * A `notify_url` on the JDK's HttpServer. Verify (raw headers and bytes), hand off to a worker
     * queue, acknowledge — processing happens after the reply, on the worker. A notification whose
     * `id` was already taken is acknowledged again and not handed off twice. A refused notification
     * (any [WxpayException]) and a hand-off that fails (the queue is full) are answered 500, so
     * WeChat Pay delivers again.
     */
    class Receiver(private val client: Client) : AutoCloseable {
        /** Every POST, in arrival order (recorded before the reply is sent). */
        val replies = LinkedBlockingQueue<Reply>()

        /** What the worker processed, in order. */
        val processed = LinkedBlockingQueue<Notification>()

        /** Test hook: the next N hand-offs fail as a full queue would. */
        val refuseHandOffs = AtomicInteger(0)

        /** Test hook: the worker waits for this gate before processing. */
        @Volatile var gate: CountDownLatch? = null

        // Production: a durable store of the ids taken, and a durable queue.
        private val seen: MutableSet<String> = ConcurrentHashMap.newKeySet()
        private val worker = ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, ArrayBlockingQueue(1000)) { r ->
            Thread(r, "notification-worker").apply { isDaemon = true }
        } // AbortPolicy: execute() throws RejectedExecutionException when the queue is full

        private fun handOff(n: Notification) {
            if (refuseHandOffs.getAndUpdate { maxOf(it - 1, 0) } > 0) throw RejectedExecutionException("queue full")
            worker.execute { process(n) }
        }

        /** The business side: runs on the worker, after the reply. */
        private fun process(n: Notification) {
            gate?.await(30, TimeUnit.SECONDS)
            processed.add(n)
        }

        val server: HttpServer = HttpServer.create(InetSocketAddress("127.0.0.1", 0), 0)

        init {
            server.createContext("/wxpay/notify") { exchange ->
                exchange.use {
                    val headers = it.requestHeaders.flatMap { (name, values) -> values.map { v -> Header(name, v) } }
                    val body = it.requestBody.readAllBytes() // the raw bytes: the signature covers them exactly
                    var id: String? = null
                    var error: WxpayException? = null
                    val reply = try {
                        val n = client.parseNotification(headers, body)
                        id = n.id
                        if (seen.add(n.id)) { // a re-delivery of an id already taken is only acknowledged
                            try {
                                handOff(n)
                            } catch (e: RejectedExecutionException) {
                                seen.remove(n.id) // not taken: the retry must be handed off
                                throw e
                            }
                        }
                        notificationAck() // 200 {"code":"SUCCESS","message":"成功"}
                    } catch (e: WxpayException) {
                        error = e
                        notificationNack("verification failed") // 500 {"code":"FAIL",…}: WeChat Pay retries
                    } catch (e: RejectedExecutionException) {
                        notificationNack("系统繁忙，请稍后重试")
                    }
                    replies.add(Reply(reply.status.toInt(), String(reply.body, Charsets.UTF_8), id, error))
                    reply.headers.forEach { h -> it.responseHeaders.add(h.name, h.value) }
                    it.sendResponseHeaders(reply.status.toInt(), reply.body.size.toLong())
                    it.responseBody.write(reply.body)
                }
            }
            server.start()
        }

        val url: String get() = "http://127.0.0.1:${server.address.port}/wxpay/notify"

        /** Waits until the worker has processed everything handed to it so far. */
        fun drain() {
            worker.submit(Runnable {}).get(30, TimeUnit.SECONDS)
        }

        override fun close() {
            gate?.countDown()
            server.stop(0)
            worker.shutdownNow()
            worker.awaitTermination(10, TimeUnit.SECONDS)
        }
    }

    // ---- the sandbox ---------------------------------------------------------------------------

    @BeforeAll
    fun startSandbox() {
        val python = System.getProperty("sandbox.python") ?: "python3"
        sandbox = ProcessBuilder(python, File(Fixtures.root, "tests/sandbox/server.py").path, "--port", "0",
            "--notify-time-scale", "0.001")
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start()
        val line = sandbox.inputStream.bufferedReader().readLine() ?: error("sandbox did not start")
        require(line.startsWith("SANDBOX_URL=")) { "sandbox said: $line" }
        baseUrl = line.substringAfter('=')
        val merchants = JSONObject(File(Fixtures.root, "tests/sandbox/merchants.json").readText()).getJSONArray("merchants")
        val apiv3Key = (0 until merchants.length()).map { merchants.getJSONObject(it) }.first { it.getString("mchid") == mchid }.getString("apiv3_key")
        val file = { path: String -> File(Fixtures.root, path).readText() }
        client = Client(ClientConfig(
            mchid = mchid,
            serialNo = m.getString("serial_no"),
            privateKey = file(m.getString("private_key")),
            wechatpayPublicKeyId = m.getString("wechatpay_public_key_id"),
            wechatpayPublicKey = file(m.getString("wechatpay_public_key")),
            platformCertificates = m.getJSONArray("platform_certificates").map { file(it as String) },
            apiv3Key = apiv3Key,
            baseUrl = baseUrl,
            globalBaseUrl = baseUrl,
        ))
    }

    @AfterAll
    fun stopSandbox() {
        sandbox.destroy()
        if (!sandbox.waitFor(10, TimeUnit.SECONDS)) sandbox.destroyForcibly().waitFor(10, TimeUnit.SECONDS)
    }

    @BeforeEach
    fun freshSandboxAndReceiver() {
        post("/sandbox/reset", JSONObject())
        receiver = Receiver(client)
        val merchant = post("/sandbox/merchants/$mchid/notify-url", JSONObject().put("notify_url", receiver.url))
        assertEquals(receiver.url, merchant.getString("notify_url"))
    }

    @AfterEach
    fun stopReceiver() {
        post("/sandbox/reset", JSONObject()) // drops pending retries and the notify_url
        receiver.close()
    }

    private fun control(method: String, path: String, body: String? = null): JSONObject {
        val request = JdkRequest.newBuilder(URI.create(baseUrl + path)).timeout(Duration.ofSeconds(10))
            .header("Content-Type", "application/json")
            .method(method, body?.let { JdkRequest.BodyPublishers.ofString(it) } ?: JdkRequest.BodyPublishers.noBody())
            .build()
        val response = http.send(request, HttpResponse.BodyHandlers.ofString())
        require(response.statusCode() in 200..299) { "$method $path → ${response.statusCode()} ${response.body()}" }
        return if (response.body().isBlank()) JSONObject() else JSONObject(response.body())
    }

    private fun post(path: String, body: JSONObject) = control("POST", path, body.toString())

    private fun armNotifyFault(fault: String) {
        val armed = post("/sandbox/notify-faults", JSONObject().put("fault", fault).put("count", 1))
        assertEquals(fault, armed.getString("fault"))
        assertEquals(1, armed.getInt("remaining"))
    }

    /** A termination through the API: signed by the client, sent with java.net.http, answer verified. */
    private fun terminate(operation: String, params: JSONObject, status: Int) {
        val req = client.sign(client.unsignedById(operation, params.toString()))
        val builder = JdkRequest.newBuilder(URI.create(req.url)).timeout(Duration.ofSeconds(10))
        req.headers.filter { it.name !in setOf("Content-Length", "Host") }.forEach { builder.header(it.name, it.value) }
        builder.method(req.method, req.body?.let { JdkRequest.BodyPublishers.ofByteArray(it) } ?: JdkRequest.BodyPublishers.noBody())
        val response = http.send(builder.build(), HttpResponse.BodyHandlers.ofByteArray())
        val headers = response.headers().map().flatMap { (name, values) -> values.map { Header(name, it) } }
        assertEquals(status, client.parseById(req.operation, response.statusCode().toUShort(), headers, response.body()).status.toInt())
    }

    /** The stored termination of a record (`GET /sandbox/state`): mode, time, remark. */
    data class Termination(val mode: String, val time: String, val remark: String?)

    private fun termination(record: String): Termination {
        val records = control("GET", "/sandbox/state").getJSONArray("records")
        val r = (0 until records.length()).map { records.getJSONObject(it) }.first { it.getString("id") == record }
        assertEquals("TERMINATED", r.getString("state"))
        val t = r.getJSONObject("termination")
        return Termination(t.getString("mode"), t.getString("time"), if (t.isNull("remark")) null else t.getString("remark"))
    }

    /** One entry of the sandbox's delivery log. */
    data class Delivery(val attempt: Int, val fault: String?, val status: String, val delivered: Boolean)

    /** The sandbox's view of the one notification of a test, once it is no longer pending. */
    data class Sent(val id: String, val eventType: String, val contract: String?, val fault: String?, val state: String,
                    val attempts: Int, val deliveries: List<Delivery>)

    private fun settled(): Sent {
        val deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30)
        while (true) {
            val log = control("GET", "/sandbox/notifications")
            val notifications = log.getJSONArray("notifications")
            assertEquals(1, notifications.length(), "exactly one notification: $notifications")
            val n = notifications.getJSONObject(0)
            if (n.getString("state") in setOf("delivered", "abandoned")) {
                val deliveries = log.getJSONArray("deliveries").let { a -> (0 until a.length()).map { a.getJSONObject(it) } }
                assertTrue(deliveries.all { it.getString("notification_id") == n.getString("id") }, deliveries.toString())
                assertTrue(deliveries.all { it.getString("url") == receiver.url }, deliveries.toString())
                assertEquals(0, log.getJSONArray("pending").length())
                return Sent(n.getString("id"), n.getString("event_type"), n.opt("contract").takeIf { it != JSONObject.NULL } as String?,
                    n.opt("fault").takeIf { it != JSONObject.NULL } as String?, n.getString("state"), n.getInt("attempts"),
                    deliveries.map { Delivery(it.getInt("attempt"), it.opt("fault").takeIf { f -> f != JSONObject.NULL } as String?,
                        it.get("status").toString(), it.getBoolean("delivered")) })
            }
            if (System.nanoTime() > deadline) fail("the notification did not settle: $log")
            Thread.sleep(20)
        }
    }

    /** The one notification the worker processed; nothing else is processed after it. */
    private fun processedOnce(): Notification {
        val n = receiver.processed.poll(30, TimeUnit.SECONDS) ?: fail("nothing was processed; replies: ${receiver.replies}")
        receiver.drain()
        assertNull(receiver.processed.poll(), "processed more than once")
        return n
    }

    private fun assertReplies(vararg expected: Reply) {
        val actual = receiver.replies.toList()
        assertEquals(expected.size, actual.size, actual.toString())
        expected.zip(actual).forEach { (want, got) ->
            assertEquals(want.copy(error = null), got.copy(error = null))
            assertEquals(want.error?.javaClass, got.error?.javaClass)
        }
    }

    private val ack = """{"code":"SUCCESS","message":"成功"}"""
    private val nack = """{"code":"FAIL","message":"verification failed"}"""
    private val busy = """{"code":"FAIL","message":"系统繁忙，请稍后重试"}"""

    /** The API termination of one record: one delivery, acknowledged, processed once; the envelope exact. */
    private fun viaApi(operation: String, params: JSONObject, status: Int, record: String, eventType: String,
                       summary: String, originalType: String?): Pair<Notification, Termination> {
        terminate(operation, params, status)
        val sent = settled()
        assertEquals(Sent(sent.id, eventType, record, null, "delivered", 1, listOf(Delivery(1, null, "200", true))), sent)
        val n = processedOnce()
        assertReplies(Reply(200, ack, sent.id, null))
        assertEquals(sent.id, n.id)
        assertEquals(eventType, n.eventType)
        assertEquals("encrypt-resource", n.resourceType)
        assertEquals(summary, n.summary)
        assertEquals(originalType, n.originalType)
        return n to termination(record)
    }

    private val mchApi = "MCH_API_TERMINATE"

    // ---- product families, terminated through the API -----------------------------------------

    @Test
    fun papayDirect() {
        val (n, t) = viaApi("terminate_papay_contract",
            JSONObject().put("plan_id", 12535).put("out_contract_code", "wxwtdk20200910100000").put("contract_termination_remark", "e2e 直连解约"),
            200, "papay:12535:wxwtdk20200910100000", "ENTRUST.TERMINATE", "解约成功", "entrust")
        val contract = when (val r = n.resource) {
            is NotificationResource.PapayTerminated -> r.v1
            else -> fail("expected PapayTerminated, got $r")
        }
        assertEquals("202009101000000000000001", contract.contractId)
        assertEquals(mchApi, contract.contractTerminateInfo?.contractTerminationMode)
        assertEquals(Termination(mchApi, t.time, "e2e 直连解约"), t)
        assertEquals(PapayTerminated(
            contractId = "202009101000000000000001", planId = 12535uL, outContractCode = "wxwtdk20200910100000",
            contractDisplayAccount = "微信代扣", contractState = "TERMINATED",
            contractSignedTime = "2024-03-15T10:20:30+08:00", contractExpiredTime = "2029-03-15T10:20:30+08:00",
            contractTerminateInfo = TerminationInfo(mchApi, t.time, "e2e 直连解约"),
            deductSchedule = DeductSchedule(
                estimatedDeductDate = "2025-12-22", estimatedDeductAmount = Amount(1500L, "CNY"), scheduleState = "SCHEDULED",
                scheduledAmount = Amount(1500L, "CNY"), deductAmount = null, deductDate = "2025-12-22"),
            outUserCode = "user0000", mchid = mchid, appid = "wxd678efh567hg6787", openid = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
            spMchid = null, spAppid = null, subMchid = null, subAppid = null, spOpenid = null, subOpenid = null,
        ), contract)
    }

    @Test
    fun papayPartner() {
        val (n, t) = viaApi("terminate_papay_partner_contract",
            JSONObject().put("plan_id", 12535).put("out_contract_code", "wxwtdk20200910200001").put("sub_mchid", "1900000110")
                .put("contract_termination_remark", "e2e 服务商解约"),
            200, "papay_partner:12535:wxwtdk20200910200001", "ENTRUST.TERMINATE", "解约成功", "entrust")
        val contract = when (val r = n.resource) {
            is NotificationResource.PapayTerminated -> r.v1
            else -> fail("expected PapayTerminated, got $r")
        }
        assertEquals("202009102000000000000002", contract.contractId)
        assertEquals(mchApi, contract.contractTerminateInfo?.contractTerminationMode)
        assertEquals(PapayTerminated(
            contractId = "202009102000000000000002", planId = 12535uL, outContractCode = "wxwtdk20200910200001",
            contractDisplayAccount = "微信代扣", contractState = "TERMINATED",
            contractSignedTime = "2024-03-15T10:20:30+08:00", contractExpiredTime = "2029-03-15T10:20:30+08:00",
            contractTerminateInfo = TerminationInfo(mchApi, t.time, "e2e 服务商解约"),
            deductSchedule = null, outUserCode = "user0001", mchid = null, appid = null, openid = null,
            spMchid = mchid, spAppid = "wxd678efh567hg6787", subMchid = "1900000110", subAppid = null,
            spOpenid = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", subOpenid = null,
        ), contract)
    }

    @Test
    fun insurance() {
        val (n, t) = viaApi("terminate_papay_insurance_contract",
            JSONObject().put("plan_id", 12535).put("out_contract_code", "insur20240101000002").put("contract_termination_remark", "退保解约"),
            200, "papay_insurance:12535:insur20240101000002", "INSURANCE_ENTRUST.TERMINATE", "解约成功", "insurance_entrust")
        val contract = when (val r = n.resource) {
            is NotificationResource.InsuranceTerminated -> r.v1
            else -> fail("expected InsuranceTerminated, got $r")
        }
        assertEquals("202401010000000000000002", contract.contractId)
        assertEquals(mchApi, contract.contractTerminateInfo?.contractTerminationMode)
        assertEquals(InsuranceTerminated(
            mchid = mchid, contractId = "202401010000000000000002", appid = "wxd678efh567hg6787", planId = 12535uL,
            outContractCode = "insur20240101000002", insuredDisplayName = "*四", contractState = "TERMINATED",
            contractSignedTime = "2024-03-15T10:20:30+08:00", contractExpiredTime = "2029-03-15T10:20:30+08:00",
            openid = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", contractTerminateInfo = TerminationInfo(mchApi, t.time, "退保解约"),
            outUserCode = "user0002",
        ), contract)
    }

    @Test
    fun creditRepayment() {
        val (n, t) = viaApi("terminate_credit_repayment_contract",
            JSONObject().put("out_contract_code", "100001257").put("contract_termination_remark", "用户申请解约"),
            200, "credit_repayment:100001257", "CREDIT_REPAYMENT.TERMINATE_CONTRACT", "解约成功", "credit_repayment")
        val contract = when (val r = n.resource) {
            is NotificationResource.CreditRepaymentTerminated -> r.v1
            else -> fail("expected CreditRepaymentTerminated, got $r")
        }
        assertEquals("1000000000000000000001257", contract.contractId)
        assertEquals("TERMINATION_MODE_BY_MERCHANT", contract.contractTerminatedMode)
        assertEquals(Termination("TERMINATION_MODE_BY_MERCHANT", t.time, "用户申请解约"), t)
        assertEquals(CreditRepaymentTerminated(
            spMchid = mchid, contractId = "1000000000000000000001257", planId = "10001", outContractCode = "100001257",
            displayName = "*明", contractState = "CONTRACT_STATE_TERMINATED", contractSignedTime = "2024-03-15T10:20:30+08:00",
            contractTerminatedTime = t.time, contractTerminatedMode = "TERMINATION_MODE_BY_MERCHANT",
            contractTerminationRemark = "用户申请解约", repaymentDay = 10uL, repaymentAmountLimit = 500000uL,
            appid = "wxd678efh567hg6787", openid = "oCredit00000000000000257",
        ), contract)
    }

    @Test
    fun transferAuthorization() {
        val (n, t) = viaApi("close_transfer_authorization", JSONObject().put("out_authorization_no", "plfk2020042014"),
            200, "transfer_authorization:plfk2020042014", "MCHTRANSFER.AUTHORIZATION.CLOSED", "授权已关闭", "mch_payment")
        val authorization = when (val r = n.resource) {
            is NotificationResource.TransferAuthorizationClosed -> r.v1
            else -> fail("expected TransferAuthorizationClosed, got $r")
        }
        assertEquals("plfk2020042014", authorization.outAuthorizationNo)
        assertEquals("CLOSE_VIA_MCH_API", authorization.closeInfo?.closeReason)
        assertEquals("CLOSE_VIA_MCH_API", t.mode)
        assertEquals(TransferAuthorizationClosed(
            outAuthorizationNo = "plfk2020042014", appid = "wxf636efh567hg4356", openid = "o-MYE42l80oelYMDE34nYD456Xoy",
            userDisplayName = "wx_123456", authorizationId = "201202504101000123456789014", state = "CLOSED",
            authorizeTime = "2025-05-20T13:29:35+08:00", closeInfo = AuthorizationCloseInfo(t.time, "CLOSE_VIA_MCH_API"),
        ), authorization)
    }

    @Test
    fun webizpay() {
        val (n, t) = viaApi("revoke_webizpay_employee",
            JSONObject().put("employee_id", "WeBizPay_b17c3e55-0f4d-4d8e-9a61-2f0c9d1e5a77").put("sp_mchid", mchid).put("sub_mchid", "43214321"),
            200, "webizpay_employee:WeBizPay_b17c3e55-0f4d-4d8e-9a61-2f0c9d1e5a77", "WEBIZPAY.REVOKED", "员工授权已解除", "webizpay")
        val revoked = when (val r = n.resource) {
            is NotificationResource.WebizpayRevoked -> r.v1
            else -> fail("expected WebizpayRevoked, got $r")
        }
        assertEquals("employee124", revoked.userId)
        assertEquals("企业发起", revoked.reason) // the merchant's API: 企业发起
        assertEquals(mchApi, t.mode)
        assertEquals(WebizpayRevoked(
            spMchid = mchid, subMchid = "43214321", userId = "employee124", authorizationState = "REVOKED",
            authorizationRevokedTime = t.time, reason = "企业发起",
        ), revoked)
    }

    @Test
    fun payscore() {
        val (n, t) = viaApi("terminate_payscore_permission_by_authorization_code",
            JSONObject().put("authorization_code", "authcode20200910000002").put("service_id", "500001").put("reason", "用户解约"),
            204, "payscore:authcode20200910000002", "PAYSCORE.USER_CLOSE_SERVICE", "用户解除授权", "payscore")
        val closed = when (val r = n.resource) {
            is NotificationResource.PayscoreServiceClosed -> r.v1
            else -> fail("expected PayscoreServiceClosed, got $r")
        }
        assertEquals("authcode20200910000002", closed.authorizationCode)
        assertEquals("USER_CLOSE_SERVICE", closed.userServiceStatus) // the event carries no termination mode
        assertEquals(mchApi, t.mode)
        assertEquals(PayscoreServiceClosed(
            appid = "wxd678efh567hg6787", mchid = mchid, subAppid = null, subMchid = null, channelId = null,
            serviceId = "500001", openid = "oUpF8uMuAJO_M2pxb1Q9zNjWeS2", subOpenid = null,
            userServiceStatus = "USER_CLOSE_SERVICE", openorcloseTime = t.time, authorizationCode = "authcode20200910000002",
            outRequestNo = null, contractId = null, planId = null, contractStatus = null, outContractCode = null,
        ), closed)
    }

    // ---- a user-initiated termination ----------------------------------------------------------

    @Test
    fun userTerminationArrivesWithUserTerminate() {
        val answer = post("/sandbox/contracts/terminate", JSONObject().put("contract", "papay:12535:wxwtdk20200910100001")
            .put("mode", "USER_TERMINATE").put("remark", "用户在微信内解约"))
        assertEquals("TERMINATED", answer.getString("state"))
        val created = answer.getJSONObject("notification")
        assertEquals("ENTRUST.TERMINATE", created.getString("event_type"))
        assertTrue(created.isNull("fault"))
        val sent = settled()
        assertEquals(Sent(created.getString("id"), "ENTRUST.TERMINATE", "papay:12535:wxwtdk20200910100001", null, "delivered", 1,
            listOf(Delivery(1, null, "200", true))), sent)
        val n = processedOnce()
        assertReplies(Reply(200, ack, sent.id, null))
        assertEquals(sent.id, n.id)
        val contract = when (val r = n.resource) {
            is NotificationResource.PapayTerminated -> r.v1
            else -> fail("expected PapayTerminated, got $r")
        }
        val t = termination("papay:12535:wxwtdk20200910100001")
        assertEquals(Termination("USER_TERMINATE", answer.getJSONObject("termination").getString("time"), "用户在微信内解约"), t)
        assertEquals("202009101000000000000002", contract.contractId)
        assertEquals("wxwtdk20200910100001", contract.outContractCode)
        assertEquals(TerminationInfo("USER_TERMINATE", t.time, "用户在微信内解约"), contract.contractTerminateInfo)
    }

    // ---- acknowledgement, retries and duplicates -----------------------------------------------

    @Test
    fun acknowledgedBeforeItIsProcessed() {
        val gate = CountDownLatch(1)
        receiver.gate = gate
        terminate("terminate_papay_contract",
            JSONObject().put("plan_id", 12535).put("out_contract_code", "wxwtdk20200910100001").put("contract_termination_remark", "e2e"), 200)
        // The sandbox has its 200 while the worker is still held: the reply did not wait for processing.
        val sent = settled()
        assertEquals(listOf(Delivery(1, null, "200", true)), sent.deliveries)
        assertNull(receiver.processed.poll(200, TimeUnit.MILLISECONDS))
        gate.countDown()
        assertEquals(sent.id, processedOnce().id)
        assertReplies(Reply(200, ack, sent.id, null))
    }

    @Test
    fun aFailingHandlerIsRetriedAndTheSecondDeliveryProcessed() {
        receiver.refuseHandOffs.set(1)
        terminate("terminate_papay_contract",
            JSONObject().put("plan_id", 12535).put("out_contract_code", "wxwtdk20200910100000").put("contract_termination_remark", "e2e"), 200)
        val sent = settled()
        assertEquals(Sent(sent.id, "ENTRUST.TERMINATE", "papay:12535:wxwtdk20200910100000", null, "delivered", 2,
            listOf(Delivery(1, null, "500", false), Delivery(2, null, "200", true))), sent)
        val n = processedOnce()
        assertEquals(sent.id, n.id)
        val contract = (n.resource as? NotificationResource.PapayTerminated)?.v1 ?: error("expected ENTRUST.TERMINATE, got ${n.resource}")
        assertEquals("wxwtdk20200910100000", contract.outContractCode)
        assertEquals(mchApi, contract.contractTerminateInfo?.contractTerminationMode)
        // Both deliveries verified; the first could not be handed off and was answered 500.
        assertReplies(Reply(500, busy, sent.id, null), Reply(200, ack, sent.id, null))
    }

    @Test
    fun aDuplicateIsProcessedOnce() {
        armNotifyFault("duplicate")
        terminate("close_transfer_authorization", JSONObject().put("out_authorization_no", "plfk2020042013"), 200)
        val sent = settled()
        assertEquals(Sent(sent.id, "MCHTRANSFER.AUTHORIZATION.CLOSED", "transfer_authorization:plfk2020042013", "duplicate",
            "delivered", 2, listOf(Delivery(1, "duplicate", "200", true), Delivery(2, "duplicate", "200", true))), sent)
        val n = processedOnce()
        assertEquals(sent.id, n.id)
        assertEquals("plfk2020042013", (n.resource as NotificationResource.TransferAuthorizationClosed).v1.outAuthorizationNo)
        // Both POSTs verify and are acknowledged; the second is not handed off again.
        assertReplies(Reply(200, ack, sent.id, null), Reply(200, ack, sent.id, null))
    }

    // ---- notification faults: refused with their own class, then the genuine retry ------------

    fun faults(): Stream<Arguments> = Stream.of(
        Arguments.of("probe", WxpayException.SignatureProbe::class.java, "signature_probe",
            Regex.escape("WeChat Pay sent a signature probe (WECHATPAY/SIGNTEST/); the response is rejected as the probe expects")),
        Arguments.of("tampered_ciphertext", WxpayException.Decryption::class.java, "decryption",
            Regex.escape("the notification does not decrypt with the APIv3 key: wrong apiv3_key, or the ciphertext was altered")),
        Arguments.of("wrong_key", WxpayException.Decryption::class.java, "decryption",
            Regex.escape("the notification does not decrypt with the APIv3 key: wrong apiv3_key, or the ciphertext was altered")),
        // The sandbox's timestamp is its clock minus 600 s (skew = host clock − timestamp); the host
        // clock may have turned one more second before the receiver checked it.
        Arguments.of("skew", WxpayException.ClockSkew::class.java, "clock_skew",
            Regex.escape("Wechatpay-Timestamp is ") + "60[01]" + Regex.escape(" s from the host clock (at most 300 s allowed): check NTP or replay")),
        Arguments.of("reserialized", WxpayException.InvalidSignature::class.java, "invalid_signature",
            Regex.escape("the response signature does not verify with key `PUB_KEY_ID_0119000072912025112400000000000099`: the body or headers were altered")),
        Arguments.of("bad_signature", WxpayException.InvalidSignature::class.java, "invalid_signature",
            Regex.escape("the response signature does not verify with key `PUB_KEY_ID_0119000072912025112400000000000099`: the body or headers were altered")),
        Arguments.of("unknown_serial", WxpayException.UnknownSerial::class.java, "unknown_serial",
            Regex.escape("Wechatpay-Serial `PUB_KEY_ID_0119000072912025112400000000009999` is none of this client's keys " +
                "(PUB_KEY_ID_0119000072912025112400000000000099, 3C5E2E7D9A1B4F6081C2D3E4F5A6B7C8D9E0F1A2); " +
                "download the platform certificates, then verify the same bytes again")),
    )

    @ParameterizedTest(name = "{0}")
    @MethodSource("faults")
    fun aNotificationFaultIsRefusedThenTheRetryProcessedOnce(fault: String, expected: Class<out WxpayException>, kind: String, message: String) {
        armNotifyFault(fault)
        terminate("terminate_papay_contract",
            JSONObject().put("plan_id", 12535).put("out_contract_code", "wxwtdk20200910100000").put("contract_termination_remark", "e2e $fault"), 200)
        val sent = settled()
        // The sandbox's log: the first attempt carried the fault and got 500; the genuine retry got 200.
        assertEquals(Sent(sent.id, "ENTRUST.TERMINATE", "papay:12535:wxwtdk20200910100000", fault, "delivered", 2,
            listOf(Delivery(1, fault, "500", false), Delivery(2, null, "200", true))), sent)
        val replies = receiver.replies.toList()
        assertEquals(2, replies.size, replies.toString())
        val refused = replies[0].error ?: fail("the faulty delivery was not refused: ${replies[0]}")
        assertEquals(expected, refused.javaClass)
        assertEquals(kind, refused.record().kind)
        assertEquals(refused.record().message, refused.message)
        assertTrue(Regex(message).matches(refused.record().message), "message: ${refused.message}")
        if (refused is WxpayException.UnknownSerial) assertEquals("PUB_KEY_ID_0119000072912025112400000000009999", refused.record.serial)
        assertReplies(Reply(500, nack, null, refused), Reply(200, ack, sent.id, null))
        val n = processedOnce()
        assertEquals(sent.id, n.id)
        val contract = when (val r = n.resource) {
            is NotificationResource.PapayTerminated -> r.v1
            else -> fail("expected PapayTerminated, got $r")
        }
        assertEquals("202009101000000000000001", contract.contractId)
        assertEquals(TerminationInfo(mchApi, termination("papay:12535:wxwtdk20200910100000").time, "e2e $fault"), contract.contractTerminateInfo)
    }
}
