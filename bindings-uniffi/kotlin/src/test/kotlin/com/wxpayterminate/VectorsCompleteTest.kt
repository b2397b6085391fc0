package com.wxpayterminate

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Order
import org.junit.jupiter.api.Test
import org.junit.platform.engine.TestExecutionResult

/**
 * Runs after every other class (src/test/resources/junit-platform.properties orders classes by
 * @Order): the vector suite ran every case tests/vectors/manifest.json lists, each passed, and
 * nothing of VectorsTest was skipped or aborted — whatever did it (`@Disabled` on the class or a
 * method, `assumeTrue(false)` in a runner, the factory or a lifecycle method, a thrown
 * `TestAbortedException`, a factory that leaves cases out). What JUnit reported comes from
 * [VectorRunListener], registered through META-INF/services rather than by an annotation.
 */
@Order(Int.MAX_VALUE)
class VectorsCompleteTest {
    @Test
    fun everyListedVectorRanAndPassedAndNoneWasSkipped() {
        assertTrue(VectorRun.listenerSawThePlan, "VectorRunListener is not registered (src/test/resources/META-INF/services)")
        assertTrue(VectorRun.planHasVectorsTest, "VectorsTest is not part of this run: the vectors must run with their guard")
        assertEquals(emptyList<String>(), VectorRun.skipped.toList(), "vectors skipped: every vector must run")
        assertEquals(emptyList<String>(), VectorRun.aborted.toList(), "vectors aborted: every vector must run")
        assertEquals(TestExecutionResult.Status.SUCCESSFUL, VectorRun.classResult, "VectorsTest did not run to its end before this check")
        val listed = VectorManifest.caseNames
        assertEquals(VectorManifest.cases, listed.size, "manifest.json: its case count and its case files disagree")
        val passed = VectorRun.passedVectors.toSet()
        assertEquals(
            emptyList<String>(), (listed - passed).sorted().take(20),
            "ran and passed ${passed.size} of the ${VectorManifest.cases} vector cases manifest.json lists; not passed (first 20):",
        )
        assertEquals(listed, passed)
        assertEquals(listed, VectorRun.completed.toSet())
    }
}
