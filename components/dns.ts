// Cloudflare records for the LiveKit and TURN names, DNS only.
import * as cloudflare from "@pulumi/cloudflare";
import * as pulumi from "@pulumi/pulumi";
import { planDnsRecords } from "../plans/dns";

export interface DnsRecordsArgs {
  readonly zoneName: string;
  readonly hosts: readonly string[];
  readonly ipv4: pulumi.Input<string>;
  readonly ipv6: pulumi.Input<string>;
  readonly comment: string;
}

export class DnsRecords extends pulumi.ComponentResource {
  readonly zoneId: pulumi.Output<string>;

  constructor(name: string, args: DnsRecordsArgs, opts?: pulumi.ComponentResourceOptions) {
    // Aliased to the type token used before the layout move, so existing stacks keep these resources.
    super(
      "roamcast:dns:DnsRecords",
      name,
      {},
      { ...opts, aliases: [...(opts?.aliases ?? []), { type: "roamcast:cloudflare:DnsRecords" }] },
    );
    const zone = cloudflare.getZoneOutput({ filter: { name: args.zoneName } }, { parent: this });
    this.zoneId = zone.id.apply((id) => {
      if (!id)
        throw new Error(
          `Cloudflare zone "${args.zoneName}" was not found; check roamcast:zoneName and the API token's zone access`,
        );
      return id;
    });
    const plan = planDnsRecords(args.hosts);
    for (const record of plan) {
      new cloudflare.DnsRecord(
        `${name}-${record.host}-${record.type}`,
        {
          zoneId: this.zoneId,
          name: record.host,
          type: record.type,
          content: record.address === "ipv4" ? args.ipv4 : args.ipv6,
          proxied: record.proxied,
          ttl: record.ttl,
          comment: args.comment,
        },
        { parent: this },
      );
    }
    this.registerOutputs({ zoneId: this.zoneId });
  }
}
