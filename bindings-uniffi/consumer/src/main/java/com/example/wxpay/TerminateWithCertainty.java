package com.example.wxpay;

import com.wxpayterminate.Client;
import com.wxpayterminate.Termination;
import com.wxpayterminate.TerminationStep;
import com.wxpayterminate.WxpayException;
import com.wxpayterminate.WxpayJava;
import com.wxpayterminate.catalog.AnyOperation;
import com.wxpayterminate.catalog.ClientConfig;
import com.wxpayterminate.catalog.ConfirmPolicy;
import com.wxpayterminate.catalog.EvidenceSource;
import com.wxpayterminate.catalog.Outcome;
import com.wxpayterminate.catalog.OutcomeKind;
import com.wxpayterminate.catalog.Purpose;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Plain Java: the README's "Terminate with certainty" against the sandbox (SANDBOX_URL) — a
 * termination whose answer is lost (the sandbox's armed reset_after) confirmed by the query, a typed
 * operation, a refusal explained by the query, bad input refused, and a journal resumed with the
 * query first. Exit status 1 if anything is off.
 */
public final class TerminateWithCertainty {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static String sandbox;
    private static final List<String> failures = new ArrayList<>();

    public static void main(String[] args) throws Exception {
        Path root = Path.of(System.getProperty("repo.root", "."));
        sandbox = System.getenv("SANDBOX_URL");
        if (sandbox == null) throw new IllegalStateException("SANDBOX_URL is not set (run under tests/sandbox/with_sandbox.py)");
        ClientConfig config = WxpayJava.config("1900007291", "408B07E79B8269FEC3D5D3E6AB8ED163A6A380DB");
        config.setPrivateKey(Files.readString(root.resolve("tests/vectors/keys/merchant_doc_pkcs8.pem")));
        config.setWechatpayPublicKeyId("PUB_KEY_ID_0119000072912025112400000000000099");
        config.setWechatpayPublicKey(Files.readString(root.resolve("tests/sandbox/keys/wechatpay_public_key.pem")));
        config.setBaseUrl(sandbox);
        Client client = new Client(config);
        ConfirmPolicy policy = WxpayJava.confirmPolicy(Map.of("backoff_initial_ms", 50, "backoff_max_ms", 500));

        // 1. The answer is lost after the termination was applied: the query confirms it.
        control("/sandbox/reset", "{}");
        control("/sandbox/faults", "{\"fault\": \"reset_after\", \"count\": 1}");
        Outcome outcome = WxpayJava.terminateAndConfirm(client, "terminate_papay_contract",
            Map.of("plan_id", 12535L, "out_contract_code", "wxwtdk20200910100000", "contract_termination_remark", "用户解约"),
            null, policy);
        expect(outcome.getKind() == OutcomeKind.TERMINATED, "lost answer: " + outcome.getKind() + " " + outcome.getReason());
        expect(WxpayJava.isConfirmed(outcome), "lost answer: confirmed");
        expect(outcome.getEvidence() != null && outcome.getEvidence().getSource() == EvidenceSource.QUERY_RESPONSE, "lost answer: the query proved it");
        expect(outcome.getEvidence() != null && Integer.valueOf(200).equals(WxpayJava.status(outcome.getEvidence())), "lost answer: status 200");
        expect(outcome.getEvidence() != null && outcome.getEvidence().getRequestId() != null, "lost answer: a Request-ID");
        expect(WxpayJava.terminateSends(outcome) == 1 && WxpayJava.querySends(outcome) == 1,
            "lost answer: one terminate and one query, got " + WxpayJava.terminateSends(outcome) + "/" + WxpayJava.querySends(outcome));
        report("lost answer", outcome);

        // 2. A typed operation, answered at once.
        AnyOperation typed = new AnyOperation.TerminatePapayContract(WxpayJava.terminatePapayContract(12535L, "wxwtdk20200910100001", "用户解约"));
        outcome = WxpayJava.terminateAndConfirm(client, typed, null, policy);
        expect(outcome.getKind() == OutcomeKind.TERMINATED, "typed: " + outcome.getKind());
        expect(outcome.getEvidence() != null && outcome.getEvidence().getSource() == EvidenceSource.TERMINATE_RESPONSE, "typed: the answer proved it");
        report("typed", outcome);

        // 3. The user ended this one before: refused, and the query says so.
        outcome = WxpayJava.terminateAndConfirm(client, "terminate_papay_contract",
            Map.of("plan_id", 12535L, "out_contract_code", "wxwtdk20200910100009", "contract_termination_remark", "用户解约"), null, policy);
        expect(outcome.getKind() == OutcomeKind.ALREADY_TERMINATED, "refusal: " + outcome.getKind());
        expect(outcome.getError() != null && Integer.valueOf(400).equals(WxpayJava.status(outcome.getError())), "refusal: the 400 is kept");
        report("already terminated", outcome);

        // 4. Bad input: refused with its class before anything is signed.
        try {
            WxpayJava.terminateAndConfirm(client, "query_papay_contract", Map.of("plan_id", 12535L, "out_contract_code", "x"));
            failures.add("a query was accepted as a termination");
        } catch (WxpayException.InvalidInput e) {
            expect("operation".equals(e.getRecord().getField()), "bad input: field " + e.getRecord().getField());
            System.out.println("ok   bad input → WxpayException.InvalidInput: " + e.getMessage());
        }

        // 5. A journal: the request in flight when the process stopped is followed by the query.
        Termination machine = WxpayJava.termination("terminate_eduschoolpay_contract", Map.of("contract_id", "2045011120563805041758214605"), null, policy);
        TerminationStep step = machine.next(client, null, null);
        expect(step instanceof TerminationStep.Send && ((TerminationStep.Send) step).getPurpose() == Purpose.TERMINATE
            && WxpayJava.attempt((TerminationStep.Send) step) == 1, "journal: the terminate first");
        String saved = machine.toJson();   // (store it; it holds no signature)
        expect(!saved.contains("WECHATPAY2"), "journal: no signature");
        machine.close();
        try (Termination resumed = Termination.Companion.fromJson(saved)) {
            TerminationStep next = resumed.next(client, null, null);
            expect(next instanceof TerminationStep.Send && ((TerminationStep.Send) next).getPurpose() == Purpose.QUERY, "journal: the query first");
            HttpResponse<byte[]> response = WxpayJava.send(HTTP, ((TerminationStep.Send) next).getRequest());
            WxpayJava.onResponse(resumed, client, response);  // effective: it was never sent, so the terminate goes now
            outcome = WxpayJava.drive(resumed, client);
        }
        expect(outcome.getKind() == OutcomeKind.TERMINATED, "journal: " + outcome.getKind() + " " + outcome.getReason());
        expect(WxpayJava.terminateSends(outcome) == 2 && WxpayJava.querySends(outcome) == 1, "journal: counts");
        report("journal", outcome);

        for (String f : failures) System.out.println("FAIL " + f);
        System.out.println("java terminate-and-confirm: " + (failures.isEmpty() ? "all passed" : failures.size() + " failed"));
        if (!failures.isEmpty()) System.exit(1);
    }

    private static void report(String name, Outcome outcome) {
        System.out.println("ok   " + name + " → " + outcome.getKind() + ": " + outcome.getReason());
    }

    private static void expect(boolean ok, String what) {
        if (!ok) failures.add(what);
    }

    private static void control(String path, String json) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create(sandbox + path))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(json)).build();
        HttpResponse<String> response = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() / 100 != 2) throw new IllegalStateException(path + " → " + response.statusCode() + " " + response.body());
    }
}
