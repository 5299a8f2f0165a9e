// Primary IPv4 and IPv6 that survive server replacement: DNS, node_ip and
// Caddy's TURN upstream are rendered from them before the server exists.
import * as hcloud from "@pulumi/hcloud";
import * as pulumi from "@pulumi/pulumi";

export interface PublicAddressesArgs {
  readonly location: string;
  readonly labels: Readonly<Record<string, string>>;
  /** Refuse deletion, in Hetzner and in Pulumi. */
  readonly protect: boolean;
}

export class PublicAddresses extends pulumi.ComponentResource {
  readonly ipv4: pulumi.Output<string>;
  readonly ipv6: pulumi.Output<string>;
  readonly ipv4Id: pulumi.Output<number>;
  readonly ipv6Id: pulumi.Output<number>;

  constructor(name: string, args: PublicAddressesArgs, opts?: pulumi.ComponentResourceOptions) {
    // Aliased to the type token used before the layout move, so existing stacks keep these resources.
    super(
      "roamcast:addresses:PublicAddresses",
      name,
      {},
      { ...opts, aliases: [...(opts?.aliases ?? []), { type: "roamcast:hetzner:PublicAddresses" }] },
    );
    const make = (family: "ipv4" | "ipv6") =>
      new hcloud.PrimaryIp(
        `${name}-${family}`,
        {
          type: family,
          location: args.location,
          assigneeType: "server",
          autoDelete: false,
          deleteProtection: args.protect,
          labels: { ...args.labels },
        },
        { parent: this, protect: args.protect },
      );
    const v4 = make("ipv4");
    const v6 = make("ipv6");
    this.ipv4 = v4.ipAddress;
    this.ipv6 = v6.ipAddress;
    this.ipv4Id = v4.id.apply(Number);
    this.ipv6Id = v6.id.apply(Number);
    this.registerOutputs({ ipv4: this.ipv4, ipv6: this.ipv6 });
  }
}
