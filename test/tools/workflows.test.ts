// The GitHub Actions workflows shipped for the project's users, checked by actionlint.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { goTool, run } from "../../local/processes";
import { writeTemp } from "../../local/temp";

const dir = join(__dirname, "..", "..", ".github", "workflows");
const files = readdirSync(dir)
  .filter((f) => f.endsWith(".yml"))
  .map((f) => join(dir, f));

describe("GitHub Actions workflows", () => {
  it("pass actionlint", () => {
    const result = run(goTool("actionlint"), ["-no-color", ...files]);
    expect(result.stdout + result.stderr).toBe("");
    expect(result.status).toBe(0);
  });

  it("actionlint fails a broken workflow, so the check above can fail", () => {
    const broken = readFileSync(join(dir, "preview.yml"), "utf8").replace(
      "runs-on: ubuntu-24.04",
      "runs-on: ubuntu-24.04\n    needs: nothing-here",
    );
    const result = run(goTool("actionlint"), ["-no-color", writeTemp("broken.yml", broken)]);
    expect(result.status).not.toBe(0);
    expect(result.stdout).toContain("nothing-here");
  });

  it("preview comments on pull requests, dev follows main, prod waits for approval", () => {
    const preview = parse(readFileSync(join(dir, "preview.yml"), "utf8"));
    const deploy = parse(readFileSync(join(dir, "deploy.yml"), "utf8"));
    const pulumiStep = (job: any) => job.steps.find((s: any) => String(s.uses).startsWith("pulumi/actions@"));
    expect(Object.keys(preview.on)).toEqual(["pull_request"]);
    expect(pulumiStep(preview.jobs.preview).with).toMatchObject({ command: "preview", "comment-on-pr": true });
    expect(preview.permissions["pull-requests"]).toBe("write");
    expect(deploy.on.push.branches).toEqual(["main"]);
    expect(pulumiStep(deploy.jobs.dev).with).toMatchObject({ command: "up", "stack-name": "dev" });
    expect(pulumiStep(deploy.jobs.prod).with).toMatchObject({ command: "up", "stack-name": "prod" });
    expect(deploy.jobs.prod.environment).toBe("production");
    expect(deploy.jobs.prod.needs).toBe("dev");
  });

  it("smoke-tests each stack right after its up, so prod waits for a passing dev", () => {
    const deploy = parse(readFileSync(join(dir, "deploy.yml"), "utf8"));
    for (const stack of ["dev", "prod"]) {
      const steps: any[] = deploy.jobs[stack].steps;
      const up = steps.findIndex((s) => String(s.uses).startsWith("pulumi/actions@"));
      const smoke = steps.findIndex((s) => String(s.run).startsWith(`npm run smoke -- --stack ${stack}`));
      expect(smoke).toBe(up + 1);
      // The password is a secret; nothing of the smoke users is written into the workflow.
      expect(steps[smoke].env.ROAMCAST_SMOKE_PASSWORD).toBe("${{ secrets.ROAMCAST_SMOKE_PASSWORD }}");
      expect(
        Object.values(steps[smoke].env).every((v) => /^\$\{\{ (vars|secrets)\.[A-Z_]+ \}\}$/.test(String(v))),
      ).toBe(true);
    }
  });
});
