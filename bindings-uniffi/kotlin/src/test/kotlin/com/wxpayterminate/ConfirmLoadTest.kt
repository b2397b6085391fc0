package com.wxpayterminate

import com.wxpayterminate.catalog.ConfirmPolicy
import com.wxpayterminate.catalog.Outcome
import com.wxpayterminate.catalog.OutcomeKind
import java.net.http.HttpClient
import java.time.Duration
import java.util.concurrent.Callable
import java.util.concurrent.Executors
import java.util.concurrent.TimeUnit
import org.json.JSONObject
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

/**
 * Many contracts at once under the sandbox's chaos: 400 seeded papay contracts, each driven by
 * `terminateAndConfirm` from 16 threads sharing one `Client` and one `HttpClient`, with random resets,
 * lost and slow answers, 429s, 5xx and forged signatures. The sandbox's ledger then has to show every
 * contract applied exactly once and no terminate sent after its confirmation.
 */
class ConfirmLoadTest {
    @Test
    fun fourHundredContractsFromSixteenThreadsUnderChaos() = SandboxServer().use { sandbox ->
        val contracts = 400
        val threads = 16
        val seeded = sandbox.post("/sandbox/seed", JSONObject().put("collection", "papay").put("owner", sandbox.mchid)
            .put("count", contracts).put("prefix", "KTLOAD"))
        val records = seeded.getJSONArray("records").map { it as JSONObject }
        assertEquals(contracts, records.size)
        sandbox.post("/sandbox/chaos", JSONObject("""{"seed": 20261203, "burst": 3, "delay_ms": 1500,
            "rates": {"reset_before": 0.02, "reset_after": 0.03, "slow": 0.005, "ratelimit": 0.02,
                      "system_error": 0.02, "probe": 0.01, "bad_signature": 0.01}}"""))
        val client = sandbox.client()
        val http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build()
        val policy = ConfirmPolicy.default().copy(backoffInitialMs = 50uL, backoffMaxMs = 1_000uL)
        val pool = Executors.newFixedThreadPool(threads)
        val started = System.nanoTime()
        val outcomes: Map<String, Outcome> = try {
            records.map { record ->
                val params = record.getJSONObject("params")
                record.getString("id") to pool.submit(Callable {
                    client.terminateAndConfirm("terminate_papay_contract",
                        mapOf("plan_id" to params.getLong("plan_id"), "out_contract_code" to params.getString("out_contract_code"),
                            "contract_termination_remark" to "批量解约"),
                        policy = policy, http = http, timeout = Duration.ofSeconds(1))
                })
            }.associate { (id, future) -> id to future.get(10, TimeUnit.MINUTES) }
        } finally {
            pool.shutdownNow()
        }
        val seconds = (System.nanoTime() - started) / 1e9

        val chaos = sandbox.control("GET", "/sandbox/chaos")
        sandbox.post("/sandbox/chaos", JSONObject())
        val ledger = sandbox.ledger()
        val totals = ledger.getJSONObject("totals")
        val counts = chaos.getJSONObject("counts")
        val faults = counts.keySet().sumOf { counts.getInt(it) }
        println(String.format("terminate-and-confirm: %d contracts from %d threads under chaos in %.2f s (%.0f contracts/s); " +
            "%d requests, %d faults %s; terminate requests %d, queries %d",
            contracts, threads, seconds, contracts / seconds, chaos.getInt("requests"), faults, counts,
            totals.getInt("terminate_requests"), totals.getInt("queries")))

        val notTerminated = outcomes.filterValues { it.kind != OutcomeKind.TERMINATED }
        assertTrue(notTerminated.isEmpty(), notTerminated.mapValues { it.value.reason }.toString())
        val contractsLedger = ledger.getJSONObject("contracts")
        val state = sandbox.control("GET", "/sandbox/state?collection=papay&owner=${sandbox.mchid}").getJSONArray("records")
            .map { it as JSONObject }.associate { it.getString("id") to it.getString("state") }
        for (record in records) {
            val id = record.getString("id")
            val entry = contractsLedger.getJSONObject(id)
            assertEquals(1, entry.getInt("applied"), "$id $entry")
            assertEquals(0, entry.getInt("after_confirmed"), "$id $entry")
            assertEquals("TERMINATED", state[id], id)
        }
        assertEquals(contracts, totals.getInt("applied"))
        assertEquals(0, totals.getInt("after_confirmed"))
        assertTrue(faults > contracts / 20, "chaos injected only $faults faults: $counts")
    }
}
