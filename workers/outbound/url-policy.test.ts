import { describe, expect, it } from "vitest";
import { isPublicAddress } from "./resolve";
import { outboundUrlProblem, urlProblemInEveryEnvironment } from "./url-policy";

const production = (raw: string) => outboundUrlProblem(raw, { appEnv: "production", field: "url" })?.message;
const local = (raw: string) => outboundUrlProblem(raw, { appEnv: "test", field: "url" })?.message;

/** Special-use and internal names, and every non-public range, each spelled the way an attacker would. */
const INTERNAL_TARGETS = [
  // names
  "https://localhost/",
  "https://localhost./",
  "https://app.localhost/",
  "https://localtest.me/",
  "https://readme.localtest.me/",
  "https://lvh.me/",
  "https://127.0.0.1.nip.io/",
  "https://10-0-0-1.sslip.io/",
  "https://app-192-168-1-1.example.com/",
  "https://10.1.2.3.example.com/",
  "https://metadata/computeMetadata/v1/",
  "https://metadata.google.internal/computeMetadata/v1/",
  "https://metadata.google.internal./computeMetadata/v1/",
  "https://instance-data/latest/meta-data/",
  "https://instance-data.ec2.internal/",
  "https://kubernetes.default.svc/",
  "https://kubernetes.default/",
  "https://kubernetes.default.svc.cluster.local/",
  "https://printer.local/",
  "https://router.home.arpa/",
  "https://wiki.intranet/",
  "https://nas.lan/",
  "https://dc1.corp/",
  "https://host.docker.internal/",
  "https://example.test/",
  "https://hooks.example.com./",
  // IPv4, dotted and otherwise
  "https://127.0.0.1/",
  "https://2130706433/",
  "https://0x7f.1/",
  "https://0177.0.0.1/",
  "https://127.1/",
  "https://0.0.0.0/",
  "https://10.1.2.3/",
  "https://172.16.0.1/",
  "https://172.31.255.255/",
  "https://192.168.1.1/",
  "https://169.254.169.254/latest/meta-data/",
  "https://100.64.0.1/",
  "https://100.127.255.254/",
  "https://198.18.0.1/",
  "https://198.19.255.255/",
  "https://192.0.0.8/",
  "https://192.0.2.10/",
  "https://198.51.100.7/",
  "https://203.0.113.9/",
  "https://224.0.0.251/",
  "https://239.255.255.250/",
  "https://240.0.0.1/",
  "https://255.255.255.255/",
  // IPv6
  "https://[::1]/",
  "https://[::]/",
  "https://[::ffff:127.0.0.1]/",
  "https://[::ffff:169.254.169.254]/",
  "https://[::ffff:7f00:1]/",
  "https://[::127.0.0.1]/",
  "https://[64:ff9b::a9fe:a9fe]/",
  "https://[fc00::1]/",
  "https://[fd12:3456::1]/",
  "https://[fe80::1]/",
  "https://[ff02::1]/",
  "https://[2001:db8::1]/",
  "https://[2001::1]/",
  "https://[2002:7f00:1::1]/",
  "https://[3fff::1]/",
];

describe("the outbound-URL policy in production", () => {
  it.each(INTERNAL_TARGETS)("refuses: an internal target %s", (raw) => {
    expect(production(raw)).toBe("must be a public host");
  });

  it("accepts a public https URL on a public name or a public address", () => {
    expect(production("https://hooks.example.com/apex?x=1")).toBeUndefined();
    expect(production("https://api.openai.com/v1")).toBeUndefined();
    expect(production("https://xn--bcher-kva.de/")).toBeUndefined();
    expect(production("https://8.8.8.8/")).toBeUndefined();
    expect(production("https://[2606:4700:4700::1111]/")).toBeUndefined();
    expect(production("https://hooks.example.com:443/")).toBeUndefined();
  });

  it("refuses: plain http, another scheme, a non-default port and credentials in the URL", () => {
    expect(production("http://hooks.example.com/")).toBe("must use https");
    expect(production("ftp://hooks.example.com/")).toBe("must use https");
    expect(production("file:///etc/passwd")).toBe("must use https");
    expect(production("https://hooks.example.com:8443/")).toBe("must use the default port");
    expect(production("https://user:pass@hooks.example.com/")).toBe("must not carry credentials");
    expect(production("not a url")).toBe("is not a URL");
  });

  it("refuses: an unknown or missing APP_ENV gets the production rule, not the local one", () => {
    for (const appEnv of [undefined, "", "staging", "Development"]) {
      expect(outboundUrlProblem("http://127.0.0.1:8792/", { appEnv, field: "url" })?.message).toBe("must use https");
    }
  });

  it("names the field it was given", () => {
    expect(outboundUrlProblem("https://metadata/", { appEnv: "production", field: "baseUrl" })).toEqual({
      field: "baseUrl",
      message: "must be a public host",
    });
  });
});

describe("the outbound-URL policy in development and tests", () => {
  it("allows plain http and loopback on any port, for the local simulators", () => {
    expect(local("http://127.0.0.1:8792/hooks/x")).toBeUndefined();
    expect(local("http://localhost:8793/openai/v1")).toBeUndefined();
    expect(local("http://[::1]:8791/")).toBeUndefined();
    expect(local("http://hooks.example.com:8080/")).toBeUndefined();
  });

  it("refuses: every internal target that is not plain loopback", () => {
    const loopback = new Set([
      "https://localhost/",
      "https://127.0.0.1/",
      "https://2130706433/",
      "https://0x7f.1/",
      "https://0177.0.0.1/",
      "https://127.1/",
      "https://[::1]/",
    ]);
    for (const raw of INTERNAL_TARGETS.filter((target) => !loopback.has(target))) {
      expect(local(raw), raw).toBe("must be a public host");
    }
  });

  it("the environment-free check refuses internal targets but leaves http and loopback to the environment", () => {
    expect(urlProblemInEveryEnvironment("http://169.254.169.254/", "websiteUrl")?.message).toBe(
      "must be a public host",
    );
    expect(urlProblemInEveryEnvironment("http://127.0.0.1:8792/sites/x", "websiteUrl")).toBeUndefined();
  });
});

describe("resolved addresses", () => {
  it("only public unicast answers pass the resolve-then-check", () => {
    for (const address of [
      "10.0.0.5",
      "127.0.0.1",
      "169.254.169.254",
      "100.64.1.1",
      "::1",
      "fd00::5",
      "::ffff:10.0.0.1",
    ]) {
      expect(isPublicAddress(address), address).toBe(false);
    }
    expect(isPublicAddress("93.184.215.14")).toBe(true);
    expect(isPublicAddress("2606:2800:21f:cb07:6820:80da:af6b:8b2c")).toBe(true);
    expect(isPublicAddress("not an address")).toBe(false);
  });
});
