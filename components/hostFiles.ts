// The LiveKit host's secrets and rendered files. Secrets are generated here
// and stay Pulumi secrets in every file and in the state; user data holds none.
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { HOST_FILE_LAYOUT, type HostFileName, renderHost } from "../templates";
import { renderCloudInit } from "../templates/cloudInit";
import type { HostSettings } from "../plans/host";

export interface LivekitHostFilesArgs {
  /** Names, images, room policy and webhook: see components/hostPlan.ts. */
  readonly host: HostSettings;
  readonly publicIpv4: pulumi.Input<string>;
  readonly publicIpv6: pulumi.Input<string>;
  /** From the stack config, a Pulumi secret: the SMTP password or the webhook URL Alertmanager uses. */
  readonly alertReceiverSecret: pulumi.Input<string>;
}

export class LivekitHostFiles extends pulumi.ComponentResource {
  readonly apiKey: pulumi.Output<string>;
  readonly apiSecret: pulumi.Output<string>;
  /** Each host file's content; those of files that hold secrets are secret outputs. */
  readonly contents: Readonly<Record<HostFileName, pulumi.Output<string>>>;
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
    const child = { parent: this };
    const keySuffix = new random.RandomString(
      `${name}-api-key`,
      { length: 12, special: false, upper: true, lower: true, numeric: true },
      child,
    );
    const apiSecret = new random.RandomPassword(`${name}-api-secret`, { length: 48, special: false }, child);
    const redisPassword = new random.RandomPassword(`${name}-redis-password`, { length: 40, special: false }, child);

    this.apiKey = pulumi.secret(pulumi.interpolate`API${keySuffix.result}`);
    this.apiSecret = pulumi.secret(apiSecret.result);

    const rendered = pulumi
      .all([
        this.apiKey,
        this.apiSecret,
        redisPassword.result,
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
    for (const layout of HOST_FILE_LAYOUT) {
      const content = rendered.files.apply((files) => files.find((f) => f.name === layout.name)!.content);
      // A file without a secret in it is shown in previews, so a diff names the change.
      contents[layout.name] = layout.secret ? pulumi.secret(content) : pulumi.unsecret(content);
    }
    this.contents = contents;
    // The same text for every stack: it depends on no setting and no secret.
    this.cloudInit = pulumi.output(renderCloudInit());
    this.registerOutputs({ apiKey: this.apiKey, apiSecret: this.apiSecret });
  }
}
