package com.wxpayterminate

import org.json.JSONObject
import org.junit.platform.engine.TestExecutionResult
import org.junit.platform.launcher.TestExecutionListener
import org.junit.platform.launcher.TestIdentifier
import org.junit.platform.launcher.TestPlan
import java.io.File
import java.security.MessageDigest
import java.util.Collections

/**
 * tests/vectors/manifest.json (written by tests/vectors/manifest.py): every case, client and key
 * file of the vector set with its SHA-256, and the number of cases.
 */
object VectorManifest {
    private val json = JSONObject(File(Fixtures.vectors, "manifest.json").readText())

    /** The number of cases the manifest lists. */
    val cases: Int = json.getInt("cases")

    /** Path (relative to tests/vectors, `/`-separated) → SHA-256 hex, as listed. */
    val files: Map<String, String> = json.getJSONObject("files").let { f -> f.keySet().associateWith { f.getString(it) } }

    /** The listed cases by their runner names (`request/papay_v1_…`, no `cases/`, no `.json`). */
    val caseNames: Set<String> = files.keys.filter { it.startsWith("cases/") }.map { it.removePrefix("cases/").removeSuffix(".json") }.toSet()

    /** The files on disk the manifest covers (every .json under cases, clients.json, the .pem files of keys), hashed. */
    fun onDisk(): Map<String, String> {
        val dir = Fixtures.vectors
        val cases = File(dir, "cases").walkTopDown().filter { it.isFile && it.extension == "json" }.toList()
        val keys = File(dir, "keys").listFiles { f -> f.isFile && f.extension == "pem" }?.toList() ?: emptyList()
        return (cases + File(dir, "clients.json") + keys).associate { file ->
            val hex = MessageDigest.getInstance("SHA-256").digest(file.readBytes()).joinToString("") { "%02x".format(it) }
            file.relativeTo(dir).invariantSeparatorsPath to hex
        }
    }

    /** Every difference between the files on disk and the manifest, one line each; empty when none. */
    fun differences(): List<String> {
        val disk = onDisk()
        return disk.keys.filter { it !in files }.sorted().map { "$it: on disk but not in manifest.json" } +
            files.keys.filter { it !in disk }.sorted().map { "$it: listed in manifest.json but missing" } +
            files.keys.filter { it in disk && disk[it] != files[it] }.sorted().map { "$it: edited (its SHA-256 differs from manifest.json)" }
    }
}

/**
 * What the vector suite really ran, seen from two sides: [VectorsTest] records each case that ran to
 * its end, and [VectorRunListener] — registered with the JUnit Platform through
 * META-INF/services, so no annotation on a test class can switch it off — records what JUnit
 * itself reports for VectorsTest: skipped (`@Disabled`, a failed condition), aborted (an assumption
 * or a `TestAbortedException` anywhere, `@BeforeAll` included) and passed. [VectorsCompleteTest],
 * ordered after every other class, fails unless every listed case ran and passed and nothing of
 * VectorsTest was skipped or aborted.
 */
object VectorRun {
    const val CLASS_SEGMENT = "[class:com.wxpayterminate.VectorsTest]"
    private const val FACTORY_SEGMENT = "[test-factory:vectors()]"

    /** Case names whose runner returned normally (written by VectorsTest). */
    val completed: MutableSet<String> = Collections.synchronizedSet(mutableSetOf())

    @Volatile var listenerSawThePlan = false
    @Volatile var planHasVectorsTest = false
    @Volatile var classResult: TestExecutionResult.Status? = null
    val skipped: MutableList<String> = Collections.synchronizedList(mutableListOf())
    val aborted: MutableList<String> = Collections.synchronizedList(mutableListOf())
    val passedVectors: MutableSet<String> = Collections.synchronizedSet(mutableSetOf())

    fun ofVectorsTest(id: TestIdentifier) = CLASS_SEGMENT in id.uniqueId
    fun isVectorCase(id: TestIdentifier) = ofVectorsTest(id) && FACTORY_SEGMENT in id.uniqueId && id.isTest
}

/** See [VectorRun]. */
class VectorRunListener : TestExecutionListener {
    override fun testPlanExecutionStarted(testPlan: TestPlan) {
        VectorRun.listenerSawThePlan = true
        fun walk(id: TestIdentifier): Boolean = VectorRun.ofVectorsTest(id) || testPlan.getChildren(id).any(::walk)
        if (testPlan.roots.any(::walk)) VectorRun.planHasVectorsTest = true
    }

    override fun executionSkipped(testIdentifier: TestIdentifier, reason: String?) {
        if (VectorRun.ofVectorsTest(testIdentifier)) VectorRun.skipped += "${testIdentifier.uniqueId}: $reason"
    }

    override fun executionFinished(testIdentifier: TestIdentifier, result: TestExecutionResult) {
        if (!VectorRun.ofVectorsTest(testIdentifier)) return
        if (testIdentifier.uniqueId.endsWith(VectorRun.CLASS_SEGMENT)) VectorRun.classResult = result.status
        when (result.status) {
            TestExecutionResult.Status.ABORTED ->
                VectorRun.aborted += "${testIdentifier.uniqueId}: ${result.throwable.map { it.toString() }.orElse("")}"
            TestExecutionResult.Status.SUCCESSFUL ->
                if (VectorRun.isVectorCase(testIdentifier)) VectorRun.passedVectors += testIdentifier.displayName
            else -> {}
        }
    }
}
