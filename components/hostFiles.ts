// The LiveKit host's secrets and rendered files. Secrets are generated here
// and stay Pulumi secrets in every file and in the state; user data holds none.
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { type HostFileLayout, hostFileLayout, type HostFileName, renderHost } from "../templates";
import { renderCloudInit } from "../templates/cloudInit";
import type { HostSettings } from "../plans/host";

export interface LivekitHostFilesArgs {
  /** Names, images, room policy and webhook: see components/hostPlan.ts. */
  readonly host: HostSettings;
  readonly publicIpv4: pulumi.Input<string>;
  readonly publicIpv6: pulumi.Input<string>;
  /** From the stack config, a Pulumi secret: the SMTP password or the webhook URL Alertmanager uses. */
  readonly alertReceiverSecret: pulumi.Input<string>;
  /** Node 2 and later of several: node 1's files, whose API key, API secret and Redis password every node shares. */
  readonly secretsFrom?: LivekitHostFiles;
}

export class LivekitHostFiles extends pulumi.ComponentResource {
  readonly apiKey: pulumi.Output<string>;
  readonly apiSecret: pulumi.Output<string>;
  readonly redisPassword: pulumi.Output<string>;
  /** The files this host gets (no Redis files on a node that uses node 1's Redis). */
  readonly layout: readonly HostFileLayout[];
  /** Each host file's content (of the files in `layout`); those of files that hold secrets are secret outputs. */
  readonly contents: Readonly<Partial<Record<HostFileName, pulumi.Output<string>>>>;
  /** First-boot user data: no host file and no secret (the metadata service serves it to the host). */
  readonly cloudInit: pulumi.Output<string>;

  constructor(name: string, args: LivekitHostFilesArgs, opts?: pulumi.ComponentResourceOptions) {
    // Aliased to the type token used before the layout move, so existing stacks keep these resources.
    super(
      "roamcast:hostFiles:LivekitHostFiles",
      name,
      {},
      { ...opts, aliases: [...(opts?.aliases ?? []), { type: "roamcast:livekit:Config" }] },
    );
    const shared = args.secretsFrom ?? this.generateSecrets(name);
    this.apiKey = shared.apiKey;
    this.apiSecret = shared.apiSecret;
    this.redisPassword = shared.redisPassword;
    this.layout = hostFileLayout(args.host);

    const rendered = pulumi
      .all([
        this.apiKey,
        this.apiSecret,
        this.redisPassword,
        args.publicIpv4,
        args.publicIpv6,
        args.alertReceiverSecret,
      ])
      .apply(([apiKey, secret, redis, ipv4, ipv6, alertReceiverSecret]) =>
        renderHost({
          ...args.host,
          publicIpv4: ipv4,
          publicIpv6: ipv6,
          secrets: { apiKey, apiSecret: secret, redisPassword: redis, alertReceiverSecret },
        }),
      );
    const contents = {} as Record<HostFileName, pulumi.Output<string>>;
    for (const layout of this.layout) {
      const content = rendered.files.apply((files) => files.find((f) => f.name === layout.name)!.content);
      // A file without a secret in it is shown in previews, so a diff names the change.
      contents[layout.name] = layout.secret ? pulumi.secret(content) : pulumi.unsecret(content);
    }
    this.contents = contents;
    // The same text for every stack: it depends on no setting and no secret.
    this.cloudInit = pulumi.output(renderCloudInit());
    this.registerOutputs({ apiKey: this.apiKey, apiSecret: this.apiSecret });
  }

  /** The API key and secret and the Redis password, generated once per stack (by node 1's files). */
  private generateSecrets(name: string) {
    const child = { parent: this };
    const keySuffix = new random.RandomString(
      `${name}-api-key`,
      { length: 12, special: false, upper: true, lower: true, numeric: true },
      child,
    );
    const apiSecret = new random.RandomPassword(`${name}-api-secret`, { length: 48, special: false }, child);
    const redisPassword = new random.RandomPassword(`${name}-redis-password`, { length: 40, special: false }, child);
    return {
      apiKey: pulumi.secret(pulumi.interpolate`API${keySuffix.result}`),
      apiSecret: pulumi.secret(apiSecret.result),
      redisPassword: pulumi.secret(redisPassword.result),
    };
  }
}
