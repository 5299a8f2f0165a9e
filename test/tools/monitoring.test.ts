// The rendered monitoring files under the real tools: promtool checks
// prometheus.yml and the alert rules and runs the rules on synthetic series
// (each alert fires on one set and stays quiet on another); amtool checks
// alertmanager.yml for both receiver kinds.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { goTool, run } from "../../local/processes";
import { tempDir } from "../../local/temp";
import { renderHost } from "../../templates";
import { ALERT_RULES_FILE, type AlertRule, alertRules } from "../../templates/alertRules";
import { renderAlertmanagerYaml } from "../../templates/alertmanager";
import { toYaml } from "../../templates/yaml";
import { emailReceiverModel, nodeModel, testModel } from "../support/fixtures";
import { ALERT_CASES, type AlertCase } from "./monitoring/alertCases";

const model = testModel();
const files = renderHost(model).files;
const file = (name: string) => files.find((f) => f.name === name)!.content;
const rules = alertRules(model).groups.flatMap((g) => g.rules);

/** The rendered files in a fresh folder, as they sit beside each other on the host. */
function hostFolder(overrides: Record<string, string> = {}): string {
  const dir = tempDir();
  for (const name of ["prometheus.yml", ALERT_RULES_FILE, "alertmanager.yml"])
    writeFileSync(join(dir, name), overrides[name] ?? file(name));
  return dir;
}

/** The annotations promtool should see: the rule's templates with the case's labels and value filled in. */
function expectedAnnotations(rule: AlertRule, labels: Record<string, string>, value = ""): Record<string, string> {
  const fill = (text: string) =>
    text
      .replace(/\{\{ \$labels\.(\w+) \}\}/g, (_, name: string) => labels[name] ?? "")
      .replace(/\{\{ \$value \| humanize(Duration|Percentage)? \}\}/g, value);
  return { summary: fill(rule.annotations.summary), description: fill(rule.annotations.description) };
}

/**
 * promtool rule-test files, one per sample interval: promtool evaluates the
 * rules every evaluation_interval up to each eval_time, so the cases that
 * look back days are evaluated hourly rather than 11,000 times.
 */
function ruleTestFiles(cases: Readonly<Record<string, AlertCase>>): Map<string, string> {
  const byInterval = new Map<string, unknown[]>();
  for (const [alert, c] of Object.entries(cases)) {
    const rule = rules.find((r) => r.alert === alert)!;
    const interval = c.fires.interval ?? "1m";
    expect(c.quiet.interval ?? "1m", alert).toBe(interval);
    const group = (name: string, scenario: AlertCase["quiet"], expected: unknown[]) => ({
      name: `${alert} ${name}`,
      interval,
      input_series: scenario.input,
      alert_rule_test: [{ eval_time: scenario.evalTime, alertname: alert, exp_alerts: expected }],
    });
    const labels = { ...c.fires.labels, ...rule.labels };
    const tests = byInterval.get(interval) ?? [];
    tests.push(
      group("fires", c.fires, [
        { exp_labels: labels, exp_annotations: expectedAnnotations(rule, labels, c.fires.value) },
      ]),
      group("stays quiet", c.quiet, []),
    );
    byInterval.set(interval, tests);
  }
  return new Map(
    [...byInterval].map(([interval, tests]) => [
      `alerts-${interval}.test.yml`,
      toYaml({ rule_files: [ALERT_RULES_FILE], evaluation_interval: interval, tests }),
    ]),
  );
}

function promtoolTestRules(rulesYaml = file(ALERT_RULES_FILE), cases = ALERT_CASES) {
  const dir = hostFolder({ [ALERT_RULES_FILE]: rulesYaml });
  const testFiles = ruleTestFiles(cases);
  for (const [name, content] of testFiles) writeFileSync(join(dir, name), content);
  return run(goTool("promtool"), ["test", "rules", ...testFiles.keys()], { cwd: dir });
}

describe("prometheus.yml and the alert rules under promtool", () => {
  it("promtool check config accepts prometheus.yml with the rules file beside it", () => {
    const dir = hostFolder();
    const result = run(goTool("promtool"), ["check", "config", join(dir, "prometheus.yml")]);
    expect(result.stdout + result.stderr).toContain("SUCCESS");
    expect(result.stdout).toContain(`${rules.length} rules found`);
    expect(result.status).toBe(0);
  });

  it("promtool check config accepts node 2 of 2's prometheus.yml, which scrapes no Redis exporter", () => {
    const node2 = renderHost(nodeModel(2, 2)).files.find((f) => f.name === "prometheus.yml")!.content;
    expect(node2).not.toContain("job_name: redis");
    const dir = hostFolder({ "prometheus.yml": node2 });
    const result = run(goTool("promtool"), ["check", "config", join(dir, "prometheus.yml")]);
    expect(result.stdout + result.stderr).toContain("SUCCESS");
    expect(result.status).toBe(0);
  });

  it("promtool check rules accepts every rule", () => {
    const dir = hostFolder();
    const result = run(goTool("promtool"), ["check", "rules", join(dir, ALERT_RULES_FILE)]);
    expect(result.stdout).toContain(`SUCCESS: ${rules.length} rules found`);
    expect(result.status).toBe(0);
  });

  it("promtool refuses a rule with a misspelt function, so the checks above can fail", () => {
    const broken = file(ALERT_RULES_FILE).replace("rate(node_cpu_seconds_total", "rat(node_cpu_seconds_total");
    expect(broken).not.toBe(file(ALERT_RULES_FILE));
    const dir = hostFolder({ [ALERT_RULES_FILE]: broken });
    const result = run(goTool("promtool"), ["check", "rules", join(dir, ALERT_RULES_FILE)]);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/rat/);
  });

  it("every alert has a case that fires it and one that must not, on the same metrics", () => {
    expect(Object.keys(ALERT_CASES).sort()).toEqual(rules.map((r) => r.alert).sort());
    // A quiet case without the firing case's series would be quiet for want of data.
    const metrics = (s: AlertCase["quiet"]) => new Set(s.input.map((i) => i.series.split("{")[0]));
    for (const [alert, c] of Object.entries(ALERT_CASES))
      for (const name of metrics(c.fires)) expect(metrics(c.quiet).has(name), `${alert}: ${name}`).toBe(true);
  });

  it("promtool test rules: each alert fires on its series, with its labels and annotations, and stays quiet on the others", () => {
    const result = promtoolTestRules();
    expect(result.stderr + result.stdout).toContain("SUCCESS");
    expect(result.status).toBe(0);
  });

  it.each([
    ["a threshold moves", "HostCpuHigh fires", "[5m]))) > 80", "[5m]))) > 95"],
    ["a filter goes", "TrafficAllowanceAtRisk stays quiet", '{device!~"lo|docker.*|veth.*|br-.*"}', ""],
    ["an annotation changes", "HostDiskFull fires", "above 85 % full", "above 85% full"],
  ])("the rule tests fail when %s (%s), so they test something", (_, failing, from, to) => {
    const alert = failing.split(" ")[0]!;
    const changed = file(ALERT_RULES_FILE).replace(from, to);
    expect(changed).not.toBe(file(ALERT_RULES_FILE));
    const result = promtoolTestRules(changed, { [alert]: ALERT_CASES[alert]! });
    expect(result.status).not.toBe(0);
    expect(result.stderr + result.stdout).toContain(`name: ${failing},`);
  });
});

describe("alertmanager.yml under amtool", () => {
  const check = (yaml: string) => {
    const dir = hostFolder({ "alertmanager.yml": yaml });
    return run(goTool("amtool"), ["check-config", join(dir, "alertmanager.yml")]);
  };

  it("accepts the webhook receiver", () => {
    const result = check(file("alertmanager.yml"));
    expect(result.stdout).toContain("SUCCESS");
    expect(result.stdout).toMatch(/- 1 receivers/);
    expect(result.status).toBe(0);
  });

  it("accepts the e-mail receiver", () => {
    const email = emailReceiverModel();
    const result = check(renderAlertmanagerYaml(email));
    expect(result.stdout).toContain("SUCCESS");
    expect(result.status).toBe(0);
  });

  it("refuses a route to a receiver that does not exist, so the checks above can fail", () => {
    const broken = file("alertmanager.yml").replace("receiver: operators", "receiver: nobody");
    expect(broken).not.toBe(file("alertmanager.yml"));
    const result = check(broken);
    expect(result.status).not.toBe(0);
    expect(result.stdout + result.stderr).toContain('undefined receiver "nobody"');
  });
});
