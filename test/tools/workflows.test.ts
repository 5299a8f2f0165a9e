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
    expect(Object.keys(preview.on)).toEqual(["pull_request"]);
    for (const stack of ["dev", "prod"]) {
      expect(pulumiSteps(preview.jobs[`preview-${stack}`])[0]!.with).toMatchObject({
        command: "preview",
        "stack-name": stack,
        "comment-on-pr": true,
      });
    }
    expect(preview.permissions["pull-requests"]).toBe("write");
    expect(deploy.on.push.branches).toEqual(["main"]);
    expect(pulumiSteps(deploy.jobs.dev)[0]!.with).toMatchObject({ command: "up", "stack-name": "dev" });
    expect(pulumiSteps(deploy.jobs.prod)[0]!.with).toMatchObject({ command: "up", "stack-name": "prod" });
    expect(deploy.jobs.prod.environment).toBe("production");
    expect(deploy.jobs.prod.needs).toBe("dev");
  });

  it("gives secrets only to jobs in an environment, and prod's preview only after a reviewer's approval", () => {
    for (const file of ["preview.yml", "deploy.yml"]) {
      const workflow = parse(readFileSync(join(dir, file), "utf8"));
      for (const [name, job] of Object.entries<any>(workflow.jobs)) {
        if (JSON.stringify(job).includes("secrets.")) expect(job.environment, `${file} ${name}`).toBeTruthy();
      }
    }
    const preview = parse(readFileSync(join(dir, "preview.yml"), "utf8"));
    // The name README tells the operator to protect with required reviewers and read-only credentials.
    expect(preview.jobs["preview-prod"].environment).toBe("production-preview");
    expect(preview.jobs["preview-dev"].environment).toBe("dev");
    for (const job of ["preview-dev", "preview-prod"]) {
      expect(preview.jobs[job].if).toBe("github.event.pull_request.head.repo.full_name == github.repository");
    }
    expect(JSON.stringify(preview.jobs.test)).not.toContain("secrets.");
  });

  it("each up opens SSH to its own runner only, and a second up always closes it", () => {
    const deploy = parse(readFileSync(join(dir, "deploy.yml"), "utf8"));
    for (const stack of ["dev", "prod"]) {
      const steps: any[] = deploy.jobs[stack].steps;
      const [up, close] = pulumiSteps(deploy.jobs[stack]);
      const runner = steps.find((s) => s.id === "runner");
      expect(runner.run).toContain('echo "cidr=$address/32" >> "$GITHUB_OUTPUT"');
      expect(parse(up!.with["config-map"])).toEqual({
        "roamcast:deployCidrs": { value: "${{ steps.runner.outputs.cidr }}", secret: false },
      });
      expect(steps.indexOf(close)).toBe(steps.indexOf(up) + 1);
      expect(close!.if).toMatch(/^always\(\) && /);
      expect(close!.with).toMatchObject({ command: "up", "stack-name": stack, target: firewallUrn(stack) });
      expect(parse(close!.with["config-map"])).toEqual({ "roamcast:deployCidrs": { value: "", secret: false } });
      expect(close!.env).toEqual(up!.env);
    }
  });

  it("previews and ups run the policy pack; the closing up does not, so a violation never keeps SSH open", () => {
    const preview = parse(readFileSync(join(dir, "preview.yml"), "utf8"));
    const deploy = parse(readFileSync(join(dir, "deploy.yml"), "utf8"));
    for (const stack of ["dev", "prod"]) {
      expect(pulumiSteps(preview.jobs[`preview-${stack}`])[0]!.with.policyPacks).toBe("policy");
      const [up, close] = pulumiSteps(deploy.jobs[stack]);
      expect(up!.with.policyPacks).toBe("policy");
      expect(close!.with.policyPacks).toBeUndefined();
    }
  });

  it("backs each stack's state up before its up, with the CLI installed first, and keeps it as an artifact", () => {
    const deploy = parse(readFileSync(join(dir, "deploy.yml"), "utf8"));
    for (const stack of ["dev", "prod"]) {
      const steps: any[] = deploy.jobs[stack].steps;
      const up = steps.indexOf(pulumiSteps(deploy.jobs[stack])[0]);
      const backup = steps.findIndex((s) => s.run === `npm run up -- --stack ${stack} --backup-only`);
      expect(backup).toBeGreaterThan(0);
      expect(steps[backup - 1]).toMatchObject({ uses: "pulumi/actions@v6", with: { "pulumi-version": "3.276.0" } });
      expect(steps[backup + 1]).toMatchObject({
        uses: "actions/upload-artifact@v4",
        with: { name: `state-backup-${stack}`, path: `backups/${stack}/` },
      });
      expect(up).toBe(backup + 2);
      // The backup reads the state only: no passphrase, no cloud token.
      expect(Object.keys(steps[backup].env).sort()).toEqual([
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "PULUMI_BACKEND_URL",
      ]);
    }
  });

  it("smoke-tests each stack right after its up and the deploy rule's removal, so prod waits for a passing dev", () => {
    const deploy = parse(readFileSync(join(dir, "deploy.yml"), "utf8"));
    for (const stack of ["dev", "prod"]) {
      const steps: any[] = deploy.jobs[stack].steps;
      const close = steps.indexOf(pulumiSteps(deploy.jobs[stack])[1]);
      const smoke = steps.findIndex((s) => String(s.run).startsWith(`npm run smoke -- --stack ${stack}`));
      expect(smoke).toBe(close + 1);
      // The password is a secret; nothing of the smoke users is written into the workflow.
      expect(steps[smoke].env.ROAMCAST_SMOKE_PASSWORD).toBe("${{ secrets.ROAMCAST_SMOKE_PASSWORD }}");
      expect(
        Object.values(steps[smoke].env).every((v) => /^\$\{\{ (vars|secrets)\.[A-Z_]+ \}\}$/.test(String(v))),
      ).toBe(true);
    }
  });
});

/** The steps that run a Pulumi command (pulumi/actions with no command only installs the CLI). */
function pulumiSteps(job: any): any[] {
  return job.steps.filter((s: any) => String(s.uses).startsWith("pulumi/actions@") && s.with?.command);
}

/** The firewall's URN; test/unit/stack.test.ts checks that the program creates exactly this one. */
function firewallUrn(stack: string): string {
  return `urn:pulumi:${stack}::roamcast::roamcast:host:LivekitHost$hcloud:index/firewall:Firewall::livekit-firewall`;
}
