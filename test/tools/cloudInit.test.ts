// cloud-init.yaml checked by Debian's cloud-init and read back by PyYAML
// (YAML 1.1, as cloud-init reads it on the server).
import { describe, expect, it } from "vitest";
import { cloudInitConfig } from "../../templates/cloudInit";
import { renderHost } from "../../templates";
import { run, systemTool } from "../../local/processes";
import { testModel } from "../support/fixtures";
import { writeTemp } from "../../local/temp";

const rendered = renderHost(testModel());

describe("cloud-init.yaml under cloud-init", () => {
  it("is accepted by cloud-init's schema check", () => {
    const result = run(systemTool("cloud-init", "cloud-init"), [
      "schema",
      "-c",
      writeTemp("cloud-init.yaml", rendered.cloudInit),
    ]);
    expect(result.stdout + result.stderr).toContain("Valid cloud-config");
    expect(result.status).toBe(0);
  });

  it("reads back, with YAML 1.1 rules, as exactly the object rendered", () => {
    const script = "import sys, json, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))";
    const result = run(systemTool("python3", "python3-yaml"), [
      "-c",
      script,
      writeTemp("cloud-init.yaml", rendered.cloudInit),
    ]);
    expect(result.status, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual(JSON.parse(JSON.stringify(cloudInitConfig())));
  });

  it("refuses a misspelt module key, so the check above can fail", () => {
    const broken = rendered.cloudInit.replace("package_update: true", "package_update: sometimes");
    const result = run(systemTool("cloud-init", "cloud-init"), ["schema", "-c", writeTemp("cloud-init.yaml", broken)]);
    expect(result.status).not.toBe(0);
    expect(result.stdout + result.stderr).toMatch(/package_update/);
  });
});
