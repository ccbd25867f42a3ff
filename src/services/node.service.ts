/**
 * `node(id)`: the object with an id, whatever its type, among the types the caller may read. Ids
 * are plain UUIDs (`gen_random_uuid()` in every table), so an id names one row of one table; which
 * table is found by one statement over the tables allowed, and the row is then read by its own
 * service, exactly as the type's other operations read it.
 */
import type { ServiceContext } from "../context";
import type { ApiKeyEntity } from "../entities/api-key.entity";
import type { InteractionEntity } from "../entities/interaction.entity";
import type { LeadEntity } from "../entities/lead.entity";
import type { ScoringModelEntity } from "../entities/scoring-model.entity";
import type { DeliveryRow, WebhookRow } from "../webhooks/webhook-rows";
import type { ApiKeyService } from "./api-key.service";
import type { InteractionService } from "./interaction.service";
import type { LeadService } from "./lead.service";
import type { ModelService } from "./model.service";
import { isUuid } from "./validation";
import type { WebhookService } from "./webhook.service";

/** The table of each type `node(id)` answers, by its GraphQL name; the types that implement `Node`. */
const NODE_TABLES = {
  Lead: "lead",
  Interaction: "interaction",
  ScoringModel: "scoring_model",
  ApiKey: "api_key",
  Webhook: "webhook",
  WebhookDelivery: "webhook_delivery",
} as const;

export type NodeType = keyof typeof NODE_TABLES;

/** Every type `node(id)` answers, leads first (the ids clients hold most). */
export const NODE_TYPES = Object.keys(NODE_TABLES) as readonly NodeType[];

/** What `node(id)` found: the row as its type's other operations answer it. */
export type FoundNode =
  | { type: "Lead"; value: LeadEntity }
  | { type: "Interaction"; value: InteractionEntity }
  | { type: "ScoringModel"; value: ScoringModelEntity }
  | { type: "ApiKey"; value: ApiKeyEntity }
  | { type: "Webhook"; value: WebhookRow }
  | { type: "WebhookDelivery"; value: DeliveryRow };

/**
 * The statement that finds which of `types`' tables holds the id `$1`: one primary-key lookup per
 * table, stopping at the first found (the names are the constants above, never input).
 */
const locateSql = (types: readonly NodeType[]): string =>
  `${types.map((type) => `SELECT '${type}' AS type FROM ${NODE_TABLES[type]} WHERE id = $1`).join(" UNION ALL ")} LIMIT 1`;

/** Reads one row of a type by its id, as the type's own operations read it. */
type Readers = { [T in NodeType]: (ctx: ServiceContext, id: string) => Promise<Extract<FoundNode, { type: T }>["value"] | null> };

export class NodeService {
  private readonly readers: Readers;

  constructor(leads: LeadService, interactions: InteractionService, models: ModelService, apiKeys: ApiKeyService, webhooks: WebhookService) {
    this.readers = {
      Lead: (ctx, id) => leads.findById(ctx, id),
      Interaction: (ctx, id) => interactions.findById(ctx, id),
      ScoringModel: (ctx, id) => models.findById(ctx, id),
      ApiKey: (ctx, id) => apiKeys.findById(ctx, id),
      Webhook: (ctx, id) => webhooks.find(ctx, id),
      WebhookDelivery: (ctx, id) => webhooks.findDelivery(ctx, id),
    };
  }

  /**
   * The object with this id among `types` (those the caller may read), or null: the same for an
   * id no row has as for one in a table left out, so a caller cannot tell them apart. Two
   * statements when found (which table, then the row), one when not, none without types.
   */
  async find(ctx: ServiceContext, id: string, types: readonly NodeType[]): Promise<FoundNode | null> {
    if (types.length === 0 || !isUuid(id)) return null;
    const [row]: Array<{ type: NodeType }> = await ctx.db.query(locateSql(NODE_TYPES.filter((type) => types.includes(type))), [id]);
    if (!row) return null;
    const value = await this.readers[row.type](ctx, id);
    // Deleted between the two statements: not found either.
    return value ? ({ type: row.type, value } as FoundNode) : null;
  }
}
