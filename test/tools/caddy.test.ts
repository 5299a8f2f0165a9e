// caddy.yaml adapted and validated by a Caddy built with layer4 and a YAML adapter.
import { describe, expect, it } from "vitest";
import { caddyConfig } from "../../templates/caddy";
import { renderHost } from "../../templates";
import { goTool, run } from "../../local/processes";
import { nodeModel, testModel } from "../support/fixtures";
import { writeTemp } from "../../local/temp";

// The one server, and node 2 of a two-node stack (its own names and certificates).
for (const [label, model] of [
  ["one server", testModel()],
  ["node 2 of 2", nodeModel(2, 2)],
] as const) {
  const caddyYaml = renderHost(model).files.find((f) => f.name === "caddy.yaml")!.content;

  describe(`caddy.yaml under Caddy with layer4 (${label})`, () => {
    it("the build carries the layer4 app and the yaml adapter", () => {
      const modules = run(goTool("caddy"), ["list-modules"]).stdout;
      expect(modules).toMatch(/^layer4$/m);
      expect(modules).toMatch(/^layer4\.matchers\.tls$/m);
      expect(modules).toMatch(/^layer4\.handlers\.proxy$/m);
      expect(modules).toMatch(/^caddy\.adapters\.yaml$/m);
    });

    it("validates: every module provisions with the rendered settings", () => {
      const result = run(goTool("caddy"), [
        "validate",
        "--config",
        writeTemp("caddy.yaml", caddyYaml),
        "--adapter",
        "yaml",
      ]);
      expect(result.stderr + result.stdout).toContain("Valid configuration");
      expect(result.status).toBe(0);
    });

    it("adapts to exactly the JSON the renderer meant", () => {
      const result = run(goTool("caddy"), [
        "adapt",
        "--config",
        writeTemp("caddy.yaml", caddyYaml),
        "--adapter",
        "yaml",
      ]);
      expect(result.status).toBe(0);
      expect(JSON.parse(result.stdout)).toEqual(JSON.parse(JSON.stringify(caddyConfig(model))));
    });

    it("refuses a misspelt handler, so the check above can fail", () => {
      const broken = caddyYaml.replace("handler: proxy", "handler: proxxy");
      expect(broken).not.toBe(caddyYaml);
      const result = run(goTool("caddy"), [
        "validate",
        "--config",
        writeTemp("caddy.yaml", broken),
        "--adapter",
        "yaml",
      ]);
      expect(result.status).not.toBe(0);
      expect(result.stderr).toMatch(/proxxy/);
    });
  });
}
