// The private network the LiveKit nodes share when there are several: one
// Hetzner network with one cloud subnet in the servers' network zone. Each
// node joins it at its planned address (components/host.ts). Nothing public
// reaches it; Hetzner Cloud Firewalls do not filter it either, so Redis's
// bind address and password are what guard Redis (templates/redis.ts).
import * as hcloud from "@pulumi/hcloud";
import * as pulumi from "@pulumi/pulumi";

export interface PrivateNetworkArgs {
  /** The network's range and the one subnet in it (plans/nodes.ts PRIVATE_NETWORK). */
  readonly ipRange: string;
  readonly subnet: string;
  /** plans/nodes.ts networkZoneOf(location). */
  readonly networkZone: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly protect: boolean;
}

export class PrivateNetwork extends pulumi.ComponentResource {
  readonly networkId: pulumi.Output<number>;
  /** What hcloud.ServerNetwork takes: "<network id>-<subnet range>". */
  readonly subnetId: pulumi.Output<string>;

  constructor(name: string, args: PrivateNetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("roamcast:network:PrivateNetwork", name, {}, opts);
    const network = new hcloud.Network(
      `${name}-network`,
      { ipRange: args.ipRange, labels: { ...args.labels }, deleteProtection: args.protect },
      { parent: this, protect: args.protect },
    );
    const subnet = new hcloud.NetworkSubnet(
      `${name}-subnet`,
      { networkId: network.id.apply(Number), type: "cloud", networkZone: args.networkZone, ipRange: args.subnet },
      { parent: this, protect: args.protect },
    );
    this.networkId = network.id.apply(Number);
    this.subnetId = subnet.id;
    this.registerOutputs({ networkId: this.networkId });
  }
}
