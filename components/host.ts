// The Hetzner server that runs the LiveKit stack: SSH keys (the operators'
// and a generated deploy key), the firewall planned from the host model, and
// the server on the stable primary IPs.
import * as hcloud from "@pulumi/hcloud";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { type MediaPorts, publicPorts } from "../templates";
import { planFirewallRules } from "../plans/firewall";
import { planOperatorKeys } from "../plans/sshKeys";

export interface LivekitHostArgs {
  readonly serverType: string;
  readonly location: string;
  readonly image: string;
  readonly sshPublicKeys: readonly string[];
  readonly operatorCidrs: readonly string[];
  /** LiveKit's UDP media ports as rendered (HostModel.media): the firewall opens exactly these. */
  readonly media: MediaPorts;
  /**
   * Single addresses (/32, /128) that may reach SSH for this `up` only: the CI
   * runner's own, passed by the deploy workflow and removed by its next step.
   */
  readonly deployCidrs?: readonly string[];
  readonly ipv4Id: pulumi.Input<number>;
  readonly ipv6Id: pulumi.Input<number>;
  /** First-boot user data; later changes reach the host over SSH instead. */
  readonly userData: pulumi.Input<string>;
  readonly labels: Readonly<Record<string, string>>;
  /** Delete and rebuild protection, in Hetzner and in Pulumi. */
  readonly protect: boolean;
  /**
   * Node 2 and later of several: node 1's host, whose firewall and operator
   * SSH keys this server shares (Hetzner refuses a key registered twice, and
   * the deploy workflow closes SSH on that one firewall).
   */
  readonly shareWith?: LivekitHost;
  /** With several nodes: the private subnet and this node's fixed address in it. */
  readonly privateNetwork?: { readonly subnetId: pulumi.Input<string>; readonly ip: string };
}

export class LivekitHost extends pulumi.ComponentResource {
  readonly server: hcloud.Server;
  /** The deploy workflow's closing step targets this resource by URN (README: CI). */
  readonly firewall: hcloud.Firewall;
  readonly serverId: pulumi.Output<string>;
  /** The operators' Hetzner SSH keys, which the other nodes' servers share. */
  readonly operatorKeyIds: pulumi.Output<string>[];
  readonly firewallId: pulumi.Output<string>;
  /** Private half of the key Pulumi uses to push config over SSH. */
  readonly deployPrivateKey: pulumi.Output<string>;
  /** Every key allowed to log in as root, the deploy key last. */
  readonly authorizedKeys: pulumi.Output<string>;

  constructor(name: string, args: LivekitHostArgs, opts?: pulumi.ComponentResourceOptions) {
    // Aliased to the type token used before the layout move, so existing stacks keep these resources.
    super(
      "roamcast:host:LivekitHost",
      name,
      {},
      { ...opts, aliases: [...(opts?.aliases ?? []), { type: "roamcast:hetzner:Host" }] },
    );
    const child = { parent: this };
    const labels = { ...args.labels };

    const deployKey = new tls.PrivateKey(`${name}-deploy-key`, { algorithm: "ED25519" }, child);
    const operatorKeyIds = args.shareWith?.operatorKeyIds ?? this.createOperatorKeys(name, args);
    const deployKeyId = new hcloud.SshKey(`${name}-deploy`, { publicKey: deployKey.publicKeyOpenssh, labels }, child);
    const firewall = args.shareWith?.firewall ?? this.createFirewall(name, args);

    this.server = new hcloud.Server(
      `${name}-server`,
      {
        serverType: args.serverType,
        image: args.image,
        location: args.location,
        sshKeys: [...operatorKeyIds, deployKeyId.id],
        firewallIds: [firewall.id.apply(Number)],
        publicNets: [{ ipv4Enabled: true, ipv4: args.ipv4Id, ipv6Enabled: true, ipv6: args.ipv6Id }],
        userData: args.userData,
        labels,
        deleteProtection: args.protect,
        rebuildProtection: args.protect,
        shutdownBeforeDeletion: true,
      },
      {
        ...child,
        protect: args.protect,
        // The provider replaces the server when user data or SSH keys change
        // (terraform-provider-hcloud #338, #737). Both only matter at first
        // boot: later file and key changes are pushed over SSH in place.
        ignoreChanges: ["userData", "sshKeys"],
      },
    );

    if (args.privateNetwork)
      new hcloud.ServerNetwork(
        `${name}-private`,
        { serverId: this.server.id.apply(Number), subnetId: args.privateNetwork.subnetId, ip: args.privateNetwork.ip },
        child,
      );

    this.operatorKeyIds = operatorKeyIds;
    this.firewall = firewall;
    this.serverId = this.server.id;
    this.firewallId = firewall.id;
    this.deployPrivateKey = pulumi.secret(deployKey.privateKeyOpenssh);
    this.authorizedKeys = deployKey.publicKeyOpenssh.apply(
      (deployPublic) => [...args.sshPublicKeys, deployPublic.trim()].join("\n") + "\n",
    );
    this.registerOutputs({ serverId: this.serverId, firewallId: this.firewallId });
  }

  private createOperatorKeys(name: string, args: LivekitHostArgs): pulumi.Output<string>[] {
    const child = { parent: this };
    const labels = { ...args.labels };
    return planOperatorKeys(args.sshPublicKeys)
      .map(
        (key) =>
          new hcloud.SshKey(
            `${name}-operator-${key.fingerprint}`,
            { publicKey: key.publicKey, labels },
            {
              ...child,
              // Stacks created before fingerprint names knew each key by its place
              // in the list: adopt that resource instead of registering the key a
              // second time (README: Operator SSH keys).
              aliases: [{ name: `${name}-operator-${key.index}` }],
              // Same fingerprint, new comment: Hetzner refuses the duplicate, so delete first.
              deleteBeforeReplace: true,
            },
          ),
      )
      .map((key) => key.id);
  }

  private createFirewall(name: string, args: LivekitHostArgs): hcloud.Firewall {
    const labels = { ...args.labels };
    return new hcloud.Firewall(
      `${name}-firewall`,
      {
        labels,
        rules: planFirewallRules(publicPorts(), args.operatorCidrs, args.deployCidrs ?? []).map((r) => ({
          ...r,
          sourceIps: [...r.sourceIps],
        })),
      },
      { parent: this },
    );
  }
}
