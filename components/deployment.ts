// Pushes the rendered host files over SSH and restarts the stack when any of
// them changed: one staged copy per file (the preview names the file that
// changes), then one apply step that rolls back to the last good files if
// the stack does not come back healthy.
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "node:crypto";
import { HOST_FILE_LAYOUT, type HostFileLayout, type HostFileName } from "../templates";
import { applyScript, authorizedKeysScript, sshReachableScript, stageFileScript } from "../templates/deployScripts";
import type { ActiveTourMode } from "../templates/tourGuard";

export interface LivekitDeploymentArgs {
  readonly host: pulumi.Input<string>;
  readonly privateKey: pulumi.Input<string>;
  /** The files this host gets (templates hostFileLayout); every one single-server stacks ever had by default. */
  readonly layout?: readonly HostFileLayout[];
  readonly contents: Readonly<Partial<Record<HostFileName, pulumi.Input<string>>>>;
  readonly authorizedKeys: pulumi.Input<string>;
  /** Anything whose replacement means a fresh host (the server id). */
  readonly serverId: pulumi.Input<string>;
  /** When rooms have people in them at apply time: refuse, wait up to activeTourWaitMinutes, or force. */
  readonly activeTours: ActiveTourMode;
  readonly activeTourWaitMinutes: number;
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
/** Command output goes to the engine's log on stderr only: the stdout of a step may carry file contents. */
const LOGGING = "stderr" as const;

function contentOf(args: LivekitDeploymentArgs, name: HostFileName): pulumi.Input<string> {
  const content = args.contents[name];
  if (content === undefined) throw new Error(`LivekitDeployment: no content for ${name}, which the layout lists`);
  return content;
}

export class LivekitDeployment extends pulumi.ComponentResource {
  /** sha256 of each deployed file, in layout order. */
  readonly fileHashes: pulumi.Output<string[]>;

  constructor(name: string, args: LivekitDeploymentArgs, opts?: pulumi.ComponentResourceOptions) {
    // Aliased to the type token used before the layout move, so existing stacks keep these resources.
    super(
      "roamcast:deployment:LivekitDeployment",
      name,
      {},
      { ...opts, aliases: [...(opts?.aliases ?? []), { type: "roamcast:livekit:Deployment" }] },
    );
    // Hashes, not contents, decide the restart; a hash of a secret file stays secret.
    const layout = args.layout ?? HOST_FILE_LAYOUT;
    this.fileHashes = pulumi.all(layout.map((f) => pulumi.output(contentOf(args, f.name)).apply(sha256)));
    // A component's dependsOn does not hold its children back: the first step
    // (which every later one follows) takes it, so the whole deployment waits
    // for the host's resources and, with several nodes, for the previous node's deployment.
    const reachable = this.checkReachable(name, args, opts?.dependsOn);
    const connection: command.types.input.remote.ConnectionArgs = {
      host: args.host,
      user: "root",
      privateKey: args.privateKey,
      // Bounded (about two minutes at worst): the check already waited for sshd.
      dialErrorLimit: 8,
      perDialTimeout: 15,
    };
    const staged = this.stageFiles(name, args, layout, connection, reachable);

    // The apply step knows each file's intended hash: it installs only those
    // contents, keeps them staged until the stack is healthy on them, and
    // fails rather than restart on anything else.
    const tourGuard = { mode: args.activeTours, waitSeconds: args.activeTourWaitMinutes * 60 };
    const apply = this.fileHashes.apply((hashes) =>
      applyScript(
        layout.map((f, i) => ({ name: f.name, path: f.path, services: f.services, sha256: hashes[i]! })),
        { tourGuard },
      ),
    );
    new command.remote.Command(
      `${name}-apply`,
      { connection, create: apply, triggers: [args.serverId, this.fileHashes], logging: LOGGING },
      { parent: this, dependsOn: [reachable, ...staged] },
    );

    this.registerOutputs({ fileHashes: this.fileHashes });
  }

  /**
   * Before any SSH step: does 22/tcp answer from this machine? It waits for a
   * new server's sshd within a bound and otherwise fails saying what to check
   * (operatorCidrs, or the workflow's deploy rule), instead of the SSH steps'
   * bare dial errors. It runs whenever an SSH step has new work; an SSH step
   * retried after a failure relies on its own bounded dials.
   */
  private checkReachable(
    name: string,
    args: LivekitDeploymentArgs,
    after: pulumi.ResourceOptions["dependsOn"],
  ): command.local.Command {
    return new command.local.Command(
      `${name}-ssh-reachable`,
      {
        interpreter: ["/bin/bash", "-c"],
        create: sshReachableScript(),
        environment: { ROAMCAST_DEPLOY_HOST: args.host },
        triggers: [args.serverId, this.fileHashes, pulumi.output(args.authorizedKeys).apply(sha256)],
        logging: LOGGING,
      },
      { parent: this, dependsOn: after },
    );
  }

  /** The deploy key's authorized_keys, and one staged copy per host file (the preview names each file that changes). */
  private stageFiles(
    name: string,
    args: LivekitDeploymentArgs,
    layout: readonly HostFileLayout[],
    connection: command.types.input.remote.ConnectionArgs,
    reachable: command.local.Command,
  ): command.remote.Command[] {
    const afterCheck = { parent: this, dependsOn: [reachable] };
    new command.remote.Command(
      `${name}-authorized-keys`,
      {
        connection,
        create: authorizedKeysScript(),
        stdin: args.authorizedKeys,
        triggers: [args.serverId],
        logging: LOGGING,
      },
      afterCheck,
    );
    return layout.map(
      (file) =>
        new command.remote.Command(
          `${name}-file-${file.name}`,
          {
            connection,
            create: stageFileScript(file),
            stdin: contentOf(args, file.name),
            triggers: [args.serverId],
            logging: LOGGING,
          },
          afterCheck,
        ),
    );
  }
}
