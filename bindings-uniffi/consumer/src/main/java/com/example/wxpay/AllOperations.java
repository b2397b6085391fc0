package com.example.wxpay;

import com.wxpayterminate.Client;
import com.wxpayterminate.JsonResult;
import com.wxpayterminate.Parsed;
import com.wxpayterminate.WxpayException;
import com.wxpayterminate.WxpayJava;
import com.wxpayterminate.catalog.AnyOutput;
import com.wxpayterminate.catalog.ClientConfig;
import com.wxpayterminate.catalog.ErrorRecord;
import com.wxpayterminate.catalog.RequestRecord;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.json.JSONArray;
import org.json.JSONObject;

/**
 * Plain Java: every operation of tests/sandbox/e2e_plan.json ("terminations") built, signed, sent
 * with java.net.http and verified against the sandbox (SANDBOX_URL), then every injected fault and
 * business error ("failures") caught by its own Java class. Exit status 1 if anything is off.
 */
public final class AllOperations {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static String sandbox;
    private static int passed;
    private static final List<String> failures = new ArrayList<>();

    public static void main(String[] args) throws Exception {
        Path root = Path.of(System.getProperty("repo.root", "."));
        sandbox = System.getenv("SANDBOX_URL");
        if (sandbox == null) throw new IllegalStateException("SANDBOX_URL is not set (run under tests/sandbox/with_sandbox.py)");
        JSONObject plan = new JSONObject(Files.readString(root.resolve("tests/sandbox/e2e_plan.json")));
        JSONObject m = plan.getJSONObject("merchant");

        ClientConfig config = WxpayJava.config(m.getString("mchid"), m.getString("serial_no"));
        config.setPrivateKey(Files.readString(root.resolve(m.getString("private_key"))));
        config.setWechatpayPublicKeyId(m.getString("wechatpay_public_key_id"));
        config.setWechatpayPublicKey(Files.readString(root.resolve(m.getString("wechatpay_public_key"))));
        List<String> certificates = new ArrayList<>();
        for (Object path : m.getJSONArray("platform_certificates")) certificates.add(Files.readString(root.resolve((String) path)));
        config.setPlatformCertificates(certificates);
        config.setBaseUrl(sandbox);
        config.setGlobalBaseUrl(sandbox);
        Client client = new Client(config);

        control("/sandbox/reset", "{}");
        JSONArray terminations = plan.getJSONArray("terminations");
        for (int i = 0; i < terminations.length(); i++) {
            JSONObject step = terminations.getJSONObject(i);
            String op = step.getString("operation");
            JSONObject params = step.getJSONObject("params");
            int before = failures.size();
            try {
                RequestRecord req = build(client, op, params);
                HttpResponse<byte[]> response = WxpayJava.send(HTTP, req);
                JsonResult result = WxpayJava.parseJson(client, req, response);
                String detail = "";
                if (op.equals("terminate_papay_contract")) {
                    // The typed result too, from the same verified bytes.
                    Parsed typed = WxpayJava.parse(client, req, response);
                    AnyOutput.PapayContract contract = (AnyOutput.PapayContract) typed.getData();
                    detail = " (typed: " + contract.getV1().getContractId() + " → " + contract.getV1().getContractState() + ")";
                    expect(contract.getV1().getContractState().equals("TERMINATED"), op, "typed contract state");
                }
                expect(result.getStatus() == step.getInt("status"), op, "status " + result.getStatus());
                expect(result.getRequestId() != null, op, "no Request-ID");
                if (step.isNull("data")) {
                    expect(result.getJson() == null, op, "a 204 has no result");
                } else {
                    JSONObject data = new JSONObject(result.getJson());
                    expect(contains(data, step.getJSONObject("data")), op, data + " lacks " + step.getJSONObject("data"));
                }
                if (failures.size() == before) {
                    System.out.println("ok   " + op + ": " + result.getStatus() + ", verified" + detail);
                    passed++;
                }
            } catch (WxpayException e) {
                failures.add(op + ": " + e.getClass().getSimpleName() + ": " + e.getMessage());
            }
        }

        JSONArray errors = plan.getJSONArray("failures");
        for (int i = 0; i < errors.length(); i++) {
            JSONObject step = errors.getJSONObject(i);
            String name = step.getString("name");
            JSONObject want = step.getJSONObject("error");
            control("/sandbox/reset", "{}");
            RequestRecord req = WxpayJava.prepareJson(client, step.getString("operation"), step.getJSONObject("params").toMap());
            if (!step.isNull("fault")) control("/sandbox/faults", new JSONObject().put("fault", step.getString("fault")).put("count", 1).toString());
            HttpResponse<byte[]> response = WxpayJava.send(HTTP, req);
            int before = failures.size();
            String caught;
            WxpayException error;
            try {
                WxpayJava.parseJson(client, req, response);
                failures.add(name + ": accepted");
                continue;
            } catch (WxpayException.SignatureProbe e) {
                caught = "signature_probe"; error = e;
            } catch (WxpayException.InvalidSignature e) {
                caught = "invalid_signature"; error = e;
            } catch (WxpayException.ClockSkew e) {
                caught = "clock_skew"; error = e;
            } catch (WxpayException.UnsignedResponse e) {
                caught = "unsigned_response"; error = e;
            } catch (WxpayException.UnknownSerial e) {
                caught = "unknown_serial"; error = e;
                expect(e.getRecord().getSerial() != null, name, "the unknown serial is named");
            } catch (WxpayException.Api e) {
                caught = "api"; error = e;
                ErrorRecord r = e.getRecord();
                expect(Integer.valueOf(want.getInt("status")).equals(WxpayJava.status(r)), name, "status " + WxpayJava.status(r));
                expect(want.getString("code").equals(r.getCode()), name, "code " + r.getCode());
                expect(want.getBoolean("retryable") == r.getRetryable(), name, "retryable " + r.getRetryable());
                expect(r.getRequestId() != null, name, "no Request-ID");
            } catch (WxpayException e) {
                failures.add(name + ": unexpected " + e.getClass().getName() + ": " + e.getMessage());
                continue;
            }
            expect(caught.equals(want.getString("kind")), name, "caught " + caught + ", expected " + want.getString("kind"));
            expect(caught.equals(error.record().getKind()), name, "record kind " + error.record().getKind());
            String message = error.getMessage();
            expect(message != null && message.equals(error.record().getMessage()) && !message.contains("record="), name, "message " + message);
            if (failures.size() == before) {
                System.out.println("ok   " + name + " → WxpayException." + error.getClass().getSimpleName() + ": " + message);
                passed++;
            }
        }

        int total = terminations.length() + errors.length();
        System.out.println("java: " + terminations.length() + " operations and " + errors.length() + " error cases against the sandbox");
        for (String f : failures) System.out.println("FAIL " + f);
        int failed = total - passed;
        System.out.println(passed + " passed, " + failed + " failed");
        if (failed != 0 || !failures.isEmpty()) System.exit(1);
    }

    /** The two seed endpoints with unsigned 64-bit fields through their typed factories; the others by id and map. */
    private static RequestRecord build(Client client, String op, JSONObject p) throws WxpayException {
        switch (op) {
            case "terminate_papay_contract":
                return client.terminatePapayContract(WxpayJava.terminatePapayContract(
                    p.getLong("plan_id"), p.getString("out_contract_code"), p.getString("contract_termination_remark")), null, null);
            case "terminate_password_exempt_contract":
                return client.terminatePasswordExemptContract(WxpayJava.terminatePasswordExemptContract(
                    p.getLong("service_id"), p.getString("out_contract_code"), p.getString("contract_termination_remark")), null, null);
            default:
                return WxpayJava.prepareJson(client, op, p.toMap());
        }
    }

    private static void expect(boolean ok, String name, String what) {
        if (!ok) failures.add(name + ": " + what);
    }

    private static boolean contains(JSONObject actual, JSONObject want) {
        for (String key : want.keySet()) {
            Object w = want.get(key);
            if (!actual.has(key)) return false;
            if (w instanceof JSONObject) {
                if (!contains(actual.getJSONObject(key), (JSONObject) w)) return false;
            } else if (!actual.get(key).toString().equals(w.toString())) {
                return false;
            }
        }
        return true;
    }

    private static void control(String path, String json) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(sandbox + path))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(json)).build();
        HttpResponse<String> response = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() / 100 != 2) throw new IllegalStateException(path + " → " + response.statusCode() + " " + response.body());
    }
}
